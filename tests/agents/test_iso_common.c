/* The shared ISO 7816 helpers of src/agents/iso.c over the replay
 * transport (the exact bytes each command puts on the wire), the status
 * word table with an agent's override, the BER-TLV walker on good and
 * broken input, and the object model's derived views (object.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "iso.h"
#include "replay_tx.h"
#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_commands(void **state)
{
    (void)state;
    static const uint8_t piv[] = {0xA0, 0x00, 0x00, 0x03, 0x08};
    static const uint8_t taglist[] = {0x5C, 0x03, 0x5F, 0xC1, 0x02};
    static const struct rtx_step st[] = {
        {"00A4040005A000000308 00", "61034F0100 9000"},   /* SELECT, FCI wanted */
        {"00CB3FFF 05 5C035FC102 00", "5303AABBCC 9000"}, /* GET DATA, odd INS */
        {"00CA006E 00", "6E00 9000"},                     /* GET DATA by tag */
        {"00200080", "63C3"},                             /* empty VERIFY */
        {"00200080 06 313233343536", "9000"},
        {"0020FF80", "9000"},
        {"00240081 08 3132333435363738", "9000"}, /* CHANGE old||new */
        {"002C0080 08 3837363534333231", "9000"}, /* RESET RETRY COUNTER */
        {"002C0281 04 31323334", "9000"},         /* new PIN only */
        {"00DA005E 03 616263", "9000"},           /* PUT DATA by tag */
        {"00870A9B 04 7C028100 00", "7C0A8108 0102030405060708 9000"},
    };
    struct rtx r;
    uint8_t resp[64];
    size_t got;
    uint16_t sw;
    rtx_init(&r, st, N(st), false);
    assert_int_equal(
        scm_iso_select_aid(&r.tx, piv, sizeof(piv), 0x00, resp, sizeof(resp), &got, &sw), SCM_OK);
    assert_int_equal(got, 5);
    assert_int_equal(
        scm_iso_get_data(&r.tx, 0x3FFF, taglist, sizeof(taglist), resp, sizeof(resp), &got, &sw),
        SCM_OK);
    assert_int_equal(got, 5);
    assert_int_equal(scm_iso_get_data(&r.tx, 0x006E, NULL, 0, resp, sizeof(resp), &got, &sw),
                     SCM_OK);
    assert_int_equal(scm_iso_verify(&r.tx, 0x80, NULL, 0, &sw), SCM_OK);
    assert_int_equal(scm_iso_sw_tries(sw), 3);
    assert_int_equal(scm_iso_verify(&r.tx, 0x80, (const uint8_t *)"123456", 6, &sw), SCM_OK);
    assert_int_equal(scm_iso_unverify(&r.tx, 0x80, &sw), SCM_OK);
    assert_int_equal(
        scm_iso_change(&r.tx, 0x81, (const uint8_t *)"1234", 4, (const uint8_t *)"5678", 4, &sw),
        SCM_OK);
    assert_int_equal(scm_iso_reset_retry(&r.tx, 0x00, 0x80, (const uint8_t *)"8765", 4,
                                         (const uint8_t *)"4321", 4, &sw),
                     SCM_OK);
    assert_int_equal(
        scm_iso_reset_retry(&r.tx, 0x02, 0x81, NULL, 0, (const uint8_t *)"1234", 4, &sw), SCM_OK);
    assert_int_equal(scm_iso_put_data(&r.tx, false, 0x005E, (const uint8_t *)"abc", 3, false, &sw),
                     SCM_OK);
    static const uint8_t witness[] = {0x7C, 0x02, 0x81, 0x00};
    assert_int_equal(scm_iso_general_auth(&r.tx, 0x0A, 0x9B, witness, sizeof(witness), false, resp,
                                          sizeof(resp), &got, &sw),
                     SCM_OK);
    assert_int_equal(got, 12);
    rtx_assert_done(&r);

    /* Refused before anything is sent: an empty or too long secret. */
    uint8_t big[SCM_ISO_SECRET_MAX + 1] = {0};
    assert_int_equal(scm_iso_verify(&r.tx, 0x80, big, sizeof(big), &sw), SCM_E_BAD_PIN_FORMAT);
    assert_int_equal(scm_iso_change(&r.tx, 0x80, big, 0, big, 4, &sw), SCM_E_BAD_PIN_FORMAT);
    assert_int_equal(scm_iso_select_aid(&r.tx, big, 17, 0x0C, NULL, 0, NULL, &sw), SCM_E_INVAL);
}

/* A SELECT repeated in one transaction with nothing sent in between is
 * answered from the first (a probe, then the attach); not outside a
 * transaction, not after another APDU, not in the next transaction, not
 * after a failed SELECT. */
static void test_select_reuse(void **state)
{
    (void)state;
    static const uint8_t aid[] = {0xD2, 0x76, 0x00, 0x01, 0x24, 0x01};
    static const struct rtx_step st[] = {
        {"00A4040006D27600012401 00", "6F03840101 9000"}, /* outside: sent twice */
        {"00A4040006D27600012401 00", "6F03840101 9000"},
        {"00A4040006D27600012401 00", "6F03840102 9000"}, /* in a transaction: once */
        {"00CA006E 00", "9000"},                          /* another APDU */
        {"00A4040006D27600012401 00", "6F03840103 9000"}, /* so sent again */
        {"00A4040006D27600012401 00", "6F03840104 9000"}, /* the next transaction */
        {"00A4040006D27600012401 00", "6A82"},            /* a refused SELECT */
        {"00A4040006D27600012401 00", "6A82"},            /* is not kept */
        {"00A4040006D27600012401", "9000"},               /* its answer not wanted, */
        {"00A4040006D27600012401 00", "6F03840106 9000"}, /* so sent again when it is */
    };
    struct rtx r;
    uint8_t resp[64];
    size_t got;
    uint16_t sw;
    rtx_init(&r, st, N(st), false);
    for (int i = 0; i < 2; i++)
        assert_int_equal(
            scm_iso_select_aid(&r.tx, aid, sizeof(aid), 0x00, resp, sizeof(resp), &got, &sw),
            SCM_OK);
    assert_int_equal(scm_tx_begin(&r.tx), SCM_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(
            scm_iso_select_aid(&r.tx, aid, sizeof(aid), 0x00, resp, sizeof(resp), &got, &sw),
            SCM_OK);
        assert_int_equal(got, 5);
        assert_int_equal(resp[4], 0x02);
        assert_int_equal(sw, 0x9000);
    }
    assert_int_equal(scm_iso_get_data(&r.tx, 0x006E, NULL, 0, resp, sizeof(resp), &got, &sw),
                     SCM_OK);
    assert_int_equal(
        scm_iso_select_aid(&r.tx, aid, sizeof(aid), 0x00, resp, sizeof(resp), &got, &sw), SCM_OK);
    assert_int_equal(resp[4], 0x03);
    assert_int_equal(scm_tx_end(&r.tx), SCM_OK);
    assert_int_equal(scm_tx_begin(&r.tx), SCM_OK);
    assert_int_equal(
        scm_iso_select_aid(&r.tx, aid, sizeof(aid), 0x00, resp, sizeof(resp), &got, &sw), SCM_OK);
    assert_int_equal(resp[4], 0x04);
    assert_int_equal(scm_tx_end(&r.tx), SCM_OK);
    assert_int_equal(scm_tx_begin(&r.tx), SCM_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(
            scm_iso_select_aid(&r.tx, aid, sizeof(aid), 0x00, resp, sizeof(resp), &got, &sw),
            SCM_OK);
        assert_int_equal(sw, 0x6A82);
    }
    assert_int_equal(scm_tx_end(&r.tx), SCM_OK);
    assert_int_equal(scm_tx_begin(&r.tx), SCM_OK);
    assert_int_equal(scm_iso_select_aid(&r.tx, aid, sizeof(aid), 0x00, NULL, 0, NULL, &sw), SCM_OK);
    got = 0;
    assert_int_equal(
        scm_iso_select_aid(&r.tx, aid, sizeof(aid), 0x00, resp, sizeof(resp), &got, &sw), SCM_OK);
    assert_int_equal(got, 5);
    assert_int_equal(resp[4], 0x06);
    assert_int_equal(scm_tx_end(&r.tx), SCM_OK);
    rtx_assert_done(&r);
}

static void test_sw(void **state)
{
    (void)state;
    static const struct scm_sw_map cac[] = {{0x6985, 0xFFFF, SCM_E_BAD_PIN}, {0, 0, 0}};
    assert_int_equal(scm_iso_sw_err(0x9000, NULL), SCM_OK);
    assert_int_equal(scm_iso_sw_err(0x63C2, NULL), SCM_E_BAD_PIN);
    assert_int_equal(scm_iso_sw_err(0x6983, NULL), SCM_E_PIN_BLOCKED);
    assert_int_equal(scm_iso_sw_err(0x6A82, NULL), SCM_E_NOT_FOUND);
    assert_int_equal(scm_iso_sw_err(0x6A84, NULL), SCM_E_CARD_FULL);
    assert_int_equal(scm_iso_sw_err(0x6D00, NULL), SCM_E_NOT_SUPPORTED);
    assert_int_equal(scm_iso_sw_err(0x6985, NULL), SCM_E_CARD_REFUSED);
    /* A card whose wrong-PIN answer is 6985 (libcacard) says so in its map. */
    assert_int_equal(scm_iso_sw_err(0x6985, cac), SCM_E_BAD_PIN);
    assert_int_equal(scm_iso_sw_err(0x6A82, cac), SCM_E_NOT_FOUND);
    assert_int_equal(scm_iso_sw_tries(0x63C0), 0);
    assert_int_equal(scm_iso_sw_tries(0x6983), -1);
}

static void test_tlv(void **state)
{
    (void)state;
    /* 53 82 0107 { 70 81 FF <255>, 71 01 00, FE 00 }, as a PIV certificate
     * container is laid out. */
    uint8_t buf[300];
    size_t n = 0;
    n += scm_tlv_head(0x53, 263, buf + n, sizeof(buf) - n);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "\x53\x82\x01\x07", 4);
    n += scm_tlv_head(0x70, 255, buf + n, sizeof(buf) - n);
    memset(buf + n, 0x30, 255);
    n += 255;
    memcpy(buf + n, "\x71\x01\x00\xFE\x00", 5);
    n += 5;
    assert_int_equal(n, 4 + 3 + 255 + 5);
    const uint8_t *v, *c;
    size_t vl, cl;
    assert_int_equal(scm_tlv_find(buf, n, 0x53, &v, &vl), SCM_OK);
    assert_int_equal(vl, 263);
    assert_int_equal(scm_tlv_find(v, vl, 0x70, &c, &cl), SCM_OK);
    assert_int_equal(cl, 255);
    assert_int_equal(scm_tlv_find(v, vl, 0xFE, &c, &cl), SCM_OK);
    assert_int_equal(cl, 0);
    assert_int_equal(scm_tlv_find(v, vl, 0x72, &c, &cl), SCM_E_NOT_FOUND);
    /* Multi-byte tags: 5F50 and 7F49. */
    static const uint8_t two[] = {0x5F, 0x50, 0x02, 'h', 'i', 0x7F, 0x49, 0x01, 0x86};
    assert_int_equal(scm_tlv_find(two, sizeof(two), 0x5F50, &c, &cl), SCM_OK);
    assert_int_equal(cl, 2);
    assert_int_equal(scm_tlv_find(two, sizeof(two), 0x7F49, &c, &cl), SCM_OK);
    assert_int_equal(c[0], 0x86);
    /* Broken: a length past the end, a 4-byte length, a tag cut short,
     * a tag of four bytes. */
    static const uint8_t past[] = {0x53, 0x05, 0x01};
    static const uint8_t len4[] = {0x53, 0x84, 0, 0, 0, 1, 0};
    static const uint8_t cut[] = {0x5F};
    static const uint8_t tag4[] = {0x5F, 0x81, 0x81, 0x01, 0x00};
    assert_int_equal(scm_tlv_find(past, sizeof(past), 0x53, &c, &cl), SCM_E_CARD_LAYOUT);
    assert_int_equal(scm_tlv_find(len4, sizeof(len4), 0x53, &c, &cl), SCM_E_CARD_LAYOUT);
    assert_int_equal(scm_tlv_find(cut, sizeof(cut), 0x5F, &c, &cl), SCM_E_CARD_LAYOUT);
    assert_int_equal(scm_tlv_find(tag4, sizeof(tag4), 0x5F81, &c, &cl), SCM_E_CARD_LAYOUT);
    /* Does not fit. */
    assert_int_equal(scm_tlv_head(0x53, 300, buf, 3), 0);
}

static void test_object_views(void **state)
{
    (void)state;
    struct scm_object o;
    memset(&o, 0, sizeof(o));
    o.cls = SCM_CLASS_CERT;
    o.read_cred = SCM_CRED_NONE;
    assert_int_equal(scm_obj_area(&o), SCM_AREA_PUBLIC);
    assert_false(scm_obj_sealed(&o));
    o.read_cred = 0; /* a PIV facial image: behind the PIN */
    assert_int_equal(scm_obj_area(&o), SCM_AREA_PRIVATE);
    o.cls = SCM_CLASS_PRIVKEY; /* a card key: never released */
    o.key.extractable = false;
    assert_true(scm_obj_sealed(&o));
    assert_int_equal(scm_obj_area(&o), SCM_AREA_SECRET);
    o.key.extractable = true; /* a key kept as a file the PIN opens */
    assert_int_equal(scm_obj_area(&o), SCM_AREA_PRIVATE);
    o.cls = SCM_CLASS_DATA;
    o.read_cred = SCM_CRED_NEVER;
    assert_int_equal(scm_obj_area(&o), SCM_AREA_SECRET);
    assert_int_equal(scm_obj_type_class(SCM_OBJ_NOTE), SCM_CLASS_DATA);
    assert_int_equal(scm_obj_type_class(SCM_OBJ_CERT), SCM_CLASS_CERT);
    assert_string_equal(scm_obj_class_name(SCM_CLASS_PRIVKEY), "private-key");
    assert_string_equal(scm_key_alg_name(SCM_KEY_EC_P256), "EC P-256");
    assert_string_equal(scm_cred_kind_name(SCM_CRED_MGMT_KEY), "management key");
    assert_int_equal(scm_obj_type_parse("url"), SCM_OBJ_URL);
    assert_true(scm_obj_type_parse("nothing") < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),     cmocka_unit_test(test_select_reuse),
        cmocka_unit_test(test_sw),           cmocka_unit_test(test_tlv),
        cmocka_unit_test(test_object_views),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
