/* scm_card_check against the rig: a card open in one handle while "another
 * program" (a second PC/SC context, as another process has) writes,
 * removes, resets the card or spends a wrong PIN. The open handle must see
 * the change, keep a PIN the card still holds, lose (and say it lost) one
 * the card no longer holds, and never write over the other program's
 * index. Run by run-under-rig.sh (a card in both slots, not laid out);
 * the steps depend on each other and run in order. Prints what a check
 * costs in APDUs (counted in the APDU trace). */
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

#include "scmgr/card.h"

#define PIN "1234"

struct ct {
    const char *reader;
    struct scm_rd_ctx *rd[2]; /* [0] ours, [1] the other program's */
    struct scm_card_ctx cc[2];
    struct scm_card *a;       /* the handle that stays open */
    char log[256];
};
static struct ct T;

static void ok(int rc, const struct scm_detail *d, const char *what)
{
    if (rc != SCM_OK)
        print_error("%s: %d %s\n", what, rc, d ? d->text : "");
    assert_int_equal(rc, SCM_OK);
}

static void put(struct scm_card *c, const char *label, enum scm_area area, const char *text)
{
    struct scm_detail d = {{0}};
    struct scm_obj_new o = {.label = label,
                            .type = SCM_OBJ_DATA,
                            .area = area,
                            .data = (const uint8_t *)text,
                            .len = strlen(text)};
    ok(scm_card_write(c, &o, false, NULL, &d), &d, label);
}

/* The other program: its own context, open, PIN, change, close. */
static struct scm_card *other_open(void)
{
    struct scm_card *b = NULL;
    struct scm_detail d = {{0}};
    ok(scm_card_open(&T.cc[1], T.reader, &b, &d), &d, "other open");
    ok(scm_card_unlock(b, PIN, strlen(PIN), &d), &d, "other unlock");
    return b;
}

static bool listed(struct scm_card *c, const char *label)
{
    const struct scm_obj_info *o;
    size_t n;
    assert_int_equal(scm_card_list(c, &o, &n), SCM_OK);
    for (size_t i = 0; i < n; i++)
        if (strcmp(o[i].label, label) == 0)
            return true;
    return false;
}

/* Read label through c: its error, and the bytes compared with want. */
static int read_label(struct scm_card *c, const char *label, const char *want,
                      struct scm_detail *d)
{
    uint32_t id;
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(scm_card_find(c, label, &id), SCM_OK);
    int rc = scm_card_read(c, id, &data, &len, d);
    if (rc == SCM_OK) {
        assert_int_equal(len, strlen(want));
        assert_memory_equal(data, want, len);
        scm_secure_free(data, len);
    }
    return rc;
}

static long log_size(void)
{
    FILE *f = fopen(T.log, "r");
    long n = 0;
    if (f) {
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fclose(f);
    }
    return n;
}

/* Command APDUs in the trace after offset `from`. */
static unsigned apdus_since(long from)
{
    FILE *f = fopen(T.log, "r");
    char line[1024];
    unsigned n = 0;
    assert_non_null(f);
    fseek(f, from, SEEK_SET);
    while (fgets(line, sizeof(line), f))
        n += strstr(line, "apdu > ") != NULL;
    fclose(f);
    return n;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static unsigned check(unsigned want_what)
{
    struct scm_detail d = {{0}};
    unsigned what = 99;
    long at = log_size();
    double t0 = now_ms();
    ok(scm_card_check(T.a, &what, &d), &d, "check");
    double ms = now_ms() - t0;
    unsigned cost = apdus_since(at);
    /* A figure for doc/performance.md, not a test of speed. */
    print_message("scm_card_check: what=%u, %u APDUs, %.1f ms\n", what, cost, ms);
    assert_int_equal(what, want_what);
    return cost;
}

static int setup(void **state)
{
    (void)state;
    struct scm_detail d = {{0}};
    T.reader = getenv("RIG_READER_0");
    if (!T.reader) {
        fprintf(stderr, "test_card_check runs under the rig (run-under-rig.sh)\n");
        return -1;
    }
    const char *dir = getenv("RIG_DIR");
    snprintf(T.log, sizeof(T.log), "%s/card_check.log", dir ? dir : "/tmp");
    if (scm_log_open(T.log, SCM_LOG_TRACE) != SCM_OK)
        return -1;
    for (int i = 0; i < 2; i++) {
        if (scm_rd_open(&T.rd[i], &d) != SCM_OK) {
            fprintf(stderr, "scm_rd_open: %s\n", d.text);
            return -1;
        }
        T.cc[i].readers = T.rd[i];
    }
    struct scm_card_init p = {.label = "check", .serial = "0000C4EC", .pin = PIN,
                              .pin_len = strlen(PIN)};
    if (scm_card_init(&T.cc[1], T.reader, &p, &d) != SCM_OK) {
        fprintf(stderr, "scm_card_init: %s\n", d.text);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    scm_card_close(T.a);
    scm_rd_close(T.rd[0]);
    scm_rd_close(T.rd[1]);
    scm_log_close();
    return 0;
}

/* Nothing changed: nothing to say, and it costs a handful of APDUs. */
static void t_unchanged(void **state)
{
    (void)state;
    struct scm_detail d = {{0}};
    ok(scm_card_open(&T.cc[0], T.reader, &T.a, &d), &d, "open");
    ok(scm_card_unlock(T.a, PIN, strlen(PIN), &d), &d, "unlock");
    long at = log_size();
    put(T.a, "mine", SCM_AREA_PRIVATE, "my secret note");
    print_message("a write of 14 bytes: %u APDUs (the check before it included)\n",
                  apdus_since(at));
    unsigned cost = check(0);
    /* SELECT, an empty VERIFY (the PIN's state and tries, none spent),
     * the card info and both index slots: 5 APDUs on a card that reads
     * them by SFI, 11 on the rig's card (SFI refused: SELECT and READ
     * each). The UI does this every few idle seconds. */
    assert_true(cost >= 5 && cost <= 11);
    assert_false(scm_card_needs_unlock(T.a));
}

/* Another program adds and removes: seen, and the PIN stays verified. */
static void t_other_writes(void **state)
{
    (void)state;
    struct scm_detail d = {{0}};
    struct scm_card *b = other_open();
    put(b, "theirs", SCM_AREA_PRIVATE, "written elsewhere");
    put(b, "gone soon", SCM_AREA_PUBLIC, "x");
    scm_card_close(b);
    assert_false(listed(T.a, "theirs")); /* stale until asked */
    check(SCM_CARD_CHANGED);
    assert_true(listed(T.a, "theirs"));
    assert_false(scm_card_needs_unlock(T.a));
    ok(read_label(T.a, "theirs", "written elsewhere", &d), &d, "read theirs");
    ok(read_label(T.a, "mine", "my secret note", &d), &d, "read mine");

    b = other_open();
    uint32_t id;
    assert_int_equal(scm_card_find(b, "gone soon", &id), SCM_OK);
    ok(scm_card_delete(b, id, &d), &d, "other delete");
    scm_card_close(b);
    check(SCM_CARD_CHANGED);
    assert_false(listed(T.a, "gone soon"));
    check(0);
}

/* A write of ours after another program's, with no check in between:
 * the other program's object must survive (our index was stale). */
static void t_no_lost_update(void **state)
{
    (void)state;
    struct scm_detail d = {{0}};
    struct scm_card *b = other_open();
    put(b, "their second", SCM_AREA_PUBLIC, "2");
    scm_card_close(b);
    put(T.a, "my second", SCM_AREA_PUBLIC, "3");
    assert_true(listed(T.a, "their second"));
    assert_true(listed(T.a, "my second"));
    /* A third program sees both. */
    struct scm_card *c = NULL;
    ok(scm_card_open(&T.cc[1], T.reader, &c, &d), &d, "third open");
    assert_true(listed(c, "their second"));
    assert_true(listed(c, "my second"));
    assert_true(listed(c, "theirs") || scm_card_needs_unlock(c));
    scm_card_close(c);
}

/* A reset by another program ends the card's PIN status: said, and the
 * handle needs the PIN again; reading a private object says why. */
static void t_reset(void **state)
{
    (void)state;
    struct scm_detail d = {{0}};
    SCARDCONTEXT ctx;
    SCARDHANDLE h;
    DWORD proto;
    assert_int_equal(SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx), SCARD_S_SUCCESS);
    assert_int_equal(SCardConnect(ctx, T.reader, SCARD_SHARE_SHARED,
                                  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto),
                     SCARD_S_SUCCESS);
    assert_int_equal(SCardDisconnect(h, SCARD_RESET_CARD), SCARD_S_SUCCESS);
    SCardReleaseContext(ctx);
    check(SCM_CARD_PIN_LOST | SCM_CARD_WAS_RESET);
    assert_true(scm_card_needs_unlock(T.a));
    assert_false(listed(T.a, "mine"));
    /* Writing needs the PIN again, and says so before any APDU. */
    struct scm_obj_new o = {.label = "refused", .area = SCM_AREA_PUBLIC,
                            .data = (const uint8_t *)"x", .len = 1};
    assert_int_equal(scm_card_write(T.a, &o, false, NULL, &d), SCM_E_CARD_LOCKED);
    ok(scm_card_unlock(T.a, PIN, strlen(PIN), &d), &d, "unlock again");
    ok(read_label(T.a, "mine", "my secret note", &d), &d, "read after unlock");
    check(0);
}

/* A reset between two of our operations, with no check: the read of a
 * private object is refused by the card, and the sentence says why. */
static void t_reset_then_read(void **state)
{
    (void)state;
    struct scm_detail d = {{0}};
    SCARDCONTEXT ctx;
    SCARDHANDLE h;
    DWORD proto;
    assert_int_equal(SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx), SCARD_S_SUCCESS);
    assert_int_equal(SCardConnect(ctx, T.reader, SCARD_SHARE_SHARED,
                                  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto),
                     SCARD_S_SUCCESS);
    assert_int_equal(SCardDisconnect(h, SCARD_RESET_CARD), SCARD_S_SUCCESS);
    SCardReleaseContext(ctx);
    assert_int_equal(read_label(T.a, "mine", "", &d), SCM_E_CARD_LOCKED);
    assert_non_null(strstr(d.text, "reset the card"));
    assert_true(scm_card_needs_unlock(T.a));
    /* The check has nothing more to say: the handle knows already. */
    check(0);
    ok(scm_card_unlock(T.a, PIN, strlen(PIN), &d), &d, "unlock again");
}

/* Another program's wrong PIN ends the verification on this card (which
 * does not report its PIN state to an empty VERIFY): the read that the
 * card refuses says so, and the handle needs the PIN again. */
static void t_other_wrong_pin(void **state)
{
    (void)state;
    struct scm_detail d = {{0}};
    struct scm_card *b = NULL;
    ok(scm_card_open(&T.cc[1], T.reader, &b, &d), &d, "other open");
    assert_int_equal(scm_card_unlock(b, "9999", 4, &d), SCM_E_BAD_PIN);
    scm_card_close(b);
    memset(&d, 0, sizeof(d));
    assert_int_equal(read_label(T.a, "mine", "", &d), SCM_E_CARD_LOCKED);
    assert_non_null(strstr(d.text, "no longer holds the verified PIN"));
    assert_true(scm_card_needs_unlock(T.a));
    ok(scm_card_unlock(T.a, PIN, strlen(PIN), &d), &d, "unlock again");
}

/* A card taken out: an error, the handle as it was. */
static void t_removed(void **state)
{
    (void)state;
    struct scm_detail d = {{0}};
    unsigned what = 99;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "bash \"%s\" card-kill 0", getenv("SCMGR_RIG"));
    assert_int_equal(system(cmd), 0);
    int rc = scm_card_check(T.a, &what, &d);
    assert_int_equal(rc, SCM_E_CARD_REMOVED);
    assert_int_equal(what, 0);
    assert_false(scm_card_needs_unlock(T.a)); /* nothing changed in the handle */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_unchanged),       cmocka_unit_test(t_other_writes),
        cmocka_unit_test(t_no_lost_update),  cmocka_unit_test(t_reset),
        cmocka_unit_test(t_reset_then_read), cmocka_unit_test(t_other_wrong_pin),
        cmocka_unit_test(t_removed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
