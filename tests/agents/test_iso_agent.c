/* The ISO 7816-4 agent against the simulated card: initialisation,
 * objects in every area, the PIN, access control, damaged indexes,
 * limits, and the APDU counts of doc/card-layout.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent_util.h"
#include "iso_int.h"
#include "replay_tx.h"

static struct simcard *card(void)
{
    struct simcard *s = new_card(256 * 1024, false);
    assert_non_null(s);
    sim_reinsert(s);
    return s;
}

static void *attach(struct simcard *s)
{
    void *st = NULL;
    struct scm_detail d = {{0}};
    int rc = ag->attach(sim_tx(s), &st, &d);
    if (rc != SCM_OK)
        fail_msg("attach: %d %s", rc, d.text);
    return st;
}

static void put(void *st, const char *label, enum scm_obj_type t, enum scm_area a,
                const uint8_t *data, size_t len, bool replace)
{
    struct scm_obj_new o = {.label = label, .type = t, .area = a, .data = data, .len = len};
    struct scm_detail d = {{0}};
    int rc = ag_write(st, &o, replace, &d);
    if (rc != SCM_OK)
        fail_msg("write '%s': %d %s", label, rc, d.text);
}

static void verify(void *st)
{
    int tries;
    assert_int_equal(ag_verify(st, PIN, 4, &tries, NULL), SCM_OK);
}

static void test_blank_and_init(void **state)
{
    (void)state;
    struct simcard *s = sim_new(65536, false);
    struct scm_detail d = {{0}};
    const struct scm_agent_ops *pick = NULL;
    void *st = NULL;
    struct scm_agent_info info;
    struct scm_object *objs;
    size_t n;

    assert_ptr_equal(scm_agency_by_name("iso7816-scm"), ag);
    assert_null(scm_agency_by_name("nope"));
    assert_int_equal(ag->match_atr((const uint8_t *)"\x3B\x00", 2), 0);
    assert_int_equal(ag->probe(sim_tx(s)), 0);
    assert_int_equal(scm_agency_pick(sim_tx(s), NULL, 0, &pick, &d), SCM_E_NO_AGENT);
    assert_true(strlen(d.text) > 0);

    /* A blank card attaches as blank: info says so, listing refuses. */
    assert_int_equal(ag->attach(sim_tx(s), &st, &d), SCM_OK);
    assert_int_equal(ag->info(st, &info, &d), SCM_OK);
    assert_true(info.blank);
    assert_int_equal(ag->list(st, &objs, &n, &d), SCM_E_CARD_BLANK);
    ag->detach(st);

    /* A wrong transport PIN: nothing is written. */
    struct scm_agent_init p = {
        .pin = "567890", .pin_len = 6, .current_pin = "9999", .current_pin_len = 4};
    assert_int_equal(ag->init_card(sim_tx(s), &p, &d), SCM_E_BAD_PIN);
    assert_non_null(strstr(d.text, "Nothing was written"));
    assert_int_equal(sim_file_count(s), 0);
    /* Bad PIN formats are refused before any APDU. */
    unsigned long before = sim_apdus(s);
    struct scm_agent_init shortpin = {.pin = "12", .pin_len = 2};
    assert_int_equal(ag->init_card(sim_tx(s), &shortpin, &d), SCM_E_BAD_PIN_FORMAT);
    assert_int_equal(sim_apdus(s), before);

    /* Init from the transport PIN 1234 to a new PIN. */
    p.current_pin = "1234";
    assert_int_equal(ag->init_card(sim_tx(s), &p, &d), SCM_OK);
    assert_int_equal(ag->probe(sim_tx(s)), 1);
    assert_int_equal(scm_agency_pick(sim_tx(s), NULL, 0, &pick, &d), SCM_OK);
    assert_ptr_equal(pick, ag);
    /* A second init leaves the card alone. */
    p.current_pin = "567890";
    assert_int_equal(ag->init_card(sim_tx(s), &p, &d), SCM_E_EXISTS);

    sim_reinsert(s);
    st = attach(s);
    assert_int_equal(ag->info(st, &info, &d), SCM_OK);
    assert_false(info.blank);
    assert_string_equal(info.label, "scmgr card");
    assert_int_equal(strlen(info.serial), 8);
    assert_int_equal(ag->list(st, &objs, &n, &d), SCM_OK);
    assert_int_equal(n, 0);
    free(objs);
    int tries;
    assert_int_equal(ag_verify(st, "1234", 4, &tries, &d), SCM_E_BAD_PIN);
    assert_int_equal(tries, 2);
    assert_int_equal(ag_verify(st, "567890", 6, &tries, &d), SCM_OK);
    ag->detach(st);
    sim_free(s);
}

static void test_interrupted_init_resumes(void **state)
{
    (void)state;
    struct scm_agent_init p = {.pin = PIN, .pin_len = 4};
    for (long n = 0;; n++) {
        struct simcard *s = sim_new(65536, false);
        struct scm_detail d = {{0}};
        sim_fail_after(s, n, SIM_FAULT_TEAR);
        int rc = ag->init_card(sim_tx(s), &p, &d);
        sim_reinsert(s);
        if (rc == SCM_OK) {
            sim_free(s);
            assert_true(n > 10);
            break;
        }
        assert_int_equal(rc, SCM_E_CARD_REMOVED);
        assert_true(strlen(d.text) > 0);
        struct scm_detail d0 = d;
        /* Blank again (or complete, when only the answer to the last
         * APDUs was lost), and init completes it. */
        bool done = false;
        void *st = NULL;
        rc = ag->attach(sim_tx(s), &st, &d);
        if (rc == SCM_OK) {
            struct scm_agent_info info;
            ag->info(st, &info, &d);
            done = !info.blank;
            ag->detach(st);
        } else {
            assert_int_equal(rc, SCM_E_CARD_LAYOUT); /* a torn first index */
        }
        if (done)
            assert_non_null(strstr(d0.text, "either initialised"));
        sim_reinsert(s);
        assert_int_equal(ag->init_card(sim_tx(s), &p, &d), done ? SCM_E_EXISTS : SCM_OK);
        struct want none[1] = {{0}};
        char why[256];
        if (!card_is(s, none, 0, why, sizeof(why)))
            fail_msg("init resumed after APDU %ld: %s", n, why);
        sim_free(s);
    }
}

static void test_objects(void **state)
{
    (void)state;
    struct simcard *s = card();
    uint8_t a[700], b[3000], c[64], a2[20];
    fill(a, sizeof(a), 1);
    fill(b, sizeof(b), 2);
    fill(c, sizeof(c), 3);
    fill(a2, sizeof(a2), 4);
    struct scm_detail d = {{0}};
    void *st = attach(s);

    /* Every change needs the PIN on this card. */
    struct scm_obj_new o = {.label = "cert",
                            .type = SCM_OBJ_CERT,
                            .area = SCM_AREA_PUBLIC,
                            .data = a,
                            .len = sizeof(a)};
    assert_int_equal(ag_write(st, &o, false, &d), SCM_E_CARD_LOCKED);
    assert_non_null(strstr(d.text, "Nothing was changed"));
    verify(st);
    put(st, "cert", SCM_OBJ_CERT, SCM_AREA_PUBLIC, a, sizeof(a), false);
    put(st, "notes", SCM_OBJ_NOTE, SCM_AREA_PRIVATE, b, sizeof(b), false);
    put(st, "key", SCM_OBJ_PRIVKEY, SCM_AREA_SECRET, c, sizeof(c), false);
    put(st, "empty", SCM_OBJ_DATA, SCM_AREA_PUBLIC, NULL, 0, false);
    assert_int_equal(ag_write(st, &o, false, &d), SCM_E_EXISTS);
    ag->detach(st);

    struct want w[] = {{"cert", SCM_OBJ_CERT, SCM_AREA_PUBLIC, a, sizeof(a)},
                       {"notes", SCM_OBJ_NOTE, SCM_AREA_PRIVATE, b, sizeof(b)},
                       {"key", SCM_OBJ_PRIVKEY, SCM_AREA_SECRET, c, sizeof(c)},
                       {"empty", SCM_OBJ_DATA, SCM_AREA_PUBLIC, NULL, 0}};
    char why[256];
    if (!card_is(s, w, 4, why, sizeof(why)))
        fail_msg("%s", why);

    /* Without the PIN: public readable, private refused by the card. */
    sim_reinsert(s);
    st = attach(s);
    struct scm_object *objs;
    size_t n;
    assert_int_equal(ag->list(st, &objs, &n, &d), SCM_OK);
    assert_int_equal(n, 4);
    uint8_t *data;
    size_t len;
    for (size_t i = 0; i < n; i++) {
        int rc = ag->read(st, &objs[i], &data, &len, &d);
        if (scm_obj_area(&objs[i]) == SCM_AREA_PUBLIC) {
            assert_int_equal(rc, SCM_OK);
            scm_secure_free(data, len);
        } else if (scm_obj_area(&objs[i]) == SCM_AREA_PRIVATE) {
            assert_int_equal(rc, SCM_E_CARD_LOCKED);
            assert_null(data);
        } else {
            assert_int_equal(rc, SCM_E_NOT_EXPORTABLE);
            assert_true(scm_obj_sealed(&objs[i]));
        }
        if (strcmp(objs[i].label, "notes") == 0) {
            assert_string_equal(objs[i].ref.s, "3F00/5C00/5C02/6001");
            assert_true(objs[i].attrs_len > 0 && objs[i].attrs[0] == 0x62);
        }
    }
    struct scm_object ghost = objs[0];
    snprintf(ghost.label, sizeof(ghost.label), "ghost");
    assert_int_equal(ag->read(st, &ghost, &data, &len, &d), SCM_E_NOT_FOUND);
    free(objs);

    /* Replace and remove. */
    verify(st);
    put(st, "cert", SCM_OBJ_CERT, SCM_AREA_PUBLIC, a2, sizeof(a2), true);
    put(st, "notes", SCM_OBJ_NOTE, SCM_AREA_PUBLIC, a, sizeof(a), true); /* moves area */
    assert_int_equal(ag_remove(st, "key", &d), SCM_OK);
    assert_int_equal(ag_remove(st, "key", &d), SCM_E_NOT_FOUND);
    ag->detach(st);
    struct want w2[] = {{"cert", SCM_OBJ_CERT, SCM_AREA_PUBLIC, a2, sizeof(a2)},
                        {"notes", SCM_OBJ_NOTE, SCM_AREA_PUBLIC, a, sizeof(a)},
                        {"empty", SCM_OBJ_DATA, SCM_AREA_PUBLIC, NULL, 0}};
    if (!card_is(s, w2, 3, why, sizeof(why)))
        fail_msg("%s", why);
    /* Old EFs are gone: the private DF is empty again. */
    uint16_t p1[3] = {0x5C00, 0x5C02, 0x6001};
    uint16_t p2[3] = {0x5C00, 0x5C02, 0x6002};
    assert_null(sim_file(s, p1, 3, &len));
    assert_null(sim_file(s, p2, 3, &len));
    sim_free(s);
}

static void test_pin(void **state)
{
    (void)state;
    struct simcard *s = card();
    void *st = attach(s);
    struct scm_detail d = {{0}};
    int tries = 99;
    unsigned long before = sim_apdus(s);
    assert_int_equal(ag_verify(st, "12", 2, &tries, &d), SCM_E_BAD_PIN_FORMAT);
    assert_int_equal(ag_verify(st, "12345678901234567", 17, &tries, &d), SCM_E_BAD_PIN_FORMAT);
    assert_int_equal(sim_apdus(s), before);
    assert_int_equal(ag_tries(st, &tries, &d), SCM_OK);
    assert_int_equal(tries, 3);
    assert_int_equal(ag_change(st, "0000", 4, "4321", 4, &d), SCM_E_BAD_PIN);
    assert_int_equal(ag_change(st, "1234", 4, "4321", 4, &d), SCM_OK);
    assert_int_equal(ag_verify(st, "1234", 4, &tries, &d), SCM_E_BAD_PIN);
    assert_int_equal(tries, 2);
    assert_int_equal(ag_verify(st, "1234", 4, &tries, &d), SCM_E_BAD_PIN);
    assert_int_equal(tries, 1);
    assert_non_null(strstr(d.text, "1 try left"));
    assert_int_equal(ag_tries(st, &tries, &d), SCM_OK);
    assert_int_equal(tries, 1);
    assert_int_equal(ag_verify(st, "1234", 4, &tries, &d), SCM_E_PIN_BLOCKED);
    assert_int_equal(tries, 0);
    assert_int_equal(ag_verify(st, "4321", 4, &tries, &d), SCM_E_PIN_BLOCKED);
    assert_int_equal(ag_tries(st, &tries, &d), SCM_OK);
    assert_int_equal(tries, 0);
    struct scm_agent_info info;
    ag->info(st, &info, &d);
    assert_int_equal(info.pin_tries, 0);
    ag->detach(st);
    sim_free(s);
}

static void test_damaged_index(void **state)
{
    (void)state;
    struct simcard *s = card();
    uint8_t a[100], b[200];
    fill(a, sizeof(a), 7);
    fill(b, sizeof(b), 8);
    void *st = attach(s);
    verify(st);
    put(st, "one", SCM_OBJ_DATA, SCM_AREA_PUBLIC, a, sizeof(a), false); /* gen 2, slot B */
    put(st, "two", SCM_OBJ_DATA, SCM_AREA_PUBLIC, b, sizeof(b), false); /* gen 3, slot A */
    ag->detach(st);
    size_t len;
    uint16_t ia[2] = {0x5C00, 0x5C11}, ib[2] = {0x5C00, 0x5C12};
    uint8_t *A = sim_file(s, ia, 2, &len), *B = sim_file(s, ib, 2, &len);
    assert_non_null(A);
    assert_non_null(B);

    /* A torn newest index: the previous generation is used. */
    A[20] ^= 0x40;
    struct want w1[] = {{"one", SCM_OBJ_DATA, SCM_AREA_PUBLIC, a, sizeof(a)}};
    char why[256];
    if (!card_is(s, w1, 1, why, sizeof(why)))
        fail_msg("%s", why);
    A[20] ^= 0x40;

    /* Both damaged: a layout error, not a guess. */
    A[9] ^= 1;
    B[9] ^= 1;
    struct scm_detail d = {{0}};
    sim_reinsert(s);
    assert_int_equal(ag->attach(sim_tx(s), &st, &d), SCM_E_CARD_LAYOUT);
    assert_non_null(strstr(d.text, "index"));
    A[9] ^= 1;
    B[9] ^= 1;

    /* An object whose bytes changed behind the index's back. */
    uint16_t p[3] = {0x5C00, 0x5C01, 0x6002};
    uint8_t *obj = sim_file(s, p, 3, &len);
    assert_non_null(obj);
    obj[5] ^= 1;
    sim_reinsert(s);
    st = attach(s);
    struct scm_object *objs;
    size_t n;
    assert_int_equal(ag->list(st, &objs, &n, &d), SCM_OK);
    uint8_t *data;
    for (size_t i = 0; i < n; i++) {
        int rc = ag->read(st, &objs[i], &data, &len, &d);
        if (strcmp(objs[i].label, "two") == 0) {
            assert_int_equal(rc, SCM_E_CARD_LAYOUT);
            assert_non_null(strstr(d.text, "checksum"));
        } else {
            assert_int_equal(rc, SCM_OK);
            scm_secure_free(data, len);
        }
    }
    free(objs);
    ag->detach(st);
    sim_free(s);
}

static void test_limits(void **state)
{
    (void)state;
    struct scm_detail d = {{0}};
    static uint8_t big[ISO_OBJ_SIZE_MAX + 1];
    fill(big, sizeof(big), 9);
    for (int ext = 0; ext < 2; ext++) {
        struct simcard *s = new_card(256 * 1024, ext);
        assert_non_null(s);
        sim_reinsert(s);
        void *st = attach(s);
        verify(st);
        struct scm_obj_new o = {.label = "big",
                                .type = SCM_OBJ_DATA,
                                .area = SCM_AREA_PRIVATE,
                                .data = big,
                                .len = sizeof(big)};
        assert_int_equal(ag_write(st, &o, false, &d), SCM_E_LIMIT);
        o.len = ISO_OBJ_SIZE_MAX;
        unsigned long before = sim_apdus(s);
        assert_int_equal(ag_write(st, &o, false, &d), SCM_OK);
        if (ext)
            assert_true(sim_apdus(s) - before <= 8);
        o.label = "";
        assert_int_equal(ag_write(st, &o, false, &d), SCM_E_BAD_LABEL);
        o.label = "x";
        o.type = (enum scm_obj_type)42;
        assert_int_equal(ag_write(st, &o, false, &d), SCM_E_INVAL);
        ag->detach(st);
        struct want w[] = {{"big", SCM_OBJ_DATA, SCM_AREA_PRIVATE, big, ISO_OBJ_SIZE_MAX}};
        char why[256];
        if (!card_is(s, w, 1, why, sizeof(why)))
            fail_msg("%s", why);
        sim_free(s);
    }

    /* A full card: 6A84 from CREATE FILE, nothing changed. */
    struct simcard *s = new_card(4096 * 2 + 256 + 1000, false);
    assert_non_null(s);
    sim_reinsert(s);
    void *st = attach(s);
    verify(st);
    struct scm_obj_new o = {
        .label = "fat", .type = SCM_OBJ_DATA, .area = SCM_AREA_PUBLIC, .data = big, .len = 2000};
    assert_int_equal(ag_write(st, &o, false, &d), SCM_E_CARD_FULL);
    assert_non_null(strstr(d.text, "Nothing was changed"));
    o.len = 900;
    assert_int_equal(ag_write(st, &o, false, &d), SCM_OK);
    ag->detach(st);
    sim_free(s);
}

static void test_apdu_counts(void **state)
{
    (void)state;
    struct simcard *s = card();
    uint8_t b[2048];
    fill(b, sizeof(b), 11);
    void *st = attach(s);
    verify(st);
    unsigned long t0 = sim_apdus(s);
    put(st, "two-k", SCM_OBJ_DATA, SCM_AREA_PUBLIC, b, sizeof(b), false);
    unsigned long w = sim_apdus(s) - t0;
    t0 = sim_apdus(s);
    put(st, "two-k", SCM_OBJ_DATA, SCM_AREA_PUBLIC, b, sizeof(b), true);
    unsigned long rw = sim_apdus(s) - t0;
    ag->detach(st);

    sim_reinsert(s);
    t0 = sim_apdus(s);
    st = attach(s);
    struct scm_object *objs;
    size_t n;
    struct scm_detail d = {{0}};
    assert_int_equal(ag->list(st, &objs, &n, &d), SCM_OK);
    unsigned long al = sim_apdus(s) - t0;
    t0 = sim_apdus(s);
    uint8_t *data;
    size_t len;
    assert_int_equal(ag->read(st, &objs[0], &data, &len, &d), SCM_OK);
    unsigned long r = sim_apdus(s) - t0;
    scm_secure_free(data, len);
    free(objs);
    ag->detach(st);
    printf("APDUs (short): attach+list %lu, read 2 KB %lu, write 2 KB %lu, replace 2 KB %lu\n", al,
           r, w, rw);
    /* doc/card-layout.md, "APDU counts" */
    assert_int_equal(al, 4);
    assert_int_equal(r, 1 + 8);
    assert_int_equal(w, 2 + 9 + 8 + 1 + 1 + 1);
    assert_int_equal(rw, w + 2);
    sim_free(s);
}

/* The agent over a scripted card: the exact APDUs of attach and a read. */
static void test_replay_attach(void **state)
{
    (void)state;
    /* index: magic, v1, len 20, gen 1, 0 entries, crc */
    uint8_t ix[20];
    struct iso_index e = {.generation = 1};
    size_t len;
    assert_int_equal(scm_iso_index_encode(&e, ix, sizeof(ix), &len), SCM_OK);
    char resp[80];
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        k += (size_t)snprintf(resp + k, sizeof(resp) - k, "%02X", ix[i]);
    snprintf(resp + k, sizeof(resp) - k, "6282");
    const struct rtx_step st2[] = {
        {"00A4040C07 F0 53 43 4D 47 52 01", "9000"},
        {"00B0830000", "6A82"},           /* no SFI: by path */
        {"00A4080C04 5C00 5C10", "6A82"}, /* no card info: not fatal */
        {"00B0810000", resp},             /* slot A, short EF: 6282 */
        {"00B0820000", "00000000 9000"},  /* slot B empty */
    };
    struct rtx r;
    rtx_init(&r, st2, 5, false);
    void *st = NULL;
    struct scm_detail d = {{0}};
    assert_int_equal(ag->attach(&r.tx, &st, &d), SCM_OK);
    rtx_assert_done(&r);
    struct scm_agent_info info;
    ag->info(st, &info, &d);
    assert_false(info.blank);
    assert_string_equal(info.label, "");
    ag->detach(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blank_and_init), cmocka_unit_test(test_interrupted_init_resumes),
        cmocka_unit_test(test_objects),        cmocka_unit_test(test_pin),
        cmocka_unit_test(test_damaged_index),  cmocka_unit_test(test_limits),
        cmocka_unit_test(test_apdu_counts),    cmocka_unit_test(test_replay_attach),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
