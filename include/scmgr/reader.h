/* scmgr — the reader handler: PC/SC readers, card events, APDU exchange.
 *
 * pcsc-lite only (no CCID, no direct device access). Every PC/SC return
 * code and every status word the user may see is turned into scmgr's error
 * space in one place (src/reader/pcsc_err.c).
 *
 * The APDU layer (scm_tx_*) works over any transport: the PC/SC one made
 * by scm_rd_connect, or a replay transport in the agents' unit tests. It
 * encodes short or extended APDUs, follows 61xx with GET RESPONSE, re-sends
 * on 6Cxx, and writes an APDU trace at SCM_LOG_TRACE in which the data of
 * a command marked sensitive (a PIN) is masked.
 *
 * Deadlines: every call that waits for a card (connect, transmit,
 * reconnect, begin a transaction) ends within the context's deadline
 * (scm_rd_set_deadline, default SCM_RD_IO_TIMEOUT_MS per call) with
 * SCM_E_CARD_TIMEOUT. pcsc-lite cannot stop such a call, so it is left
 * behind on a thread of its own and the connection is dead from then on:
 * every later call on it gives the same error at once. Each connection
 * has its own PC/SC context, so one mute card blocks nothing else.
 *
 * Threading: a context is used by one thread at a time, except
 * scm_rd_cancel, which may be called from another thread. */
#ifndef SCMGR_READER_H
#define SCMGR_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scmgr/util.h"

#define SCM_RD_NAME_MAX 128
#define SCM_RD_ATR_MAX 33
#define SCM_RD_MAX 16 /* readers watched at once */

/* ---- Transport: what agents talk to -------------------------------------- */

struct scm_tx_ops {
    /* Exchange one raw APDU (no 61xx/6Cxx handling). *rlen holds the room
     * in r on entry and the response length (data + SW1 SW2) on return. */
    int (*transmit)(void *impl, const uint8_t *c, size_t clen, uint8_t *r, size_t *rlen);
    /* Exclusive access for a multi-APDU operation (may be NULL). */
    int (*begin)(void *impl);
    int (*end)(void *impl);
};

/* The last SELECT by AID in a transaction, with its answer (scm_iso_select_aid). */
struct scm_tx_select {
    bool valid;
    uint8_t aid[16];
    size_t aid_len;
    uint8_t p2;
    bool fci; /* resp holds the answer's data (the first caller wanted it) */
    uint8_t resp[258];
    size_t resp_len;
    uint16_t sw;
    unsigned long at;      /* tx->apdus right after it */
    unsigned long held_id; /* the transaction it was in */
};

struct scm_tx {
    const struct scm_tx_ops *ops;
    void *impl;
    bool extended;         /* the card accepts extended-length APDUs */
    unsigned long apdus;   /* raw APDUs exchanged so far (for benchmarks) */
    unsigned held;         /* scm_tx_begin depth */
    unsigned long held_id; /* outermost transactions begun so far */
    /* While the card is reserved nothing else can select on it: the same
     * SELECT again with no APDU in between (an agent's probe, then its
     * attach) is answered from here. */
    struct scm_tx_select sel;
};

/* One command APDU. le: 0 = no response data expected; otherwise the
 * number of bytes wanted, SCM_LE_MAX meaning "as many as the card has". */
#define SCM_LE_MAX 65536
struct scm_apdu {
    uint8_t cla, ins, p1, p2;
    const uint8_t *data;
    size_t lc;
    size_t le;
    bool sensitive; /* data is a PIN: masked in the trace */
    /* data longer than one short APDU may go as a command chain (CLA bit
     * 10, ISO 7816-4 5.3.3) when the card does not take extended length */
    bool chain;
};

/* Send a and collect the whole response: the data into resp (room cap,
 * length in *rlen) and the final status word into *sw. Returns SCM_OK
 * whenever the card answered (whatever the SW), a negative error when the
 * exchange itself failed. Uses extended length when tx->extended and the
 * command needs it, else a command chain when a->chain allows one (each
 * link but the last must answer 9000: another SW ends the chain and is
 * returned); SCM_E_LIMIT if it cannot be sent at all. */
int scm_tx_apdu(struct scm_tx *tx, const struct scm_apdu *a, uint8_t *resp, size_t cap,
                size_t *rlen, uint16_t *sw);
int scm_tx_begin(struct scm_tx *tx);
int scm_tx_end(struct scm_tx *tx);

/* ---- Readers ---------------------------------------------------------------- */

enum scm_rd_state {
    SCM_RD_EMPTY = 0,     /* no card */
    SCM_RD_PRESENT = 1,   /* a card, not in use */
    SCM_RD_INUSE = 2,     /* a card used by another program (shared) */
    SCM_RD_EXCLUSIVE = 3, /* a card locked by another program */
    SCM_RD_MUTE = 4,      /* a card that does not answer */
};

struct scm_rd_info {
    char name[SCM_RD_NAME_MAX];
    enum scm_rd_state state;
    uint8_t atr[SCM_RD_ATR_MAX];
    size_t atr_len;
    unsigned events; /* pcscd's insert/remove counter for the slot */
};

struct scm_rd_ctx;

/* Establish a PC/SC context. SCM_E_NO_SERVICE when pcscd is not running;
 * the context is still returned then, and every later call retries, so
 * callers recover by themselves when pcscd comes back. */
int scm_rd_open(struct scm_rd_ctx **out, struct scm_detail *d);
void scm_rd_close(struct scm_rd_ctx *ctx);

/* Snapshot of every reader with its card state, in pcscd's order. The
 * array belongs to the context and stays valid until the next call of
 * scm_rd_list or scm_rd_wait. n == 0 with SCM_OK: no reader. */
int scm_rd_list(struct scm_rd_ctx *ctx, const struct scm_rd_info **out, size_t *n,
                struct scm_detail *d);

/* Block until a reader appears or goes, a card is inserted or removed, or
 * pcscd goes or returns; at most timeout_ms (0: forever). Returns 1 for a
 * change (call scm_rd_list), 0 for a timeout, SCM_E_CANCELLED after
 * scm_rd_cancel, or an error. No busy polling: SCardGetStatusChange with
 * the PnP notification reader. */
int scm_rd_wait(struct scm_rd_ctx *ctx, unsigned timeout_ms, struct scm_detail *d);
void scm_rd_cancel(struct scm_rd_ctx *ctx);

/* The deadline of each card call made through ctx and its connections, in
 * ms; 0 restores the default. */
#define SCM_RD_IO_TIMEOUT_MS 30000u
void scm_rd_set_deadline(struct scm_rd_ctx *ctx, unsigned timeout_ms);
/* While a card call waits, hook(arg, waited_ms) is called about every
 * 100 ms on the waiting thread, with the time the call has taken so far
 * (the UI reads its keys and signals there); true cancels the call
 * (SCM_E_CANCELLED, the connection is dead as after a timeout). NULL
 * removes it. */
void scm_rd_set_hook(struct scm_rd_ctx *ctx, bool (*hook)(void *arg, unsigned waited_ms),
                     void *arg);

/* Resolve a reader spec: its index in the last scm_rd_list, or a part of
 * its name matching exactly one reader (SCM_E_AMBIGUOUS, SCM_E_NO_READER). */
int scm_rd_find(struct scm_rd_ctx *ctx, const char *spec, size_t *index, struct scm_detail *d);

/* ---- A connection to the card in one reader ------------------------------ */

struct scm_rd_conn;

/* Connect shared, T=0 or T=1. SCM_E_NO_CARD, SCM_E_CARD_BUSY, ... */
int scm_rd_connect(struct scm_rd_ctx *ctx, const char *reader, struct scm_rd_conn **out,
                   struct scm_detail *d);
/* Disconnect with SCARD_LEAVE_CARD. NULL is a no-op. */
void scm_rd_disconnect(struct scm_rd_conn *conn);
/* The transport for agents. Transactions nest: begin/end are counted. A
 * reset card is reconnected once transparently (outside a transaction);
 * a removed card gives SCM_E_CARD_REMOVED. */
struct scm_tx *scm_rd_tx(struct scm_rd_conn *conn);
const uint8_t *scm_rd_atr(const struct scm_rd_conn *conn, size_t *len);
const char *scm_rd_conn_reader(const struct scm_rd_conn *conn);
/* How often another program reset the card since connect (each one was
 * reconnected transparently, and each one ended the card's PIN status):
 * the smart card API compares it to know when a verified PIN is gone. */
unsigned scm_rd_conn_resets(const struct scm_rd_conn *conn);
/* After err from an operation on conn: when the connection died of a
 * missed deadline or a cancel, d gets the sentence naming the reader and
 * the deadline, and that error is returned; otherwise err, d untouched. */
int scm_rd_conn_why(const struct scm_rd_conn *conn, int err, struct scm_detail *d);

/* ---- Errors ---------------------------------------------------------------- */

/* A PC/SC return code (LONG) as a scm_err. */
int scm_rd_pcsc_err(long rv);
/* A status word that is an error as a scm_err; 0x9000 and 0x61xx → SCM_OK. */
int scm_sw_err(uint16_t sw);

#endif
