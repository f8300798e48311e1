/* Private content in the UI: the viewer's lines (text and hex) live in
 * secure memory (checked against the kernel's view of the mapping, not
 * the allocator's own word), and Backspace in an input field wipes the
 * bytes it drops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ui_int.h"

/* Is addr in a mapping the kernel keeps out of core dumps (VmFlags "dd",
 * what scm_secure_alloc asks for; the ordinary heap never has it)? */
static bool in_dontdump_mapping(const void *addr)
{
    FILE *fp = fopen("/proc/self/smaps", "re");
    char line[512];
    uintptr_t a = (uintptr_t)addr, lo = 0, hi = 0;
    bool inside = false, dd = false;
    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp)) {
        unsigned long l, h;
        if (sscanf(line, "%lx-%lx ", &l, &h) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            lo = l, hi = h;
            inside = a >= lo && a < hi;
        } else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
            dd = strstr(line, " dd") != NULL;
            break;
        }
    }
    fclose(fp);
    return dd;
}

static const char private_text[] = "user=mike\npass=hunter2\r\nbinary\0byte\n";

static void check_lines(bool hex)
{
    char **lines = NULL;
    size_t n = 0;
    assert_int_equal(ui_view_lines((const uint8_t *)private_text, sizeof(private_text) - 1, hex,
                                   true, 70, &lines, &n),
                     0);
    assert_true(n >= 3);
    for (size_t i = 0; i < n; i++) {
        assert_true(ui_lines_secure(lines[i]));
        assert_true(in_dontdump_mapping(lines[i]));
    }
    if (!hex) {
        assert_string_equal(lines[1], "pass=hunter2");
        assert_string_equal(lines[2], "binary.byte");
    }
    ui_lines_free(lines, n);
}

static void test_view_text_secure(void **state)
{
    (void)state;
    check_lines(false);
}

static void test_view_hex_secure(void **state)
{
    (void)state;
    check_lines(true);
}

/* Many lines: more than one pool chunk, all released. */
static void test_many_lines(void **state)
{
    (void)state;
    static uint8_t big[200000];
    char **lines = NULL;
    size_t n = 0;
    memset(big, 'x', sizeof(big));
    assert_int_equal(ui_view_lines(big, sizeof(big), true, true, 80, &lines, &n), 0);
    assert_int_equal(n, (sizeof(big) + 15) / 16);
    assert_true(in_dontdump_mapping(lines[0]) && in_dontdump_mapping(lines[n - 1]));
    ui_lines_free(lines, n);
    /* Help lines come from the same pool. */
    lines = NULL, n = 0;
    assert_int_equal(ui_lines_add(&lines, &n, "%s %d", "line", 1), 0);
    assert_true(ui_lines_secure(lines[0]));
    assert_string_equal(lines[0], "line 1");
    ui_lines_free(lines, n);
}

static void test_backspace_wipes(void **state)
{
    (void)state;
    char buf[16];
    memset(buf, 'Z', sizeof(buf));
    memcpy(buf, "pw\xc3\xa9", 5); /* "pwé" and its NUL */
    size_t len = ui_text_backspace(buf, 4);
    assert_int_equal(len, 2);
    assert_string_equal(buf, "pw");
    /* The two bytes of é are gone, not just hidden behind the NUL. */
    assert_int_equal(buf[3], 0);
    len = ui_text_backspace(buf, len);
    assert_int_equal(len, 1);
    assert_int_equal(buf[1], 0);
    len = ui_text_backspace(buf, ui_text_backspace(buf, len));
    assert_int_equal(len, 0);
    assert_int_equal(buf[0], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_text_secure),
        cmocka_unit_test(test_view_hex_secure),
        cmocka_unit_test(test_many_lines),
        cmocka_unit_test(test_backspace_wipes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
