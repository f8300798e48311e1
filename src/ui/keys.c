/* The one key table. Dispatch, the function-key bar and the help screen
 * are all generated from it, so they cannot disagree (htop's Action.c). */
#include "ui_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTRL(c) ((c) & 0x1f)

/* Order matters: the function-key bar and the help list follow it, and
 * ui_keys_names lists a command's keys in this order. */
static const struct ui_binding table[] = {
    {KEY_F(1), UI_ACT_HELP, "F1", "Help"},
    {'?', UI_ACT_HELP, "?", NULL},
    {KEY_F(2), UI_ACT_SAVE, "F2", "Save"},
    {KEY_F(3), UI_ACT_VIEW, "F3", "View"},
    {KEY_F(5), UI_ACT_COPY, "F5", "Copy"},
    {KEY_F(6), UI_ACT_PASTE, "F6", "Paste"},
    {KEY_F(7), UI_ACT_NEW_VSC, "F7", "NewVSC"},
    {KEY_F(8), UI_ACT_DELETE, "F8", "Delete"},
    {KEY_DC, UI_ACT_DELETE, "Delete", NULL},
    {KEY_F(9), UI_ACT_MENU, "F9", "Menu"},
    {KEY_F(10), UI_ACT_QUIT, "F10", "Quit"},
    {'q', UI_ACT_QUIT, "q", NULL},
    {CTRL('c'), UI_ACT_QUIT, "Ctrl-C", NULL},
    {'\t', UI_ACT_NEXT_PANE, "Tab", NULL},
    {KEY_RIGHT, UI_ACT_NEXT_PANE, "Right", NULL},
    {KEY_BTAB, UI_ACT_PREV_PANE, "Shift-Tab", NULL},
    {KEY_LEFT, UI_ACT_PREV_PANE, "Left", NULL},
    {KEY_UP, UI_ACT_UP, "Up", NULL},
    {KEY_DOWN, UI_ACT_DOWN, "Down", NULL},
    {KEY_PPAGE, UI_ACT_PGUP, "PgUp", NULL},
    {KEY_NPAGE, UI_ACT_PGDN, "PgDn", NULL},
    {KEY_HOME, UI_ACT_HOME, "Home", NULL},
    {KEY_END, UI_ACT_END, "End", NULL},
    {'\n', UI_ACT_OPEN, "Enter", NULL},
    {'\r', UI_ACT_OPEN, NULL, NULL},
    {KEY_ENTER, UI_ACT_OPEN, NULL, NULL},
    {' ', UI_ACT_MARK, "Space", NULL},
    {KEY_IC, UI_ACT_MARK, "Insert", NULL},
    {CTRL('l'), UI_ACT_REDRAW, "Ctrl-L", NULL},
    {CTRL('o'), UI_ACT_MESSAGES, "Ctrl-O", NULL},
    {UI_KEY_ALT('f'), UI_ACT_MENU_FILE, "Alt-F", NULL},
    {UI_KEY_ALT('e'), UI_ACT_MENU_EDIT, "Alt-E", NULL},
    {UI_KEY_ALT('v'), UI_ACT_MENU_VIEW, "Alt-V", NULL},
    {UI_KEY_ALT('t'), UI_ACT_MENU_TOOLS, "Alt-T", NULL},
    {UI_KEY_ALT('h'), UI_ACT_MENU_HELP, "Alt-H", NULL},
};

static const char *const help[UI_ACT_COUNT] = {
    [UI_ACT_HELP] = "This help: every key",
    [UI_ACT_SAVE] = "Save the open VSC",
    [UI_ACT_VIEW] = "View the selected object (hex, text, certificate)",
    [UI_ACT_COPY] = "Copy the marked (or the selected) objects to the clipboard",
    [UI_ACT_COPY_ALL] = "Copy every object of the open card to the clipboard",
    [UI_ACT_PASTE] = "Paste the clipboard (its marked items, or all) into the open card",
    [UI_ACT_NEW_VSC] = "Create a new virtual smart card",
    [UI_ACT_DELETE] = "Delete the selected object or clipboard item",
    [UI_ACT_MENU] = "Open the menu bar (then a menu's first letter)",
    [UI_ACT_QUIT] = "Quit (asks about unsaved changes)",
    [UI_ACT_NEXT_PANE] = "Next pane",
    [UI_ACT_PREV_PANE] = "Previous pane",
    [UI_ACT_UP] = "Move up",
    [UI_ACT_DOWN] = "Move down",
    [UI_ACT_PGUP] = "One page up",
    [UI_ACT_PGDN] = "One page down",
    [UI_ACT_HOME] = "First row",
    [UI_ACT_END] = "Last row",
    [UI_ACT_OPEN] = "Open the card; unlock a locked area; view an object",
    [UI_ACT_MARK] = "Mark or unmark the selected object or clipboard item",
    [UI_ACT_REDRAW] = "Redraw the screen and list readers and VSCs again",
    [UI_ACT_CLOSE] = "Close the open card",
    [UI_ACT_RENAME] = "Rename the selected object",
    [UI_ACT_IMPORT] = "Import an object from a file",
    [UI_ACT_EXPORT] = "Export the selected object to a file",
    [UI_ACT_BACKUP] = "Back up the card into its VSC (made if new)",
    [UI_ACT_EMERGENCY] = "Emergency backup: the open card's objects as plain files and a manifest",
    [UI_ACT_VSC_MANAGER] = "The VSC Manager: new, import, export, disable, enable, delete",
    [UI_ACT_INIT_CARD] = "Initialise a blank card",
    [UI_ACT_UNLOCK] = "Unlock the card with its PIN or password",
    [UI_ACT_CLEAR_CLIP] = "Empty the clipboard (wiped from memory)",
    [UI_ACT_ABOUT] = "About scmgr",
    [UI_ACT_MESSAGES] = "The last messages of the status line, in full",
    [UI_ACT_MENU_FILE] = "The File menu",
    [UI_ACT_MENU_EDIT] = "The Edit menu",
    [UI_ACT_MENU_VIEW] = "The View menu",
    [UI_ACT_MENU_TOOLS] = "The Tools menu",
    [UI_ACT_MENU_HELP] = "The Help menu",
};

/* Home, End, the function keys and the editing keys as xterm, VT220, rxvt
 * and the Linux console send them. A terminal description often knows
 * only one form (TERM=xterm inside tmux: End arrives as ESC [4~, which
 * xterm's terminfo calls nothing), so these are added wherever the
 * terminfo left the sequence free. */
static const struct ui_key_seq extra[] = {
    {"\033[1~", KEY_HOME},  {"\033[7~", KEY_HOME},  {"\033OH", KEY_HOME},   {"\033[H", KEY_HOME},
    {"\033[4~", KEY_END},   {"\033[8~", KEY_END},   {"\033OF", KEY_END},    {"\033[F", KEY_END},
    {"\033[2~", KEY_IC},    {"\033[3~", KEY_DC},    {"\033[5~", KEY_PPAGE}, {"\033[6~", KEY_NPAGE},
    {"\033[A", KEY_UP},     {"\033[B", KEY_DOWN},   {"\033[C", KEY_RIGHT},  {"\033[D", KEY_LEFT},
    {"\033OA", KEY_UP},     {"\033OB", KEY_DOWN},   {"\033OC", KEY_RIGHT},  {"\033OD", KEY_LEFT},
    {"\033[Z", KEY_BTAB},
    {"\033OP", KEY_F(1)},   {"\033OQ", KEY_F(2)},   {"\033OR", KEY_F(3)},   {"\033OS", KEY_F(4)},
    {"\033[11~", KEY_F(1)}, {"\033[12~", KEY_F(2)}, {"\033[13~", KEY_F(3)}, {"\033[14~", KEY_F(4)},
    {"\033[[A", KEY_F(1)},  {"\033[[B", KEY_F(2)},  {"\033[[C", KEY_F(3)},  {"\033[[D", KEY_F(4)},
    {"\033[[E", KEY_F(5)},  {"\033[15~", KEY_F(5)}, {"\033[17~", KEY_F(6)}, {"\033[18~", KEY_F(7)},
    {"\033[19~", KEY_F(8)}, {"\033[20~", KEY_F(9)}, {"\033[21~", KEY_F(10)},
};

const struct ui_key_seq *ui_keys_extra(size_t *n)
{
    *n = sizeof(extra) / sizeof(extra[0]);
    return extra;
}

int ui_keys_after_esc(int next)
{
    /* Esc 1 .. Esc 9, Esc 0 are F1 .. F9, F10, as in Midnight Commander:
     * the function keys of any terminal, whatever it sends for F5-F10. */
    if (next >= '1' && next <= '9')
        return KEY_F(next - '0');
    if (next == '0')
        return KEY_F(10);
    if (next >= 'A' && next <= 'z' && (next <= 'Z' || next >= 'a'))
        return UI_KEY_ALT(next);
    return 0;
}

int ui_keys_alias(int k)
{
    /* A VT220 keypad has Find and Select where a PC has Home and End; its
     * terminfo (and TERM=vt220-like entries) name them so. */
    if (k == KEY_FIND)
        return KEY_HOME;
    if (k == KEY_SELECT)
        return KEY_END;
    return k;
}

size_t ui_keys_count(void)
{
    return sizeof(table) / sizeof(table[0]);
}

const struct ui_binding *ui_keys_at(size_t i)
{
    return i < ui_keys_count() ? &table[i] : NULL;
}

enum ui_action ui_keys_lookup(int key)
{
    /* Letters with Alt are matched in either case. */
    if (key & 0x10000) {
        int c = key & 0xffff;
        if (c >= 'A' && c <= 'Z')
            key = UI_KEY_ALT(c - 'A' + 'a');
    }
    for (size_t i = 0; i < ui_keys_count(); i++)
        if (table[i].key == key)
            return table[i].act;
    return UI_ACT_NONE;
}

const char *ui_action_help(enum ui_action a)
{
    return a > UI_ACT_NONE && a < UI_ACT_COUNT && help[a] ? help[a] : "";
}

void ui_keys_names(enum ui_action a, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < ui_keys_count(); i++) {
        if (table[i].act != a || !table[i].key_name)
            continue;
        int w = snprintf(out + o, cap - o, "%s%s", o ? ", " : "", table[i].key_name);
        if (w < 0 || (size_t)w >= cap - o)
            return;
        o += (size_t)w;
    }
}

/* The help's first rows, before the table's: terminals without F5-F10
 * (vt100) or with other codes (linux, some SSH clients) need the first to
 * reach the rest of the list. */
static const struct {
    const char *keys, *help;
} lead[] = {
    {"Esc 1..Esc 0", "= F1..F10 (Esc then the digit, or Alt+digit)"},
    {"/", "Find by label in a list (F3 next, Enter or Esc ends)"},
    {"Mouse", "Click selects and focuses, double click opens, wheel scrolls"},
};

bool scm_ui_key_row(size_t row, char *keys, size_t cap, const char **what)
{
    size_t nlead = sizeof(lead) / sizeof(lead[0]);
    if (row < nlead) {
        snprintf(keys, cap, "%s", lead[row].keys);
        *what = lead[row].help;
        return true;
    }
    row -= nlead;
    /* One row per action, at its first named key, in the table's order. */
    bool done[UI_ACT_COUNT] = {false};
    for (size_t i = 0; i < ui_keys_count(); i++) {
        enum ui_action a = table[i].act;
        if (done[a] || !table[i].key_name)
            continue;
        done[a] = true;
        if (row-- > 0)
            continue;
        ui_keys_names(a, keys, cap);
        *what = ui_action_help(a);
        return true;
    }
    return false;
}

int ui_keys_help(char ***lines, size_t *n)
{
    char keys[96];
    const char *what;
    *lines = NULL;
    *n = 0;
    for (size_t row = 0; scm_ui_key_row(row, keys, sizeof(keys), &what); row++)
        if (ui_lines_add(lines, n, "%-22s %s", keys, what) < 0)
            return SCM_E_NOMEM;
    return SCM_OK;
}
