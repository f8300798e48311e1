/* The command table: one row per command, read by dispatch, by the checks
 * of options and operands, by every --help and by the man page's synopsis
 * (tmux's cmd_entry rows have the same job). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Operands are named as the help shows them: "[X]" is optional, "X..." may
 * repeat, "A|B" is either. A command's handler finds its operands in
 * a.pos after the command words. */
static const struct cli_command cmds[] = {
    {"vsc new", "UID", CLI_OPT_LABEL | CLI_OPT_PW_FD, CLI_GROUP_VSC,
     "Create an enabled VSC; its password is asked twice on the terminal.", cli_cmd_vsc_new},
    {"vsc list", "", CLI_OPT_JSON, CLI_GROUP_VSC,
     "List every VSC of the store (no password needed); damaged files are listed as such.",
     cli_cmd_vsc_list},
    {"vsc show", "UID", CLI_OPT_JSON, CLI_GROUP_VSC,
     "Show one VSC's header: label, state, dates, counts, the card it came from.",
     cli_cmd_vsc_show},
    {"vsc verify", "UID|FILE", CLI_OPT_PW_FD, CLI_GROUP_VSC,
     "Check a VSC of the store or a VSC file; with the password, every MAC too.",
     cli_cmd_vsc_verify},
    {"vsc disable", "UID", CLI_OPT_PW_FD, CLI_GROUP_VSC,
     "Disable a VSC (it stays listed but cannot be used until enabled).", cli_cmd_vsc_disable},
    {"vsc enable", "UID", CLI_OPT_PW_FD, CLI_GROUP_VSC, "Enable a disabled VSC.",
     cli_cmd_vsc_enable},
    {"vsc passwd", "UID", CLI_OPT_PW_FD | CLI_OPT_NEW_PW_FD, CLI_GROUP_VSC,
     "Change a VSC's password.", cli_cmd_vsc_passwd},
    {"vsc export", "UID FILE", CLI_OPT_FORCE, CLI_GROUP_VSC,
     "Copy the saved VSC file to FILE (e.g. a USB stick; - is standard output).",
     cli_cmd_vsc_export},
    {"vsc import", "FILE", 0, CLI_GROUP_VSC, "Check a VSC file and copy it into the store.",
     cli_cmd_vsc_import},
    {"vsc rm", "UID", CLI_OPT_YES, CLI_GROUP_VSC, "Delete a VSC and its backup copy for good.",
     cli_cmd_vsc_rm},
    {"readers", "", CLI_OPT_JSON, CLI_GROUP_CARDS,
     "List every reader: the state of its card, the card's agent, serial and label.",
     cli_cmd_readers},
    {"card init", "READER", CLI_OPT_LABEL | CLI_OPT_SERIAL | CLI_OPT_PIN_FD, CLI_GROUP_CARDS,
     "Lay out scmgr's objects on a blank ISO 7816-4 card; its PIN stays its PIN.",
     cli_cmd_card_init},
    {"backup", "READER", CLI_OPT_TO | CLI_OPT_SECRETS | CLI_OPT_EMERGENCY | CLI_OPT_ADMIN_FD,
     CLI_GROUP_CARDS,
     "Copy every object of the card into its VSC, made (with a new password) if new.",
     cli_cmd_backup},
    {"restore", "UID READER",
     CLI_OPT_INIT | CLI_OPT_REPLACE | CLI_OPT_SECRETS | CLI_OPT_ADMIN_FD | CLI_OPT_DRY_RUN,
     CLI_GROUP_CARDS,
     "Copy the objects of a VSC onto a card.", cli_cmd_restore},
    {"copy", "SRC DST [LABEL...]",
     CLI_OPT_INIT | CLI_OPT_REPLACE | CLI_OPT_SECRETS | CLI_OPT_DST_PIN_FD | CLI_OPT_DST_PW_FD |
         CLI_OPT_ADMIN_FD | CLI_OPT_DRY_RUN,
     CLI_GROUP_CARDS,
     "Copy objects (all, or those named) from one card or VSC to another; the same reader "
     "twice swaps cards.",
     cli_cmd_copy},
    {"ls", "CARD", CLI_OPT_JSON | CLI_OPT_SECRETS, CLI_GROUP_OBJECTS,
     "List the objects of a card; without the password or PIN, the public ones.", cli_cmd_ls},
    {"get", "CARD LABEL",
     CLI_OPT_OUTPUT | CLI_OPT_FORCE | CLI_OPT_REQUIRE_VERIFIED | CLI_OPT_SECRETS, CLI_GROUP_OBJECTS,
     "Write an object's data, as stored, to standard output or a file.", cli_cmd_get},
    {"put", "CARD LABEL FILE",
     CLI_OPT_AREA | CLI_OPT_TYPE | CLI_OPT_REPLACE | CLI_OPT_SECRETS | CLI_OPT_ADMIN_FD,
     CLI_GROUP_OBJECTS,
     "Store the contents of FILE (- is standard input, at most 1 MiB) as an object.", cli_cmd_put},
    {"rm", "CARD LABEL", CLI_OPT_SECRETS | CLI_OPT_ADMIN_FD, CLI_GROUP_OBJECTS, "Delete an object.",
     cli_cmd_rm},
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

const struct cli_command *cli_commands(size_t *n)
{
    *n = N_CMDS;
    return cmds;
}

const char *cli_group_heading(enum cli_group g)
{
    static const char *const headings[CLI_GROUP_COUNT] = {
        [CLI_GROUP_VSC] = "Virtual smart cards (VSC):",
        [CLI_GROUP_OBJECTS] = "Objects on a card (CARD is vsc:UID or a READER):",
        [CLI_GROUP_CARDS] =
            "Real cards (READER is a number from 'scmgr readers' or part of a name):",
    };
    return g < CLI_GROUP_COUNT ? headings[g] : "";
}

int cli_command_words(const struct cli_command *cmd)
{
    int n = 1;
    for (const char *p = cmd->name; *p; p++)
        n += *p == ' ';
    return n;
}

/* Do the words of pos start with the words of name? */
static bool words_match(const char *name, const char *const *pos, int npos)
{
    int i = 0;
    for (const char *p = name; i < npos; i++) {
        size_t n = strcspn(p, " ");
        if (strlen(pos[i]) != n || strncmp(pos[i], p, n) != 0)
            return false;
        if (!p[n])
            return true;
        p += n + 1;
    }
    return false;
}

const struct cli_command *cli_command_find(const char *const *pos, int npos)
{
    for (size_t i = 0; i < N_CMDS; i++)
        if (words_match(cmds[i].name, pos, npos))
            return &cmds[i];
    return NULL;
}

bool cli_command_is_group(const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i < N_CMDS; i++)
        if (strncmp(cmds[i].name, word, n) == 0 && cmds[i].name[n] == ' ')
            return true;
    return false;
}

/* ---- Operands -------------------------------------------------------------------- */

struct operand {
    char name[32]; /* without brackets and dots; "A|B" as "A or B" */
    bool optional, repeats;
};

/* The i-th operand of spec, false past the last. */
static bool operand_at(const char *spec, int i, struct operand *op)
{
    const char *p = spec;
    size_t n, o = 0;
    for (;;) {
        p += strspn(p, " ");
        n = strcspn(p, " ");
        if (n == 0)
            return false;
        if (i-- == 0)
            break;
        p += n;
    }
    memset(op, 0, sizeof(*op));
    op->optional = p[0] == '[';
    op->repeats = memchr(p, '.', n) != NULL;
    for (size_t k = 0; k < n && o + 4 < sizeof(op->name); k++) {
        if (p[k] == '[' || p[k] == ']' || p[k] == '.')
            continue;
        if (p[k] == '|') {
            memcpy(op->name + o, " or ", 4);
            o += 4;
        } else {
            op->name[o++] = p[k];
        }
    }
    op->name[o] = '\0';
    return true;
}

/* How many operands the command needs at least, and may take at most. */
static void operand_counts(const struct cli_command *cmd, int *min, int *max)
{
    struct operand op;
    *min = *max = 0;
    for (int i = 0; operand_at(cmd->operands, i, &op); i++) {
        if (!op.optional)
            (*min)++;
        *max = op.repeats ? CLI_POS_MAX : *max + 1;
    }
}

/* "LABEL", "LABEL and FILE", "CARD, LABEL and FILE": operands from..to-1. */
static void operand_list(const struct cli_command *cmd, int from, int to, char *out, size_t cap)
{
    struct operand op;
    size_t o = 0;
    out[0] = '\0';
    for (int i = from; i < to && operand_at(cmd->operands, i, &op); i++) {
        const char *sep = i == from ? "" : i == to - 1 ? " and " : ", ";
        int w = snprintf(out + o, cap - o, "%s%s", sep, op.name);
        if (w < 0 || (size_t)w >= cap - o)
            return;
        o += (size_t)w;
    }
}

int cli_check(const struct cli_args *a, const struct cli_command *cmd, struct scm_detail *d)
{
    unsigned extra = a->seen & ~cmd->opts;
    int words = cli_command_words(cmd), given = a->npos - words, min, max;
    char names[160];
    const char *extra_arg;
    if (extra) {
        unsigned bit = extra & -extra;
        return scm_fail(d, SCM_E_USAGE, "'%s' does not take %s; see scmgr %s --help.", cmd->name,
                        cli_opt_name(bit), cmd->name);
    }
    operand_counts(cmd, &min, &max);
    if (given < min) {
        operand_list(cmd, given, min, names, sizeof(names));
        return scm_fail(d, SCM_E_USAGE,
                        "'%s' needs more arguments: %s %s missing; see scmgr %s --help.", cmd->name,
                        names, min - given > 1 ? "are" : "is", cmd->name);
    }
    if (given > max) {
        /* The user's text goes into the sentence as typed: cli_report
         * makes it inert. */
        extra_arg = a->pos[words + max];
        if (max == 0)
            return scm_fail(d, SCM_E_USAGE,
                            "'%s' takes no arguments, so '%s' is one too many; "
                            "see scmgr %s --help.",
                            cmd->name, extra_arg, cmd->name);
        operand_list(cmd, 0, max, names, sizeof(names));
        return scm_fail(d, SCM_E_USAGE,
                        "'%s' takes only %s, so '%s' is one too many; see scmgr "
                        "%s --help.",
                        cmd->name, names, extra_arg, cmd->name);
    }
    return SCM_OK;
}

/* ---- Dispatch -------------------------------------------------------------------- */

/* "new, list, show" for "vsc": the second words of group's commands. */
static void sub_commands(const char *group, char *out, size_t cap)
{
    size_t n = strlen(group), o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < N_CMDS; i++) {
        if (strncmp(cmds[i].name, group, n) != 0 || cmds[i].name[n] != ' ')
            continue;
        int w = snprintf(out + o, cap - o, "%s%s", o ? ", " : "", cmds[i].name + n + 1);
        if (w < 0 || (size_t)w >= cap - o)
            return;
        o += (size_t)w;
    }
}

int cli_command_unknown(struct cli *c)
{
    const char *word = c->a.pos[0];
    char subs[128];
    if (!cli_command_is_group(word))
        return scm_fail(&c->d, SCM_E_USAGE, "Unknown command '%s'; see scmgr --help.", word);
    if (c->a.npos < 2) {
        sub_commands(word, subs, sizeof(subs));
        return scm_fail(&c->d, SCM_E_USAGE, "'%s' needs a sub-command: %s; see scmgr %s --help.",
                        word, subs, word);
    }
    return scm_fail(&c->d, SCM_E_USAGE, "Unknown command '%s %s'; see scmgr %s --help.", word,
                    c->a.pos[1], word);
}

int cli_dispatch(struct cli *c)
{
    const struct cli_command *cmd = cli_command_find(c->a.pos, c->a.npos);
    int rc;
    if (!cmd)
        return cli_command_unknown(c);
    if ((rc = cli_check(&c->a, cmd, &c->d)) < 0)
        return rc;
    return cmd->fn(c);
}
