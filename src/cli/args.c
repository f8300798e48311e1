/* Command-line parsing: getopt_long over one table of every option, then a
 * per-command check of what was given. Global options work anywhere. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
    OPT_STORE = 1000,
    OPT_CONFIG,
    OPT_POLICY,
    OPT_LOG,
    OPT_LOG_LEVEL,
    OPT_VERSION,
    OPT_JSON,
    OPT_LABEL,
    OPT_PW_FD,
    OPT_NEW_PW_FD,
    OPT_YES,
    OPT_AREA,
    OPT_TYPE,
    OPT_REPLACE,
    OPT_PIN_FD,
    OPT_DST_PIN_FD,
    OPT_DST_PW_FD,
    OPT_FORCE_LAST_TRY,
    OPT_TO,
    OPT_SERIAL,
    OPT_INIT,
    OPT_THEME,
    OPT_FORCE,
    OPT_REQUIRE_VERIFIED,
};

/* There is deliberately no option that takes a password: secrets on the
 * command line are visible to every user through ps and /proc. */
static const struct option long_opts[] = {
    {"store", required_argument, NULL, OPT_STORE},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"log", required_argument, NULL, OPT_LOG},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"json", no_argument, NULL, OPT_JSON},
    {"label", required_argument, NULL, OPT_LABEL},
    {"password-fd", required_argument, NULL, OPT_PW_FD},
    {"new-password-fd", required_argument, NULL, OPT_NEW_PW_FD},
    {"yes", no_argument, NULL, OPT_YES},
    {"output", required_argument, NULL, 'o'},
    {"area", required_argument, NULL, OPT_AREA},
    {"type", required_argument, NULL, OPT_TYPE},
    {"replace", no_argument, NULL, OPT_REPLACE},
    {"pin-fd", required_argument, NULL, OPT_PIN_FD},
    {"dst-pin-fd", required_argument, NULL, OPT_DST_PIN_FD},
    {"dst-password-fd", required_argument, NULL, OPT_DST_PW_FD},
    {"force-last-try", no_argument, NULL, OPT_FORCE_LAST_TRY},
    {"to", required_argument, NULL, OPT_TO},
    {"serial", required_argument, NULL, OPT_SERIAL},
    {"theme", required_argument, NULL, OPT_THEME},
    {"init", no_argument, NULL, OPT_INIT},
    {"force", no_argument, NULL, OPT_FORCE},
    {"require-verified", no_argument, NULL, OPT_REQUIRE_VERIFIED},
    {NULL, 0, NULL, 0},
};

static const struct {
    unsigned bit;
    const char *name;
} opt_names[] = {
    {CLI_OPT_JSON, "--json"},         {CLI_OPT_LABEL, "--label"},
    {CLI_OPT_PW_FD, "--password-fd"}, {CLI_OPT_NEW_PW_FD, "--new-password-fd"},
    {CLI_OPT_YES, "--yes"},           {CLI_OPT_OUTPUT, "--output"},
    {CLI_OPT_AREA, "--area"},         {CLI_OPT_TYPE, "--type"},
    {CLI_OPT_REPLACE, "--replace"},   {CLI_OPT_PIN_FD, "--pin-fd"},
    {CLI_OPT_DST_PIN_FD, "--dst-pin-fd"}, {CLI_OPT_DST_PW_FD, "--dst-password-fd"},
    {CLI_OPT_FORCE_LAST_TRY, "--force-last-try"}, {CLI_OPT_TO, "--to"},
    {CLI_OPT_SERIAL, "--serial"},     {CLI_OPT_INIT, "--init"},
    {CLI_OPT_FORCE, "--force"},
    {CLI_OPT_REQUIRE_VERIFIED, "--require-verified"},
};

const char *cli_opt_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof(opt_names) / sizeof(opt_names[0]); i++)
        if (opt_names[i].bit == bit)
            return opt_names[i].name;
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

static int add_pos(struct cli_args *a, const char *s, struct scm_detail *d)
{
    if (a->npos >= CLI_POS_MAX)
        return scm_fail(d, SCM_E_USAGE, "Too many arguments; see scmgr --help.");
    a->pos[a->npos++] = s;
    return SCM_OK;
}

int cli_parse(int argc, char **argv, struct cli_args *a, struct scm_detail *d)
{
    int rc = SCM_OK;
    memset(a, 0, sizeof(*a));
    a->pw_fd = -1;
    a->new_pw_fd = -1;
    a->pin_fd = -1;
    a->dst_pin_fd = -1;
    a->dst_pw_fd = -1;

    /* "-": operands come back in order as option 1, so options may follow
     * them; ":": a missing argument is reported as ':' to us, not printed. */
    opterr = 0;
    optind = 1;
    for (;;) {
        int before = optind, idx = -1;
        int ch = getopt_long(argc, argv, "-:ho:", long_opts, &idx);
        if (ch == -1)
            break;
        if (idx >= 0 && !typed_in_full(argv[before], long_opts[idx].name))
            return scm_fail(d, SCM_E_USAGE, "Unknown option '%s'; see scmgr --help.", argv[before]);
        switch (ch) {
        case 1:
            rc = add_pos(a, optarg, d);
            break;
        case OPT_STORE:
            a->store = optarg;
            break;
        case OPT_CONFIG:
            a->config = optarg;
            break;
        case OPT_POLICY:
            a->policy = optarg;
            break;
        case OPT_LOG:
            a->log = optarg;
            break;
        case OPT_LOG_LEVEL:
            a->log_level = optarg;
            break;
        case 'h':
            a->help = true;
            break;
        case OPT_VERSION:
            a->version = true;
            break;
        case OPT_JSON:
            a->json = true, a->seen |= CLI_OPT_JSON;
            break;
        case OPT_LABEL:
            a->label = optarg, a->seen |= CLI_OPT_LABEL;
            break;
        case OPT_YES:
            a->yes = true, a->seen |= CLI_OPT_YES;
            break;
        case 'o':
            a->output = optarg, a->seen |= CLI_OPT_OUTPUT;
            break;
        case OPT_AREA:
            a->area = optarg, a->seen |= CLI_OPT_AREA;
            break;
        case OPT_TYPE:
            a->type = optarg, a->seen |= CLI_OPT_TYPE;
            break;
        case OPT_REPLACE:
            a->replace = true, a->seen |= CLI_OPT_REPLACE;
            break;
        case OPT_PW_FD:
            rc = parse_fd("--password-fd", optarg, &a->pw_fd, d);
            a->seen |= CLI_OPT_PW_FD;
            break;
        case OPT_NEW_PW_FD:
            rc = parse_fd("--new-password-fd", optarg, &a->new_pw_fd, d);
            a->seen |= CLI_OPT_NEW_PW_FD;
            break;
        case OPT_PIN_FD:
            rc = parse_fd("--pin-fd", optarg, &a->pin_fd, d);
            a->seen |= CLI_OPT_PIN_FD;
            break;
        case OPT_DST_PIN_FD:
            rc = parse_fd("--dst-pin-fd", optarg, &a->dst_pin_fd, d);
            a->seen |= CLI_OPT_DST_PIN_FD;
            break;
        case OPT_DST_PW_FD:
            rc = parse_fd("--dst-password-fd", optarg, &a->dst_pw_fd, d);
            a->seen |= CLI_OPT_DST_PW_FD;
            break;
        case OPT_FORCE_LAST_TRY:
            a->force_last_try = true, a->seen |= CLI_OPT_FORCE_LAST_TRY;
            break;
        case OPT_TO:
            a->to = optarg, a->seen |= CLI_OPT_TO;
            break;
        case OPT_SERIAL:
            a->serial = optarg, a->seen |= CLI_OPT_SERIAL;
            break;
        case OPT_THEME:
            a->theme = optarg;
            break;
        case OPT_INIT:
            a->init = true, a->seen |= CLI_OPT_INIT;
            break;
        case OPT_FORCE:
            a->force = true, a->seen |= CLI_OPT_FORCE;
            break;
        case OPT_REQUIRE_VERIFIED:
            a->require_verified = true, a->seen |= CLI_OPT_REQUIRE_VERIFIED;
            break;
        case ':':
            return scm_fail(d, SCM_E_USAGE, "Option '%s' needs a value; see scmgr --help.",
                            argv[optind - 1]);
        default:
            /* optopt is the short option character, or 0 for a long one. */
            if (optopt && optopt != '?')
                return scm_fail(d, SCM_E_USAGE, "Unknown option '-%c'; see scmgr --help.", optopt);
            return scm_fail(d, SCM_E_USAGE, "Unknown option '%s'; see scmgr --help.",
                            argv[optind - 1]);
        }
        if (rc < 0)
            return rc;
    }
    /* Everything after "--" is an operand, even if it starts with '-'. */
    for (int i = optind; i < argc && rc == SCM_OK; i++)
        rc = add_pos(a, argv[i], d);
    return rc;
}

int cli_check(const struct cli_args *a, const char *cmd, unsigned allowed, int min_pos, int max_pos,
              struct scm_detail *d)
{
    unsigned extra = a->seen & ~allowed;
    if (extra) {
        unsigned bit = extra & -extra;
        return scm_fail(d, SCM_E_USAGE, "'%s' does not take %s; see scmgr --help.", cmd,
                        cli_opt_name(bit));
    }
    if (a->npos < min_pos)
        return scm_fail(d, SCM_E_USAGE, "'%s' needs more arguments; see scmgr --help.", cmd);
    if (a->npos > max_pos)
        return scm_fail(d, SCM_E_USAGE, "'%s' takes fewer arguments; see scmgr --help.", cmd);
    return SCM_OK;
}
