/* A PC/SC call that talks to a card, run under a deadline.
 *
 * Why a worker thread: pcsc-lite (measured with 1.9.9 and vpcd) has no way
 * to end an SCardTransmit or SCardConnect that waits for a card that does
 * not answer. SCardCancel returns success and the transmit goes on;
 * SCardDisconnect and SCardReleaseContext from another thread block on the
 * context's lock the transmit holds; neither vpcd nor pcscd gives up by
 * itself. So the call runs on its own thread and the caller waits for it
 * with a timeout. A call that misses its deadline is left behind with
 * everything it uses (its own copy of the buffers, the connection's own
 * PC/SC context): when it ends at last (the card is pulled out, pcscd
 * stops), the thread releases them; if it never ends, the process exit
 * does.
 *
 * What runs without the worker, on the caller's thread: SCardStatus,
 * SCardEndTransaction, and SCardDisconnect/SCardReleaseContext of a live
 * connection. pcscd answers them from its own state without the reader's
 * lock (1.9.9: SCardDisconnect takes it only when the reader's last handle
 * goes, and a stuck call keeps its own handle), and the connection's
 * context is not locked by a call of ours: when one is left behind, the
 * connection is dead and makes no more calls. tests/rig/test_deadline.c
 * (t_close_beside_stuck) closes connections next to a stuck call. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pcsc_int.h"

/* While a progress hook is set the caller looks at it this often, so a key
 * or a signal is seen within a tenth of a second. */
#define HOOK_SLICE_MS 100

/* One thread per connection, made at its first call and kept: a thread per
 * APDU doubled the time of a backup with short APDUs on a loaded machine.
 * The caller hands it one call at a time and waits. */
struct scm_rd__worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t posted, finished;
    LONG (*fn)(void *arg);
    void (*orphan)(void *arg);
    void *arg;
    LONG rv;
    bool busy;      /* a call was posted and has not returned */
    bool stop;      /* scm_rd__worker_end: leave when idle */
    bool abandoned; /* the caller left: finish the call, orphan, free all */
};

static void worker_free(struct scm_rd__worker *w)
{
    pthread_cond_destroy(&w->finished);
    pthread_cond_destroy(&w->posted);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

static void *worker_run(void *p)
{
    struct scm_rd__worker *w = p;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->busy && !w->stop)
            pthread_cond_wait(&w->posted, &w->mu);
        if (!w->busy)
            break; /* stop */
        pthread_mutex_unlock(&w->mu);
        LONG rv = w->fn(w->arg);
        pthread_mutex_lock(&w->mu);
        w->rv = rv;
        w->busy = false;
        if (w->abandoned)
            break;
        pthread_cond_signal(&w->finished);
    }
    bool orphaned = w->abandoned;
    pthread_mutex_unlock(&w->mu);
    if (orphaned) {
        /* Nobody else knows w any more (the caller detached us). */
        w->orphan(w->arg);
        worker_free(w);
    }
    return NULL;
}

static struct scm_rd__worker *worker_new(void)
{
    pthread_condattr_t ca;
    struct scm_rd__worker *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->finished, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&w->posted, NULL);
    int rc = pthread_create(&w->thread, NULL, worker_run, w);
    if (rc != 0) {
        scm_log(SCM_LOG_ERROR, "pcsc: no thread for card calls (%d)", rc);
        worker_free(w);
        return NULL;
    }
    return w;
}

void scm_rd__worker_end(struct scm_rd__worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->posted);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    worker_free(w);
}

static struct timespec at_ms(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int scm_rd__call(struct scm_rd_ctx *ctx, struct scm_rd__worker **wp, LONG (*fn)(void *),
                 void (*orphan)(void *), void *arg, LONG *rv)
{
    int err = SCM_OK;
    /* Without a thread there is no deadline: refuse rather than risk a
     * hang. The caller still owns arg. */
    if (!*wp && !(*wp = worker_new()))
        return SCM_E_NOMEM;
    struct scm_rd__worker *w = *wp;

    struct timespec start = at_ms(0);
    struct timespec deadline = at_ms((long)ctx->io_timeout_ms);
    pthread_mutex_lock(&w->mu);
    w->fn = fn;
    w->orphan = orphan;
    w->arg = arg;
    w->busy = true;
    pthread_cond_signal(&w->posted);
    while (w->busy) {
        struct timespec until = deadline;
        if (ctx->hook) {
            struct timespec slice = at_ms(HOOK_SLICE_MS);
            if (before(&slice, &deadline))
                until = slice;
        }
        int r = pthread_cond_timedwait(&w->finished, &w->mu, &until);
        if (!w->busy)
            break;
        if (r == ETIMEDOUT) {
            struct timespec now = at_ms(0);
            if (!before(&now, &deadline)) {
                err = SCM_E_CARD_TIMEOUT;
                break;
            }
        }
        if (ctx->hook) {
            /* The hook may draw or read keys: not under the lock. */
            pthread_mutex_unlock(&w->mu);
            struct timespec now = at_ms(0);
            long waited =
                (now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L;
            bool stop = ctx->hook(ctx->hook_arg, (unsigned)waited);
            pthread_mutex_lock(&w->mu);
            if (stop && w->busy) {
                err = SCM_E_CANCELLED;
                break;
            }
        }
    }
    if (err == SCM_OK) {
        *rv = w->rv;
        pthread_mutex_unlock(&w->mu);
        return SCM_OK;
    }
    /* Left behind: arg and the thread are on their own now. */
    w->abandoned = true;
    pthread_detach(w->thread);
    pthread_mutex_unlock(&w->mu);
    *wp = NULL;
    if (err == SCM_E_CARD_TIMEOUT)
        scm_log(SCM_LOG_WARN, "pcsc: a card call did not end within %u ms; left behind",
                ctx->io_timeout_ms);
    else
        scm_log(SCM_LOG_INFO, "pcsc: a card call was cancelled; left behind");
    return err;
}

int scm_rd__late(struct scm_detail *d, int err, const struct scm_rd_ctx *ctx, const char *reader)
{
    char clean[SCM_RD_NAME_MAX * 4];
    scm_sanitize(reader, strlen(reader), clean, sizeof(clean));
    if (err == SCM_E_CANCELLED)
        return scm_fail(d, err, "The command on the card in '%s' was cancelled.", clean);
    unsigned ms = ctx->io_timeout_ms;
    if (ms % 1000 == 0)
        return scm_fail(d, err,
                        "The card in '%s' did not answer within %u s; the command was cancelled.",
                        clean, ms / 1000);
    return scm_fail(d, err,
                    "The card in '%s' did not answer within %u ms; the command was cancelled.",
                    clean, ms);
}

void scm_rd_set_deadline(struct scm_rd_ctx *ctx, unsigned timeout_ms)
{
    ctx->io_timeout_ms = timeout_ms ? timeout_ms : SCM_RD_IO_TIMEOUT_MS;
}

void scm_rd_set_hook(struct scm_rd_ctx *ctx, bool (*hook)(void *arg, unsigned waited_ms), void *arg)
{
    ctx->hook = hook;
    ctx->hook_arg = arg;
}
