/* scmgr: entry point, global options, and helpers the commands share. The
 * commands and their help are tables (commands.c, args.c, help.c). */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

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
    if (!c->readers) {
        rc = scm_rd_open(&c->readers, &c->d);
        if (c->readers)
            scm_rd_set_deadline(c->readers, c->cfg.io_timeout * 1000u);
    }
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
    char prompt[SCM_RD_NAME_MAX * 4 + 64];
    int rc;
    scm_card_get_info(card, &ci);
    if (ci.kind == SCM_CARD_VSC) {
        rc = cli_password(c, fd, ci.name, &s);
    } else {
        /* A card without a PIN (a PKCS#15 layout made without one) is
         * used as it is: nothing to ask for. */
        if (ci.n_creds == 0 || ci.creds[0].kind != SCM_CRED_PIN)
            return SCM_OK;
        if (ci.pin_tries >= 0)
            snprintf(prompt, sizeof(prompt), "PIN for the card in '%s' (%d %s left): ", ci.name,
                     ci.pin_tries, ci.pin_tries == 1 ? "try" : "tries");
        else
            snprintf(prompt, sizeof(prompt), "PIN for the card in '%s': ", ci.name);
        rc = cli_secret_result(c, fd, "PIN", scm_secret_read(fd, prompt, &s));
    }
    if (rc < 0)
        return rc;
    scm_card_allow_last_try(card, c->a.force_last_try);
    rc = scm_card_unlock(card, s.buf, s.len, &c->d);
    scm_secret_free(&s);
    return rc;
}

int cli_admin(struct cli *c, struct scm_card *card)
{
    struct scm_card_info ci;
    struct scm_secret s;
    char prompt[SCM_RD_NAME_MAX * 4 + 96];
    size_t len;
    int rc;
    scm_card_get_info(card, &ci);
    if (ci.kind != SCM_CARD_REAL || ci.write_cred <= 0 || (size_t)ci.write_cred >= ci.n_creds ||
        ci.creds[ci.write_cred].verified)
        return SCM_OK;
    const struct scm_cred *cr = &ci.creds[ci.write_cred];
    snprintf(prompt, sizeof(prompt), "%s of the card in '%s'%s: ", cr->label, ci.name,
             cr->hex ? " (hex)" : "");
    if ((rc = cli_secret_result(c, c->a.admin_fd, cr->label,
                                scm_secret_read(c->a.admin_fd, prompt, &s))) < 0)
        return rc;
    len = s.len;
    if (cr->hex && scm_unhex_inplace(s.buf, s.len, &len) < 0) {
        scm_secret_free(&s);
        return scm_fail(&c->d, SCM_E_BAD_PIN_FORMAT, "The %s is hex digits (e.g. 48 for 3DES).",
                        cr->label);
    }
    scm_card_allow_last_try(card, c->a.force_last_try);
    rc = scm_card_verify(card, (unsigned)ci.write_cred, (const uint8_t *)s.buf, len, &c->d);
    scm_secret_free(&s);
    return rc;
}

/* Every human-readable line goes out here, sanitised after formatting,
 * so no argument can be forgotten. Each call prints at most one line: a
 * final '\n' is ours, any other came from an argument (a label that would
 * forge a line of output) and is escaped like every control character. */
static void print_clean(FILE *fp, const char *fmt, va_list ap)
{
    char *raw = NULL, *clean;
    int n = vasprintf(&raw, fmt, ap);
    if (n < 0)
        return;
    size_t len = (size_t)n;
    bool nl = len > 0 && raw[len - 1] == '\n';
    /* The worst case: "\xNN" for each byte. */
    size_t cap = len * 4 + 1;
    if ((clean = malloc(cap)) != NULL) {
        scm_sanitize(raw, len - nl, clean, cap);
        fputs(clean, fp);
        if (nl)
            fputc('\n', fp);
        free(clean);
    }
    free(raw);
}

void cli_print(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    print_clean(stdout, fmt, ap);
    va_end(ap);
}

void cli_eprint(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    print_clean(stderr, fmt, ap);
    va_end(ap);
}

int cli_report(struct cli *c, int err)
{
    /* Details name files and labels: cli_eprint sanitises them. */
    const char *msg = c->d.text[0] ? c->d.text : scm_strerror(err);
    size_t n = strlen(msg);
    /* Details are written as clauses ("FILE: wrong password"); the user
     * reads one sentence, so end it like one. */
    bool stop = n && strchr(".!?", msg[n - 1]);
    cli_eprint("scmgr: %s%s\n", msg, stop ? "" : ".");
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
    if (rc == SCM_E_NO_TTY) /* which secret it was: a copy may want three */
        return scm_fail(&c->d, rc,
                        "No terminal to ask for the %s: use --password-fd, --pin-fd or --admin-fd.",
                        what);
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
    if (c.a.help_doc) {
        rc = cli_help_doc(&c);
        goto out;
    }
    if (c.a.help) {
        rc = cli_help(&c);
        goto out;
    }
    if (c.a.version) {
        char why[160];
        scm_secure_explain(why, sizeof(why));
        cli_print("scmgr %s\n", SCMGR_VERSION);
        cli_print("secure memory: %s\n", why);
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
    rc = c.a.npos ? cli_dispatch(&c) : cli_cmd_ui(&c);
out:
    if (rc < 0)
        code = cli_report(&c, rc);
    if (fflush(stdout) != 0 && code == 0) {
        cli_eprint("scmgr: standard output could not be written (%s).\n", strerror(errno));
        code = 1;
    }
    if (c.store)
        scm_store_close(c.store);
    scm_rd_close(c.readers);
    scm_config_free(&c.cfg);
    scm_log_close();
    return code;
}
