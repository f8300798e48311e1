/* The ISO 7816-4 card agent with scmgr's object layout
 * (doc/card-layout.md): binding to a card, reading, the PIN. Writing is in
 * iso_write.c, initialisation in iso_init.c, the index codec in
 * iso_index.c, the commands in iso_cmd.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iso_int.h"

/* ---- Shared helpers ---------------------------------------------------------- */

void scm_iso_obj_path(uint8_t area, uint16_t fid, char *out, size_t cap)
{
    snprintf(out, cap, "3F00/%04X/%04X/%04X", ISO_FID_APP, scm_iso_area_df(area), fid);
}

int scm_iso_pin_ok(const char *pin, size_t len, struct scm_detail *d)
{
    if (!pin || len < ISO_PIN_MIN || len > ISO_PIN_MAX || memchr(pin, 0, len))
        return scm_fail(d, SCM_E_BAD_PIN_FORMAT, "A card PIN is %d to %d characters.", ISO_PIN_MIN,
                        ISO_PIN_MAX);
    return SCM_OK;
}

/* ---- Loading the layout ------------------------------------------------------- */

/* Read one of the application's own EFs: by SFI (no SELECT), falling back
 * to a SELECT by path when the card does not take SFIs, then the rest if
 * the index header says it is longer than one response. *sw is the SW
 * that ended the read (9000 on success). */
static int read_meta(struct scm_tx *tx, uint8_t sfi, uint16_t fid, uint8_t *buf, size_t cap,
                     bool is_index, size_t *got, uint16_t *sw)
{
    int rc = scm_iso_read_sfi(tx, sfi, buf, cap, got, sw);
    if (rc < 0)
        return rc;
    bool selected = false;
    if (*sw != 0x9000 && *sw != 0x6282) {
        uint16_t path[2] = {ISO_FID_APP, fid};
        rc = scm_iso_select_path(tx, path, 2, sw);
        if (rc < 0 || *sw != 0x9000)
            return rc;
        selected = true;
        size_t first = cap < 256 ? cap : 256;
        rc = scm_iso_read_all(tx, 0, buf, first, got, sw);
        if (rc < 0 || (*sw != 0x9000 && *sw != 0x6282))
            return rc;
    }
    *sw = 0x9000;
    size_t total;
    if (!is_index || scm_iso_index_peek(buf, *got, &total) != SCM_OK || total <= *got ||
        total > cap)
        return SCM_OK;
    if (!selected) {
        uint16_t path[2] = {ISO_FID_APP, fid};
        rc = scm_iso_select_path(tx, path, 2, sw);
        if (rc < 0 || *sw != 0x9000)
            return rc;
    }
    size_t more = 0;
    rc = scm_iso_read_all(tx, *got, buf + *got, total - *got, &more, sw);
    *got += more;
    if (rc == SCM_OK && *sw == 0x6282)
        *sw = 0x9000; /* short: the decoder reports it */
    return rc;
}

int scm_iso_load(struct iso_state *st, struct scm_detail *d)
{
    static const uint8_t sfis[2] = {ISO_SFI_INDEX_A, ISO_SFI_INDEX_B};
    static const uint16_t fids[2] = {ISO_FID_INDEX_A, ISO_FID_INDEX_B};
    uint8_t *buf = malloc(ISO_INDEX_SIZE);
    struct iso_index ix[2] = {{0}};
    int res[2] = {SCM_E_NOT_FOUND, SCM_E_NOT_FOUND};
    struct scm_detail why[2] = {{{0}}};
    size_t got;
    uint16_t sw;
    int rc = SCM_E_NOMEM;
    if (!buf)
        goto out;

    rc = read_meta(st->tx, ISO_SFI_INFO, ISO_FID_INFO, buf, ISO_INFO_SIZE, false, &got, &sw);
    if (rc < 0)
        goto out;
    /* Damaged card info costs the label, not the objects. */
    st->ci_ok = sw == 0x9000 && scm_iso_info_decode(buf, got, &st->ci) == SCM_OK;

    for (int s = 0; s < 2; s++) {
        memset(buf, 0, ISO_INDEX_SIZE);
        rc = read_meta(st->tx, sfis[s], fids[s], buf, ISO_INDEX_SIZE, true, &got, &sw);
        if (rc < 0)
            goto out;
        if (sw == 0x6A82) {
            res[s] = SCM_E_NOT_FOUND; /* never created: an interrupted init */
        } else if (sw != 0x9000) {
            res[s] = scm_fail(&why[s], SCM_E_CARD_LAYOUT,
                              "The card answered %04X to reading the object index.", sw);
        } else {
            res[s] = scm_iso_index_decode(buf, got, &ix[s], &why[s]);
            if (res[s] == SCM_E_NOMEM) {
                rc = SCM_E_NOMEM;
                goto out;
            }
        }
    }
    int pick = -1;
    for (int s = 0; s < 2; s++)
        if (res[s] == SCM_OK && (pick < 0 || ix[s].generation > ix[pick].generation))
            pick = s;
    scm_iso_index_free(&st->ix);
    st->blank = false;
    if (pick >= 0) {
        st->ix = ix[pick];
        memset(&ix[pick], 0, sizeof(ix[pick]));
        st->slot = pick;
        rc = SCM_OK;
    } else if (res[0] == SCM_E_NOT_FOUND && res[1] == SCM_E_NOT_FOUND) {
        st->blank = true;
        st->slot = 1; /* so that init's first index goes to slot A */
        rc = SCM_OK;
    } else {
        rc = scm_fail(d, SCM_E_CARD_LAYOUT, "Both copies of the object index are unusable: %s",
                      res[0] != SCM_E_NOT_FOUND ? why[0].text : why[1].text);
    }
out:
    scm_iso_index_free(&ix[0]);
    scm_iso_index_free(&ix[1]);
    free(buf);
    if (rc == SCM_E_NOMEM)
        scm_fail(d, rc, "Out of memory while reading the card's object index.");
    return rc;
}

/* Select the application and load it; a card without it but with an MF
 * is a blank ISO 7816-4 card. */
static int open_app(struct iso_state *st, struct scm_detail *d)
{
    uint16_t sw;
    int rc = scm_iso_select_scm(st->tx, &sw);
    if (rc < 0)
        return scm_fail_because(d, rc, "Selecting the scmgr application failed");
    if (sw == 0x9000)
        return scm_iso_load(st, d);
    rc = scm_iso_select_mf(st->tx, &sw);
    if (rc < 0)
        return scm_fail_because(d, rc, "Selecting the card's master file failed");
    if (sw != 0x9000)
        return scm_fail(d, SCM_E_NO_AGENT,
                        "The card has no ISO 7816-4 file system (SELECT MF answered %04X).", sw);
    scm_iso_index_free(&st->ix);
    st->blank = true;
    st->ci_ok = false;
    return SCM_OK;
}

/* Make the cached index trustworthy before an operation: after an
 * interrupted write the card may hold either index generation. */
int scm_iso_fresh(struct iso_state *st, struct scm_detail *d)
{
    if (st->stale) {
        int rc = open_app(st, d);
        if (rc < 0)
            return rc;
        st->stale = false;
    }
    if (st->blank)
        return scm_fail(d, SCM_E_CARD_BLANK, "The card has no scmgr object layout yet.");
    return SCM_OK;
}

/* ---- Operations --------------------------------------------------------------- */

static int iso_match_atr(const uint8_t *atr, size_t len)
{
    (void)atr;
    (void)len;
    return 0; /* any ISO 7816-4 card may carry the layout: ask the card */
}

static int iso_probe(struct scm_tx *tx)
{
    uint16_t sw;
    int rc = scm_tx_begin(tx);
    if (rc < 0)
        return rc;
    rc = scm_iso_select_scm(tx, &sw);
    scm_tx_end(tx);
    if (rc < 0)
        return rc;
    return sw == 0x9000;
}

static int iso_attach(struct scm_tx *tx, void **state, struct scm_detail *d)
{
    struct iso_state *st = calloc(1, sizeof(*st));
    if (!st)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    st->tx = tx;
    st->tries = -1;
    int rc = scm_tx_begin(tx);
    if (rc < 0) {
        free(st);
        return scm_fail_because(d, rc, "The card could not be reserved for scmgr");
    }
    rc = open_app(st, d);
    scm_tx_end(tx);
    if (rc < 0) {
        scm_iso_index_free(&st->ix);
        free(st);
        return rc;
    }
    *state = st;
    return SCM_OK;
}

static void iso_detach(void *state)
{
    struct iso_state *st = state;
    if (!st)
        return;
    scm_iso_index_free(&st->ix);
    free(st);
}

static int iso_info(void *state, struct scm_agent_info *out, struct scm_detail *d)
{
    const struct iso_state *st = state;
    memset(out, 0, sizeof(*out));
    if (st->ci_ok) {
        snprintf(out->label, sizeof(out->label), "%s", st->ci.label);
        snprintf(out->serial, sizeof(out->serial), "%s", st->ci.serial);
    }
    snprintf(out->type, sizeof(out->type), "%s",
             st->blank ? "ISO 7816-4 file system (no scmgr layout)"
                       : "ISO 7816-4 file system (scmgr layout 1)");
    out->blank = st->blank;
    out->pin_tries = st->tries;
    out->write_cred = 0; /* the layout's access conditions: every change needs the PIN */
    return SCM_OK;
}

/* The layout's areas are its structure: public objects for anyone,
 * private ones behind the PIN (credential 0), secret-area keys never
 * released. Every change needs the PIN. */
static void fill_obj(const struct iso_entry *e, struct scm_object *o)
{
    static const char *const groups[SCM_AREA_COUNT] = {"Public area (DF 5C01)",
                                                       "Private area (DF 5C02)", "Secret key area"};
    memset(o, 0, sizeof(*o));
    snprintf(o->label, sizeof(o->label), "%s", e->label);
    o->type = (enum scm_obj_type)e->type;
    o->cls = scm_obj_type_class(o->type);
    o->size = e->size;
    o->present = true;
    o->read_cred = e->area == SCM_AREA_PUBLIC    ? SCM_CRED_NONE
                   : e->area == SCM_AREA_PRIVATE ? 0
                                                 : SCM_CRED_NEVER;
    o->write_cred = 0;
    o->key.extractable = (e->flags & ISO_FLAG_NOT_EXPORTABLE) == 0;
    snprintf(o->group, sizeof(o->group), "%s", groups[e->area % SCM_AREA_COUNT]);
    scm_iso_obj_path(e->area, e->fid, o->ref.s, sizeof(o->ref.s));
    /* The FCP the file was created with (the layout fixes it), rather than
     * one SELECT with P2=04 per object just to list them. */
    o->attrs_len =
        scm_iso_fcp(ISO_FCP_OBJ, e->fid, 0, e->size, e->area, o->attrs, sizeof(o->attrs));
}

static int iso_list(void *state, struct scm_object **objs, size_t *n, struct scm_detail *d)
{
    struct iso_state *st = state;
    *objs = NULL;
    *n = 0;
    int rc = SCM_OK;
    if (st->stale) {
        rc = scm_tx_begin(st->tx);
        if (rc < 0)
            return scm_fail_because(d, rc, "The card could not be reserved for scmgr");
        rc = scm_iso_fresh(st, d);
        scm_tx_end(st->tx);
    } else {
        rc = scm_iso_fresh(st, d);
    }
    if (rc < 0)
        return rc;
    struct scm_object *out = calloc(st->ix.n ? st->ix.n : 1, sizeof(*out));
    if (!out)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    size_t k = 0;
    for (size_t i = 0; i < st->ix.n; i++)
        if (st->ix.e[i].type != ISO_TYPE_TRASH)
            fill_obj(&st->ix.e[i], &out[k++]);
    *objs = out;
    *n = k;
    return SCM_OK;
}

static int read_entry(struct iso_state *st, const struct iso_entry *e, uint8_t *buf,
                      struct scm_detail *d)
{
    char path[SCM_SRC_PATH_MAX], why[200];
    uint16_t sw;
    scm_iso_obj_path(e->area, e->fid, path, sizeof(path));
    uint16_t p[3] = {ISO_FID_APP, scm_iso_area_df(e->area), e->fid};
    int rc = scm_iso_select_path(st->tx, p, 3, &sw);
    if (rc == SCM_OK && sw == 0x6A82)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "The index names %s for '%s', but it is missing.",
                        path, e->label);
    if (rc < 0 || sw != 0x9000) {
        rc = scm_iso_step_err(rc, sw, "SELECT", why, sizeof(why));
        return scm_fail(d, rc, "Reading '%s' from %s failed (%s).", e->label, path, why);
    }
    size_t got = 0;
    rc = scm_iso_read_all(st->tx, 0, buf, e->size, &got, &sw);
    if (rc == SCM_OK && sw == 0x6982)
        return scm_fail(d, SCM_E_CARD_LOCKED, "Reading '%s' needs the PIN.", e->label);
    if (rc < 0 || (sw != 0x9000 && sw != 0x6282)) {
        rc = scm_iso_step_err(rc, sw, "READ BINARY", why, sizeof(why));
        return scm_fail(d, rc, "Reading '%s' from %s failed (%s).", e->label, path, why);
    }
    if (got != e->size)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "%s holds %zu bytes, the index says %u for '%s'.",
                        path, got, (unsigned)e->size, e->label);
    if (scm_iso_crc32(buf, got) != e->crc)
        return scm_fail(d, SCM_E_CARD_LAYOUT,
                        "The content of '%s' in %s does not match its checksum in the index.",
                        e->label, path);
    return SCM_OK;
}

static int iso_read(void *state, const struct scm_object *o, uint8_t **data, size_t *len,
                    struct scm_detail *d)
{
    struct iso_state *st = state;
    *data = NULL;
    *len = 0;
    int rc = scm_tx_begin(st->tx);
    if (rc < 0)
        return scm_fail_because(d, rc, "The card could not be reserved for scmgr");
    uint8_t *buf = NULL;
    rc = scm_iso_fresh(st, d);
    if (rc < 0)
        goto out;
    long i = scm_iso_index_find(&st->ix, o->label);
    if (i < 0) {
        rc = scm_fail(d, SCM_E_NOT_FOUND, "The card has no object '%s'.", o->label);
        goto out;
    }
    const struct iso_entry *e = &st->ix.e[i];
    if (e->flags & ISO_FLAG_NOT_EXPORTABLE) {
        rc =
            scm_fail(d, SCM_E_NOT_EXPORTABLE, "'%s' cannot be copied: the card never releases private keys.", e->label);
        goto out;
    }
    buf = scm_secure_alloc(e->size ? e->size : 1);
    if (!buf) {
        rc = scm_fail(d, SCM_E_NOMEM, "Out of memory.");
        goto out;
    }
    rc = read_entry(st, e, buf, d);
    if (rc < 0)
        goto out;
    *data = buf;
    *len = e->size;
    buf = NULL;
out:
    scm_secure_free(buf, 0);
    scm_tx_end(st->tx);
    return rc;
}

/* ---- The PIN ------------------------------------------------------------------ */

static int pin_result(struct iso_state *st, uint16_t sw, int *tries_left, const char *what,
                      struct scm_detail *d)
{
    int t = -1;
    int rc;
    if (sw == 0x9000) {
        st->verified = true;
        st->tries = -1;
        rc = SCM_OK;
    } else if ((sw & 0xFFF0) == 0x63C0 && (sw & 0x0F) == 0) {
        st->verified = false;
        t = 0;
        rc = scm_fail(d, SCM_E_PIN_BLOCKED, "Wrong PIN; the card has now blocked it.");
    } else if ((sw & 0xFFF0) == 0x63C0 || sw == 0x6300) {
        st->verified = false;
        t = sw == 0x6300 ? -1 : (int)(sw & 0x0F);
        rc = t < 0 ? scm_fail(d, SCM_E_BAD_PIN, "Wrong PIN.")
                   : scm_fail(d, SCM_E_BAD_PIN, "Wrong PIN; %d %s left.", t,
                              t == 1 ? "try" : "tries");
    } else if (sw == 0x6983 || sw == 0x6984) {
        st->verified = false;
        t = 0;
        rc = scm_fail(d, SCM_E_PIN_BLOCKED, "The card's PIN is blocked.");
    } else {
        rc = scm_fail(d, scm_iso_sw_err(sw, NULL), "The card answered %04X to %s.", sw, what);
    }
    st->tries = t;
    if (tries_left)
        *tries_left = t;
    return rc;
}

static int no_cred(unsigned cred, struct scm_detail *d)
{
    return scm_fail(d, SCM_E_NOT_SUPPORTED, "The scmgr layout has one credential, not %u.",
                    cred + 1);
}

static int iso_verify(void *state, unsigned cred, const uint8_t *secret, size_t len,
                      int *tries_left, struct scm_detail *d)
{
    struct iso_state *st = state;
    const char *pin = (const char *)secret;
    uint16_t sw;
    if (tries_left)
        *tries_left = -1;
    if (cred != 0)
        return no_cred(cred, d);
    int rc = scm_iso_pin_ok(pin, len, d);
    if (rc < 0)
        return rc;
    rc = scm_iso_verify(st->tx, ISO_PIN_REF, (const uint8_t *)pin, len, &sw);
    if (rc < 0)
        return scm_fail_because(d, rc, "Sending the PIN to the card failed");
    return pin_result(st, sw, tries_left, "VERIFY", d);
}

static int iso_pin_tries(void *state, int *tries_left, struct scm_detail *d)
{
    struct iso_state *st = state;
    uint16_t sw;
    *tries_left = -1;
    int rc = scm_iso_verify(st->tx, ISO_PIN_REF, NULL, 0, &sw);
    if (rc < 0)
        return scm_fail_because(d, rc, "Asking the card for the PIN tries failed");
    if (sw == 0x9000) {
        st->verified = true; /* the empty VERIFY's answer when already verified */
        return SCM_OK;
    }
    if ((sw & 0xFFF0) == 0x63C0 || sw == 0x6983 || sw == 0x6984) {
        *tries_left = (sw & 0xFFF0) == 0x63C0 ? (int)(sw & 0x0F) : 0;
        st->tries = *tries_left;
        return SCM_OK;
    }
    return scm_fail(d, SCM_E_NOT_SUPPORTED, "The card does not tell the PIN tries left (%04X).",
                    sw);
}

static int iso_change(void *state, unsigned cred, const uint8_t *old, size_t oldlen,
                      const uint8_t *new_secret, size_t newlen, struct scm_detail *d)
{
    struct iso_state *st = state;
    const char *oldpin = (const char *)old, *newpin = (const char *)new_secret;
    uint16_t sw;
    if (cred != 0)
        return no_cred(cred, d);
    int rc = scm_iso_pin_ok(oldpin, oldlen, d);
    if (rc == SCM_OK)
        rc = scm_iso_pin_ok(newpin, newlen, d);
    if (rc < 0)
        return rc;
    rc = scm_iso_change(st->tx, ISO_PIN_REF, (const uint8_t *)oldpin, oldlen,
                        (const uint8_t *)newpin, newlen, &sw);
    if (rc < 0)
        return scm_fail(d, rc, "Changing the PIN failed; it may or may not have changed.");
    return pin_result(st, sw, NULL, "CHANGE REFERENCE DATA", d);
}

/* The layout's one credential: the PIN (reference 81), its tries asked
 * with the empty VERIFY, which spends none. */
static int iso_creds(void *state, struct scm_cred *out, size_t cap, size_t *n,
                     struct scm_detail *d)
{
    struct iso_state *st = state;
    int tries = -1;
    *n = 0;
    if (cap == 0)
        return SCM_OK;
    int rc = iso_pin_tries(st, &tries, d);
    if (rc < 0 && rc != SCM_E_NOT_SUPPORTED)
        return rc;
    memset(out, 0, sizeof(*out));
    out->kind = SCM_CRED_PIN;
    snprintf(out->label, sizeof(out->label), "PIN");
    out->tries_left = tries;
    out->tries_max = -1;
    out->min_len = ISO_PIN_MIN;
    out->max_len = ISO_PIN_MAX;
    out->verified = st->verified;
    out->unblock_by = -1;
    *n = 1;
    return SCM_OK;
}

static int iso_write(void *state, const struct scm_agent_put *p, bool replace,
                     struct scm_detail *d)
{
    return scm_iso_write(state, p->obj, replace, d);
}

static int iso_remove(void *state, const struct scm_object *o, struct scm_detail *d)
{
    return scm_iso_remove(state, o->label, d);
}

const struct scm_agent_ops scm_agent_iso7816 = {
    .name = "iso7816-scm",
    .description = "ISO 7816-4 file-system card with scmgr's object layout",
    .match_atr = iso_match_atr,
    .probe = iso_probe,
    .attach = iso_attach,
    .detach = iso_detach,
    .info = iso_info,
    .list = iso_list,
    .read = iso_read,
    .creds = iso_creds,
    .verify = iso_verify,
    .change = iso_change,
    .write = iso_write,
    .remove = iso_remove,
    .init_card = scm_iso_init_card,
};
