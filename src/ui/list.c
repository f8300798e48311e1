/* The one list widget behind every pane and list dialog (htop's Panel):
 * selection, scrolling, Up/Down/PgUp/PgDn/Home/End, type-ahead on the
 * labels, the mouse hit-test, and the two-row repaint when only the
 * selection moved. Pure: it never calls curses, the owner's item callback
 * draws, so the behaviour is unit tested without a terminal. */
#include "ui_int.h"

#include <ctype.h>
#include <string.h>

static int clamp(int v, int lo, int hi)
{
    if (v > hi)
        v = hi;
    return v < lo ? lo : v;
}

static int visible(const struct ui_list *l)
{
    return l->h > 0 ? l->h : 1;
}

static int max_top(const struct ui_list *l)
{
    return l->n - visible(l) > 0 ? l->n - visible(l) : 0;
}

/* Keep the selection on screen; say what the owner must repaint. */
static int settle(struct ui_list *l, int old_sel, int old_top)
{
    if (l->view)
        *l->top = clamp(*l->top, 0, max_top(l));
    else
        *l->top = ui_layout_scroll(*l->top, *l->sel, visible(l), l->n);
    if (*l->top != old_top)
        return UI_LIST_SCROLLED;
    return *l->sel != old_sel ? UI_LIST_MOVED : UI_LIST_SAME;
}

int ui_list_set(struct ui_list *l, int sel)
{
    int old_sel = *l->sel, old_top = *l->top;
    if (l->view)
        *l->top = sel;
    else
        *l->sel = l->n > 0 ? clamp(sel, 0, l->n - 1) : 0;
    return settle(l, old_sel, old_top);
}

int ui_list_act(struct ui_list *l, enum ui_action a)
{
    int cur = l->view ? *l->top : *l->sel, page = visible(l);
    int last = l->view ? max_top(l) : l->n - 1;
    int to;
    switch (a) {
    case UI_ACT_UP:
        to = cur - 1;
        if (to < 0 && l->wrap)
            to = last;
        break;
    case UI_ACT_DOWN:
        to = cur + 1;
        if (to > last && l->wrap)
            to = 0;
        break;
    case UI_ACT_PGUP: to = cur - page; break;
    case UI_ACT_PGDN: to = cur + page; break;
    case UI_ACT_HOME: to = 0; break;
    case UI_ACT_END: to = last; break;
    default: return UI_LIST_IGNORED;
    }
    return ui_list_set(l, to);
}

/* Case-insensitive substring: "mik" finds "Mike's card", and a label's
 * middle word is found as well as its start. */
static bool contains(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < nl && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == nl)
            return true;
    }
    return nl == 0;
}

/* The first item from the current one on (wrapping) whose label holds the
 * text typed so far; -1 when none does. */
static int find_from(const struct ui_list *l, int start)
{
    char buf[512];
    for (int k = 0; k < l->n; k++) {
        int i = (start + k) % l->n;
        const char *s = l->label(l->arg, i, buf, sizeof(buf));
        if (s && contains(s, l->find))
            return i;
    }
    return -1;
}

static int find_char(struct ui_list *l, int c)
{
    if (l->flen + 1 >= sizeof(l->find))
        return UI_LIST_SAME;
    l->find[l->flen++] = (char)c;
    l->find[l->flen] = '\0';
    int at = find_from(l, l->view ? *l->top : *l->sel);
    if (at < 0) {
        /* Nothing has it: the character is not taken, the user sees the
         * text that still matches. */
        l->find[--l->flen] = '\0';
        return UI_LIST_SAME;
    }
    return ui_list_set(l, at);
}

void ui_list_find_end(struct ui_list *l)
{
    l->finding = false;
    l->flen = 0;
    l->find[0] = '\0';
}

static bool printable(int k)
{
    /* Bytes of UTF-8 labels are matched as they come. */
    return k >= 0x20 && k < 0x100 && k != 0x7f;
}

int ui_list_key(struct ui_list *l, int k)
{
    if (l->label && (l->finding || l->find_always)) {
        bool enter = k == '\n' || k == '\r' || k == KEY_ENTER;
        if (l->finding && (k == 27 || enter)) {
            /* After '/', Enter and Esc end the search only (Enter does not
             * also open, Esc does not also close the dialog); where
             * letters search at once (pick lists), Enter also chooses. */
            ui_list_find_end(l);
            return enter && l->find_always ? UI_LIST_IGNORED : UI_LIST_SAME;
        }
        if (k == KEY_BACKSPACE || k == 127 || k == 8) {
            if (l->flen == 0 && !l->finding)
                return UI_LIST_IGNORED;
            if (l->flen > 0)
                l->find[--l->flen] = '\0';
            return UI_LIST_SAME;
        }
        if (printable(k) && !(k == ' ' && l->flen == 0)) {
            l->finding = true;
            return find_char(l, k);
        }
        if (l->finding && k == KEY_F(3)) /* F3: the next match, as in mc's viewer */
            return ui_list_find_next(l);
    }
    if (l->label && !l->find_always && k == '/') {
        l->finding = true;
        l->flen = 0;
        l->find[0] = '\0';
        return UI_LIST_SAME;
    }
    enum ui_action a = ui_keys_lookup(k);
    int r = ui_list_act(l, a);
    if (r != UI_LIST_IGNORED && l->finding)
        ui_list_find_end(l);
    return r;
}

int ui_list_find_next(struct ui_list *l)
{
    if (!l->label || l->flen == 0 || l->n == 0)
        return UI_LIST_SAME;
    int cur = l->view ? *l->top : *l->sel;
    int at = find_from(l, (cur + 1) % l->n);
    return at < 0 ? UI_LIST_SAME : ui_list_set(l, at);
}

int ui_list_hit(const struct ui_list *l, int y, int x)
{
    if (y < l->y || x < l->x || x >= l->x + l->w)
        return -1;
    int per = l->per > 0 ? l->per : 1;
    int row = (y - l->y) / per;
    if (row >= visible(l))
        return -1;
    int i = *l->top + row;
    return i < l->n ? i : -1;
}

int ui_list_wheel(struct ui_list *l, int delta)
{
    if (l->view)
        return ui_list_set(l, *l->top + delta);
    int old_sel = *l->sel, old_top = *l->top;
    /* The view scrolls; the selection stays on its item while that is on
     * screen, as in mc and htop. */
    *l->top = clamp(*l->top + delta, 0, max_top(l));
    *l->sel = clamp(*l->sel, *l->top, *l->top + visible(l) - 1);
    if (l->n > 0 && *l->sel > l->n - 1)
        *l->sel = l->n - 1;
    if (*l->top != old_top)
        return UI_LIST_SCROLLED;
    return *l->sel != old_sel ? UI_LIST_MOVED : UI_LIST_SAME;
}

void ui_list_draw(struct ui_list *l, int h, bool full, ui_list_item_fn fn, void *arg)
{
    l->h = h;
    if (!l->view)
        *l->top = ui_layout_scroll(*l->top, *l->sel, visible(l), l->n);
    else
        *l->top = clamp(*l->top, 0, max_top(l));
    int top = *l->top, sel = l->view ? -1 : *l->sel;
    if (!full && l->drawn_top == top && l->drawn_sel >= 0) {
        /* Only the selection moved: the row it left and the row it is on. */
        if (l->drawn_sel != sel && l->drawn_sel >= top && l->drawn_sel < top + h &&
            l->drawn_sel < l->n)
            fn(arg, l->drawn_sel, l->drawn_sel - top, false);
        if (sel >= top && sel < top + h && sel < l->n)
            fn(arg, sel, sel - top, true);
    } else {
        for (int i = top; i < l->n && i - top < h; i++)
            fn(arg, i, i - top, i == sel);
    }
    l->drawn_top = top;
    l->drawn_sel = sel;
}

void ui_list_forget(struct ui_list *l)
{
    l->drawn_sel = l->drawn_top = -1;
}
