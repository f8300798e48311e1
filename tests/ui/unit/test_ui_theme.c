/* Theme parsing: every shipped theme, a broken file (error sentence and the
 * defaults), unknown names, and NO_COLOR's attribute-only fallback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ui_int.h"

static const char *themes_dir(void)
{
    const char *d = getenv("SCMGR_THEMES");
    return d ? d : "themes";
}

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/scmgr-theme-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_shipped(void **state)
{
    static const char *const names[] = {"default", "mono", "high-contrast", "light"};
    const char *dirs[] = {themes_dir(), NULL};
    struct ui_theme t, def;
    char err[512];
    (void)state;
    ui_theme_builtin(&def);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_int_equal(ui_theme_load(names[i], dirs, &t, err, sizeof(err)), SCM_OK);
        assert_string_equal(err, "");
        assert_string_equal(t.name, names[i]);
    }
    /* default.ini is the built-in default */
    ui_theme_load("default", dirs, &t, err, sizeof(err));
    assert_memory_equal(t.role, def.role, sizeof(def.role));
    /* mono uses attributes only, and the selection is visible */
    ui_theme_load("mono", dirs, &t, err, sizeof(err));
    assert_false(t.color);
    for (int r = 0; r < UI_ROLE_COUNT; r++)
        assert_int_equal(t.role[r].fg, -1);
    assert_true(t.role[UI_ROLE_SELECTION].attrs & UI_ATTR_REVERSE);
}

static void test_good_file(void **state)
{
    struct ui_theme t;
    char err[512];
    (void)state;
    char *p = write_tmp("[theme]\nname = mine\n[colors]\nfocus = yellow, black, bold\n"
                        "selection = reverse\n");
    assert_int_equal(ui_theme_parse_file(p, &t, err, sizeof(err)), SCM_OK);
    assert_string_equal(t.name, "mine");
    assert_int_equal(t.role[UI_ROLE_FOCUS].fg, COLOR_YELLOW);
    assert_int_equal(t.role[UI_ROLE_FOCUS].bg, COLOR_BLACK);
    assert_int_equal(t.role[UI_ROLE_FOCUS].attrs, UI_ATTR_BOLD);
    assert_int_equal(t.role[UI_ROLE_SELECTION].fg, -1);
    assert_int_equal(t.role[UI_ROLE_SELECTION].attrs, UI_ATTR_REVERSE);
    unlink(p);
}

static void test_broken(void **state)
{
    static const char *const bad[] = {
        "[colors]\nfocus = purple-ish, blue\n", /* not a colour */
        "[colors]\nfocsu = white, blue\n",      /* a typo in a role */
        "[theme]\nname = x\n",                  /* no colours at all */
    };
    struct ui_theme t, def;
    char err[512];
    (void)state;
    ui_theme_builtin(&def);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *p = write_tmp(bad[i]);
        assert_true(ui_theme_parse_file(p, &t, err, sizeof(err)) < 0);
        assert_non_null(strstr(err, p));
        assert_non_null(strstr(err, "Default theme used: "));
        assert_memory_equal(t.role, def.role, sizeof(def.role));
        unlink(p);
    }
    assert_true(ui_theme_parse_file("/nonexistent/x.ini", &t, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "cannot be read"));
}

static void test_unknown_name(void **state)
{
    const char *dirs[] = {themes_dir(), NULL};
    struct ui_theme t, def;
    char err[512];
    (void)state;
    ui_theme_builtin(&def);
    assert_true(ui_theme_load("no-such-theme", dirs, &t, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "no-such-theme"));
    assert_memory_equal(t.role, def.role, sizeof(def.role));
    /* the default needs no file at all */
    assert_int_equal(ui_theme_load(NULL, NULL, &t, err, sizeof(err)), SCM_OK);
}

static void test_no_color(void **state)
{
    struct ui_theme t;
    (void)state;
    ui_theme_builtin(&t);
    ui_theme_strip_color(&t);
    assert_false(t.color);
    for (int r = 0; r < UI_ROLE_COUNT; r++) {
        assert_int_equal(t.role[r].fg, -1);
        assert_int_equal(t.role[r].bg, -1);
    }
    /* roles that were told apart by colour alone now use attributes */
    assert_true(t.role[UI_ROLE_SELECTION].attrs & UI_ATTR_REVERSE);
    assert_true(t.role[UI_ROLE_FOCUS].attrs != 0);
    assert_true(t.role[UI_ROLE_ERROR].attrs != 0);
    assert_true(t.role[UI_ROLE_MARKED].attrs & UI_ATTR_BOLD); /* kept */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped),     cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_broken),      cmocka_unit_test(test_unknown_name),
        cmocka_unit_test(test_no_color),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
