/* Dialogs over lists: a scrolling text viewer (help, object view, copy
 * results) and a pick-one list. */
#include "ui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void big(struct ui *ui, struct ui_dlg *d, const char *title)
{
    ui_dlg_open(ui, d, UI_BIG_DIALOG_H(LINES), COLS - 6, title);
}

void ui_lines(struct ui *ui, const char *title, char **lines, size_t n, ui_lines_fn alt_fn,
              void *alt_arg)
{
    struct ui_dlg d = {0};
    char **alt = NULL;
    size_t nalt = 0;
    bool use_alt = false;
    int top = 0;
    big(ui, &d, title);
    for (;;) {
        char **L = use_alt ? alt : lines;
        size_t N = use_alt ? nalt : n;
        int rows = d.h - 3;
        ui_draw_stage(ui);
        if (!ui->lay.too_small && d.w) {
            char t[256];
            werase(d.w);
            snprintf(t, sizeof(t), " %s ", title);
            ui_box(ui, d.w, t, ui_attr(ui, UI_ROLE_DIALOG) | A_BOLD);
            for (int i = 0; i < rows && top + i < (int)N; i++)
                ui_put(ui, d.w, 1 + i, 2, d.wd - 4, L[top + i]);
            wattron(d.w, A_BOLD);
            mvwprintw(d.w, d.h - 2, 2, "%s%s", alt_fn ? "Tab hex/text   " : "",
                      "Up/Down PgUp/PgDn scroll   Esc close");
            wattroff(d.w, A_BOLD);
            wnoutrefresh(d.w);
        }
        doupdate();
        int k = ui_getkey(ui);
        int maxtop = (int)N - rows > 0 ? (int)N - rows : 0;
        if (ui_key_ends_dialog(k) || k == 'q' || k == KEY_F(3) ||
            k == KEY_F(1) || k == KEY_F(10) || k == '\n' || k == '\r' || k == KEY_ENTER)
            break;
        if (k == UI_KEY_RESIZE)
            big(ui, &d, title);
        else if (k == KEY_UP && top > 0)
            top--;
        else if (k == KEY_DOWN && top < maxtop)
            top++;
        else if (k == KEY_PPAGE)
            top = top - rows > 0 ? top - rows : 0;
        else if (k == KEY_NPAGE || k == ' ')
            top = top + rows < maxtop ? top + rows : maxtop;
        else if (k == KEY_HOME)
            top = 0;
        else if (k == KEY_END)
            top = maxtop;
        else if (k == '\t' && alt_fn) {
            if (!alt)
                alt_fn(alt_arg, true, &alt, &nalt);
            use_alt = !use_alt;
            top = 0;
        }
    }
    ui_lines_free(alt, nalt);
    ui_dlg_close(ui, &d);
}

int ui_pick(struct ui *ui, const char *title, const char *const *items, size_t n, int sel)
{
    struct ui_dlg d = {0};
    static const char hint[] = "Enter choose  Esc cancel";
    /* Wide enough for the hint under the items, inside the border. */
    int w = (int)sizeof(hint) - 1 + 4, result = -1, top = 0;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(items[i]) + 6 > w)
            w = (int)strlen(items[i]) + 6;
    int h = (int)n + 4;
    ui_dlg_open(ui, &d, h, w, title);
    for (;;) {
        int rows = d.h - 4;
        ui_draw_stage(ui);
        top = ui_layout_scroll(top, sel, rows, (int)n);
        if (!ui->lay.too_small && d.w) {
            char t[128];
            werase(d.w);
            snprintf(t, sizeof(t), " %s ", title);
            ui_box(ui, d.w, t, ui_attr(ui, UI_ROLE_DIALOG) | A_BOLD);
            for (int i = 0; i < rows && top + i < (int)n; i++) {
                attr_t a = top + i == sel ? ui_attr(ui, UI_ROLE_SELECTION) : A_NORMAL;
                wattron(d.w, a);
                mvwhline(d.w, 1 + i, 1, ' ', d.wd - 2);
                ui_put(ui, d.w, 1 + i, 2, d.wd - 4, items[top + i]);
                wattroff(d.w, a);
            }
            ui_put(ui, d.w, d.h - 2, 2, d.wd - 4, hint);
            wnoutrefresh(d.w);
        }
        doupdate();
        int k = ui_getkey(ui);
        if (ui_key_ends_dialog(k))
            break;
        if (k == UI_KEY_RESIZE)
            ui_dlg_restage(ui, &d, h, w);
        else if (k == KEY_UP && sel > 0)
            sel--;
        else if (k == KEY_DOWN && sel + 1 < (int)n)
            sel++;
        else if (k == '\n' || k == '\r' || k == KEY_ENTER) {
            result = sel;
            break;
        }
    }
    ui_dlg_close(ui, &d);
    return result;
}

static const char *result_name(enum scm_copy_result r)
{
    switch (r) {
    case SCM_COPY_DONE: return "written";
    case SCM_COPY_SKIPPED: return "skipped";
    case SCM_COPY_FAILED: return "FAILED";
    case SCM_COPY_NOT_TRIED: return "not tried";
    }
    return "?";
}

void ui_report(struct ui *ui, const char *title, const struct scm_copy_report *r)
{
    char **lines = NULL;
    size_t n = 0;
    ui_lines_add(&lines, &n, "Written: %zu  Skipped: %zu  Failed: %zu  Not tried: %zu", r->done,
                 r->skipped, r->failed, r->not_tried);
    ui_lines_add(&lines, &n, "%s", "");
    for (size_t i = 0; i < r->n; i++) {
        const struct scm_copy_item *it = &r->items[i];
        ui_lines_add(&lines, &n, "%-10s %-8s %s", result_name(it->result), scm_area_name(it->area),
                     it->label);
        if (it->why[0]) {
            /* The reason whole, wrapped under itself. */
            char why[sizeof(it->why) + 16];
            snprintf(why, sizeof(why), "           %s", it->why);
            ui_text_wrap(why, ui->utf8, UI_LINES_WIDTH(COLS), 11, 0, NULL, &lines, &n, NULL);
        }
    }
    ui_lines(ui, title, lines, n, NULL, NULL);
    ui_lines_free(lines, n);
}
