/* The reader handler against a real pcscd, vpcd and emulated cards (the
 * rig). Run by run-under-rig.sh, which brings the rig up with a card in both
 * slots; the steps below change the rig through `rig.sh COMMAND` (which
 * returns once pcscd has seen the change) and check what scmgr sees.
 * The steps depend on each other and run in order. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <winscard.h>

#include "rigfix.h"
#include "scmgr/reader.h"

/* vicc -t iso7816: T=1, card capabilities without extended length. */
static const uint8_t vicc_atr[] = {0x3B, 0x95, 0x13, 0x81, 0x01, 0x80,
                                   0x73, 0xFF, 0x01, 0x00, 0x0B};

static const struct scm_rd_info *list_ok(struct rigfix *t, size_t want)
{
    const struct scm_rd_info *inf;
    size_t n;
    struct scm_detail d = {{0}};
    int rc = scm_rd_list(t->ctx, &inf, &n, &d);
    if (rc != SCM_OK)
        print_error("scm_rd_list: %d %s\n", rc, d.text);
    assert_int_equal(rc, SCM_OK);
    assert_int_equal(n, want);
    return inf;
}

static void t_list(void **state)
{
    struct rigfix *t = *state;
    const struct scm_rd_info *inf = list_ok(t, 2);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(inf[i].name, t->reader[i]);
        assert_int_equal(inf[i].state, SCM_RD_PRESENT);
        assert_memory_equal(inf[i].atr, vicc_atr, sizeof(vicc_atr));
        assert_int_equal(inf[i].atr_len, sizeof(vicc_atr));
    }
}

static void t_find(void **state)
{
    struct rigfix *t = *state;
    struct scm_detail d = {{0}};
    size_t i = 99;
    assert_int_equal(scm_rd_find(t->ctx, "1", &i, &d), SCM_OK);
    assert_int_equal(i, 1);
    /* The rig's names end in "00 00" and "00 01"; any case. */
    assert_int_equal(scm_rd_find(t->ctx, "pcd 00 00", &i, &d), SCM_OK);
    assert_int_equal(i, 0);
    assert_int_equal(scm_rd_find(t->ctx, t->reader[1], &i, &d), SCM_OK);
    assert_int_equal(i, 1);
    assert_int_equal(scm_rd_find(t->ctx, "PCD", &i, &d), SCM_E_AMBIGUOUS);
    assert_non_null(strstr(d.text, t->reader[0]));
    assert_non_null(strstr(d.text, t->reader[1]));
    assert_int_equal(scm_rd_find(t->ctx, "no such reader", &i, &d), SCM_E_NO_READER);
    assert_non_null(strstr(d.text, t->reader[0]));
    assert_int_equal(scm_rd_find(t->ctx, "2", &i, &d), SCM_E_NO_READER);
}

static void t_transmit(void **state)
{
    struct rigfix *t = *state;
    struct scm_rd_conn *conn = NULL;
    struct scm_detail d = {{0}};
    uint16_t sw = 0;
    assert_int_equal(scm_rd_connect(t->ctx, t->reader[0], &conn, &d), SCM_OK);
    assert_string_equal(scm_rd_conn_reader(conn), t->reader[0]);
    size_t al;
    const uint8_t *atr = scm_rd_atr(conn, &al);
    assert_int_equal(al, sizeof(vicc_atr));
    assert_memory_equal(atr, vicc_atr, al);
    struct scm_tx *tx = scm_rd_tx(conn);
    assert_false(tx->extended);

    assert_int_equal(rigfix_select(conn, &sw), SCM_OK);
    assert_int_equal(sw, 0x9000);

    /* Transactions nest; one end too many is a caller's bug. */
    assert_int_equal(scm_tx_begin(tx), SCM_OK);
    assert_int_equal(scm_tx_begin(tx), SCM_OK);
    assert_int_equal(rigfix_select(conn, &sw), SCM_OK);
    assert_int_equal(scm_tx_end(tx), SCM_OK);
    assert_int_equal(scm_tx_end(tx), SCM_OK);
    assert_int_equal(scm_tx_end(tx), SCM_E_INVAL);

    /* Through the APDU layer: an empty VERIFY asks the tries left. */
    struct scm_apdu a = {.ins = 0x20, .p2 = 0x81};
    size_t rl;
    assert_int_equal(scm_tx_apdu(tx, &a, NULL, 0, &rl, &sw), SCM_OK);
    assert_int_equal(sw, 0x63C3);
    assert_int_equal(scm_sw_err(sw), SCM_E_BAD_PIN);
    scm_rd_disconnect(conn);
}

static void t_events(void **state)
{
    struct rigfix *t = *state;
    struct scm_detail d = {{0}};
    struct scm_rd_conn *conn = NULL;
    uint16_t sw;
    const struct scm_rd_info *inf = list_ok(t, 2);
    unsigned events = inf[1].events;

    /* Nothing happens: the wait blocks for its whole timeout. */
    long t0 = rigfix_now_ms();
    assert_int_equal(scm_rd_wait(t->ctx, 300, &d), 0);
    assert_true(rigfix_now_ms() - t0 >= 290);

    /* Card pulled out in the middle of an operation. */
    assert_int_equal(scm_rd_connect(t->ctx, t->reader[1], &conn, &d), SCM_OK);
    assert_int_equal(scm_tx_begin(scm_rd_tx(conn)), SCM_OK);
    assert_int_equal(rigfix_select(conn, &sw), SCM_OK);
    rigfix_rig(NULL, "card-kill 1");
    t0 = rigfix_now_ms();
    assert_int_equal(scm_rd_wait(t->ctx, 5000, &d), 1);
    print_message("removal seen by scm_rd_wait after the rig saw it: %ld ms\n",
                  rigfix_now_ms() - t0);
    inf = list_ok(t, 2);
    assert_int_equal(inf[1].state, SCM_RD_EMPTY);
    assert_int_equal(inf[0].state, SCM_RD_PRESENT);
    assert_true(inf[1].events > events);
    assert_int_equal(rigfix_select(conn, &sw), SCM_E_CARD_REMOVED);
    assert_int_equal(scm_tx_end(scm_rd_tx(conn)), SCM_OK);
    assert_int_equal(scm_rd_connect(t->ctx, t->reader[1], &(struct scm_rd_conn *){NULL}, &d),
                     SCM_E_NO_CARD);

    /* Back in: PRESENT, but the old connection stays "removed". */
    rigfix_rig(NULL, "card-start 1");
    assert_int_equal(scm_rd_wait(t->ctx, 5000, &d), 1);
    inf = list_ok(t, 2);
    /* INUSE: pcscd counts our stale handle as a user of the new card. */
    assert_true(inf[1].state == SCM_RD_PRESENT || inf[1].state == SCM_RD_INUSE);
    assert_int_equal(rigfix_select(conn, &sw), SCM_E_CARD_REMOVED);
    scm_rd_disconnect(conn);
    assert_int_equal(scm_rd_connect(t->ctx, t->reader[1], &conn, &d), SCM_OK);
    assert_int_equal(rigfix_select(conn, &sw), SCM_OK);
    assert_int_equal(sw, 0x9000);
    scm_rd_disconnect(conn);
}

static void *cancel_later(void *arg)
{
    struct timespec ts = {0, 150 * 1000000L};
    nanosleep(&ts, NULL);
    scm_rd_cancel(arg);
    return NULL;
}

static void t_cancel(void **state)
{
    struct rigfix *t = *state;
    struct scm_detail d = {{0}};
    list_ok(t, 2);
    pthread_t th;
    long t0 = rigfix_now_ms();
    assert_int_equal(pthread_create(&th, NULL, cancel_later, t->ctx), 0);
    assert_int_equal(scm_rd_wait(t->ctx, 10000, &d), SCM_E_CANCELLED);
    pthread_join(th, NULL);
    assert_true(rigfix_now_ms() - t0 < 5000);
    /* A cancel while nobody waits is not lost: the next wait returns. */
    scm_rd_cancel(t->ctx);
    assert_int_equal(scm_rd_wait(t->ctx, 10000, &d), SCM_E_CANCELLED);
    assert_int_equal(scm_rd_wait(t->ctx, 50, &d), 0);
}

static void t_no_service(void **state)
{
    struct rigfix *t = *state;
    struct scm_detail d = {{0}};
    struct scm_rd_conn *conn = NULL;
    const struct scm_rd_info *inf;
    size_t n;
    uint16_t sw;
    list_ok(t, 2);
    assert_int_equal(scm_rd_connect(t->ctx, t->reader[0], &conn, &d), SCM_OK);
    rigfix_rig(NULL, "pcscd-kill");

    /* A waiter learns that pcscd went away. */
    assert_int_equal(scm_rd_wait(t->ctx, 5000, &d), 1);
    int rc = rigfix_select(conn, &sw);
    assert_true(rc == SCM_E_NO_SERVICE || rc == SCM_E_CARD_REMOVED);
    scm_rd_disconnect(conn);
    assert_int_equal(scm_rd_list(t->ctx, &inf, &n, &d), SCM_E_NO_SERVICE);
    assert_int_equal(n, 0);
    assert_non_null(strstr(d.text, "pcscd"));
    assert_int_equal(scm_rd_connect(t->ctx, t->reader[0], &conn, &d), SCM_E_NO_SERVICE);
    assert_null(conn);
    /* Without pcscd the wait times out (no busy loop to check here, but
     * it must neither fail nor return early). */
    long t0 = rigfix_now_ms();
    assert_int_equal(scm_rd_wait(t->ctx, 300, &d), 0);
    assert_true(rigfix_now_ms() - t0 >= 290);
}

static void t_recover(void **state)
{
    struct rigfix *t = *state;
    struct scm_detail d = {{0}};
    struct scm_rd_conn *conn = NULL;
    uint16_t sw;

    /* pcscd back: the same context works again, no new one needed. */
    rigfix_rig(NULL, "pcscd-start");
    assert_int_equal(scm_rd_wait(t->ctx, 5000, &d), 1);
    rigfix_rig(NULL, "card-start 0");
    const struct scm_rd_info *inf = list_ok(t, 2);
    assert_int_equal(inf[0].state, SCM_RD_PRESENT);
    assert_int_equal(inf[1].state, SCM_RD_EMPTY);
    assert_int_equal(scm_rd_connect(t->ctx, t->reader[0], &conn, &d), SCM_OK);
    assert_int_equal(rigfix_select(conn, &sw), SCM_OK);
    assert_int_equal(sw, 0x9000);
    scm_rd_disconnect(conn);

    /* Restarted between two calls, unnoticed: the next call recovers by
     * itself, without an error. */
    rigfix_rig(NULL, "pcscd-kill");
    rigfix_rig(NULL, "pcscd-start");
    rigfix_rig(NULL, "card-start 1");
    inf = list_ok(t, 2);
    assert_int_equal(inf[1].state, SCM_RD_PRESENT);
    rigfix_rig(NULL, "pcscd-kill");
    rigfix_rig(NULL, "pcscd-start");
    rigfix_rig(NULL, "card-start 1");
    assert_int_equal(scm_rd_connect(t->ctx, t->reader[1], &conn, &d), SCM_OK);
    assert_int_equal(rigfix_select(conn, &sw), SCM_OK);
    scm_rd_disconnect(conn);
}

/* The emulator dies on a CREATE FILE without tag 82 (a bug the rig keeps
 * on purpose, for this): pcscd then hands back "success" with 0 bytes,
 * which must not pass for an answer. */
static void t_crash(void **state)
{
    struct rigfix *t = *state;
    struct scm_detail d = {{0}};
    struct scm_rd_conn *conn = NULL;
    uint16_t sw = 0;
    static const uint8_t crash[] = {0x00, 0xE0, 0x00, 0x00, 0x06, 0x62,
                                    0x04, 0x83, 0x02, 0x50, 0x01};
    assert_int_equal(scm_rd_connect(t->ctx, t->reader[1], &conn, &d), SCM_OK);
    int rc = rigfix_raw(conn, crash, sizeof(crash), &sw);
    print_message("crashed card: %d %s\n", rc, scm_strerror(rc));
    assert_true(rc == SCM_E_TRANSMIT || rc == SCM_E_CARD_REMOVED);
    rc = rigfix_select(conn, &sw);
    assert_true(rc == SCM_E_TRANSMIT || rc == SCM_E_CARD_REMOVED);
    scm_rd_disconnect(conn);
}

/* Another program resets the card (as a middleware on the same machine
 * may): its own context, a shared connection, a disconnect with RESET. */
static void reset_from_elsewhere(const char *reader)
{
    SCARDCONTEXT c;
    SCARDHANDLE h;
    DWORD proto;
    assert_int_equal(SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c), SCARD_S_SUCCESS);
    assert_int_equal(SCardConnect(c, reader, SCARD_SHARE_SHARED,
                                  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto),
                     SCARD_S_SUCCESS);
    assert_int_equal(SCardDisconnect(h, SCARD_RESET_CARD), SCARD_S_SUCCESS);
    SCardReleaseContext(c);
}

/* A reset between our operations is harmless: the handler reconnects and
 * sends again, once, and the caller never hears of it. */
static void t_reset(void **state)
{
    struct rigfix *t = *state;
    struct scm_rd_conn *conn = NULL;
    struct scm_detail d = {{0}};
    uint16_t sw = 0;
    char log[] = "/tmp/scmgr-reset-log-XXXXXX";
    int fd = mkstemp(log);
    assert_true(fd >= 0);
    close(fd);
    /* The debug log shows the reconnect really happened (not a reset the
     * card never saw). */
    assert_int_equal(scm_log_open(log, SCM_LOG_DEBUG), SCM_OK);
    assert_int_equal(scm_rd_connect(t->ctx, t->reader[1], &conn, &d), SCM_OK);
    assert_int_equal(rigfix_select(conn, &sw), SCM_OK);
    assert_int_equal(sw, 0x9000);
    reset_from_elsewhere(t->reader[1]);
    sw = 0;
    assert_int_equal(rigfix_select(conn, &sw), SCM_OK);
    assert_int_equal(sw, 0x9000);
    /* And again after a second reset: it is not a one-off. */
    reset_from_elsewhere(t->reader[1]);
    sw = 0;
    assert_int_equal(rigfix_select(conn, &sw), SCM_OK);
    assert_int_equal(sw, 0x9000);
    scm_rd_disconnect(conn);
    scm_log_close();
    char buf[4096] = {0};
    FILE *fp = fopen(log, "r");
    assert_non_null(fp);
    size_t got = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    unlink(log);
    buf[got] = '\0';
    const char *first = strstr(buf, "was reset by another program");
    assert_non_null(first);
    assert_non_null(strstr(first + 1, "was reset by another program"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_list),       cmocka_unit_test(t_find),    cmocka_unit_test(t_transmit),
        cmocka_unit_test(t_reset),      cmocka_unit_test(t_events),  cmocka_unit_test(t_cancel),
        cmocka_unit_test(t_no_service), cmocka_unit_test(t_recover), cmocka_unit_test(t_crash),
    };
    return cmocka_run_group_tests(tests, rigfix_setup, rigfix_teardown);
}
