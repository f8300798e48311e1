/* scmgr without a command: the full-screen UI. */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "scmgr/ui.h"

#ifndef SCMGR_SRC_THEMES
#define SCMGR_SRC_THEMES SCMGR_DATADIR "/themes"
#endif

int cli_cmd_ui(struct cli *c)
{
    /* Installed themes first; the source tree's for a binary run from the
     * build directory. */
    static const char *const dirs[] = {SCMGR_DATADIR "/themes", SCMGR_SRC_THEMES, NULL};
    struct scm_ui_opts o = {.cfg = &c->cfg,
                            .theme = c->a.theme,
                            .theme_dirs = dirs,
                            .no_mouse = c->a.no_mouse || c->cfg.no_mouse};
    struct scm_store *st;
    int rc;
    /* Checked before anything else: a script without a terminal must get
     * an answer, not a program waiting for keys. */
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return scm_fail(&c->d, SCM_E_GENERIC,
                        "The full-screen UI needs a terminal on standard input and output; in "
                        "scripts, use a command (see scmgr --help).");
    if ((rc = cli_store(c, &st)) < 0)
        return rc;
    o.store = st;
    rc = scm_ui_run(&o);
    if (rc < 0)
        return scm_fail(&c->d, rc, "The full-screen UI stopped: %s", scm_strerror(rc));
    return SCM_OK;
}
