/* Modal dialogs: message, yes/no, text and masked secret input, progress.
 * Each is a nested loop over ui_getkey that returns a result (htop's
 * ScreenManager, MC's dialogs); the main screen is restaged under it when
 * something made it dirty (a resize, a nested dialog closing). */
#include "ui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HINT_ATTR A_BOLD

void ui_dlg_open(struct ui *ui, struct ui_dlg *d, int h, int w, const char *title)
{
    if (d->w)
        delwin(d->w);
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
    if (d->w)
        delwin(d->w);
    d->w = NULL;
    /* What was under the dialog must be drawn again (only changed cells
     * reach the terminal). */
    ui->dirty = UI_DIRTY_ALL;
}

void ui_dlg_restage(struct ui *ui, struct ui_dlg *d, int h, int w)
{
    ui_dlg_open(ui, d, h, w, d->title);
}

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

/* Buttons along the bottom row; sel highlighted. */
static void buttons(struct ui *ui, struct ui_dlg *d, const char *const *b, int n, int sel)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += (int)strlen(b[i]) + 4 + 2;
    int x = (d->wd - total) / 2;
    if (x < 1)
        x = 1;
    for (int i = 0; i < n; i++) {
        attr_t a = i == sel ? ui_attr(ui, UI_ROLE_SELECTION) | A_BOLD : ui_attr(ui, UI_ROLE_DIALOG);
        wattron(d->w, a);
        mvwprintw(d->w, d->h - 2, x, "[ %s ]", b[i]);
        wattroff(d->w, a);
        x += (int)strlen(b[i]) + 6;
    }
}

/* The common question loop: choices are picked by their first letter, by
 * arrows + Enter; Esc gives -1. */
static int ask(struct ui *ui, const char *title, const char *text, const char *const *b, int n,
               int sel)
{
    char **lines = NULL, clean[4096];
    size_t nl = 0;
    struct ui_dlg d = {0};
    int result = -1, h, w, bw = 2;
    for (int i = 0; i < n; i++)
        bw += (int)strlen(b[i]) + 6;
    ui_text_clean(text, ui->utf8, clean, sizeof(clean));
    /* Sized to the text and the buttons: every word of it is shown. */
    if (ui_text_dialog(clean, ui->utf8, COLS, LINES, bw + 2, &lines, &nl, &h, &w) < 0)
        return -1;
    ui_dlg_open(ui, &d, h, w, title);
    for (;;) {
        bool drawn = frame(ui, &d);
        if (drawn) {
            for (size_t i = 0; i < nl; i++)
                ui_put(ui, d.w, 1 + (int)i, 2, d.wd - 4, lines[i]);
            buttons(ui, &d, b, n, sel);
        }
        show(&d, drawn);
        int k = ui_getkey(ui);
        if (ui_key_ends_dialog(k))
            break;
        if (k == UI_KEY_RESIZE) {
            ui_dlg_restage(ui, &d, h, w);
            continue;
        }
        if (k == KEY_LEFT || k == KEY_BTAB)
            sel = (sel + n - 1) % n;
        else if (k == KEY_RIGHT || k == '\t')
            sel = (sel + 1) % n;
        else if (k == '\n' || k == '\r' || k == KEY_ENTER) {
            result = sel;
            break;
        } else if (k > 0 && k < 128) {
            for (int i = 0; i < n; i++)
                if ((b[i][0] | 0x20) == (k | 0x20)) {
                    result = i;
                    goto out;
                }
        }
    }
out:
    ui_dlg_close(ui, &d);
    ui_lines_free(lines, nl);
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
static int input(struct ui *ui, const char *title, const char *prompt, char *buf, size_t cap,
                 bool masked)
{
    struct ui_dlg d = {0};
    size_t len = strlen(buf);
    int result = 0;
    int w = text_width() + 4;
    /* The prompt wrapped (a long reader name must not hide the tries left),
     * then the field two rows under it. */
    char clean_prompt[2048], **pl = NULL;
    size_t np = 0;
    ui_text_clean(prompt, ui->utf8, clean_prompt, sizeof(clean_prompt));
    if (ui_text_wrap(clean_prompt, ui->utf8, text_width(), 0, 3, NULL, &pl, &np, NULL) < 0)
        return SCM_E_NOMEM;
    int fy = 2 + (int)np;
    int h = fy + 4;
    ui_dlg_open(ui, &d, h, w, title);
    curs_set(1);
    for (;;) {
        bool drawn = frame(ui, &d);
        int fw = d.wd - 6;
        if (drawn) {
            for (size_t i = 0; i < np; i++)
                ui_put(ui, d.w, 1 + (int)i, 2, d.wd - 4, pl[i]);
            wattron(d.w, A_REVERSE);
            mvwhline(d.w, fy, 2, ' ', fw + 2);
            if (masked) {
                size_t stars = len < (size_t)fw ? len : (size_t)fw;
                for (size_t i = 0; i < stars; i++)
                    mvwaddch(d.w, fy, 3 + (int)i, '*');
                wmove(d.w, fy, 3 + (int)stars);
            } else {
                /* Show the end of a long answer. */
                char clean[1024], fit[1024];
                ui_text_clean(buf, ui->utf8, clean, sizeof(clean));
                size_t cl = strlen(clean), start = cl > (size_t)fw ? cl - (size_t)fw : 0;
                while (start > 0 && ((unsigned char)clean[start] & 0xC0) == 0x80)
                    start++;
                int used = ui_text_fit(clean + start, ui->utf8, fw, fit, sizeof(fit));
                mvwaddstr(d.w, fy, 3, fit);
                wmove(d.w, fy, 3 + used);
            }
            wattroff(d.w, A_REVERSE);
            wattron(d.w, HINT_ATTR);
            mvwaddstr(d.w, fy + 2, 2, "Enter OK   Esc Cancel");
            wattroff(d.w, HINT_ATTR);
        }
        show(&d, drawn);
        int k = ui_getkey(ui);
        if (ui_key_ends_dialog(k))
            break;
        if (k == UI_KEY_RESIZE) {
            ui_dlg_restage(ui, &d, h, w);
            continue;
        }
        if (k == '\n' || k == '\r' || k == KEY_ENTER) {
            result = 1;
            break;
        }
        if (k == KEY_BACKSPACE || k == 127 || k == 8) {
            while (len > 0 && ((unsigned char)buf[len - 1] & 0xC0) == 0x80)
                len--;
            if (len > 0)
                len--;
            buf[len] = '\0';
        } else if (k == 21) { /* Ctrl-U: clear */
            scm_wipe(buf, len);
            len = 0;
            buf[0] = '\0';
        } else if (k >= 0x20 && k < 0x100 && k != 0x7f && len + 1 < cap) {
            buf[len++] = (char)k;
            buf[len] = '\0';
        }
    }
    curs_set(0);
    ui_dlg_close(ui, &d);
    ui_lines_free(pl, np);
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

int ui_secret_ask_new(struct ui *ui, const char *what, struct ui_secret *s)
{
    struct ui_secret again = {0};
    char prompt[256];
    snprintf(prompt, sizeof(prompt), "New password for %s:", what);
    int r = ui_secret_ask(ui, "New password", prompt, s);
    if (r != 1)
        return r;
    r = ui_secret_ask(ui, "New password", "Repeat the new password:", &again);
    if (r != 1) {
        ui_secret_free(s);
        return r;
    }
    if (s->len != again.len || memcmp(s->buf, again.buf, s->len) != 0) {
        ui_secret_free(s);
        r = SCM_E_PW_MISMATCH;
    }
    ui_secret_free(&again);
    return r;
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
