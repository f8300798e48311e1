/* The terminal: curses start and stop, the windows of the layout, the
 * theme's attributes, and borders in the best glyph set the terminal and
 * the locale allow (UTF-8 lines, then ACS, then plain ASCII). */
#include "ui_int.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <term.h>
#include <unistd.h>

/* Esc must be told apart from the start of an arrow key. 200 ms is long
 * enough over slow SSH links (lower values split sequences) and short
 * enough that Esc still feels immediate. */
#define ESC_DELAY_MS 200

static short curses_color(short c)
{
    return c;
}

static attr_t to_attrs(unsigned a)
{
    attr_t r = A_NORMAL;
    if (a & UI_ATTR_BOLD)
        r |= A_BOLD;
    if (a & UI_ATTR_REVERSE)
        r |= A_REVERSE;
    if (a & UI_ATTR_UNDERLINE)
        r |= A_UNDERLINE;
    if (a & UI_ATTR_DIM)
        r |= A_DIM;
    return r;
}

static void apply_theme(struct ui *ui)
{
    bool color = ui->theme.color && has_colors() && start_color() == OK;
    if (color)
        use_default_colors(); /* keep the user's background for "default" */
    else
        ui_theme_strip_color(&ui->theme);
    for (int r = 0; r < UI_ROLE_COUNT; r++) {
        const struct ui_style *s = &ui->theme.role[r];
        attr_t a = to_attrs(s->attrs);
        if (color && (s->fg >= 0 || s->bg >= 0) && r + 1 < COLOR_PAIRS) {
            init_pair((short)(r + 1), curses_color(s->fg), curses_color(s->bg));
            a |= COLOR_PAIR(r + 1);
        }
        ui->attr[r] = a;
    }
}

static enum ui_glyphs pick_glyphs(const struct ui *ui)
{
    const char *forced = getenv("SCMGR_ASCII");
    if (forced && *forced && strcmp(forced, "0") != 0)
        return UI_GLYPH_ASCII;
    if (ui->utf8)
        return UI_GLYPH_UTF8;
    const char *acsc = tigetstr("acsc");
    if (acsc == NULL || acsc == (char *)-1 || !*acsc)
        return UI_GLYPH_ASCII;
    return UI_GLYPH_ACS;
}

/* Teach curses the common forms of Home, End and F1-F10 that TERM's entry
 * does not name; a sequence the entry gives to another key is kept. */
static void define_keys(void)
{
    size_t n;
    const struct ui_key_seq *x = ui_keys_extra(&n);
    for (size_t i = 0; i < n; i++)
        if (key_defined(x[i].seq) == 0)
            define_key(x[i].seq, x[i].key);
}

int ui_screen_start(struct ui *ui)
{
    const char *cs = nl_langinfo(CODESET);
    ui->utf8 = cs && strcmp(cs, "UTF-8") == 0;
    set_escdelay(ESC_DELAY_MS);
    if (!initscr())
        return SCM_E_NO_TTY;
    ui->curses_on = true;
    raw(); /* Ctrl-C, Ctrl-S and Ctrl-Z are keys here, not signals or flow control */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    define_keys();
    ui_mouse_start(ui);
    curs_set(0);
    apply_theme(ui);
    ui->glyphs = pick_glyphs(ui);
    ui_screen_layout(ui);
    return SCM_OK;
}

void ui_screen_stop(struct ui *ui)
{
    for (int i = 0; i < UI_W_COUNT; i++)
        if (ui->win[i]) {
            delwin(ui->win[i]);
            ui->win[i] = NULL;
        }
    if (ui->curses_on) {
        curs_set(1);
        endwin();
        ui->curses_on = false;
    }
}

void ui_screen_layout(struct ui *ui)
{
    const struct ui_rect *r[UI_W_COUNT];
    for (int i = 0; i < UI_W_COUNT; i++)
        if (ui->win[i]) {
            delwin(ui->win[i]);
            ui->win[i] = NULL;
        }
    ui_layout_compute(COLS, LINES, &ui->lay);
    if (!ui->lay.too_small) {
        r[UI_W_MENU] = &ui->lay.menu;
        r[UI_W_READERS] = &ui->lay.readers;
        r[UI_W_CARD] = &ui->lay.card;
        r[UI_W_CLIP] = &ui->lay.clip;
        r[UI_W_STATUS] = &ui->lay.status;
        r[UI_W_FBAR] = &ui->lay.fbar;
        for (int i = 0; i < UI_W_COUNT; i++) {
            ui->win[i] = newwin(r[i]->h, r[i]->w, r[i]->y, r[i]->x);
            if (ui->win[i])
                keypad(ui->win[i], TRUE);
        }
    }
    /* The whole screen changed: stdscr is cleared once here, never per frame. */
    werase(stdscr);
    wnoutrefresh(stdscr);
    ui->dirty = UI_DIRTY_ALL;
}

void ui_screen_resize(struct ui *ui)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resizeterm(ws.ws_row, ws.ws_col);
    ui_screen_layout(ui);
}

attr_t ui_attr(const struct ui *ui, enum ui_role r)
{
    return ui->attr[r];
}

void ui_box(const struct ui *ui, WINDOW *w, const char *title, attr_t a)
{
    int h, wd;
    getmaxyx(w, h, wd);
    wattron(w, a);
    switch (ui->glyphs) {
    case UI_GLYPH_UTF8:
        wborder_set(w, WACS_VLINE, WACS_VLINE, WACS_HLINE, WACS_HLINE, WACS_ULCORNER, WACS_URCORNER,
                    WACS_LLCORNER, WACS_LRCORNER);
        break;
    case UI_GLYPH_ACS:
        box(w, 0, 0);
        break;
    case UI_GLYPH_ASCII:
        wborder(w, '|', '|', '-', '-', '+', '+', '+', '+');
        break;
    }
    if (title && wd > 4) {
        char clean[512], fit[512];
        ui_text_clean(title, ui->utf8, clean, sizeof(clean));
        ui_text_fit_ell(clean, ui->utf8, wd - 4, fit, sizeof(fit));
        mvwaddstr(w, 0, 1, fit);
    }
    wattroff(w, a);
    (void)h;
}

void ui_hline(const struct ui *ui, WINDOW *w, int y, attr_t a)
{
    int h, wd;
    getmaxyx(w, h, wd);
    (void)h;
    wattron(w, a);
    if (ui->glyphs == UI_GLYPH_UTF8)
        mvwhline_set(w, y, 1, WACS_HLINE, wd - 2);
    else if (ui->glyphs == UI_GLYPH_ACS)
        mvwhline(w, y, 1, ACS_HLINE, wd - 2);
    else
        mvwhline(w, y, 1, '-', wd - 2);
    wattroff(w, a);
}

void ui_put_clean(const struct ui *ui, WINDOW *w, int y, int x, int width, const char *clean)
{
    char fit[1024];
    if (width <= 0)
        return;
    ui_text_fit_ell(clean, ui->utf8, width, fit, sizeof(fit));
    mvwaddstr(w, y, x, fit);
    scm_wipe(fit, strlen(fit));
}

void ui_put(const struct ui *ui, WINDOW *w, int y, int x, int width, const char *s)
{
    char clean[1024], fit[1024];
    if (width <= 0)
        return;
    ui_text_clean(s, ui->utf8, clean, sizeof(clean));
    ui_text_fit_ell(clean, ui->utf8, width, fit, sizeof(fit));
    mvwaddstr(w, y, x, fit);
    /* s may be a line of a private object: no copy stays on the stack. */
    scm_wipe(clean, strlen(clean));
    scm_wipe(fit, strlen(fit));
}
