/* Internals shared by the PC/SC files of the reader handler (pcsc.c,
 * pcsc_conn.c, pcsc_err.c, atr.c). Not a public header. */
#ifndef SCMGR_READER_PCSC_INT_H
#define SCMGR_READER_PCSC_INT_H

#include <stdatomic.h>
#include <stdbool.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "scmgr/reader.h"

struct scm_rd_ctx {
    SCARDCONTEXT h;
    bool valid; /* h is established; false after pcscd went away */
    /* The handle scm_rd_cancel may use from another thread (0: none) and
     * a cancel that arrived while no call was blocked. */
    _Atomic SCARDCONTEXT live;
    atomic_bool cancelled;

    /* The last scm_rd_list: what callers see, and pcscd's raw states
     * (the "current state" that scm_rd_wait hands back to pcscd). */
    struct scm_rd_info info[SCM_RD_MAX];
    DWORD raw[SCM_RD_MAX];
    size_t n;
    bool pnp;      /* pcscd supports the PnP notification reader */
    DWORD pnp_raw; /* its state at the last list */
    bool listed;   /* info/raw/pnp_raw describe the current context */

    /* Card calls (scm_rd__call): their deadline, and what the caller
     * looks at while it waits (scm_rd_set_hook). */
    unsigned io_timeout_ms;
    bool (*hook)(void *arg, unsigned waited_ms);
    void *hook_arg;
};

/* The PnP pseudo-reader: its state changes when a reader comes or goes. */
extern const char scm_rd__pnp_name[];

/* An established context, re-established when it was lost.
 * SCM_E_NO_SERVICE (with a detail) when pcscd is not running. */
int scm_rd__ctx_ensure(struct scm_rd_ctx *ctx, struct scm_detail *d);
/* Release the context after pcscd went away: the next call re-establishes. */
void scm_rd__ctx_drop(struct scm_rd_ctx *ctx);

/* The return code means pcscd is gone or was restarted: the context (and
 * every handle from it) is dead. */
bool scm_rd__service_lost(LONG rv);

/* Map rv, log the failed call (function, reader) at SCM_LOG_DEBUG and fill
 * d with a sentence naming the reader; returns the scm_err. */
int scm_rd__fail(struct scm_detail *d, LONG rv, const char *call, const char *reader);

/* The thread a connection's card calls run on (pcsc_call.c). */
struct scm_rd__worker;

/* Run fn(arg) on the worker *w (made when *w is NULL) and wait for it
 * until the context's deadline, asking its hook in between. SCM_OK: fn
 * returned *rv, arg is the caller's again. SCM_E_CARD_TIMEOUT, or
 * SCM_E_CANCELLED when the hook asked: fn is still blocked; arg and the
 * thread belong to themselves (*w is NULL again), and orphan(arg) (release
 * what arg holds, free it) runs if fn ever returns. SCM_E_NOMEM: fn did
 * not run. */
int scm_rd__call(struct scm_rd_ctx *ctx, struct scm_rd__worker **w, LONG (*fn)(void *),
                 void (*orphan)(void *), void *arg, LONG *rv);
/* Stop an idle worker and wait for it. NULL is a no-op. */
void scm_rd__worker_end(struct scm_rd__worker *w);
/* The sentence for a card call that ended so (SCM_E_CARD_TIMEOUT or
 * SCM_E_CANCELLED), naming the reader; returns err. */
int scm_rd__late(struct scm_detail *d, int err, const struct scm_rd_ctx *ctx, const char *reader);

/* Does the ATR announce extended Lc/Le (historical bytes, card
 * capabilities, third software function table, bit 0x40)? */
bool scm_rd__atr_extended(const uint8_t *atr, size_t len);

#endif
