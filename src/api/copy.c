/* Copying objects between cards: the patent's backup and restore (claims
 * 5-10) are copies from a real card into a VSC and back, so one loop serves
 * backup, restore and card-to-card copy, and one report says what happened
 * to every object. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card_int.h"

void scm_copy_report_free(struct scm_copy_report *r)
{
    if (!r)
        return;
    free(r->items);
    memset(r, 0, sizeof(*r));
}

/* Errors after which the card (or the PC/SC service) is gone: trying the
 * next object would only fail the same way. */
static bool is_fatal(int err)
{
    return err == SCM_E_CARD_REMOVED || err == SCM_E_NO_SERVICE || err == SCM_E_CARD_RESET ||
           err == SCM_E_CARD_MUTE || err == SCM_E_TRANSMIT || err == SCM_E_PCSC ||
           err == SCM_E_NOMEM || err == SCM_E_CANCELLED || err == SCM_E_CARD_FULL;
}

static bool wanted(const char *label, const char *const *labels, size_t nlabels)
{
    if (!labels)
        return true;
    for (size_t i = 0; i < nlabels; i++)
        if (strcmp(labels[i], label) == 0)
            return true;
    return false;
}

/* Pick the objects and fill the report with them, all NOT_TRIED. Each
 * requested label must exist, or nothing is copied. */
static int plan(struct scm_card *src, const char *const *labels, size_t nlabels,
                struct scm_obj_info **objs, struct scm_copy_report *rep, struct scm_detail *d)
{
    const struct scm_obj_info *all;
    char clean[SCM_OBJ_LABEL_MAX * 4 + 1];
    size_t n, k = 0;
    int rc = scm_card_list(src, &all, &n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; labels && i < nlabels; i++) {
        bool found = false;
        for (size_t j = 0; j < n && !found; j++)
            found = strcmp(all[j].label, labels[i]) == 0;
        if (!found)
            return scm_fail(d, SCM_E_NOT_FOUND, "%s has no object labelled '%s'%s.", src->name,
                            card_clean(labels[i], clean, sizeof(clean)),
                            scm_card_needs_unlock(src) ? " in its public area" : "");
    }
    *objs = calloc(n ? n : 1, sizeof(**objs));
    rep->items = calloc(n ? n : 1, sizeof(*rep->items));
    if (!*objs || !rep->items)
        return SCM_E_NOMEM;
    for (size_t j = 0; j < n; j++) {
        if (!wanted(all[j].label, labels, nlabels))
            continue;
        (*objs)[k] = all[j];
        struct scm_copy_item *it = &rep->items[k++];
        snprintf(it->label, sizeof(it->label), "%s", all[j].label);
        it->area = all[j].area;
        it->size = all[j].size;
        it->result = SCM_COPY_NOT_TRIED;
    }
    rep->n = k;
    return SCM_OK;
}

static void set_result(struct scm_copy_item *it, enum scm_copy_result r, int err,
                       const struct scm_detail *d)
{
    it->result = r;
    snprintf(it->why, sizeof(it->why), "%s", d && d->text[0] ? d->text : scm_strerror(err));
}

/* One object: read it from src, write it to dst (replacing an object with
 * the same label), wipe the bytes. *src_side says which side failed. */
static int copy_one(struct scm_card *src, struct scm_card *dst, const struct scm_obj_info *o,
                    bool *src_side, struct scm_detail *d)
{
    struct scm_obj_new n;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc;

    *src_side = true;
    if ((rc = scm_card_read(src, o->id, &data, &len, d)) < 0)
        return rc;
    *src_side = false;
    memset(&n, 0, sizeof(n));
    n.label = o->label;
    n.type = o->type;
    n.area = o->area;
    n.data = data;
    n.len = len;
    n.src_path = o->src_path;
    n.src_attrs = o->src_attrs;
    n.src_attrs_len = o->src_attrs_len;
    rc = scm_card_write(dst, &n, true, NULL, d);
    scm_secure_free(data, len);
    return rc;
}

int scm_card_copy(struct scm_card *src, struct scm_card *dst, const char *const *labels,
                  size_t nlabels, scm_copy_progress_fn progress, void *arg,
                  struct scm_copy_report *rep, struct scm_detail *d)
{
    struct scm_obj_info *objs = NULL;
    struct scm_detail od;
    bool src_failed = false;
    int first = SCM_OK, rc;

    memset(rep, 0, sizeof(*rep));
    if ((rc = plan(src, labels, nlabels, &objs, rep, d)) < 0)
        goto out;
    for (size_t i = 0; i < rep->n; i++) {
        struct scm_copy_item *it = &rep->items[i];
        bool src_side;
        if (progress && !progress(arg, i, rep->n, it->label)) {
            first = first ? first : SCM_E_CANCELLED;
            break;
        }
        if (objs[i].sealed) {
            it->result = SCM_COPY_SKIPPED;
            snprintf(it->why, sizeof(it->why), "%s",
                     src->kind == SCM_CARD_VSC
                         ? "Keys in the secret key area never leave the VSC."
                         : "The card does not release this key.");
            continue;
        }
        od.text[0] = '\0';
        rc = copy_one(src, dst, &objs[i], &src_side, &od);
        if (rc < 0) {
            set_result(it, SCM_COPY_FAILED, rc, &od);
            src_failed |= src_side;
            if (!first) {
                first = rc;
                if (d)
                    *d = od;
            }
            if (is_fatal(rc))
                break;
            continue;
        }
        it->result = SCM_COPY_DONE;
    }
    if (progress)
        progress(arg, rep->n, rep->n, NULL);

    /* A VSC takes the copy as a whole or not at all: a source that failed
     * half-way leaves it as it was. */
    if (dst->kind == SCM_CARD_VSC) {
        bool any = false;
        for (size_t i = 0; i < rep->n; i++)
            any |= rep->items[i].result == SCM_COPY_DONE;
        if (any && !src_failed && (rc = scm_card_commit(dst, &od)) < 0) {
            for (size_t i = 0; i < rep->n; i++)
                if (rep->items[i].result == SCM_COPY_DONE)
                    set_result(&rep->items[i], SCM_COPY_FAILED, rc, &od);
            if (!first) {
                first = rc;
                if (d)
                    *d = od;
            }
        } else if (any && src_failed) {
            for (size_t i = 0; i < rep->n; i++)
                if (rep->items[i].result == SCM_COPY_DONE) {
                    rep->items[i].result = SCM_COPY_NOT_TRIED;
                    snprintf(rep->items[i].why, sizeof(rep->items[i].why),
                             "Not saved: the copy from %s failed, so the VSC was left as it was.",
                             src->name);
                }
        }
    }
    rc = first;
out:
    for (size_t i = 0; i < rep->n; i++) {
        switch (rep->items[i].result) {
        case SCM_COPY_DONE: rep->done++; break;
        case SCM_COPY_SKIPPED: rep->skipped++; break;
        case SCM_COPY_FAILED: rep->failed++; break;
        case SCM_COPY_NOT_TRIED:
            rep->not_tried++;
            if (!rep->items[i].why[0])
                snprintf(rep->items[i].why, sizeof(rep->items[i].why), "%s",
                         "Not tried: an earlier error stopped the copy.");
            break;
        }
    }
    free(objs);
    return rc;
}

int scm_card_backup_target(struct scm_card *real, char uid[SCM_VSC_UID_MAX + 1],
                           struct scm_vsc_source *src, struct scm_detail *d)
{
    struct scm_card_info ci;
    size_t k = 0;

    if (real->kind != SCM_CARD_REAL)
        return scm_fail(d, SCM_E_USAGE, "%s is not a real card.", real->name);
    scm_card_get_info(real, &ci);
    *src = ci.source;
    /* The UID is the card's serial; characters a file name should not
     * carry become '_'. */
    for (const char *p = ci.serial; *p && k < SCM_VSC_UID_MAX; p++) {
        unsigned char ch = (unsigned char)*p;
        bool ok = isalnum(ch) || ch == '-' || ch == '_' || (ch == '.' && k > 0);
        uid[k++] = ok ? (char)ch : '_';
    }
    uid[k] = '\0';
    if (!scm_vsc_uid_valid(uid))
        return scm_fail(d, SCM_E_BAD_UID,
                        "The card in '%s' has no usable serial number: give the VSC's "
                        "identifier with --to UID.",
                        real->name);
    return SCM_OK;
}
