/* Modal dialogs: message, yes/no, text and masked secret input, progress.
 * Each is a set of callbacks for the one modal loop (ui_dlg_run, dlg.c)
 * that returns a result; progress is drawn between two card operations
 * and only polls. */
#include "ui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HINT_ATTR A_BOLD

/* Start a frame of a dialog: the screen under it, then a clean box. false
 * when the terminal is too small to show it. */
static bool frame(struct ui *ui, struct ui_dlg *d)
{
    ui_draw_stage(ui);
    if (ui->lay.too_small || !d->w)
        return false;
    werase(d->w);
    char title[256];
    snprintf(title, sizeof(title), " %s ", d->title);
    ui_box(ui, d->w, title, ui_attr(ui, UI_ROLE_DIALOG) | A_BOLD);
    return true;
}

static void show(struct ui_dlg *d, bool drawn)
{
    if (drawn)
        wnoutrefresh(d->w);
    doupdate();
}

static int text_width(void)
{
    return COLS - 8 < 64 ? COLS - 8 : 64;
}

/* The column of each button along the bottom row (x[n] is the end). */
static void button_x(const struct ui_dlg *d, const char *const *b, int n, int *x)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += (int)strlen(b[i]) + 4 + 2;
    x[0] = (d->wd - total) / 2;
    if (x[0] < 1)
        x[0] = 1;
    for (int i = 0; i < n; i++)
        x[i + 1] = x[i] + (int)strlen(b[i]) + 6;
}

#define MAX_BUTTONS 3

/* A question: its wrapped text, its buttons and the highlighted one. */
struct ask {
    const char *text; /* clean */
    int min_w;        /* the buttons' row */
    char **lines;
    size_t nl;
    const char *const *b;
    int n, sel;
};

/* Wrap the question for the screen as it is now and size the box to it:
 * at the start and after every resize, so a question opened on a wide
 * terminal is still read whole on a narrow one. */
static int ask_fit(struct ui *ui, struct ui_dlg *d, struct ask *q)
{
    int h, w;
    ui_lines_free(q->lines, q->nl);
    q->lines = NULL;
    q->nl = 0;
    if (ui_text_dialog(q->text, ui->utf8, COLS, LINES, q->min_w, &q->lines, &q->nl, &h, &w) < 0)
        return SCM_E_NOMEM;
    ui_dlg_open(ui, d, h, w, d->title);
    return SCM_OK;
}

static int ask_layout(struct ui *ui, struct ui_dlg *d, void *arg)
{
    return ask_fit(ui, d, arg) < 0 ? -1 : UI_DLG_GOON;
}

static void ask_draw(struct ui *ui, struct ui_dlg *d, void *arg)
{
    struct ask *q = arg;
    int x[MAX_BUTTONS + 1];
    for (size_t i = 0; i < q->nl; i++)
        ui_put(ui, d->w, 1 + (int)i, 2, d->wd - 4, q->lines[i]);
    button_x(d, q->b, q->n, x);
    for (int i = 0; i < q->n; i++) {
        attr_t a = i == q->sel ? ui_attr(ui, UI_ROLE_SELECTION) | A_BOLD : ui_attr(ui, UI_ROLE_DIALOG);
        wattron(d->w, a);
        mvwprintw(d->w, d->h - 2, x[i], "[ %s ]", q->b[i]);
        wattroff(d->w, a);
    }
}

/* Choices are picked by their first letter, by arrows + Enter. */
static int ask_key(struct ui *ui, struct ui_dlg *d, void *arg, int k)
{
    struct ask *q = arg;
    (void)ui, (void)d;
    if (k == KEY_LEFT || k == KEY_BTAB)
        q->sel = (q->sel + q->n - 1) % q->n;
    else if (k == KEY_RIGHT || k == '\t')
        q->sel = (q->sel + 1) % q->n;
    else if (k == '\n' || k == '\r' || k == KEY_ENTER)
        return q->sel;
    else if (k > 0 && k < 128)
        for (int i = 0; i < q->n; i++)
            if ((q->b[i][0] | 0x20) == (k | 0x20))
                return i;
    return UI_DLG_GOON;
}

/* A click on a button answers with it. */
static int ask_mouse(struct ui *ui, struct ui_dlg *d, void *arg, const struct ui_mouse *m)
{
    struct ask *q = arg;
    int x[MAX_BUTTONS + 1];
    (void)ui;
    if (!d->w || m->y - getbegy(d->w) != d->h - 2)
        return UI_DLG_GOON;
    button_x(d, q->b, q->n, x);
    int wx = m->x - getbegx(d->w);
    for (int i = 0; i < q->n; i++)
        if (wx >= x[i] && wx < x[i + 1] - 2)
            return i;
    return UI_DLG_GOON;
}

/* The common question dialog; Esc (or F10) gives -1. */
static int ask(struct ui *ui, const char *title, const char *text, const char *const *b, int n,
               int sel)
{
    static const struct ui_dlg_ops ops = {
        .draw = ask_draw, .key = ask_key, .layout = ask_layout, .mouse = ask_mouse, .cancel = -1};
    char clean[4096];
    struct ask q = {.text = clean, .b = b, .n = n, .sel = sel, .min_w = 4};
    struct ui_dlg d = {.title = title};
    for (int i = 0; i < n; i++)
        q.min_w += (int)strlen(b[i]) + 6;
    ui_text_clean(text, ui->utf8, clean, sizeof(clean));
    /* Sized to the text and the buttons: every word of it is shown. */
    if (ask_fit(ui, &d, &q) < 0)
        return -1;
    int result = ui_dlg_run(ui, &d, &ops, &q);
    ui_dlg_close(ui, &d);
    ui_lines_free(q.lines, q.nl);
    return result;
}

void ui_msg(struct ui *ui, const char *title, const char *text)
{
    static const char *const ok[] = {"OK"};
    ask(ui, title, text, ok, 1, 0);
}

int ui_yesno(struct ui *ui, const char *title, const char *question)
{
    static const char *const yn[] = {"Yes", "No"};
    /* No is the default: Enter alone never deletes or disables anything. */
    int r = ask(ui, title, question, yn, 2, 1);
    return r == 0 ? 1 : r == 1 ? 0 : -1;
}

int ui_yesnocancel(struct ui *ui, const char *title, const char *question)
{
    static const char *const ync[] = {"Yes", "No", "Cancel"};
    int r = ask(ui, title, question, ync, 3, 0);
    return r == 0 ? 1 : r == 1 ? 0 : -1;
}

/* One line of input. masked: the text is a secret in secure memory and
 * only '*' are drawn. Bytes of UTF-8 are taken as they come; Backspace
 * removes a whole character. */
struct field {
    char **prompt; /* wrapped: a long reader name must not hide the tries left */
    size_t np;
    int fy;        /* the field's row, two under the prompt */
    char *buf;
    size_t len, cap;
    bool masked;
};

static void input_draw(struct ui *ui, struct ui_dlg *d, void *arg)
{
    struct field *f = arg;
    int fw = d->wd - 6, fy = f->fy;
    for (size_t i = 0; i < f->np; i++)
        ui_put(ui, d->w, 1 + (int)i, 2, d->wd - 4, f->prompt[i]);
    wattron(d->w, A_REVERSE);
    mvwhline(d->w, fy, 2, ' ', fw + 2);
    if (f->masked) {
        size_t stars = f->len < (size_t)fw ? f->len : (size_t)fw;
        for (size_t i = 0; i < stars; i++)
            mvwaddch(d->w, fy, 3 + (int)i, '*');
        wmove(d->w, fy, 3 + (int)stars);
    } else {
        /* Show the end of a long answer. */
        char clean[1024], fit[1024];
        ui_text_clean(f->buf, ui->utf8, clean, sizeof(clean));
        size_t cl = strlen(clean), start = cl > (size_t)fw ? cl - (size_t)fw : 0;
        while (start > 0 && ((unsigned char)clean[start] & 0xC0) == 0x80)
            start++;
        int used = ui_text_fit(clean + start, ui->utf8, fw, fit, sizeof(fit));
        mvwaddstr(d->w, fy, 3, fit);
        wmove(d->w, fy, 3 + used);
    }
    wattroff(d->w, A_REVERSE);
    wattron(d->w, HINT_ATTR);
    mvwaddstr(d->w, fy + 2, 2, "Enter OK   Esc Cancel");
    wattroff(d->w, HINT_ATTR);
}

static int input_key(struct ui *ui, struct ui_dlg *d, void *arg, int k)
{
    struct field *f = arg;
    char *buf = f->buf;
    size_t len = f->len;
    (void)ui, (void)d;
    if (k == '\n' || k == '\r' || k == KEY_ENTER)
        return 1;
    if (k == KEY_BACKSPACE || k == 127 || k == 8) {
        len = ui_text_backspace(buf, len);
    } else if (k == 21) { /* Ctrl-U: clear */
        scm_wipe(buf, len);
        len = 0;
        buf[0] = '\0';
    } else if (k >= 0x20 && k < 0x100 && k != 0x7f && len + 1 < f->cap) {
        buf[len++] = (char)k;
        buf[len] = '\0';
    }
    f->len = len;
    return UI_DLG_GOON;
}

static int input(struct ui *ui, const char *title, const char *prompt, char *buf, size_t cap,
                 bool masked)
{
    static const struct ui_dlg_ops ops = {.draw = input_draw, .key = input_key, .cancel = 0};
    struct field f = {.buf = buf, .len = strlen(buf), .cap = cap, .masked = masked};
    struct ui_dlg d = {0};
    char clean_prompt[2048];
    ui_text_clean(prompt, ui->utf8, clean_prompt, sizeof(clean_prompt));
    if (ui_text_wrap(clean_prompt, ui->utf8, text_width(), 0, 3, NULL, &f.prompt, &f.np, NULL) < 0)
        return SCM_E_NOMEM;
    f.fy = 2 + (int)f.np;
    ui_dlg_open(ui, &d, f.fy + 4, text_width() + 4, title);
    curs_set(1);
    int result = ui_dlg_run(ui, &d, &ops, &f);
    curs_set(0);
    ui_dlg_close(ui, &d);
    ui_lines_free(f.prompt, f.np);
    return result;
}

int ui_input(struct ui *ui, const char *title, const char *prompt, char *buf, size_t cap)
{
    return input(ui, title, prompt, buf, cap, false);
}

int ui_secret_ask(struct ui *ui, const char *title, const char *prompt, struct ui_secret *s)
{
    s->len = 0;
    s->buf = scm_secure_alloc(SCM_SECRET_MAX + 1);
    if (!s->buf)
        return SCM_E_NOMEM;
    s->buf[0] = '\0';
    int r = input(ui, title, prompt, s->buf, SCM_SECRET_MAX + 1, true);
    s->len = strlen(s->buf);
    if (r != 1)
        ui_secret_free(s);
    return r;
}

void ui_secret_free(struct ui_secret *s)
{
    if (s->buf)
        scm_secure_free(s->buf, SCM_SECRET_MAX + 1);
    s->buf = NULL;
    s->len = 0;
}

/* ---- progress ---------------------------------------------------------------- */

void ui_progress_open(struct ui *ui, struct ui_progress *p, const char *title)
{
    memset(p, 0, sizeof(*p));
    p->ui = ui;
    p->title = title;
    ui_dlg_open(ui, &p->dlg, 7, text_width() + 4, title);
    ui_progress_cb(p, 0, 0, NULL);
}

bool ui_progress_cb(void *arg, size_t done, size_t total, const char *label)
{
    struct ui_progress *p = arg;
    struct ui *ui = p->ui;
    char line[512];
    /* Esc (or a signal) between two objects stops after the current one. */
    int k;
    while ((k = ui_pollkey(ui)) != ERR) {
        if (k == 27 || k == UI_KEY_QUIT)
            p->cancelled = true;
        if (k == UI_KEY_RESIZE)
            ui_dlg_restage(ui, &p->dlg, 7, text_width() + 4);
    }
    bool drawn = frame(ui, &p->dlg);
    if (drawn) {
        int bw = p->dlg.wd - 6;
        int fill = total ? (int)((long)bw * (long)done / (long)total) : 0;
        snprintf(line, sizeof(line), "%zu/%zu %s", done, total, label ? label : "");
        ui_put(ui, p->dlg.w, 1, 2, p->dlg.wd - 4, line);
        mvwaddch(p->dlg.w, 3, 2, '[');
        for (int i = 0; i < bw; i++)
            waddch(p->dlg.w, i < fill ? '#' : '.');
        waddch(p->dlg.w, ']');
        mvwaddstr(p->dlg.w, 5, 2,
                  p->cancelled ? "Cancelling after the current object..."
                               : "Esc cancels after the current object");
    }
    show(&p->dlg, drawn);
    return !p->cancelled;
}

void ui_progress_close(struct ui_progress *p)
{
    ui_dlg_close(p->ui, &p->dlg);
}
