/* The APDU layer (src/reader/apdu.c) over the replay transport: encoding
 * of the four cases, short and extended; 61xx and 6Cxx; limits; the
 * trace and its PIN mask. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay_tx.h"
#include "scmgr/reader.h"
#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint8_t resp[70000];

static char *hexstr(const char *prefix, const uint8_t *b, size_t n, const char *suffix)
{
    size_t cap = strlen(prefix) + 2 * n + strlen(suffix) + 1;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t k = (size_t)snprintf(s, cap, "%s", prefix);
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(s + k, cap - k, "%02X", b[i]);
    snprintf(s + k, cap - k, "%s", suffix);
    return s;
}

/* One command, one step: the encoding of each case. */
struct enc_case {
    const char *name;
    struct scm_apdu a;
    bool extended;
    const char *cmd; /* expected encoding; NULL: SCM_E_LIMIT, nothing sent */
};

static const uint8_t mf[2] = {0x3F, 0x00};

static const struct enc_case enc_cases[] = {
    {"case 1", {0x00, 0x0E, 0x00, 0x00, NULL, 0, 0, false, false}, false, "000E0000"},
    {"case 2, Le 16", {0x00, 0xB0, 0x00, 0x00, NULL, 0, 16, false, false}, false, "00B0000010"},
    {"case 2, Le 256", {0x00, 0xB0, 0x01, 0x02, NULL, 0, 256, false, false}, false, "00B0010200"},
    {"case 2, Le max short",
     {0x00, 0xB0, 0x00, 0x00, NULL, 0, SCM_LE_MAX, false, false},
     false,
     "00B0000000"},
    {"case 2E, Le max",
     {0x00, 0xB0, 0x00, 0x00, NULL, 0, SCM_LE_MAX, false, false},
     true,
     "00B00000000000"},
    {"case 2E, Le 1000", {0x00, 0xB0, 0x00, 0x00, NULL, 0, 1000, false, false}, true, "00B000000003E8"},
    {"case 2, Le 256 stays short",
     {0x00, 0xB0, 0x00, 0x00, NULL, 0, 256, false, false},
     true,
     "00B0000000"},
    {"case 3", {0x00, 0xA4, 0x00, 0x0C, mf, 2, 0, false, false}, false, "00A4000C023F00"},
    {"case 4", {0x00, 0xA4, 0x00, 0x04, mf, 2, 256, false, false}, false, "00A40004023F0000"},
    {"case 2, Le 300 without extended", {0x00, 0xB0, 0x00, 0x00, NULL, 0, 300, false, false}, false, NULL},
};

static void test_encoding(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(enc_cases); i++) {
        const struct enc_case *c = &enc_cases[i];
        struct rtx_step st[1] = {{c->cmd ? c->cmd : "", "9000"}};
        struct rtx r;
        rtx_init(&r, st, c->cmd ? 1 : 0, c->extended);
        size_t rl;
        uint16_t sw;
        int rc = scm_tx_apdu(&r.tx, &c->a, resp, sizeof(resp), &rl, &sw);
        if (!c->cmd) {
            assert_int_equal(rc, SCM_E_LIMIT);
            assert_int_equal(r.tx.apdus, 0);
        } else {
            assert_int_equal(rc, SCM_OK);
            assert_int_equal(sw, 0x9000);
            assert_int_equal(rl, 0);
            assert_int_equal(r.tx.apdus, 1);
        }
        rtx_assert_done(&r);
    }
}

static void test_long_data(void **state)
{
    (void)state;
    uint8_t data[300];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)i;
    struct scm_apdu a = {0x00, 0xD6, 0x00, 0x00, data, sizeof(data), 0, false, false};
    size_t rl;
    uint16_t sw;

    /* Too long for a short APDU and no extended length: the agent's job. */
    struct rtx r;
    rtx_init(&r, NULL, 0, false);
    assert_int_equal(scm_tx_apdu(&r.tx, &a, resp, sizeof(resp), &rl, &sw), SCM_E_LIMIT);

    /* Case 3E, then case 4E with Le 65536 (00 00). */
    char *c3 = hexstr("00D60000 00012C", data, sizeof(data), "");
    char *c4 = hexstr("00D60000 00012C", data, sizeof(data), "0000");
    struct rtx_step st[2] = {{c3, "9000"}, {c4, "0102 9000"}};
    rtx_init(&r, st, 2, true);
    assert_int_equal(scm_tx_apdu(&r.tx, &a, resp, sizeof(resp), &rl, &sw), SCM_OK);
    a.le = SCM_LE_MAX;
    assert_int_equal(scm_tx_apdu(&r.tx, &a, resp, sizeof(resp), &rl, &sw), SCM_OK);
    assert_int_equal(rl, 2);
    assert_int_equal(sw, 0x9000);
    rtx_assert_done(&r);
    free(c3);
    free(c4);
}

/* A command that may be chained, on a card without extended length:
 * links of 255 with CLA 10, the last link with the command's own Le and
 * answer; a link the card refuses ends the chain with its SW. */
static void test_chaining(void **state)
{
    (void)state;
    uint8_t data[600];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)i;
    struct scm_apdu a = {0x00, 0xDB, 0x3F, 0xFF, data, sizeof(data), SCM_LE_MAX, false, true};
    char *l1 = hexstr("10DB3FFF FF", data, 255, "");
    char *l2 = hexstr("10DB3FFF FF", data + 255, 255, "");
    char *l3 = hexstr("00DB3FFF 5A", data + 510, 90, "00");
    struct rtx_step st[] = {{l1, "9000"}, {l2, "9000"}, {l3, "AABB 9000"},
                            /* the second run: the card refuses the second link */
                            {l1, "9000"}, {l2, "6A80"}};
    struct rtx r;
    size_t rl;
    uint16_t sw;
    rtx_init(&r, st, N(st), false);
    assert_int_equal(scm_tx_apdu(&r.tx, &a, resp, sizeof(resp), &rl, &sw), SCM_OK);
    assert_int_equal(sw, 0x9000);
    assert_int_equal(rl, 2);
    assert_int_equal(resp[0], 0xAA);
    assert_int_equal(scm_tx_apdu(&r.tx, &a, resp, sizeof(resp), &rl, &sw), SCM_OK);
    assert_int_equal(sw, 0x6A80);
    assert_int_equal(rl, 0);
    rtx_assert_done(&r);
    assert_int_equal(r.tx.apdus, 5);

    /* With extended length the same command is one APDU, not a chain. */
    char *e = hexstr("00DB3FFF 000258", data, sizeof(data), "0000");
    struct rtx_step st2[] = {{e, "9000"}};
    rtx_init(&r, st2, 1, true);
    assert_int_equal(scm_tx_apdu(&r.tx, &a, resp, sizeof(resp), &rl, &sw), SCM_OK);
    rtx_assert_done(&r);
    free(l1);
    free(l2);
    free(l3);
    free(e);
}

static void test_get_response(void **state)
{
    (void)state;
    static const struct rtx_step st[] = {
        {"0084000008", "11223344 6104"},
        {"00C0000004", "55667788 9000"},
        /* 6100: up to 256 more; a final warning SW is passed on with the data */
        {"00B0000000", "AA 6100"},
        {"00C0000000", "BB CC 6282"},
    };
    struct rtx r;
    rtx_init(&r, st, N(st), false);
    struct scm_apdu a = {0x00, 0x84, 0x00, 0x00, NULL, 0, 8, false, false};
    size_t rl;
    uint16_t sw;
    assert_int_equal(scm_tx_apdu(&r.tx, &a, resp, sizeof(resp), &rl, &sw), SCM_OK);
    assert_int_equal(sw, 0x9000);
    assert_int_equal(rl, 8);
    static const uint8_t want[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    assert_memory_equal(resp, want, 8);
    struct scm_apdu b = {0x00, 0xB0, 0x00, 0x00, NULL, 0, SCM_LE_MAX, false, false};
    assert_int_equal(scm_tx_apdu(&r.tx, &b, resp, sizeof(resp), &rl, &sw), SCM_OK);
    assert_int_equal(sw, 0x6282);
    assert_int_equal(rl, 3);
    assert_int_equal(r.tx.apdus, 4);
    rtx_assert_done(&r);
}

static void test_wrong_le(void **state)
{
    (void)state;
    static const struct rtx_step st[] = {
        {"00B0000010", "6C08"},
        {"00B0000008", "0102030405060708 9000"},
        /* a second 6Cxx for the same command is the card's final answer */
        {"00B0000010", "6C04"},
        {"00B0000004", "6C02"},
        /* 6Cxx on a command without Le: sent again with one */
        {"00CA0101", "6C02"},
        {"00CA010102", "ABCD 9000"},
    };
    struct rtx r;
    rtx_init(&r, st, N(st), false);
    struct scm_apdu a = {0x00, 0xB0, 0x00, 0x00, NULL, 0, 16, false, false};
    size_t rl;
    uint16_t sw;
    assert_int_equal(scm_tx_apdu(&r.tx, &a, resp, sizeof(resp), &rl, &sw), SCM_OK);
    assert_int_equal(sw, 0x9000);
    assert_int_equal(rl, 8);
    assert_int_equal(scm_tx_apdu(&r.tx, &a, resp, sizeof(resp), &rl, &sw), SCM_OK);
    assert_int_equal(sw, 0x6C02);
    assert_int_equal(rl, 0);
    struct scm_apdu c = {0x00, 0xCA, 0x01, 0x01, NULL, 0, 0, false, false};
    assert_int_equal(scm_tx_apdu(&r.tx, &c, resp, sizeof(resp), &rl, &sw), SCM_OK);
    assert_int_equal(sw, 0x9000);
    assert_int_equal(rl, 2);
    rtx_assert_done(&r);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct rtx_step st[] = {
        {"00B0000004", "REMOVED"}, {"00B0000004", "01020304 9000"}, /* more than the caller's room
                                                                     */
        {"00B0000004", "90"},                                       /* no status word */
        {"00B0000004", "01 6101"}, /* endless chaining past the room */
        {"00C0000001", "02 6101"}, {"00C0000001", "03 6101"},       {"00C0000001", "04 6101"},
    };
    struct rtx r;
    rtx_init(&r, st, N(st), false);
    struct scm_apdu a = {0x00, 0xB0, 0x00, 0x00, NULL, 0, 4, false, false};
    size_t rl;
    uint16_t sw;
    assert_int_equal(scm_tx_apdu(&r.tx, &a, resp, 4, &rl, &sw), SCM_E_CARD_REMOVED);
    assert_int_equal(scm_tx_apdu(&r.tx, &a, resp, 3, &rl, &sw), SCM_E_TRANSMIT);
    assert_int_equal(scm_tx_apdu(&r.tx, &a, resp, 4, &rl, &sw), SCM_E_TRANSMIT);
    assert_int_equal(scm_tx_apdu(&r.tx, &a, resp, 3, &rl, &sw), SCM_E_TRANSMIT);
    assert_int_equal(r.tx.apdus, 7);
    rtx_assert_done(&r);
    struct scm_apdu bad = {0x00, 0xB0, 0x00, 0x00, NULL, 3, 0, false, false}; /* lc without data */
    assert_int_equal(scm_tx_apdu(&r.tx, &bad, resp, 4, &rl, &sw), SCM_E_INVAL);
}

static void test_trace_masks_pin(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    assert_non_null(dir);
    char path[512];
    snprintf(path, sizeof(path), "%s/trace.log", dir);
    assert_int_equal(scm_log_open(path, SCM_LOG_TRACE), SCM_OK);

    static const uint8_t pin[6] = {'9', '8', '7', '6', '5', '4'};
    static const uint8_t pub[3] = {0xDE, 0xC0, 0xDE};
    static const struct rtx_step st[] = {
        {"002000810639383736 3534", "63C2"},
        {"00A4000C03DEC0DE", "6A82"},
        /* a PIN that a 61xx answer makes the layer follow up */
        {"002000810639383736 3534", "6100"},
        {"00C0000000", "9000"},
    };
    struct rtx r;
    rtx_init(&r, st, N(st), false);
    struct scm_apdu v = {0x00, 0x20, 0x00, 0x81, pin, sizeof(pin), 0, true, false};
    struct scm_apdu s = {0x00, 0xA4, 0x00, 0x0C, pub, sizeof(pub), 0, false, false};
    size_t rl;
    uint16_t sw;
    assert_int_equal(scm_tx_apdu(&r.tx, &v, resp, sizeof(resp), &rl, &sw), SCM_OK);
    assert_int_equal(sw, 0x63C2);
    assert_int_equal(scm_tx_apdu(&r.tx, &s, resp, sizeof(resp), &rl, &sw), SCM_OK);
    assert_int_equal(scm_tx_apdu(&r.tx, &v, resp, sizeof(resp), &rl, &sw), SCM_OK);
    rtx_assert_done(&r);
    scm_log_close();

    size_t len;
    uint8_t *log = tu_read_file(path, &len);
    assert_non_null(log);
    char *text = calloc(1, len + 1);
    assert_non_null(text);
    memcpy(text, log, len);
    assert_non_null(strstr(text, "00 20 00 81"));
    assert_non_null(strstr(text, "(6 bytes masked)"));
    assert_non_null(strstr(text, "63C2"));
    assert_non_null(strstr(text, "DE C0 DE")); /* ordinary data is shown */
    assert_null(strstr(text, "987654"));
    assert_null(strstr(text, "39 38 37"));
    assert_null(strstr(text, "393837"));
    free(text);
    free(log);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoding),     cmocka_unit_test(test_long_data),
        cmocka_unit_test(test_chaining),
        cmocka_unit_test(test_get_response), cmocka_unit_test(test_wrong_le),
        cmocka_unit_test(test_errors),       cmocka_unit_test(test_trace_masks_pin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
