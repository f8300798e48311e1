/* The reader handler's deadline on card calls (src/reader/pcsc_call.c),
 * against the rig with a mute card (RIG_CARD_MODE=mute: it takes the
 * connection, never answers an APDU) in slot 0 and a good card in slot 1.
 * Run by run-under-rig.sh; the steps depend on each other and run in
 * order. A hang here is the bug under test: meson's timeout fails it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "rigfix.h"
#include "scmgr/reader.h"

/* More connections to the mute card, made before it got stuck. */
static struct scm_rd_conn *beside[2];

static int tx(struct scm_rd_conn *conn)
{
    return rigfix_select(conn, NULL);
}

static void t_mute_card(void **state)
{
    (void)state;
    rigfix_rig(NULL, "card-kill 0");
    rigfix_rig("mute", "card-start 0");
}

/* The first APDU to the mute card ends at the deadline; the connection is
 * dead from then on and says so at once, without another wait. */
static void t_transmit_deadline(void **state)
{
    struct rigfix *t = *state;
    struct scm_rd_conn *conn;
    struct scm_detail d = {{0}};
    char want[256];
    scm_rd_set_deadline(t->ctx, 1000);
    assert_int_equal(scm_rd_connect(t->ctx, t->reader[0], &conn, &d), SCM_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(scm_rd_connect(t->ctx, t->reader[0], &beside[i], &d), SCM_OK);

    long t0 = rigfix_now_ms();
    int rc = tx(conn);
    long took = rigfix_now_ms() - t0;
    assert_int_equal(rc, SCM_E_CARD_TIMEOUT);
    assert_true(took >= 1000); /* not before the deadline */

    t0 = rigfix_now_ms();
    assert_int_equal(tx(conn), SCM_E_CARD_TIMEOUT);
    assert_int_equal(scm_tx_begin(scm_rd_tx(conn)), SCM_E_CARD_TIMEOUT);
    assert_true(rigfix_now_ms() - t0 < 1000); /* no second deadline spent */

    assert_int_equal(scm_rd_conn_why(conn, SCM_E_TRANSMIT, &d), SCM_E_CARD_TIMEOUT);
    snprintf(want, sizeof(want),
             "The card in '%s' did not answer within 1 s; the command was cancelled.",
             t->reader[0]);
    assert_string_equal(d.text, want);
    scm_rd_disconnect(conn); /* returns: the stuck call keeps its handles */
}

/* A hang is what this step looks for: fail it in a bounded time, with a
 * sentence, rather than wait for meson's timeout. */
static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "test_deadline: closing beside a stuck call hung\n";
    if (write(2, msg, sizeof(msg) - 1) < 0)
        _exit(2);
    _exit(1);
}

/* Connections that are still alive on the reader the mute card keeps
 * busy (made before it got stuck: connecting waits for the reader too).
 * Closing them never waits for the stuck call, so closing a card, ending a
 * command or quitting the UI does not: a transaction begins and ends
 * (SCardEndTransaction) and the connection closes (SCardDisconnect,
 * SCardReleaseContext) at once. An APDU queues behind the stuck one and
 * ends at the deadline; the transaction's end and the close after that
 * return at once as well. */
static void t_close_beside_stuck(void **state)
{
    (void)state;
    struct scm_tx *tx0 = scm_rd_tx(beside[0]), *tx1 = scm_rd_tx(beside[1]);
    signal(SIGALRM, on_alarm);
    alarm(10);

    long t0 = rigfix_now_ms();
    assert_int_equal(scm_tx_begin(tx0), SCM_OK);
    assert_int_equal(scm_tx_end(tx0), SCM_OK);
    scm_rd_disconnect(beside[0]);
    assert_true(rigfix_now_ms() - t0 < 1000);

    assert_int_equal(scm_tx_begin(tx1), SCM_OK);
    t0 = rigfix_now_ms();
    assert_int_equal(tx(beside[1]), SCM_E_CARD_TIMEOUT);
    assert_true(rigfix_now_ms() - t0 >= 1000);
    t0 = rigfix_now_ms();
    assert_int_equal(scm_tx_end(tx1), SCM_OK);
    scm_rd_disconnect(beside[1]);
    assert_true(rigfix_now_ms() - t0 < 1000);
    alarm(0);
}

/* The good card in the other reader is not held up, on the same context. */
static void t_other_reader(void **state)
{
    struct rigfix *t = *state;
    struct scm_rd_conn *conn;
    struct scm_detail d = {{0}};
    assert_int_equal(scm_rd_connect(t->ctx, t->reader[1], &conn, &d), SCM_OK);
    assert_int_equal(tx(conn), SCM_OK);
    assert_int_equal(scm_rd_conn_why(conn, SCM_OK, &d), SCM_OK);
    scm_rd_disconnect(conn);
}

/* pcscd keeps the reader busy with the unanswered APDU: connecting waits
 * too, and ends at the deadline with the sentence (in ms when not whole
 * seconds). */
static void t_connect_deadline(void **state)
{
    struct rigfix *t = *state;
    struct scm_rd_conn *conn = (struct scm_rd_conn *)1;
    struct scm_detail d = {{0}};
    char want[256];
    scm_rd_set_deadline(t->ctx, 1500);
    assert_int_equal(scm_rd_connect(t->ctx, t->reader[0], &conn, &d), SCM_E_CARD_TIMEOUT);
    assert_null(conn);
    snprintf(want, sizeof(want),
             "The card in '%s' did not answer within 1500 ms; the command was cancelled.",
             t->reader[0]);
    assert_string_equal(d.text, want);
}

struct hook_seen {
    int calls;
    unsigned last_ms;
    bool increasing;
};

static bool cancel_after_300ms(void *arg, unsigned waited_ms)
{
    struct hook_seen *h = arg;
    if (h->calls++ > 0 && waited_ms < h->last_ms)
        h->increasing = false;
    h->last_ms = waited_ms;
    return waited_ms >= 300;
}

/* The hook sees the wait grow and may cancel it long before the deadline. */
static void t_hook_cancels(void **state)
{
    struct rigfix *t = *state;
    struct scm_rd_conn *conn;
    struct scm_detail d = {{0}};
    struct hook_seen h = {.increasing = true};
    char want[256];
    scm_rd_set_deadline(t->ctx, 600000);
    scm_rd_set_hook(t->ctx, cancel_after_300ms, &h);
    assert_int_equal(scm_rd_connect(t->ctx, t->reader[0], &conn, &d), SCM_E_CANCELLED);
    scm_rd_set_hook(t->ctx, NULL, NULL);
    assert_true(h.calls >= 2);
    assert_true(h.increasing);
    assert_true(h.last_ms >= 300);
    snprintf(want, sizeof(want), "The command on the card in '%s' was cancelled.", t->reader[0]);
    assert_string_equal(d.text, want);
}

/* The mute card taken out: the calls left behind end and clean up after
 * themselves (the sanitizers watch), and a good card in the same reader
 * works again. */
static void t_recover(void **state)
{
    struct rigfix *t = *state;
    struct scm_rd_conn *conn;
    struct scm_detail d = {{0}};
    rigfix_rig(NULL, "card-kill 0");
    rigfix_rig(NULL, "card-start 0");
    scm_rd_set_deadline(t->ctx, 0); /* the default again */
    assert_int_equal(scm_rd_connect(t->ctx, t->reader[0], &conn, &d), SCM_OK);
    assert_int_equal(tx(conn), SCM_OK);
    scm_rd_disconnect(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_mute_card),
        cmocka_unit_test(t_transmit_deadline),
        cmocka_unit_test(t_close_beside_stuck),
        cmocka_unit_test(t_other_reader),
        cmocka_unit_test(t_connect_deadline),
        cmocka_unit_test(t_hook_cancels),
        cmocka_unit_test(t_recover),
    };
    return cmocka_run_group_tests(tests, rigfix_setup, rigfix_teardown);
}
