/* The one list widget: navigation keys, scrolling, type-ahead, the mouse
 * hit-test and the two-row repaint, without a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ui_int.h"

static const char *const names[] = {"alpha", "Bravo", "charlie", "Delta", "echo",
                                    "foxtrot", "golf", "Hotel", "india", "juliet"};
#define N ((int)(sizeof(names) / sizeof(names[0])))

static const char *label(void *arg, int i, char *buf, size_t cap)
{
    (void)arg, (void)buf, (void)cap;
    return names[i];
}

struct fix {
    int sel, top;
    struct ui_list l;
};

static void setup(struct fix *f, int h)
{
    memset(f, 0, sizeof(*f));
    f->l = (struct ui_list){.sel = &f->sel, .top = &f->top, .n = N, .h = h, .label = label};
    ui_list_forget(&f->l);
}

static void test_navigation(void **state)
{
    struct fix f;
    (void)state;
    setup(&f, 4);
    assert_int_equal(ui_list_key(&f.l, KEY_DOWN), UI_LIST_MOVED);
    assert_int_equal(f.sel, 1);
    assert_int_equal(ui_list_key(&f.l, KEY_UP), UI_LIST_MOVED);
    assert_int_equal(ui_list_key(&f.l, KEY_UP), UI_LIST_SAME); /* no wrap */
    assert_int_equal(f.sel, 0);
    assert_int_equal(ui_list_key(&f.l, KEY_NPAGE), UI_LIST_SCROLLED);
    assert_int_equal(f.sel, 4);
    assert_int_equal(f.top, 1);
    assert_int_equal(ui_list_key(&f.l, KEY_END), UI_LIST_SCROLLED);
    assert_int_equal(f.sel, N - 1);
    assert_int_equal(f.top, N - 4);
    assert_int_equal(ui_list_key(&f.l, KEY_NPAGE), UI_LIST_SAME);
    assert_int_equal(ui_list_key(&f.l, KEY_HOME), UI_LIST_SCROLLED);
    assert_int_equal(f.sel, 0);
    assert_int_equal(f.top, 0);
    assert_int_equal(ui_list_key(&f.l, KEY_PPAGE), UI_LIST_SAME);
    assert_int_equal(ui_list_key(&f.l, KEY_F(5)), UI_LIST_IGNORED);
    assert_int_equal(ui_list_key(&f.l, 'x'), UI_LIST_IGNORED); /* letters are the owner's */

    f.l.wrap = true;
    assert_int_equal(ui_list_key(&f.l, KEY_UP), UI_LIST_SCROLLED);
    assert_int_equal(f.sel, N - 1);
    assert_int_equal(ui_list_key(&f.l, KEY_DOWN), UI_LIST_SCROLLED);
    assert_int_equal(f.sel, 0);
}

static void test_empty(void **state)
{
    struct fix f;
    (void)state;
    setup(&f, 4);
    f.l.n = 0;
    assert_int_equal(ui_list_key(&f.l, KEY_END), UI_LIST_SAME);
    assert_int_equal(f.sel, 0);
    assert_int_equal(ui_list_key(&f.l, KEY_DOWN), UI_LIST_SAME);
    assert_int_equal(ui_list_hit(&f.l, 0, 0), -1);
    f.l.w = 10;
    assert_int_equal(ui_list_hit(&f.l, 0, 1), -1);
    assert_int_equal(ui_list_key(&f.l, '/'), UI_LIST_SAME);
    assert_int_equal(ui_list_key(&f.l, 'a'), UI_LIST_SAME); /* nothing to find, no crash */
}

static void test_find_slash(void **state)
{
    struct fix f;
    (void)state;
    setup(&f, 4);
    assert_int_equal(ui_list_key(&f.l, '/'), UI_LIST_SAME);
    assert_true(f.l.finding);
    assert_int_not_equal(ui_list_key(&f.l, 'O'), UI_LIST_IGNORED); /* brAvo: any case */
    assert_int_equal(f.sel, 1);
    ui_list_key(&f.l, 'l'); /* "ol": golf */
    assert_int_equal(f.sel, 6);
    assert_string_equal(f.l.find, "Ol");
    assert_int_equal(ui_list_key(&f.l, 'z'), UI_LIST_SAME); /* no label has "olz" */
    assert_string_equal(f.l.find, "Ol");
    assert_int_equal(f.sel, 6);
    ui_list_key(&f.l, KEY_BACKSPACE);
    assert_string_equal(f.l.find, "O");
    assert_int_equal(ui_list_find_next(&f.l), UI_LIST_SCROLLED); /* hOtel, one below */
    assert_int_equal(f.sel, 7);
    assert_int_equal(ui_list_find_next(&f.l), UI_LIST_SCROLLED); /* wraps to bravO */
    assert_int_equal(f.sel, 1);
    /* Esc ends the search only (the dialog stays), so does Enter. */
    assert_int_equal(ui_list_key(&f.l, 27), UI_LIST_SAME);
    assert_false(f.l.finding);
    assert_int_equal(ui_list_key(&f.l, 27), UI_LIST_IGNORED);
    /* A navigation key during a search moves and ends it. */
    ui_list_key(&f.l, '/');
    assert_int_equal(ui_list_key(&f.l, KEY_DOWN), UI_LIST_MOVED);
    assert_false(f.l.finding);
    /* Without labels there is no search: '/' is the owner's. */
    f.l.label = NULL;
    assert_int_equal(ui_list_key(&f.l, '/'), UI_LIST_IGNORED);
}

static void test_find_always(void **state)
{
    struct fix f;
    (void)state;
    setup(&f, 4);
    f.l.find_always = true;
    assert_int_equal(ui_list_key(&f.l, ' '), UI_LIST_IGNORED); /* a space alone is not a search */
    ui_list_key(&f.l, 'J');
    assert_int_equal(f.sel, 9);
    assert_int_equal(f.top, 6);
    /* Enter ends the search and is the owner's (it chooses). */
    assert_int_equal(ui_list_key(&f.l, '\n'), UI_LIST_IGNORED);
    assert_false(f.l.finding);
    assert_int_equal(f.sel, 9);
    ui_list_key(&f.l, 'd');
    assert_int_equal(f.sel, 3); /* a new search starts from the selection, wraps */
    assert_int_equal(ui_list_key(&f.l, 27), UI_LIST_SAME); /* Esc: the search only */
    assert_int_equal(ui_list_key(&f.l, 27), UI_LIST_IGNORED);
}

static void test_view_mode(void **state)
{
    struct fix f;
    (void)state;
    setup(&f, 4);
    f.l.view = true;
    assert_int_equal(ui_list_key(&f.l, KEY_DOWN), UI_LIST_SCROLLED);
    assert_int_equal(f.top, 1);
    assert_int_equal(ui_list_key(&f.l, KEY_END), UI_LIST_SCROLLED);
    assert_int_equal(f.top, N - 4);
    assert_int_equal(ui_list_key(&f.l, KEY_DOWN), UI_LIST_SAME);
    assert_int_equal(ui_list_key(&f.l, KEY_HOME), UI_LIST_SCROLLED);
    assert_int_equal(f.top, 0);
}

static void test_hit_and_wheel(void **state)
{
    struct fix f;
    (void)state;
    setup(&f, 3);
    f.l.y = 2, f.l.x = 1, f.l.w = 20, f.l.per = 2;
    f.top = 4;
    assert_int_equal(ui_list_hit(&f.l, 2, 1), 4);
    assert_int_equal(ui_list_hit(&f.l, 3, 5), 4); /* an item's second row */
    assert_int_equal(ui_list_hit(&f.l, 4, 5), 5);
    assert_int_equal(ui_list_hit(&f.l, 7, 20), 6);
    assert_int_equal(ui_list_hit(&f.l, 8, 5), -1); /* below the visible items */
    assert_int_equal(ui_list_hit(&f.l, 1, 5), -1); /* above */
    assert_int_equal(ui_list_hit(&f.l, 2, 0), -1); /* on the border */
    assert_int_equal(ui_list_hit(&f.l, 2, 21), -1);
    f.sel = 4;
    assert_int_equal(ui_list_wheel(&f.l, 3), UI_LIST_SCROLLED);
    assert_int_equal(f.top, 7);
    assert_int_equal(f.sel, 7); /* kept on screen */
    assert_int_equal(ui_list_wheel(&f.l, 3), UI_LIST_SAME); /* at the end */
    assert_int_equal(ui_list_wheel(&f.l, -100), UI_LIST_SCROLLED);
    assert_int_equal(f.top, 0);
    assert_int_equal(f.sel, 2);
}

/* What the draw callback was asked to paint. */
static int painted[N], npainted;
static void paint(void *arg, int i, int row, bool sel)
{
    (void)arg, (void)row, (void)sel;
    painted[npainted++] = i;
}

static void test_two_row_repaint(void **state)
{
    struct fix f;
    (void)state;
    setup(&f, 4);
    npainted = 0;
    ui_list_draw(&f.l, 4, false, paint, NULL); /* never drawn: everything */
    assert_int_equal(npainted, 4);
    assert_int_equal(ui_list_key(&f.l, KEY_DOWN), UI_LIST_MOVED);
    npainted = 0;
    ui_list_draw(&f.l, 4, false, paint, NULL);
    assert_int_equal(npainted, 2);
    assert_int_equal(painted[0], 0);
    assert_int_equal(painted[1], 1);
    /* Scrolled: the whole list, whatever the caller asked. */
    ui_list_key(&f.l, KEY_END);
    npainted = 0;
    ui_list_draw(&f.l, 4, false, paint, NULL);
    assert_int_equal(npainted, 4);
    /* Forgotten (the window was erased): everything again. */
    ui_list_forget(&f.l);
    npainted = 0;
    ui_list_draw(&f.l, 4, false, paint, NULL);
    assert_int_equal(npainted, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_navigation),   cmocka_unit_test(test_empty),
        cmocka_unit_test(test_find_slash),   cmocka_unit_test(test_find_always),
        cmocka_unit_test(test_view_mode),    cmocka_unit_test(test_hit_and_wheel),
        cmocka_unit_test(test_two_row_repaint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
