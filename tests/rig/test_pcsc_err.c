/* The reader handler's translation tables (PC/SC codes, status words) and
 * its ATR reading, without pcscd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "pcsc_int.h"

static void t_pcsc_codes(void **state)
{
    static const struct {
        LONG rv;
        int err;
    } rows[] = {
        {SCARD_S_SUCCESS, SCM_OK},
        {SCARD_E_NO_SERVICE, SCM_E_NO_SERVICE},
        {SCARD_E_SERVICE_STOPPED, SCM_E_NO_SERVICE},
        {SCARD_E_INVALID_HANDLE, SCM_E_NO_SERVICE},
        {SCARD_P_SHUTDOWN, SCM_E_NO_SERVICE},
        {SCARD_E_NO_READERS_AVAILABLE, SCM_E_NO_READER},
        {SCARD_E_UNKNOWN_READER, SCM_E_NO_READER},
        {SCARD_E_READER_UNAVAILABLE, SCM_E_NO_READER},
        {SCARD_E_NO_SMARTCARD, SCM_E_NO_CARD},
        {SCARD_W_REMOVED_CARD, SCM_E_CARD_REMOVED},
        {SCARD_W_RESET_CARD, SCM_E_CARD_RESET},
        {SCARD_E_SHARING_VIOLATION, SCM_E_CARD_BUSY},
        {SCARD_W_UNRESPONSIVE_CARD, SCM_E_CARD_MUTE},
        {SCARD_W_UNPOWERED_CARD, SCM_E_CARD_MUTE},
        {SCARD_E_PROTO_MISMATCH, SCM_E_CARD_MUTE},
        {SCARD_E_NOT_TRANSACTED, SCM_E_TRANSMIT},
        {SCARD_F_COMM_ERROR, SCM_E_TRANSMIT},
        {SCARD_E_TIMEOUT, SCM_E_TRANSMIT},
        {SCARD_E_CANCELLED, SCM_E_CANCELLED},
        {SCARD_E_NO_MEMORY, SCM_E_NOMEM},
        {SCARD_F_INTERNAL_ERROR, SCM_E_PCSC},
        {SCARD_E_INVALID_PARAMETER, SCM_E_PCSC},
        {0x12345678, SCM_E_PCSC},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        print_message("0x%08lX\n", (unsigned long)rows[i].rv);
        assert_int_equal(scm_rd_pcsc_err(rows[i].rv), rows[i].err);
    }
}

static void t_status_words(void **state)
{
    static const struct {
        uint16_t sw;
        int err;
    } rows[] = {
        {0x9000, SCM_OK},
        {0x6100, SCM_OK},
        {0x61FF, SCM_OK},
        {0x63C0, SCM_E_BAD_PIN},
        {0x63C2, SCM_E_BAD_PIN},
        {0x63CF, SCM_E_BAD_PIN},
        {0x6300, SCM_E_BAD_PIN},
        {0x6983, SCM_E_PIN_BLOCKED},
        {0x6982, SCM_E_CARD_LOCKED},
        {0x6985, SCM_E_CARD_LOCKED},
        {0x6A82, SCM_E_NOT_FOUND},
        {0x6A84, SCM_E_CARD_FULL},
        {0x6A80, SCM_E_CARD_REFUSED},
        {0x6D00, SCM_E_CARD_REFUSED},
        {0x6F00, SCM_E_CARD_REFUSED},
        {0x6282, SCM_E_CARD_REFUSED},
        {0x0000, SCM_E_CARD_REFUSED},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        print_message("%04X\n", rows[i].sw);
        assert_int_equal(scm_sw_err(rows[i].sw), rows[i].err);
    }
}

/* Every sentence names the reader (made safe for a terminal) and reads as
 * a sentence; every error it maps to has a text of its own. */
static void t_details(void **state)
{
    static const LONG codes[] = {
        SCARD_E_NO_SERVICE,        SCARD_E_UNKNOWN_READER, SCARD_E_NO_SMARTCARD,
        SCARD_W_REMOVED_CARD,      SCARD_W_RESET_CARD,     SCARD_E_SHARING_VIOLATION,
        SCARD_W_UNRESPONSIVE_CARD, SCARD_E_NOT_TRANSACTED, SCARD_E_CANCELLED,
        SCARD_F_INTERNAL_ERROR,
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        struct scm_detail d = {{0}};
        int err = scm_rd__fail(&d, codes[i], "SCardTest", "Evil\x1b[2J Reader 00 00");
        print_message("%s\n", d.text);
        assert_int_equal(err, scm_rd_pcsc_err(codes[i]));
        assert_string_not_equal(scm_strerror(err), "Unknown error.");
        size_t n = strlen(d.text);
        assert_true(n >= 10);
        assert_true(d.text[n - 1] == '.');
        /* Kept as the driver gave it (every output sanitises details,
         * once): never escaped here already. */
        assert_null(strstr(d.text, "\\x1B"));
        assert_true(!strstr(d.text, "Evil") || strstr(d.text, "'Evil\x1b[2J Reader 00 00'"));
    }
    struct scm_detail d = {{0}};
    scm_rd__fail(&d, SCARD_E_NO_SMARTCARD, "SCardConnect", "Virtual PCD 00 01");
    assert_string_equal(d.text, "There is no card in 'Virtual PCD 00 01': insert one.");
    scm_rd__fail(&d, SCARD_E_NO_SMARTCARD, "SCardConnect", NULL);
    assert_string_equal(d.text, "There is no card in the reader: insert one.");
    assert_int_equal(scm_rd__fail(NULL, SCARD_W_REMOVED_CARD, "x", NULL), SCM_E_CARD_REMOVED);
}

static void t_atr(void **state)
{
    static const struct {
        const char *what;
        uint8_t atr[33];
        size_t len;
        bool extended;
    } rows[] = {
        {"vicc", {0x3B, 0x95, 0x13, 0x81, 0x01, 0x80, 0x73, 0xFF, 0x01, 0x00, 0x0B}, 11, false},
        {"vicc extended",
         {0x3B, 0x95, 0x13, 0x81, 0x01, 0x80, 0x73, 0xFF, 0x01, 0x40, 0x4B},
         11,
         true},
        /* Category 00: the last 3 historical bytes are status, not TLV. */
        {"cat 00",
         {0x3B, 0x88, 0x80, 0x01, 0x00, 0x73, 0xC8, 0x40, 0x40, 0x82, 0x90, 0x00, 0x00},
         13,
         true},
        {"cat 00 status only",
         {0x3B, 0x88, 0x80, 0x01, 0x00, 0x31, 0xC0, 0x73, 0x00, 0x40, 0x90, 0x00, 0x00},
         13,
         false},
        {"no historical bytes", {0x3B, 0x00}, 2, false},
        {"truncated", {0x3B, 0x95, 0x13, 0x81}, 4, false},
        {"short table", {0x3B, 0x83, 0x80, 0x01, 0x80, 0x72, 0xFF}, 7, false},
        {"TLV past end", {0x3B, 0x84, 0x80, 0x01, 0x80, 0x7F, 0xFF, 0xFF}, 8, false},
        {"empty", {0}, 0, false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        print_message("%s\n", rows[i].what);
        assert_int_equal(scm_rd__atr_extended(rows[i].atr, rows[i].len), rows[i].extended);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_pcsc_codes),
        cmocka_unit_test(t_status_words),
        cmocka_unit_test(t_details),
        cmocka_unit_test(t_atr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
