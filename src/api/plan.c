/* The plan of a copy or restore (card.h, scm_card_plan): what would
 * happen to each object, asked of the destination's agent and compared
 * with what the destination holds, before anything is written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card_int.h"

void scm_copy_plan_free(struct scm_copy_plan *p)
{
    if (!p)
        return;
    free(p->items);
    memset(p, 0, sizeof(*p));
}

static bool wanted(const char *label, const char *const *labels, size_t n)
{
    if (!labels)
        return true;
    for (size_t i = 0; i < n; i++)
        if (strcmp(labels[i], label) == 0)
            return true;
    return false;
}

/* Does dst hold this object as it is: same label, type, area and bytes? */
static bool same_there(struct scm_card *dst, uint32_t id, const struct scm_obj_info *o,
                       const uint8_t *data, size_t len)
{
    const struct scm_obj_info *list;
    size_t n;
    uint8_t *got = NULL;
    size_t gl = 0;
    bool ok = false;
    if (scm_card_list(dst, &list, &n) < 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (list[i].id == id)
            ok = list[i].type == o->type && list[i].area == o->area;
    if (!ok || scm_card_read(dst, id, &got, &gl, NULL) < 0)
        return false;
    ok = gl == len && (len == 0 || memcmp(got, data, len) == 0);
    scm_secure_free(got, gl);
    return ok;
}

void card_plan_count(struct scm_copy_plan *p, const struct scm_plan_item *it)
{
    switch (it->plan) {
    case SCM_PLAN_WRITE:
        p->write++;
        break;
    case SCM_PLAN_REPLACE:
        p->replace++;
        break;
    case SCM_PLAN_SAME:
        p->same++;
        break;
    case SCM_PLAN_NO_PLACE:
        p->no_place++;
        break;
    case SCM_PLAN_NEVER:
        p->never++;
        break;
    }
}

int card_same_elsewhere(struct scm_card *dst, const struct scm_obj_new *n, size_t len,
                        card_plan_data_fn get, void *arg, char *label, size_t cap,
                        struct scm_detail *d)
{
    const struct scm_obj_info *list;
    size_t nl;
    uint8_t *data = NULL, *got = NULL;
    size_t dl = 0, gl = 0;
    int found = 0, rc;
    if (dst->kind != SCM_CARD_REAL || !dst->ainfo.own_labels || scm_card_list(dst, &list, &nl) < 0)
        return 0;
    for (size_t i = 0; i < nl && !found; i++) {
        if (list[i].type != n->type || list[i].size != len || list[i].sealed ||
            strcmp(list[i].label, n->label) == 0)
            continue;
        if (!data && (rc = get(arg, &data, &dl, d)) < 0)
            return rc;
        uint32_t id = list[i].id;
        char lab[SCM_OBJ_LABEL_MAX + 1];
        snprintf(lab, sizeof(lab), "%s", list[i].label);
        if (scm_card_read(dst, id, &got, &gl, NULL) == SCM_OK) {
            if (gl == dl && (dl == 0 || memcmp(got, data, dl) == 0)) {
                found = 1;
                snprintf(label, cap, "%s", lab);
            }
            scm_secure_free(got, gl);
        }
        /* Reading renews the listing: start again from what it is now. */
        if (!found && scm_card_list(dst, &list, &nl) < 0)
            break;
    }
    scm_secure_free(data, dl);
    return found;
}

/* One object: its place on dst, then whether dst has it already (only
 * then are its bytes wanted, from get). */
int card_plan_one(struct scm_card *dst, const struct scm_obj_new *n, size_t len,
                  const struct scm_copy_plan *sofar, card_plan_data_fn get, void *arg,
                  struct scm_plan_item *it, struct scm_detail *d)
{
    struct scm_detail why = {{0}};
    uint8_t *data = NULL;
    char other[SCM_OBJ_LABEL_MAX + 1];
    uint32_t id;
    int rc;
    bool taken_here = false, no_place = false;
    if (dst->kind == SCM_CARD_REAL) {
        /* The places earlier objects of this copy will take. */
        struct scm_obj_ref *taken = calloc(sofar->n ? sofar->n : 1, sizeof(*taken));
        size_t n_taken = 0;
        if (!taken)
            return SCM_E_NOMEM;
        for (size_t i = 0; i < sofar->n; i++)
            if (sofar->items[i].plan == SCM_PLAN_WRITE && sofar->items[i].place[0])
                snprintf(taken[n_taken++].s, sizeof(taken->s), "%s", sofar->items[i].place);
        rc = card_real_place(dst, n, taken, n_taken, it->place, sizeof(it->place), &why);
        free(taken);
        if (rc == SCM_E_EXISTS) {
            taken_here = true;
        } else if (rc == SCM_E_NOT_SUPPORTED || rc == SCM_E_CARD_FULL) {
            no_place = true;
        } else if (rc < 0) {
            if (d && why.text[0])
                *d = why;
            return rc;
        }
    }
    if (!no_place && scm_card_find(dst, n->label, &id) == SCM_OK) {
        if ((rc = get(arg, &data, &len, d)) < 0)
            return rc;
        struct scm_obj_info o = {.type = n->type, .area = n->area};
        bool same = same_there(dst, id, &o, data, len);
        scm_secure_free(data, len);
        it->plan = same ? SCM_PLAN_SAME : SCM_PLAN_REPLACE;
        snprintf(it->why, sizeof(it->why), "%s",
                 same ? "Already there as it is."
                      : "The destination holds other bytes under this label.");
        return SCM_OK;
    }
    /* On a card that names its objects itself, a copy made before is
     * there under the card's label. */
    if ((rc = card_same_elsewhere(dst, n, len, get, arg, other, sizeof(other), d)) < 0)
        return rc;
    if (rc > 0) {
        it->plan = SCM_PLAN_SAME;
        it->place[0] = '\0';
        snprintf(it->why, sizeof(it->why), "Already there as '%s'.", other);
        return SCM_OK;
    }
    if (no_place) {
        it->plan = SCM_PLAN_NO_PLACE;
        snprintf(it->why, sizeof(it->why), "%s",
                 why.text[0] ? why.text : scm_strerror(SCM_E_NOT_SUPPORTED));
        return SCM_OK;
    }
    it->plan = taken_here ? SCM_PLAN_REPLACE : SCM_PLAN_WRITE;
    if (taken_here)
        snprintf(it->why, sizeof(it->why), "Its place %s holds an object already.", it->place);
    return SCM_OK;
}

struct src_obj {
    struct scm_card *src;
    uint32_t id;
};

static int read_src(void *arg, uint8_t **data, size_t *len, struct scm_detail *d)
{
    const struct src_obj *s = arg;
    return scm_card_read(s->src, s->id, data, len, d);
}

static int plan_one(struct scm_card *src, struct scm_card *dst, const struct scm_obj_info *o,
                    const struct scm_copy_plan *sofar, struct scm_plan_item *it,
                    struct scm_detail *d)
{
    if (o->sealed) {
        it->plan = SCM_PLAN_NEVER;
        snprintf(it->why, sizeof(it->why), "%s",
                 src->kind == SCM_CARD_VSC
                     ? "Keys in the secret key area never leave the VSC."
                     : "Cannot be copied: the card never releases private keys.");
        return SCM_OK;
    }
    struct scm_obj_new n = {.label = o->label,
                            .type = o->type,
                            .area = o->area,
                            .src_path = o->src_path,
                            .src_attrs = o->src_attrs,
                            .src_attrs_len = o->src_attrs_len};
    struct src_obj s = {src, o->id};
    /* A card with a slot per purpose places a certificate by its key
     * usage: the agent needs its bytes to say where. */
    uint8_t *data = NULL;
    size_t len = 0;
    int rc;
    if (o->type == SCM_OBJ_CERT && dst->kind == SCM_CARD_REAL) {
        if ((rc = scm_card_read(src, o->id, &data, &len, d)) < 0)
            return rc;
        n.data = data;
        n.len = len;
    }
    rc = card_plan_one(dst, &n, o->size, sofar, read_src, &s, it, d);
    scm_secure_free(data, len);
    return rc;
}

int scm_card_plan(struct scm_card *src, struct scm_card *dst, const char *const *labels,
                  size_t nlabels, struct scm_copy_plan *plan, struct scm_detail *d)
{
    const struct scm_obj_info *all;
    struct scm_obj_info *objs = NULL;
    size_t n, k = 0;
    int rc;
    memset(plan, 0, sizeof(*plan));
    if (!src || !dst)
        return SCM_E_INVAL;
    if ((rc = scm_card_list(src, &all, &n)) < 0)
        return rc;
    /* A private copy: reading dst and src below renews their listings. */
    objs = calloc(n ? n : 1, sizeof(*objs));
    plan->items = calloc(n ? n : 1, sizeof(*plan->items));
    char(*labs)[SCM_OBJ_LABEL_MAX + 1] = calloc(n ? n : 1, sizeof(*labs));
    char(*paths)[SCM_SRC_PATH_MAX] = calloc(n ? n : 1, sizeof(*paths));
    if (!objs || !plan->items || !labs || !paths) {
        rc = SCM_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (wanted(all[i].label, labels, nlabels)) {
            objs[k] = all[i];
            snprintf(labs[k], sizeof(labs[k]), "%s", all[i].label);
            snprintf(paths[k], sizeof(paths[k]), "%s", all[i].src_path ? all[i].src_path : "");
            objs[k].label = labs[k];
            objs[k].src_path = paths[k];
            objs[k].src_attrs = NULL; /* not needed to find a place */
            objs[k].src_attrs_len = 0;
            k++;
        }
    for (size_t i = 0; i < k; i++) {
        struct scm_plan_item *it = &plan->items[i];
        snprintf(it->label, sizeof(it->label), "%s", objs[i].label);
        it->area = objs[i].area;
        it->size = objs[i].size;
        if ((rc = plan_one(src, dst, &objs[i], plan, it, d)) < 0)
            goto out;
        plan->n++;
        card_plan_count(plan, it);
    }
    rc = SCM_OK;
out:
    free(objs);
    free(labs);
    free(paths);
    if (rc < 0)
        scm_copy_plan_free(plan);
    return rc;
}
