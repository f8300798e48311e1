/* scmgr ls / get / put / rm: objects on a card, through the card API. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* A secret option that does not fit the card is a mistake worth saying. */
static int check_secret_opts(struct cli *c, struct scm_card *card)
{
    struct scm_card_info ci;
    scm_card_get_info(card, &ci);
    if (ci.kind == SCM_CARD_REAL && c->a.pw_fd >= 0)
        return scm_fail(&c->d, SCM_E_USAGE, "A real card takes --pin-fd, not --password-fd.");
    if (ci.kind == SCM_CARD_VSC && (c->a.pin_fd >= 0 || c->a.force_last_try))
        return scm_fail(&c->d, SCM_E_USAGE, "A VSC takes --password-fd, not --pin-fd.");
    return SCM_OK;
}

static int open_card(struct cli *c, const char *name, struct scm_card **card)
{
    int rc = cli_open_card(c, name, card);
    if (rc == SCM_OK && (rc = check_secret_opts(c, *card)) < 0) {
        scm_card_close(*card);
        *card = NULL;
    }
    return rc;
}

static int unlock_card(struct cli *c, struct scm_card *card)
{
    return cli_unlock(c, card, cli_secret_fd(c, card, false));
}

/* ---- ls -------------------------------------------------------------------------- */

static void ls_json(const struct scm_card_info *ci, const struct scm_obj_info *o, size_t n)
{
    struct cli_json j;
    cli_json_init(&j, stdout);
    cli_json_begin_object(&j);
    cli_json_key(&j, "card");
    cli_json_string(&j, ci->name);
    cli_json_key(&j, "kind");
    cli_json_string(&j, ci->kind == SCM_CARD_REAL ? "real" : "vsc");
    cli_json_key(&j, "label");
    cli_json_string(&j, ci->label);
    cli_json_key(&j, "serial");
    cli_json_string(&j, ci->serial);
    cli_json_key(&j, "locked");
    cli_json_bool(&j, ci->locked);
    cli_json_key(&j, "counts");
    cli_json_begin_object(&j);
    for (int a = 0; a < SCM_AREA_COUNT; a++) {
        cli_json_key(&j, scm_area_name((enum scm_area)a));
        cli_json_uint(&j, ci->count[a]);
    }
    cli_json_end_object(&j);
    cli_json_key(&j, "objects");
    cli_json_begin_array(&j);
    for (size_t i = 0; i < n; i++) {
        cli_json_begin_object(&j);
        cli_json_key(&j, "label");
        cli_json_string(&j, o[i].label);
        cli_json_key(&j, "type");
        cli_json_string(&j, scm_obj_type_name(o[i].type));
        cli_json_key(&j, "area");
        cli_json_string(&j, scm_area_name(o[i].area));
        cli_json_key(&j, "size");
        cli_json_uint(&j, o[i].size);
        cli_json_key(&j, "path");
        cli_json_string(&j, o[i].src_path);
        cli_json_key(&j, "group");
        cli_json_string(&j, o[i].group ? o[i].group : "");
        cli_json_key(&j, "sealed");
        cli_json_bool(&j, o[i].sealed);
        cli_json_key(&j, "verified");
        cli_json_bool(&j, o[i].verified);
        cli_json_end_object(&j);
    }
    cli_json_end_array(&j);
    cli_json_end_object(&j);
    cli_json_end(&j);
}

/* Without the password a VSC's public objects have passed their checksums
 * only, which anyone can recompute: each such row carries a "?" in the
 * first column, explained below the table. */
static void ls_human(const struct scm_card_info *ci, const struct scm_obj_info *o, size_t n)
{
    size_t unverified = 0;
    cli_print("%s \"%s\"%s\n", ci->name, ci->label, ci->disabled ? " (disabled)" : "");
    if (n > 0) {
        cli_print("  %-8s  %-13s  %8s  %-20s  %s\n", "AREA", "TYPE", "SIZE", "PATH", "LABEL");
        for (size_t i = 0; i < n; i++) {
            unverified += !o[i].verified;
            cli_print("%c %-8s  %-13s  %8zu  %-20s  %s\n", o[i].verified ? ' ' : '?',
                      scm_area_name(o[i].area), scm_obj_type_name(o[i].type), o[i].size,
                      o[i].src_path[0] ? o[i].src_path : "-", o[i].label);
        }
    } else {
        cli_print("No objects%s.\n", ci->locked ? " in the public area" : "");
    }
    if (ci->locked && (ci->count[SCM_AREA_PRIVATE] || ci->count[SCM_AREA_SECRET]))
        cli_print("Locked: %zu private %s and %zu secret %s not shown (give the %s).\n",
                  ci->count[SCM_AREA_PRIVATE],
                  ci->count[SCM_AREA_PRIVATE] == 1 ? "object" : "objects",
                  ci->count[SCM_AREA_SECRET], ci->count[SCM_AREA_SECRET] == 1 ? "key" : "keys",
                  ci->kind == SCM_CARD_REAL ? "PIN" : "password");
    if (unverified)
        cli_print("? = not verified: checksums only; give the password to check the MACs.\n");
}

int cli_cmd_ls(struct cli *c)
{
    struct scm_card *card = NULL;
    struct scm_card_info ci;
    const struct scm_obj_info *o;
    size_t n;
    int rc;
    if ((rc = open_card(c, c->a.pos[1], &card)) < 0)
        goto out;
    /* Without a password: the public area, and counts of the others. */
    if (cli_secret_fd(c, card, false) >= 0 && (rc = unlock_card(c, card)) < 0)
        goto out;
    if ((rc = scm_card_list(card, &o, &n)) < 0)
        goto out;
    scm_card_get_info(card, &ci);
    if (c->a.json)
        ls_json(&ci, o, n);
    else
        ls_human(&ci, o, n);
out:
    scm_card_close(card);
    return rc;
}

/* ---- get ------------------------------------------------------------------------- */

/* Find label; a locked card is unlocked first when a password is at hand
 * (--password-fd, or a terminal once the public area has no such label). */
static int find_obj(struct cli *c, struct scm_card *card, const char *label, uint32_t *id)
{
    struct scm_card_info ci;
    int rc;
    if (cli_secret_fd(c, card, false) >= 0 && scm_card_needs_unlock(card) &&
        (rc = unlock_card(c, card)) < 0)
        return rc;
    rc = scm_card_find(card, label, id);
    if (rc == SCM_E_NOT_FOUND && scm_card_needs_unlock(card) && cli_interactive()) {
        if ((rc = unlock_card(c, card)) < 0)
            return rc;
        rc = scm_card_find(card, label, id);
    }
    if (rc == SCM_E_NOT_FOUND) {
        scm_card_get_info(card, &ci);
        return scm_fail(&c->d, rc, "%s has no object labelled '%s'%s.", ci.name, label,
                        !ci.locked ? ""
                        : ci.kind == SCM_CARD_REAL
                            ? " in its public area (the others need the PIN)"
                            : " in its public area (the others need the password)");
    }
    return rc;
}

/* Has the object's content been checked with the key (struct scm_obj_info,
 * verified)? An object the listing does not show counts as not verified. */
static bool obj_verified(struct scm_card *card, uint32_t id)
{
    const struct scm_obj_info *o;
    size_t n;
    if (scm_card_list(card, &o, &n) < 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (o[i].id == id)
            return o[i].verified;
    return false;
}

/* A public object of a locked VSC may be a forgery with recomputed
 * checksums: say so, or with --require-verified check it with the password
 * (asked on a terminal) and refuse it without one. An unlock that finds
 * the public MAC wrong refuses the whole file as damaged (exit 4). */
static int check_verified(struct cli *c, struct scm_card *card, uint32_t id)
{
    const char *label = c->a.pos[2]; /* raw: every output sanitises it */
    struct scm_card_info ci;
    int rc;
    if (obj_verified(card, id))
        return SCM_OK;
    scm_card_get_info(card, &ci);
    if (!c->a.require_verified) {
        cli_eprint("scmgr: note: '%s' on %s is not verified: without the password only its "
                   "checksums were checked, which anyone can recompute (--require-verified "
                   "refuses it).\n",
                   label, ci.name);
        return SCM_OK;
    }
    if (!cli_interactive())
        return scm_fail(&c->d, SCM_E_VSC_LOCKED,
                        "'%s' on %s is not verified: --require-verified needs the password "
                        "(--password-fd).",
                        label, ci.name);
    if ((rc = unlock_card(c, card)) < 0)
        return rc;
    if (!obj_verified(card, id))
        return scm_fail(&c->d, SCM_E_VSC_TAMPERED, "'%s' on %s could not be verified.", label,
                        ci.name);
    return SCM_OK;
}

int cli_cmd_get(struct cli *c)
{
    struct scm_card *card = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    uint32_t id;
    int rc;
    if (c->a.force && !c->a.output)
        return scm_fail(&c->d, SCM_E_USAGE, "--force goes with -o FILE.");
    /* The output path first: nothing is read from the card for a path
     * that would be refused anyway. */
    if (c->a.output && (rc = scm_outfile_check(c->a.output, c->a.force, &c->d)) < 0)
        return rc;
    if ((rc = open_card(c, c->a.pos[1], &card)) < 0 ||
        (rc = find_obj(c, card, c->a.pos[2], &id)) < 0)
        goto out;
    /* Before reading: a refused object is never written anywhere. */
    if ((rc = check_verified(c, card, id)) < 0)
        goto out;
    if ((rc = scm_card_read(card, id, &data, &len, &c->d)) < 0)
        goto out;
    /* Raw bytes, as stored: get is for scripts and files, like cat. */
    if (c->a.output)
        rc = scm_outfile_write(c->a.output, data, len, c->a.force, &c->d);
    else if ((rc = cli_write_all(STDOUT_FILENO, data, len)) < 0)
        rc = scm_fail(&c->d, rc, "Standard output could not be written (%s).", strerror(errno));
out:
    if (data)
        scm_secure_free(data, len);
    scm_card_close(card);
    return rc;
}

/* ---- put ------------------------------------------------------------------------- */

/* Read all of FILE ("-": standard input) into secure memory: the content
 * may be a private key. One byte past the object limit tells "too big". */
static int read_input(struct cli *c, const char *file, uint8_t **out, size_t *len)
{
    const size_t cap = SCM_OBJ_SIZE_MAX + 1;
    uint8_t *buf = scm_secure_alloc(cap);
    size_t n = 0;
    int fd = -1, rc;
    *out = NULL;
    *len = 0;
    if (!buf)
        return SCM_E_NOMEM;
    fd = strcmp(file, "-") == 0 ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = scm_fail(&c->d, SCM_E_IO, "%s: cannot be read (%s).", file, strerror(errno));
        goto out;
    }
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = scm_fail(&c->d, SCM_E_IO, "%s: cannot be read (%s).", file, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > SCM_OBJ_SIZE_MAX) {
        rc = scm_fail(&c->d, SCM_E_LIMIT, "%s: an object may hold at most %u bytes.", file,
                      SCM_OBJ_SIZE_MAX);
        goto out;
    }
    *out = buf;
    *len = n;
    buf = NULL;
    rc = SCM_OK;
out:
    if (fd > STDIN_FILENO)
        close(fd);
    scm_secure_free(buf, cap);
    return rc;
}

int cli_cmd_put(struct cli *c)
{
    struct scm_card *card = NULL;
    struct scm_obj_new o;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = SCM_OK;
    memset(&o, 0, sizeof(o));
    o.label = c->a.pos[2];
    o.area = SCM_AREA_PUBLIC;
    o.type = 0; /* data for a new object; a replaced one keeps its type */
    if (c->a.area && (rc = scm_area_parse(c->a.area)) < 0)
        return scm_fail(&c->d, SCM_E_USAGE, "--area must be public, private or secret, not '%s'.",
                        c->a.area);
    if (c->a.area)
        o.area = (enum scm_area)rc;
    if (c->a.type && (rc = scm_obj_type_parse(c->a.type)) < 0)
        return scm_fail(&c->d, SCM_E_USAGE, "Unknown --type '%s'; see scmgr put --help.",
                        c->a.type);
    if (c->a.type)
        o.type = (enum scm_obj_type)rc;

    /* The secret before the data: both may come from standard input. Any
     * change needs it: a VSC's password, a real card's PIN. */
    if ((rc = open_card(c, c->a.pos[1], &card)) < 0 || (rc = unlock_card(c, card)) < 0 ||
        (rc = cli_admin(c, card)) < 0)
        goto out;
    if ((rc = read_input(c, c->a.pos[3], &data, &len)) < 0)
        goto out;
    o.data = data;
    o.len = len;
    if ((rc = scm_card_write(card, &o, c->a.replace, NULL, &c->d)) < 0 ||
        (rc = scm_card_commit(card, &c->d)) < 0)
        goto out;
    /* The card's own name ("vsc:UID", the reader's name), not what was typed ("0"). */
    struct scm_card_info ci;
    scm_card_get_info(card, &ci);
    cli_print("Stored '%s' (%zu %s) in the %s area of %s.\n", o.label, len,
              len == 1 ? "byte" : "bytes", scm_area_name(o.area), ci.name);
out:
    if (data)
        scm_secure_free(data, SCM_OBJ_SIZE_MAX + 1);
    scm_card_close(card);
    return rc;
}

/* ---- rm -------------------------------------------------------------------------- */

int cli_cmd_rm(struct cli *c)
{
    struct scm_card *card = NULL;
    uint32_t id;
    int rc;
    if ((rc = open_card(c, c->a.pos[1], &card)) < 0 || (rc = unlock_card(c, card)) < 0 ||
        (rc = cli_admin(c, card)) < 0)
        goto out;
    if ((rc = find_obj(c, card, c->a.pos[2], &id)) < 0 ||
        (rc = scm_card_delete(card, id, &c->d)) < 0 || (rc = scm_card_commit(card, &c->d)) < 0)
        goto out;
    struct scm_card_info ci;
    scm_card_get_info(card, &ci);
    cli_print("Deleted '%s' from %s.\n", c->a.pos[2], ci.name);
out:
    scm_card_close(card);
    return rc;
}
