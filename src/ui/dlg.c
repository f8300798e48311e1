/* The one modal loop (mc's dlg_run, a nested run of htop's ScreenManager):
 * every dialog and menu is a set of callbacks run here, so keys, signals,
 * resizes, the redraw under the dialog, Esc/F10, the mouse and the list
 * keys behave the same in all of them. */
#include "ui_int.h"

#include <stdio.h>
#include <string.h>

void ui_dlg_open(struct ui *ui, struct ui_dlg *d, int h, int w, const char *title)
{
    if (d->w)
        delwin(d->w);
    d->req_h = h;
    d->req_w = w;
    if (w > COLS - 2)
        w = COLS - 2;
    if (h > LINES - 2)
        h = LINES - 2;
    if (w < 10)
        w = 10;
    if (h < 3)
        h = 3;
    d->h = h;
    d->wd = w;
    d->title = title;
    int y = (LINES - h) / 2, x = (COLS - w) / 2;
    d->w = newwin(h, w, y > 0 ? y : 0, x > 0 ? x : 0);
    if (d->w) {
        keypad(d->w, TRUE);
        wbkgdset(d->w, ' ' | ui_attr(ui, UI_ROLE_DIALOG));
    }
}

void ui_dlg_close(struct ui *ui, struct ui_dlg *d)
{
    if (d->w) {
        /* Its cells may show a private object: blanked before curses
         * frees them. */
        werase(d->w);
        delwin(d->w);
    }
    d->w = NULL;
    /* What was under the dialog must be drawn again (only changed cells
     * reach the terminal). */
    ui->dirty = UI_DIRTY_ALL;
}

void ui_dlg_restage(struct ui *ui, struct ui_dlg *d, int h, int w)
{
    ui_dlg_open(ui, d, h, w, d->title);
}

static void draw(struct ui *ui, struct ui_dlg *d, const struct ui_dlg_ops *ops, void *arg)
{
    ui_draw_stage(ui);
    if (!ui->lay.too_small && (d->w || d->bare)) {
        if (d->w && !d->bare) {
            char title[256];
            werase(d->w);
            snprintf(title, sizeof(title), " %s ", d->title ? d->title : "");
            ui_box(ui, d->w, title, ui_attr(ui, UI_ROLE_DIALOG) | A_BOLD);
        }
        if (ops->draw)
            ops->draw(ui, d, arg);
        if (d->w)
            wnoutrefresh(d->w);
    }
    doupdate();
}

/* The search typed into a list is shown on the status line, which no
 * dialog covers. */
static void show_find(struct ui *ui, const struct ui_list *l, bool was)
{
    if (l->finding || was)
        ui_status_find(ui, l);
}

/* A mouse event: the list's items first, then the dialog's own handler.
 * Returns a result, UI_DLG_GOON, or a key to handle as if typed (> 0). */
static int mouse(struct ui *ui, struct ui_dlg *d, const struct ui_dlg_ops *ops, void *arg,
                 const struct ui_mouse *m, int *key)
{
    struct ui_list *l = d->list;
    *key = 0;
    if (l && d->w && (m->kind == UI_MOUSE_WHEEL_UP || m->kind == UI_MOUSE_WHEEL_DOWN)) {
        ui_list_wheel(l, m->kind == UI_MOUSE_WHEEL_UP ? -3 : 3);
        return UI_DLG_GOON;
    }
    if (l && d->w && (m->kind == UI_MOUSE_CLICK || m->kind == UI_MOUSE_DOUBLE)) {
        int wy = m->y - getbegy(d->w), wx = m->x - getbegx(d->w);
        int i = ui_list_hit(l, wy, wx);
        if (i >= 0) {
            ui_list_set(l, i);
            if (m->kind == UI_MOUSE_DOUBLE || ops->click_opens)
                *key = '\n';
            return UI_DLG_GOON;
        }
    }
    return ops->mouse ? ops->mouse(ui, d, arg, m) : UI_DLG_GOON;
}

static int run(struct ui *ui, struct ui_dlg *d, const struct ui_dlg_ops *ops, void *arg)
{
    for (;;) {
        draw(ui, d, ops, arg);
        int k = ui_getkey(ui), r;
        if (k == UI_KEY_QUIT || k == UI_KEY_IDLE)
            return ops->cancel;
        if (k == UI_KEY_SLOTS)
            continue; /* the main loop lists the slots again after the dialog */
        if (k == UI_KEY_RESIZE) {
            if (d->list)
                ui_list_forget(d->list);
            if (ops->layout) {
                if ((r = ops->layout(ui, d, arg)) != UI_DLG_GOON)
                    return r;
            } else {
                ui_dlg_restage(ui, d, d->req_h, d->req_w);
            }
            continue;
        }
        if (k == KEY_MOUSE) {
            struct ui_mouse m;
            if (!ui_mouse_read(ui, &m))
                continue;
            /* The function-key bar stays live under a dialog: F10 there
             * closes it, as the key does. */
            if (!(k = ui_mouse_fbar_key(ui, &m))) {
                if ((r = mouse(ui, d, ops, arg, &m, &k)) != UI_DLG_GOON)
                    return r;
                if (!k)
                    continue;
            }
        }
        if (d->list) {
            bool was = d->list->finding;
            int lr = ui_list_key(d->list, k);
            show_find(ui, d->list, was);
            if (lr != UI_LIST_IGNORED)
                continue;
        }
        if (ui_key_ends_dialog(k))
            return ops->cancel;
        if (ops->key && (r = ops->key(ui, d, arg, k)) != UI_DLG_GOON)
            return r;
    }
}

int ui_dlg_run(struct ui *ui, struct ui_dlg *d, const struct ui_dlg_ops *ops, void *arg)
{
    int r = run(ui, d, ops, arg);
    /* A search still being typed ends with its dialog. */
    if (d->list && d->list->finding) {
        ui_list_find_end(d->list);
        ui_status_find(ui, d->list);
    }
    return r;
}
