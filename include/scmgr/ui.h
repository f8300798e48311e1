/* scmgr — the full-screen terminal UI (ncursesw), the patent's smart card
 * manager. It reaches cards only through the smart card API (card.h). */
#ifndef SCMGR_UI_H
#define SCMGR_UI_H

#include "scmgr/card.h"
#include "scmgr/config.h"

struct scm_ui_opts {
    const struct scm_config *cfg; /* loaded configuration and policy */
    struct scm_store *store;      /* the open store; the UI does not close it */
    const char *theme;            /* --theme NAME (or a path), NULL: cfg->theme, then "default" */
    const char *const *theme_dirs; /* NULL-terminated; searched in order for NAME.ini */
    bool no_mouse;                 /* --no-mouse (or cfg->no_mouse): no mouse reports */
};

/* Run the UI until the user quits or a SIGINT/SIGTERM/SIGHUP arrives.
 * Blocks. Needs a terminal on stdin and stdout (SCM_E_NO_TTY otherwise,
 * before touching the terminal). The terminal is restored, the clipboard
 * and every secret wiped, and unsaved VSC changes dropped (never half
 * written) on every way out. Returns SCM_OK, or the error that stopped it. */
int scm_ui_run(const struct scm_ui_opts *o);

/* The UI's keys as its F1 help lists them, from the one key table
 * (src/ui/keys.c), for the man page and the README (scmgr --help-doc):
 * row's key names ("F10, q, Ctrl-C") into keys (cut to cap), and what they
 * do in *help (static text). false past the last row. Needs no terminal. */
bool scm_ui_key_row(size_t row, char *keys, size_t cap, const char **help);

#endif
