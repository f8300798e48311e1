/* The full-screen UI's private interfaces, shared by the files of src/ui/.
 *
 * Pure parts (layout.c, text.c, keys.c, theme.c) never call initscr and
 * are unit tested; the rest draws with ncursesw. Everything the UI knows
 * lives in one struct ui owned by scm_ui_run (ui_main.c). */
#ifndef SCMGR_UI_INT_H
#define SCMGR_UI_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curses.h>

#include "scmgr/card.h"
#include "scmgr/ui.h"

/* ---- layout.c: where everything goes (pure) -------------------------------- */
#define UI_MIN_COLS 80
#define UI_MIN_ROWS 24
struct ui_rect {
    int y, x, h, w;
};
struct ui_layout {
    bool too_small;
    int cols, rows;
    struct ui_rect menu, readers, card, clip, status, fbar;
};
void ui_layout_compute(int cols, int rows, struct ui_layout *out);
/* First visible row so that sel is on screen in a list of height h. */
int ui_layout_scroll(int top, int sel, int h, int n);

/* ---- text.c: text from cards and files, made safe and fitted (pure) ------- */
/* Sanitise (control and bidi characters made visible); without a UTF-8
 * locale every non-ASCII character becomes '?'. Returns the length. */
size_t ui_text_clean(const char *in, bool utf8, char *out, size_t cap);
/* Backspace in an input field of len bytes: drop the last UTF-8 character,
 * wipe its bytes, return the new length (buf stays NUL-terminated). */
size_t ui_text_backspace(char *buf, size_t len);
/* Cut clean text to at most width columns; returns the columns used. */
int ui_text_fit(const char *in, bool utf8, int width, char *out, size_t cap);
/* one when n is 1, else many: "1 object", "2 objects". */
const char *ui_plural(size_t n, const char *one, const char *many);
/* The same, but text that does not fit ends with the ellipsis ("\u2026" in
 * UTF-8, "..." otherwise) within width: a cut is always visible. */
int ui_text_fit_ell(const char *in, bool utf8, int width, char *out, size_t cap);
/* The columns clean text takes on the screen. */
int ui_text_cols(const char *s, bool utf8);
const char *ui_text_ellipsis(bool utf8);
/* The longest line ui_text_wrap builds (bytes). */
#define UI_TEXT_LINE_MAX 1024
/* Word-wrap clean text into lines of at most width columns, appended to
 * *lines / *n (ui_lines_add). Breaks at spaces (the spaces inside a line
 * are kept, so aligned tables stay aligned) and at '\n'; continuation
 * lines start with indent spaces; a word longer than a line is split.
 * max > 0 keeps at most max lines: then the last ends with the ellipsis and
 * `more` (a hint such as " Ctrl-O: all"), *cut (may be NULL) is set, and
 * only whole words stand before the ellipsis. SCM_OK or SCM_E_NOMEM. */
int ui_text_wrap(const char *in, bool utf8, int width, int indent, size_t max, const char *more,
                 char ***lines, size_t *n, bool *cut);
/* The status line: UI_STATUS_ROWS rows at the bottom; a message longer
 * than that ends with the ellipsis and UI_STATUS_MORE (the messages key). */
#define UI_STATUS_ROWS 2
#define UI_STATUS_MORE " Ctrl-O: all"
/* *lines / *n are set (not appended to). */
int ui_status_wrap(const char *msg, bool utf8, int width, char ***lines, size_t *n, bool *cut);
/* A message or question dialog sized to its text: width and height of
 * the box (border, margins and the button row included) on a cols x rows
 * screen, and the text's lines (wrapped to fit, the ellipsis only when
 * the screen itself is too small). */
int ui_text_dialog(const char *text, bool utf8, int cols, int rows, int min_w, char ***lines,
                   size_t *n, int *h, int *w);
/* Help lines wrapped to width, each continuation under the description
 * (indent columns in). */
int ui_text_help(char **in, size_t n_in, bool utf8, int width, int indent, char ***lines,
                 size_t *n);
/* "512 B", "1.5 KiB" */
void ui_fmt_size(size_t n, char *out, size_t cap);

/* ---- msglog.c: the last status messages, in full (pure) ------------------ */
#define UI_MSGLOG_MAX 64
struct ui_msglog {
    char *text[UI_MSGLOG_MAX]; /* ring; malloc'd */
    bool err[UI_MSGLOG_MAX];
    time_t when[UI_MSGLOG_MAX];
    size_t next, count;
};
/* Keep a copy of msg (the oldest is dropped when full); a repeat of the
 * newest message is not stored twice. SCM_OK or SCM_E_NOMEM. */
int ui_msglog_add(struct ui_msglog *m, const char *msg, bool err, time_t when);
size_t ui_msglog_count(const struct ui_msglog *m);
/* i = 0 is the oldest kept; NULL past the end. */
const char *ui_msglog_at(const struct ui_msglog *m, size_t i, bool *err, time_t *when);
void ui_msglog_free(struct ui_msglog *m);
/* The history, newest first, one raw line per message ("12:34:56 ! text":
 * "!" marks an error) for the viewer to clean and wrap under its time
 * (UI_MSGLOG_INDENT columns); ui_msglog_lines: the same cleaned and
 * wrapped to width. */
#define UI_MSGLOG_INDENT 11
int ui_msglog_raw(const struct ui_msglog *m, char ***lines, size_t *n);
int ui_msglog_lines(const struct ui_msglog *m, bool utf8, int width, char ***lines, size_t *n);

/* ---- keys.c: the one key table (pure) ---------------------------------------- */
enum ui_action {
    UI_ACT_NONE = 0,
    UI_ACT_HELP,
    UI_ACT_SAVE,
    UI_ACT_VIEW,
    UI_ACT_COPY,
    UI_ACT_COPY_ALL,
    UI_ACT_PASTE,
    UI_ACT_NEW_VSC,
    UI_ACT_DELETE,
    UI_ACT_MENU,
    UI_ACT_QUIT,
    UI_ACT_NEXT_PANE,
    UI_ACT_PREV_PANE,
    UI_ACT_UP,
    UI_ACT_DOWN,
    UI_ACT_PGUP,
    UI_ACT_PGDN,
    UI_ACT_HOME,
    UI_ACT_END,
    UI_ACT_OPEN,
    UI_ACT_MARK,
    UI_ACT_REDRAW,
    UI_ACT_CLOSE,
    UI_ACT_RENAME,
    UI_ACT_IMPORT,
    UI_ACT_EXPORT,
    UI_ACT_BACKUP,
    UI_ACT_EMERGENCY,
    UI_ACT_VSC_MANAGER,
    UI_ACT_INIT_CARD,
    UI_ACT_UNLOCK,
    UI_ACT_CLEAR_CLIP,
    UI_ACT_ABOUT,
    UI_ACT_MESSAGES,
    UI_ACT_MENU_FILE,
    UI_ACT_MENU_EDIT,
    UI_ACT_MENU_VIEW,
    UI_ACT_MENU_TOOLS,
    UI_ACT_MENU_HELP,
    UI_ACT_COUNT
};
/* Alt+letter arrives as Esc followed by the letter. */
#define UI_KEY_ALT(c) (0x10000 | (c))
struct ui_binding {
    int key;
    enum ui_action act;
    const char *key_name; /* "F5", "Space" */
    const char *fbar;     /* label on the function-key bar, or NULL */
};
/* The key Esc followed by `next` makes: Esc digit is F1..F10 (Esc 0 =
 * F10, mc's convention), Esc letter is Alt+letter; 0 for none. */
int ui_keys_after_esc(int next);
/* VT220 Find/Select are Home/End. */
int ui_keys_alias(int k);
/* Extra escape sequences to teach curses (define_key) when TERM's entry
 * leaves them free: the xterm/VT220/rxvt/linux forms of Home, End, F1-F10. */
struct ui_key_seq {
    const char *seq;
    int key;
};
const struct ui_key_seq *ui_keys_extra(size_t *n);
size_t ui_keys_count(void);
const struct ui_binding *ui_keys_at(size_t i);
enum ui_action ui_keys_lookup(int key);
/* What an action does, one line ("Copy the marked objects to the clipboard"). */
const char *ui_action_help(enum ui_action a);
/* The keys bound to a, joined ("F8, Delete"), "" if none. */
void ui_keys_names(enum ui_action a, char *out, size_t cap);
/* The help screen: one line per action that has a key, "KEYS  what it does".
 * *lines is malloc'd (free each and the array). */
int ui_keys_help(char ***lines, size_t *n);

/* ---- list.c: the one list widget (pure: the owner's callback draws) ------- */
/* Item i's text for type-ahead (buf may be used); NULL: not searchable. */
typedef const char *(*ui_list_label_fn)(void *arg, int i, char *buf, size_t cap);
/* Draw item i on visible row `row` (0 = the first shown), selected or not. */
typedef void (*ui_list_item_fn)(void *arg, int i, int row, bool sel);
struct ui_list {
    int *sel, *top;   /* the owner's selection and first visible item: the
                         model keeps them, so a reload can keep its place */
    int n;            /* items */
    int per;          /* screen rows per item (0 = 1) */
    int h;            /* visible items, from the last draw */
    int y, x, w;      /* where the items start in the owner's window (hit-test) */
    bool view;        /* a viewer: no selection, the keys scroll */
    bool wrap;        /* Up on the first item goes to the last (menus) */
    bool find_always; /* letters search at once; else '/' starts a search */
    ui_list_label_fn label;
    void *arg;
    bool finding;
    char find[64];
    size_t flen;
    int drawn_sel, drawn_top; /* what the screen shows; -1: nothing yet */
};
/* What a key did to the list: the owner repaints accordingly. */
enum ui_list_res {
    UI_LIST_IGNORED = 0, /* not a list key */
    UI_LIST_SAME,        /* taken, nothing moved */
    UI_LIST_MOVED,       /* the selection moved on screen: two rows to repaint */
    UI_LIST_SCROLLED     /* the visible items changed: repaint the list */
};
/* Up/Down/PgUp/PgDn/Home/End (through the key table), '/' or letters for
 * type-ahead, Backspace, Enter or Esc ending a search, F3 the next match. */
int ui_list_key(struct ui_list *l, int key);
/* A navigation action (UI_ACT_UP .. UI_ACT_END) from the main key table. */
int ui_list_act(struct ui_list *l, enum ui_action a);
int ui_list_set(struct ui_list *l, int sel);
int ui_list_find_next(struct ui_list *l);
void ui_list_find_end(struct ui_list *l);
/* The item at y,x of the owner's window, or -1. */
int ui_list_hit(const struct ui_list *l, int y, int x);
/* The mouse wheel: scroll by delta items, the selection kept on screen. */
int ui_list_wheel(struct ui_list *l, int delta);
/* Draw the h visible items; full false repaints only the row the selection
 * left and the row it reached (htop's Panel_draw) when nothing scrolled. */
void ui_list_draw(struct ui_list *l, int h, bool full, ui_list_item_fn fn, void *arg);
/* The screen no longer shows the list (erased, resized): next draw is full. */
void ui_list_forget(struct ui_list *l);

/* ---- theme.c: colours by role (parsing is pure) --------------------------- */
enum ui_role {
    UI_ROLE_PANE = 0,
    UI_ROLE_FOCUS,
    UI_ROLE_SELECTION,
    UI_ROLE_MARKED,
    UI_ROLE_PRIVATE,
    UI_ROLE_DISABLED,
    UI_ROLE_ERROR,
    UI_ROLE_DIALOG,
    UI_ROLE_MENU,
    UI_ROLE_FUNCTION_BAR,
    UI_ROLE_COUNT
};
#define UI_ATTR_BOLD 1u
#define UI_ATTR_REVERSE 2u
#define UI_ATTR_UNDERLINE 4u
#define UI_ATTR_DIM 8u
struct ui_style {
    short fg, bg; /* COLOR_* numbers, -1 = the terminal's default */
    unsigned attrs;
};
struct ui_theme {
    char name[64];
    bool color; /* false: attributes only (mono, NO_COLOR) */
    struct ui_style role[UI_ROLE_COUNT];
};
const char *ui_role_name(enum ui_role r);
/* The built-in default (the same as themes/default.ini). */
void ui_theme_builtin(struct ui_theme *t);
/* Parse one theme file. On any error *t is the built-in theme and err
 * holds one sentence naming the file and the problem. */
int ui_theme_parse_file(const char *path, struct ui_theme *t, char *err, size_t cap);
/* Find NAME.ini in dirs (or NAME itself when it contains a '/') and parse it. */
int ui_theme_load(const char *name, const char *const *dirs, struct ui_theme *t, char *err,
                  size_t cap);
/* NO_COLOR: keep attributes only, with a readable fallback for every role. */
void ui_theme_strip_color(struct ui_theme *t);

/* ---- The UI's state ----------------------------------------------------------- */
enum ui_pane { UI_PANE_READERS = 0, UI_PANE_CARD, UI_PANE_CLIP, UI_PANE_COUNT };
enum ui_win {
    UI_W_MENU = 0,
    UI_W_READERS,
    UI_W_CARD,
    UI_W_CLIP,
    UI_W_STATUS,
    UI_W_FBAR,
    UI_W_COUNT
};
enum ui_glyphs { UI_GLYPH_UTF8 = 0, UI_GLYPH_ACS, UI_GLYPH_ASCII };
/* An area header (the patent's three areas), a group within it (the card's
 * own structure: "Slot 9A", "Private DOs"; only where an area holds more
 * than one), an object. */
enum ui_row_kind { UI_ROW_AREA = 0, UI_ROW_OBJ, UI_ROW_GROUP };

struct ui_row {
    enum ui_row_kind kind;
    enum scm_area area;
    size_t obj; /* index into ui.objs for UI_ROW_OBJ */
};

/* Special keys from ui_getkey besides the curses ones. */
#define UI_KEY_SLOTS 0x20001  /* readers or cards changed */
#define UI_KEY_RESIZE 0x20002 /* the terminal was resized (already handled) */
#define UI_KEY_QUIT 0x20003   /* a signal asks to stop now */
#define UI_KEY_IDLE 0x20004   /* the idle timeout passed */

/* Keys that end any dialog or menu: Esc, F10 (the function bar's "Quit"
 * means "leave this" in a dialog, as in mc), and the two that must reach
 * the main loop at once (a signal asking to stop, the idle timeout). */
static inline bool ui_key_ends_dialog(int k)
{
    return k == UI_KEY_QUIT || k == UI_KEY_IDLE || k == 27 || k == KEY_F(10);
}

struct ui {
    const struct scm_ui_opts *opts;
    const struct scm_policy *pol;
    struct scm_card_ctx cctx;
    struct scm_slots *slotstate;
    struct scm_slot *slots; /* our copy of the last listing */
    size_t n_slots;
    int pcsc_err;
    int rd_sel, rd_top;

    struct scm_card *card; /* the open card, or NULL */
    struct scm_card_info ci;
    char card_slot[160];             /* the slot name it was opened from */
    const struct scm_obj_info *objs; /* scm_card_list: valid until the next change */
    size_t n_objs;
    struct ui_row *rows;
    size_t n_rows;
    uint32_t *marks; /* object ids */
    size_t n_marks, cap_marks;
    int card_sel, card_top;

    struct scm_clip *clip;
    int clip_sel, clip_top;
    bool *clip_marks; /* by clipboard index; dropped when the clipboard changes */
    size_t n_clip_marks;

    enum ui_pane focus;
    char status[1024];
    bool status_err;
    struct ui_msglog msgs;

    struct ui_theme theme;
    attr_t attr[UI_ROLE_COUNT];
    enum ui_glyphs glyphs;
    bool utf8;
    bool curses_on;

    struct ui_layout lay;
    WINDOW *win[UI_W_COUNT];
    unsigned dirty; /* bit per enum ui_win: draw it again */
    unsigned moved; /* bit per enum ui_win: only its list's selection moved */
    struct ui_list pane_list[UI_PANE_COUNT]; /* see ui_pane_list */
    bool no_mouse;                           /* --no-mouse or [ui] mouse = no */

    int fd_sig, fd_ev;  /* read ends of the signal and slot-event pipes */
    int fd_store;       /* inotify on the store directory, or -1 */
    bool store_pending; /* another process changed the store: rescan */
    bool quit;          /* leave the main loop */
    bool hangup;        /* a signal: no questions, drop unsaved changes */
    bool slots_pending;
    time_t last_input;
    time_t last_check;  /* the last ui_card_check of the idle timer */
    time_t check_every; /* seconds between idle checks (UI_CARD_CHECK_S or more) */
    bool check_pending; /* the idle timer asks the main loop for ui_card_check */
    /* A card call is taking long (ui_main.c's hook): the status line said
     * so, over what it said before. */
    bool card_waiting;
    char card_wait_prev[1024]; /* as status */
    bool card_wait_prev_err;
};

#define UI_DIRTY_ALL ((1u << UI_W_COUNT) - 1)

/* ---- screen.c: the terminal ---------------------------------------------------- */
int ui_screen_start(struct ui *ui);
void ui_screen_stop(struct ui *ui);
/* (Re)create the windows for the current terminal size. */
void ui_screen_layout(struct ui *ui);
/* Read the new size after SIGWINCH and lay out again. */
void ui_screen_resize(struct ui *ui);
attr_t ui_attr(const struct ui *ui, enum ui_role r);
/* A border with a title, in the glyph set the terminal allows. */
void ui_box(const struct ui *ui, WINDOW *w, const char *title, attr_t a);
/* A horizontal line at row y inside a boxed window. */
void ui_hline(const struct ui *ui, WINDOW *w, int y, attr_t a);
/* Clean text from a card or file at y,x in width columns; cut text ends
 * with the ellipsis. */
void ui_put(const struct ui *ui, WINDOW *w, int y, int x, int width, const char *s);
/* The same for text ui_text_clean made already: cleaned twice, every
 * backslash the sanitiser wrote would be doubled. */
void ui_put_clean(const struct ui *ui, WINDOW *w, int y, int x, int width, const char *clean);

/* ---- draw.c: the main screen ---------------------------------------------------- */
/* Stage every dirty window (wnoutrefresh), then one doupdate. */
void ui_draw(struct ui *ui);
/* Stage the dirty windows only (dialogs call this before drawing themselves). */
void ui_draw_stage(struct ui *ui);
void ui_dirty(struct ui *ui, enum ui_win w);
void ui_status(struct ui *ui, bool err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The search typed into list l ("Find: ..."), or nothing when it ended;
 * shown on the status line but not kept in the message history. */
void ui_status_find(struct ui *ui, const struct ui_list *l);
/* "<what>: <detail or error sentence>" on the status line, as an error. */
void ui_status_err(struct ui *ui, int err, const struct scm_detail *d, const char *what);

/* ---- input.c: keys and events -------------------------------------------------- */
/* Wait for a key, a slot event, a signal or the idle timeout. Signals and
 * resizes are handled here (UI_KEY_RESIZE, UI_KEY_QUIT). */
int ui_getkey(struct ui *ui);
/* A key if one is waiting, else ERR; never blocks (progress dialogs). */
int ui_pollkey(struct ui *ui);

/* ---- menu.c --------------------------------------------------------------------- */
/* Run the menu bar starting with menu `which` (0 = File); the chosen action
 * or UI_ACT_NONE. */
enum ui_action ui_menu_run(struct ui *ui, int which);
void ui_menu_bar_draw(struct ui *ui, WINDOW *w, int open);

/* ---- mouse.c: clicks, double clicks and the wheel ------------------------------ */
enum ui_mouse_kind { UI_MOUSE_CLICK = 1, UI_MOUSE_DOUBLE, UI_MOUSE_WHEEL_UP, UI_MOUSE_WHEEL_DOWN };
struct ui_mouse {
    enum ui_mouse_kind kind;
    int y, x; /* screen cell */
};
/* Ask the terminal for mouse reports unless the options or the config
 * turned it off (ncurses: X10 or SGR 1006, whichever TERM's kmous says). */
void ui_mouse_start(struct ui *ui);
/* The event behind a KEY_MOUSE; false when it is none we use. */
bool ui_mouse_read(struct ui *ui, struct ui_mouse *m);
/* A click on the function-key bar: the key it shows, else 0. */
int ui_mouse_fbar_key(const struct ui *ui, const struct ui_mouse *m);
/* A mouse event on the main screen: focus, select, open, scroll, menus. */
void ui_mouse_main(struct ui *ui, const struct ui_mouse *m);
/* The function-key bar's key at column x, or 0 (draw.c lays it out). */
int ui_fbar_key_at(const struct ui *ui, int x);
/* The menu whose title is at column x of the menu bar, or -1. */
int ui_menu_at(int x);

/* ---- dlg.c: the one modal loop ---------------------------------------------------- */
struct ui_dlg {
    WINDOW *w;
    int h, wd;
    const char *title;
    int req_h, req_w;     /* the size asked for (before clipping to the screen) */
    bool bare;            /* the callbacks draw everything (menus): no box, no title */
    struct ui_list *list; /* the dialog's list: keys, search and mouse go to it first */
};
/* Centre a boxed window of h x w (clipped to the screen) with a title. */
void ui_dlg_open(struct ui *ui, struct ui_dlg *d, int h, int w, const char *title);
void ui_dlg_close(struct ui *ui, struct ui_dlg *d);
/* Redraw the main screen under a dialog after a resize or a nested dialog. */
void ui_dlg_restage(struct ui *ui, struct ui_dlg *d, int h, int w);

/* A callback's answer that keeps the dialog running. */
#define UI_DLG_GOON (-1000)
/* One dialog's behaviour; ui_dlg_run owns the rest (mc's dlg_run, htop's
 * ScreenManager): reading keys, signals and slot events, the resize, the
 * redraw of the screen under the dialog, Esc and F10, the function-bar
 * clicks, and the dialog's list (navigation, type-ahead, mouse). */
struct ui_dlg_ops {
    /* The contents (the box and title are drawn already unless bare). */
    void (*draw)(struct ui *ui, struct ui_dlg *d, void *arg);
    /* A key the list did not take: a result ends the loop, UI_DLG_GOON not. */
    int (*key)(struct ui *ui, struct ui_dlg *d, void *arg, int key);
    /* After a resize (NULL: the same size centred again); a result ends. */
    int (*layout)(struct ui *ui, struct ui_dlg *d, void *arg);
    /* A mouse event not on the list's items (NULL: ignored); a result ends. */
    int (*mouse)(struct ui *ui, struct ui_dlg *d, void *arg, const struct ui_mouse *m);
    int cancel;       /* the result of Esc, F10, a signal, the idle timeout */
    bool click_opens; /* one click on an item acts as Enter (menus); else a double click */
};
/* Run d (opened already) until a callback gives a result; returns it. Blocks. */
int ui_dlg_run(struct ui *ui, struct ui_dlg *d, const struct ui_dlg_ops *ops, void *arg);

/* ---- dialog.c / dialog_list.c: the dialogs the flows use ------------------------- */
void ui_msg(struct ui *ui, const char *title, const char *text);
/* 1 yes, 0 no, -1 cancel (Esc). */
int ui_yesno(struct ui *ui, const char *title, const char *question);
/* yes / no / cancel with "Cancel" offered explicitly. */
int ui_yesnocancel(struct ui *ui, const char *title, const char *question);
/* The same with No as the default (Enter alone takes the careful answer). */
int ui_yesnocancel_no(struct ui *ui, const char *title, const char *question);
/* Text input; buf holds the default and receives the answer. 1 ok, 0 cancel. */
int ui_input(struct ui *ui, const char *title, const char *prompt, char *buf, size_t cap);
/* Before an export reads anything: may path be written? Asks before
 * replacing a regular file (then *force), refuses anything else at path
 * with the sentence on the status line. 1 go on, 0 not (status shown). */
int ui_outfile_ask(struct ui *ui, char *path, size_t cap, bool *force);

/* A secret typed into a masked field, in secure memory. */
struct ui_secret {
    char *buf;
    size_t len;
};
/* 1 entered, 0 cancelled; s->buf from scm_secure_alloc. */
int ui_secret_ask(struct ui *ui, const char *title, const char *prompt, struct ui_secret *s);
void ui_secret_free(struct ui_secret *s);

/* Progress: the callback for the copy functions (arg: struct ui_progress). */
struct ui_progress {
    struct ui *ui;
    struct ui_dlg dlg;
    const char *title;
    bool cancelled;
};
void ui_progress_open(struct ui *ui, struct ui_progress *p, const char *title);
bool ui_progress_cb(void *arg, size_t done, size_t total, const char *label);
void ui_progress_close(struct ui_progress *p);

/* Scrolling list of text lines (help, result, viewer); alt_fn builds a
 * second rendering on the first Tab (the viewer's hex/text), and sets
 * *indent as ui_lines_wrap's (it starts as UI_LINES_NOWRAP). */
typedef void (*ui_lines_fn)(void *arg, bool alt, char ***lines, size_t *n, int *indent);
/* Lines drawn as given, cut with the ellipsis (hex dumps; text wrapped by
 * its caller). */
#define UI_LINES_NOWRAP (-1)
/* The text columns of ui_lines on a screen cols wide (its box is cols - 6
 * wide with two columns of margin each side). */
#define UI_LINES_WIDTH(cols) ((cols)-10)
/* Help lines: "KEYS (22 columns) description"; continuations start under
 * the description. */
#define UI_HELP_INDENT 23
void ui_lines(struct ui *ui, const char *title, char **lines, size_t n, ui_lines_fn alt_fn,
              void *alt_arg);
/* The same for raw lines that the viewer wraps itself to its width (again
 * after a resize): each line sanitised, a longer one continued on rows
 * indent columns in (a certificate field under its value); ui_lines is
 * this with UI_LINES_NOWRAP. */
void ui_lines_wrap(struct ui *ui, const char *title, char **lines, size_t n, int indent,
                   ui_lines_fn alt_fn, void *alt_arg);
/* The height of the big dialogs (lists, the viewer, the VSC Manager): they
 * leave the status rows free, so a message a key produced is read there. */
#define UI_BIG_DIALOG_H(lines) ((lines)-3 - UI_STATUS_ROWS)
/* Pick one of n items: index, or -1 on Esc. */
int ui_pick(struct ui *ui, const char *title, const char *const *items, size_t n, int sel);
/* The report of a copy or paste. */
void ui_report(struct ui *ui, const char *title, const struct scm_copy_report *r);
/* What a paste would do, item by item, before anything is written. */
void ui_plan_show(struct ui *ui, const char *title, const struct scm_copy_plan *p);
/* ---- lines.c: the lines of ui_lines ------------------------------------------------
 * Every line is in secure memory (it may be a private object's content)
 * and is wiped by ui_lines_free, which frees the array too. */
void ui_lines_free(char **lines, size_t n);
/* Append a printf'd line to a growing array. */
int ui_lines_add(char ***lines, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ui_lines_vadd(char ***lines, size_t *n, const char *fmt, va_list ap);
/* One line on its own, to put into or take out of such an array: never
 * free() or realloc() a line. */
char *ui_line_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ui_line_free(char *line);
/* Append len bytes as one line (a NUL shows as '.'). */
int ui_lines_add_bytes(char ***lines, size_t *n, const void *data, size_t len);
/* Is line one of the pool's, i.e. in secure memory? (for the tests) */
bool ui_lines_secure(const char *line);

/* ---- model.c: the state behind the panes ------------------------------------------- */
void ui_slots_refresh(struct ui *ui);
const struct scm_slot *ui_slot_selected(const struct ui *ui);
/* Rebuild rows after the open card changed. */
void ui_card_reload(struct ui *ui);
void ui_card_drop(struct ui *ui); /* close without questions */
/* Put the Card pane's selection on the object labelled label, if listed. */
void ui_card_select_label(struct ui *ui, const char *label);
const struct scm_obj_info *ui_obj_selected(const struct ui *ui);
/* The card's own group of object i ("" if none). */
const char *ui_obj_group(const struct ui *ui, size_t i);
const struct ui_row *ui_row_selected(const struct ui *ui);
bool ui_marked(const struct ui *ui, uint32_t id);
void ui_mark_toggle(struct ui *ui, uint32_t id);
void ui_marks_clear(struct ui *ui);
void ui_move(struct ui *ui, int delta);
/* The list widget of a pane, its item count brought up to date. */
struct ui_list *ui_pane_list(struct ui *ui, enum ui_pane p);
/* Up/Down/PgUp/PgDn/Home/End in the focused pane. */
void ui_pane_nav(struct ui *ui, enum ui_action a);
/* '/' and the type-ahead that follows it in the focused pane; true when
 * the key was taken. */
bool ui_pane_key(struct ui *ui, int key);
/* Mark the pane's window after its list answered res (ui_list_res). */
void ui_pane_changed(struct ui *ui, enum ui_pane p, int res);
/* Marks in the Clipboard pane: which items F6 pastes (none: all). */
bool ui_clip_marked(const struct ui *ui, size_t i);
void ui_clip_mark_toggle(struct ui *ui, size_t i);
size_t ui_clip_marks_count(const struct ui *ui);
/* The clipboard changed (copy, remove, clear): its marks go. */
void ui_clip_marks_clear(struct ui *ui);

/* ---- actions*.c: the flows ------------------------------------------------------- */
void ui_act(struct ui *ui, enum ui_action a);
/* Ask about unsaved changes. true: go on (saved or dropped), false: stay. */
bool ui_close_card(struct ui *ui, bool asking);
int ui_unlock(struct ui *ui);
/* ui_unlock, and the credential changes of the card need (a management key). */
int ui_unlock_write(struct ui *ui);
void ui_act_emergency(struct ui *ui);
void ui_act_open(struct ui *ui);
void ui_act_copy(struct ui *ui, bool all);
void ui_act_paste(struct ui *ui);
void ui_act_save(struct ui *ui);
void ui_act_backup(struct ui *ui);
void ui_act_view(struct ui *ui);
void ui_act_import(struct ui *ui);
void ui_act_export(struct ui *ui);
void ui_act_rename(struct ui *ui);
void ui_act_delete(struct ui *ui);
void ui_act_init_card(struct ui *ui, const char *reader);
void ui_act_new_vsc(struct ui *ui, bool quiet);
/* A new VSC password: at least the policy's length (checked at the first
 * entry, the minimum in the prompt), then repeated. 1 ok, 0 cancelled,
 * SCM_E_PW_MISMATCH. */
int ui_new_password(struct ui *ui, const char *what, struct ui_secret *s);
void ui_act_vsc_manager(struct ui *ui);
void ui_act_help(struct ui *ui);
/* List readers and VSCs again, and show the open VSC as it is on disk if
 * another process saved it (Tab and Ctrl-L call this). */
void ui_rescan(struct ui *ui);
/* An open real card that another program changed or reset: listed again,
 * with the selection and marks kept by label and the PIN state as the card
 * holds it (scm_card_check). ui_rescan calls it; the main loop too, when
 * the keyboard was idle for UI_CARD_CHECK_S. */
void ui_card_check(struct ui *ui);
/* A real card is asked this often while nothing is typed: scm_card_check's
 * few APDUs, rather than a stale list for ever; a card whose check takes
 * long is asked every 100 times what it took (at most 1 % of its time). */
#define UI_CARD_CHECK_S 5
/* Ctrl-O: every kept status message, whole. */
void ui_act_messages(struct ui *ui);
/* Check card removal after the slots changed. */
void ui_check_removed(struct ui *ui);
void ui_idle_expired(struct ui *ui);

/* ---- view.c: object viewer ------------------------------------------------------- */
/* Lines for an object's bytes: text (sanitised) or hex dump in width
 * columns (ui_view_hex_per_row bytes a row). */
int ui_view_lines(const uint8_t *data, size_t len, bool hex, bool utf8, int width, char ***lines,
                  size_t *n);
/* Bytes per hex row that fit in width columns: 16, 8 or 4. */
size_t ui_view_hex_per_row(int width);

/* ---- cert.c: what a certificate holds --------------------------------------- */
/* Continuation lines of a certificate field start under its value. */
#define UI_CERT_INDENT 13
/* Subject, issuer, serial, validity, key, key usage, signature and the
 * SHA-256 / SHA-1 fingerprints as raw lines appended to *lines (secure
 * memory, sanitised when drawn), decoded in this process: only for bytes
 * that are no secret. 1 decoded, 0 not a certificate (DER or PEM),
 * SCM_E_NOMEM. */
int ui_cert_lines(const uint8_t *data, size_t len, char ***lines, size_t *n);
/* The same lines, decoded in a locked child process (scm_isolate_run):
 * for a private object, no copy of its bytes is made in this process's
 * ordinary memory. Blocks at most a few seconds. 1, 0, or an error with
 * the sentence in d (the child could not lock its memory, crashed, did
 * not finish in time): then nothing is appended. */
int ui_cert_lines_isolated(const uint8_t *data, size_t len, char ***lines, size_t *n,
                           struct scm_detail *d);

#endif
