/* rigwait — the test rig's event waiter: blocks on pcscd's own events
 * (SCardGetStatusChange) instead of sleeping a guessed time.
 *
 *   rigwait list                      print the reader names, one a line
 *   rigwait readers N TIMEOUT_MS      until exactly N readers are listed
 *   rigwait present READER TIMEOUT_MS until a card is in READER
 *   rigwait empty READER TIMEOUT_MS   until READER has no card
 *   rigwait gone TIMEOUT_MS           until pcscd no longer answers
 *   rigwait apdu READER HEX...        send each APDU in one connection and
 *                                     print each response in hex (a probe
 *                                     for rig checks, not for the tests of
 *                                     the reader handler)
 *
 * READER is a full reader name or a part of exactly one. Exit status: 0
 * reached, 1 timeout or error (a line on stderr says which), 2 usage.
 * pcscd is found through PCSCLITE_CSOCK_NAME like any client. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

/* pcsc-lite's own spelling of the reader that reports reader changes. */
static const char pnp_reader[] = "\\\\?PnP?\\Notification";

/* Until pcscd's socket exists there is nothing to block on: retry the
 * connection at this interval (the only polling here, bounded by the
 * timeout). */
#define RW_RETRY_MS 10

struct rw {
    SCARDCONTEXT ctx;
    bool have_ctx;
    long deadline_ms; /* CLOCK_MONOTONIC */
    char names[4096]; /* multi-string from SCardListReaders */
    DWORD names_len;
};

static long rw_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long rw_left_ms(const struct rw *w)
{
    long left = w->deadline_ms - rw_now_ms();
    return left > 0 ? left : 0;
}

static void rw_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void rw_drop_ctx(struct rw *w)
{
    if (w->have_ctx)
        SCardReleaseContext(w->ctx);
    w->have_ctx = false;
}

/* A context, or false while pcscd is not (yet, or any more) there. */
static bool rw_ctx(struct rw *w)
{
    if (w->have_ctx && SCardIsValidContext(w->ctx) == SCARD_S_SUCCESS)
        return true;
    rw_drop_ctx(w);
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &w->ctx) != SCARD_S_SUCCESS)
        return false;
    w->have_ctx = true;
    return true;
}

/* Refresh the reader list; returns the count, -1 when pcscd is gone. */
static int rw_list(struct rw *w)
{
    if (!rw_ctx(w))
        return -1;
    w->names_len = sizeof(w->names);
    LONG rv = SCardListReaders(w->ctx, NULL, w->names, &w->names_len);
    if (rv == SCARD_E_NO_READERS_AVAILABLE) {
        w->names_len = 0;
        return 0;
    }
    if (rv != SCARD_S_SUCCESS) {
        rw_drop_ctx(w);
        return -1;
    }
    int n = 0;
    for (const char *p = w->names; *p; p += strlen(p) + 1)
        n++;
    return n;
}

/* Wait for a reader to come or go, or the timeout. When pcscd cannot
 * tell (no PnP support, or it is not there), pause briefly instead, so the
 * caller's re-list loop never spins. */
static void rw_wait_readers_change(struct rw *w)
{
    SCARD_READERSTATE rs = {.szReader = pnp_reader, .dwCurrentState = SCARD_STATE_UNAWARE};
    long left = rw_left_ms(w);
    if (!w->have_ctx) {
        rw_sleep_ms(left < RW_RETRY_MS ? left : RW_RETRY_MS);
        return;
    }
    /* The first call only learns the current reader count (UNAWARE). */
    LONG rv = SCardGetStatusChange(w->ctx, 0, &rs, 1);
    if (rv == SCARD_S_SUCCESS && !(rs.dwEventState & SCARD_STATE_UNKNOWN)) {
        rs.dwCurrentState = rs.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
        rv = SCardGetStatusChange(w->ctx, (DWORD)left, &rs, 1);
        if (rv == SCARD_S_SUCCESS || rv == SCARD_E_TIMEOUT)
            return;
    }
    /* No PnP support or pcscd went away: a short pause, then re-list. */
    rw_sleep_ms(left < RW_RETRY_MS ? left : RW_RETRY_MS);
}

/* The one listed reader named spec, or containing it; NULL if none or
 * several. */
static const char *rw_match(const struct rw *w, const char *spec)
{
    const char *found = NULL;
    int hits = 0;
    for (const char *p = w->names; w->names_len && *p; p += strlen(p) + 1) {
        if (strcmp(p, spec) == 0)
            return p;
        if (strstr(p, spec)) {
            found = p;
            hits++;
        }
    }
    return hits == 1 ? found : NULL;
}

static int cmd_list(struct rw *w)
{
    int n = rw_list(w);
    if (n < 0) {
        fprintf(stderr, "rigwait: pcscd is not running\n");
        return 1;
    }
    for (const char *p = w->names; n > 0 && *p; p += strlen(p) + 1)
        puts(p);
    return 0;
}

static int cmd_readers(struct rw *w, int want)
{
    int n;
    while ((n = rw_list(w)) != want) {
        if (rw_left_ms(w) == 0) {
            fprintf(stderr, "rigwait: %d reader(s) listed, %d wanted\n", n < 0 ? 0 : n, want);
            return 1;
        }
        rw_wait_readers_change(w);
    }
    return 0;
}

static int cmd_card(struct rw *w, const char *spec, bool want_present)
{
    const char *what = want_present ? "present" : "empty";
    for (;;) {
        const char *name = rw_list(w) > 0 ? rw_match(w, spec) : NULL;
        if (!name) {
            if (rw_left_ms(w) == 0) {
                fprintf(stderr, "rigwait: no single reader matches '%s'\n", spec);
                return 1;
            }
            rw_wait_readers_change(w);
            continue;
        }
        SCARD_READERSTATE rs = {.szReader = name, .dwCurrentState = SCARD_STATE_UNAWARE};
        LONG rv = SCardGetStatusChange(w->ctx, 0, &rs, 1);
        while (rv == SCARD_S_SUCCESS) {
            DWORD st = rs.dwEventState;
            bool present = (st & SCARD_STATE_PRESENT) && !(st & SCARD_STATE_MUTE);
            if ((st & SCARD_STATE_EMPTY) && !want_present)
                return 0;
            if (present && want_present)
                return 0;
            long left = rw_left_ms(w);
            if (left == 0)
                break;
            rs.dwCurrentState = st & ~(DWORD)SCARD_STATE_CHANGED;
            rv = SCardGetStatusChange(w->ctx, (DWORD)left, &rs, 1);
        }
        if (rw_left_ms(w) == 0) {
            fprintf(stderr, "rigwait: '%s' not %s in time (state 0x%lx)\n", name, what,
                    (unsigned long)rs.dwEventState);
            return 1;
        }
        /* The reader went away or pcscd restarted: start over. */
        rw_drop_ctx(w);
    }
}

static int cmd_gone(struct rw *w)
{
    while (rw_list(w) >= 0) {
        if (rw_left_ms(w) == 0) {
            fprintf(stderr, "rigwait: pcscd still answers\n");
            return 1;
        }
        /* Waiting on the PnP reader ends with an error when pcscd dies. */
        rw_wait_readers_change(w);
    }
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int cmd_apdu(struct rw *w, const char *spec, char **hex, int n)
{
    SCARDHANDLE h;
    DWORD proto;
    const char *name = rw_list(w) > 0 ? rw_match(w, spec) : NULL;
    if (!name) {
        fprintf(stderr, "rigwait: no single reader matches '%s'\n", spec);
        return 1;
    }
    LONG rv = SCardConnect(w->ctx, name, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                           &h, &proto);
    if (rv != SCARD_S_SUCCESS) {
        fprintf(stderr, "rigwait: connect: %s\n", pcsc_stringify_error(rv));
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        uint8_t c[512], r[65538];
        size_t clen = 0;
        for (const char *p = hex[i]; p[0] && p[1] && clen < sizeof(c); p += 2) {
            int hi = hexval(p[0]), lo = hexval(p[1]);
            if (hi < 0 || lo < 0)
                break;
            c[clen++] = (uint8_t)(hi << 4 | lo);
        }
        DWORD rlen = sizeof(r);
        const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
        rv = SCardTransmit(h, pci, c, (DWORD)clen, NULL, r, &rlen);
        if (rv != SCARD_S_SUCCESS) {
            fprintf(stderr, "rigwait: transmit: %s\n", pcsc_stringify_error(rv));
            rc = 1;
            break;
        }
        for (DWORD k = 0; k < rlen; k++)
            printf("%02X", r[k]);
        putchar('\n');
    }
    SCardDisconnect(h, SCARD_LEAVE_CARD);
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: rigwait list | readers N MS | present READER MS | empty READER MS"
                    " | gone MS | apdu READER HEX...\n");
    return 2;
}

static bool parse_ms(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < 0)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    struct rw w = {0};
    long ms = 0, n = 0;
    int rc;

    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        rc = cmd_list(&w);
    } else if (argc == 4 && strcmp(argv[1], "readers") == 0 && parse_ms(argv[2], &n) &&
               parse_ms(argv[3], &ms)) {
        w.deadline_ms = rw_now_ms() + ms;
        rc = cmd_readers(&w, (int)n);
    } else if (argc == 4 && (strcmp(argv[1], "present") == 0 || strcmp(argv[1], "empty") == 0) &&
               parse_ms(argv[3], &ms)) {
        w.deadline_ms = rw_now_ms() + ms;
        rc = cmd_card(&w, argv[2], argv[1][0] == 'p');
    } else if (argc == 3 && strcmp(argv[1], "gone") == 0 && parse_ms(argv[2], &ms)) {
        w.deadline_ms = rw_now_ms() + ms;
        rc = cmd_gone(&w);
    } else if (argc >= 4 && strcmp(argv[1], "apdu") == 0) {
        rc = cmd_apdu(&w, argv[2], argv + 3, argc - 3);
    } else {
        return usage();
    }
    rw_drop_ctx(&w);
    return rc;
}
