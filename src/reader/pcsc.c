/* The PC/SC context: readers, their card states and card events.
 *
 * pcscd may be absent, stop or restart at any time. A call that finds the
 * context dead releases it and (once) establishes a new one, so a caller
 * holding a scm_rd_ctx never has to make a new one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pcsc_int.h"

const char scm_rd__pnp_name[] = "\\\\?PnP?\\Notification";

/* While pcscd is absent there is no event to block on: scm_rd_wait tries
 * to reach it again at this interval, checking for a cancel in between. */
#define NO_SERVICE_RETRY_MS 250
#define CANCEL_CHECK_MS 50
/* Without PnP notification (old pcscd), reader changes are found by
 * listing again at this interval. */
#define NO_PNP_RELIST_MS 1000

int scm_rd__ctx_ensure(struct scm_rd_ctx *ctx, struct scm_detail *d)
{
    if (ctx->valid)
        return SCM_OK;
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx->h);
    if (rv != SCARD_S_SUCCESS)
        return scm_rd__fail(d, rv, "SCardEstablishContext", NULL);
    ctx->valid = true;
    ctx->listed = false;
    atomic_store(&ctx->live, ctx->h);
    return SCM_OK;
}

void scm_rd__ctx_drop(struct scm_rd_ctx *ctx)
{
    if (!ctx->valid)
        return;
    atomic_store(&ctx->live, 0);
    SCardReleaseContext(ctx->h);
    ctx->valid = false;
    ctx->listed = false;
}

int scm_rd_open(struct scm_rd_ctx **out, struct scm_detail *d)
{
    struct scm_rd_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return SCM_E_NOMEM;
    atomic_init(&ctx->live, 0);
    atomic_init(&ctx->cancelled, false);
    *out = ctx;
    /* Returned even without pcscd: the next call tries again. */
    return scm_rd__ctx_ensure(ctx, d);
}

void scm_rd_close(struct scm_rd_ctx *ctx)
{
    if (!ctx)
        return;
    scm_rd__ctx_drop(ctx);
    free(ctx);
}

static enum scm_rd_state rd_state(DWORD st)
{
    if (!(st & SCARD_STATE_PRESENT))
        return SCM_RD_EMPTY;
    if (st & SCARD_STATE_MUTE)
        return SCM_RD_MUTE;
    if (st & SCARD_STATE_EXCLUSIVE)
        return SCM_RD_EXCLUSIVE;
    if (st & SCARD_STATE_INUSE)
        return SCM_RD_INUSE;
    return SCM_RD_PRESENT;
}

/* One pass: the names, then every reader's state and the PnP reader's in
 * one SCardGetStatusChange (timeout 0, UNAWARE: it answers at once). */
static LONG list_once(struct scm_rd_ctx *ctx, const char **failed)
{
    char *names = NULL;
    DWORD len = SCARD_AUTOALLOCATE;
    SCARD_READERSTATE rs[SCM_RD_MAX + 1];
    size_t n = 0;

    ctx->n = 0;
    ctx->listed = false;
    *failed = "SCardListReaders";
    LONG rv = SCardListReaders(ctx->h, NULL, (LPSTR)&names, &len);
    if (rv == SCARD_E_NO_READERS_AVAILABLE) {
        rv = SCARD_S_SUCCESS;
    } else if (rv != SCARD_S_SUCCESS) {
        return rv;
    } else {
        for (const char *p = names; *p && n < SCM_RD_MAX; p += strlen(p) + 1) {
            rs[n] = (SCARD_READERSTATE){.szReader = p, .dwCurrentState = SCARD_STATE_UNAWARE};
            n++;
        }
    }
    rs[n] =
        (SCARD_READERSTATE){.szReader = scm_rd__pnp_name, .dwCurrentState = SCARD_STATE_UNAWARE};
    *failed = "SCardGetStatusChange";
    rv = SCardGetStatusChange(ctx->h, 0, rs, (DWORD)n + 1);
    if (rv == SCARD_S_SUCCESS) {
        for (size_t i = 0; i < n; i++) {
            struct scm_rd_info *inf = &ctx->info[i];
            DWORD st = rs[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
            memset(inf, 0, sizeof(*inf));
            strncpy(inf->name, rs[i].szReader, sizeof(inf->name) - 1);
            inf->state = rd_state(st);
            inf->events = (unsigned)(st >> 16);
            if (inf->state != SCM_RD_EMPTY) {
                inf->atr_len = rs[i].cbAtr < SCM_RD_ATR_MAX ? rs[i].cbAtr : SCM_RD_ATR_MAX;
                memcpy(inf->atr, rs[i].rgbAtr, inf->atr_len);
            }
            ctx->raw[i] = st;
        }
        ctx->pnp = !(rs[n].dwEventState & SCARD_STATE_UNKNOWN);
        ctx->pnp_raw = rs[n].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
        ctx->n = n;
        ctx->listed = true;
    }
    if (names)
        SCardFreeMemory(ctx->h, names);
    return rv;
}

int scm_rd_list(struct scm_rd_ctx *ctx, const struct scm_rd_info **out, size_t *n,
                struct scm_detail *d)
{
    *out = ctx->info;
    *n = 0;
    /* Up to 3 tries: pcscd restarted since the last call (dead context),
     * or a reader went away between the list and its state. */
    for (int tries = 0;; tries++) {
        int rc = scm_rd__ctx_ensure(ctx, d);
        if (rc < 0)
            return rc;
        const char *call;
        LONG rv = list_once(ctx, &call);
        if (rv == SCARD_S_SUCCESS) {
            *n = ctx->n;
            return SCM_OK;
        }
        if (scm_rd__service_lost(rv))
            scm_rd__ctx_drop(ctx);
        if (tries == 2 || (!scm_rd__service_lost(rv) && rv != SCARD_E_UNKNOWN_READER))
            return scm_rd__fail(d, rv, call, NULL);
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool take_cancel(struct scm_rd_ctx *ctx)
{
    return atomic_exchange(&ctx->cancelled, false);
}

/* pcscd is absent: try to reach it every NO_SERVICE_RETRY_MS until the
 * deadline (-1: none). 1 when it is back, 0 on timeout. */
static int wait_for_service(struct scm_rd_ctx *ctx, long deadline)
{
    long next = now_ms();
    for (;;) {
        if (take_cancel(ctx))
            return SCM_E_CANCELLED;
        long t = now_ms();
        if (t >= next) {
            if (scm_rd__ctx_ensure(ctx, NULL) == SCM_OK)
                return 1;
            next = t + NO_SERVICE_RETRY_MS;
        }
        if (deadline >= 0 && t >= deadline)
            return 0;
        long slice = CANCEL_CHECK_MS;
        if (deadline >= 0 && deadline - t < slice)
            slice = deadline - t;
        sleep_ms(slice);
    }
}

int scm_rd_wait(struct scm_rd_ctx *ctx, unsigned timeout_ms, struct scm_detail *d)
{
    long deadline = timeout_ms ? now_ms() + (long)timeout_ms : -1;
    if (take_cancel(ctx))
        return SCM_E_CANCELLED;
    if (!ctx->valid)
        return wait_for_service(ctx, deadline);
    if (!ctx->listed) {
        /* The caller has not seen this context's readers yet: that is the
         * change to report. */
        return 1;
    }

    SCARD_READERSTATE rs[SCM_RD_MAX + 1];
    size_t n = ctx->n;
    for (size_t i = 0; i < n; i++)
        rs[i] = (SCARD_READERSTATE){.szReader = ctx->info[i].name, .dwCurrentState = ctx->raw[i]};
    DWORD count = (DWORD)n;
    DWORD tmo = timeout_ms ? (DWORD)timeout_ms : INFINITE;
    if (ctx->pnp) {
        rs[count++] =
            (SCARD_READERSTATE){.szReader = scm_rd__pnp_name, .dwCurrentState = ctx->pnp_raw};
    } else if (tmo == INFINITE || tmo > NO_PNP_RELIST_MS) {
        tmo = NO_PNP_RELIST_MS; /* then report a change: the caller lists again */
    }
    if (count == 0) {
        /* No reader and no PnP: nothing to block on but time. */
        sleep_ms(tmo);
        return 1;
    }
    LONG rv = SCardGetStatusChange(ctx->h, tmo, rs, count);
    if (rv == SCARD_S_SUCCESS || rv == SCARD_E_UNKNOWN_READER)
        return 1;
    if (rv == SCARD_E_TIMEOUT) {
        if (!ctx->pnp && (deadline < 0 || now_ms() < deadline))
            return 1;
        return 0;
    }
    if (rv == SCARD_E_CANCELLED) {
        take_cancel(ctx);
        return SCM_E_CANCELLED;
    }
    if (scm_rd__service_lost(rv)) {
        /* pcscd went away: a change; the next list says SCM_E_NO_SERVICE. */
        scm_rd__fail(NULL, rv, "SCardGetStatusChange", NULL);
        scm_rd__ctx_drop(ctx);
        return 1;
    }
    return scm_rd__fail(d, rv, "SCardGetStatusChange", NULL);
}

void scm_rd_cancel(struct scm_rd_ctx *ctx)
{
    atomic_store(&ctx->cancelled, true);
    SCARDCONTEXT h = atomic_load(&ctx->live);
    if (h)
        SCardCancel(h);
}

/* ---- reader specs ------------------------------------------------------ */

static void list_names(const struct scm_rd_ctx *ctx, const bool *pick, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < ctx->n; i++) {
        if (pick && !pick[i])
            continue;
        int w =
            snprintf(out + used, cap - used, "%s%zu '%s'", used ? ", " : "", i, ctx->info[i].name);
        if (w < 0 || (size_t)w >= cap - used) {
            /* Cut on a whole entry, with a mark that there were more. */
            out[used] = 0;
            if (used + 5 < cap)
                strcat(out, ", ...");
            return;
        }
        used += (size_t)w;
    }
}

int scm_rd_find(struct scm_rd_ctx *ctx, const char *spec, size_t *index, struct scm_detail *d)
{
    char names[SCM_DETAIL_MAX - 96];
    /* Details hold text as given (every output sanitises it); a long spec
     * is cut so that the reader names still fit. */
    char shown[64];
    snprintf(shown, sizeof(shown), "%s", spec);
    if (ctx->n == 0)
        return scm_fail(d, SCM_E_NO_READER, "No smart card reader is connected.");

    size_t sl = strspn(spec, "0123456789");
    if (sl > 0 && spec[sl] == 0) {
        unsigned long v = strtoul(spec, NULL, 10);
        if (sl < 6 && v < ctx->n) {
            *index = (size_t)v;
            return SCM_OK;
        }
        list_names(ctx, NULL, names, sizeof(names));
        return scm_fail(d, SCM_E_NO_READER, "There is no reader number %s. The readers are: %s.",
                        shown, names);
    }

    bool pick[SCM_RD_MAX] = {0};
    size_t hits = 0, hit = 0;
    for (size_t i = 0; i < ctx->n; i++) {
        if (strcasecmp(ctx->info[i].name, spec) == 0) {
            *index = i; /* a whole name wins over parts of others */
            return SCM_OK;
        }
        if (*spec && strcasestr(ctx->info[i].name, spec)) {
            pick[i] = true;
            hit = i;
            hits++;
        }
    }
    if (hits == 1) {
        *index = hit;
        return SCM_OK;
    }
    if (hits == 0) {
        list_names(ctx, NULL, names, sizeof(names));
        return scm_fail(d, SCM_E_NO_READER, "No reader name contains '%s'. The readers are: %s.",
                        shown, names);
    }
    list_names(ctx, pick, names, sizeof(names));
    return scm_fail(d, SCM_E_AMBIGUOUS,
                    "'%s' matches %zu readers: %s. Give more of the name or the number.", shown,
                    hits, names);
}
