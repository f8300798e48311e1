/* Dialogs over lists: a scrolling text viewer (help, object view, copy
 * results) and a pick-one list, both the one list widget (list.c) in the
 * one modal loop (dlg.c). */
#include "ui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int big(struct ui *ui, struct ui_dlg *d, void *arg)
{
    (void)arg;
    ui_dlg_open(ui, d, UI_BIG_DIALOG_H(LINES), COLS - 6, d->title);
    return UI_DLG_GOON;
}

/* ---- the viewer: a list in view mode (no selection, the keys scroll) ---- */
struct viewer {
    char **lines, **alt;
    size_t n, nalt;
    bool use_alt;
    ui_lines_fn alt_fn;
    void *alt_arg;
    int top, sel_unused;
    struct ui_list list;
};

static const char *viewer_label(void *arg, int i, char *buf, size_t cap)
{
    struct viewer *v = arg;
    (void)buf, (void)cap;
    return (v->use_alt ? v->alt : v->lines)[i];
}

struct viewer_row {
    struct ui *ui;
    struct ui_dlg *d;
    char **L;
};

static void viewer_row(void *arg, int i, int row, bool sel)
{
    struct viewer_row *r = arg;
    (void)sel;
    ui_put(r->ui, r->d->w, 1 + row, 2, r->d->wd - 4, r->L[i]);
}

static void viewer_draw(struct ui *ui, struct ui_dlg *d, void *arg)
{
    struct viewer *v = arg;
    struct viewer_row r = {ui, d, v->use_alt ? v->alt : v->lines};
    v->list.n = (int)(v->use_alt ? v->nalt : v->n);
    ui_list_draw(&v->list, d->h - 3, true, viewer_row, &r);
    wattron(d->w, A_BOLD);
    mvwprintw(d->w, d->h - 2, 2, "%s%s", v->alt_fn ? "Tab hex/text   " : "",
              "Up/Down PgUp/PgDn scroll   / find   Esc close");
    wattroff(d->w, A_BOLD);
}

static int viewer_key(struct ui *ui, struct ui_dlg *d, void *arg, int k)
{
    struct viewer *v = arg;
    (void)ui, (void)d;
    if (k == 'q' || k == KEY_F(3) || k == KEY_F(1) || k == '\n' || k == '\r' || k == KEY_ENTER)
        return 0;
    if (k == ' ')
        ui_list_act(&v->list, UI_ACT_PGDN);
    else if (k == '\t' && v->alt_fn) {
        if (!v->alt)
            v->alt_fn(v->alt_arg, true, &v->alt, &v->nalt);
        v->use_alt = !v->use_alt;
        v->top = 0;
    }
    return UI_DLG_GOON;
}

void ui_lines(struct ui *ui, const char *title, char **lines, size_t n, ui_lines_fn alt_fn,
              void *alt_arg)
{
    static const struct ui_dlg_ops ops = {
        .draw = viewer_draw, .key = viewer_key, .layout = big, .cancel = 0};
    struct viewer v = {.lines = lines, .n = n, .alt_fn = alt_fn, .alt_arg = alt_arg};
    struct ui_dlg d = {.title = title, .list = &v.list};
    v.list = (struct ui_list){.sel = &v.sel_unused, .top = &v.top, .n = (int)n, .view = true,
                              .label = viewer_label, .arg = &v, .y = 1, .x = 1};
    ui_list_forget(&v.list);
    big(ui, &d, NULL);
    v.list.w = d.wd - 2;
    ui_dlg_run(ui, &d, &ops, &v);
    ui_lines_free(v.alt, v.nalt);
    ui_dlg_close(ui, &d);
}

/* ---- pick one: letters find an item at once -------------------------------- */
static const char pick_hint[] = "Enter choose  letters find  Esc cancel";

struct pick {
    const char *const *items;
    int sel, top;
    struct ui_list list;
};

static const char *pick_label(void *arg, int i, char *buf, size_t cap)
{
    struct pick *p = arg;
    (void)buf, (void)cap;
    return p->items[i];
}

struct pick_row {
    struct ui *ui;
    struct ui_dlg *d;
    struct pick *p;
};

static void pick_row(void *arg, int i, int row, bool sel)
{
    struct pick_row *r = arg;
    attr_t a = sel ? ui_attr(r->ui, UI_ROLE_SELECTION) : A_NORMAL;
    wattron(r->d->w, a);
    mvwhline(r->d->w, 1 + row, 1, ' ', r->d->wd - 2);
    ui_put(r->ui, r->d->w, 1 + row, 2, r->d->wd - 4, r->p->items[i]);
    wattroff(r->d->w, a);
}

static void pick_draw(struct ui *ui, struct ui_dlg *d, void *arg)
{
    struct pick *p = arg;
    struct pick_row r = {ui, d, p};
    p->list.w = d->wd - 2;
    ui_list_draw(&p->list, d->h - 4, true, pick_row, &r);
    ui_put(ui, d->w, d->h - 2, 2, d->wd - 4, pick_hint);
}

static int pick_key(struct ui *ui, struct ui_dlg *d, void *arg, int k)
{
    struct pick *p = arg;
    (void)ui, (void)d;
    if (k == '\n' || k == '\r' || k == KEY_ENTER)
        return p->sel;
    return UI_DLG_GOON;
}

int ui_pick(struct ui *ui, const char *title, const char *const *items, size_t n, int sel)
{
    static const struct ui_dlg_ops ops = {.draw = pick_draw, .key = pick_key, .cancel = -1};
    struct pick p = {.items = items, .sel = sel};
    struct ui_dlg d = {.list = &p.list};
    /* Wide enough for the hint under the items, inside the border. */
    int w = (int)sizeof(pick_hint) - 1 + 4;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(items[i]) + 6 > w)
            w = (int)strlen(items[i]) + 6;
    p.list = (struct ui_list){.sel = &p.sel, .top = &p.top, .n = (int)n, .find_always = true,
                              .label = pick_label, .arg = &p, .y = 1, .x = 1};
    ui_list_forget(&p.list);
    ui_dlg_open(ui, &d, (int)n + 4, w, title);
    int result = ui_dlg_run(ui, &d, &ops, &p);
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
