/* The ISO 7816-4/-9 commands shared by every agent (iso.h), the status
 * word table and a BER-TLV walker. Chunking of file bytes into APDUs
 * lives here: the APDU layer sends one command (chained if it must), and
 * "how big may a chunk be" depends on the command. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "iso.h"

#define SHORT_WRITE 255
#define SHORT_READ 256
/* Files are at most 32767 bytes (15-bit offsets): one extended APDU
 * carries any of them. */
#define EXT_CHUNK 0x8000

static int iso_send(struct scm_tx *tx, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
                    size_t lc, size_t le, bool sensitive, bool chain, uint8_t *resp, size_t cap,
                    size_t *got, uint16_t *sw)
{
    struct scm_apdu a = {.cla = 0x00,
                         .ins = ins,
                         .p1 = p1,
                         .p2 = p2,
                         .data = data,
                         .lc = lc,
                         .le = le,
                         .sensitive = sensitive,
                         .chain = chain};
    size_t dummy;
    return scm_tx_apdu(tx, &a, resp, cap, got ? got : &dummy, sw);
}

int scm_iso_select_aid(struct scm_tx *tx, const uint8_t *aid, size_t len, uint8_t p2, uint8_t *resp,
                       size_t cap, size_t *got, uint16_t *sw)
{
    if (!aid || len == 0 || len > 16)
        return SCM_E_INVAL;
    bool want = p2 != 0x0C && resp && cap;
    struct scm_tx_select *s = &tx->sel;
    if (tx->held && s->valid && s->held_id == tx->held_id && s->at == tx->apdus &&
        s->aid_len == len && memcmp(s->aid, aid, len) == 0 && s->p2 == p2 &&
        (!want || (s->fci && s->resp_len <= cap))) {
        if (want)
            memcpy(resp, s->resp, s->resp_len);
        if (got)
            *got = want ? s->resp_len : 0;
        *sw = s->sw;
        return SCM_OK;
    }
    size_t n = 0;
    int rc = iso_send(tx, 0xA4, 0x04, p2, aid, len, want ? 256 : 0, false, false,
                      want ? resp : NULL, want ? cap : 0, &n, sw);
    if (got)
        *got = n;
    s->valid = rc == SCM_OK && tx->held && *sw == 0x9000 && n <= sizeof(s->resp);
    if (s->valid) {
        memcpy(s->aid, aid, len);
        s->aid_len = len;
        s->p2 = p2;
        if (want)
            memcpy(s->resp, resp, n);
        s->resp_len = want ? n : 0;
        s->fci = want;
        s->sw = *sw;
        s->at = tx->apdus;
        s->held_id = tx->held_id;
    }
    return rc;
}

int scm_iso_select_mf(struct scm_tx *tx, uint16_t *sw)
{
    static const uint8_t mf[2] = {0x3F, 0x00};
    return iso_send(tx, 0xA4, 0x00, 0x0C, mf, 2, 0, false, false, NULL, 0, NULL, sw);
}

int scm_iso_select_path(struct scm_tx *tx, const uint16_t *fids, size_t n, uint16_t *sw)
{
    uint8_t path[16];
    if (n == 0 || n > sizeof(path) / 2)
        return SCM_E_INVAL;
    for (size_t i = 0; i < n; i++) {
        path[2 * i] = (uint8_t)(fids[i] >> 8);
        path[2 * i + 1] = (uint8_t)fids[i];
    }
    return iso_send(tx, 0xA4, 0x08, 0x0C, path, 2 * n, 0, false, false, NULL, 0, NULL, sw);
}

static size_t read_chunk(const struct scm_tx *tx)
{
    return tx->extended ? EXT_CHUNK : SHORT_READ;
}

int scm_iso_read_sfi(struct scm_tx *tx, uint8_t sfi, uint8_t *buf, size_t want, size_t *got,
                     uint16_t *sw)
{
    size_t le = want < read_chunk(tx) ? want : read_chunk(tx);
    return iso_send(tx, 0xB0, (uint8_t)(0x80 | (sfi & 0x1F)), 0, NULL, 0, le, false, false, buf,
                    want, got, sw);
}

int scm_iso_read_all(struct scm_tx *tx, size_t off, uint8_t *buf, size_t want, size_t *got,
                     uint16_t *sw)
{
    *got = 0;
    *sw = 0x9000;
    while (*got < want) {
        size_t pos = off + *got;
        if (pos > SCM_ISO_OFFSET_MAX)
            return SCM_E_LIMIT;
        size_t le = want - *got;
        if (le > read_chunk(tx))
            le = read_chunk(tx);
        size_t n = 0;
        int rc = iso_send(tx, 0xB0, (uint8_t)(pos >> 8), (uint8_t)pos, NULL, 0, le, false, false,
                          buf + *got, want - *got, &n, sw);
        if (rc < 0)
            return rc;
        *got += n;
        /* Anything but 9000 with data ends the read: 6282 (end of file)
         * means the EF is shorter than asked, which the caller judges. */
        if (*sw != 0x9000 || n == 0)
            return SCM_OK;
    }
    return SCM_OK;
}

int scm_iso_update_all(struct scm_tx *tx, const uint8_t *data, size_t len, bool sensitive,
                       size_t *done, uint16_t *sw)
{
    size_t chunk = tx->extended ? EXT_CHUNK : SHORT_WRITE;
    *done = 0;
    *sw = 0x9000;
    while (*done < len) {
        size_t n = len - *done < chunk ? len - *done : chunk;
        if (*done > SCM_ISO_OFFSET_MAX)
            return SCM_E_LIMIT;
        int rc = iso_send(tx, 0xD6, (uint8_t)(*done >> 8), (uint8_t)*done, data + *done, n, 0,
                          sensitive, false, NULL, 0, NULL, sw);
        if (rc < 0)
            return rc;
        if (*sw != 0x9000)
            return SCM_OK;
        *done += n;
    }
    return SCM_OK;
}

int scm_iso_create(struct scm_tx *tx, const uint8_t *fcp, size_t len, uint16_t *sw)
{
    return iso_send(tx, 0xE0, 0, 0, fcp, len, 0, false, false, NULL, 0, NULL, sw);
}

int scm_iso_delete(struct scm_tx *tx, uint16_t fid, uint16_t *sw)
{
    uint8_t f[2] = {(uint8_t)(fid >> 8), (uint8_t)fid};
    return iso_send(tx, 0xE4, 0, 0, f, 2, 0, false, false, NULL, 0, NULL, sw);
}

int scm_iso_get_data(struct scm_tx *tx, uint16_t p1p2, const uint8_t *data, size_t lc,
                     uint8_t *resp, size_t cap, size_t *got, uint16_t *sw)
{
    return iso_send(tx, lc ? 0xCB : 0xCA, (uint8_t)(p1p2 >> 8), (uint8_t)p1p2, data, lc, SCM_LE_MAX,
                    false, false, resp, cap, got, sw);
}

int scm_iso_put_data(struct scm_tx *tx, bool odd, uint16_t p1p2, const uint8_t *data, size_t lc,
                     bool sensitive, uint16_t *sw)
{
    return iso_send(tx, odd ? 0xDB : 0xDA, (uint8_t)(p1p2 >> 8), (uint8_t)p1p2, data, lc, 0,
                    sensitive, true, NULL, 0, NULL, sw);
}

int scm_iso_verify(struct scm_tx *tx, uint8_t ref, const uint8_t *secret, size_t len, uint16_t *sw)
{
    if (secret && (len == 0 || len > SCM_ISO_SECRET_MAX))
        return SCM_E_BAD_PIN_FORMAT;
    return iso_send(tx, 0x20, 0x00, ref, secret, secret ? len : 0, 0, true, false, NULL, 0, NULL,
                    sw);
}

int scm_iso_unverify(struct scm_tx *tx, uint8_t ref, uint16_t *sw)
{
    return iso_send(tx, 0x20, 0xFF, ref, NULL, 0, 0, false, false, NULL, 0, NULL, sw);
}

/* Two secrets side by side in one command, in a buffer wiped after. */
static int send_pair(struct scm_tx *tx, uint8_t ins, uint8_t p1, uint8_t ref, const uint8_t *a,
                     size_t alen, const uint8_t *b, size_t blen, uint16_t *sw)
{
    uint8_t buf[2 * SCM_ISO_SECRET_MAX];
    if (alen > SCM_ISO_SECRET_MAX || blen > SCM_ISO_SECRET_MAX || alen + blen == 0 ||
        (alen && !a) || (blen && !b))
        return SCM_E_BAD_PIN_FORMAT;
    if (alen)
        memcpy(buf, a, alen);
    if (blen)
        memcpy(buf + alen, b, blen);
    int rc = iso_send(tx, ins, p1, ref, buf, alen + blen, 0, true, false, NULL, 0, NULL, sw);
    scm_wipe(buf, sizeof(buf));
    return rc;
}

int scm_iso_change(struct scm_tx *tx, uint8_t ref, const uint8_t *old, size_t oldlen,
                   const uint8_t *new_secret, size_t newlen, uint16_t *sw)
{
    if (!old || !new_secret || oldlen == 0 || newlen == 0)
        return SCM_E_BAD_PIN_FORMAT;
    return send_pair(tx, 0x24, 0x00, ref, old, oldlen, new_secret, newlen, sw);
}

int scm_iso_reset_retry(struct scm_tx *tx, uint8_t p1, uint8_t ref, const uint8_t *unblock,
                        size_t ulen, const uint8_t *new_secret, size_t newlen, uint16_t *sw)
{
    return send_pair(tx, 0x2C, p1, ref, unblock, ulen, new_secret, newlen, sw);
}

int scm_iso_general_auth(struct scm_tx *tx, uint8_t alg, uint8_t ref, const uint8_t *data,
                         size_t lc, bool sensitive, uint8_t *resp, size_t cap, size_t *got,
                         uint16_t *sw)
{
    return iso_send(tx, 0x87, alg, ref, data, lc, cap ? SCM_LE_MAX : 0, sensitive, true, resp, cap,
                    got, sw);
}

/* ---- Status words ------------------------------------------------------------ */

int scm_iso_sw_tries(uint16_t sw)
{
    return (sw & 0xFFF0) == 0x63C0 ? (int)(sw & 0x0F) : -1;
}

int scm_iso_sw_err(uint16_t sw, const struct scm_sw_map *agent)
{
    for (const struct scm_sw_map *m = agent; m && m->sw; m++)
        if ((sw & m->mask) == m->sw)
            return m->err;
    if (sw == 0x9000)
        return SCM_OK;
    if ((sw & 0xFFF0) == 0x63C0 || sw == 0x6300)
        return SCM_E_BAD_PIN;
    switch (sw) {
    case 0x6982:
        return SCM_E_CARD_LOCKED;
    case 0x6983:
    case 0x6984:
        return SCM_E_PIN_BLOCKED;
    case 0x6A82:
    case 0x6A83:
    case 0x6A88:
        return SCM_E_NOT_FOUND;
    case 0x6A84:
        return SCM_E_CARD_FULL;
    case 0x6A89:
    case 0x6A8A:
        return SCM_E_EXISTS;
    case 0x6A81:
    case 0x6D00:
    case 0x6E00:
        return SCM_E_NOT_SUPPORTED;
    default:
        return SCM_E_CARD_REFUSED;
    }
}

int scm_iso_step_err(int rc, uint16_t sw, const char *cmd, char *why, size_t cap)
{
    if (rc < 0) {
        /* "The card was removed." → "the card was removed" inside a sentence. */
        char s[160];
        snprintf(s, sizeof(s), "%s", scm_strerror(rc));
        size_t n = strlen(s);
        if (n && s[n - 1] == '.')
            s[n - 1] = 0;
        if (s[0] && isupper((unsigned char)s[0]) && !isupper((unsigned char)s[1]))
            s[0] = (char)tolower((unsigned char)s[0]);
        snprintf(why, cap, "%s: %s", cmd, s);
        return rc;
    }
    snprintf(why, cap, "%s answered %04X", cmd, sw);
    return scm_iso_sw_err(sw, NULL) < 0 ? scm_iso_sw_err(sw, NULL) : SCM_E_CARD_REFUSED;
}

/* ---- BER-TLV ----------------------------------------------------------------- */

int scm_tlv_next(const uint8_t *buf, size_t len, size_t *pos, uint32_t *tag, const uint8_t **val,
                 size_t *vlen)
{
    size_t p = *pos;
    /* Padding between TLVs (00 or FF) as ISO 7816-4 allows. */
    while (p < len && (buf[p] == 0x00 || buf[p] == 0xFF))
        p++;
    if (p >= len) {
        *pos = p;
        return 0;
    }
    uint32_t t = buf[p++];
    if ((t & 0x1F) == 0x1F) { /* more tag bytes follow, up to 3 in all */
        for (int i = 0;; i++) {
            if (p >= len || i >= 2)
                return SCM_E_CARD_LAYOUT;
            t = (t << 8) | buf[p];
            if (!(buf[p++] & 0x80))
                break;
        }
    }
    if (p >= len)
        return SCM_E_CARD_LAYOUT;
    size_t l = buf[p++];
    if (l & 0x80) {
        size_t nb = l & 0x7F;
        if (nb == 0 || nb > 3 || len - p < nb)
            return SCM_E_CARD_LAYOUT;
        l = 0;
        for (size_t i = 0; i < nb; i++)
            l = (l << 8) | buf[p++];
    }
    if (l > len - p)
        return SCM_E_CARD_LAYOUT;
    *tag = t;
    *val = buf + p;
    *vlen = l;
    *pos = p + l;
    return 1;
}

int scm_tlv_find(const uint8_t *buf, size_t len, uint32_t tag, const uint8_t **val, size_t *vlen)
{
    size_t pos = 0;
    for (;;) {
        uint32_t t;
        const uint8_t *v;
        size_t l;
        int r = scm_tlv_next(buf, len, &pos, &t, &v, &l);
        if (r <= 0)
            return r < 0 ? r : SCM_E_NOT_FOUND;
        if (t == tag) {
            *val = v;
            *vlen = l;
            return SCM_OK;
        }
    }
}

size_t scm_tlv_head(uint32_t tag, size_t len, uint8_t *out, size_t cap)
{
    uint8_t h[8];
    size_t n = 0;
    if (tag > 0xFFFF)
        h[n++] = (uint8_t)(tag >> 16);
    if (tag > 0xFF)
        h[n++] = (uint8_t)(tag >> 8);
    h[n++] = (uint8_t)tag;
    if (len < 0x80) {
        h[n++] = (uint8_t)len;
    } else if (len < 0x100) {
        h[n++] = 0x81;
        h[n++] = (uint8_t)len;
    } else if (len < 0x10000) {
        h[n++] = 0x82;
        h[n++] = (uint8_t)(len >> 8);
        h[n++] = (uint8_t)len;
    } else if (len < 0x1000000) {
        h[n++] = 0x83;
        h[n++] = (uint8_t)(len >> 16);
        h[n++] = (uint8_t)(len >> 8);
        h[n++] = (uint8_t)len;
    } else {
        return 0;
    }
    if (n > cap)
        return 0;
    memcpy(out, h, n);
    return n;
}
