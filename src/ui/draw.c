/* The main screen: menu bar, the three panes, status line and function-key
 * bar. Each is its own window, redrawn only when marked dirty and staged
 * with wnoutrefresh; one doupdate per pass sends only the changed cells. */
#include "ui_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void ui_dirty(struct ui *ui, enum ui_win w)
{
    ui->dirty |= 1u << w;
}

void ui_status(struct ui *ui, bool err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ui->status, sizeof(ui->status), fmt, ap);
    va_end(ap);
    ui->status_err = err;
    /* Kept whole for Ctrl-O: the status line may have to end it with "...". */
    ui_msglog_add(&ui->msgs, ui->status, err, time(NULL));
    ui_dirty(ui, UI_W_STATUS);
    scm_log(err ? SCM_LOG_WARN : SCM_LOG_INFO, "ui: %s", ui->status);
}

void ui_status_find(struct ui *ui, const struct ui_list *l)
{
    /* Each keystroke of a search would flood the Ctrl-O history and the
     * log: the search text is shown only. */
    if (l->finding)
        snprintf(ui->status, sizeof(ui->status),
                 "Find: %s   (F3 next match, Enter or Esc ends the search)", l->find);
    else
        ui->status[0] = '\0';
    ui->status_err = false;
    ui_dirty(ui, UI_W_STATUS);
}

void ui_status_err(struct ui *ui, int err, const struct scm_detail *d, const char *what)
{
    const char *why = d && d->text[0] ? d->text : scm_strerror(err);
    ui_status(ui, true, "%s: %s", what, why);
}

static const char *slot_state(const struct scm_slot *s, char *buf, size_t cap)
{
    if (s->kind == SCM_CARD_VSC) {
        snprintf(buf, cap, "%s%s", s->title,
                 s->state == SCM_SLOT_BROKEN ? "  [broken]"
                 : s->disabled               ? "  [disabled]"
                                             : "");
        return buf;
    }
    switch (s->state) {
    case SCM_SLOT_EMPTY:
        return "empty";
    case SCM_SLOT_CARD:
        snprintf(buf, cap, "card  %s", s->label[0] ? s->label : s->serial);
        return buf;
    case SCM_SLOT_IN_USE:
        return "card in use";
    case SCM_SLOT_NO_AGENT:
        snprintf(buf, cap, "%s", s->why[0] ? s->why : "no agent for this card");
        return buf;
    case SCM_SLOT_MUTE:
        return "mute card";
    case SCM_SLOT_BROKEN:
        return "broken";
    }
    return "?";
}

/* Readers: two rows per entry. */
static void reader_row(void *arg, int i, int row, bool sel)
{
    struct ui *ui = arg;
    WINDOW *w = ui->win[UI_W_READERS];
    const struct ui_list *l = &ui->pane_list[UI_PANE_READERS];
    int wd = ui->lay.readers.w - 2, y = l->y + 2 * row;
    bool focus = ui->focus == UI_PANE_READERS;
    char buf[3000], st[700];
    const struct scm_slot *s = &ui->slots[i];
    bool open = ui->card && strcmp(ui->card_slot, s->name) == 0;
    attr_t a = sel ? (focus ? ui_attr(ui, UI_ROLE_SELECTION) : A_BOLD) : A_NORMAL;
    if (!sel && s->kind == SCM_CARD_VSC && (s->disabled || s->state == SCM_SLOT_BROKEN))
        a = ui_attr(ui, UI_ROLE_DISABLED);
    wattron(w, a);
    mvwhline(w, y, 1, ' ', wd);
    mvwhline(w, y + 1, 1, ' ', wd);
    mvwaddch(w, y, 1, sel ? '>' : ' ');
    ui_put(ui, w, y, 2, wd - 1, s->kind == SCM_CARD_VSC ? "Virtual Smart Card" : s->title);
    /* A disabled VSC is an empty virtual reader with a mark (Fig. 3W). */
    mvwaddch(w, y + 1, 1, s->kind == SCM_CARD_VSC && s->disabled ? 'x' : ' ');
    /* A long label gives way to the ellipsis, never "[open]". */
    char clean[sizeof(st) * 4], fit[sizeof(st) * 4];
    const char *open_tag = open ? "  [open]" : "";
    ui_text_clean(slot_state(s, st, sizeof(st)), ui->utf8, clean, sizeof(clean));
    ui_text_fit_ell(clean, ui->utf8, wd - 2 - (int)strlen(open_tag), fit, sizeof(fit));
    snprintf(buf, sizeof(buf), "%s%s", fit, open_tag);
    ui_put_clean(ui, w, y + 1, 3, wd - 2, buf);
    wattroff(w, a);
}

static void draw_readers(struct ui *ui, bool full)
{
    WINDOW *w = ui->win[UI_W_READERS];
    int h = ui->lay.readers.h - 2, wd = ui->lay.readers.w - 2;
    bool focus = ui->focus == UI_PANE_READERS;
    struct ui_list *l = ui_pane_list(ui, UI_PANE_READERS);
    if (full) {
        werase(w);
        ui_box(ui, w, "Readers", focus ? ui_attr(ui, UI_ROLE_FOCUS) : ui_attr(ui, UI_ROLE_PANE));
    }
    int y = 1;
    if (ui->pcsc_err < 0) {
        /* The reason, wrapped: it is the one thing to read here. */
        char **why = NULL;
        size_t nwhy = 0;
        ui_text_wrap(scm_strerror(ui->pcsc_err), ui->utf8, wd, 0, 3, NULL, &why, &nwhy, NULL);
        if (full) {
            wattron(w, ui_attr(ui, UI_ROLE_ERROR));
            ui_put(ui, w, y, 1, wd, "No PC/SC service");
            wattroff(w, ui_attr(ui, UI_ROLE_ERROR));
            for (size_t i = 0; i < nwhy; i++)
                ui_put(ui, w, y + 1 + (int)i, 1, wd, why[i]);
        }
        ui_lines_free(why, nwhy);
        y += 1 + (int)nwhy;
        h -= 1 + (int)nwhy;
    }
    if (ui->n_slots == 0) {
        if (full && y <= h)
            ui_put(ui, w, y, 1, wd, "(no readers and no VSCs)");
        ui_list_forget(l);
        goto out;
    }
    l->y = y;
    l->x = 1;
    l->w = wd;
    l->per = 2;
    ui_list_draw(l, h / 2 > 0 ? h / 2 : 1, full, reader_row, ui);
out:
    wnoutrefresh(w);
}

/* "Key:     value"; a long value (a card type, a reader name) goes on
 * under itself on a second row, and only then ends with the ellipsis. */
static void draw_detail(struct ui *ui, WINDOW *w, int *y, int wd, const char *k, const char *v)
{
    char buf[600], clean[2400], **lines = NULL;
    size_t n = 0;
    snprintf(buf, sizeof(buf), "%-8s %s", k, v);
    ui_text_clean(buf, ui->utf8, clean, sizeof(clean));
    ui_text_wrap(clean, ui->utf8, wd - 2, 9, 2, NULL, &lines, &n, NULL);
    for (size_t i = 0; i < n; i++)
        ui_put(ui, w, (*y)++, 2, wd - 2, lines[i]);
    ui_lines_free(lines, n);
}

static int card_details(struct ui *ui, WINDOW *w, int wd)
{
    const struct scm_card_info *ci = &ui->ci;
    char buf[256];
    int y = 1;
    draw_detail(ui, w, &y, wd, "Label:", ci->label);
    if (ci->kind == SCM_CARD_VSC) {
        draw_detail(ui, w, &y, wd, "UID:", ci->serial);
        draw_detail(ui, w, &y, wd, "Type:", "Virtual Smart Card");
        snprintf(buf, sizeof(buf), "%llu  %s", (unsigned long long)ci->generation,
                 ci->dirty ? "unsaved (F2 saves)" : "saved");
        draw_detail(ui, w, &y, wd, "Gen.:", buf);
        if (ci->source.reader[0]) {
            snprintf(buf, sizeof(buf), "%s (%s)", ci->source.serial, ci->source.reader);
            draw_detail(ui, w, &y, wd, "Source:", buf);
        }
    } else {
        draw_detail(ui, w, &y, wd, "Serial:", ci->serial);
        snprintf(buf, sizeof(buf), "%s%s%s", ci->agent, ci->type[0] ? " / " : "", ci->type);
        draw_detail(ui, w, &y, wd, "Type:", buf);
        draw_detail(ui, w, &y, wd, "Reader:", ci->name);
        scm_hex(ci->source.atr, ci->source.atr_len, NULL, buf, sizeof(buf));
        draw_detail(ui, w, &y, wd, "ATR:", buf);
        /* Each credential with its tries: what a PIN or key dialog will ask. */
        size_t n = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < ci->n_creds && n < sizeof(buf); i++) {
            const struct scm_cred *c = &ci->creds[i];
            char tries[32] = "";
            if (c->tries_left == 0)
                snprintf(tries, sizeof(tries), " blocked");
            else if (c->tries_left > 0)
                snprintf(tries, sizeof(tries), " %d", c->tries_left);
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s%s%s", i ? ", " : "", c->label,
                                  tries, c->verified ? " (ok)" : "");
        }
        if (ci->n_creds)
            draw_detail(ui, w, &y, wd, "Creds:", buf);
    }
    return y;
}

static const char *area_title(enum scm_area a)
{
    return a == SCM_AREA_PUBLIC ? "Public" : a == SCM_AREA_PRIVATE ? "Private" : "Secret keys";
}

static void card_row(void *arg, int i, int row, bool sel)
{
    struct ui *ui = arg;
    WINDOW *w = ui->win[UI_W_CARD];
    const struct ui_list *l = &ui->pane_list[UI_PANE_CARD];
    int wd = ui->lay.card.w - 2, y = l->y + row;
    bool focus = ui->focus == UI_PANE_CARD;
    char buf[600], size[32];
    const struct ui_row *r = &ui->rows[i];
    attr_t a = A_NORMAL;
    if (r->kind == UI_ROW_AREA) {
        /* A real card counts what it lists; a locked VSC knows its counts. */
        size_t cnt = ui->ci.count[r->area];
        bool unverified = false;
        for (size_t k = 0, listed = 0; k < ui->n_objs; k++) {
            if (ui->objs[k].area != r->area)
                continue;
            unverified |= !ui->objs[k].verified;
            if (++listed > cnt)
                cnt = listed;
        }
        bool locked = r->area != SCM_AREA_PUBLIC && scm_card_needs_unlock(ui->card);
        /* A blocked PIN cannot unlock: the header must not promise it. */
        bool blocked = ui->ci.kind == SCM_CARD_REAL && ui->ci.pin_tries == 0;
        /* Where F6 would paste: the area of the selected row. */
        bool here = focus && scm_clip_count(ui->clip) > 0 && ui->card_sel >= 0 &&
                    (size_t)ui->card_sel < ui->n_rows && ui->rows[ui->card_sel].area == r->area;
        snprintf(buf, sizeof(buf), "%s  (%zu)%s%s", area_title(r->area), cnt,
                 locked       ? (blocked ? "  [blocked]" : "  [locked: Enter to unlock]")
                 : unverified ? "  [? not verified]"
                              : "",
                 here && !locked ? "  <- F6 pastes here" : "");
        a = A_BOLD;
        if (r->area == SCM_AREA_PRIVATE)
            a |= ui_attr(ui, UI_ROLE_PRIVATE);
    } else if (r->kind == UI_ROW_GROUP) {
        /* The card's own structure; a name from the card, so cleaned. */
        char g[SCM_OBJ_GROUP_MAX * 4 + 1];
        ui_text_clean(ui_obj_group(ui, r->obj), ui->utf8, g, sizeof(g));
        snprintf(buf, sizeof(buf), " %s:", g);
        a = A_UNDERLINE;
    } else {
        const struct scm_obj_info *o = &ui->objs[r->obj];
        char label[SCM_OBJ_LABEL_MAX * 4 + 1], fit[SCM_OBJ_LABEL_MAX * 4 + 1];
        bool marked = ui_marked(ui, o->id);
        int lw = wd - 3 - 29 > 8 ? wd - 3 - 29 : 8;
        ui_text_clean(o->label, ui->utf8, label, sizeof(label));
        /* A cut label ends with the ellipsis; F3 shows it whole. */
        int used = ui_text_fit_ell(label, ui->utf8, lw, fit, sizeof(fit));
        if (o->sealed)
            snprintf(size, sizeof(size), "%s", "sealed");
        else
            ui_fmt_size(o->size, size, sizeof(size));
        /* '?': a VSC's public object the password has not checked yet. */
        snprintf(buf, sizeof(buf), "%c%c %s%*s %-14s %10s", marked ? '*' : ' ',
                 o->verified ? ' ' : '?', fit, lw - used, "", scm_obj_type_name(o->type), size);
        if (marked)
            a = ui_attr(ui, UI_ROLE_MARKED);
        else if (o->area != SCM_AREA_PUBLIC)
            a = ui_attr(ui, UI_ROLE_PRIVATE);
        /* A key that is never copied looks it: dim where the terminal can. */
        if (o->sealed && !marked)
            a |= A_DIM;
    }
    if (sel)
        a = focus ? ui_attr(ui, UI_ROLE_SELECTION) : A_REVERSE;
    wattron(w, a);
    mvwhline(w, y, 1, ' ', wd);
    /* buf holds clean text already (labels went through ui_text_clean). */
    char fit2[700];
    ui_text_fit_ell(buf, ui->utf8, wd - 3, fit2, sizeof(fit2));
    mvwaddstr(w, y, r->kind == UI_ROW_AREA ? 2 : 3, fit2);
    if (sel)
        mvwaddch(w, y, 1, '>'); /* visible without colours, and to screen readers */
    wattroff(w, a);
}

static void draw_card(struct ui *ui, bool full)
{
    WINDOW *w = ui->win[UI_W_CARD];
    int h = ui->lay.card.h, wd = ui->lay.card.w - 2;
    bool focus = ui->focus == UI_PANE_CARD;
    struct ui_list *l = ui_pane_list(ui, UI_PANE_CARD);
    char title[256];
    if (!full && ui->card) {
        ui_list_draw(l, l->h, false, card_row, ui);
        goto out;
    }
    werase(w);
    if (ui->card)
        snprintf(title, sizeof(title), "Card: %s%s", ui->ci.name, ui->ci.dirty ? " [unsaved]" : "");
    else
        snprintf(title, sizeof(title), "Card");
    ui_box(ui, w, title, focus ? ui_attr(ui, UI_ROLE_FOCUS) : ui_attr(ui, UI_ROLE_PANE));
    if (!ui->card) {
        ui_put(ui, w, 2, 2, wd - 2, "No card open. Select a reader and press Enter.");
        ui_list_forget(l);
        goto out;
    }
    int y0 = card_details(ui, w, wd);
    ui_hline(ui, w, y0++, ui_attr(ui, UI_ROLE_PANE));
    l->y = y0;
    l->x = 1;
    l->w = wd;
    ui_list_draw(l, h - 1 - y0, true, card_row, ui);
out:
    wnoutrefresh(w);
}

/* Clipboard: two rows per item; the selection shows only with the focus. */
static void clip_row(void *arg, int i, int row, bool sel)
{
    struct ui *ui = arg;
    WINDOW *w = ui->win[UI_W_CLIP];
    const struct ui_list *l = &ui->pane_list[UI_PANE_CLIP];
    int wd = ui->lay.clip.w - 2, y = l->y + 2 * row;
    char buf[600];
    const struct scm_clip_item *it = scm_clip_item(ui->clip, (size_t)i);
    sel = sel && ui->focus == UI_PANE_CLIP;
    bool marked = ui_clip_marked(ui, (size_t)i);
    attr_t a = sel                           ? ui_attr(ui, UI_ROLE_SELECTION)
               : marked                      ? ui_attr(ui, UI_ROLE_MARKED)
               : it->area != SCM_AREA_PUBLIC ? ui_attr(ui, UI_ROLE_PRIVATE)
                                             : A_NORMAL;
    wattron(w, a);
    mvwhline(w, y, 1, ' ', wd);
    mvwhline(w, y + 1, 1, ' ', wd);
    /* '*' marks what F6 pastes, '?' an item copied without its VSC's
     * password, as in the Card pane (seen without colours). */
    snprintf(buf, sizeof(buf), "%c%c %s  %s", marked ? '*' : ' ', it->verified ? ' ' : '?',
             it->label, scm_area_name(it->area));
    ui_put(ui, w, y, 2, wd - 1, buf);
    if (sel)
        mvwaddch(w, y, 1, '>');
    snprintf(buf, sizeof(buf), "from %s", it->source);
    ui_put(ui, w, y + 1, 4, wd - 3, buf);
    wattroff(w, a);
}

static void draw_clip(struct ui *ui, bool full)
{
    WINDOW *w = ui->win[UI_W_CLIP];
    int h = ui->lay.clip.h - 2, wd = ui->lay.clip.w - 2;
    bool focus = ui->focus == UI_PANE_CLIP;
    struct ui_list *l = ui_pane_list(ui, UI_PANE_CLIP);
    char title[64];
    if (full) {
        werase(w);
        snprintf(title, sizeof(title), "Clipboard (%d)", l->n);
        ui_box(ui, w, title, focus ? ui_attr(ui, UI_ROLE_FOCUS) : ui_attr(ui, UI_ROLE_PANE));
    }
    if (l->n == 0) {
        if (full)
            ui_put(ui, w, 1, 2, wd - 1, "(empty)");
        ui_list_forget(l);
        goto out;
    }
    l->y = 1;
    l->x = 1;
    l->w = wd;
    l->per = 2;
    int per = h / 2 > 0 ? h / 2 : 1;
    ui_list_draw(l, per, full, clip_row, ui);
    /* Items out of sight are announced on the border, like a pager would. */
    if (full && wd > 14) {
        if (ui->clip_top > 0)
            mvwaddstr(w, 0, wd - 12, "more above");
        if (ui->clip_top + per < l->n)
            mvwaddstr(w, h + 1, wd - 12, "more below");
    }
out:
    wnoutrefresh(w);
}

static void draw_status(struct ui *ui)
{
    WINDOW *w = ui->win[UI_W_STATUS];
    werase(w);
    if (ui->status_err)
        wbkgdset(w, ' ' | ui_attr(ui, UI_ROLE_ERROR));
    else
        wbkgdset(w, ' ');
    werase(w);
    /* Wrapped over the status rows; what does not fit ends with the
     * ellipsis and the messages key (ui_status_wrap). */
    char clean[sizeof(ui->status) * 4], **lines = NULL;
    size_t n = 0;
    ui_text_clean(ui->status, ui->utf8, clean, sizeof(clean));
    ui_status_wrap(clean, ui->utf8, ui->lay.status.w - 2, &lines, &n, NULL);
    for (size_t i = 0; i < n && (int)i < ui->lay.status.h; i++)
        ui_put_clean(ui, w, (int)i, 1, ui->lay.status.w - 2, lines[i]); /* cleaned above */
    ui_lines_free(lines, n);
    wnoutrefresh(w);
}

/* The function-key bar's next entry that fits ("1Help 2Save ..."), its
 * number and width; NULL at the end. One layout for the drawing and for
 * the mouse. */
static const struct ui_binding *fbar_next(const struct ui *ui, size_t *i, int *x, int *need,
                                          const char **num)
{
    for (; *i < ui_keys_count(); (*i)++) {
        const struct ui_binding *b = ui_keys_at(*i);
        if (!b->fbar)
            continue;
        /* F-keys show their number, as in Midnight Commander. */
        *num = b->key_name[0] == 'F' ? b->key_name + 1 : b->key_name;
        *need = (int)(strlen(*num) + strlen(b->fbar)) + 1;
        if (*x + *need > ui->lay.fbar.w)
            return NULL;
        (*i)++;
        return b;
    }
    return NULL;
}

static void draw_fbar(struct ui *ui)
{
    WINDOW *w = ui->win[UI_W_FBAR];
    const struct ui_binding *b;
    const char *num;
    size_t i = 0;
    int x = 0, need;
    werase(w);
    while ((b = fbar_next(ui, &i, &x, &need, &num))) {
        mvwaddstr(w, 0, x, num);
        wattron(w, ui_attr(ui, UI_ROLE_FUNCTION_BAR));
        waddstr(w, b->fbar);
        wattroff(w, ui_attr(ui, UI_ROLE_FUNCTION_BAR));
        x += need;
        if (x < ui->lay.fbar.w)
            waddch(w, ' ');
    }
    wnoutrefresh(w);
}

int ui_fbar_key_at(const struct ui *ui, int col)
{
    const struct ui_binding *b;
    const char *num;
    size_t i = 0;
    int x = 0, need;
    while ((b = fbar_next(ui, &i, &x, &need, &num))) {
        if (col >= x && col < x + need)
            return b->key;
        x += need;
    }
    return 0;
}

static void draw_too_small(struct ui *ui)
{
    static const char msg[] = "terminal too small (need 80x24)";
    int len = (int)sizeof(msg) - 1;
    int y = LINES / 2, x = COLS > len ? (COLS - len) / 2 : 0;
    werase(stdscr);
    mvwaddnstr(stdscr, y, x, msg, COLS > 0 ? COLS : 0);
    wnoutrefresh(stdscr);
    ui->dirty = 0;
    ui->moved = 0;
}

void ui_draw_stage(struct ui *ui)
{
    if (ui->lay.too_small) {
        if (ui->dirty)
            draw_too_small(ui);
        return;
    }
    if (ui->dirty & (1u << UI_W_MENU))
        ui_menu_bar_draw(ui, ui->win[UI_W_MENU], -1);
    /* A pane whose list only moved its selection repaints two rows. */
    unsigned any = ui->dirty | ui->moved;
    if (any & (1u << UI_W_READERS))
        draw_readers(ui, ui->dirty & (1u << UI_W_READERS));
    if (any & (1u << UI_W_CARD))
        draw_card(ui, ui->dirty & (1u << UI_W_CARD));
    if (any & (1u << UI_W_CLIP))
        draw_clip(ui, ui->dirty & (1u << UI_W_CLIP));
    if (ui->dirty & (1u << UI_W_STATUS))
        draw_status(ui);
    if (ui->dirty & (1u << UI_W_FBAR))
        draw_fbar(ui);
    ui->dirty = 0;
    ui->moved = 0;
}

void ui_draw(struct ui *ui)
{
    ui_draw_stage(ui);
    doupdate();
}
