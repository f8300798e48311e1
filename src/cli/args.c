/* Command-line parsing: getopt_long over the one table of every option.
 * Global options work anywhere; what a command takes is checked against
 * its row in the command table (commands.c). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define OFF(field) offsetof(struct cli_args, field)
/* The usual rows: a per-command or global (bit 0) flag, an option with a
 * value, a file descriptor. */
/* clang-format off */
#define FLAG(name, bit, field, help) {name, 0, bit, CLI_KIND_FLAG, OFF(field), NULL, help, false}
#define VALUE(name, bit, field, value, help) \
    {name, 0, bit, CLI_KIND_STRING, OFF(field), value, help, false}
#define FD(name, bit, field, help) {name, 0, bit, CLI_KIND_FD, OFF(field), "N", help, false}
/* clang-format on */

/* There is deliberately no option that takes a password: secrets on the
 * command line are visible to every user through ps and /proc.
 * Per-command options first, in the order usage lines list them; then the
 * global ones. */
static const struct cli_option opts[] = {
    FLAG("json", CLI_OPT_JSON, json, "machine-readable output (doc/json.md)"),
    VALUE("label", CLI_OPT_LABEL, label, "TEXT",
          "the label of the new VSC or card (1 to 64 bytes of UTF-8)"),
    VALUE("serial", CLI_OPT_SERIAL, serial, "S",
          "the card's serial number (default: a random one)"),
    VALUE("to", CLI_OPT_TO, to, "UID", "the VSC to back up into (default: the card's serial)"),
    VALUE("emergency", CLI_OPT_EMERGENCY, emergency, "DIR",
          "also write every object the card releases as plain files into DIR (new or empty), "
          "with a manifest"),
    VALUE("area", CLI_OPT_AREA, area, "AREA", "public (the default), private or secret"),
    VALUE("type", CLI_OPT_TYPE, type, "TYPE",
          "certificate, private-key, public-key, secret-key, data (the default), business-card, "
          "url, login or note"),
    FLAG("replace", CLI_OPT_REPLACE, replace, "replace the data of objects with the same labels (put, copy, restore)"),
    FLAG("init", CLI_OPT_INIT, init, "lay out a blank destination card first (its PIN stays)"),
    FLAG("dry-run", CLI_OPT_DRY_RUN, dry_run,
         "write nothing: list what would be written, replaced, left as it is, and what cannot be"),
    {"output", 'o', CLI_OPT_OUTPUT, CLI_KIND_STRING, OFF(output), "FILE",
     "write to FILE (mode 0600) instead of standard output; - is standard output", false},
    FLAG("force", CLI_OPT_FORCE, force,
         "replace an existing FILE if it is a regular file (never anything else)"),
    FLAG("require-verified", CLI_OPT_REQUIRE_VERIFIED, require_verified,
         "refuse a public object of a VSC that the password has not verified"),
    FLAG("yes", CLI_OPT_YES, yes, "do not ask before deleting (needed without a terminal)"),
    FD("password-fd", CLI_OPT_PW_FD, pw_fd, "read a VSC's password as one line from descriptor N"),
    FD("new-password-fd", CLI_OPT_NEW_PW_FD, new_pw_fd, "read the new password from descriptor N"),
    FD("pin-fd", CLI_OPT_PIN_FD, pin_fd, "read a real card's PIN as one line from descriptor N"),
    FLAG("force-last-try", CLI_OPT_FORCE_LAST_TRY, force_last_try,
         "allow spending a PIN's last try"),
    FD("dst-pin-fd", CLI_OPT_DST_PIN_FD, dst_pin_fd,
       "the destination's PIN, when both cards are real"),
    FD("dst-password-fd", CLI_OPT_DST_PW_FD, dst_pw_fd,
       "the destination's password, when both cards are VSCs"),
    FD("admin-fd", CLI_OPT_ADMIN_FD, admin_fd,
       "read the credential a card's changes need besides the PIN (a PIV card's management "
       "key, in hex; an OpenPGP card's Admin PIN, PW3) from descriptor N"),
    /* global options */
    VALUE("store", 0, store, "DIR", "the VSC store (default ~/.local/share/scmgr/vsc)"),
    VALUE("config", 0, config, "FILE", "the user configuration file"),
    VALUE("policy", 0, policy, "FILE", "the policy file (if the system policy allows it)"),
    VALUE("log", 0, log, "FILE", "append a log to FILE"),
    VALUE("log-level", 0, log_level, "LEVEL",
          "error, warn, info (the default), debug or trace (every APDU, PINs masked)"),
    VALUE("theme", 0, theme, "NAME",
          "the full-screen UI's colours: default, mono, high-contrast, light, or an .ini file "
          "(NO_COLOR is honoured)"),
    FLAG("no-mouse", 0, no_mouse,
         "the full-screen UI leaves the mouse to the terminal ([ui] mouse = no does the same)"),
    {"help", 'h', 0, CLI_KIND_FLAG, OFF(help), NULL,
     "show this help; after a command, that command's", false},
    FLAG("version", 0, version, "show the version"),
    {"help-doc", 0, 0, CLI_KIND_STRING, OFF(help_doc), "FORMAT",
     "the generated parts of the man page and README (tests/cli/docs.sh)", true},
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))
/* getopt_long's value for opts[i]: above every character. */
#define OPT_BASE 1000

const struct cli_option *cli_options(size_t *n)
{
    *n = N_OPTS;
    return opts;
}

const char *cli_opt_name(unsigned bit)
{
    static char names[N_OPTS][32];
    for (size_t i = 0; i < N_OPTS; i++)
        if (opts[i].bit == bit && bit) {
            snprintf(names[i], sizeof(names[i]), "--%s", opts[i].name);
            return names[i];
        }
    return "?";
}

/* A descriptor number that is open in this process. */
static int parse_fd(const char *opt, const char *s, int *out, struct scm_detail *d)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno || v > INT_MAX)
        return scm_fail(d, SCM_E_USAGE, "%s needs a file descriptor number, not '%s'.", opt, s);
    if (fcntl((int)v, F_GETFD) < 0)
        return scm_fail(d, SCM_E_USAGE, "%s %ld: that file descriptor is not open.", opt, v);
    *out = (int)v;
    return SCM_OK;
}

/* getopt_long accepts any unambiguous prefix ("--pass" for --password-fd).
 * Options that read secrets or delete things are better typed in full, so
 * prefixes are refused altogether. */
static bool typed_in_full(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return arg && strncmp(arg, "--", 2) == 0 && strncmp(arg + 2, name, n) == 0 &&
           (arg[2 + n] == '\0' || arg[2 + n] == '=');
}

/* "scmgr get --help" once the words so far name a command, else
 * "scmgr --help": where a usage error sends the user. */
static const char *help_for(const struct cli_args *a, char *buf, size_t cap)
{
    const struct cli_command *cmd = cli_command_find(a->pos, a->npos);
    snprintf(buf, cap, "scmgr %s%s--help", cmd ? cmd->name : "", cmd ? " " : "");
    return buf;
}

static int add_pos(struct cli_args *a, const char *s, struct scm_detail *d)
{
    char help[64];
    if (a->npos >= CLI_POS_MAX)
        return scm_fail(d, SCM_E_USAGE, "Too many arguments; see %s.",
                        help_for(a, help, sizeof(help)));
    a->pos[a->npos++] = s;
    return SCM_OK;
}

/* Store one option's value where its row says. */
static int store_opt(const struct cli_option *o, const char *value, struct cli_args *a,
                     struct scm_detail *d)
{
    char *field = (char *)a + o->offset, name[40];
    a->seen |= o->bit;
    switch (o->kind) {
    case CLI_KIND_FLAG:
        *(bool *)(void *)field = true;
        return SCM_OK;
    case CLI_KIND_STRING:
        *(const char **)(void *)field = value;
        return SCM_OK;
    case CLI_KIND_FD:
        snprintf(name, sizeof(name), "--%s", o->name);
        return parse_fd(name, value, (int *)(void *)field, d);
    }
    return SCM_E_GENERIC;
}

int cli_parse(int argc, char **argv, struct cli_args *a, struct scm_detail *d)
{
    struct option long_opts[N_OPTS + 1];
    /* "-": operands come back in order as option 1, so options may follow
     * them; ":": a missing argument is reported as ':' to us, not printed. */
    char shorts[3 + 2 * N_OPTS + 1] = "-:";
    size_t ns = 2;
    char help[64];
    int rc = SCM_OK;

    memset(a, 0, sizeof(*a));
    for (size_t i = 0; i < N_OPTS; i++) {
        long_opts[i] = (struct option){
            opts[i].name, opts[i].kind == CLI_KIND_FLAG ? no_argument : required_argument, NULL,
            OPT_BASE + (int)i};
        if (opts[i].short_name) {
            shorts[ns++] = opts[i].short_name;
            if (opts[i].kind != CLI_KIND_FLAG)
                shorts[ns++] = ':';
        }
        if (opts[i].kind == CLI_KIND_FD)
            *(int *)(void *)((char *)a + opts[i].offset) = -1;
    }
    long_opts[N_OPTS] = (struct option){NULL, 0, NULL, 0};
    shorts[ns] = '\0';

    opterr = 0;
    optind = 1;
    for (;;) {
        int before = optind, idx = -1;
        int ch = getopt_long(argc, argv, shorts, long_opts, &idx);
        const struct cli_option *o = NULL;
        if (ch == -1)
            break;
        if (idx >= 0 && !typed_in_full(argv[before], long_opts[idx].name))
            return scm_fail(d, SCM_E_USAGE, "Unknown option '%s'; see %s.", argv[before],
                            help_for(a, help, sizeof(help)));
        if (ch >= OPT_BASE && ch < OPT_BASE + (int)N_OPTS)
            o = &opts[ch - OPT_BASE];
        for (size_t i = 0; !o && ch > 1 && i < N_OPTS; i++)
            if (opts[i].short_name && opts[i].short_name == ch)
                o = &opts[i];
        if (o) {
            rc = store_opt(o, optarg, a, d);
        } else if (ch == 1) {
            rc = add_pos(a, optarg, d);
        } else if (ch == ':') {
            return scm_fail(d, SCM_E_USAGE, "Option '%s' needs a value; see %s.", argv[optind - 1],
                            help_for(a, help, sizeof(help)));
        } else {
            /* optopt is the short option character, or 0 for a long one. */
            if (optopt && optopt != '?')
                return scm_fail(d, SCM_E_USAGE, "Unknown option '-%c'; see %s.", optopt,
                                help_for(a, help, sizeof(help)));
            return scm_fail(d, SCM_E_USAGE, "Unknown option '%s'; see %s.", argv[optind - 1],
                            help_for(a, help, sizeof(help)));
        }
        if (rc < 0)
            return rc;
    }
    /* Everything after "--" is an operand, even if it starts with '-'. */
    for (int i = optind; i < argc && rc == SCM_OK; i++)
        rc = add_pos(a, argv[i], d);
    return rc;
}
