/* scmgr command line: private interfaces shared by the CLI files. */
#ifndef SCMGR_CLI_H
#define SCMGR_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scmgr/card.h"
#include "scmgr/config.h"
#include "scmgr/util.h"
#include "scmgr/vsc.h"

/* ---- Arguments (args.c) --------------------------------------------------- */

/* Per-command options, as bits: each command's row in the command table
 * says which it accepts. Global options have no bit. */
enum cli_opt {
    CLI_OPT_JSON = 1u << 0,
    CLI_OPT_LABEL = 1u << 1,
    CLI_OPT_PW_FD = 1u << 2,
    CLI_OPT_NEW_PW_FD = 1u << 3,
    CLI_OPT_YES = 1u << 4,
    CLI_OPT_OUTPUT = 1u << 5,
    CLI_OPT_AREA = 1u << 6,
    CLI_OPT_TYPE = 1u << 7,
    CLI_OPT_REPLACE = 1u << 8,
    CLI_OPT_PIN_FD = 1u << 9,
    CLI_OPT_DST_PIN_FD = 1u << 10,
    CLI_OPT_DST_PW_FD = 1u << 11,
    CLI_OPT_FORCE_LAST_TRY = 1u << 12,
    CLI_OPT_TO = 1u << 13,
    CLI_OPT_SERIAL = 1u << 14,
    CLI_OPT_INIT = 1u << 15,
    CLI_OPT_REQUIRE_VERIFIED = 1u << 16,
    CLI_OPT_FORCE = 1u << 17,
    CLI_OPT_ADMIN_FD = 1u << 18,
    CLI_OPT_DRY_RUN = 1u << 19,
    CLI_OPT_EMERGENCY = 1u << 20,
};
/* Every option that gives a card's secret. */
#define CLI_OPT_SECRETS (CLI_OPT_PW_FD | CLI_OPT_PIN_FD | CLI_OPT_FORCE_LAST_TRY)

#define CLI_POS_MAX 8

struct cli_args {
    /* global options, accepted anywhere */
    const char *store;
    const char *config;
    const char *policy;
    const char *log;
    const char *log_level;
    const char *theme;    /* the full-screen UI's colour theme */
    const char *help_doc; /* hidden: the generated parts of the docs */
    bool no_mouse;        /* the full-screen UI leaves the mouse to the terminal */
    bool help;
    bool version;
    /* per-command options; `seen` has a bit for each one given */
    unsigned seen;
    bool json, yes, replace, force_last_try, init, require_verified, force, dry_run;
    const char *label, *output, *area, *type, *to, *serial, *emergency;
    int pw_fd, new_pw_fd, pin_fd, dst_pin_fd, dst_pw_fd, admin_fd; /* -1 when not given */
    /* the command words and operands, in order */
    const char *pos[CLI_POS_MAX];
    int npos;
};

/* What an option stores in struct cli_args. */
enum cli_opt_kind {
    CLI_KIND_FLAG,   /* a bool, set to true */
    CLI_KIND_STRING, /* a const char *, the value as given */
    CLI_KIND_FD,     /* an int, an open file descriptor */
};

/* One option: the one row that getopt, the checks, every --help and the
 * man page's consistency test read. Adding an option is adding a row in
 * args.c (a per-command one also gets a CLI_OPT_ bit, its field in struct
 * cli_args and its bit in the rows of the commands that take it), then
 * tests/cli/docs.sh --update and an OPTIONS entry in doc/scmgr.1. */
struct cli_option {
    const char *name; /* the long name, without "--" */
    char short_name;  /* 'o', or 0 */
    unsigned bit;     /* its CLI_OPT_* bit; 0: a global option */
    enum cli_opt_kind kind;
    size_t offset;     /* of its field in struct cli_args */
    const char *value; /* the value's name in usage lines ("N"), or NULL */
    const char *help;  /* one line for --help */
    bool hidden;       /* not in any help (tools for the docs) */
};

/* The option table, in the order the help lists options. */
const struct cli_option *cli_options(size_t *n);
/* Parse argv. On a usage error returns SCM_E_USAGE with d filled in. */
int cli_parse(int argc, char **argv, struct cli_args *a, struct scm_detail *d);
/* The long name of one option bit ("--json"). */
const char *cli_opt_name(unsigned bit);

/* ---- The command table (commands.c) -------------------------------------------- */

struct cli;

/* The groups the help and the man page's synopsis list commands in. */
enum cli_group {
    CLI_GROUP_VSC,
    CLI_GROUP_CARDS,
    CLI_GROUP_OBJECTS,
    CLI_GROUP_COUNT,
};

/* One command: dispatch, the option and operand checks, "needs more
 * arguments" sentences, every --help and the man page's synopsis all come
 * from its row. */
struct cli_command {
    const char *name;     /* the command words: "ls", "vsc new" */
    const char *operands; /* named operands: "CARD LABEL", "UID|FILE", "[LABEL...]" */
    unsigned opts;        /* the CLI_OPT_* bits it takes */
    enum cli_group group;
    const char *summary; /* one sentence for its --help */
    int (*fn)(struct cli *c);
};

/* The command table, in the order the help lists commands. */
const struct cli_command *cli_commands(size_t *n);
/* The heading of a group in the help ("Virtual smart cards (VSC):"). */
const char *cli_group_heading(enum cli_group g);
/* The command the words of a name (`pos`, `npos`) start with, or NULL. */
const struct cli_command *cli_command_find(const char *const *pos, int npos);
/* Is word the first word of commands with sub-commands ("vsc", "card")? */
bool cli_command_is_group(const char *word);
/* The number of words in a command's name. */
int cli_command_words(const struct cli_command *cmd);
/* Refuse options the command does not take, and missing or extra operands,
 * each with a sentence naming it. */
int cli_check(const struct cli_args *a, const struct cli_command *cmd, struct scm_detail *d);
/* The sentence for a command line whose words name no command (npos > 0). */
int cli_command_unknown(struct cli *c);
/* Dispatch the command line's command (npos > 0). */
int cli_dispatch(struct cli *c);

/* ---- Help and the generated parts of the docs (help.c) ------------------------- */

/* scmgr --help, or scmgr CMD --help when the line names a command. */
int cli_help(struct cli *c);
/* --help-doc FORMAT (hidden): "roff" prints the man page's SYNOPSIS body,
 * "readme" the README's command list; tests/cli/docs.sh keeps them in step. */
int cli_help_doc(struct cli *c);

/* ---- Shared state and helpers (main.c) --------------------------------------- */

struct cli {
    struct cli_args a;
    struct scm_config cfg;
    struct scm_store *store;    /* opened on first use */
    struct scm_rd_ctx *readers; /* opened on first use */
    struct scm_detail d;
};

/* The store, opened on first use. */
int cli_store(struct cli *c, struct scm_store **out);
/* The PC/SC context, opened on first use. */
int cli_readers(struct cli *c, struct scm_rd_ctx **out);
/* Open a card by name: "vsc:UID" or a reader (index or part of its name). */
int cli_open_card(struct cli *c, const char *name, struct scm_card **card);
/* The descriptor the secret of card comes from (-1: the terminal): a PIN
 * for a real card, a password for a VSC; dst picks the --dst-* options of
 * a copy's destination when both cards are of the same kind. */
int cli_secret_fd(const struct cli *c, const struct scm_card *card, bool dst);
/* Unlock card with its secret from fd or the terminal. */
int cli_unlock(struct cli *c, struct scm_card *card, int fd);
/* For a change of a real card whose agent names a credential other than
 * the PIN (a PIV card's management key, hex): that credential, from
 * --admin-fd or the terminal. A no-op for other cards. */
int cli_admin(struct cli *c, struct scm_card *card);
/* Print "scmgr: <detail or sentence>" (sanitised) and return the exit code. */
int cli_report(struct cli *c, int err);
/* printf to stdout / stderr for every human-readable line (at most one
 * per call, its '\n' last): the formatted text passes scm_sanitize, so a
 * card's or file's text in any argument reaches the terminal inert.
 * Arguments are given raw (cleaning them first would escape their
 * backslashes twice). */
void cli_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_eprint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Read the password of `what` ("vsc:UID") from fd (>= 0) or the terminal;
 * a new one is asked twice on the terminal. */
int cli_password(struct cli *c, int fd, const char *what, struct scm_secret *out);
int cli_new_password(struct cli *c, int fd, const char *what, struct scm_secret *out);
/* rc of a secret read from fd, with the sentence for what went wrong
 * (empty, a directory, nothing in time, too long); what is "PIN" or
 * "password". */
int cli_secret_result(struct cli *c, int fd, const char *what, int rc);
/* "2024-05-01T12:00:00Z" */
void cli_time_iso(int64_t t, char *buf, size_t len);
/* Is standard input a terminal we may ask questions on? */
bool cli_interactive(void);
/* Write all of data to fd. */
int cli_write_all(int fd, const void *data, size_t len);

/* ---- Commands: the handlers of the command table --------------------------------
 * Each runs after cli_check passed: options and operand counts are right. */
int cli_cmd_vsc_new(struct cli *c);
int cli_cmd_vsc_list(struct cli *c);
int cli_cmd_vsc_show(struct cli *c);
int cli_cmd_vsc_verify(struct cli *c);
int cli_cmd_vsc_disable(struct cli *c);
int cli_cmd_vsc_enable(struct cli *c);
int cli_cmd_vsc_passwd(struct cli *c);
int cli_cmd_vsc_export(struct cli *c);
int cli_cmd_vsc_import(struct cli *c);
int cli_cmd_vsc_rm(struct cli *c);
int cli_cmd_ls(struct cli *c);
int cli_cmd_get(struct cli *c);
int cli_cmd_put(struct cli *c);
int cli_cmd_rm(struct cli *c);
int cli_cmd_readers(struct cli *c);
int cli_cmd_card_init(struct cli *c);
int cli_cmd_backup(struct cli *c);
int cli_cmd_restore(struct cli *c);
int cli_cmd_copy(struct cli *c);
/* No command: the full-screen UI (cmd_ui.c). */
int cli_cmd_ui(struct cli *c);

/* ---- JSON output (json.c) --------------------------------------------------------
 * A streaming writer: pretty-printed, two spaces per level, keys in the
 * order written. Strings are escaped so that the output is valid JSON and
 * safe on a terminal (control, bidi and line-separator characters as
 * \uXXXX; invalid UTF-8 as \uFFFD). */
#define CLI_JSON_DEPTH 16
struct cli_json {
    FILE *fp;
    int depth;
    bool has_items[CLI_JSON_DEPTH];
    bool after_key;
};
void cli_json_init(struct cli_json *j, FILE *fp);
void cli_json_begin_object(struct cli_json *j);
void cli_json_end_object(struct cli_json *j);
void cli_json_begin_array(struct cli_json *j);
void cli_json_end_array(struct cli_json *j);
void cli_json_key(struct cli_json *j, const char *key);
void cli_json_string(struct cli_json *j, const char *s);
void cli_json_string_n(struct cli_json *j, const char *s, size_t len);
void cli_json_uint(struct cli_json *j, uint64_t v);
void cli_json_int(struct cli_json *j, int64_t v);
void cli_json_bool(struct cli_json *j, bool v);
/* Finish the document (a newline). */
void cli_json_end(struct cli_json *j);

#endif
