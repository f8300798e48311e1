/* The smart card API over the VSC control program. Real cards join here in
 * the reader issue; until then only "vsc:UID" names open. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scmgr/card.h"

#define VSC_PREFIX "vsc:"

struct scm_card {
    enum scm_card_kind kind;
    char name[160];
    struct scm_vsc *vsc;
    /* The listing of every accessible area, rebuilt by scm_card_list. The
     * strings inside point into the VSC handle, like scm_vsc_list's. */
    struct scm_obj_info *objs;
    size_t n_objs;
};

/* Labels come from files and the command line: keep details one line. */
static const char *clean_label(const char *label, char *buf, size_t len)
{
    scm_sanitize(label, strlen(label), buf, len);
    return buf;
}

static void drop_listing(struct scm_card *c)
{
    free(c->objs);
    c->objs = NULL;
    c->n_objs = 0;
}

int scm_card_open(const struct scm_card_ctx *ctx, const char *name, struct scm_card **out,
                  struct scm_detail *d)
{
    struct scm_card *c = NULL;
    const char *uid;
    char clean[200];
    int rc;

    *out = NULL;
    if (!name || strncmp(name, VSC_PREFIX, strlen(VSC_PREFIX)) != 0)
        return scm_fail(d, SCM_E_USAGE, "Real card readers are not supported yet: use vsc:UID.");
    uid = name + strlen(VSC_PREFIX);
    if (!scm_vsc_uid_valid(uid))
        return scm_fail(d, SCM_E_BAD_UID, "'%s' is not a valid VSC identifier: %s",
                        clean_label(uid, clean, sizeof(clean)), scm_strerror(SCM_E_BAD_UID));
    if (!ctx || !ctx->store)
        return SCM_E_INVAL;

    c = calloc(1, sizeof(*c));
    if (!c)
        return SCM_E_NOMEM;
    c->kind = SCM_CARD_VSC;
    snprintf(c->name, sizeof(c->name), "%s%s", VSC_PREFIX, uid);
    rc = scm_vsc_open(ctx->store, uid, &c->vsc, d);
    if (rc < 0)
        goto out;
    *out = c;
    c = NULL;
    rc = SCM_OK;
out:
    scm_card_close(c);
    return rc;
}

void scm_card_close(struct scm_card *c)
{
    if (!c)
        return;
    drop_listing(c);
    scm_vsc_close(c->vsc);
    free(c);
}

void scm_card_get_info(const struct scm_card *c, struct scm_card_info *out)
{
    struct scm_vsc_info vi;
    memset(out, 0, sizeof(*out));
    scm_vsc_get_info(c->vsc, &vi);
    out->kind = c->kind;
    snprintf(out->name, sizeof(out->name), "%s", c->name);
    snprintf(out->label, sizeof(out->label), "%s", vi.label);
    snprintf(out->serial, sizeof(out->serial), "%s", vi.uid);
    out->locked = !vi.unlocked;
    out->disabled = vi.disabled;
    out->dirty = vi.dirty;
    out->generation = vi.generation;
    memcpy(out->count, vi.count, sizeof(out->count));
    out->source = vi.source;
}

int scm_card_unlock(struct scm_card *c, const char *secret, size_t len, struct scm_detail *d)
{
    drop_listing(c);
    return scm_vsc_unlock(c->vsc, secret, len, d);
}

bool scm_card_needs_unlock(const struct scm_card *c)
{
    struct scm_vsc_info vi;
    scm_vsc_get_info(c->vsc, &vi);
    return !vi.unlocked;
}

int scm_card_list(struct scm_card *c, const struct scm_obj_info **out, size_t *n)
{
    bool locked = scm_card_needs_unlock(c);
    int rc;

    *out = NULL;
    *n = 0;
    drop_listing(c);
    for (int a = 0; a < SCM_AREA_COUNT; a++) {
        const struct scm_obj_info *part;
        size_t count;
        struct scm_obj_info *grown;
        /* A locked card shows its public area only; that is not an error. */
        if (a != SCM_AREA_PUBLIC && locked)
            continue;
        /* Copy each area at once: the VSC reuses its listing buffer on the
         * next call. */
        rc = scm_vsc_list(c->vsc, (enum scm_area)a, &part, &count);
        if (rc < 0)
            goto fail;
        if (count == 0)
            continue;
        grown = realloc(c->objs, (c->n_objs + count) * sizeof(*c->objs));
        if (!grown) {
            rc = SCM_E_NOMEM;
            goto fail;
        }
        c->objs = grown;
        memcpy(c->objs + c->n_objs, part, count * sizeof(*c->objs));
        c->n_objs += count;
    }
    *out = c->objs;
    *n = c->n_objs;
    return SCM_OK;
fail:
    drop_listing(c);
    return rc;
}

int scm_card_find(struct scm_card *c, const char *label, uint32_t *id)
{
    return scm_vsc_find(c->vsc, label, id);
}

int scm_card_read(struct scm_card *c, uint32_t id, uint8_t **data, size_t *len)
{
    return scm_vsc_read(c->vsc, id, data, len);
}

/* replace: an object with this label gets the new data in place (its id,
 * type and source path stay); it must be in the area the caller meant, or
 * a "replace" could quietly move a secret into a readable area's place.
 * o->type 0 means "keep the type" (a new object then becomes data); any
 * other type must match, so that a type change is never silently dropped. */
int scm_card_write(struct scm_card *c, const struct scm_obj_new *o, bool replace, uint32_t *id_out,
                   struct scm_detail *d)
{
    char clean[SCM_OBJ_LABEL_MAX * 4 + 1];
    uint32_t id = 0;
    int rc;

    drop_listing(c);
    if (!o || !o->label)
        return SCM_E_INVAL;
    if (replace && scm_vsc_find(c->vsc, o->label, &id) == SCM_OK) {
        struct scm_obj_info oi;
        if ((rc = scm_vsc_get_obj(c->vsc, id, &oi)) < 0)
            return rc;
        if (oi.area != o->area)
            return scm_fail(d, SCM_E_EXISTS,
                            "'%s' is in the %s area of %s, not the %s area: delete it first.",
                            clean_label(o->label, clean, sizeof(clean)), scm_area_name(oi.area),
                            c->name, scm_area_name(o->area));
        if (o->type && oi.type != o->type)
            return scm_fail(d, SCM_E_EXISTS,
                            "'%s' on %s is of type %s, not %s: delete it first to change its type.",
                            clean_label(o->label, clean, sizeof(clean)), c->name,
                            scm_obj_type_name(oi.type), scm_obj_type_name(o->type));
        rc = scm_vsc_replace(c->vsc, id, o->data, o->len);
    } else {
        struct scm_obj_new n = *o;
        if (!n.type)
            n.type = SCM_OBJ_DATA;
        rc = scm_vsc_add(c->vsc, &n, &id);
    }
    if (rc == SCM_E_EXISTS)
        return scm_fail(d, rc, "%s already has an object labelled '%s': use --replace.", c->name,
                        clean_label(o->label, clean, sizeof(clean)));
    if (rc == SCM_E_BAD_LABEL || rc == SCM_E_LIMIT)
        return scm_fail(d, rc, "'%s': %s", clean_label(o->label, clean, sizeof(clean)),
                        scm_strerror(rc));
    if (rc < 0)
        return rc;
    if (id_out)
        *id_out = id;
    return SCM_OK;
}

int scm_card_delete(struct scm_card *c, uint32_t id, struct scm_detail *d)
{
    (void)d;
    drop_listing(c);
    return scm_vsc_delete(c->vsc, id);
}

int scm_card_commit(struct scm_card *c, struct scm_detail *d)
{
    return scm_vsc_save(c->vsc, d);
}
