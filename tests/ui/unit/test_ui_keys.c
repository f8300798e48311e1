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

/* Esc then a digit is F1..F10 (Esc 0 = F10), Esc then a letter Alt+letter;
 * anything else leaves the Esc alone. */
static void test_esc_combos(void **state)
{
    static const struct {
        int next, key;
    } cases[] = {
        {'1', KEY_F(1)}, {'2', KEY_F(2)}, {'5', KEY_F(5)}, {'9', KEY_F(9)}, {'0', KEY_F(10)},
        {'f', UI_KEY_ALT('f')}, {'T', UI_KEY_ALT('T')}, {'z', UI_KEY_ALT('z')},
        {27, 0}, {'[', 0}, {'_', 0}, {'/', 0}, {' ', 0}, {'\n', 0}, {KEY_UP, 0}, {KEY_F(1), 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(ui_keys_after_esc(cases[i].next), cases[i].key);
    /* What they make is dispatched like the real keys. */
    assert_int_equal(ui_keys_lookup(ui_keys_after_esc('0')), UI_ACT_QUIT);
    assert_int_equal(ui_keys_lookup(ui_keys_after_esc('1')), UI_ACT_HELP);
    assert_int_equal(ui_keys_lookup(ui_keys_after_esc('9')), UI_ACT_MENU);
    assert_int_equal(ui_keys_lookup(ui_keys_after_esc('t')), UI_ACT_MENU_TOOLS);
    /* VT220 Find/Select are Home/End; other keys pass. */
    assert_int_equal(ui_keys_alias(KEY_FIND), KEY_HOME);
    assert_int_equal(ui_keys_alias(KEY_SELECT), KEY_END);
    assert_int_equal(ui_keys_alias(KEY_UP), KEY_UP);
    assert_int_equal(ui_keys_alias('q'), 'q');
}

/* The sequences taught to curses cover the common forms of Home, End and
 * F1-F10 (tmux sends ESC [4~ for End whatever TERM says), each once. */
static void test_extra_sequences(void **state)
{
    static const struct {
        const char *seq;
        int key;
    } want[] = {
        {"\033[1~", KEY_HOME}, {"\033OH", KEY_HOME},    {"\033[H", KEY_HOME},  {"\033[7~", KEY_HOME},
        {"\033[4~", KEY_END},  {"\033OF", KEY_END},     {"\033[F", KEY_END},   {"\033[8~", KEY_END},
        {"\033OP", KEY_F(1)},  {"\033[11~", KEY_F(1)},  {"\033[[A", KEY_F(1)}, {"\033[[E", KEY_F(5)},
        {"\033[15~", KEY_F(5)}, {"\033[21~", KEY_F(10)}, {"\033[5~", KEY_PPAGE}, {"\033[6~", KEY_NPAGE},
    };
    size_t n;
    const struct ui_key_seq *x = ui_keys_extra(&n);
    (void)state;
    for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
        size_t found = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(x[i].seq, want[w].seq) == 0) {
                assert_int_equal(x[i].key, want[w].key);
                found++;
            }
        if (found != 1)
            fail_msg("sequence ESC%s found %zu times", want[w].seq + 1, found);
    }
    for (size_t i = 0; i < n; i++)
        assert_int_equal(x[i].seq[0], '\033');
}

/* F1 help tells how to reach F1-F10 where the terminal has none. */
static void test_help_esc_digits(void **state)
{
    char **lines;
    size_t n;
    bool found = false;
    (void)state;
    assert_int_equal(ui_keys_help(&lines, &n), SCM_OK);
    for (size_t i = 0; i < n; i++)
        found = found || (strstr(lines[i], "Esc 1..Esc 0") && strstr(lines[i], "F1..F10"));
    assert_true(found);
    ui_lines_free(lines, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_no_duplicates),
        cmocka_unit_test(test_help_lists_every_binding),
        cmocka_unit_test(test_fbar),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_esc_combos),
        cmocka_unit_test(test_extra_sequences),
        cmocka_unit_test(test_help_esc_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
