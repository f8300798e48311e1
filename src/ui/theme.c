/* Colour themes: themes/NAME.ini, colours named by role (MC's skins, htop's
 * CRT colour schemes). Parsing is pure; screen.c turns a theme into
 * curses attributes. A broken file never leaves the screen unreadable: the
 * built-in default is used and the caller shows the sentence. */
#include "ui_int.h"

#include <iniparser.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const role_names[UI_ROLE_COUNT] = {
    "pane", "focus", "selection", "marked", "private",
    "disabled", "error", "dialog", "menu", "function_bar",
};

const char *ui_role_name(enum ui_role r)
{
    return r < UI_ROLE_COUNT ? role_names[r] : "?";
}

/* Monochrome attributes per role: used by mono themes, NO_COLOR, and as
 * the fallback when a role gives none, so selection is always visible. */
static const unsigned mono[UI_ROLE_COUNT] = {
    [UI_ROLE_PANE] = 0,
    [UI_ROLE_FOCUS] = UI_ATTR_BOLD,
    [UI_ROLE_SELECTION] = UI_ATTR_REVERSE,
    [UI_ROLE_MARKED] = UI_ATTR_BOLD,
    [UI_ROLE_PRIVATE] = UI_ATTR_UNDERLINE,
    [UI_ROLE_DISABLED] = UI_ATTR_DIM,
    [UI_ROLE_ERROR] = UI_ATTR_BOLD | UI_ATTR_REVERSE,
    [UI_ROLE_DIALOG] = 0,
    [UI_ROLE_MENU] = UI_ATTR_REVERSE,
    [UI_ROLE_FUNCTION_BAR] = UI_ATTR_REVERSE,
};

void ui_theme_builtin(struct ui_theme *t)
{
    static const struct ui_style def[UI_ROLE_COUNT] = {
        [UI_ROLE_PANE] = {-1, -1, 0},
        [UI_ROLE_FOCUS] = {COLOR_WHITE, COLOR_BLUE, 0},
        [UI_ROLE_SELECTION] = {COLOR_BLACK, COLOR_CYAN, 0},
        [UI_ROLE_MARKED] = {COLOR_YELLOW, -1, UI_ATTR_BOLD},
        [UI_ROLE_PRIVATE] = {COLOR_MAGENTA, -1, 0},
        [UI_ROLE_DISABLED] = {COLOR_WHITE, -1, UI_ATTR_DIM},
        [UI_ROLE_ERROR] = {COLOR_WHITE, COLOR_RED, UI_ATTR_BOLD},
        [UI_ROLE_DIALOG] = {COLOR_BLACK, COLOR_WHITE, 0},
        [UI_ROLE_MENU] = {COLOR_BLACK, COLOR_CYAN, 0},
        [UI_ROLE_FUNCTION_BAR] = {COLOR_BLACK, COLOR_CYAN, 0},
    };
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", "default");
    t->color = true;
    memcpy(t->role, def, sizeof(def));
}

void ui_theme_strip_color(struct ui_theme *t)
{
    t->color = false;
    for (int r = 0; r < UI_ROLE_COUNT; r++) {
        t->role[r].fg = t->role[r].bg = -1;
        if (!t->role[r].attrs)
            t->role[r].attrs = mono[r];
    }
}

static int color_parse(const char *s, short *out)
{
    static const char *const names[] = {"black", "red", "green", "yellow",
                                        "blue", "magenta", "cyan", "white"};
    if (strcasecmp(s, "default") == 0 || strcasecmp(s, "none") == 0) {
        *out = -1;
        return 0;
    }
    for (short i = 0; i < 8; i++)
        if (strcasecmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    return -1;
}

static int attr_parse(const char *s, unsigned *out)
{
    static const struct {
        const char *name;
        unsigned bit;
    } attrs[] = {{"bold", UI_ATTR_BOLD}, {"reverse", UI_ATTR_REVERSE},
                 {"underline", UI_ATTR_UNDERLINE}, {"dim", UI_ATTR_DIM}};
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
        if (strcasecmp(s, attrs[i].name) == 0) {
            *out |= attrs[i].bit;
            return 0;
        }
    return -1;
}

static void trim(char *s)
{
    size_t n = strlen(s), b = strspn(s, " \t");
    while (n > b && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    memmove(s, s + b, n - b);
    s[n - b] = '\0';
}

/* "fg,bg[,attr...]" or, for mono themes, "attr[,attr...]". Words that are
 * not colours are attributes; two colours at most. */
static int style_parse(const char *value, struct ui_style *st, char *bad, size_t cap)
{
    char buf[128];
    int ncolors = 0;
    st->fg = st->bg = -1;
    st->attrs = 0;
    snprintf(buf, sizeof(buf), "%s", value);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        short c;
        trim(tok);
        if (!*tok)
            continue;
        if (color_parse(tok, &c) == 0 && ncolors < 2) {
            if (ncolors++ == 0)
                st->fg = c;
            else
                st->bg = c;
        } else if (attr_parse(tok, &st->attrs) < 0) {
            snprintf(bad, cap, "%s", tok);
            return -1;
        }
    }
    return 0;
}

int ui_theme_parse_file(const char *path, struct ui_theme *t, char *err, size_t cap)
{
    struct ui_theme nt;
    char bad[64], clean[256];
    int rc = SCM_E_CONFIG;
    ui_theme_builtin(&nt);
    err[0] = '\0';
    ui_text_clean(path, false, clean, sizeof(clean));
    if (access(path, R_OK) != 0) {
        snprintf(err, cap, "Default theme used: %s cannot be read.", clean);
        ui_theme_builtin(t);
        return SCM_E_IO;
    }
    dictionary *ini = iniparser_load(path);
    if (!ini) {
        snprintf(err, cap, "Default theme used: %s is not a valid ini file.", clean);
        goto out;
    }
    if (iniparser_find_entry(ini, "colors") == 0) {
        snprintf(err, cap, "Default theme used: %s has no [colors] section.", clean);
        goto out;
    }
    const char *name = iniparser_getstring(ini, "theme:name", NULL);
    if (name)
        ui_text_clean(name, false, nt.name, sizeof(nt.name));
    nt.color = iniparser_getboolean(ini, "theme:color", 1) != 0;
    /* Every key of [colors] must be a known role: a typo would otherwise
     * silently leave a role at its default. */
    int nkeys = iniparser_getsecnkeys(ini, "colors");
    const char *keys[64];
    if (nkeys > 64)
        nkeys = 64;
    if (nkeys > 0 && iniparser_getseckeys(ini, "colors", keys) != NULL) {
        for (int k = 0; k < nkeys; k++) {
            const char *role = strchr(keys[k], ':') ? strchr(keys[k], ':') + 1 : keys[k];
            int r = 0;
            while (r < UI_ROLE_COUNT && strcasecmp(role, role_names[r]) != 0)
                r++;
            if (r == UI_ROLE_COUNT) {
                ui_text_clean(role, false, bad, sizeof(bad));
                snprintf(err, cap, "Default theme used: unknown role '%s' in %s.", bad,
                         clean);
                goto out;
            }
            const char *v = iniparser_getstring(ini, keys[k], "");
            if (style_parse(v, &nt.role[r], bad, sizeof(bad)) < 0) {
                char cb[64];
                ui_text_clean(bad, false, cb, sizeof(cb));
                snprintf(err, cap,
                         "Default theme used: '%s' (%s) is not a colour or attribute, in %s.",
                         cb, role_names[r], clean);
                goto out;
            }
        }
    }
    if (!nt.color)
        ui_theme_strip_color(&nt);
    *t = nt;
    rc = SCM_OK;
out:
    if (rc < 0)
        ui_theme_builtin(t);
    if (ini)
        iniparser_freedict(ini);
    return rc;
}

int ui_theme_load(const char *name, const char *const *dirs, struct ui_theme *t, char *err,
                  size_t cap)
{
    char path[4096], clean[128];
    err[0] = '\0';
    if (!name || !*name || strcmp(name, "default") == 0) {
        /* The shipped default.ini if found, else the same colours built in. */
        name = "default";
    }
    if (strchr(name, '/'))
        return ui_theme_parse_file(name, t, err, cap);
    for (size_t i = 0; dirs && dirs[i]; i++) {
        snprintf(path, sizeof(path), "%s/%s.ini", dirs[i], name);
        if (access(path, F_OK) == 0)
            return ui_theme_parse_file(path, t, err, cap);
    }
    ui_theme_builtin(t);
    if (strcmp(name, "default") == 0)
        return SCM_OK;
    ui_text_clean(name, false, clean, sizeof(clean));
    snprintf(err, cap, "Default theme used: there is no theme named '%s'.", clean);
    return SCM_E_NOT_FOUND;
}
