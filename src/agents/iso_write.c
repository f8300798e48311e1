/* Writing and removing objects in the order of doc/card-layout.md
 * ("Write order"): new EF first and read back, index last into the other
 * slot, old EF deleted after. Whatever APDU the card is pulled at, the
 * card lists the complete old or the complete new content, and the detail
 * sentence says which steps were done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iso_int.h"

#define WHY_MAX 200

/* The lowest identifier no entry (live or trash) uses in the area's DF. */
static uint16_t pick_fid(const struct iso_index *ix, uint8_t area)
{
    uint16_t df = scm_iso_area_df(area);
    for (unsigned f = ISO_FID_OBJ_FIRST; f <= ISO_FID_OBJ_LAST; f++) {
        bool used = false;
        for (size_t i = 0; i < ix->n && !used; i++)
            used = ix->e[i].fid == f && scm_iso_area_df(ix->e[i].area) == df;
        if (!used)
            return (uint16_t)f;
    }
    return 0;
}

static int select_df(struct scm_tx *tx, uint16_t df, uint16_t *sw)
{
    uint16_t p[2] = {ISO_FID_APP, df};
    return scm_iso_select_path(tx, p, 2, sw);
}

/* The new EF of an object, written and read back. On a refusal after the
 * CREATE, the partial EF is deleted again (best effort): no index names it. */
static int put_object(struct iso_state *st, const struct iso_entry *ne, const uint8_t *data,
                      char *why, size_t cap)
{
    struct scm_tx *tx = st->tx;
    uint16_t sw;
    uint8_t fcp[64];
    size_t fl = scm_iso_fcp(ISO_FCP_OBJ, ne->fid, 0, ne->size, ne->area, fcp, sizeof(fcp));
    int rc = select_df(tx, scm_iso_area_df(ne->area), &sw);
    if (rc < 0 || sw != 0x9000)
        return scm_iso_step_err(rc, sw, "SELECT of the area", why, cap);
    rc = scm_iso_create(tx, fcp, fl, &sw);
    if (rc == SCM_OK && sw == 0x6A89) {
        /* A leftover of an interrupted write: no index names it. */
        rc = scm_iso_delete(tx, ne->fid, &sw);
        if (rc < 0 || sw != 0x9000)
            return scm_iso_step_err(rc, sw, "DELETE FILE of a leftover file", why, cap);
        rc = scm_iso_create(tx, fcp, fl, &sw);
    }
    if (rc < 0 || sw != 0x9000)
        return scm_iso_step_err(rc, sw, "CREATE FILE", why, cap);

    size_t done;
    rc = scm_iso_update_all(tx, data, ne->size, ne->area != SCM_AREA_PUBLIC, &done, &sw);
    int err = SCM_OK;
    if (rc < 0 || sw != 0x9000) {
        err = scm_iso_step_err(rc, sw, "UPDATE BINARY", why, cap);
    } else if (ne->area != SCM_AREA_SECRET && ne->size > 0) {
        /* A secret-area EF is never readable (READ = never), so it is not
         * read back; its CRC is in the index. */
        uint8_t *back = scm_secure_alloc(ne->size);
        size_t got = 0;
        if (!back) {
            snprintf(why, cap, "out of memory");
            err = SCM_E_NOMEM;
        } else {
            rc = scm_iso_read_all(tx, 0, back, ne->size, &got, &sw);
            if (rc < 0 || sw != 0x9000)
                err = scm_iso_step_err(rc, sw, "READ BINARY of the new file", why, cap);
            else if (got != ne->size || memcmp(back, data, got) != 0)
                err = scm_iso_step_err(0, sw, "the new file did not read back as written; READ",
                                       why, cap);
            scm_secure_free(back, ne->size);
        }
    }
    /* After a refusal the card still talks: take the partial EF away. After
     * a transport error it does not; the leftover is reclaimed later. */
    if (err < 0 && rc == SCM_OK)
        (void)scm_iso_delete(tx, ne->fid, &sw);
    return err;
}

/* Delete the EFs the current index has on its trash list, and leave them
 * out of nix. A transport error stops; a refusal keeps the entry. */
static int purge_trash(struct iso_state *st, struct iso_index *nix)
{
    static const uint16_t dfs[2] = {ISO_FID_PUB, ISO_FID_PRIV};
    for (int k = 0; k < 2; k++) {
        bool selected = false, unusable = false;
        for (size_t i = 0; i < nix->n;) {
            const struct iso_entry *e = &nix->e[i];
            if (e->type != ISO_TYPE_TRASH || scm_iso_area_df(e->area) != dfs[k]) {
                i++;
                continue;
            }
            if (!e->gone) {
                uint16_t sw;
                int rc;
                if (unusable) {
                    i++;
                    continue;
                }
                if (!selected) {
                    rc = select_df(st->tx, dfs[k], &sw);
                    if (rc < 0)
                        return rc;
                    unusable = sw != 0x9000;
                    selected = true;
                    continue;
                }
                rc = scm_iso_delete(st->tx, e->fid, &sw);
                if (rc < 0)
                    return rc;
                if (sw != 0x9000 && sw != 0x6A82) {
                    i++;
                    continue;
                }
            }
            scm_iso_index_drop(nix, i);
        }
    }
    return SCM_OK;
}

/* Write nix as the next generation into the other slot and read it back.
 * *unsure: the card may hold the new index after all (the failure came at
 * or after the last chunk). On success nix moves into st. */
static int commit_index(struct iso_state *st, struct iso_index *nix, char *why, size_t cap,
                        bool *unsure)
{
    static const uint16_t fids[2] = {ISO_FID_INDEX_A, ISO_FID_INDEX_B};
    struct scm_tx *tx = st->tx;
    uint16_t sw;
    size_t len, done = 0, got = 0;
    int slot = 1 - st->slot;
    uint8_t *buf = malloc(2 * ISO_INDEX_SIZE);
    int rc = SCM_E_NOMEM;
    *unsure = false;
    if (!buf) {
        snprintf(why, cap, "out of memory");
        goto out;
    }
    nix->generation = st->ix.generation + 1;
    rc = scm_iso_index_encode(nix, buf, ISO_INDEX_SIZE, &len);
    if (rc < 0) {
        snprintf(why, cap, "the index has no room for another entry");
        goto out;
    }
    uint16_t p[2] = {ISO_FID_APP, fids[slot]};
    rc = scm_iso_select_path(tx, p, 2, &sw);
    if (rc < 0 || sw != 0x9000) {
        rc = scm_iso_step_err(rc, sw, "SELECT of the index", why, cap);
        goto out;
    }
    rc = scm_iso_update_all(tx, buf, len, false, &done, &sw);
    if (rc < 0 || sw != 0x9000) {
        /* A torn index fails its CRC; only a failure on the last chunk
         * may have left a complete one. */
        *unsure = rc < 0 && done + (tx->extended ? 0x8000 : 255) >= len;
        rc = scm_iso_step_err(rc, sw, "UPDATE BINARY of the index", why, cap);
        goto out;
    }
    rc = scm_iso_read_all(tx, 0, buf + ISO_INDEX_SIZE, len, &got, &sw);
    if (rc < 0 || sw != 0x9000 || got != len || memcmp(buf, buf + ISO_INDEX_SIZE, len) != 0) {
        *unsure = true;
        rc = scm_iso_step_err(rc, sw, "READ BINARY of the new index", why, cap);
        goto out;
    }
    scm_iso_index_free(&st->ix);
    st->ix = *nix;
    memset(nix, 0, sizeof(*nix));
    st->slot = slot;
    rc = SCM_OK;
out:
    if (*unsure)
        st->stale = true;
    free(buf);
    return rc;
}

/* The old EF after the index stopped naming it. Its trash entry stays in
 * the index until the next index write; `gone` spares that write a DELETE. */
static void drop_old(struct iso_state *st, uint8_t area, uint16_t fid)
{
    uint16_t sw;
    int rc = select_df(st->tx, scm_iso_area_df(area), &sw);
    if (rc == SCM_OK && sw == 0x9000)
        rc = scm_iso_delete(st->tx, fid, &sw);
    if (rc < 0 || (sw != 0x9000 && sw != 0x6A82)) {
        scm_log(SCM_LOG_WARN,
                "iso7816: the old file %04X was not deleted (%d, %04X); a later "
                "write removes it",
                fid, rc, sw);
        return;
    }
    for (size_t i = 0; i < st->ix.n; i++) {
        struct iso_entry *e = &st->ix.e[i];
        if (e->type == ISO_TYPE_TRASH && e->fid == fid &&
            scm_iso_area_df(e->area) == scm_iso_area_df(area))
            e->gone = true;
    }
}

static int check_new(const struct scm_obj_new *o, struct scm_detail *d)
{
    if (!o || !o->label)
        return scm_fail(d, SCM_E_INVAL, "No object to write.");
    size_t ll = strlen(o->label);
    if (ll == 0 || ll > SCM_OBJ_LABEL_MAX)
        return scm_fail(d, SCM_E_BAD_LABEL, "An object label is 1 to %d bytes.", SCM_OBJ_LABEL_MAX);
    if (o->type < SCM_OBJ_CERT || o->type > SCM_OBJ_NOTE || (unsigned)o->area >= SCM_AREA_COUNT)
        return scm_fail(d, SCM_E_INVAL, "Unknown object type or area for '%s'.", o->label);
    if (o->len > ISO_OBJ_SIZE_MAX)
        return scm_fail(d, SCM_E_LIMIT,
                        "'%s' has %zu bytes; this card layout keeps objects of up to %d bytes.",
                        o->label, o->len, ISO_OBJ_SIZE_MAX);
    if (o->len && !o->data)
        return scm_fail(d, SCM_E_INVAL, "No data for '%s'.", o->label);
    return SCM_OK;
}

int scm_iso_write(void *state, const struct scm_obj_new *o, bool replace, struct scm_detail *d)
{
    struct iso_state *st = state;
    struct iso_index nix = {0};
    char why[WHY_MAX], path[SCM_SRC_PATH_MAX];
    bool unsure;
    int rc = check_new(o, d);
    if (rc < 0)
        return rc;
    rc = scm_tx_begin(st->tx);
    if (rc < 0)
        return scm_fail_because(d, rc, "The card could not be reserved for scmgr");
    rc = scm_iso_fresh(st, d);
    if (rc < 0)
        goto out;
    long old = scm_iso_index_find(&st->ix, o->label);
    if (old >= 0 && !replace) {
        rc = scm_fail(d, SCM_E_EXISTS, "The card already has an object '%s'.", o->label);
        goto out;
    }
    struct iso_entry ne = {.type = (uint8_t)o->type,
                           .area = (uint8_t)o->area,
                           .size = (uint32_t)o->len,
                           .crc = scm_iso_crc32(o->data ? o->data : (const uint8_t *)"", o->len)};
    ne.flags = o->area == SCM_AREA_SECRET ? ISO_FLAG_NOT_EXPORTABLE : 0;
    snprintf(ne.label, sizeof(ne.label), "%s", o->label);
    ne.fid = pick_fid(&st->ix, ne.area);
    if (!ne.fid) {
        rc = scm_fail(d, SCM_E_CARD_FULL, "The %s area has no free file identifier left.",
                      scm_area_name(o->area));
        goto out;
    }
    struct iso_entry prev = old >= 0 ? st->ix.e[old] : ne;
    const char *before = old >= 0 ? "the previous content of" : "no object";
    scm_iso_obj_path(ne.area, ne.fid, path, sizeof(path));

    rc = put_object(st, &ne, o->data, why, sizeof(why));
    if (rc < 0) {
        rc = scm_fail(d, rc,
                      "Nothing was changed: writing '%s' to %s failed (%s); the card "
                      "still lists %s '%s'.",
                      o->label, path, why, before, o->label);
        goto out;
    }
    rc = scm_iso_index_copy(&nix, &st->ix);
    if (rc == SCM_OK) {
        rc = purge_trash(st, &nix);
        if (rc < 0)
            scm_iso_step_err(rc, 0, "DELETE FILE of an old copy", why, sizeof(why));
    } else {
        snprintf(why, sizeof(why), "out of memory");
    }
    if (rc == SCM_OK) {
        long oi = scm_iso_index_find(&nix, o->label);
        if (oi >= 0) {
            struct iso_entry *t = &nix.e[oi];
            t->type = ISO_TYPE_TRASH;
            t->flags = 0;
            t->size = 0;
            t->crc = 0;
            t->label[0] = 0;
            t->gone = false;
        }
        rc = scm_iso_index_append(&nix, &ne);
        if (rc < 0)
            snprintf(why, sizeof(why), "out of memory");
    }
    if (rc == SCM_OK)
        rc = commit_index(st, &nix, why, sizeof(why), &unsure);
    else
        unsure = false;
    if (rc < 0) {
        if (unsure)
            rc = scm_fail(d, rc,
                          "'%s' was written to %s and verified, but updating the index "
                          "was interrupted (%s): the card lists either %s '%s' or the new "
                          "content; list the card again to see which.",
                          o->label, path, why, before, o->label);
        else
            rc = scm_fail(d, rc,
                          "'%s' was written to %s and verified, but the index was not "
                          "updated (%s): the card still lists %s '%s'.",
                          o->label, path, why, before, o->label);
        goto out;
    }
    if (old >= 0)
        drop_old(st, prev.area, prev.fid);
out:
    scm_iso_index_free(&nix);
    scm_tx_end(st->tx);
    return rc;
}

int scm_iso_remove(void *state, const char *label, struct scm_detail *d)
{
    struct iso_state *st = state;
    struct iso_index nix = {0};
    char why[WHY_MAX] = "";
    bool unsure = false;
    if (!label)
        return scm_fail(d, SCM_E_INVAL, "No object to remove.");
    int rc = scm_tx_begin(st->tx);
    if (rc < 0)
        return scm_fail_because(d, rc, "The card could not be reserved for scmgr");
    rc = scm_iso_fresh(st, d);
    if (rc < 0)
        goto out;
    long old = scm_iso_index_find(&st->ix, label);
    if (old < 0) {
        rc = scm_fail(d, SCM_E_NOT_FOUND, "The card has no object '%s'.", label);
        goto out;
    }
    struct iso_entry prev = st->ix.e[old];
    rc = scm_iso_index_copy(&nix, &st->ix);
    if (rc < 0) {
        rc = scm_fail(d, rc, "Out of memory.");
        goto out;
    }
    rc = purge_trash(st, &nix);
    if (rc < 0) {
        scm_iso_step_err(rc, 0, "DELETE FILE of an old copy", why, sizeof(why));
    } else {
        struct iso_entry *t = &nix.e[scm_iso_index_find(&nix, label)];
        t->type = ISO_TYPE_TRASH;
        t->flags = 0;
        t->size = 0;
        t->crc = 0;
        t->label[0] = 0;
        t->gone = false;
        rc = commit_index(st, &nix, why, sizeof(why), &unsure);
    }
    if (rc < 0) {
        if (unsure)
            rc = scm_fail(d, rc,
                          "Removing '%s' was interrupted while the index was written "
                          "(%s): the card may still list it; list the card again.",
                          label, why);
        else
            rc = scm_fail(d, rc,
                          "Nothing was changed: removing '%s' from the index failed "
                          "(%s); the card still lists it.",
                          label, why);
        goto out;
    }
    drop_old(st, prev.area, prev.fid);
out:
    scm_iso_index_free(&nix);
    scm_tx_end(st->tx);
    return rc;
}
