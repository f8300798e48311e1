/* Laying out a blank ISO 7816-4 card (doc/card-layout.md, "Initialising
 * a blank card"). Resumable: a file that exists already (6A89/6A8A) is
 * the work of an interrupted earlier run. The empty index is the commit
 * point; the PIN change comes after it. */
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "iso_int.h"

#define WHY_MAX 200

struct init_run {
    struct scm_tx *tx;
    const char *step; /* what is being done, for the detail sentence */
    bool wrote;       /* something was created or written */
    bool final;       /* the index, the commit point, is being written */
    char why[WHY_MAX];
};

static int fail_at(struct init_run *r, int rc, uint16_t sw, struct scm_detail *d)
{
    rc = scm_iso_step_err(rc, sw, r->step, r->why, sizeof(r->why));
    if (!r->wrote)
        return scm_fail(d, rc, "Nothing was written to the card: %s.", r->why);
    if (r->final)
        return scm_fail(d, rc,
                        "Initialisation was interrupted at its last step (%s): the card "
                        "is either initialised or partly initialised; if it still shows "
                        "as blank, run init again.",
                        r->why);
    return scm_fail(d, rc,
                    "Initialisation stopped (%s): the card is partly initialised and "
                    "lists no objects; run init again to complete it.",
                    r->why);
}

static int select_path2(struct init_run *r, uint16_t a, uint16_t b, size_t n, uint16_t *sw)
{
    uint16_t p[2] = {a, b};
    return scm_iso_select_path(r->tx, p, n, sw);
}

/* CREATE FILE; an existing file is selected instead, so that either way
 * the file is current afterwards, as after a successful CREATE. */
static int create(struct init_run *r, enum iso_fcp_kind kind, uint16_t fid, uint8_t sfi,
                  size_t size, struct scm_detail *d)
{
    uint8_t fcp[64];
    uint16_t sw;
    size_t fl = scm_iso_fcp(kind, fid, sfi, size, SCM_AREA_PUBLIC, fcp, sizeof(fcp));
    r->step = "CREATE FILE";
    int rc = scm_iso_create(r->tx, fcp, fl, &sw);
    if (rc == SCM_OK && sw == 0x9000) {
        r->wrote = true;
        return SCM_OK;
    }
    if (rc < 0 || (sw != 0x6A89 && sw != 0x6A8A))
        return fail_at(r, rc, sw, d);
    r->step = "SELECT of an existing file";
    if (kind == ISO_FCP_APP)
        rc = select_path2(r, ISO_FID_APP, 0, 1, &sw);
    else if (kind == ISO_FCP_AREA_DF || fid == ISO_FID_INFO)
        rc = select_path2(r, ISO_FID_APP, fid, 2, &sw);
    else
        return SCM_OK; /* the index EFs: written later through a SELECT */
    if (rc < 0 || sw != 0x9000)
        return fail_at(r, rc, sw, d);
    return SCM_OK;
}

static int update(struct init_run *r, const uint8_t *buf, size_t len, struct scm_detail *d)
{
    uint16_t sw;
    size_t done;
    r->step = "UPDATE BINARY";
    int rc = scm_iso_update_all(r->tx, buf, len, false, &done, &sw);
    r->wrote = true;
    if (rc < 0 || sw != 0x9000)
        return fail_at(r, rc, sw, d);
    return SCM_OK;
}

/* Refuse a card that already carries a valid index. */
static int check_existing(struct scm_tx *tx, struct scm_detail *d)
{
    struct iso_state st = {.tx = tx, .tries = -1};
    uint16_t sw;
    int rc = scm_iso_select_scm(tx, &sw);
    if (rc < 0)
        return scm_fail_because(d, rc, "Nothing was written to the card, selecting it failed");
    if (sw != 0x9000)
        return SCM_OK;
    rc = scm_iso_load(&st, NULL);
    scm_iso_index_free(&st.ix);
    if (rc == SCM_OK && !st.blank)
        return scm_fail(d, SCM_E_EXISTS,
                        "The card already carries an scmgr layout with an "
                        "object index; it was left as it is.");
    /* Blank, or both index copies damaged: nothing on the card is
     * reachable, initialising makes it usable again. */
    if (rc < 0 && rc != SCM_E_CARD_LAYOUT)
        return scm_fail_because(d, rc, "Nothing was written to the card, reading it failed");
    return SCM_OK;
}

static int layout(struct init_run *r, const struct iso_cardinfo *ci, struct scm_detail *d)
{
    uint8_t buf[ISO_INFO_SIZE];
    size_t len;
    uint16_t sw;
    int rc;
    r->step = "SELECT of the master file";
    rc = scm_iso_select_mf(r->tx, &sw);
    if (rc < 0 || sw != 0x9000)
        return fail_at(r, rc, sw, d);
    if ((rc = create(r, ISO_FCP_APP, ISO_FID_APP, 0, 0, d)) < 0 ||
        (rc = create(r, ISO_FCP_META_EF, ISO_FID_INFO, ISO_SFI_INFO, ISO_INFO_SIZE, d)) < 0)
        return rc;
    if (scm_iso_info_encode(ci, buf, sizeof(buf), &len) < 0)
        return scm_fail(d, SCM_E_LIMIT, "The card label or serial is too long.");
    if ((rc = update(r, buf, len, d)) < 0 ||
        (rc = create(r, ISO_FCP_META_EF, ISO_FID_INDEX_A, ISO_SFI_INDEX_A, ISO_INDEX_SIZE, d)) <
            0 ||
        (rc = create(r, ISO_FCP_META_EF, ISO_FID_INDEX_B, ISO_SFI_INDEX_B, ISO_INDEX_SIZE, d)) <
            0 ||
        (rc = create(r, ISO_FCP_AREA_DF, ISO_FID_PUB, 0, 0, d)) < 0)
        return rc;
    r->step = "SELECT of the application";
    rc = select_path2(r, ISO_FID_APP, 0, 1, &sw);
    if (rc < 0 || sw != 0x9000)
        return fail_at(r, rc, sw, d);
    if ((rc = create(r, ISO_FCP_AREA_DF, ISO_FID_PRIV, 0, 0, d)) < 0)
        return rc;

    /* The commit point: an empty index, generation 1, in slot A. */
    struct iso_index ix = {.generation = 1};
    uint8_t idx[64], back[64];
    size_t got;
    scm_iso_index_encode(&ix, idx, sizeof(idx), &len);
    r->step = "SELECT of the index";
    rc = select_path2(r, ISO_FID_APP, ISO_FID_INDEX_A, 2, &sw);
    if (rc < 0 || sw != 0x9000)
        return fail_at(r, rc, sw, d);
    r->final = true;
    if ((rc = update(r, idx, len, d)) < 0)
        return rc;
    r->step = "READ BINARY of the index";
    rc = scm_iso_read_all(r->tx, 0, back, len, &got, &sw);
    if (rc < 0 || sw != 0x9000 || got != len || memcmp(back, idx, len) != 0)
        return fail_at(r, rc, sw, d);
    return SCM_OK;
}

int scm_iso_init_card(struct scm_tx *tx, const struct scm_agent_init *p, struct scm_detail *d)
{
    struct iso_cardinfo ci = {.version = ISO_LAYOUT_VERSION};
    struct init_run r = {.tx = tx};
    uint16_t sw;
    if (!p)
        return scm_fail(d, SCM_E_INVAL, "No initialisation parameters.");
    const char *cur = p->current_pin ? p->current_pin : p->pin;
    size_t curlen = p->current_pin ? p->current_pin_len : p->pin_len;
    int rc = scm_iso_pin_ok(p->pin, p->pin_len, d);
    if (rc == SCM_OK)
        rc = scm_iso_pin_ok(cur, curlen, d);
    if (rc < 0)
        return rc;
    const char *label = p->label ? p->label : "scmgr card";
    if (strlen(label) > SCM_VSC_LABEL_MAX || (p->serial && strlen(p->serial) >= sizeof(ci.serial)))
        return scm_fail(d, SCM_E_BAD_LABEL,
                        "The card label is 1 to %d bytes, the serial up to "
                        "%zu.",
                        SCM_VSC_LABEL_MAX, sizeof(ci.serial) - 1);
    snprintf(ci.label, sizeof(ci.label), "%s", label);
    if (p->serial) {
        snprintf(ci.serial, sizeof(ci.serial), "%s", p->serial);
    } else {
        uint8_t rnd[4];
        if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) < 0)
            return scm_fail(d, SCM_E_CRYPTO, "No random serial number could be made.");
        snprintf(ci.serial, sizeof(ci.serial), "%02X%02X%02X%02X", rnd[0], rnd[1], rnd[2], rnd[3]);
    }

    rc = scm_tx_begin(tx);
    if (rc < 0)
        return scm_fail_because(d, rc, "The card could not be reserved for scmgr");
    if ((rc = check_existing(tx, d)) < 0)
        goto out;
    /* Our own access conditions ask for the PIN to create files. */
    r.step = "VERIFY";
    rc = scm_iso_verify(tx, ISO_PIN_REF, (const uint8_t *)cur, curlen, &sw);
    if (rc < 0 || sw != 0x9000) {
        rc = scm_iso_step_err(rc, sw, "VERIFY", r.why, sizeof(r.why));
        rc = scm_fail(d, rc,
                      "Nothing was written to the card: it did not accept the %s PIN "
                      "(%s).",
                      p->current_pin ? "current" : "given", r.why);
        goto out;
    }
    if ((rc = layout(&r, &ci, d)) < 0)
        goto out;
    if (p->current_pin && (curlen != p->pin_len || memcmp(cur, p->pin, curlen) != 0)) {
        rc = scm_iso_change(tx, ISO_PIN_REF, (const uint8_t *)cur, curlen,
                            (const uint8_t *)p->pin, p->pin_len, &sw);
        if (rc < 0 || sw != 0x9000) {
            bool lost = rc < 0;
            rc = scm_iso_step_err(rc, sw, "CHANGE REFERENCE DATA", r.why, sizeof(r.why));
            rc = lost ? scm_fail(d, rc,
                                 "The card was initialised, but changing its PIN was "
                                 "interrupted (%s): it is either the previous or the "
                                 "new PIN.",
                                 r.why)
                      : scm_fail(d, rc,
                                 "The card was initialised, but its PIN was not changed "
                                 "(%s): it is still the previous PIN.",
                                 r.why);
            goto out;
        }
    }
    rc = SCM_OK;
out:
    scm_tx_end(tx);
    return rc;
}
