/* Pulling the card out at every APDU of a write, replace or removal
 * (doc/card-layout.md, "Write order"): afterwards the card re-attaches and
 * holds exactly the old or exactly the new content, never a torn object,
 * the detail sentence agrees with what happened, and the card stays
 * usable. Three ways to be pulled: before the APDU runs, during it (an
 * UPDATE writes half its data), after it (the answer is lost). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent_util.h"

static uint8_t pat1[600], pat2[700], pat3[650], pat4[500], pat5[900], keyb[100], key2[48];

/* The card before each operation: a public object replaced once (so the
 * index carries a trash entry the next write purges), a private one and
 * a secret key. */
static const struct want old_state[] = {
    {"pub1", SCM_OBJ_CERT, SCM_AREA_PUBLIC, pat3, sizeof(pat3)},
    {"priv1", SCM_OBJ_NOTE, SCM_AREA_PRIVATE, pat2, sizeof(pat2)},
    {"key1", SCM_OBJ_PRIVKEY, SCM_AREA_SECRET, keyb, sizeof(keyb)},
};

static struct simcard *setup(void)
{
    struct simcard *s = new_card(256 * 1024, false);
    assert_non_null(s);
    sim_reinsert(s);
    void *st = NULL;
    struct scm_detail d = {{0}};
    int tries;
    assert_int_equal(ag->attach(sim_tx(s), &st, &d), SCM_OK);
    assert_int_equal(ag_verify(st, PIN, 4, &tries, &d), SCM_OK);
    struct scm_obj_new o[] = {
        {.label = "pub1",
         .type = SCM_OBJ_CERT,
         .area = SCM_AREA_PUBLIC,
         .data = pat1,
         .len = sizeof(pat1)},
        {.label = "priv1",
         .type = SCM_OBJ_NOTE,
         .area = SCM_AREA_PRIVATE,
         .data = pat2,
         .len = sizeof(pat2)},
        {.label = "key1",
         .type = SCM_OBJ_PRIVKEY,
         .area = SCM_AREA_SECRET,
         .data = keyb,
         .len = sizeof(keyb)},
        {.label = "pub1",
         .type = SCM_OBJ_CERT,
         .area = SCM_AREA_PUBLIC,
         .data = pat3,
         .len = sizeof(pat3)},
    };
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(ag_write(st, &o[i], i == 3, &d), SCM_OK);
    ag->detach(st);
    sim_reinsert(s);
    return s;
}

struct op {
    const char *name;
    int kind; /* 0 write, 1 replace, 2 remove */
    struct scm_obj_new o;
    struct want after[4];
    size_t n_after;
};

static int run_op(const struct op *op, void *st, struct scm_detail *d)
{
    if (op->kind == 2)
        return ag_remove(st, op->o.label, d);
    return ag_write(st, &op->o, op->kind == 1, d);
}

static void check_op(const struct op *op)
{
    static const enum sim_fault modes[] = {SIM_FAULT_DROP, SIM_FAULT_TEAR, SIM_FAULT_LOST};
    static const char *mode_names[] = {"before", "during", "after"};
    for (int m = 0; m < 3; m++) {
        for (long n = 0;; n++) {
            struct simcard *s = setup();
            void *st = NULL;
            struct scm_detail d = {{0}};
            int tries;
            char why[256];
            assert_int_equal(ag->attach(sim_tx(s), &st, &d), SCM_OK);
            assert_int_equal(ag_verify(st, PIN, 4, &tries, &d), SCM_OK);
            sim_fail_after(s, n, modes[m]);
            int rc = run_op(op, st, &d);
            bool pulled = sim_pulled(s);
            ag->detach(st);
            bool is_old = card_is(s, old_state, 3, why, sizeof(why));
            bool is_new = !is_old && card_is(s, op->after, op->n_after, why, sizeof(why));
            if (!is_old && !is_new)
                fail_msg("%s, pulled %s APDU %ld: torn card: %s (rc %d: %s)", op->name,
                         mode_names[m], n, why, rc, d.text);
            if (rc == SCM_OK) {
                if (!is_new)
                    fail_msg("%s, pulled %s APDU %ld: success but old content", op->name,
                             mode_names[m], n);
            } else {
                if (d.text[0] == 0)
                    fail_msg("%s, APDU %ld: no detail sentence", op->name, n);
                bool says_old =
                    strstr(d.text, "Nothing was changed") || strstr(d.text, "still lists");
                bool says_either = strstr(d.text, "either") || strstr(d.text, "may still");
                if (!says_old && !says_either)
                    fail_msg("%s, APDU %ld: detail says neither: %s", op->name, n, d.text);
                if (says_old && !is_old)
                    fail_msg("%s, pulled %s APDU %ld: detail says old content, card has the "
                             "new: %s",
                             op->name, mode_names[m], n, d.text);
            }
            /* Still usable: leftovers do not block the next writes. */
            void *st2 = NULL;
            sim_reinsert(s);
            assert_int_equal(ag->attach(sim_tx(s), &st2, &d), SCM_OK);
            assert_int_equal(ag_verify(st2, PIN, 4, &tries, &d), SCM_OK);
            struct scm_obj_new again = op->o;
            if (op->kind != 2) {
                rc = ag_write(st2, &again, true, &d);
                if (rc != SCM_OK)
                    fail_msg("%s, APDU %ld: next write: %s", op->name, n, d.text);
            }
            struct scm_obj_new extra = {.label = "extra",
                                        .type = SCM_OBJ_DATA,
                                        .area = op->o.area,
                                        .data = pat4,
                                        .len = 10};
            rc = ag_write(st2, &extra, false, &d);
            if (rc != SCM_OK)
                fail_msg("%s, APDU %ld: next write: %s", op->name, n, d.text);
            ag->detach(st2);
            sim_free(s);
            if (!pulled) {
                assert_int_equal(rc, SCM_OK);
                assert_true(n > 3);
                printf("%s, pulled %s the APDU: %ld points checked\n", op->name, mode_names[m], n);
                break;
            }
        }
    }
}

static void test_write_new(void **state)
{
    (void)state;
    struct op op = {"write new public",
                    0,
                    {.label = "pub2",
                     .type = SCM_OBJ_DATA,
                     .area = SCM_AREA_PUBLIC,
                     .data = pat4,
                     .len = sizeof(pat4)},
                    {old_state[0],
                     old_state[1],
                     old_state[2],
                     {"pub2", SCM_OBJ_DATA, SCM_AREA_PUBLIC, pat4, sizeof(pat4)}},
                    4};
    check_op(&op);
}

static void test_write_secret(void **state)
{
    (void)state;
    struct op op = {"write new secret key",
                    0,
                    {.label = "key2",
                     .type = SCM_OBJ_SECRETKEY,
                     .area = SCM_AREA_SECRET,
                     .data = key2,
                     .len = sizeof(key2)},
                    {old_state[0],
                     old_state[1],
                     old_state[2],
                     {"key2", SCM_OBJ_SECRETKEY, SCM_AREA_SECRET, key2, sizeof(key2)}},
                    4};
    check_op(&op);
}

static void test_replace_private(void **state)
{
    (void)state;
    struct op op = {
        "replace private",
        1,
        {.label = "priv1",
         .type = SCM_OBJ_NOTE,
         .area = SCM_AREA_PRIVATE,
         .data = pat5,
         .len = sizeof(pat5)},
        {old_state[0], {"priv1", SCM_OBJ_NOTE, SCM_AREA_PRIVATE, pat5, sizeof(pat5)}, old_state[2]},
        3};
    check_op(&op);
}

static void test_replace_public_empty(void **state)
{
    (void)state;
    struct op op = {
        "replace public with nothing",
        1,
        {.label = "pub1", .type = SCM_OBJ_CERT, .area = SCM_AREA_PUBLIC, .data = NULL, .len = 0},
        {{"pub1", SCM_OBJ_CERT, SCM_AREA_PUBLIC, NULL, 0}, old_state[1], old_state[2]},
        3};
    check_op(&op);
}

static void test_remove(void **state)
{
    (void)state;
    struct op op = {
        "remove", 2, {.label = "pub1", .area = SCM_AREA_PUBLIC}, {old_state[1], old_state[2]}, 2};
    check_op(&op);
}

int main(void)
{
    fill(pat1, sizeof(pat1), 21);
    fill(pat2, sizeof(pat2), 22);
    fill(pat3, sizeof(pat3), 23);
    fill(pat4, sizeof(pat4), 24);
    fill(pat5, sizeof(pat5), 25);
    fill(keyb, sizeof(keyb), 26);
    fill(key2, sizeof(key2), 27);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_new),       cmocka_unit_test(test_write_secret),
        cmocka_unit_test(test_replace_private), cmocka_unit_test(test_replace_public_empty),
        cmocka_unit_test(test_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
