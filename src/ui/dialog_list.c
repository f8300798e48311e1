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

/* ---- the viewer: a list in view mode (no selection, the keys scroll) ----
 * A rendering is the caller's raw lines. With indent >= 0 the viewer
 * sanitises them and wraps those wider than its text columns into rows of
 * its own (continuations indent columns in), again after a resize; with
 * UI_LINES_NOWRAP (hex dumps, text wrapped already) a line is drawn as it
 * is, cut with the ellipsis. */
struct rendering {
    char **lines;
    size_t n;
    int indent;
    char **rows; /* clean, wrapped to `width`; NULL: not built */
    size_t nrows;
    int width;
};

struct viewer {
    struct rendering main, alt;
    bool use_alt, have_alt;
    ui_lines_fn alt_fn;
    void *alt_arg;
    bool utf8;
    int top, sel_unused;
    struct ui_list list;
};

static struct rendering *shown(struct viewer *v)
{
    return v->use_alt ? &v->alt : &v->main;
}

static void rows_free(struct rendering *r)
{
    ui_lines_free(r->rows, r->nrows);
    r->rows = NULL;
    r->nrows = 0;
}

/* The rows of r at width columns. The scratch buffer for one sanitised
 * line is secure memory: the line may be a private object's. */
static void rows_build(struct rendering *r, bool utf8, int width)
{
    uint8_t *clean = NULL;
    size_t cap = 0;
    rows_free(r);
    r->width = width;
    for (size_t i = 0; i < r->n; i++) {
        /* The sanitiser writes at most 4 bytes for each byte it reads. */
        size_t need = 4 * strlen(r->lines[i]) + 1;
        if (need > cap) {
            scm_secure_free(clean, cap);
            cap = need < 4096 ? 4096 : need;
            if (!(clean = scm_secure_alloc(cap)))
                break;
        }
        ui_text_clean(r->lines[i], utf8, (char *)clean, cap);
        if (ui_text_wrap((const char *)clean, utf8, width, r->indent, 0, NULL, &r->rows, &r->nrows,
                         NULL) < 0)
            break;
    }
    scm_secure_free(clean, cap);
}

/* What the list shows now: rows (clean) or lines (raw). */
static char **shown_lines(struct viewer *v, size_t *n, bool *clean)
{
    struct rendering *r = shown(v);
    *clean = r->indent >= 0;
    *n = *clean ? r->nrows : r->n;
    return *clean ? r->rows : r->lines;
}

static const char *viewer_label(void *arg, int i, char *buf, size_t cap)
{
    struct viewer *v = arg;
    size_t n;
    bool clean;
    (void)buf, (void)cap;
    return shown_lines(v, &n, &clean)[i];
}

struct viewer_row {
    struct ui *ui;
    struct ui_dlg *d;
    char **L;
    bool clean;
};

static void viewer_row(void *arg, int i, int row, bool sel)
{
    struct viewer_row *r = arg;
    (void)sel;
    if (!r->clean) {
        ui_put(r->ui, r->d->w, 1 + row, 2, r->d->wd - 4, r->L[i]);
        return;
    }
    /* Sanitised by rows_build already: a second pass would double every
     * backslash it wrote. */
    ui_put_clean(r->ui, r->d->w, 1 + row, 2, r->d->wd - 4, r->L[i]);
}

static void viewer_draw(struct ui *ui, struct ui_dlg *d, void *arg)
{
    struct viewer *v = arg;
    struct rendering *rd = shown(v);
    size_t n;
    if (rd->indent >= 0 && (!rd->rows || rd->width != d->wd - 4))
        rows_build(rd, ui->utf8, d->wd - 4);
    struct viewer_row r = {ui, d, NULL, false};
    r.L = shown_lines(v, &n, &r.clean);
    v->list.n = (int)n;
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
        if (!v->have_alt) {
            v->alt.indent = UI_LINES_NOWRAP;
            v->alt_fn(v->alt_arg, true, &v->alt.lines, &v->alt.n, &v->alt.indent);
            v->have_alt = true;
        }
        v->use_alt = !v->use_alt;
        v->top = 0;
    }
    return UI_DLG_GOON;
}

void ui_lines_wrap(struct ui *ui, const char *title, char **lines, size_t n, int indent,
                   ui_lines_fn alt_fn, void *alt_arg)
{
    static const struct ui_dlg_ops ops = {
        .draw = viewer_draw, .key = viewer_key, .layout = big, .cancel = 0};
    struct viewer v = {
        .main = {.lines = lines, .n = n, .indent = indent}, .alt_fn = alt_fn, .alt_arg = alt_arg};
    struct ui_dlg d = {.title = title, .list = &v.list};
    v.list = (struct ui_list){.sel = &v.sel_unused,
                              .top = &v.top,
                              .n = (int)n,
                              .view = true,
                              .label = viewer_label,
                              .arg = &v,
                              .y = 1,
                              .x = 1};
    ui_list_forget(&v.list);
    big(ui, &d, NULL);
    v.list.w = d.wd - 2;
    ui_dlg_run(ui, &d, &ops, &v);
    rows_free(&v.main);
    rows_free(&v.alt);
    ui_lines_free(v.alt.lines, v.alt.n);
    ui_dlg_close(ui, &d);
}

void ui_lines(struct ui *ui, const char *title, char **lines, size_t n, ui_lines_fn alt_fn,
              void *alt_arg)
{
    ui_lines_wrap(ui, title, lines, n, UI_LINES_NOWRAP, alt_fn, alt_arg);
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
    p.list = (struct ui_list){.sel = &p.sel,
                              .top = &p.top,
                              .n = (int)n,
                              .find_always = true,
                              .label = pick_label,
                              .arg = &p,
                              .y = 1,
                              .x = 1};
    ui_list_forget(&p.list);
    ui_dlg_open(ui, &d, (int)n + 4, w, title);
    int result = ui_dlg_run(ui, &d, &ops, &p);
    ui_dlg_close(ui, &d);
    return result;
}

static const char *result_name(enum scm_copy_result r)
{
    switch (r) {
    case SCM_COPY_DONE:
        return "written";
    case SCM_COPY_SKIPPED:
        return "skipped";
    case SCM_COPY_FAILED:
        return "FAILED";
    case SCM_COPY_NOT_TRIED:
        return "not tried";
    }
    return "?";
}

static const char *plan_name(enum scm_plan p)
{
    switch (p) {
    case SCM_PLAN_WRITE:
        return "write";
    case SCM_PLAN_REPLACE:
        return "replace";
    case SCM_PLAN_SAME:
        return "already there";
    case SCM_PLAN_NO_PLACE:
        return "no place";
    case SCM_PLAN_NEVER:
        return "never copied";
    }
    return "?";
}

void ui_plan_show(struct ui *ui, const char *title, const struct scm_copy_plan *p)
{
    char **lines = NULL;
    size_t n = 0;
    ui_lines_add(&lines, &n,
                 "Write: %zu  Replace: %zu  Already there: %zu  No place: %zu  Never: %zu",
                 p->write, p->replace, p->same, p->no_place, p->never);
    ui_lines_add(&lines, &n, "%s", "Nothing is written until you say so.");
    ui_lines_add(&lines, &n, "%s", "");
    for (size_t i = 0; i < p->n; i++) {
        const struct scm_plan_item *it = &p->items[i];
        ui_lines_add(&lines, &n, "%-13s %-8s %s", plan_name(it->plan), scm_area_name(it->area),
                     it->label);
        char why[sizeof(it->why) + sizeof(it->place) + 32];
        if (it->place[0] && it->plan != SCM_PLAN_REPLACE)
            snprintf(why, sizeof(why), "              at %s%s%s", it->place, it->why[0] ? ": " : "",
                     it->why);
        else
            snprintf(why, sizeof(why), "              %s", it->why);
        if (it->why[0] || it->place[0])
            ui_text_wrap(why, ui->utf8, UI_LINES_WIDTH(COLS), 14, 0, NULL, &lines, &n, NULL);
    }
    ui_lines(ui, title, lines, n, NULL, NULL);
    ui_lines_free(lines, n);
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
