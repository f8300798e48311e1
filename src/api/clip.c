/* The clipboard: the patent's intermediate buffer. Copies of objects in
 * secure memory, with the card and area they came from, independent of any
 * open card. Every copy between cards goes through it (copy.c): read all,
 * then write all, so a source that fails half-way writes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card_int.h"

struct clip_obj {
    struct scm_clip_item info;
    uint8_t *data; /* scm_secure_alloc'd, len bytes (NULL when empty) */
    size_t len;
    uint8_t attrs[SCM_SRC_ATTR_MAX];
    size_t attrs_len;
};

struct scm_clip {
    struct clip_obj *v;
    size_t n, cap;
};

int scm_clip_new(struct scm_clip **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? SCM_OK : SCM_E_NOMEM;
}

static void obj_wipe(struct clip_obj *o)
{
    scm_secure_free(o->data, o->len);
    scm_wipe(o, sizeof(*o));
}

void scm_clip_clear(struct scm_clip *clip)
{
    for (size_t i = 0; clip && i < clip->n; i++)
        obj_wipe(&clip->v[i]);
    if (clip)
        clip->n = 0;
}

void scm_clip_free(struct scm_clip *clip)
{
    if (!clip)
        return;
    scm_clip_clear(clip);
    free(clip->v);
    free(clip);
}

int scm_clip_remove(struct scm_clip *clip, size_t i)
{
    if (!clip || i >= clip->n)
        return SCM_E_NOT_FOUND;
    obj_wipe(&clip->v[i]);
    memmove(&clip->v[i], &clip->v[i + 1], (clip->n - i - 1) * sizeof(clip->v[0]));
    clip->n--;
    return SCM_OK;
}

size_t scm_clip_count(const struct scm_clip *clip)
{
    return clip ? clip->n : 0;
}

const struct scm_clip_item *scm_clip_item(const struct scm_clip *clip, size_t i)
{
    return clip && i < clip->n ? &clip->v[i].info : NULL;
}

void scm_copy_report_free(struct scm_copy_report *r)
{
    if (!r)
        return;
    free(r->items);
    memset(r, 0, sizeof(*r));
}

/* Errors after which the card (or the PC/SC service) is gone, or the user
 * said stop: trying the next object would only fail the same way. */
static bool is_fatal(int err)
{
    return err == SCM_E_CARD_REMOVED || err == SCM_E_NO_SERVICE || err == SCM_E_CARD_RESET ||
           err == SCM_E_CARD_MUTE || err == SCM_E_CARD_TIMEOUT || err == SCM_E_TRANSMIT ||
           err == SCM_E_PCSC || err == SCM_E_NOMEM || err == SCM_E_CANCELLED ||
           err == SCM_E_CARD_FULL;
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

static int report_init(struct scm_copy_report *rep, size_t n)
{
    memset(rep, 0, sizeof(*rep));
    rep->items = calloc(n ? n : 1, sizeof(*rep->items));
    return rep->items ? SCM_OK : SCM_E_NOMEM;
}

static struct scm_copy_item *report_add(struct scm_copy_report *rep, const char *label,
                                        enum scm_area area, size_t size)
{
    struct scm_copy_item *it = &rep->items[rep->n++];
    snprintf(it->label, sizeof(it->label), "%s", label);
    it->area = area;
    it->size = size;
    it->result = SCM_COPY_NOT_TRIED;
    return it;
}

static void set_result(struct scm_copy_item *it, enum scm_copy_result r, int err,
                       const struct scm_detail *d)
{
    it->result = r;
    snprintf(it->why, sizeof(it->why), "%s", d && d->text[0] ? d->text : scm_strerror(err));
}

/* Totals, and a reason for every item left untried. */
static void report_finish(struct scm_copy_report *rep, const char *untried_why)
{
    rep->done = rep->skipped = rep->failed = rep->not_tried = 0;
    for (size_t i = 0; i < rep->n; i++) {
        struct scm_copy_item *it = &rep->items[i];
        switch (it->result) {
        case SCM_COPY_DONE:
            rep->done++;
            break;
        case SCM_COPY_SKIPPED:
            rep->skipped++;
            break;
        case SCM_COPY_FAILED:
            rep->failed++;
            break;
        case SCM_COPY_NOT_TRIED:
            rep->not_tried++;
            if (!it->why[0])
                snprintf(it->why, sizeof(it->why), "%s", untried_why);
            break;
        }
    }
}

/* Keep the first error and its sentence for the caller. */
static void first_error(int *first, struct scm_detail *d, int err, const struct scm_detail *od)
{
    if (*first)
        return;
    *first = err;
    if (d)
        *d = *od;
}

static int stage_one(struct scm_card *src, const struct scm_obj_info *o, struct clip_obj *out,
                     struct scm_detail *d)
{
    struct scm_card_info ci;
    int rc;
    memset(out, 0, sizeof(*out));
    if ((rc = scm_card_read(src, o->id, &out->data, &out->len, d)) < 0)
        return rc;
    scm_card_get_info(src, &ci);
    snprintf(out->info.label, sizeof(out->info.label), "%s", o->label);
    out->info.type = o->type;
    out->info.area = o->area;
    out->info.size = out->len;
    out->info.verified = o->verified;
    snprintf(out->info.source, sizeof(out->info.source), "%s", ci.name);
    snprintf(out->info.src_path, sizeof(out->info.src_path), "%s", o->src_path ? o->src_path : "");
    if (o->src_attrs && o->src_attrs_len <= sizeof(out->attrs)) {
        memcpy(out->attrs, o->src_attrs, o->src_attrs_len);
        out->attrs_len = o->src_attrs_len;
    }
    return SCM_OK;
}

/* Put a staged object in, replacing one with the same label. */
static int clip_put(struct scm_clip *clip, struct clip_obj *o)
{
    for (size_t i = 0; i < clip->n; i++)
        if (strcmp(clip->v[i].info.label, o->info.label) == 0) {
            obj_wipe(&clip->v[i]);
            clip->v[i] = *o;
            return SCM_OK;
        }
    if (clip->n == clip->cap) {
        size_t cap = clip->cap ? clip->cap * 2 : 8;
        struct clip_obj *v = realloc(clip->v, cap * sizeof(*v));
        if (!v)
            return SCM_E_NOMEM;
        clip->v = v;
        clip->cap = cap;
    }
    clip->v[clip->n++] = *o;
    return SCM_OK;
}

int scm_clip_copy(struct scm_clip *clip, struct scm_card *src, const char *const *labels,
                  size_t nlabels, scm_copy_progress_fn progress, void *arg,
                  struct scm_copy_report *rep_out, struct scm_detail *d)
{
    struct scm_copy_report rep = {0};
    const struct scm_obj_info *all;
    struct scm_obj_info *objs = NULL;
    struct clip_obj *staged = NULL;
    size_t n, k = 0, nstaged = 0;
    int first = SCM_OK, rc;

    if ((rc = scm_card_list(src, &all, &n)) < 0)
        goto out;
    for (size_t i = 0; labels && i < nlabels; i++) {
        bool found = false;
        for (size_t j = 0; j < n && !found; j++)
            found = strcmp(all[j].label, labels[i]) == 0;
        if (!found) {
            rc = scm_fail(d, SCM_E_NOT_FOUND, "%s has no object labelled '%s'%s.", src->name,
                          labels[i], scm_card_needs_unlock(src) ? " in its public area" : "");
            goto out;
        }
    }
    /* The listing lives in the card until its next change: keep a copy. */
    objs = calloc(n ? n : 1, sizeof(*objs));
    staged = calloc(n ? n : 1, sizeof(*staged));
    if (!objs || !staged || (rc = report_init(&rep, n)) < 0) {
        rc = SCM_E_NOMEM;
        goto out;
    }
    for (size_t j = 0; j < n; j++)
        if (wanted(all[j].label, labels, nlabels)) {
            objs[k] = all[j];
            report_add(&rep, all[j].label, all[j].area, all[j].size);
            k++;
        }

    for (size_t i = 0; i < k; i++) {
        struct scm_copy_item *it = &rep.items[i];
        struct scm_detail od = {{0}};
        if (progress && !progress(arg, i, k, it->label)) {
            first = SCM_E_CANCELLED;
            break;
        }
        if (objs[i].sealed) {
            it->result = SCM_COPY_SKIPPED;
            snprintf(it->why, sizeof(it->why), "%s",
                     src->kind == SCM_CARD_VSC
                         ? "Keys in the secret key area never leave the VSC."
                         : "Cannot be copied: the card never releases private keys.");
            continue;
        }
        rc = stage_one(src, &objs[i], &staged[nstaged], &od);
        if (rc == SCM_E_CARD_LOCKED && src->kind == SCM_CARD_REAL) {
            /* Guarded by a credential that was not given (an OpenPGP
             * card's private DO 4 wants the admin PIN): reported, and
             * the rest is still copied. */
            set_result(it, SCM_COPY_SKIPPED, rc, &od);
            continue;
        }
        if (rc < 0) {
            set_result(it, SCM_COPY_FAILED, rc, &od);
            first_error(&first, d, rc, &od);
            break; /* all or nothing: the rest is not read */
        }
        nstaged++;
        it->result = SCM_COPY_DONE;
    }
    if (progress)
        progress(arg, k, k, NULL);
    if (first) {
        /* Nothing goes in: what was read is wiped again. */
        for (size_t i = 0; i < rep.n; i++)
            if (rep.items[i].result == SCM_COPY_DONE) {
                rep.items[i].result = SCM_COPY_NOT_TRIED;
                snprintf(rep.items[i].why, sizeof(rep.items[i].why),
                         "Not copied: reading %s did not complete, so nothing was copied.",
                         src->name);
            }
        rc = first;
        goto out;
    }
    for (size_t i = 0; i < nstaged; i++) {
        if ((rc = clip_put(clip, &staged[i])) < 0)
            goto out;
        memset(&staged[i], 0, sizeof(staged[i])); /* owned by the clipboard now */
    }
    rc = SCM_OK;
out:
    for (size_t i = 0; staged && i < nstaged; i++)
        obj_wipe(&staged[i]);
    free(staged);
    free(objs);
    report_finish(&rep, "Not tried: an earlier error stopped the copy.");
    if (rep_out)
        *rep_out = rep;
    else
        scm_copy_report_free(&rep);
    return rc;
}

/* Does dst's object id hold exactly o: the same bytes, type and area?
 * (A key dst will not release, or a failed read, counts as different.) */
static bool same_object(struct scm_card *dst, uint32_t id, const struct clip_obj *o, int area)
{
    const struct scm_obj_info *list;
    size_t n;
    uint8_t *data = NULL;
    size_t len = 0;
    bool found = false;
    if (scm_card_list(dst, &list, &n) < 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (list[i].id == id) {
            found = list[i].type == o->info.type &&
                    list[i].area == (area >= 0 ? (enum scm_area)area : o->info.area);
            break;
        }
    if (!found || scm_card_read(dst, id, &data, &len, NULL) < 0)
        return false;
    bool same = len == o->len && (len == 0 || memcmp(data, o->data, len) == 0);
    scm_secure_free(data, len);
    return same;
}

static int clip_data(void *arg, uint8_t **data, size_t *len, struct scm_detail *d)
{
    const struct clip_obj *o = arg;
    (void)d;
    if (!(*data = scm_secure_alloc(o->len ? o->len : 1)))
        return SCM_E_NOMEM;
    if (o->len)
        memcpy(*data, o->data, o->len);
    *len = o->len;
    return SCM_OK;
}

/* The labels among the picked items that dst already has; the user (or
 * the caller's policy) says what happens to them before anything is
 * written. SCM_OK to go on (skipped ones marked), SCM_E_EXISTS on cancel. */
static int resolve_conflicts(struct scm_clip *clip, struct scm_card *dst, const size_t *pick,
                             size_t k, int area, bool skip_same, scm_conflict_fn conflict,
                             void *arg, struct scm_copy_report *rep, struct scm_detail *d)
{
    const char **clash = calloc(k ? k : 1, sizeof(*clash));
    size_t *at = calloc(k ? k : 1, sizeof(*at));
    char names[320];
    size_t n = 0, used = 0;
    uint32_t id;
    int rc = SCM_OK;

    if (!clash || !at) {
        rc = SCM_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < k; i++) {
        const struct clip_obj *o = &clip->v[pick[i]];
        if (scm_card_find(dst, o->info.label, &id) != SCM_OK) {
            char other[SCM_OBJ_LABEL_MAX + 1];
            struct scm_obj_new no = {.label = o->info.label, .type = o->info.type};
            /* Copied before onto a card that named it itself. */
            if (skip_same && card_same_elsewhere(dst, &no, o->len, clip_data, (void *)o, other,
                                                 sizeof(other), NULL) > 0) {
                struct scm_copy_item *it = &rep->items[i];
                it->result = SCM_COPY_SKIPPED;
                snprintf(it->why, sizeof(it->why), "Already on %s as '%s' with the same content.",
                         dst->name, other);
            }
            continue;
        }
        if (skip_same && same_object(dst, id, o, area)) {
            /* Already there as it is (a PIV card's fixed Discovery Object,
             * a second restore): nothing to ask, nothing to write. */
            struct scm_copy_item *it = &rep->items[i];
            it->result = SCM_COPY_SKIPPED;
            snprintf(it->why, sizeof(it->why), "Already on %s with the same content.", dst->name);
            continue;
        }
        at[n] = i;
        clash[n++] = o->info.label;
    }
    if (n == 0)
        goto out;
    switch (conflict(arg, clash, n)) {
    case SCM_CONFLICT_REPLACE:
        break;
    case SCM_CONFLICT_SKIP:
        for (size_t j = 0; j < n; j++) {
            struct scm_copy_item *it = &rep->items[at[j]];
            it->result = SCM_COPY_SKIPPED;
            snprintf(it->why, sizeof(it->why), "Kept the object %s already had.", dst->name);
        }
        break;
    case SCM_CONFLICT_CANCEL:
        /* The names, as many as fit; the sentence's end must survive. */
        names[0] = '\0';
        for (size_t j = 0; j < n; j++) {
            int w = snprintf(names + used, sizeof(names) - used, "%s'%s'", j ? ", " : "", clash[j]);
            if (w < 0 || used + (size_t)w >= sizeof(names) - 16) {
                names[used] = '\0';
                snprintf(names + used, sizeof(names) - used, "%s...", j ? ", " : "");
                break;
            }
            used += (size_t)w;
        }
        for (size_t i = 0; i < rep->n; i++)
            snprintf(rep->items[i].why, sizeof(rep->items[i].why), "%s",
                     "Not written: the paste was cancelled over labels the card already has.");
        rc = scm_fail(d, SCM_E_EXISTS, "%s already has %s labelled %s: nothing was written.",
                      dst->name, n == 1 ? "an object" : "objects", names);
        break;
    }
out:
    free(clash);
    free(at);
    return rc;
}

/* skip_same: an object dst already holds as it is (same label, bytes,
 * type, area) is neither asked about nor written: a copy or restore run
 * again, or a card's fixed object (a PIV card's Discovery Object), costs
 * no question and no write. A paste the user asked for asks as before. */
static int paste(struct scm_clip *clip, struct scm_card *dst, const char *const *labels,
                 size_t nlabels, int area, bool skip_same, scm_conflict_fn conflict,
                 scm_copy_progress_fn progress, void *arg, struct scm_copy_report *rep_out,
                 struct scm_detail *d)
{
    struct scm_copy_report rep = {0};
    size_t *pick = NULL, k = 0;
    int first = SCM_OK, rc;

    pick = calloc(clip->n ? clip->n : 1, sizeof(*pick));
    if (!pick || (rc = report_init(&rep, clip->n)) < 0) {
        rc = SCM_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < clip->n; i++)
        if (wanted(clip->v[i].info.label, labels, nlabels)) {
            pick[k++] = i;
            report_add(&rep, clip->v[i].info.label,
                       area >= 0 ? (enum scm_area)area : clip->v[i].info.area,
                       clip->v[i].info.size);
        }
    if (conflict &&
        (rc = resolve_conflicts(clip, dst, pick, k, area, skip_same, conflict, arg, &rep, d)) < 0)
        goto out;

    /* After the questions, not before: the card is held for the writes,
     * never while someone thinks. */
    if (dst->kind == SCM_CARD_REAL)
        card_real_batch_begin(dst);
    for (size_t i = 0; i < k; i++) {
        const struct clip_obj *o = &clip->v[pick[i]];
        struct scm_copy_item *it = &rep.items[i];
        struct scm_detail od = {{0}};
        struct scm_obj_new n = {
            .label = o->info.label,
            .type = o->info.type,
            .area = area >= 0 ? (enum scm_area)area : o->info.area,
            .data = o->data,
            .len = o->len,
            .src_path = o->info.src_path,
            .src_attrs = o->attrs_len ? o->attrs : NULL,
            .src_attrs_len = o->attrs_len,
        };
        if (it->result == SCM_COPY_SKIPPED)
            continue;
        if (progress && !progress(arg, i, k, it->label)) {
            first_error(&first, d, SCM_E_CANCELLED, &od);
            break;
        }
        rc = scm_card_write(dst, &n, true, NULL, &od);
        if (rc == SCM_E_NOT_SUPPORTED && dst->kind == SCM_CARD_REAL) {
            /* The card has no place for it (a public key the card makes
             * itself, a note on a PIV card): reported with the agent's
             * reason, not a failure of the copy. */
            set_result(it, SCM_COPY_SKIPPED, rc, &od);
            continue;
        }
        if (rc < 0) {
            set_result(it, SCM_COPY_FAILED, rc, &od);
            first_error(&first, d, rc, &od);
            if (is_fatal(rc))
                break;
            continue;
        }
        it->result = SCM_COPY_DONE;
    }
    if (dst->kind == SCM_CARD_REAL)
        card_real_batch_end(dst);
    if (progress)
        progress(arg, k, k, NULL);

    rc = first;
out:
    free(pick);
    report_finish(&rep, "Not tried: an earlier error stopped the copy.");
    if (rep_out)
        *rep_out = rep;
    else
        scm_copy_report_free(&rep);
    return rc;
}

int scm_clip_plan(struct scm_clip *clip, struct scm_card *dst, const char *const *labels,
                  size_t nlabels, int area, struct scm_copy_plan *plan, struct scm_detail *d)
{
    int rc = SCM_OK;
    memset(plan, 0, sizeof(*plan));
    if (!(plan->items = calloc(clip->n ? clip->n : 1, sizeof(*plan->items))))
        return SCM_E_NOMEM;
    for (size_t i = 0; i < clip->n && rc == SCM_OK; i++) {
        const struct clip_obj *o = &clip->v[i];
        if (!wanted(o->info.label, labels, nlabels))
            continue;
        struct scm_plan_item *it = &plan->items[plan->n];
        struct scm_obj_new n = {
            .label = o->info.label,
            .type = o->info.type,
            .area = area >= 0 ? (enum scm_area)area : o->info.area,
            .src_path = o->info.src_path,
            .src_attrs = o->attrs_len ? o->attrs : NULL,
            .src_attrs_len = o->attrs_len,
            .data = o->data,
            .len = o->len,
        };
        snprintf(it->label, sizeof(it->label), "%s", o->info.label);
        it->area = n.area;
        it->size = o->len;
        if ((rc = card_plan_one(dst, &n, o->len, plan, clip_data, (void *)o, it, d)) == SCM_OK) {
            plan->n++;
            card_plan_count(plan, it);
        }
    }
    if (rc < 0)
        scm_copy_plan_free(plan);
    return rc;
}

int scm_clip_paste(struct scm_clip *clip, struct scm_card *dst, const char *const *labels,
                   size_t nlabels, int area, scm_conflict_fn conflict,
                   scm_copy_progress_fn progress, void *arg, struct scm_copy_report *rep_out,
                   struct scm_detail *d)
{
    return paste(clip, dst, labels, nlabels, area, false, conflict, progress, arg, rep_out, d);
}

/* Copy = clipboard copy + paste, with a clipboard of its own. The report
 * has every object of the source: skipped ones from the reading, the
 * others with what the writing did. A VSC is saved once at the end. */
int scm_card_copy(struct scm_card *src, struct scm_card *dst, const char *const *labels,
                  size_t nlabels, scm_conflict_fn conflict, scm_copy_progress_fn progress,
                  void *arg, struct scm_copy_report *rep, struct scm_detail *d)
{
    struct scm_copy_report wr = {0};
    struct scm_clip *clip = NULL;
    int rc;

    memset(rep, 0, sizeof(*rep));
    if ((rc = scm_clip_new(&clip)) < 0)
        return rc;
    rc = scm_clip_copy(clip, src, labels, nlabels, progress, arg, rep, d);
    if (rc < 0)
        goto out;
    /* A copy has no one to ask: what the source could not verify (a VSC's
     * public object without its password) would look verified on dst, so
     * it stays behind (the CLI unlocks a VSC it copies from; the UI's
     * clipboard asks instead). */
    for (size_t i = scm_clip_count(clip); i-- > 0;) {
        const struct scm_clip_item *ci = scm_clip_item(clip, i);
        if (ci->verified)
            continue;
        for (size_t j = 0; j < rep->n; j++)
            if (strcmp(rep->items[j].label, ci->label) == 0) {
                rep->items[j].result = SCM_COPY_SKIPPED;
                snprintf(rep->items[j].why, sizeof(rep->items[j].why),
                         "Not copied: not verified (%s was opened without its password).",
                         src->name);
            }
        scm_clip_remove(clip, i);
    }
    rc = paste(clip, dst, NULL, 0, -1, true, conflict, progress, arg, &wr, d);
    for (size_t i = 0; i < rep->n; i++) {
        struct scm_copy_item *it = &rep->items[i];
        if (it->result != SCM_COPY_DONE)
            continue;
        for (size_t j = 0; j < wr.n; j++)
            if (strcmp(wr.items[j].label, it->label) == 0)
                *it = wr.items[j];
    }
    if (dst->kind == SCM_CARD_VSC && wr.done > 0) {
        struct scm_detail od = {{0}};
        int crc = scm_card_commit(dst, &od);
        if (crc < 0) {
            for (size_t i = 0; i < rep->n; i++)
                if (rep->items[i].result == SCM_COPY_DONE)
                    set_result(&rep->items[i], SCM_COPY_FAILED, crc, &od);
            if (rc == SCM_OK) {
                rc = crc;
                if (d)
                    *d = od;
            }
        }
    }
    report_finish(rep, "Not tried: an earlier error stopped the copy.");
out:
    scm_copy_report_free(&wr);
    scm_clip_free(clip);
    return rc;
}
