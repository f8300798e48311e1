/* scmgr: entry point, global options, dispatch, and helpers the commands
 * share. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char usage_text[] =
    "Usage: scmgr [GLOBAL OPTIONS] COMMAND [ARGUMENTS]\n"
    "       scmgr [GLOBAL OPTIONS]    the full-screen UI (needs a terminal)\n"
    "\n"
    "Virtual smart cards (VSC):\n"
    "  scmgr vsc new UID [--label TEXT] [--password-fd N]\n"
    "  scmgr vsc list [--json]\n"
    "  scmgr vsc show UID [--json]\n"
    "  scmgr vsc verify UID|FILE [--password-fd N]\n"
    "  scmgr vsc disable UID [--password-fd N]\n"
    "  scmgr vsc enable UID [--password-fd N]\n"
    "  scmgr vsc passwd UID [--password-fd N] [--new-password-fd M]\n"
    "  scmgr vsc export UID FILE [--force]\n"
    "  scmgr vsc import FILE\n"
    "  scmgr vsc rm UID [--yes]\n"
    "\n"
    "Real cards (READER is an index from 'scmgr readers' or part of its name):\n"
    "  scmgr readers [--json]\n"
    "  scmgr card init READER [--label TEXT] [--serial S] [--pin-fd N]\n"
    "  scmgr backup READER [--to UID] [--pin-fd N] [--password-fd M]\n"
    "  scmgr restore UID READER [--init] [--replace] [--pin-fd N] [--password-fd M]\n"
    "  scmgr copy SRC DST [LABEL...] [--init] [--replace] [--pin-fd N] [--password-fd M]\n"
    "             [--dst-pin-fd N] [--dst-password-fd M]\n"
    "\n"
    "Objects on a card (CARD is vsc:UID or READER):\n"
    "  scmgr ls CARD [--json] [--password-fd N | --pin-fd N]\n"
    "  scmgr get CARD LABEL [-o FILE [--force]] [--require-verified]\n"
    "            [--password-fd N | --pin-fd N]\n"
    "  scmgr put CARD LABEL FILE [--area public|private|secret] [--type TYPE]\n"
    "            [--replace] [--password-fd N | --pin-fd N]  (FILE - is standard input)\n"
    "  scmgr rm CARD LABEL [--password-fd N | --pin-fd N]\n"
    "  With a real card, --force-last-try allows spending the PIN's last try.\n"
    "\n"
    "Global options:\n"
    "  --store DIR      the VSC store (default ~/.local/share/scmgr/vsc)\n"
    "  --config FILE    the user configuration file\n"
    "  --policy FILE    the policy file (if the system policy allows it)\n"
    "  --log FILE       append a log to FILE\n"
    "  --log-level L    error, warn, info (default), debug or trace (APDUs, PINs masked)\n"
    "  --theme NAME     the full-screen UI's colours: default, mono, high-contrast,\n"
    "                   light, or a path to an .ini file (NO_COLOR is honoured)\n"
    "  -h, --help       show this help\n"
    "  --version        show the version\n"
    "\n"
    "Passwords and PINs are read from the terminal with echo off, or one line from\n"
    "the file descriptor given by --password-fd or --pin-fd; never from the command\n"
    "line or the environment. TYPE is one of certificate, private-key, public-key, secret-key,\n"
    "data, business-card, url, login, note.\n"
    "\n"
    "Full-screen UI keys: Tab/Left/Right panes, Up/Down move, Enter open or unlock,\n"
    "  Space/Insert mark, F1/? help, F2 save VSC, F3 view, F5 copy, F6 paste,\n"
    "  F7 new VSC, F8/Delete delete, F9 menu (then a letter), Alt+F/E/V/T/H menus,\n"
    "  F10/q quit, Esc closes a dialog, Ctrl-L redraw. SCMGR_ASCII=1: ASCII borders.\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage, 3 wrong password or PIN, 4 damaged\n"
    "or invalid file, 5 no such card, VSC or reader, 6 VSC disabled. See scmgr(1).\n";

/* ---- Helpers shared by the commands ---------------------------------------- */

int cli_store(struct cli *c, struct scm_store **out)
{
    int rc = SCM_OK;
    if (!c->store)
        rc = scm_store_open(c->cfg.store_dir, &c->cfg.policy, &c->store, &c->d);
    *out = c->store;
    return rc;
}

int cli_readers(struct cli *c, struct scm_rd_ctx **out)
{
    int rc = SCM_OK;
    /* Without pcscd the context still comes back (and retries later);
     * the error is for this command. */
    if (!c->readers)
        rc = scm_rd_open(&c->readers, &c->d);
    *out = c->readers;
    return rc;
}

int cli_open_card(struct cli *c, const char *name, struct scm_card **card)
{
    struct scm_card_ctx ctx;
    int rc;
    *card = NULL;
    memset(&ctx, 0, sizeof(ctx));
    ctx.policy = &c->cfg.policy;
    /* Only a VSC name needs the store, only a reader needs pcscd. */
    if (scm_card_name_is_vsc(name))
        rc = cli_store(c, &ctx.store);
    else
        rc = cli_readers(c, &ctx.readers);
    if (rc < 0)
        return rc;
    return scm_card_open(&ctx, name, card, &c->d);
}

int cli_secret_fd(const struct cli *c, const struct scm_card *card, bool dst)
{
    struct scm_card_info ci;
    scm_card_get_info(card, &ci);
    if (ci.kind == SCM_CARD_REAL)
        return dst && c->a.dst_pin_fd >= 0 ? c->a.dst_pin_fd : c->a.pin_fd;
    return dst && c->a.dst_pw_fd >= 0 ? c->a.dst_pw_fd : c->a.pw_fd;
}

int cli_unlock(struct cli *c, struct scm_card *card, int fd)
{
    struct scm_card_info ci;
    struct scm_secret s;
    char prompt[SCM_RD_NAME_MAX * 4 + 64], clean[SCM_RD_NAME_MAX * 4];
    int rc;
    scm_card_get_info(card, &ci);
    if (ci.kind == SCM_CARD_VSC) {
        rc = cli_password(c, fd, ci.name, &s);
    } else {
        if (ci.pin_tries >= 0)
            snprintf(prompt, sizeof(prompt), "PIN for the card in '%s' (%d %s left): ",
                     cli_clean(ci.name, clean, sizeof(clean)), ci.pin_tries,
                     ci.pin_tries == 1 ? "try" : "tries");
        else
            snprintf(prompt, sizeof(prompt), "PIN for the card in '%s': ",
                     cli_clean(ci.name, clean, sizeof(clean)));
        rc = cli_secret_result(c, fd, "PIN", scm_secret_read(fd, prompt, &s));
    }
    if (rc < 0)
        return rc;
    scm_card_allow_last_try(card, c->a.force_last_try);
    rc = scm_card_unlock(card, s.buf, s.len, &c->d);
    scm_secret_free(&s);
    return rc;
}

const char *cli_clean(const char *s, char *buf, size_t len)
{
    scm_sanitize(s ? s : "", s ? strlen(s) : 0, buf, len);
    return buf;
}

int cli_report(struct cli *c, int err)
{
    /* Details name files and labels: sanitise them like everything else. */
    char clean[SCM_DETAIL_MAX * 4];
    const char *msg = c->d.text[0] ? c->d.text : scm_strerror(err);
    size_t n = strlen(cli_clean(msg, clean, sizeof(clean)));
    /* Details are written as clauses ("FILE: wrong password"); the user
     * reads one sentence, so end it like one. */
    bool stop = n && strchr(".!?", clean[n - 1]);
    fprintf(stderr, "scmgr: %s%s\n", clean, stop ? "" : ".");
    scm_log(SCM_LOG_ERROR, "%s", msg);
    return scm_exit_code(err);
}

/* An empty stream on --password-fd is most likely a script mistake (the
 * wrong descriptor, an empty file): say which descriptor. */
int cli_secret_result(struct cli *c, int fd, const char *what, int rc)
{
    if (rc == SCM_E_CANCELLED && fd >= 0)
        return scm_fail(&c->d, rc, "No %s on file descriptor %d (the input was empty).", what, fd);
    if (rc == SCM_E_INVAL && fd >= 0)
        return scm_fail(&c->d, rc, "File descriptor %d is a directory, not a %s.", fd, what);
    if (rc == SCM_E_TIMEOUT && fd >= 0)
        return scm_fail(&c->d, rc, "No %s arrived on file descriptor %d within %d seconds.", what,
                        fd, SCM_SECRET_FD_TIMEOUT_S);
    if (rc == SCM_E_LIMIT)
        return scm_fail(&c->d, rc, "The %s is longer than %d bytes.", what, SCM_SECRET_MAX);
    return rc;
}

int cli_password(struct cli *c, int fd, const char *what, struct scm_secret *out)
{
    char prompt[256];
    snprintf(prompt, sizeof(prompt), "Password for %s: ", what);
    return cli_secret_result(c, fd, "password", scm_secret_read(fd, prompt, out));
}

int cli_new_password(struct cli *c, int fd, const char *what, struct scm_secret *out)
{
    char p1[256], p2[256];
    snprintf(p1, sizeof(p1), "New password for %s: ", what);
    snprintf(p2, sizeof(p2), "Repeat the new password for %s: ", what);
    return cli_secret_result(c, fd, "password", scm_secret_read_new(fd, p1, p2, out));
}

void cli_time_iso(int64_t t, char *buf, size_t len)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "%s", "?");
}

bool cli_interactive(void)
{
    return isatty(STDIN_FILENO) == 1;
}

int cli_write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return SCM_E_IO;
        p += w;
        len -= (size_t)w;
    }
    return SCM_OK;
}

/* --log-level NAME; trace adds every APDU (PIN bytes masked). */
static int log_level(const char *name, enum scm_log_level *out, struct scm_detail *d)
{
    static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
    if (!name)
        return SCM_OK;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (enum scm_log_level)i;
            return SCM_OK;
        }
    return scm_fail(d, SCM_E_USAGE,
                    "--log-level must be error, warn, info, debug or trace, not '%.40s'.", name);
}

/* ---- Dispatch ------------------------------------------------------------------ */

static int dispatch(struct cli *c)
{
    static const struct {
        const char *name;
        int (*fn)(struct cli *c);
    } cmds[] = {
        {"vsc", cli_cmd_vsc}, {"ls", cli_cmd_ls}, {"get", cli_cmd_get},
        {"put", cli_cmd_put}, {"rm", cli_cmd_rm}, {"readers", cli_cmd_readers},
        {"card", cli_cmd_card}, {"backup", cli_cmd_backup}, {"restore", cli_cmd_restore},
        {"copy", cli_cmd_copy},
    };
    char clean[128];
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(c->a.pos[0], cmds[i].name) == 0)
            return cmds[i].fn(c);
    return scm_fail(&c->d, SCM_E_USAGE, "Unknown command '%s'; see scmgr --help.",
                    cli_clean(c->a.pos[0], clean, sizeof(clean)));
}

int main(int argc, char **argv)
{
    struct cli c;
    struct scm_config_args ca;
    enum scm_log_level level = SCM_LOG_INFO;
    int rc, code = 0;

    scm_harden_process();
    memset(&c, 0, sizeof(c));

    rc = cli_parse(argc, argv, &c.a, &c.d);
    if (rc < 0)
        goto out;
    if (c.a.help) {
        fputs(usage_text, stdout);
        goto out;
    }
    if (c.a.version) {
        printf("scmgr %s\n", SCMGR_VERSION);
        goto out;
    }
    if ((rc = log_level(c.a.log_level, &level, &c.d)) < 0)
        goto out;
    if (c.a.log && scm_log_open(c.a.log, level) < 0) {
        rc = scm_fail(&c.d, SCM_E_IO, "%s: the log file cannot be opened (%s).", c.a.log,
                      strerror(errno));
        goto out;
    }
    ca.config_path = c.a.config;
    ca.policy_path = c.a.policy;
    ca.store_dir = c.a.store;
    rc = scm_config_load(&c.cfg, &ca, &c.d);
    if (rc < 0)
        goto out;
    scm_log(SCM_LOG_INFO, "scmgr %s: %s, store %s", SCMGR_VERSION,
            c.a.npos ? c.a.pos[0] : "full-screen UI", c.cfg.store_dir);
    rc = c.a.npos ? dispatch(&c) : cli_cmd_ui(&c);
out:
    if (rc < 0)
        code = cli_report(&c, rc);
    if (fflush(stdout) != 0 && code == 0) {
        fprintf(stderr, "scmgr: standard output could not be written (%s).\n", strerror(errno));
        code = 1;
    }
    if (c.store)
        scm_store_close(c.store);
    scm_rd_close(c.readers);
    scm_config_free(&c.cfg);
    scm_log_close();
    return code;
}
