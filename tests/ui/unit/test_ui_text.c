/* Text from cards before it is drawn: no control or bidi characters reach
 * the terminal; ASCII only without a UTF-8 locale; cut to the width. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <locale.h>

#include <cmocka.h>

#include "ui_int.h"

static bool has_raw_controls(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return true;
    /* U+202A..U+202E, U+2066..U+2069 encoded */
    return strstr(s, "\xe2\x80\xae") || strstr(s, "\xe2\x80\xab") || strstr(s, "\xe2\x81\xa6") ||
           strstr(s, "\xe2\x81\xa9");
}

static void test_label_with_controls(void **state)
{
    static const char *const evil[] = {
        "Mike\x1b[2J's card",        /* clear screen */
        "abc\r\ndef",                 /* line breaks */
        "gpj.\xe2\x80\xae" "exe",        /* RIGHT-TO-LEFT OVERRIDE */
        "x\xe2\x81\xa6y\xe2\x81\xa9", /* isolates */
        "\x9b" "31m",                 /* C1 CSI as a raw byte (invalid UTF-8) */
        "\xc2\x9b" "31m",             /* C1 CSI as UTF-8 */
        "del\x7f",
    };
    char out[256];
    (void)state;
    for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
        ui_text_clean(evil[i], true, out, sizeof(out));
        assert_false(has_raw_controls(out));
        assert_false(strstr(out, "\xc2\x9b") != NULL);
        ui_text_clean(evil[i], false, out, sizeof(out));
        assert_false(has_raw_controls(out));
        for (const unsigned char *p = (const unsigned char *)out; *p; p++)
            assert_true(*p < 0x80);
    }
    ui_text_clean("Mike\x1b[2J", true, out, sizeof(out));
    assert_non_null(strstr(out, "Mike"));
}

static void test_ascii_fallback(void **state)
{
    char out[64];
    (void)state;
    ui_text_clean("Gr\xc3\xbc\xc3\x9f" "e", false, out, sizeof(out));
    assert_string_equal(out, "Gr??e");
    ui_text_clean("Gr\xc3\xbc\xc3\x9f" "e", true, out, sizeof(out));
    assert_string_equal(out, "Gr\xc3\xbc\xc3\x9f" "e");
}

static void test_fit(void **state)
{
    char out[64];
    (void)state;
    assert_int_equal(ui_text_fit("Please read", false, 6, out, sizeof(out)), 6);
    assert_string_equal(out, "Please");
    assert_int_equal(ui_text_fit("abc", false, 10, out, sizeof(out)), 3);
    assert_int_equal(ui_text_fit("abc", false, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    if (setlocale(LC_CTYPE, "C.UTF-8")) {
        /* never cut inside a character */
        assert_int_equal(ui_text_fit("\xc3\xbc\xc3\xbc\xc3\xbc", true, 2, out, sizeof(out)), 2);
        assert_string_equal(out, "\xc3\xbc\xc3\xbc");
    }
}

static void test_size(void **state)
{
    char out[32];
    (void)state;
    ui_fmt_size(120, out, sizeof(out));
    assert_string_equal(out, "120 B");
    ui_fmt_size(1536, out, sizeof(out));
    assert_string_equal(out, "1.5 KiB");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_with_controls),
        cmocka_unit_test(test_ascii_fallback),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
