/* The menu bar: File Edit View Tools Help. Items name actions; the key
 * shown next to an item comes from the key table. The bar and a drop-down
 * are runs of the one modal loop (dlg.c) returning the chosen action; a
 * drop-down's items are the one list widget (list.c). */
#include "ui_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

struct menu_item {
    const char *label;
    enum ui_action act;
    char hot; /* the letter that picks it (underlined) */
};
struct menu {
    const char *title;
    const struct menu_item *items;
    size_t n;
};

static const struct menu_item file_items[] = {
    {"Open", UI_ACT_OPEN, 'o'},           {"Close card", UI_ACT_CLOSE, 'c'},
    {"Save VSC", UI_ACT_SAVE, 's'},       {"Import object...", UI_ACT_IMPORT, 'i'},
    {"Export object...", UI_ACT_EXPORT, 'e'}, {"Quit", UI_ACT_QUIT, 'q'},
};
static const struct menu_item edit_items[] = {
    {"Mark", UI_ACT_MARK, 'm'},
    {"Copy", UI_ACT_COPY, 'c'},
    {"Copy all", UI_ACT_COPY_ALL, 'a'},
    {"Paste", UI_ACT_PASTE, 'p'},
    {"Rename...", UI_ACT_RENAME, 'r'},
    {"Delete", UI_ACT_DELETE, 'd'},
    {"Clear clipboard", UI_ACT_CLEAR_CLIP, 'l'},
    {"Back up card to VSC", UI_ACT_BACKUP, 'b'},
    {"Emergency backup...", UI_ACT_EMERGENCY, 'e'},
};
static const struct menu_item view_items[] = {
    {"View object", UI_ACT_VIEW, 'v'},
    {"Messages", UI_ACT_MESSAGES, 'm'},
    {"Redraw", UI_ACT_REDRAW, 'r'},
};
static const struct menu_item tools_items[] = {
    {"VSC Manager", UI_ACT_VSC_MANAGER, 'v'},
    {"New VSC...", UI_ACT_NEW_VSC, 'n'},
    {"Unlock card", UI_ACT_UNLOCK, 'u'},
    {"Initialise card...", UI_ACT_INIT_CARD, 'i'},
};
static const struct menu_item help_items[] = {
    {"Keys", UI_ACT_HELP, 'k'},
    {"About", UI_ACT_ABOUT, 'a'},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
static const struct menu menus[] = {
    {"File", file_items, N(file_items)},   {"Edit", edit_items, N(edit_items)},
    {"View", view_items, N(view_items)},   {"Tools", tools_items, N(tools_items)},
    {"Help", help_items, N(help_items)},
};
#define NMENUS ((int)N(menus))

/* The column where menu i's title starts. */
static int menu_x(int i)
{
    int x = 1;
    for (int j = 0; j < i; j++)
        x += (int)strlen(menus[j].title) + 2;
    return x;
}

int ui_menu_at(int x)
{
    for (int i = 0; i < NMENUS; i++)
        if (x >= menu_x(i) - 1 && x < menu_x(i) + (int)strlen(menus[i].title) + 1)
            return i;
    return -1;
}

void ui_menu_bar_draw(struct ui *ui, WINDOW *w, int open)
{
    char right[64];
    attr_t base = ui_attr(ui, UI_ROLE_MENU);
    wbkgdset(w, ' ' | base);
    werase(w);
    for (int i = 0; i < NMENUS; i++) {
        attr_t a = i == open ? ui_attr(ui, UI_ROLE_SELECTION) | A_BOLD : base;
        wattron(w, a);
        mvwprintw(w, 0, menu_x(i) - 1, " %s ", menus[i].title);
        wattroff(w, a);
    }
    snprintf(right, sizeof(right), "scmgr %s", SCMGR_VERSION);
    if (ui->lay.menu.w > (int)strlen(right) + 40)
        mvwaddstr(w, 0, ui->lay.menu.w - (int)strlen(right) - 1, right);
    wnoutrefresh(w);
}

/* Menu help lines (for F1): every item with the keys bound to it. */
int ui_menu_help(char ***lines, size_t *n);
int ui_menu_help(char ***lines, size_t *n)
{
    char keys[64];
    for (int m = 0; m < NMENUS; m++)
        for (size_t i = 0; i < menus[m].n; i++) {
            ui_keys_names(menus[m].items[i].act, keys, sizeof(keys));
            if (ui_lines_add(lines, n, "%-6s > %-22s %s", menus[m].title, menus[m].items[i].label,
                             keys) < 0)
                return SCM_E_NOMEM;
        }
    return SCM_OK;
}

static bool hidden(const struct ui *ui, enum ui_action a)
{
    return a == UI_ACT_EXPORT && !ui->pol->allow_export;
}

/* The open menu: which one, its list, its window. */
struct drop {
    int m, sel, top;
    struct ui_list list;
};

struct drop_row {
    struct ui *ui;
    struct ui_dlg *d;
    int m;
};

static void drop_row(void *arg, int i, int row, bool sel)
{
    struct drop_row *r = arg;
    struct ui *ui = r->ui;
    struct ui_dlg *d = r->d;
    char keys[64], line[128];
    const struct menu_item *it = &menus[r->m].items[i];
    attr_t a = sel ? ui_attr(ui, UI_ROLE_SELECTION) : ui_attr(ui, UI_ROLE_MENU);
    if (hidden(ui, it->act))
        a = ui_attr(ui, UI_ROLE_DISABLED);
    ui_keys_names(it->act, keys, sizeof(keys));
    char *comma = strchr(keys, ',');
    if (comma)
        *comma = '\0';
    snprintf(line, sizeof(line), " %-*s%8s ", d->wd - 12, it->label, keys);
    wattron(d->w, a);
    mvwaddnstr(d->w, 1 + row, 1, line, d->wd - 2);
    const char *h = strchr(it->label, it->hot);
    if (!h)
        h = strchr(it->label, toupper((unsigned char)it->hot));
    if (h)
        mvwchgat(d->w, 1 + row, 2 + (int)(h - it->label), 1, a | A_UNDERLINE | A_BOLD,
                 PAIR_NUMBER(a), NULL);
    wattroff(d->w, a);
}

static void drop_draw(struct ui *ui, struct ui_dlg *d, void *arg)
{
    struct drop *dr = arg;
    struct drop_row r = {ui, d, dr->m};
    ui_menu_bar_draw(ui, ui->win[UI_W_MENU], dr->m);
    if (!d->w)
        return;
    touchwin(d->w);
    werase(d->w);
    ui_box(ui, d->w, NULL, ui_attr(ui, UI_ROLE_MENU));
    ui_list_draw(&dr->list, (int)menus[dr->m].n, true, drop_row, &r);
}

static void place(struct ui *ui, struct ui_dlg *d, struct drop *dr)
{
    int m = dr->m, w = 0;
    for (size_t i = 0; i < menus[m].n; i++)
        if ((int)strlen(menus[m].items[i].label) > w)
            w = (int)strlen(menus[m].items[i].label);
    w += 14;
    if (d->w)
        delwin(d->w);
    int h = (int)menus[m].n + 2;
    int x = menu_x(m) - 1;
    if (x + w > COLS)
        x = COLS - w > 0 ? COLS - w : 0;
    d->h = h < LINES - 1 ? h : LINES - 1;
    d->wd = w < COLS ? w : COLS;
    d->w = newwin(d->h > 0 ? d->h : 1, d->wd > 0 ? d->wd : 1, 1, x);
    dr->list.n = (int)menus[m].n;
    dr->list.w = d->wd - 2;
}

static void switch_to(struct ui *ui, struct ui_dlg *d, struct drop *dr, int m)
{
    dr->m = m;
    dr->sel = dr->top = 0;
    ui_dirty(ui, UI_W_READERS), ui_dirty(ui, UI_W_CARD), ui_dirty(ui, UI_W_CLIP);
    place(ui, d, dr);
}

static int drop_key(struct ui *ui, struct ui_dlg *d, void *arg, int k)
{
    struct drop *dr = arg;
    int n = (int)menus[dr->m].n;
    if (k == KEY_F(9))
        return UI_ACT_NONE;
    if (k == KEY_LEFT || k == KEY_RIGHT) {
        switch_to(ui, d, dr, (dr->m + (k == KEY_LEFT ? NMENUS - 1 : 1)) % NMENUS);
    } else if (k == '\n' || k == '\r' || k == KEY_ENTER) {
        return menus[dr->m].items[dr->sel].act;
    } else if (k & 0x10000) {
        /* Alt+letter of another menu: switch to it. */
        for (int j = 0; j < NMENUS; j++)
            if (tolower(menus[j].title[0]) == tolower(k & 0xff))
                switch_to(ui, d, dr, j);
    } else if (k > 0 && k < 128 && isalpha(k)) {
        /* The first item starting with the letter. */
        for (int i = 0; i < n; i++)
            if (menus[dr->m].items[i].hot == tolower(k))
                return menus[dr->m].items[i].act;
    }
    return UI_DLG_GOON;
}

static int drop_layout(struct ui *ui, struct ui_dlg *d, void *arg)
{
    if (ui->lay.too_small)
        return UI_ACT_NONE;
    place(ui, d, arg);
    return UI_DLG_GOON;
}

/* A click on the bar opens that menu; anywhere else outside the drop-down
 * closes it (its items are the list's: a click chooses). */
static int drop_mouse(struct ui *ui, struct ui_dlg *d, void *arg, const struct ui_mouse *m)
{
    struct drop *dr = arg;
    if (m->kind != UI_MOUSE_CLICK && m->kind != UI_MOUSE_DOUBLE)
        return UI_DLG_GOON;
    if (m->y == ui->lay.menu.y) {
        int j = ui_menu_at(m->x);
        if (j < 0)
            return UI_ACT_NONE;
        if (j != dr->m)
            switch_to(ui, d, dr, j);
        return UI_DLG_GOON;
    }
    if (d->w && wenclose(d->w, m->y, m->x))
        return UI_DLG_GOON;
    return UI_ACT_NONE;
}

/* F9 without a menu: the bar is active, a menu's first letter (or Enter,
 * Down) opens it. -1 when the user left the bar. */
static void bar_draw(struct ui *ui, struct ui_dlg *d, void *arg)
{
    (void)d;
    ui_menu_bar_draw(ui, ui->win[UI_W_MENU], *(int *)arg);
}

static int bar_key(struct ui *ui, struct ui_dlg *d, void *arg, int k)
{
    int *m = arg;
    (void)d;
    if (k == KEY_F(9) || ui->lay.too_small)
        return -1;
    if (k == KEY_LEFT || k == KEY_RIGHT)
        *m = (*m + (k == KEY_LEFT ? NMENUS - 1 : 1)) % NMENUS;
    else if (k == '\n' || k == '\r' || k == KEY_ENTER || k == KEY_DOWN)
        return *m;
    else if (k > 0 && (k & 0xff) < 128 && isalpha(k & 0xff))
        for (int j = 0; j < NMENUS; j++)
            if (tolower(menus[j].title[0]) == tolower(k & 0xff))
                return j;
    return UI_DLG_GOON;
}

static int bar_layout(struct ui *ui, struct ui_dlg *d, void *arg)
{
    (void)d, (void)arg;
    return ui->lay.too_small ? -1 : UI_DLG_GOON;
}

static int bar_mouse(struct ui *ui, struct ui_dlg *d, void *arg, const struct ui_mouse *m)
{
    (void)d, (void)arg;
    if (m->kind != UI_MOUSE_CLICK && m->kind != UI_MOUSE_DOUBLE)
        return UI_DLG_GOON;
    return m->y == ui->lay.menu.y ? ui_menu_at(m->x) : -1;
}

static int bar_pick(struct ui *ui)
{
    static const struct ui_dlg_ops ops = {
        .draw = bar_draw, .key = bar_key, .layout = bar_layout, .mouse = bar_mouse, .cancel = -1};
    struct ui_dlg d = {.bare = true};
    int m = 0;
    return ui_dlg_run(ui, &d, &ops, &m);
}

enum ui_action ui_menu_run(struct ui *ui, int m)
{
    static const struct ui_dlg_ops ops = {.draw = drop_draw,
                                          .key = drop_key,
                                          .layout = drop_layout,
                                          .mouse = drop_mouse,
                                          .cancel = UI_ACT_NONE,
                                          .click_opens = true};
    struct drop dr = {.m = m};
    struct ui_dlg d = {.bare = true, .list = &dr.list};
    if (ui->lay.too_small)
        return UI_ACT_NONE;
    if (m < 0 && (dr.m = bar_pick(ui)) < 0) {
        ui->dirty = UI_DIRTY_ALL;
        return UI_ACT_NONE;
    }
    dr.list = (struct ui_list){.sel = &dr.sel, .top = &dr.top, .wrap = true, .y = 1, .x = 1};
    ui_list_forget(&dr.list);
    place(ui, &d, &dr);
    enum ui_action act = (enum ui_action)ui_dlg_run(ui, &d, &ops, &dr);
    if (hidden(ui, act)) {
        ui_status(ui, true, "Export is not allowed by the policy.");
        act = UI_ACT_NONE;
    }
    delwin(d.w);
    ui->dirty = UI_DIRTY_ALL;
    return act;
}
