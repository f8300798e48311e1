/* scmgr vsc ...: managing virtual smart cards as a whole. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Room for any label or detail after scm_sanitize (an escape is at most
 * six bytes per input byte). */
#define CLEAN_MAX (SCM_DETAIL_MAX * 6)

static int check_uid(struct cli *c, const char *uid)
{
    char clean[160];
    if (scm_vsc_uid_valid(uid))
        return SCM_OK;
    return scm_fail(&c->d, SCM_E_BAD_UID, "'%s' is not a valid VSC identifier: %s",
                    cli_clean(uid, clean, sizeof(clean)), scm_strerror(SCM_E_BAD_UID));
}

static int open_vsc(struct cli *c, const char *uid, struct scm_vsc **v)
{
    struct scm_store *st;
    int rc;
    *v = NULL;
    if ((rc = check_uid(c, uid)) < 0 || (rc = cli_store(c, &st)) < 0)
        return rc;
    return scm_vsc_open(st, uid, v, &c->d);
}

/* Unlock with the password from --password-fd or the terminal. The
 * secret lives only in locked memory and is wiped right after use. */
static int unlock_vsc(struct cli *c, struct scm_vsc *v, const char *uid)
{
    struct scm_secret pw;
    char what[64];
    int rc;
    snprintf(what, sizeof(what), "vsc:%s", uid);
    rc = cli_password(c, c->a.pw_fd, what, &pw);
    if (rc < 0)
        return rc;
    rc = scm_vsc_unlock(v, pw.buf, pw.len, &c->d);
    scm_secret_free(&pw);
    return rc;
}

static const char *state_name(bool disabled)
{
    return disabled ? "disabled" : "enabled";
}

/* ---- new --------------------------------------------------------------------- */

static int vsc_new(struct cli *c)
{
    const char *uid = c->a.pos[2], *label = c->a.label;
    struct scm_store *st;
    struct scm_vsc *v = NULL;
    struct scm_secret pw = {0};
    struct scm_vsc_info info;
    char what[64], clean[CLEAN_MAX];
    int rc;

    if ((rc = check_uid(c, uid)) < 0 || (rc = cli_store(c, &st)) < 0)
        goto out;
    /* Refuse what will fail anyway before asking for a password twice. */
    if (label && (strlen(label) == 0 || strlen(label) > SCM_VSC_LABEL_MAX ||
                  !scm_text_is_clean(label, strlen(label)))) {
        rc = scm_fail(&c->d, SCM_E_BAD_LABEL,
                      "The VSC label must be 1 to %d bytes of UTF-8 without control characters.",
                      SCM_VSC_LABEL_MAX);
        goto out;
    }
    rc = scm_vsc_open(st, uid, &v, NULL);
    scm_vsc_close(v);
    v = NULL;
    if (rc != SCM_E_VSC_NOT_FOUND) {
        rc = scm_fail(&c->d, SCM_E_VSC_EXISTS, "vsc:%s already exists in %s.", uid,
                      scm_store_dir(st));
        goto out;
    }
    snprintf(what, sizeof(what), "vsc:%s", uid);
    if ((rc = cli_new_password(c, c->a.pw_fd, what, &pw)) < 0)
        goto out;
    rc = scm_vsc_create(st, uid, label, NULL, pw.buf, pw.len, &v, &c->d);
    if (rc < 0)
        goto out;
    scm_vsc_get_info(v, &info);
    printf("Created vsc:%s \"%s\" in %s.\n", uid, cli_clean(info.label, clean, sizeof(clean)),
           scm_vsc_path(v));
out:
    scm_secret_free(&pw);
    scm_vsc_close(v);
    return rc;
}

/* ---- list -------------------------------------------------------------------- */

/* The header fields that list and show have in common (doc/json.md). */
static void json_header(struct cli_json *j, const struct scm_vsc_info *vi)
{
    char t[32];
    cli_json_key(j, "label");
    cli_json_string(j, vi->label);
    cli_json_key(j, "generation");
    cli_json_uint(j, vi->generation);
    cli_json_key(j, "state");
    cli_json_string(j, state_name(vi->disabled));
    cli_time_iso(vi->created, t, sizeof(t));
    cli_json_key(j, "created");
    cli_json_string(j, t);
    cli_time_iso(vi->modified, t, sizeof(t));
    cli_json_key(j, "modified");
    cli_json_string(j, t);
    cli_json_key(j, "objects");
    cli_json_begin_object(j);
    for (int a = 0; a < SCM_AREA_COUNT; a++) {
        cli_json_key(j, scm_area_name((enum scm_area)a));
        cli_json_uint(j, vi->count[a]);
    }
    cli_json_end_object(j);
}

static void list_json(const struct scm_store_entry *e, size_t n)
{
    struct cli_json j;
    cli_json_init(&j, stdout);
    cli_json_begin_array(&j);
    for (size_t i = 0; i < n; i++) {
        const struct scm_vsc_info *vi = &e[i].info;
        cli_json_begin_object(&j);
        cli_json_key(&j, "uid");
        cli_json_string(&j, vi->uid);
        if (e[i].err < 0) {
            /* A damaged file: its header values cannot be trusted. */
            cli_json_key(&j, "error");
            cli_json_string(&j, e[i].why[0] ? e[i].why : scm_strerror(e[i].err));
            cli_json_end_object(&j);
            continue;
        }
        json_header(&j, vi);
        cli_json_end_object(&j);
    }
    cli_json_end_array(&j);
    cli_json_end(&j);
}

static void list_human(const struct scm_store_entry *e, size_t n)
{
    char clean[CLEAN_MAX], t[32];
    int w = 3;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(e[i].info.uid) > w)
            w = (int)strlen(e[i].info.uid);
    /* The label goes last: its display width is unknown (UTF-8). */
    printf("%-*s  %-8s  %5s  %-20s  %6s  %7s  %6s  %s\n", w, "UID", "STATE", "GEN", "MODIFIED",
           "PUBLIC", "PRIVATE", "SECRET", "LABEL");
    for (size_t i = 0; i < n; i++) {
        const struct scm_vsc_info *vi = &e[i].info;
        if (e[i].err < 0) {
            printf(
                "%-*s  %-8s  %5s  %-20s  %6s  %7s  %6s  %s\n", w, vi->uid, "damaged", "-", "-", "-",
                "-", "-",
                cli_clean(e[i].why[0] ? e[i].why : scm_strerror(e[i].err), clean, sizeof(clean)));
            continue;
        }
        cli_time_iso(vi->modified, t, sizeof(t));
        printf("%-*s  %-8s  %5llu  %-20s  %6zu  %7zu  %6zu  %s\n", w, vi->uid,
               state_name(vi->disabled), (unsigned long long)vi->generation, t,
               vi->count[SCM_AREA_PUBLIC], vi->count[SCM_AREA_PRIVATE], vi->count[SCM_AREA_SECRET],
               cli_clean(vi->label, clean, sizeof(clean)));
    }
}

static int vsc_list(struct cli *c)
{
    struct scm_store *st;
    struct scm_store_entry *e = NULL;
    size_t n = 0;
    int rc = cli_store(c, &st);
    if (rc < 0)
        return rc;
    if ((rc = scm_store_list(st, &e, &n)) < 0)
        return rc;
    if (c->a.json)
        list_json(e, n);
    else if (n == 0)
        printf("No virtual smart cards in %s.\n", scm_store_dir(st));
    else
        list_human(e, n);
    free(e);
    return SCM_OK;
}

/* ---- show -------------------------------------------------------------------- */

static void show_json(struct scm_vsc *v, const struct scm_vsc_info *vi)
{
    struct cli_json j;
    char atr[2 * SCM_ATR_MAX + 1];
    cli_json_init(&j, stdout);
    cli_json_begin_object(&j);
    cli_json_key(&j, "uid");
    cli_json_string(&j, vi->uid);
    json_header(&j, vi);
    cli_json_key(&j, "source");
    cli_json_begin_object(&j);
    scm_hex(vi->source.atr, vi->source.atr_len, NULL, atr, sizeof(atr));
    cli_json_key(&j, "reader");
    cli_json_string(&j, vi->source.reader);
    cli_json_key(&j, "atr");
    cli_json_string(&j, atr);
    cli_json_key(&j, "agent");
    cli_json_string(&j, vi->source.agent);
    cli_json_key(&j, "serial");
    cli_json_string(&j, vi->source.serial);
    cli_json_key(&j, "label");
    cli_json_string(&j, vi->source.label);
    cli_json_end_object(&j);
    cli_json_key(&j, "kdf_iterations");
    cli_json_uint(&j, vi->kdf_iterations);
    cli_json_key(&j, "file");
    cli_json_string(&j, scm_vsc_path(v));
    cli_json_key(&j, "size");
    cli_json_uint(&j, vi->file_size);
    cli_json_key(&j, "verified");
    cli_json_bool(&j, false);
    cli_json_end_object(&j);
    cli_json_end(&j);
}

static void show_field(const char *name, const char *value)
{
    char clean[CLEAN_MAX];
    printf("%-16s %s\n", name, cli_clean(value, clean, sizeof(clean)));
}

static void show_human(struct scm_vsc *v, const struct scm_vsc_info *vi)
{
    char buf[128], atr[2 * SCM_ATR_MAX + 1];
    const struct scm_vsc_source *s = &vi->source;
    show_field("UID:", vi->uid);
    show_field("Label:", vi->label);
    show_field("State:", state_name(vi->disabled));
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)vi->generation);
    show_field("Generation:", buf);
    cli_time_iso(vi->created, buf, sizeof(buf));
    show_field("Created:", buf);
    cli_time_iso(vi->modified, buf, sizeof(buf));
    show_field("Modified:", buf);
    /* show never takes the password: the public objects are not verified. */
    snprintf(buf, sizeof(buf), "%zu public (not verified), %zu private, %zu secret",
             vi->count[SCM_AREA_PUBLIC], vi->count[SCM_AREA_PRIVATE], vi->count[SCM_AREA_SECRET]);
    show_field("Objects:", buf);
    snprintf(buf, sizeof(buf), "%lu", (unsigned long)vi->kdf_iterations);
    show_field("KDF iterations:", buf);
    show_field("File:", scm_vsc_path(v));
    snprintf(buf, sizeof(buf), "%llu bytes", (unsigned long long)vi->file_size);
    show_field("Size:", buf);
    show_field("Verified:", "no (checksums only; MACs need the password: scmgr vsc verify)");
    if (s->reader[0])
        show_field("Source reader:", s->reader);
    if (s->atr_len) {
        scm_hex(s->atr, s->atr_len, NULL, atr, sizeof(atr));
        show_field("Source ATR:", atr);
    }
    if (s->agent[0])
        show_field("Source agent:", s->agent);
    if (s->serial[0])
        show_field("Source serial:", s->serial);
    if (s->label[0])
        show_field("Source label:", s->label);
}

static int vsc_show(struct cli *c)
{
    struct scm_vsc *v;
    struct scm_vsc_info vi;
    int rc = open_vsc(c, c->a.pos[2], &v);
    if (rc < 0)
        return rc;
    scm_vsc_get_info(v, &vi);
    if (c->a.json)
        show_json(v, &vi);
    else
        show_human(v, &vi);
    scm_vsc_close(v);
    return SCM_OK;
}

/* ---- verify ------------------------------------------------------------------ */

/* UID or FILE: anything with a '/' or that is no valid UID is a file; a
 * UID of the store wins over a file of the same name in the current
 * directory. path is malloc'd; *uid is arg for a VSC of the store, else
 * NULL. */
static int verify_target(struct cli *c, const char *arg, char **path, const char **uid)
{
    struct scm_store *st;
    struct stat sb;
    int rc;
    *path = NULL;
    *uid = NULL;
    if (!strchr(arg, '/') && scm_vsc_uid_valid(arg)) {
        if ((rc = cli_store(c, &st)) < 0)
            return rc;
        if (asprintf(path, "%s/%s.vsc", scm_store_dir(st), arg) < 0) {
            *path = NULL;
            return SCM_E_NOMEM;
        }
        if (lstat(*path, &sb) == 0) {
            *uid = arg;
            return SCM_OK;
        }
        free(*path);
        *path = NULL;
        if (stat(arg, &sb) != 0)
            return scm_fail(&c->d, SCM_E_VSC_NOT_FOUND, "There is no vsc:%s in %s.", arg,
                            scm_store_dir(st));
    }
    *path = strdup(arg);
    return *path ? SCM_OK : SCM_E_NOMEM;
}

/* Temp files of killed saves: not damage, but worth knowing (they hold a
 * whole copy of the VSC until the next save or open removes them). */
static void report_stale(struct cli *c, const char *uid)
{
    struct scm_store *st;
    char first[300], clean[CLEAN_MAX];
    unsigned n;
    if (cli_store(c, &st) < 0 || (n = scm_store_stale_temps(st, uid, first, sizeof(first))) == 0)
        return;
    printf("vsc:%s: %u left-over temporary %s of an interrupted save (%s%s); the next save or "
           "open of the VSC removes %s.\n",
           uid, n, n == 1 ? "file" : "files", cli_clean(first, clean, sizeof(clean)),
           n > 1 ? " and others" : "", n == 1 ? "it" : "them");
}

static int vsc_verify(struct cli *c)
{
    struct scm_secret pw = {0};
    struct scm_store *st;
    char *path = NULL, clean[CLEAN_MAX];
    const char *uid = NULL;
    bool with_pw = false;
    int rc = verify_target(c, c->a.pos[2], &path, &uid);
    if (rc < 0)
        goto out;
    /* The MACs need the password; without --password-fd it is asked only
     * on a terminal, and an empty answer checks what can be checked
     * without it, so scripts never block. */
    if (c->a.pw_fd >= 0 || cli_interactive()) {
        if (c->a.pw_fd >= 0) {
            rc = cli_password(c, c->a.pw_fd, path, &pw);
        } else {
            rc = scm_secret_read(-1, "Password (empty: check the checksums only): ", &pw);
            if (rc == SCM_E_CANCELLED)
                rc = SCM_OK; /* Ctrl-D at the prompt: the checksums only */
        }
        if (rc < 0)
            goto out;
        with_pw = c->a.pw_fd >= 0 || pw.len > 0;
    }
    if (uid && (rc = cli_store(c, &st)) == SCM_OK)
        rc = scm_store_verify(st, uid, with_pw ? pw.buf : NULL, with_pw ? pw.len : 0, &c->d);
    else if (!uid)
        rc = scm_vsc_verify_file(path, &c->cfg.policy, with_pw ? pw.buf : NULL,
                                 with_pw ? pw.len : 0, &c->d);
    if (uid)
        report_stale(c, uid);
    if (rc < 0)
        goto out;
    cli_clean(path, clean, sizeof(clean));
    if (with_pw)
        printf("%s: intact; the password, every MAC and tag check out.\n", clean);
    else
        printf("%s: intact (structure and checksums); give the password to check the MACs.\n",
               clean);
out:
    scm_secret_free(&pw);
    free(path);
    return rc;
}

/* ---- disable, enable, passwd ----------------------------------------------------- */

static int vsc_disable(struct cli *c)
{
    const char *uid = c->a.pos[2];
    struct scm_vsc *v;
    int rc = open_vsc(c, uid, &v);
    if (rc < 0)
        return rc;
    rc = unlock_vsc(c, v, uid);
    if (rc == SCM_E_VSC_DISABLED) {
        /* The password was right (it is checked first): nothing to do. */
        printf("vsc:%s is already disabled.\n", uid);
        rc = SCM_OK;
        goto out;
    }
    if (rc < 0 || (rc = scm_vsc_disable(v, &c->d)) < 0)
        goto out;
    printf("Disabled vsc:%s.\n", uid);
out:
    scm_vsc_close(v);
    return rc;
}

static int vsc_enable(struct cli *c)
{
    const char *uid = c->a.pos[2];
    struct scm_vsc *v;
    struct scm_vsc_info vi;
    struct scm_secret pw = {0};
    char what[64];
    int rc = open_vsc(c, uid, &v);
    if (rc < 0)
        return rc;
    scm_vsc_get_info(v, &vi);
    if (!vi.disabled) {
        /* Still check the password, so that a script learns about a wrong one. */
        if ((rc = unlock_vsc(c, v, uid)) == SCM_OK)
            printf("vsc:%s is already enabled.\n", uid);
        goto out;
    }
    snprintf(what, sizeof(what), "vsc:%s", uid);
    if ((rc = cli_password(c, c->a.pw_fd, what, &pw)) < 0)
        goto out;
    if ((rc = scm_vsc_enable(v, pw.buf, pw.len, &c->d)) < 0)
        goto out;
    printf("Enabled vsc:%s.\n", uid);
out:
    scm_secret_free(&pw);
    scm_vsc_close(v);
    return rc;
}

static int vsc_passwd(struct cli *c)
{
    const char *uid = c->a.pos[2];
    struct scm_vsc *v;
    struct scm_secret pw = {0};
    char what[64];
    int rc = open_vsc(c, uid, &v);
    if (rc < 0)
        return rc;
    if ((rc = unlock_vsc(c, v, uid)) < 0)
        goto out;
    snprintf(what, sizeof(what), "vsc:%s", uid);
    if ((rc = cli_new_password(c, c->a.new_pw_fd, what, &pw)) < 0)
        goto out;
    if ((rc = scm_vsc_passwd(v, pw.buf, pw.len, &c->d)) < 0)
        goto out;
    printf("Changed the password of vsc:%s.\n", uid);
out:
    scm_secret_free(&pw);
    scm_vsc_close(v);
    return rc;
}

/* ---- export, import, rm ---------------------------------------------------------- */

static int vsc_export(struct cli *c)
{
    const char *uid = c->a.pos[2], *file = c->a.pos[3];
    struct scm_vsc *v;
    char clean[CLEAN_MAX];
    int rc = scm_outfile_check(file, c->a.force, &c->d);
    if (rc < 0 || (rc = open_vsc(c, uid, &v)) < 0)
        return rc;
    /* With "-" the VSC is the output; the sentence would corrupt it. */
    if ((rc = scm_vsc_export(v, file, c->a.force, &c->d)) == SCM_OK && strcmp(file, "-") != 0)
        printf("Exported vsc:%s to %s.\n", uid, cli_clean(file, clean, sizeof(clean)));
    scm_vsc_close(v);
    return rc;
}

static int vsc_import(struct cli *c)
{
    struct scm_store *st;
    char uid[SCM_VSC_UID_MAX + 1], clean[CLEAN_MAX];
    int rc = cli_store(c, &st);
    if (rc < 0)
        return rc;
    if ((rc = scm_store_import(st, c->a.pos[2], uid, &c->d)) < 0)
        return rc;
    printf("Imported vsc:%s from %s.\n", uid, cli_clean(c->a.pos[2], clean, sizeof(clean)));
    return SCM_OK;
}

/* Ask on the terminal; anything but y/yes is no. */
static bool confirm(const char *question)
{
    char line[16];
    fputs(question, stderr);
    fflush(stderr);
    if (!fgets(line, sizeof(line), stdin))
        return false;
    line[strcspn(line, "\r\n")] = '\0';
    return strcmp(line, "y") == 0 || strcmp(line, "Y") == 0 || strcmp(line, "yes") == 0;
}

static int vsc_rm(struct cli *c)
{
    const char *uid = c->a.pos[2];
    struct scm_store *st;
    char path[4096], q[256];
    struct stat sb;
    int rc;
    if ((rc = check_uid(c, uid)) < 0 || (rc = cli_store(c, &st)) < 0)
        return rc;
    /* A damaged VSC must stay removable, so only the file is checked. */
    snprintf(path, sizeof(path), "%s/%s.vsc", scm_store_dir(st), uid);
    if (stat(path, &sb) != 0)
        return scm_fail(&c->d, SCM_E_VSC_NOT_FOUND, "There is no vsc:%s in %s.", uid,
                        scm_store_dir(st));
    if (!c->a.yes) {
        if (!cli_interactive())
            return scm_fail(
                &c->d, SCM_E_USAGE,
                "'vsc rm' deletes for good: without a terminal to confirm on, give --yes.");
        snprintf(q, sizeof(q), "Delete vsc:%s and its backup copy for good? [y/N] ", uid);
        if (!confirm(q))
            return scm_fail(&c->d, SCM_E_CANCELLED, "Nothing was deleted.");
    }
    if ((rc = scm_store_remove(st, uid, &c->d)) < 0)
        return rc;
    printf("Deleted vsc:%s.\n", uid);
    return SCM_OK;
}

/* ---- dispatch ----------------------------------------------------------------------- */

int cli_cmd_vsc(struct cli *c)
{
    static const struct {
        const char *name;
        int (*fn)(struct cli *c);
        unsigned opts;
        int npos; /* including "vsc" and the sub-command */
    } subs[] = {
        {"new", vsc_new, CLI_OPT_LABEL | CLI_OPT_PW_FD, 3},
        {"list", vsc_list, CLI_OPT_JSON, 2},
        {"show", vsc_show, CLI_OPT_JSON, 3},
        {"verify", vsc_verify, CLI_OPT_PW_FD, 3},
        {"disable", vsc_disable, CLI_OPT_PW_FD, 3},
        {"enable", vsc_enable, CLI_OPT_PW_FD, 3},
        {"passwd", vsc_passwd, CLI_OPT_PW_FD | CLI_OPT_NEW_PW_FD, 3},
        {"export", vsc_export, CLI_OPT_FORCE, 4},
        {"import", vsc_import, 0, 3},
        {"rm", vsc_rm, CLI_OPT_YES, 3},
    };
    char name[32], clean[128];
    int rc;
    if (c->a.npos < 2)
        return scm_fail(&c->d, SCM_E_USAGE, "'vsc' needs a sub-command; see scmgr --help.");
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        if (strcmp(c->a.pos[1], subs[i].name) != 0)
            continue;
        snprintf(name, sizeof(name), "vsc %s", subs[i].name);
        rc = cli_check(&c->a, name, subs[i].opts, subs[i].npos, subs[i].npos, &c->d);
        return rc < 0 ? rc : subs[i].fn(c);
    }
    return scm_fail(&c->d, SCM_E_USAGE, "Unknown command 'vsc %s'; see scmgr --help.",
                    cli_clean(c->a.pos[1], clean, sizeof(clean)));
}
