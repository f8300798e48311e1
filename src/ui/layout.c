/* Where every part of the screen goes, from the terminal size alone. Pure
 * maths, so that it is unit tested without a terminal.
 *
 * Row 0 is the menu bar, the last row the function-key bar and the two
 * above it the status line (two rows, so that an error sentence is read
 * whole rather than cut at the screen edge). In between: Readers over Clipboard on the
 * left, Card on the right (objects need the width). */
#include "ui_int.h"

#include <string.h>

/* The left column: wide enough for a reader name, never more than needed. */
#define LEFT_MIN 28
#define LEFT_MAX 60
#define LEFT_PERCENT 36
#define READERS_PERCENT 55

static struct ui_rect rect(int y, int x, int h, int w)
{
    struct ui_rect r = {y, x, h, w};
    return r;
}

void ui_layout_compute(int cols, int rows, struct ui_layout *out)
{
    memset(out, 0, sizeof(*out));
    out->cols = cols;
    out->rows = rows;
    if (cols < UI_MIN_COLS || rows < UI_MIN_ROWS) {
        out->too_small = true;
        return;
    }
    int body = rows - 2 - UI_STATUS_ROWS;
    int left = cols * LEFT_PERCENT / 100;
    if (left < LEFT_MIN)
        left = LEFT_MIN;
    if (left > LEFT_MAX)
        left = LEFT_MAX;
    /* Readers shows two rows per entry: an even inner height wastes none,
     * and the row saved goes to the Clipboard. */
    int rh = body * READERS_PERCENT / 100;
    rh = 2 + (rh - 2) / 2 * 2;
    out->menu = rect(0, 0, 1, cols);
    out->readers = rect(1, 0, rh, left);
    out->clip = rect(1 + rh, 0, body - rh, left);
    out->card = rect(1, left, body, cols - left);
    out->status = rect(rows - 1 - UI_STATUS_ROWS, 0, UI_STATUS_ROWS, cols);
    out->fbar = rect(rows - 1, 0, 1, cols);
}

int ui_layout_scroll(int top, int sel, int h, int n)
{
    if (h <= 0)
        return 0;
    if (sel < top)
        top = sel;
    if (sel >= top + h)
        top = sel - h + 1;
    if (top > n - h)
        top = n - h;
    return top < 0 ? 0 : top;
}
