/* scmgr readers / card init / backup / restore / copy: real cards, and the
 * patent's method of copying their objects to a VSC and back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- readers ------------------------------------------------------------------- */

/* The states of doc/json.md: a card no agent knows is still a card. */
static const char *state_name(enum scm_slot_state s)
{
    switch (s) {
    case SCM_SLOT_EMPTY: return "empty";
    case SCM_SLOT_CARD:
    case SCM_SLOT_NO_AGENT: return "card";
    case SCM_SLOT_IN_USE: return "card-in-use";
    case SCM_SLOT_MUTE: return "card-mute";
    case SCM_SLOT_BROKEN: break;
    }
    return "unknown";
}

static void readers_json(const struct scm_slot *sl, size_t n)
{
    char atr[SCM_ATR_MAX * 2 + 1];
    struct cli_json j;
    cli_json_init(&j, stdout);
    cli_json_begin_object(&j);
    cli_json_key(&j, "readers");
    cli_json_begin_array(&j);
    for (size_t i = 0; i < n; i++) {
        cli_json_begin_object(&j);
        cli_json_key(&j, "index");
        cli_json_uint(&j, i);
        cli_json_key(&j, "name");
        cli_json_string(&j, sl[i].name);
        cli_json_key(&j, "state");
        cli_json_string(&j, state_name(sl[i].state));
        scm_hex(sl[i].atr, sl[i].atr_len, NULL, atr, sizeof(atr));
        cli_json_key(&j, "atr");
        cli_json_string(&j, atr);
        cli_json_key(&j, "agent");
        cli_json_string(&j, sl[i].agent);
        cli_json_key(&j, "label");
        cli_json_string(&j, sl[i].label);
        cli_json_key(&j, "serial");
        cli_json_string(&j, sl[i].serial);
        cli_json_key(&j, "note");
        cli_json_string(&j, sl[i].why);
        cli_json_end_object(&j);
    }
    cli_json_end_array(&j);
    cli_json_end_object(&j);
    cli_json_end(&j);
}

static void readers_human(const struct scm_slot *sl, size_t n)
{
    if (n == 0) {
        cli_print("No smart card readers.\n");
        return;
    }
    cli_print("%-3s  %-11s  %-12s  %-10s  %-20s  %s\n", "#", "STATE", "AGENT", "SERIAL", "LABEL",
              "READER");
    for (size_t i = 0; i < n; i++) {
        const char *what = sl[i].state == SCM_SLOT_CARD ? sl[i].label : sl[i].why[0] ? sl[i].why : "-";
        cli_print("%-3zu  %-11s  %-12s  %-10s  %-20s  %s\n", i, state_name(sl[i].state),
                  sl[i].agent[0] ? sl[i].agent : "-", sl[i].serial[0] ? sl[i].serial : "-", what,
                  sl[i].name);
    }
}

/* The readers of the slot listing (no store: VSCs have 'vsc list'). */
int cli_cmd_readers(struct cli *c)
{
    struct scm_card_ctx ctx;
    struct scm_slots *slots = NULL;
    const struct scm_slot *sl;
    size_t n;
    int pcsc_err;
    int rc;
    memset(&ctx, 0, sizeof(ctx));
    ctx.policy = &c->cfg.policy;
    if ((rc = cli_readers(c, &ctx.readers)) < 0 || (rc = scm_slots_new(&slots)) < 0)
        goto out;
    if ((rc = scm_slots_list(slots, &ctx, &sl, &n, &pcsc_err, &c->d)) < 0)
        goto out;
    if ((rc = pcsc_err) < 0)
        goto out;
    if (c->a.json)
        readers_json(sl, n);
    else
        readers_human(sl, n);
out:
    scm_slots_free(slots);
    return rc;
}

/* ---- card init ------------------------------------------------------------------- */

int cli_cmd_card_init(struct cli *c)
{
    struct scm_rd_ctx *rd;
    struct scm_card_ctx ctx;
    struct scm_card_init p;
    struct scm_secret pin;
    char prompt[128];
    int rc;
    if ((rc = cli_readers(c, &rd)) < 0)
        return rc;
    snprintf(prompt, sizeof(prompt), "The card's current PIN (it stays the PIN): ");
    if ((rc = scm_secret_read(c->a.pin_fd, prompt, &pin)) < 0)
        return rc == SCM_E_CANCELLED && c->a.pin_fd >= 0
                   ? scm_fail(&c->d, rc, "No PIN on file descriptor %d (the input was empty).",
                              c->a.pin_fd)
                   : rc;
    memset(&ctx, 0, sizeof(ctx));
    ctx.policy = &c->cfg.policy;
    ctx.readers = rd;
    memset(&p, 0, sizeof(p));
    p.label = c->a.label;
    p.serial = c->a.serial;
    p.pin = pin.buf;
    p.pin_len = pin.len;
    rc = scm_card_init(&ctx, c->a.pos[2], &p, &c->d);
    scm_secret_free(&pin);
    if (rc < 0)
        return rc;
    cli_print("Initialised the card in reader %s.\n", c->a.pos[2]);
    return SCM_OK;
}

/* After a refused conflict: the way to overwrite. */
static void hint_replace(struct cli *c)
{
    size_t len = strlen(c->d.text);
    snprintf(c->d.text + len, sizeof(c->d.text) - len, "%s",
             " Give --replace to overwrite them.");
}

/* ---- The copy report ------------------------------------------------------------- */

static const char *result_word(enum scm_copy_result r)
{
    switch (r) {
    case SCM_COPY_DONE: return "copied";
    case SCM_COPY_SKIPPED: return "skipped";
    case SCM_COPY_FAILED: return "FAILED";
    case SCM_COPY_NOT_TRIED: return "not copied";
    }
    return "?";
}

/* Every object, what happened to it and why; on standard output for the
 * record, the one-sentence error (if any) goes to standard error. */
static void print_report(const struct scm_copy_report *r, const char *src, const char *dst)
{

    cli_print("From %s to %s:\n", src, dst);
    for (size_t i = 0; i < r->n; i++) {
        const struct scm_copy_item *it = &r->items[i];
        cli_print("  %-10s  %-7s  %7zu  %s", result_word(it->result), scm_area_name(it->area),
                  it->size, it->label);
        if (it->result != SCM_COPY_DONE)
            cli_print("  (%s)", it->why);
        cli_print("\n");
    }
    cli_print("%zu copied, %zu skipped, %zu failed, %zu not copied.\n", r->done, r->skipped,
              r->failed, r->not_tried);
}

/* Unlock src if it holds more than its public area shows; unlock dst for
 * writing (a VSC always, a real card for its private area). */
static int unlock_for_copy(struct cli *c, struct scm_card *src, struct scm_card *dst)
{
    struct scm_card_info si, di;
    int rc;
    scm_card_get_info(src, &si);
    scm_card_get_info(dst, &di);
    if (scm_card_needs_unlock(src) &&
        (si.kind == SCM_CARD_VSC || cli_secret_fd(c, src, false) >= 0 || cli_interactive()) &&
        (rc = cli_unlock(c, src, cli_secret_fd(c, src, false))) < 0)
        return rc;
    /* The destination's secret: its own --dst-* option when both cards are
     * of the same kind, else the option of its kind. */
    if (scm_card_needs_unlock(dst)) {
        int fd = si.kind == di.kind ? (di.kind == SCM_CARD_REAL ? c->a.dst_pin_fd : c->a.dst_pw_fd)
                                    : cli_secret_fd(c, dst, true);
        if ((rc = cli_unlock(c, dst, fd)) < 0)
            return rc;
    }
    /* A dry run writes nothing: the credential for changes is not asked. */
    if (!c->a.dry_run && (rc = cli_admin(c, dst)) < 0)
        return rc;
    return SCM_OK;
}

/* Labels the destination already has: without --replace, asked on a
 * terminal (replace, skip or cancel), refused without one. */
struct conflict_ctx {
    struct cli *c;
    const char *dst;
    bool refused;
};

static enum scm_conflict ask_conflict(void *arg, const char *const *labels, size_t n)
{
    struct conflict_ctx *x = arg;
    char line[16];
    x->refused = true;
    if (!cli_interactive())
        return SCM_CONFLICT_CANCEL;
    /* Labels and the card's name come from a card: cli_eprint makes them inert. */
    cli_eprint("%s already has %s labelled", x->dst, n == 1 ? "an object" : "objects");
    for (size_t i = 0; i < n; i++)
        cli_eprint("%s '%s'", i ? "," : "", labels[i]);
    fputs(".\nReplace them, skip them, or cancel? [r/s/C] ", stderr);
    fflush(stderr);
    if (!fgets(line, sizeof(line), stdin))
        return SCM_CONFLICT_CANCEL;
    line[strcspn(line, "\r\n")] = '\0';
    if (strcmp(line, "r") == 0 || strcmp(line, "R") == 0 || strcmp(line, "replace") == 0) {
        x->refused = false;
        return SCM_CONFLICT_REPLACE;
    }
    if (strcmp(line, "s") == 0 || strcmp(line, "S") == 0 || strcmp(line, "skip") == 0) {
        x->refused = false;
        return SCM_CONFLICT_SKIP;
    }
    return SCM_CONFLICT_CANCEL;
}

static const char *plan_word(enum scm_plan p)
{
    switch (p) {
    case SCM_PLAN_WRITE: return "write";
    case SCM_PLAN_REPLACE: return "replace";
    case SCM_PLAN_SAME: return "unchanged";
    case SCM_PLAN_NO_PLACE: return "no place";
    case SCM_PLAN_NEVER: return "never";
    }
    return "?";
}

/* --dry-run: what would happen to each object, nothing written. */
static int dry_run(struct cli *c, struct scm_card *src, struct scm_card *dst,
                   const char *const *labels, size_t nlabels)
{
    struct scm_copy_plan p;
    struct scm_card_info si, di;
    scm_card_get_info(src, &si);
    scm_card_get_info(dst, &di);
    int rc = scm_card_plan(src, dst, labels, nlabels, &p, &c->d);
    if (rc < 0)
        return rc;
    cli_print("Dry run from %s to %s (nothing is written):\n", si.name, di.name);
    for (size_t i = 0; i < p.n; i++) {
        const struct scm_plan_item *it = &p.items[i];
        cli_print("  %-10s  %-7s  %7zu  %s", plan_word(it->plan), scm_area_name(it->area),
                  it->size, it->label);
        if (it->place[0] && (it->plan == SCM_PLAN_WRITE || it->plan == SCM_PLAN_REPLACE))
            cli_print("  -> %s", it->place);
        if (it->plan != SCM_PLAN_WRITE && it->why[0])
            cli_print("  (%s)", it->why);
        cli_print("\n");
    }
    cli_print("%zu to write, %zu to replace, %zu unchanged, %zu with no place on %s, %zu never "
              "copied.\n",
              p.write, p.replace, p.same, p.no_place, di.name, p.never);
    scm_copy_plan_free(&p);
    return SCM_OK;
}

/* replace: overwrite objects dst has already (backup, --replace); else
 * ask_conflict decides. */
static int run_copy(struct cli *c, struct scm_card *src, struct scm_card *dst,
                    const char *const *labels, size_t nlabels, bool replace)
{
    if (c->a.dry_run)
        return dry_run(c, src, dst, labels, nlabels);
    struct scm_copy_report rep;
    struct scm_card_info si, di;
    struct conflict_ctx x = {c, NULL, false};
    scm_card_get_info(src, &si);
    scm_card_get_info(dst, &di);
    x.dst = di.name;
    int rc = scm_card_copy(src, dst, labels, nlabels, replace ? NULL : ask_conflict, NULL, &x,
                           &rep, &c->d);
    if (rep.n || rc == SCM_OK)
        print_report(&rep, si.name, di.name);
    scm_copy_report_free(&rep);
    if (rc == SCM_E_EXISTS && x.refused)
        hint_replace(c);
    return rc;
}

/* ---- backup, restore, copy -------------------------------------------------------- */

int cli_cmd_backup(struct cli *c)
{
    struct scm_card *real = NULL, *vsc = NULL;
    struct scm_store *st;
    struct scm_vsc_source src;
    char uid[SCM_VSC_UID_MAX + 1], name[SCM_VSC_UID_MAX + 8];
    bool created = false;
    int rc;
    if ((rc = cli_store(c, &st)) < 0 || (rc = cli_open_card(c, c->a.pos[1], &real)) < 0)
        goto out;
    if (scm_card_name_is_vsc(c->a.pos[1])) {
        rc = scm_fail(&c->d, SCM_E_USAGE, "backup copies a real card; for a VSC use 'vsc export'.");
        goto out;
    }
    if ((rc = scm_card_backup_target(real, uid, &src, &c->d)) < 0)
        goto out;
    if (c->a.to) {
        if (!scm_vsc_uid_valid(c->a.to)) {
            rc = scm_fail(&c->d, SCM_E_BAD_UID, "--to: %s", scm_strerror(SCM_E_BAD_UID));
            goto out;
        }
        snprintf(uid, sizeof(uid), "%s", c->a.to);
    }
    /* The PIN first: the private area is part of the backup. */
    if ((rc = cli_unlock(c, real, c->a.pin_fd)) < 0)
        goto out;
    /* The admin credential only when given: it opens what the PIN alone
     * does not (an OpenPGP card's private DO 4). */
    if (c->a.admin_fd >= 0 && (rc = cli_admin(c, real)) < 0)
        goto out;
    /* The emergency copy first: plain files need no password, and they
     * are there even if the VSC step fails. */
    if (c->a.emergency) {
        struct scm_copy_report rep;
        struct scm_card_info ri;
        scm_card_get_info(real, &ri);
        rc = scm_card_dump(real, c->a.emergency, &c->cfg.policy, &rep, &c->d);
        if (rep.n)
            print_report(&rep, ri.name, c->a.emergency);
        scm_copy_report_free(&rep);
        if (rc < 0)
            goto out;
    }
    snprintf(name, sizeof(name), "vsc:%s", uid);
    rc = cli_open_card(c, name, &vsc);
    if (rc == SCM_E_VSC_NOT_FOUND) {
        /* The patent's method: the VSC is made on the first backup, named
         * by the card's serial, with the card's description. The new
         * password is read once and unlocks the new VSC too. */
        struct scm_secret pw;
        struct scm_vsc *v;
        c->d.text[0] = '\0';
        if ((rc = cli_new_password(c, c->a.pw_fd, name, &pw)) < 0)
            goto out;
        rc = scm_vsc_create(st, uid, NULL, &src, pw.buf, pw.len, &v, &c->d);
        if (rc == SCM_OK) {
            scm_vsc_close(v);
            created = true;
            cli_print("Created %s \"VSC %s\".\n", name, uid);
            if ((rc = cli_open_card(c, name, &vsc)) == SCM_OK)
                rc = scm_card_unlock(vsc, pw.buf, pw.len, &c->d);
        }
        scm_secret_free(&pw);
        if (rc < 0)
            goto out;
    } else if (rc < 0 || (rc = cli_unlock(c, vsc, c->a.pw_fd)) < 0) {
        goto out;
    }
    rc = run_copy(c, real, vsc, NULL, 0, true);
    if (rc == SCM_OK) {
        struct scm_card_info ri;
        scm_card_get_info(real, &ri);
        if (ri.write_cred == SCM_CRED_NEVER)
            cli_print("Note: scmgr can only read the card in '%s' (%s): this backup cannot be "
                      "restored onto it.\n",
                      ri.name, ri.type);
    }
out:
    scm_card_close(vsc);
    scm_card_close(real);
    /* A failed first backup leaves nothing: the VSC made for it goes again
     * unless the copy saved something into it. */
    if (rc < 0 && created && scm_store_discard_new(st, uid, NULL) == SCM_OK)
        cli_print("Removed %s again: nothing was backed up into it.\n", name);
    return rc;
}

/* A blank destination (--init): lay it out first with the label and serial
 * given (those of the card the objects came from) and the PIN the card has
 * now. The PIN is read once from fd and serves both steps. */
static int init_and_open(struct cli *c, const char *reader, const char *label, const char *serial,
                         int fd, struct scm_card **real)
{
    struct scm_card_ctx ctx;
    struct scm_card_init p;
    struct scm_secret pin;
    int rc;

    memset(&ctx, 0, sizeof(ctx));
    ctx.policy = &c->cfg.policy;
    if ((rc = cli_readers(c, &ctx.readers)) < 0)
        return rc;
    rc = scm_secret_read(fd, "The blank card's current PIN (it stays the PIN): ", &pin);
    if (rc < 0)
        return rc == SCM_E_CANCELLED && fd >= 0
                   ? scm_fail(&c->d, rc, "No PIN on file descriptor %d (the input was empty).", fd)
                   : rc;
    memset(&p, 0, sizeof(p));
    p.label = label && label[0] ? label : NULL;
    p.serial = serial && serial[0] ? serial : NULL;
    p.pin = pin.buf;
    p.pin_len = pin.len;
    c->d.text[0] = '\0';
    if ((rc = scm_card_init(&ctx, reader, &p, &c->d)) == SCM_OK) {
        cli_print("Initialised the blank card in reader %s.\n", reader);
        if ((rc = cli_open_card(c, reader, real)) == SCM_OK) {
            scm_card_allow_last_try(*real, c->a.force_last_try);
            rc = scm_card_unlock(*real, pin.buf, pin.len, &c->d);
        }
    }
    scm_secret_free(&pin);
    return rc;
}

/* A card whose agent can change nothing (a CAC card: SCM_CRED_NEVER) is
 * refused as a destination before anything is read or asked: a restore
 * would otherwise "skip" what it holds already and look like a success. */
static int refuse_read_only(struct cli *c, struct scm_card *dst)
{
    struct scm_card_info di;
    scm_card_get_info(dst, &di);
    if (di.kind != SCM_CARD_REAL || di.write_cred != SCM_CRED_NEVER)
        return SCM_OK;
    return scm_fail(&c->d, SCM_E_NOT_SUPPORTED,
                    "scmgr can only read the card in '%s' (%s): nothing was written to it.",
                    di.name, di.type);
}

/* Open the destination card for writing: unlocked with the PIN from fd,
 * or laid out first when it is blank and --init was given. */
static int open_dst(struct cli *c, const char *reader, const char *label, const char *serial,
                    int fd, struct scm_card **real)
{
    int rc = cli_open_card(c, reader, real);
    if ((rc == SCM_E_NO_AGENT || rc == SCM_E_CARD_BLANK) && c->a.init)
        return init_and_open(c, reader, label, serial, fd, real);
    if (rc == SCM_OK)
        rc = refuse_read_only(c, *real);
    if (rc == SCM_OK)
        rc = cli_unlock(c, *real, fd);
    if (rc == SCM_OK && !c->a.dry_run)
        rc = cli_admin(c, *real);
    return rc;
}

int cli_cmd_restore(struct cli *c)
{
    struct scm_card *vsc = NULL, *real = NULL;
    struct scm_card_info vi;
    char name[SCM_VSC_UID_MAX + 8];
    int rc;
    snprintf(name, sizeof(name), "%s%s", scm_card_name_is_vsc(c->a.pos[1]) ? "" : "vsc:",
             c->a.pos[1]);
    if ((rc = cli_open_card(c, name, &vsc)) < 0 || (rc = cli_unlock(c, vsc, c->a.pw_fd)) < 0)
        goto out;
    scm_card_get_info(vsc, &vi);
    if ((rc = open_dst(c, c->a.pos[2], vi.source.label, vi.source.serial[0] ? vi.source.serial : vi.serial,
                       c->a.pin_fd, &real)) < 0)
        goto out;
    rc = run_copy(c, vsc, real, NULL, 0, c->a.replace);
out:
    scm_card_close(real);
    scm_card_close(vsc);
    return rc;
}

/* One reader, cards swapped in turn: everything is read into a clipboard,
 * the user swaps the cards, the clipboard is written. */
static int copy_swap(struct cli *c, const char *const *labels, size_t nlabels)
{
    struct scm_card *src = NULL, *dst = NULL;
    struct scm_clip *clip = NULL;
    struct scm_copy_report rep = {0};
    struct scm_card_info si;
    struct scm_card_ctx ctx;
    int rc;

    memset(&ctx, 0, sizeof(ctx));
    ctx.policy = &c->cfg.policy;
    if (scm_card_name_is_vsc(c->a.pos[1]))
        return scm_fail(&c->d, SCM_E_USAGE, "copy needs two different cards.");
    if (c->a.dry_run)
        return scm_fail(&c->d, SCM_E_USAGE,
                        "--dry-run needs both cards at once, not one reader with the cards "
                        "swapped.");
    if ((rc = cli_readers(c, &ctx.readers)) < 0 || (rc = scm_clip_new(&clip)) < 0 ||
        (rc = cli_open_card(c, c->a.pos[1], &src)) < 0 ||
        (rc = cli_unlock(c, src, c->a.pin_fd)) < 0)
        goto out;
    scm_card_get_info(src, &si);
    rc = scm_clip_copy(clip, src, labels, nlabels, NULL, NULL, &rep, &c->d);
    if (rep.n || rc == SCM_OK)
        print_report(&rep, si.name, "memory");
    scm_copy_report_free(&rep);
    scm_card_close(src);
    src = NULL;
    if (rc < 0)
        goto out;
    cli_print("Take the card out of '%s' and insert the destination card (waiting up to 120 s).\n",
              si.name);
    fflush(stdout);
    if ((rc = scm_card_wait_swap(&ctx, si.name, 120000, &c->d)) < 0 ||
        (rc = open_dst(c, si.name, si.label, si.serial, c->a.dst_pin_fd, &dst)) < 0)
        goto out;
    struct conflict_ctx x = {c, si.name, false};
    rc = scm_clip_paste(clip, dst, NULL, 0, -1, c->a.replace ? NULL : ask_conflict, NULL, &x, &rep,
                        &c->d);
    print_report(&rep, "memory", si.name);
    scm_copy_report_free(&rep);
    if (rc == SCM_E_EXISTS && x.refused)
        hint_replace(c);
out:
    scm_card_close(dst);
    scm_card_close(src);
    scm_clip_free(clip);
    return rc;
}

int cli_cmd_copy(struct cli *c)
{
    struct scm_card *src = NULL, *dst = NULL;
    const char *const *labels = c->a.npos > 3 ? &c->a.pos[3] : NULL;
    size_t nlabels = (size_t)(c->a.npos - 3);
    int rc;
    if (strcmp(c->a.pos[1], c->a.pos[2]) == 0)
        return copy_swap(c, labels, nlabels);
    if ((rc = cli_open_card(c, c->a.pos[1], &src)) < 0 ||
        (rc = cli_open_card(c, c->a.pos[2], &dst)) < 0 || (rc = refuse_read_only(c, dst)) < 0 ||
        (rc = unlock_for_copy(c, src, dst)) < 0)
        goto out;
    rc = run_copy(c, src, dst, labels, nlabels, c->a.replace);
out:
    scm_card_close(dst);
    scm_card_close(src);
    return rc;
}
