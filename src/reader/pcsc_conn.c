/* A connection to the card in one reader, and the PC/SC transport that
 * agents talk through (struct scm_tx). No APDU content is logged here:
 * apdu.c traces the commands, with PINs masked. */
#include <stdlib.h>
#include <string.h>

#include "pcsc_int.h"

struct scm_rd_conn {
    struct scm_rd_ctx *ctx;
    SCARDHANDLE h;
    DWORD proto;
    char reader[SCM_RD_NAME_MAX];
    uint8_t atr[SCM_RD_ATR_MAX];
    size_t atr_len;
    unsigned depth; /* nested scm_tx_begin calls */
    /* pcscd keeps answering SCARD_W_REMOVED_CARD on this handle, even with
     * a new card in the slot; we keep saying so without asking it. */
    bool removed;
    struct scm_tx tx;
};

static int conn_transmit(void *impl, const uint8_t *c, size_t clen, uint8_t *r, size_t *rlen);
static int conn_begin(void *impl);
static int conn_end(void *impl);

static const struct scm_tx_ops pcsc_tx_ops = {
    .transmit = conn_transmit,
    .begin = conn_begin,
    .end = conn_end,
};

/* Refresh the ATR (it may change after a reconnect) and derive
 * tx.extended from it. */
static void conn_read_atr(struct scm_rd_conn *conn)
{
    BYTE atr[MAX_ATR_SIZE];
    DWORD atr_len = sizeof(atr), state, proto;
    char name[SCM_RD_NAME_MAX];
    DWORD name_len = sizeof(name);
    LONG rv = SCardStatus(conn->h, name, &name_len, &state, &proto, atr, &atr_len);
    if (rv != SCARD_S_SUCCESS) {
        scm_rd__fail(NULL, rv, "SCardStatus", conn->reader);
        return;
    }
    conn->atr_len = atr_len < SCM_RD_ATR_MAX ? atr_len : SCM_RD_ATR_MAX;
    memcpy(conn->atr, atr, conn->atr_len);
    conn->tx.extended = scm_rd__atr_extended(conn->atr, conn->atr_len);
}

int scm_rd_connect(struct scm_rd_ctx *ctx, const char *reader, struct scm_rd_conn **out,
                   struct scm_detail *d)
{
    *out = NULL;
    struct scm_rd_conn *conn = calloc(1, sizeof(*conn));
    if (!conn)
        return SCM_E_NOMEM;
    conn->ctx = ctx;
    strncpy(conn->reader, reader, sizeof(conn->reader) - 1);
    conn->tx = (struct scm_tx){.ops = &pcsc_tx_ops, .impl = conn};

    int rc;
    for (int tries = 0;; tries++) {
        rc = scm_rd__ctx_ensure(ctx, d);
        if (rc < 0)
            goto err;
        LONG rv = SCardConnect(ctx->h, reader, SCARD_SHARE_SHARED,
                               SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &conn->h, &conn->proto);
        if (rv == SCARD_S_SUCCESS)
            break;
        /* A context from before a pcscd restart: once more with a new one. */
        if (scm_rd__service_lost(rv) && tries == 0) {
            scm_rd__ctx_drop(ctx);
            continue;
        }
        rc = scm_rd__fail(d, rv, "SCardConnect", reader);
        goto err;
    }
    conn_read_atr(conn);
    *out = conn;
    return SCM_OK;
err:
    free(conn);
    return rc;
}

void scm_rd_disconnect(struct scm_rd_conn *conn)
{
    if (!conn)
        return;
    if (conn->depth > 0)
        SCardEndTransaction(conn->h, SCARD_LEAVE_CARD);
    /* LEAVE_CARD: a reset or power-down here would hit the next card in
     * the slot if ours was swapped in the meantime. The handle may be dead
     * already (pcscd restarted): nothing to report then. */
    LONG rv = SCardDisconnect(conn->h, SCARD_LEAVE_CARD);
    if (rv != SCARD_S_SUCCESS && rv != SCARD_E_INVALID_HANDLE)
        scm_rd__fail(NULL, rv, "SCardDisconnect", conn->reader);
    free(conn);
}

struct scm_tx *scm_rd_tx(struct scm_rd_conn *conn)
{
    return &conn->tx;
}

const uint8_t *scm_rd_atr(const struct scm_rd_conn *conn, size_t *len)
{
    *len = conn->atr_len;
    return conn->atr;
}

const char *scm_rd_conn_reader(const struct scm_rd_conn *conn)
{
    return conn->reader;
}

/* After another program reset the card: reconnect (the card answers again,
 * its selected file and PIN status are gone). */
static LONG conn_reconnect(struct scm_rd_conn *conn)
{
    LONG rv = SCardReconnect(conn->h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                             SCARD_LEAVE_CARD, &conn->proto);
    if (rv != SCARD_S_SUCCESS)
        return rv;
    scm_log(SCM_LOG_DEBUG, "pcsc: card in %s was reset by another program, reconnected",
            conn->reader);
    conn_read_atr(conn);
    return SCARD_S_SUCCESS;
}

/* The error for rv on this connection; a removed card sticks. */
static int conn_fail(struct scm_rd_conn *conn, LONG rv, const char *call)
{
    if (rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD)
        conn->removed = true;
    int err = scm_rd__fail(NULL, rv, call, conn->reader);
    return err == SCM_E_NO_CARD ? SCM_E_CARD_REMOVED : err;
}

/* After an exchange that failed without saying why (SCARD_E_NOT_TRANSACTED,
 * or "success" with no status word): was the card pulled out? pcscd may
 * not know yet (it looks every 400 ms); then it is a transmit error. */
static int conn_lost_or_broken(struct scm_rd_conn *conn, const char *what)
{
    DWORD state = 0, proto, atr_len = MAX_ATR_SIZE;
    BYTE atr[MAX_ATR_SIZE];
    char name[SCM_RD_NAME_MAX];
    DWORD name_len = sizeof(name);
    LONG rv = SCardStatus(conn->h, name, &name_len, &state, &proto, atr, &atr_len);
    if (rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD ||
        (rv == SCARD_S_SUCCESS && (state & SCARD_ABSENT))) {
        conn->removed = true;
        scm_log(SCM_LOG_DEBUG, "pcsc: %s from %s: the card was removed", what, conn->reader);
        return SCM_E_CARD_REMOVED;
    }
    scm_log(SCM_LOG_DEBUG, "pcsc: %s from %s: the card may have crashed or been removed", what,
            conn->reader);
    return SCM_E_TRANSMIT;
}

static int conn_transmit(void *impl, const uint8_t *c, size_t clen, uint8_t *r, size_t *rlen)
{
    struct scm_rd_conn *conn = impl;
    if (conn->removed)
        return SCM_E_CARD_REMOVED;
    for (int tries = 0;; tries++) {
        const SCARD_IO_REQUEST *pci =
            conn->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
        DWORD len = (DWORD)*rlen;
        LONG rv = SCardTransmit(conn->h, pci, c, (DWORD)clen, NULL, r, &len);
        if (rv == SCARD_S_SUCCESS) {
            if (len < 2)
                return conn_lost_or_broken(conn, "an answer without status word");
            *rlen = len;
            return SCM_OK;
        }
        /* A reset by another program between our operations is harmless:
         * reconnect and send again, once. Inside a transaction it is not:
         * the card lost the state the operation built (selected file,
         * verified PIN), so the caller must start over. */
        if (rv == SCARD_W_RESET_CARD && conn->depth == 0 && tries == 0) {
            LONG rv2 = conn_reconnect(conn);
            if (rv2 == SCARD_S_SUCCESS)
                continue;
            return conn_fail(conn, rv2, "SCardReconnect");
        }
        if (rv == SCARD_E_NOT_TRANSACTED) {
            scm_rd__fail(NULL, rv, "SCardTransmit", conn->reader);
            return conn_lost_or_broken(conn, "a failed exchange");
        }
        return conn_fail(conn, rv, "SCardTransmit");
    }
}

static int conn_begin(void *impl)
{
    struct scm_rd_conn *conn = impl;
    if (conn->removed)
        return SCM_E_CARD_REMOVED;
    if (conn->depth > 0) {
        conn->depth++;
        return SCM_OK;
    }
    LONG rv = SCardBeginTransaction(conn->h);
    if (rv == SCARD_W_RESET_CARD) {
        /* Reset before our operation started: nothing of ours was lost. */
        rv = conn_reconnect(conn);
        if (rv == SCARD_S_SUCCESS)
            rv = SCardBeginTransaction(conn->h);
    }
    if (rv != SCARD_S_SUCCESS)
        return conn_fail(conn, rv, "SCardBeginTransaction");
    conn->depth = 1;
    return SCM_OK;
}

static int conn_end(void *impl)
{
    struct scm_rd_conn *conn = impl;
    if (conn->depth == 0)
        return SCM_E_INVAL;
    if (--conn->depth > 0)
        return SCM_OK;
    if (conn->removed)
        return SCM_OK; /* nothing left to release */
    LONG rv = SCardEndTransaction(conn->h, SCARD_LEAVE_CARD);
    if (rv != SCARD_S_SUCCESS)
        return conn_fail(conn, rv, "SCardEndTransaction");
    return SCM_OK;
}
