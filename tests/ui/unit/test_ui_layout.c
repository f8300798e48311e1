/* Layout maths: pane sizes for common terminal sizes, and too small. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ui_int.h"

/* Panes tile the body exactly: no gap, no overlap, nothing off screen. */
static void check_tiles(const struct ui_layout *l)
{
    assert_int_equal(l->menu.y, 0);
    assert_int_equal(l->fbar.y, l->rows - 1);
    assert_int_equal(l->status.y, l->rows - 3);
    assert_int_equal(l->status.h, 2); /* a long sentence wraps, not cut */
    assert_int_equal(l->status.y + l->status.h, l->fbar.y);
    assert_int_equal(l->readers.y, 1);
    assert_int_equal(l->readers.y + l->readers.h, l->clip.y);
    assert_int_equal(l->clip.y + l->clip.h, l->status.y);
    assert_int_equal(l->card.y + l->card.h, l->status.y);
    assert_int_equal(l->readers.w, l->clip.w);
    assert_int_equal(l->card.x, l->readers.w);
    assert_int_equal(l->card.x + l->card.w, l->cols);
    assert_int_equal((l->readers.h - 2) % 2, 0); /* two rows per entry */
}

static void test_80x24(void **state)
{
    struct ui_layout l;
    (void)state;
    ui_layout_compute(80, 24, &l);
    assert_false(l.too_small);
    check_tiles(&l);
    assert_int_equal(l.readers.w, 28);
    assert_int_equal(l.card.w, 52);
    assert_int_equal(l.readers.h, 10); /* 4 entries of 2 rows, none wasted */
    assert_int_equal(l.clip.h, 10);
    assert_int_equal(l.card.h, 20);
}

static void test_200x60(void **state)
{
    struct ui_layout l;
    (void)state;
    ui_layout_compute(200, 60, &l);
    assert_false(l.too_small);
    check_tiles(&l);
    assert_int_equal(l.readers.w, 60); /* capped */
    assert_int_equal(l.card.w, 140);
    assert_int_equal(l.card.h, 56);
}

static void test_too_small(void **state)
{
    static const int sizes[][2] = {{79, 24}, {80, 23}, {1, 1}, {0, 0}, {60, 20}};
    struct ui_layout l;
    (void)state;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        ui_layout_compute(sizes[i][0], sizes[i][1], &l);
        assert_true(l.too_small);
    }
}

static void test_scroll(void **state)
{
    (void)state;
    assert_int_equal(ui_layout_scroll(0, 0, 5, 3), 0);
    assert_int_equal(ui_layout_scroll(0, 7, 5, 20), 3);
    assert_int_equal(ui_layout_scroll(10, 2, 5, 20), 2);
    assert_int_equal(ui_layout_scroll(18, 19, 5, 20), 15);
    assert_int_equal(ui_layout_scroll(0, 0, 0, 20), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_80x24),
        cmocka_unit_test(test_200x60),
        cmocka_unit_test(test_too_small),
        cmocka_unit_test(test_scroll),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
