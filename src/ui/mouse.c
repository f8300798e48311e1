/* The mouse, where the terminal reports it (ncurses decodes X10 or SGR
 * 1006 reports, whichever TERM's kmous names). The patent's screen flow
 * is driven by clicks: a click focuses a pane and selects, a double click
 * opens (Enter), the wheel scrolls, the menu bar and the function-key bar
 * act. The keyboard stays complete; --no-mouse or [ui] mouse = no leave
 * the terminal's own selection alone. */
#include "ui_int.h"

void ui_mouse_start(struct ui *ui)
{
    if (ui->no_mouse)
        return;
    mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED,
              NULL);
}

bool ui_mouse_read(struct ui *ui, struct ui_mouse *m)
{
    MEVENT ev;
    (void)ui;
    if (getmouse(&ev) != OK)
        return false;
    m->y = ev.y;
    m->x = ev.x;
    if (ev.bstate & BUTTON1_DOUBLE_CLICKED)
        m->kind = UI_MOUSE_DOUBLE;
    else if (ev.bstate & BUTTON1_CLICKED)
        m->kind = UI_MOUSE_CLICK;
    else if (ev.bstate & BUTTON4_PRESSED)
        m->kind = UI_MOUSE_WHEEL_UP;
    else if (ev.bstate & BUTTON5_PRESSED)
        m->kind = UI_MOUSE_WHEEL_DOWN;
    else
        return false;
    return true;
}

int ui_mouse_fbar_key(const struct ui *ui, const struct ui_mouse *m)
{
    if (ui->lay.too_small || m->kind != UI_MOUSE_CLICK || m->y != ui->lay.fbar.y)
        return 0;
    return ui_fbar_key_at(ui, m->x);
}

static bool inside(const struct ui_rect *r, int y, int x)
{
    return y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w;
}

void ui_mouse_main(struct ui *ui, const struct ui_mouse *m)
{
    const struct ui_rect *rect[UI_PANE_COUNT] = {&ui->lay.readers, &ui->lay.card, &ui->lay.clip};
    if (ui->lay.too_small)
        return;
    int key = ui_mouse_fbar_key(ui, m);
    if (key) {
        ui_act(ui, ui_keys_lookup(key));
        return;
    }
    if (m->y == ui->lay.menu.y && m->kind == UI_MOUSE_CLICK) {
        int i = ui_menu_at(m->x);
        if (i >= 0)
            ui_act(ui, ui_menu_run(ui, i));
        return;
    }
    for (int p = 0; p < UI_PANE_COUNT; p++) {
        if (!inside(rect[p], m->y, m->x))
            continue;
        struct ui_list *l = ui_pane_list(ui, (enum ui_pane)p);
        int wy = m->y - rect[p]->y, wx = m->x - rect[p]->x;
        if (m->kind == UI_MOUSE_WHEEL_UP || m->kind == UI_MOUSE_WHEEL_DOWN) {
            ui_pane_changed(ui, (enum ui_pane)p,
                            ui_list_wheel(l, m->kind == UI_MOUSE_WHEEL_UP ? -3 : 3));
            return;
        }
        if (ui->focus != (enum ui_pane)p) {
            ui->focus = (enum ui_pane)p;
            ui_dirty(ui, UI_W_READERS), ui_dirty(ui, UI_W_CARD), ui_dirty(ui, UI_W_CLIP);
        }
        if (l->finding) {
            ui_list_find_end(l);
            ui_status_find(ui, l);
        }
        int i = ui_list_hit(l, wy, wx);
        if (i < 0)
            return;
        ui_pane_changed(ui, (enum ui_pane)p, ui_list_set(l, i));
        if (m->kind == UI_MOUSE_DOUBLE)
            ui_act(ui, UI_ACT_OPEN);
        return;
    }
}
