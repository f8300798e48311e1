/* The APDU layer over any transport (reader.h): encoding of short and
 * extended command APDUs, 61xx / 6Cxx handling, the APDU count and the
 * trace. Agents build struct scm_apdu and never see bytes on the wire. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scmgr/reader.h"

#define SHORT_LC_MAX 255
#define SHORT_LE_MAX 256
#define EXT_LC_MAX 65535
#define EXT_LE_MAX 65536
/* Header + Lc field (3) + data + Le field (2 or 3). */
#define CMD_OVERHEAD (4 + 3 + 3)
/* A card that keeps answering 61xx or 6Cxx must not keep us forever: the
 * largest response we accept (65536) takes 257 GET RESPONSEs of 256. */
#define MAX_EXCHANGES 300
/* Bytes of command data shown in a trace line: enough to recognise a
 * command, short enough for one log line. */
#define TRACE_DATA_MAX 48

struct enc {
    uint8_t *buf;
    size_t len;
    size_t cap;
    bool extended;
};

/* Encode a with the given Le (which may differ from a->le after a 6Cxx). */
static int encode(const struct scm_tx *tx, const struct scm_apdu *a, size_t le, struct enc *e)
{
    /* "As many as the card has": 00 in a short APDU, 00 00 in an extended
     * one when the card takes them. */
    size_t le_short = le == SCM_LE_MAX ? SHORT_LE_MAX : le;
    bool ext =
        a->lc > SHORT_LC_MAX || le_short > SHORT_LE_MAX || (le == SCM_LE_MAX && tx->extended);
    if (ext && (!tx->extended || a->lc > EXT_LC_MAX || le > EXT_LE_MAX))
        return SCM_E_LIMIT;
    if (!ext)
        le = le_short;
    uint8_t *p = e->buf;
    p[0] = a->cla;
    p[1] = a->ins;
    p[2] = a->p1;
    p[3] = a->p2;
    size_t n = 4;
    if (a->lc > 0) {
        if (ext) {
            p[n++] = 0;
            p[n++] = (uint8_t)(a->lc >> 8);
            p[n++] = (uint8_t)a->lc;
        } else {
            p[n++] = (uint8_t)a->lc;
        }
        memcpy(p + n, a->data, a->lc);
        n += a->lc;
    }
    if (le > 0) {
        if (ext) {
            /* Case 2E starts with 00; case 4E's Le follows the data. */
            if (a->lc == 0)
                p[n++] = 0;
            p[n++] = (uint8_t)(le >> 8); /* 65536 encodes as 00 00 */
            p[n++] = (uint8_t)le;
        } else {
            p[n++] = (uint8_t)le; /* 256 encodes as 00 */
        }
    }
    e->len = n;
    e->extended = ext;
    return SCM_OK;
}

/* "> 00 A4 04 0C 07 | F0 53 ..." with the data of a sensitive command
 * replaced by a mask: a PIN never reaches the log. */
static void trace_cmd(const struct scm_apdu *a)
{
    char line[4 * TRACE_DATA_MAX + 96];
    size_t n = 0;
    n += (size_t)snprintf(line + n, sizeof(line) - n, "apdu > %02X %02X %02X %02X", a->cla, a->ins,
                          a->p1, a->p2);
    if (a->lc > 0 && a->sensitive) {
        snprintf(line + n, sizeof(line) - n, " | ** ** ** (%zu bytes masked)", a->lc);
    } else if (a->lc > 0) {
        n += (size_t)snprintf(line + n, sizeof(line) - n, " | Lc=%zu |", a->lc);
        size_t show = a->lc < TRACE_DATA_MAX ? a->lc : TRACE_DATA_MAX;
        for (size_t i = 0; i < show && n < sizeof(line); i++)
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %02X", a->data[i]);
        if (show < a->lc && n < sizeof(line))
            snprintf(line + n, sizeof(line) - n, " ...");
    }
    scm_log(SCM_LOG_TRACE, "%s", line);
}

int scm_tx_begin(struct scm_tx *tx)
{
    int rc = tx->ops->begin ? tx->ops->begin(tx->impl) : SCM_OK;
    if (rc == SCM_OK && tx->held++ == 0)
        tx->held_id++;
    return rc;
}

int scm_tx_end(struct scm_tx *tx)
{
    if (tx->held > 0 && --tx->held == 0)
        tx->sel.valid = false; /* another program may select now */
    return tx->ops->end ? tx->ops->end(tx->impl) : SCM_OK;
}

/* A command too long for one short APDU, on a card without extended
 * length: links of 255 bytes with CLA bit 10, then the last link as the
 * command itself (its Le, its answer). */
static int send_chain(struct scm_tx *tx, const struct scm_apdu *a, uint8_t *resp, size_t cap,
                      size_t *rlen, uint16_t *sw)
{
    size_t off = 0;
    while (a->lc - off > SHORT_LC_MAX) {
        struct scm_apdu link = *a;
        link.cla = (uint8_t)(a->cla | 0x10);
        link.data = a->data + off;
        link.lc = SHORT_LC_MAX;
        link.le = 0;
        link.chain = false;
        size_t n;
        int rc = scm_tx_apdu(tx, &link, NULL, 0, &n, sw);
        if (rc < 0 || *sw != 0x9000)
            return rc;
        off += SHORT_LC_MAX;
    }
    struct scm_apdu last = *a;
    last.data = a->data + off;
    last.lc = a->lc - off;
    last.chain = false;
    return scm_tx_apdu(tx, &last, resp, cap, rlen, sw);
}

int scm_tx_apdu(struct scm_tx *tx, const struct scm_apdu *a, uint8_t *resp, size_t cap,
                size_t *rlen, uint16_t *sw)
{
    if (!tx || !tx->ops || !tx->ops->transmit || !a || (a->lc && !a->data) || !rlen || !sw ||
        (cap && !resp) || a->le > SCM_LE_MAX)
        return SCM_E_INVAL;
    *rlen = 0;
    *sw = 0;
    if (a->chain && a->lc > SHORT_LC_MAX && !tx->extended)
        return send_chain(tx, a, resp, cap, rlen, sw);
    if (a->lc > EXT_LC_MAX)
        return SCM_E_LIMIT;

    struct enc e = {0};
    e.cap = a->lc + CMD_OVERHEAD;
    size_t raw_cap = (tx->extended ? EXT_LE_MAX : SHORT_LE_MAX) + 2;
    e.buf = malloc(e.cap);
    uint8_t *raw = malloc(raw_cap);
    int rc = SCM_E_NOMEM;
    if (!e.buf || !raw)
        goto out;
    rc = encode(tx, a, a->le, &e);
    if (rc < 0)
        goto out;
    trace_cmd(a);

    size_t got = 0;
    bool resent = false;
    for (int round = 0;; round++) {
        if (round >= MAX_EXCHANGES) {
            rc = SCM_E_TRANSMIT;
            scm_log(SCM_LOG_DEBUG, "apdu: card kept asking for GET RESPONSE, giving up");
            goto out;
        }
        size_t rl = raw_cap;
        rc = tx->ops->transmit(tx->impl, e.buf, e.len, raw, &rl);
        tx->apdus++;
        if (rc < 0)
            goto out;
        if (rl < 2 || rl > raw_cap) {
            rc = SCM_E_TRANSMIT;
            goto out;
        }
        uint8_t sw1 = raw[rl - 2], sw2 = raw[rl - 1];
        size_t dl = rl - 2;
        if (sw1 == 0x6C && !resent) {
            /* Wrong Le: the card says how many it has; ask again once with
             * that Le (00 = 256). Data sent with a 6Cxx is meaningless. */
            resent = true;
            if (e.buf[1] == 0xC0 && e.len == 5) {
                e.buf[4] = sw2;
            } else {
                rc = encode(tx, a, sw2 ? sw2 : 256, &e);
                if (rc < 0)
                    goto out;
            }
            scm_log(SCM_LOG_TRACE, "apdu < %02X%02X: re-sent with Le=%02X", sw1, sw2, sw2);
            continue;
        }
        if (dl > cap - got) {
            rc = SCM_E_TRANSMIT;
            scm_log(SCM_LOG_DEBUG, "apdu: the card sent more than the %zu bytes expected", cap);
            goto out;
        }
        if (dl)
            memcpy(resp + got, raw + rl - 2 - dl, dl);
        got += dl;
        if (sw1 == 0x61) {
            /* More data waiting: GET RESPONSE with the announced length
             * (00 = up to 256), same class as the command. */
            scm_log(SCM_LOG_TRACE, "apdu < %02X%02X (%zu bytes), GET RESPONSE", sw1, sw2, dl);
            if (a->sensitive)
                scm_wipe(e.buf, e.cap);
            e.buf[0] = (uint8_t)(a->cla & ~0x10u);
            e.buf[1] = 0xC0;
            e.buf[2] = 0;
            e.buf[3] = 0;
            e.buf[4] = sw2;
            e.len = 5;
            e.extended = false;
            resent = false;
            continue;
        }
        *sw = (uint16_t)(sw1 << 8 | sw2);
        *rlen = got;
        scm_log(SCM_LOG_TRACE, "apdu < %04X (%zu bytes)", *sw, got);
        rc = SCM_OK;
        break;
    }
out:
    /* The command may hold a PIN and the response private object bytes:
     * neither outlives the call. */
    if (e.buf)
        scm_wipe(e.buf, e.cap);
    if (raw)
        scm_wipe(raw, raw_cap);
    free(e.buf);
    free(raw);
    return rc;
}
