/* Every help text, and the man page's and README's lists of commands, made
 * from the command table (commands.c) and the option table (args.c): they
 * cannot disagree with what the parser accepts. Their lists of the UI's
 * keys come from the UI's key table (src/ui/keys.c), like its F1 help. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "scmgr/ui.h"

#define WIDTH 79

/* What an operand name means, for scmgr CMD --help. FILE means something
 * else to each command; its summary says what. */
static const struct {
    const char *name, *help;
} operand_help[] = {
    {"UID", "a VSC's identifier: 1 to 32 letters, digits, '.', '-' or '_' (e.g. a card's serial)"},
    {"CARD", "vsc:UID for a VSC, or a READER"},
    {"SRC", "the source: vsc:UID for a VSC, or a READER"},
    {"DST", "the destination: vsc:UID for a VSC, or a READER"},
    {"READER", "a reader's number in 'scmgr readers', or a part of its name that matches one"},
    {"LABEL", "an object's label (1 to 128 bytes of UTF-8)"},
};

/* ---- Words of a usage line -------------------------------------------------------- */

/* The n-th word of a space-separated list into buf; false past the end. */
static bool word_at(const char *list, int n, char *buf, size_t cap)
{
    const char *p = list;
    size_t len;
    for (;;) {
        p += strspn(p, " ");
        len = strcspn(p, " ");
        if (len == 0)
            return false;
        if (n-- == 0)
            break;
        p += len;
    }
    snprintf(buf, cap, "%.*s", (int)len, p);
    return true;
}

/* "[--label TEXT]", "[-o FILE]", "[--json]" */
static void option_word(const struct cli_option *o, char *buf, size_t cap)
{
    char name[40];
    if (o->short_name)
        snprintf(name, sizeof(name), "-%c", o->short_name);
    else
        snprintf(name, sizeof(name), "--%s", o->name);
    snprintf(buf, cap, "[%s%s%s]", name, o->value ? " " : "", o->value ? o->value : "");
}

/* Words printed with wrapping at WIDTH; continuation lines start at
 * column indent. */
struct wrap {
    FILE *fp;
    int col, indent;
    bool fresh; /* nothing on this line yet: no space before the word */
};

static void wrap_word(struct wrap *w, const char *word)
{
    int len = (int)strlen(word);
    if (!w->fresh && w->col + 1 + len > WIDTH) {
        fprintf(w->fp, "\n%*s", w->indent, "");
        w->col = w->indent;
        w->fresh = true;
    }
    if (!w->fresh) {
        fputc(' ', w->fp);
        w->col++;
    }
    fputs(word, w->fp);
    w->col += len;
    w->fresh = false;
}

/* The words of text and a newline, from column col (already there). */
static void wrap_text(FILE *fp, const char *text, int col, int indent)
{
    struct wrap w = {fp, col, indent, true};
    char word[128];
    for (int i = 0; word_at(text, i, word, sizeof(word)); i++)
        wrap_word(&w, word);
    fputc('\n', fp);
}

/* "scmgr get CARD LABEL [-o FILE] ...", wrapped under the first operand. */
static void usage_line(FILE *fp, const char *prefix, const struct cli_command *cmd)
{
    size_t nopt;
    const struct cli_option *opts = cli_options(&nopt);
    char word[96];
    struct wrap w = {fp, 0, 0, false};
    fprintf(fp, "%sscmgr %s", prefix, cmd->name);
    w.col = (int)(strlen(prefix) + strlen("scmgr ") + strlen(cmd->name));
    w.indent = w.col + 1;
    for (int i = 0; word_at(cmd->operands, i, word, sizeof(word)); i++)
        wrap_word(&w, word);
    for (size_t i = 0; i < nopt; i++) {
        if (!opts[i].bit || !(cmd->opts & opts[i].bit))
            continue;
        option_word(&opts[i], word, sizeof(word));
        wrap_word(&w, word);
    }
    fputc('\n', fp);
}

/* "  -o, --output FILE" */
static void option_names(const struct cli_option *o, char *buf, size_t cap)
{
    char s[8] = "";
    if (o->short_name)
        snprintf(s, sizeof(s), "-%c, ", o->short_name);
    snprintf(buf, cap, "  %s--%s%s%s", s, o->name, o->value ? " " : "", o->value ? o->value : "");
}

/* The options whose bit is in mask (global ones: mask 0), aligned. */
static void option_list(FILE *fp, unsigned mask, bool global)
{
    size_t nopt;
    const struct cli_option *opts = cli_options(&nopt);
    char names[80];
    int col = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < nopt; i++) {
            const struct cli_option *o = &opts[i];
            if (o->hidden || (global ? o->bit != 0 : !(o->bit & mask)))
                continue;
            option_names(o, names, sizeof(names));
            if (pass == 0) {
                if ((int)strlen(names) + 2 > col)
                    col = (int)strlen(names) + 2;
                continue;
            }
            fprintf(fp, "%-*s", col, names);
            wrap_text(fp, o->help, col, col);
        }
}

/* ---- The list of commands: --help, the README ------------------------------------- */

static void command_list(FILE *fp)
{
    size_t n;
    const struct cli_command *cmds = cli_commands(&n);
    for (int g = 0; g < CLI_GROUP_COUNT; g++) {
        fprintf(fp, "%s%s\n", g ? "\n" : "", cli_group_heading((enum cli_group)g));
        for (size_t i = 0; i < n; i++)
            if (cmds[i].group == (enum cli_group)g)
                usage_line(fp, "  ", &cmds[i]);
    }
}

static void top_help(FILE *fp)
{
    fputs("Usage: scmgr [GLOBAL OPTIONS] COMMAND [ARGUMENTS]\n"
          "       scmgr [GLOBAL OPTIONS]     the full-screen UI (needs a terminal)\n"
          "       scmgr COMMAND --help       one command's arguments and options\n"
          "\n",
          fp);
    command_list(fp);
    fputs("\nGlobal options, anywhere on the line:\n", fp);
    option_list(fp, 0, true);
    fputs("\n", fp);
    wrap_text(fp,
              "Passwords and PINs are read from the terminal with echo off, or as one line from "
              "the file descriptor given by --password-fd or --pin-fd; never from the command "
              "line or the environment.",
              0, 0);
    fputs("\n", fp);
    wrap_text(fp,
              "The full-screen UI is scmgr without a command, on a terminal of 80x24 or more; F1 "
              "there lists every key.",
              0, 0);
    fputs("\n", fp);
    wrap_text(fp,
              "Exit status: 0 success, 1 failure, 2 usage, 3 wrong password or PIN, 4 damaged or "
              "invalid file, 5 no such card, VSC, reader or object, 6 VSC disabled. See scmgr(1).",
              0, 0);
}

/* scmgr vsc --help: the commands of one group word. */
static void group_help(FILE *fp, const char *word)
{
    size_t n, len = strlen(word);
    const struct cli_command *cmds = cli_commands(&n);
    fprintf(fp, "Usage: scmgr %s COMMAND [ARGUMENTS]\n\n", word);
    for (size_t i = 0; i < n; i++) {
        if (strncmp(cmds[i].name, word, len) != 0 || cmds[i].name[len] != ' ')
            continue;
        usage_line(fp, "  ", &cmds[i]);
        fputs("      ", fp);
        wrap_text(fp, cmds[i].summary, 6, 6);
    }
    fprintf(fp, "\nscmgr %s COMMAND --help shows one command's arguments and options.\n", word);
}

static void command_help(FILE *fp, const struct cli_command *cmd)
{
    char word[96], name[32];
    bool any = false;
    usage_line(fp, "Usage: ", cmd);
    fputs("\n", fp);
    wrap_text(fp, cmd->summary, 0, 0);
    /* What the operands are, each once ("SRC DST" share nothing). */
    for (int i = 0; word_at(cmd->operands, i, word, sizeof(word)); i++) {
        for (size_t k = 0; k < sizeof(operand_help) / sizeof(operand_help[0]); k++) {
            snprintf(name, sizeof(name), "%s", operand_help[k].name);
            if (!strstr(word, name))
                continue;
            fprintf(fp, "%s  %-8s", any ? "" : "\n", name);
            wrap_text(fp, operand_help[k].help, 10, 10);
            any = true;
        }
    }
    if (cmd->opts) {
        fputs("\nOptions:\n", fp);
        option_list(fp, cmd->opts, false);
    }
    fputs("\nGlobal options (--store, --config, --policy, --log, ...): see scmgr --help.\n", fp);
}

int cli_help(struct cli *c)
{
    const struct cli_command *cmd;
    if (c->a.npos == 0) {
        top_help(stdout);
        return SCM_OK;
    }
    if ((cmd = cli_command_find(c->a.pos, c->a.npos)) != NULL) {
        command_help(stdout, cmd);
        return SCM_OK;
    }
    if (cli_command_is_group(c->a.pos[0]) && c->a.npos == 1) {
        group_help(stdout, c->a.pos[0]);
        return SCM_OK;
    }
    /* Help for a command that does not exist is a mistake worth saying. */
    return cli_command_unknown(c);
}

/* ---- The man page's synopsis ------------------------------------------------------- */

/* s with every '-' as roff's "\-" (a real minus, not a hyphen). */
static void roff_escape(FILE *fp, const char *s)
{
    for (; *s; s++) {
        if (*s == '-' || *s == '\\')
            fputc('\\', fp);
        fputc(*s, fp);
    }
}

/* One operand: ".I UID", ".IR UID | FILE", ".RI [ LABEL ...]" */
static void roff_operand(FILE *fp, const char *word)
{
    char name[64];
    size_t n = 0;
    bool optional = word[0] == '[', repeats = strchr(word, '.') != NULL;
    for (const char *p = word; *p && n + 1 < sizeof(name); p++)
        if (*p != '[' && *p != ']' && *p != '.')
            name[n++] = *p;
    name[n] = '\0';
    if (optional) {
        /* The zero-width escape after "...]" keeps roff from taking it for
         * the end of a sentence (and adding a second space). */
        fprintf(fp, ".RI [ %s %s]\\&\n", name, repeats ? "..." : "");
        return;
    }
    if (strchr(name, '|')) {
        fputs(".IR", fp);
        for (char *p = name, *bar; p; p = bar ? bar + 1 : NULL) {
            bar = strchr(p, '|');
            fprintf(fp, " %.*s%s", bar ? (int)(bar - p) : (int)strlen(p), p, bar ? " |" : "");
        }
        fputc('\n', fp);
        return;
    }
    fprintf(fp, ".I %s%s\n", name, repeats ? " ..." : "");
}

/* .SY/.OP/.YS (groff's man extensions, also in mandoc) hang the wrapped
 * options under the first operand, as usage lines do. */
static void roff_command(FILE *fp, const struct cli_command *cmd)
{
    size_t nopt;
    const struct cli_option *opts = cli_options(&nopt);
    char word[96];
    fprintf(fp, ".SY \"scmgr %s\"\n", cmd->name);
    for (int i = 0; word_at(cmd->operands, i, word, sizeof(word)); i++)
        roff_operand(fp, word);
    for (size_t i = 0; i < nopt; i++) {
        const struct cli_option *o = &opts[i];
        if (!o->bit || !(cmd->opts & o->bit))
            continue;
        fputs(".OP ", fp);
        if (o->short_name)
            fprintf(fp, "\\-%c", o->short_name);
        else {
            fputs("\\-\\-", fp);
            roff_escape(fp, o->name);
        }
        fprintf(fp, "%s%s\n", o->value ? " " : "", o->value ? o->value : "");
    }
    fputs(".YS\n", fp);
}

static void roff_synopsis(FILE *fp)
{
    size_t n;
    const struct cli_command *cmds = cli_commands(&n);
    /* .PD 0: no blank line between the forms. */
    fputs(".PD 0\n.SY scmgr\n.RI [ \"global options\" ]\n.YS\n", fp);
    for (size_t i = 0; i < n; i++)
        roff_command(fp, &cmds[i]);
    fputs(".SY scmgr\n.I COMMAND\n.B \\-\\-help\n.YS\n", fp);
    fputs(".SY scmgr\n.BR \\-\\-help \" | \" \\-\\-version\n.YS\n.PD\n", fp);
}

/* ---- The UI's keys: the man page's list, the README's table ------------------------ */

/* Text for roff: '\\' and '-' escaped, a leading '.' or '\'' made inert. */
static void roff_text(FILE *fp, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", fp);
    roff_escape(fp, s);
}

static void roff_keys(FILE *fp)
{
    char keys[96];
    const char *what;
    for (size_t row = 0; scm_ui_key_row(row, keys, sizeof(keys), &what); row++) {
        fputs(row ? ".TP\n.B \"" : ".TP 18\n.B \"", fp);
        roff_escape(fp, keys);
        fputs("\"\n", fp);
        roff_text(fp, what);
        fputc('\n', fp);
    }
}

/* A markdown table cell: '|' would end it. */
static void md_cell(FILE *fp, const char *s)
{
    for (; *s; s++) {
        if (*s == '|' || *s == '\\')
            fputc('\\', fp);
        fputc(*s, fp);
    }
}

static void readme_keys(FILE *fp)
{
    char keys[96];
    const char *what;
    fputs("| key | action |\n|---|---|\n", fp);
    for (size_t row = 0; scm_ui_key_row(row, keys, sizeof(keys), &what); row++) {
        fputs("| ", fp);
        md_cell(fp, keys);
        fputs(" | ", fp);
        md_cell(fp, what);
        fputs(" |\n", fp);
    }
}

int cli_help_doc(struct cli *c)
{
    if (strcmp(c->a.help_doc, "roff") == 0)
        roff_synopsis(stdout);
    else if (strcmp(c->a.help_doc, "readme") == 0)
        command_list(stdout);
    else if (strcmp(c->a.help_doc, "roff-keys") == 0)
        roff_keys(stdout);
    else if (strcmp(c->a.help_doc, "readme-keys") == 0)
        readme_keys(stdout);
    else
        return scm_fail(&c->d, SCM_E_USAGE,
                        "--help-doc takes roff, readme, roff-keys or readme-keys, not '%s'.",
                        c->a.help_doc);
    return SCM_OK;
}
