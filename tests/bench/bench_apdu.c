/* Benchmark, not a test: what the deadline's worker thread (src/reader/
 * pcsc_call.c) adds to each APDU. The same SELECT MF goes to the rig's card
 * in reader 0 through scmgr's transport (the worker, the caller waiting on a
 * condition variable) and straight through SCardTransmit on the caller's
 * thread, in alternating rounds so that the load of the machine hits both
 * alike. Prints figures, asserts nothing but that the card answered.
 * Run by run-under-rig.sh: meson test -C build-test --benchmark --verbose
 * bench_apdu. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <winscard.h>

#include "scmgr/reader.h"

#define ROUNDS 9
#define PER_ROUND 300

static const uint8_t select_mf[] = {0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00};

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Microseconds per APDU of one round through scmgr's transport. */
static double round_worker(struct scm_rd_conn *conn)
{
    struct scm_tx *t = scm_rd_tx(conn);
    double t0 = now_us();
    for (int i = 0; i < PER_ROUND; i++) {
        uint8_t r[258];
        size_t rlen = sizeof(r);
        if (t->ops->transmit(t->impl, select_mf, sizeof(select_mf), r, &rlen) != SCM_OK) {
            fprintf(stderr, "bench_apdu: the transport failed\n");
            exit(1);
        }
    }
    return (now_us() - t0) / PER_ROUND;
}

static void round_worker_one(struct scm_rd_conn *conn)
{
    struct scm_tx *t = scm_rd_tx(conn);
    uint8_t r[258];
    size_t rlen = sizeof(r);
    if (t->ops->transmit(t->impl, select_mf, sizeof(select_mf), r, &rlen) != SCM_OK) {
        fprintf(stderr, "bench_apdu: the transport failed\n");
        exit(1);
    }
}

/* The same through SCardTransmit on this thread: no deadline. */
static double round_direct(SCARDHANDLE h, const SCARD_IO_REQUEST *pci)
{
    double t0 = now_us();
    for (int i = 0; i < PER_ROUND; i++) {
        BYTE r[258];
        DWORD rlen = sizeof(r);
        if (SCardTransmit(h, pci, select_mf, sizeof(select_mf), NULL, r, &rlen) !=
            SCARD_S_SUCCESS) {
            fprintf(stderr, "bench_apdu: SCardTransmit failed\n");
            exit(1);
        }
    }
    return (now_us() - t0) / PER_ROUND;
}

/* Microseconds per connect and close of one round: scmgr's (its own
 * context and a worker per connection) and the plain PC/SC calls. */
#define CONNECTS 20
static double round_connect(struct scm_rd_ctx *ctx, const char *reader)
{
    double t0 = now_us();
    for (int i = 0; i < CONNECTS; i++) {
        struct scm_rd_conn *conn;
        struct scm_detail d = {{0}};
        if (scm_rd_connect(ctx, reader, &conn, &d) != SCM_OK) {
            fprintf(stderr, "bench_apdu: %s\n", d.text);
            exit(1);
        }
        round_worker_one(conn);
        scm_rd_disconnect(conn);
    }
    return (now_us() - t0) / CONNECTS;
}

static double round_connect_direct(SCARDCONTEXT hctx, const char *reader)
{
    double t0 = now_us();
    for (int i = 0; i < CONNECTS; i++) {
        SCARDHANDLE h;
        DWORD proto;
        BYTE r[258];
        DWORD rlen = sizeof(r);
        if (SCardConnect(hctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                         &h, &proto) != SCARD_S_SUCCESS ||
            SCardTransmit(h, proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1, select_mf,
                          sizeof(select_mf), NULL, r, &rlen) != SCARD_S_SUCCESS) {
            fprintf(stderr, "bench_apdu: SCardConnect failed\n");
            exit(1);
        }
        SCardDisconnect(h, SCARD_LEAVE_CARD);
    }
    return (now_us() - t0) / CONNECTS;
}

int main(void)
{
    const char *reader = getenv("RIG_READER_0");
    struct scm_rd_ctx *ctx;
    struct scm_rd_conn *conn;
    struct scm_detail d = {{0}};
    SCARDCONTEXT hctx;
    SCARDHANDLE h;
    DWORD proto;
    double worker[ROUNDS], direct[ROUNDS], diff[ROUNDS];
    if (!reader) {
        fprintf(stderr, "bench_apdu runs under the rig: use run-under-rig.sh\n");
        return 1;
    }
    if (scm_rd_open(&ctx, &d) != SCM_OK || scm_rd_connect(ctx, reader, &conn, &d) != SCM_OK) {
        fprintf(stderr, "bench_apdu: %s\n", d.text);
        return 1;
    }
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &hctx) != SCARD_S_SUCCESS ||
        SCardConnect(hctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                     &h, &proto) != SCARD_S_SUCCESS) {
        fprintf(stderr, "bench_apdu: no direct connection\n");
        return 1;
    }
    const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    round_worker(conn); /* warm up both paths (the worker is made here) */
    round_direct(h, pci);
    for (int i = 0; i < ROUNDS; i++) {
        worker[i] = round_worker(conn);
        direct[i] = round_direct(h, pci);
        diff[i] = worker[i] - direct[i];
    }
    double cw[ROUNDS], cd[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        cw[i] = round_connect(ctx, reader);
        cd[i] = round_connect_direct(hctx, reader);
    }
    qsort(cw, ROUNDS, sizeof(double), by_value);
    qsort(cd, ROUNDS, sizeof(double), by_value);
    qsort(worker, ROUNDS, sizeof(double), by_value);
    qsort(direct, ROUNDS, sizeof(double), by_value);
    qsort(diff, ROUNDS, sizeof(double), by_value);
    printf("SELECT MF, %d rounds of %d APDUs, microseconds per APDU (median, min-max):\n", ROUNDS,
           PER_ROUND);
    printf("  through the worker (deadline)  %7.1f  (%.1f-%.1f)\n", worker[ROUNDS / 2], worker[0],
           worker[ROUNDS - 1]);
    printf("  SCardTransmit on the caller    %7.1f  (%.1f-%.1f)\n", direct[ROUNDS / 2], direct[0],
           direct[ROUNDS - 1]);
    printf("  the worker's cost per APDU     %7.1f  (%.1f-%.1f, per round)\n", diff[ROUNDS / 2],
           diff[0], diff[ROUNDS - 1]);
    printf("connect, one SELECT MF, close; %d rounds of %d, microseconds (median, min-max):\n",
           ROUNDS, CONNECTS);
    printf("  scm_rd_connect/disconnect      %7.1f  (%.1f-%.1f)\n", cw[ROUNDS / 2], cw[0],
           cw[ROUNDS - 1]);
    printf("  SCardConnect/Disconnect        %7.1f  (%.1f-%.1f)\n", cd[ROUNDS / 2], cd[0],
           cd[ROUNDS - 1]);
    SCardDisconnect(h, SCARD_LEAVE_CARD);
    SCardReleaseContext(hctx);
    scm_rd_disconnect(conn);
    scm_rd_close(ctx);
    return 0;
}
