/* Key dispatch: the table maps keys to actions, and the help text and the
 * function-key bar generated from it cover every binding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ui_int.h"

static void test_dispatch(void **state)
{
    static const struct {
        int key;
        enum ui_action act;
    } cases[] = {
        {KEY_F(1), UI_ACT_HELP},      {'?', UI_ACT_HELP},          {KEY_F(3), UI_ACT_VIEW},
        {KEY_F(5), UI_ACT_COPY},      {KEY_F(6), UI_ACT_PASTE},    {KEY_F(7), UI_ACT_NEW_VSC},
        {KEY_F(8), UI_ACT_DELETE},    {KEY_F(9), UI_ACT_MENU},     {KEY_F(10), UI_ACT_QUIT},
        {'\t', UI_ACT_NEXT_PANE},     {KEY_BTAB, UI_ACT_PREV_PANE}, {'\n', UI_ACT_OPEN},
        {' ', UI_ACT_MARK},           {KEY_IC, UI_ACT_MARK},       {12, UI_ACT_REDRAW},
        {UI_KEY_ALT('f'), UI_ACT_MENU_FILE}, {UI_KEY_ALT('E'), UI_ACT_MENU_EDIT},
        {UI_KEY_ALT('t'), UI_ACT_MENU_TOOLS}, {'x', UI_ACT_NONE},  {KEY_F(4), UI_ACT_NONE},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(ui_keys_lookup(cases[i].key), cases[i].act);
}

/* One key, one action: a key bound twice would make dispatch depend on order. */
static void test_no_duplicates(void **state)
{
    (void)state;
    for (size_t i = 0; i < ui_keys_count(); i++)
        for (size_t j = i + 1; j < ui_keys_count(); j++)
            assert_int_not_equal(ui_keys_at(i)->key, ui_keys_at(j)->key);
}

static void test_help_lists_every_binding(void **state)
{
    char **lines;
    size_t n;
    (void)state;
    assert_int_equal(ui_keys_help(&lines, &n), SCM_OK);
    assert_true(n > 10);
    for (size_t i = 0; i < ui_keys_count(); i++) {
        const struct ui_binding *b = ui_keys_at(i);
        if (!b->key_name)
            continue;
        bool found = false;
        for (size_t k = 0; k < n && !found; k++) {
            /* the key name as a whole word of the keys column */
            const char *p = strstr(lines[k], b->key_name);
            size_t l = strlen(b->key_name);
            found = p && (p == lines[k] || p[-1] == ' ') && (p[l] == ',' || p[l] == ' ') &&
                    strstr(lines[k], ui_action_help(b->act));
        }
        if (!found)
            fail_msg("help does not list %s", b->key_name);
        assert_true(ui_action_help(b->act)[0] != '\0');
    }
    ui_lines_free(lines, n);
}

static void test_fbar(void **state)
{
    (void)state;
    /* Every function-bar entry is a key the table dispatches. */
    size_t n = 0;
    for (size_t i = 0; i < ui_keys_count(); i++) {
        const struct ui_binding *b = ui_keys_at(i);
        if (b->fbar) {
            n++;
            assert_int_equal(ui_keys_lookup(b->key), b->act);
            assert_int_equal(b->key_name[0], 'F');
        }
    }
    assert_true(n >= 8);
}

static void test_names(void **state)
{
    char buf[64];
    (void)state;
    ui_keys_names(UI_ACT_DELETE, buf, sizeof(buf));
    assert_string_equal(buf, "F8, Delete");
    ui_keys_names(UI_ACT_COPY_ALL, buf, sizeof(buf));
    assert_string_equal(buf, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_no_duplicates),
        cmocka_unit_test(test_help_lists_every_binding),
        cmocka_unit_test(test_fbar),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
