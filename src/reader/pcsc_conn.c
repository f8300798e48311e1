/* A connection to the card in one reader, and the PC/SC transport that
 * agents talk through (struct scm_tx). No APDU content is logged here:
 * apdu.c traces the commands, with PINs masked. */
#include <stdlib.h>
#include <string.h>

#include "pcsc_int.h"

struct scm_rd_conn {
    struct scm_rd_ctx *ctx;
    /* The connection's own PC/SC context: a call that misses its deadline
     * keeps its context locked inside pcsc-lite, and must take no other
     * connection down with it. */
    SCARDCONTEXT hctx;
    SCARDHANDLE h;
    DWORD proto;
    char reader[SCM_RD_NAME_MAX];
    uint8_t atr[SCM_RD_ATR_MAX];
    size_t atr_len;
    unsigned depth; /* nested scm_tx_begin calls */
    /* pcscd keeps answering SCARD_W_REMOVED_CARD on this handle, even with
     * a new card in the slot; we keep saying so without asking it. */
    bool removed;
    /* SCM_E_CARD_TIMEOUT or SCM_E_CANCELLED: a call was left behind, and
     * hctx and h are its (pcsc_call.c). Every later call fails so. */
    int dead;
    struct scm_rd__worker *worker; /* where its card calls run */
    struct scm_tx tx;
    /* Resets by another program, each followed by a reconnect: the card
     * lost its selected file and PIN status every time (scm_rd_conn_resets). */
    unsigned resets;
};

/* What every card call's job starts with: the PC/SC context and handle it
 * works on, released by the worker if the call is left behind. */
struct held {
    SCARDCONTEXT hctx;
    SCARDHANDLE h;
    bool have_ctx, have_h;
    /* The job's whole size when it carries APDU bytes (a PIN, private
     * object data): wiped before it is freed, like apdu.c's buffers. */
    size_t wipe;
};

static void held_free(void *p)
{
    struct held *hd = p;
    if (hd->wipe)
        scm_wipe(p, hd->wipe);
    free(p);
}

static void held_orphan(void *p)
{
    struct held *hd = p;
    if (hd->have_h)
        SCardDisconnect(hd->h, SCARD_LEAVE_CARD);
    if (hd->have_ctx)
        SCardReleaseContext(hd->hctx);
    held_free(p);
}

static struct held conn_held(const struct scm_rd_conn *conn)
{
    return (struct held){.hctx = conn->hctx, .h = conn->h, .have_ctx = true, .have_h = true};
}

/* Run a job on conn's handles under the deadline. A job left behind takes
 * them along: conn is dead from here on. */
static int conn_call(struct scm_rd_conn *conn, LONG (*fn)(void *), void *job, LONG *rv)
{
    int err = scm_rd__call(conn->ctx, &conn->worker, fn, held_orphan, job, rv);
    if (err == SCM_E_CARD_TIMEOUT || err == SCM_E_CANCELLED) {
        conn->dead = err;
        conn->hctx = 0;
        conn->h = 0;
        scm_rd__late(NULL, err, conn->ctx, conn->reader);
        return err;
    }
    if (err < 0)
        held_free(job);
    return err;
}

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

struct connect_job {
    struct held hd;
    DWORD proto;
    const char *failed;
    char reader[SCM_RD_NAME_MAX];
};

static LONG connect_run(void *p)
{
    struct connect_job *j = p;
    j->failed = "SCardEstablishContext";
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &j->hd.hctx);
    if (rv != SCARD_S_SUCCESS)
        return rv;
    j->hd.have_ctx = true;
    j->failed = "SCardConnect";
    rv = SCardConnect(j->hd.hctx, j->reader, SCARD_SHARE_SHARED,
                      SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &j->hd.h, &j->proto);
    if (rv == SCARD_S_SUCCESS)
        j->hd.have_h = true;
    return rv;
}

int scm_rd_connect(struct scm_rd_ctx *ctx, const char *reader, struct scm_rd_conn **out,
                   struct scm_detail *d)
{
    *out = NULL;
    struct scm_rd_conn *conn = calloc(1, sizeof(*conn));
    struct connect_job *j = calloc(1, sizeof(*j));
    LONG rv = SCARD_S_SUCCESS;
    int rc;
    if (!conn || !j) {
        free(conn);
        free(j);
        return SCM_E_NOMEM;
    }
    conn->ctx = ctx;
    strncpy(conn->reader, reader, sizeof(conn->reader) - 1);
    conn->tx = (struct scm_tx){.ops = &pcsc_tx_ops, .impl = conn};
    memcpy(j->reader, conn->reader, sizeof(j->reader));

    rc = scm_rd__call(ctx, &conn->worker, connect_run, held_orphan, j, &rv);
    if (rc == SCM_E_CARD_TIMEOUT || rc == SCM_E_CANCELLED) {
        scm_rd__late(d, rc, ctx, reader);
        free(conn);
        return rc; /* j is the worker's */
    }
    if (rc == SCM_OK && rv != SCARD_S_SUCCESS) {
        rc = scm_rd__fail(d, rv, j->failed, reader);
        held_orphan(j);
        scm_rd__worker_end(conn->worker);
        free(conn);
        return rc;
    }
    if (rc < 0) {
        free(j);
        scm_rd__worker_end(conn->worker);
        free(conn);
        return rc;
    }
    conn->hctx = j->hd.hctx;
    conn->h = j->hd.h;
    conn->proto = j->proto;
    free(j);
    conn_read_atr(conn);
    *out = conn;
    return SCM_OK;
}

void scm_rd_disconnect(struct scm_rd_conn *conn)
{
    if (!conn)
        return;
    if (conn->dead) {
        free(conn); /* its handles and thread went with the call left behind */
        return;
    }
    scm_rd__worker_end(conn->worker);
    if (conn->depth > 0)
        SCardEndTransaction(conn->h, SCARD_LEAVE_CARD);
    /* LEAVE_CARD: a reset or power-down here would hit the next card in
     * the slot if ours was swapped in the meantime. The handle may be dead
     * already (pcscd restarted): nothing to report then. */
    LONG rv = SCardDisconnect(conn->h, SCARD_LEAVE_CARD);
    if (rv != SCARD_S_SUCCESS && rv != SCARD_E_INVALID_HANDLE)
        scm_rd__fail(NULL, rv, "SCardDisconnect", conn->reader);
    SCardReleaseContext(conn->hctx);
    free(conn);
}

int scm_rd_conn_why(const struct scm_rd_conn *conn, int err, struct scm_detail *d)
{
    if (!conn || !conn->dead || err >= 0)
        return err;
    return scm_rd__late(d, conn->dead, conn->ctx, conn->reader);
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

unsigned scm_rd_conn_resets(const struct scm_rd_conn *conn)
{
    return conn ? conn->resets : 0;
}

/* After another program reset the card: reconnect (the card answers again,
 * its selected file and PIN status are gone). */
struct reconnect_job {
    struct held hd;
    DWORD proto;
};

static LONG reconnect_run(void *p)
{
    struct reconnect_job *j = p;
    return SCardReconnect(j->hd.h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                          SCARD_LEAVE_CARD, &j->proto);
}

/* 1 (and rv) when the call ran, a negative error when it did not. */
static int conn_reconnect(struct scm_rd_conn *conn, LONG *rv)
{
    struct reconnect_job *j = calloc(1, sizeof(*j));
    if (!j)
        return SCM_E_NOMEM;
    j->hd = conn_held(conn);
    int err = conn_call(conn, reconnect_run, j, rv);
    if (err < 0)
        return err;
    conn->proto = j->proto;
    free(j);
    if (*rv != SCARD_S_SUCCESS)
        return 1;
    scm_log(SCM_LOG_DEBUG, "pcsc: card in %s was reset by another program, reconnected",
            conn->reader);
    conn->resets++;
    conn_read_atr(conn);
    return 1;
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

struct tx_job {
    struct held hd;
    const SCARD_IO_REQUEST *pci;
    DWORD clen, rlen;
    uint8_t *c, *r; /* in the same allocation, after the struct */
};

static LONG tx_run(void *p)
{
    struct tx_job *j = p;
    return SCardTransmit(j->hd.h, j->pci, j->c, j->clen, NULL, j->r, &j->rlen);
}

/* One SCardTransmit under the deadline. The job has its own copy of the
 * command and room for the answer: a transmit left behind may still write
 * it long after the caller's buffers are gone. */
static int conn_transmit_once(struct scm_rd_conn *conn, const uint8_t *c, size_t clen, uint8_t *r,
                              size_t *rlen, LONG *rv)
{
    size_t size = sizeof(struct tx_job) + clen + *rlen;
    struct tx_job *j = malloc(size);
    if (!j)
        return SCM_E_NOMEM;
    j->hd = conn_held(conn);
    j->hd.wipe = size;
    j->pci = conn->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    j->c = (uint8_t *)(j + 1);
    j->r = j->c + clen;
    j->clen = (DWORD)clen;
    j->rlen = (DWORD)*rlen;
    memcpy(j->c, c, clen);
    int err = conn_call(conn, tx_run, j, rv);
    if (err < 0)
        return err;
    if (*rv == SCARD_S_SUCCESS) {
        memcpy(r, j->r, j->rlen);
        *rlen = j->rlen;
    }
    held_free(j);
    return SCM_OK;
}

static int conn_transmit(void *impl, const uint8_t *c, size_t clen, uint8_t *r, size_t *rlen)
{
    struct scm_rd_conn *conn = impl;
    if (conn->dead)
        return conn->dead;
    if (conn->removed)
        return SCM_E_CARD_REMOVED;
    for (int tries = 0;; tries++) {
        size_t len = *rlen;
        LONG rv;
        int err = conn_transmit_once(conn, c, clen, r, &len, &rv);
        if (err < 0)
            return err;
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
            LONG rv2;
            if ((err = conn_reconnect(conn, &rv2)) < 0)
                return err;
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

static LONG begin_run(void *p)
{
    struct held *hd = p;
    return SCardBeginTransaction(hd->h);
}

/* SCardBeginTransaction waits while another program holds the card: under
 * the deadline too. */
static int conn_begin_once(struct scm_rd_conn *conn, LONG *rv)
{
    struct held *j = malloc(sizeof(*j));
    if (!j)
        return SCM_E_NOMEM;
    *j = conn_held(conn);
    int err = conn_call(conn, begin_run, j, rv);
    if (err < 0)
        return err;
    free(j);
    return SCM_OK;
}

static int conn_begin(void *impl)
{
    struct scm_rd_conn *conn = impl;
    if (conn->dead)
        return conn->dead;
    if (conn->removed)
        return SCM_E_CARD_REMOVED;
    if (conn->depth > 0) {
        conn->depth++;
        return SCM_OK;
    }
    LONG rv;
    int err = conn_begin_once(conn, &rv);
    if (err < 0)
        return err;
    if (rv == SCARD_W_RESET_CARD) {
        /* Reset before our operation started: nothing of ours was lost. */
        if ((err = conn_reconnect(conn, &rv)) < 0)
            return err;
        if (rv == SCARD_S_SUCCESS && (err = conn_begin_once(conn, &rv)) < 0)
            return err;
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
    if (conn->removed || conn->dead)
        return SCM_OK; /* nothing left to release */
    LONG rv = SCardEndTransaction(conn->h, SCARD_LEAVE_CARD);
    if (rv != SCARD_S_SUCCESS)
        return conn_fail(conn, rv, "SCardEndTransaction");
    return SCM_OK;
}
