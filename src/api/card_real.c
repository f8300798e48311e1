/* The smart card API over a real card: the reader handler connects, the
 * card agency picks the agent, the agent speaks the card's APDUs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "card_int.h"

static int refresh(struct scm_card *c, struct scm_detail *d);
static int need_pin(const struct scm_card *c, struct scm_detail *d);
static void note_reset(struct scm_card *c);

/* Every agent operation runs inside one PC/SC transaction, so another
 * program's APDUs cannot fall between the steps of one of ours (agents
 * that need a longer bracket nest their own). */
static int txn_begin(struct scm_card *c, struct scm_detail *d)
{
    int rc = scm_tx_begin(scm_rd_tx(c->conn));
    if (rc < 0) {
        char what[SCM_DETAIL_MAX];
        snprintf(what, sizeof(what), "The card in '%s' could not be reserved", c->name);
        return scm_rd_conn_why(c->conn, scm_fail_because(d, rc, what), d);
    }
    return SCM_OK;
}

static void txn_end(struct scm_card *c)
{
    (void)scm_tx_end(scm_rd_tx(c->conn));
}

/* The credentials with their tries, asked without spending one; the
 * user PIN (credential 0) is what the PIN dialog shows. */
static void ask_creds(struct scm_card *c)
{
    c->n_creds = 0;
    c->ainfo.pin_tries = -1;
    c->pinless = false;
    if (!c->ops->creds || c->ops->creds(c->state, c->creds, SCM_CRED_MAX, &c->n_creds, NULL) < 0) {
        c->n_creds = 0;
        return;
    }
    c->pinless = c->n_creds == 0;
    if (c->n_creds > 0 && c->creds[0].kind == SCM_CRED_PIN)
        c->ainfo.pin_tries = c->creds[0].tries_left;
}

static int open_locked(struct scm_card *c, const uint8_t *atr, size_t atr_len,
                       struct scm_detail *d);
/* A card whose agent says it has no credential at all (a PKCS#15 layout
 * made without a PIN; not one whose credentials could not be asked) has
 * nothing to unlock: all it shows is open. */
static bool pinless(const struct scm_card *c)
{
    return c->pinless;
}

static int open_real(const struct scm_card_ctx *ctx, const char *spec, struct scm_card *c,
                     struct scm_detail *d)
{
    const struct scm_rd_info *rl;
    size_t n, idx, atr_len;
    const uint8_t *atr;
    int rc;

    c->kind = SCM_CARD_REAL;
    if ((rc = scm_rd_list(ctx->readers, &rl, &n, d)) < 0 ||
        (rc = scm_rd_find(ctx->readers, spec, &idx, d)) < 0)
        return rc;
    snprintf(c->name, sizeof(c->name), "%s", rl[idx].name);
    if ((rc = scm_rd_connect(ctx->readers, rl[idx].name, &c->conn, d)) < 0)
        return rc;
    atr = scm_rd_atr(c->conn, &atr_len);
    /* Recognised, bound and listed in one transaction: no other program
     * selects in between, so an agent's attach may reuse its probe's SELECT. */
    if ((rc = txn_begin(c, d)) < 0)
        return rc;
    rc = open_locked(c, atr, atr_len, d);
    txn_end(c);
    return rc;
}

static int open_locked(struct scm_card *c, const uint8_t *atr, size_t atr_len, struct scm_detail *d)
{
    char hex[SCM_RD_ATR_MAX * 3 + 1];
    int rc = scm_agency_pick(scm_rd_tx(c->conn), atr, atr_len, &c->ops, d);
    if (rc == SCM_E_NO_AGENT) {
        scm_hex(atr, atr_len, " ", hex, sizeof(hex));
        return scm_fail(d, rc,
                        "No card agent knows the card in '%s' (ATR %s); if it is a blank card, "
                        "initialise it with 'scmgr card init'.",
                        c->name, hex);
    }
    if (rc < 0)
        return rc;
    if ((rc = c->ops->attach(scm_rd_tx(c->conn), &c->state, d)) < 0) {
        c->state = NULL;
        return rc;
    }
    if (c->ops->info && (rc = c->ops->info(c->state, &c->ainfo, d)) < 0)
        return rc;
    if (c->ainfo.blank)
        return scm_fail(d, SCM_E_CARD_BLANK,
                        "The card in '%s' carries no scmgr objects yet: initialise it with "
                        "'scmgr card init'.",
                        c->name);
    /* What a PIN dialog shows before the first try: the tries left (one
     * empty VERIFY, which spends none), and how many objects are locked. */
    ask_creds(c);
    c->pin_ok = pinless(c);
    return refresh(c, d);
}

/* A card that missed its deadline (or whose call was cancelled) says so
 * in one sentence naming the reader, whatever the agent made of the
 * failed exchange. */
int card_real_open(const struct scm_card_ctx *ctx, const char *spec, struct scm_card *c,
                   struct scm_detail *d)
{
    return scm_rd_conn_why(c->conn, open_real(ctx, spec, c, d), d);
}

void card_real_close(struct scm_card *c)
{
    /* What this handle verified goes with it (the card would keep it for
     * the next program). */
    if (c->state && c->ops && c->ops->logout && c->pin_ok && c->conn)
        c->ops->logout(c->state);
    if (c->state && c->ops && c->ops->detach)
        c->ops->detach(c->state);
    c->state = NULL;
    free(c->aobjs);
    c->aobjs = NULL;
    c->n_aobjs = 0;
    scm_rd_disconnect(c->conn);
    c->conn = NULL;
}

static void count_areas(const struct scm_card *c, size_t count[SCM_AREA_COUNT])
{
    for (size_t i = 0; i < c->n_aobjs; i++)
        if (c->aobjs[i].present)
            count[scm_obj_area(&c->aobjs[i])]++;
}

void card_real_info(const struct scm_card *c, struct scm_card_info *out)
{
    size_t atr_len = 0;
    const uint8_t *atr = c->conn ? scm_rd_atr(c->conn, &atr_len) : NULL;

    snprintf(out->label, sizeof(out->label), "%s", c->ainfo.label);
    snprintf(out->serial, sizeof(out->serial), "%s", c->ainfo.serial);
    snprintf(out->type, sizeof(out->type), "%s", c->ainfo.type);
    if (c->ops)
        snprintf(out->agent, sizeof(out->agent), "%s", c->ops->name);
    out->locked = !c->pin_ok;
    out->pin_tries = c->ainfo.pin_tries;
    memcpy(out->creds, c->creds, sizeof(out->creds));
    out->n_creds = c->n_creds;
    out->write_cred = c->ainfo.write_cred;
    count_areas(c, out->count);
    /* Reader names fit in SCM_RD_NAME_MAX, which the source record matches. */
    snprintf(out->source.reader, sizeof(out->source.reader), "%.*s",
             (int)sizeof(out->source.reader) - 1, c->name);
    if (atr && atr_len <= sizeof(out->source.atr)) {
        memcpy(out->source.atr, atr, atr_len);
        out->source.atr_len = atr_len;
    }
    snprintf(out->source.agent, sizeof(out->source.agent), "%s", out->agent);
    snprintf(out->source.serial, sizeof(out->source.serial), "%s", c->ainfo.serial);
    snprintf(out->source.label, sizeof(out->source.label), "%s", c->ainfo.label);
}

/* What a user can do about a blocked PIN: scmgr has no PUK command, and
 * guessing on is impossible. */
#define UNBLOCK_HOW                                                                                \
    "Unblock it with its PUK or admin PIN (with the card's own tools), or ask the card's issuer."

/* The PIN rules the API enforces whatever the card does: a blocked PIN is
 * not tried, the last try is spent only when the caller confirmed it. */
int card_real_unlock(struct scm_card *c, const char *pin, size_t len, struct scm_detail *d)
{
    int tries = -1, rc;

    if (!c->ops->verify || c->n_creds == 0 || c->creds[0].kind != SCM_CRED_PIN)
        return scm_fail(d, SCM_E_NOT_SUPPORTED, "The card in '%s' has no PIN to verify.", c->name);
    if ((rc = txn_begin(c, d)) < 0)
        return rc;
    note_reset(c); /* a reset before this verification is not one after it */
    ask_creds(c);
    tries = c->ainfo.pin_tries;
    if (tries == 0) {
        txn_end(c);
        return scm_fail(d, SCM_E_PIN_BLOCKED, "The PIN of the card in '%s' is blocked. %s", c->name,
                        UNBLOCK_HOW);
    }
    if (tries == 1 && !c->allow_last_try) {
        txn_end(c);
        return scm_fail(d, SCM_E_PIN_LAST_TRY,
                        "Only one PIN try is left on the card in '%s': confirm to use it "
                        "(--force-last-try on the command line).",
                        c->name);
    }
    rc = scm_rd_conn_why(c->conn, c->ops->verify(c->state, 0, (const uint8_t *)pin, len, &tries, d),
                         d);
    txn_end(c);
    c->ainfo.pin_tries = tries;
    if (c->n_creds > 0) {
        c->creds[0].tries_left = tries;
        c->creds[0].verified = rc == SCM_OK;
    }
    if (rc == SCM_E_BAD_PIN && tries >= 0)
        return scm_fail(d, rc, "Wrong PIN for the card in '%s': %d %s left.", c->name, tries,
                        tries == 1 ? "try" : "tries");
    if (rc == SCM_E_PIN_BLOCKED)
        return scm_fail(d, rc, "Wrong PIN: the PIN of the card in '%s' is now blocked. %s", c->name,
                        UNBLOCK_HOW);
    if (rc < 0)
        return rc;
    c->pin_ok = true;
    c->resets = scm_rd_conn_resets(c->conn);
    c->reset_seen = false;
    /* Does the card say "verified" to an empty VERIFY now (ISO 7816-4's
     * 9000: the agent then gives no tries left)? Then scm_card_check can
     * ask whether it still holds the PIN; a card that answers 63Cx anyway
     * is trusted until a reset. */
    struct scm_cred now[SCM_CRED_MAX];
    size_t n = 0;
    c->pin_reported = false;
    if (txn_begin(c, NULL) == SCM_OK) {
        c->pin_reported = c->ops->creds &&
                          c->ops->creds(c->state, now, SCM_CRED_MAX, &n, NULL) == SCM_OK && n > 0 &&
                          now[0].verified && now[0].tries_left < 0;
        /* The listing as the PIN shows it (what it guards, read now): what
         * scm_card_check compares the card with. */
        (void)refresh(c, NULL);
        txn_end(c);
    }
    return SCM_OK;
}

/* Another program's reset ended every verification on the card, whatever
 * this handle believed: close the private area again (the card would
 * refuse it with 6982 anyway) and keep the fact for scm_card_check. */
static void note_reset(struct scm_card *c)
{
    unsigned now = scm_rd_conn_resets(c->conn);
    if (now == c->resets)
        return;
    c->resets = now;
    if (c->pin_ok && !pinless(c))
        c->reset_seen = true;
    c->pin_ok = pinless(c);
    for (size_t i = 0; i < c->n_creds; i++)
        c->creds[i].verified = false;
    /* The card lost its selected application too: the agent binds to it
     * again (the old state holds nothing the card still has). */
    void *fresh = NULL;
    if (c->ops->attach && c->ops->attach(scm_rd_tx(c->conn), &fresh, NULL) == SCM_OK) {
        if (c->ops->detach)
            c->ops->detach(c->state);
        c->state = fresh;
    }
}

#define RESET_LOST                                                                                 \
    "Another program reset the card in '%s', which ended its PIN verification: give the PIN "      \
    "again."
#define PIN_GONE                                                                                   \
    "The card in '%s' no longer holds the verified PIN (another program used it): give the PIN "   \
    "again."

/* Another credential (an admin PIN, a management key), with the PIN's
 * rules where the card counts tries. */
int card_real_verify(struct scm_card *c, unsigned cred, const uint8_t *secret, size_t len,
                     struct scm_detail *d)
{
    int tries = -1, rc;
    if (cred >= c->n_creds || !c->ops->verify)
        return scm_fail(d, SCM_E_NOT_SUPPORTED, "The card in '%s' has no credential %u.", c->name,
                        cred + 1);
    struct scm_cred *cr = &c->creds[cred];
    if (cr->tries_left == 0)
        return scm_fail(d, SCM_E_PIN_BLOCKED, "The %s of the card in '%s' is blocked.", cr->label,
                        c->name);
    if (cr->tries_left == 1 && !c->allow_last_try)
        return scm_fail(d, SCM_E_PIN_LAST_TRY,
                        "Only one try of the %s is left on the card in '%s': confirm to use it "
                        "(--force-last-try on the command line).",
                        cr->label, c->name);
    if ((rc = txn_begin(c, d)) < 0)
        return rc;
    note_reset(c); /* a reset before this verification is not one after it */
    rc = scm_rd_conn_why(c->conn, c->ops->verify(c->state, cred, secret, len, &tries, d), d);
    txn_end(c);
    if (tries >= 0)
        cr->tries_left = tries;
    cr->verified = rc == SCM_OK;
    if (rc == SCM_E_BAD_PIN && tries >= 0)
        return scm_fail(d, rc, "Wrong %s for the card in '%s': %d %s left.", cr->label, c->name,
                        tries, tries == 1 ? "try" : "tries");
    return rc;
}

static int refresh(struct scm_card *c, struct scm_detail *d)
{
    free(c->aobjs);
    c->aobjs = NULL;
    c->n_aobjs = 0;
    if (!c->ops->list)
        return SCM_OK;
    return c->ops->list(c->state, &c->aobjs, &c->n_aobjs, d);
}

/* Ids are positions in the agent's listing, plus one: stable until the
 * next change, like a VSC listing. A locked card lists its public area. */
int card_real_list(struct scm_card *c)
{
    int rc = txn_begin(c, NULL);
    if (rc < 0)
        return rc;
    rc = refresh(c, NULL);
    txn_end(c);
    if (rc < 0)
        return rc;
    c->objs = calloc(c->n_aobjs ? c->n_aobjs : 1, sizeof(*c->objs));
    if (!c->objs)
        return SCM_E_NOMEM;
    for (int a = 0; a < SCM_AREA_COUNT; a++)
        for (size_t i = 0; i < c->n_aobjs; i++) {
            const struct scm_object *ao = &c->aobjs[i];
            struct scm_obj_info *o;
            if (!ao->present || (int)scm_obj_area(ao) != a || (a != SCM_AREA_PUBLIC && !c->pin_ok))
                continue;
            o = &c->objs[c->n_objs++];
            o->id = (uint32_t)i + 1;
            o->type = ao->type;
            o->area = scm_obj_area(ao);
            o->label = ao->label;
            o->size = ao->size;
            o->src_path = ao->ref.s;
            o->group = ao->group;
            o->src_attrs = ao->attrs;
            o->src_attrs_len = ao->attrs_len;
            o->sealed = scm_obj_sealed(ao);
            /* Read from the card, which guards its own files: no file
             * stands in between that someone could have edited. */
            o->verified = true;
        }
    return SCM_OK;
}

static const struct scm_object *by_id(struct scm_card *c, uint32_t id)
{
    if (!c->aobjs) {
        const struct scm_obj_info *o;
        size_t n;
        if (scm_card_list(c, &o, &n) < 0)
            return NULL;
    }
    if (id == 0 || id > c->n_aobjs)
        return NULL;
    return &c->aobjs[id - 1];
}

int card_real_read(struct scm_card *c, uint32_t id, uint8_t **data, size_t *len,
                   struct scm_detail *d)
{
    const struct scm_object *o = by_id(c, id);
    int rc;
    if (!o)
        return SCM_E_NOT_FOUND;
    if (scm_obj_sealed(o))
        return scm_fail(d, SCM_E_NOT_EXPORTABLE,
                        "'%s' cannot be copied: the card never releases private keys.", o->label);
    /* The API keeps the private area closed until the PIN was verified,
     * also on cards that do not enforce it themselves. */
    if (scm_obj_area(o) != SCM_AREA_PUBLIC && !c->pin_ok)
        return SCM_E_CARD_LOCKED;
    if (!c->ops->read)
        return SCM_E_NOT_SUPPORTED;
    bool was_ok = c->pin_ok;
    if ((rc = txn_begin(c, d)) < 0) {
        note_reset(c);
        return rc;
    }
    note_reset(c);
    if (was_ok && !c->pin_ok && scm_obj_area(o) != SCM_AREA_PUBLIC) {
        txn_end(c);
        c->reset_seen = false; /* said here: scm_card_check need not say it again */
        return scm_fail(d, SCM_E_CARD_LOCKED, RESET_LOST, c->name);
    }
    rc = scm_rd_conn_why(c->conn, c->ops->read(c->state, o, data, len, d), d);
    txn_end(c);
    note_reset(c);
    if (rc == SCM_E_CARD_LOCKED && was_ok && !c->pin_ok) {
        c->reset_seen = false; /* said here: scm_card_check need not say it again */
        return scm_fail(d, rc, RESET_LOST, c->name);
    }
    if (rc == SCM_E_CARD_LOCKED && was_ok && scm_obj_area(o) != SCM_AREA_PUBLIC &&
        o->read_cred == 0) {
        /* The card refuses what the PIN opened: it no longer holds it
         * (another program's wrong PIN, on a card that does not report
         * its PIN state to an empty VERIFY). */
        c->pin_ok = false;
        if (c->n_creds > 0)
            c->creds[0].verified = false;
        return scm_fail(d, rc, PIN_GONE, c->name);
    }
    return rc;
}

/* Two listings of the same card: the same objects in the same places? A
 * replace on scmgr's layout writes a new file (a new reference), so a
 * content change shows as a change of place too. */
static bool same_object(const struct scm_object *a, const struct scm_object *b)
{
    return a->cls == b->cls && a->type == b->type && strcmp(a->label, b->label) == 0 &&
           strcmp(a->ref.s, b->ref.s) == 0 && a->size == b->size && a->present == b->present &&
           a->read_cred == b->read_cred && a->write_cred == b->write_cred &&
           a->id_len == b->id_len && memcmp(a->id, b->id, a->id_len) == 0 &&
           a->attrs_len == b->attrs_len && memcmp(a->attrs, b->attrs, a->attrs_len) == 0;
}

static bool same_objects(const struct scm_object *a, size_t na, const struct scm_object *b,
                         size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!same_object(&a[i], &b[i]))
            return false;
    return true;
}

/* Does the card still hold the verified PIN? now[0..n) is what the agent
 * says of the credentials (asked without spending a try); a card that
 * answers an empty VERIFY with 9000 while the PIN is verified
 * (pin_reported) has lost it when it gives tries left instead. Other
 * cards are trusted until a reset. */
static void pin_state(struct scm_card *c, const struct scm_cred *now, size_t n, unsigned *what)
{
    if (n == 0 || !c->pin_ok || !c->pin_reported)
        return;
    if (!now[0].verified && now[0].tries_left >= 0) {
        c->pin_ok = false; /* e.g. another program's wrong PIN */
        c->ainfo.pin_tries = now[0].tries_left;
        if (c->n_creds > 0) {
            c->creds[0].verified = false;
            c->creds[0].tries_left = now[0].tries_left;
        }
        *what |= SCM_CARD_PIN_LOST;
    }
}

/* The agent caches what it listed; another program that wrote to the card
 * since made that stale. An agent with `changed` says so itself (a cheap
 * look at its generation). For the others whose only credential is the
 * PIN (which this handle tracks itself) the card is read again on a
 * fresh agent state on the same connection, credentials first (so that
 * what a verified PIN opens is listed as before), and that state replaces
 * the old one only when the card did change: the old one may hold what an
 * agent keeps of a credential, so the credentials then are as the fresh
 * state sees them. Either way a stale cache never makes our next write
 * overwrite the other program's. Inside the caller's transaction. */
static int check_locked(struct scm_card *c, unsigned *what, struct scm_detail *d)
{
    struct scm_tx *tx = scm_rd_tx(c->conn);
    struct scm_object *objs = NULL;
    struct scm_cred now[SCM_CRED_MAX];
    struct scm_agent_info ai;
    void *fresh = NULL;
    size_t n = 0, ncred = 0;
    int rc = SCM_OK;

    *what = 0;
    note_reset(c);
    if (c->ops->changed) {
        if ((rc = c->ops->changed(c->state, d)) < 0)
            goto out;
        if (rc == 1) {
            if ((rc = refresh(c, d)) < 0)
                goto out;
            *what |= SCM_CARD_CHANGED;
        }
        rc = SCM_OK;
        if (c->pin_ok && c->pin_reported && c->ops->creds &&
            c->ops->creds(c->state, now, SCM_CRED_MAX, &ncred, NULL) == SCM_OK)
            pin_state(c, now, ncred, what);
        goto reset;
    }
    /* A fresh state knows nothing of what the old one holds of a
     * credential other than the PIN (a PIV management key): for such
     * cards only the agent's own `changed` can tell, without losing it. */
    if (!c->ops->attach || !c->ops->list || c->n_creds > 1)
        goto reset;
    if ((rc = c->ops->attach(tx, &fresh, d)) < 0) {
        fresh = NULL;
        goto out;
    }
    if (c->ops->creds && c->ops->creds(fresh, now, SCM_CRED_MAX, &ncred, NULL) < 0)
        ncred = 0;
    if ((rc = c->ops->list(fresh, &objs, &n, d)) < 0)
        goto out;
    memset(&ai, 0, sizeof(ai));
    if (c->ops->info && (rc = c->ops->info(fresh, &ai, d)) < 0)
        goto out;
    pin_state(c, now, ncred, what);
    if (same_objects(objs, n, c->aobjs, c->n_aobjs))
        goto reset;
    *what |= SCM_CARD_CHANGED;
    free(c->aobjs);
    c->aobjs = objs;
    c->n_aobjs = n;
    objs = NULL;
    ai.pin_tries = c->ainfo.pin_tries;
    c->ainfo = ai;
    if (c->ops->detach)
        c->ops->detach(c->state);
    c->state = fresh;
    fresh = NULL;
    for (size_t i = 1; i < ncred && i < c->n_creds; i++)
        c->creds[i].verified = now[i].verified;
reset:
    note_reset(c);
    if (c->reset_seen) {
        c->reset_seen = false;
        *what |= SCM_CARD_PIN_LOST | SCM_CARD_WAS_RESET;
    }
out:
    if (fresh && c->ops->detach)
        c->ops->detach(fresh);
    free(objs);
    return scm_rd_conn_why(c->conn, rc, d);
}

int card_real_check(struct scm_card *c, unsigned *what, struct scm_detail *d)
{
    int rc;
    *what = 0;
    if ((rc = txn_begin(c, d)) < 0) {
        note_reset(c);
        return rc;
    }
    rc = check_locked(c, what, d);
    txn_end(c);
    return rc;
}

/* A change starts with a transaction that lasts until it is written, and
 * with the card's objects as they are now: no other program can change
 * them between the look and the write. A PIN the card lost is needed
 * again. On success the transaction is open: the caller ends it. */
static int begin_change(struct scm_card *c, struct scm_detail *d)
{
    unsigned what = 0;
    int rc = txn_begin(c, d);
    if (rc < 0) {
        note_reset(c);
        return rc;
    }
    if (!c->batch_checked)
        rc = check_locked(c, &what, d);
    if (rc == SCM_OK && (what & SCM_CARD_PIN_LOST) && c->ainfo.write_cred == 0)
        rc = scm_fail(d, SCM_E_CARD_LOCKED, (what & SCM_CARD_WAS_RESET) ? RESET_LOST : PIN_GONE,
                      c->name);
    if (rc == SCM_OK)
        rc = need_pin(c, d);
    if (rc < 0)
        txn_end(c);
    return rc;
}

void card_real_batch_begin(struct scm_card *c)
{
    unsigned what;
    if (txn_begin(c, NULL) < 0) {
        note_reset(c);
        return;
    }
    if (c->batch++ > 0)
        return;
    /* A PIN the card lost: not checked, so the first write says so. */
    c->batch_checked = check_locked(c, &what, NULL) == SCM_OK && !(what & SCM_CARD_PIN_LOST);
}

void card_real_batch_end(struct scm_card *c)
{
    if (c->batch == 0)
        return;
    if (--c->batch == 0)
        c->batch_checked = false;
    txn_end(c);
}

/* Every change of a card needs the credential its agent names (the PIN
 * on scmgr's layout, doc/card-layout.md; a PIV card's management key);
 * the API says so before any APDU. */
static int need_pin(const struct scm_card *c, struct scm_detail *d)
{
    int w = c->ainfo.write_cred;
    if (w < 0)
        return SCM_OK;
    if (w == 0 ? c->pin_ok : (size_t)w < c->n_creds && c->creds[w].verified)
        return SCM_OK;
    return scm_fail(d, SCM_E_CARD_LOCKED, "Changing the card in '%s' needs its %s.", c->name,
                    w == 0 || (size_t)w >= c->n_creds ? "PIN"
                                                      : scm_cred_kind_name(c->creds[w].kind));
}

int card_real_write(struct scm_card *c, const struct scm_obj_new *o, bool replace,
                    struct scm_detail *d)
{
    int rc = need_pin(c, d);
    if (rc < 0)
        return rc;
    if (!c->ops->write)
        return SCM_E_NOT_SUPPORTED;
    /* A source path is the object's reference on a card it came from:
     * the place a restore onto the same card type asks for. */
    struct scm_agent_put p = {.obj = o};
    if (o->src_path)
        snprintf(p.ref.s, sizeof(p.ref.s), "%s", o->src_path);
    if ((rc = begin_change(c, d)) < 0)
        return rc;
    rc = scm_rd_conn_why(c->conn, c->ops->write(c->state, &p, replace, d), d);
    /* Counts in the card's info come from the agent's listing: renew it. */
    if (rc == SCM_OK)
        (void)refresh(c, NULL);
    txn_end(c);
    return rc;
}

int card_real_delete(struct scm_card *c, uint32_t id, struct scm_detail *d)
{
    const struct scm_object *o = by_id(c, id);
    struct scm_object gone;
    int rc;
    if (!o)
        return SCM_E_NOT_FOUND;
    if ((rc = need_pin(c, d)) < 0)
        return rc;
    if (!c->ops->remove)
        return SCM_E_NOT_SUPPORTED;
    /* The listing goes away with the change (and with a change another
     * program made, which begin_change finds): keep the object. */
    gone = *o;
    if ((rc = begin_change(c, d)) < 0)
        return rc;
    rc = scm_rd_conn_why(c->conn, c->ops->remove(c->state, &gone, d), d);
    if (rc == SCM_OK)
        (void)refresh(c, NULL);
    txn_end(c);
    return rc;
}

int card_real_place(struct scm_card *c, const struct scm_obj_new *o,
                    const struct scm_obj_ref *taken, size_t n_taken, char *ref, size_t cap,
                    struct scm_detail *why)
{
    struct scm_agent_put p = {.obj = o, .taken = taken, .n_taken = n_taken};
    struct scm_obj_ref r = {{0}};
    int rc;
    if (o->src_path)
        snprintf(p.ref.s, sizeof(p.ref.s), "%s", o->src_path);
    if (!c->ops->place) {
        /* No rules of its own: a card like scmgr's layout takes anything. */
        snprintf(ref, cap, "%s", p.ref.s);
        return c->ops->write ? SCM_OK
                             : scm_fail(why, SCM_E_NOT_SUPPORTED,
                                        "The card in '%s' cannot be written.", c->name);
    }
    if ((rc = txn_begin(c, why)) < 0)
        return rc;
    rc = scm_rd_conn_why(c->conn, c->ops->place(c->state, &p, &r, why), why);
    txn_end(c);
    snprintf(ref, cap, "%s", r.s);
    return rc;
}

int scm_card_init(const struct scm_card_ctx *ctx, const char *reader, const struct scm_card_init *p,
                  struct scm_detail *d)
{
    const struct scm_rd_info *rl;
    const struct scm_agent_ops *ops = NULL;
    struct scm_rd_conn *conn = NULL;
    struct scm_agent_init ai;
    size_t n, idx;
    int rc;

    if (!ctx || !ctx->readers || !p)
        return SCM_E_INVAL;
    if (p->agent) {
        ops = scm_agency_by_name(p->agent);
    } else {
        for (size_t i = 0; scm_agents[i] && !ops; i++)
            if (scm_agents[i]->init_card)
                ops = scm_agents[i];
    }
    if (!ops || !ops->init_card)
        return scm_fail(d, SCM_E_NOT_SUPPORTED, "No card agent can initialise this kind of card.");
    if ((rc = scm_rd_list(ctx->readers, &rl, &n, d)) < 0 ||
        (rc = scm_rd_find(ctx->readers, reader, &idx, d)) < 0 ||
        (rc = scm_rd_connect(ctx->readers, rl[idx].name, &conn, d)) < 0)
        return rc;
    memset(&ai, 0, sizeof(ai));
    ai.label = p->label;
    ai.serial = p->serial;
    ai.pin = p->pin;
    ai.pin_len = p->pin_len;
    rc = scm_rd_conn_why(conn, ops->init_card(scm_rd_tx(conn), &ai, d), d);
    scm_rd_disconnect(conn);
    return rc;
}

/* A swap is seen as the card leaving and a card arriving; pcscd's event
 * counter catches a swap made faster than we looked (two events). */
int scm_card_wait_swap(const struct scm_card_ctx *ctx, const char *reader, unsigned timeout_ms,
                       struct scm_detail *d)
{
    unsigned start = 0;
    bool have_start = false, seen_empty = false;
    struct timespec t0, now;
    int rc;

    if (!ctx || !ctx->readers)
        return SCM_E_INVAL;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        const struct scm_rd_info *rl;
        const struct scm_rd_info *r = NULL;
        size_t n;
        if ((rc = scm_rd_list(ctx->readers, &rl, &n, d)) < 0)
            return rc;
        for (size_t i = 0; i < n && !r; i++)
            if (strcmp(rl[i].name, reader) == 0)
                r = &rl[i];
        if (!r)
            return scm_fail(d, SCM_E_NO_READER, "The reader '%s' went away.", reader);
        if (!have_start) {
            start = r->events;
            have_start = true;
        }
        seen_empty |= r->state == SCM_RD_EMPTY;
        if (r->state != SCM_RD_EMPTY && (seen_empty || r->events - start >= 2))
            return SCM_OK;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long spent = (now.tv_sec - t0.tv_sec) * 1000LL + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (spent >= (long long)timeout_ms)
            return scm_fail(d, SCM_E_NO_CARD, "No other card was inserted in '%s' within %u s.",
                            reader, timeout_ms / 1000);
        if ((rc = scm_rd_wait(ctx->readers, timeout_ms - (unsigned)spent, d)) < 0)
            return rc;
    }
}
