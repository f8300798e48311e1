/* The smart card API: one handle over a VSC (the control program) or a
 * real card (reader handler + card agent, in card_real.c). Each verb does
 * what both kinds share here and hands the rest to its kind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card_int.h"

#define VSC_PREFIX "vsc:"

bool scm_card_name_is_vsc(const char *name)
{
    return name && strncmp(name, VSC_PREFIX, strlen(VSC_PREFIX)) == 0;
}

void card_drop_listing(struct scm_card *c)
{
    free(c->objs);
    c->objs = NULL;
    c->n_objs = 0;
}

static int open_vsc(const struct scm_card_ctx *ctx, const char *name, struct scm_card *c,
                    struct scm_detail *d)
{
    const char *uid = name + strlen(VSC_PREFIX);
    if (!scm_vsc_uid_valid(uid))
        return scm_fail(d, SCM_E_BAD_UID, "'%s' is not a valid VSC identifier: %s", uid,
                        scm_strerror(SCM_E_BAD_UID));
    if (!ctx->store)
        return SCM_E_INVAL;
    c->kind = SCM_CARD_VSC;
    snprintf(c->name, sizeof(c->name), "%s%s", VSC_PREFIX, uid);
    return scm_vsc_open(ctx->store, uid, &c->vsc, d);
}

int scm_card_open(const struct scm_card_ctx *ctx, const char *name, struct scm_card **out,
                  struct scm_detail *d)
{
    struct scm_card *c;
    int rc;

    *out = NULL;
    if (!ctx || !name || !name[0])
        return SCM_E_INVAL;
    if (!scm_card_name_is_vsc(name) && !ctx->readers)
        return scm_fail(d, SCM_E_USAGE, "'%s' is not a VSC name (vsc:UID).", name);
    c = calloc(1, sizeof(*c));
    if (!c)
        return SCM_E_NOMEM;
    if (scm_card_name_is_vsc(name))
        rc = open_vsc(ctx, name, c, d);
    else
        rc = card_real_open(ctx, name, c, d);
    if (rc < 0) {
        scm_card_close(c);
        return rc;
    }
    *out = c;
    return SCM_OK;
}

void scm_card_close(struct scm_card *c)
{
    if (!c)
        return;
    card_drop_listing(c);
    scm_vsc_close(c->vsc);
    card_real_close(c);
    free(c);
}

void scm_card_get_info(const struct scm_card *c, struct scm_card_info *out)
{
    struct scm_vsc_info vi;
    memset(out, 0, sizeof(*out));
    out->kind = c->kind;
    out->pin_tries = -1;
    out->write_cred = -1;
    snprintf(out->name, sizeof(out->name), "%s", c->name);
    if (c->kind == SCM_CARD_REAL) {
        card_real_info(c, out);
        return;
    }
    scm_vsc_get_info(c->vsc, &vi);
    snprintf(out->label, sizeof(out->label), "%s", vi.label);
    snprintf(out->serial, sizeof(out->serial), "%s", vi.uid);
    out->locked = !vi.unlocked;
    out->disabled = vi.disabled;
    out->dirty = vi.dirty;
    out->generation = vi.generation;
    memcpy(out->count, vi.count, sizeof(out->count));
    out->source = vi.source;
}

/* A listing stays valid through a failed unlock (the UI keeps drawing it);
 * a successful one shows more objects, so it is rebuilt on the next list. */
int scm_card_unlock(struct scm_card *c, const char *secret, size_t len, struct scm_detail *d)
{
    int rc = c->kind == SCM_CARD_REAL ? card_real_unlock(c, secret, len, d)
                                      : scm_vsc_unlock(c->vsc, secret, len, d);
    if (rc == SCM_OK)
        card_drop_listing(c);
    return rc;
}

int scm_card_verify(struct scm_card *c, unsigned cred, const uint8_t *secret, size_t len,
                    struct scm_detail *d)
{
    if (cred == 0)
        return scm_card_unlock(c, (const char *)secret, len, d);
    if (c->kind != SCM_CARD_REAL)
        return scm_fail(d, SCM_E_NOT_SUPPORTED, "A VSC has one credential, its password.");
    int rc = card_real_verify(c, cred, secret, len, d);
    if (rc == SCM_OK)
        card_drop_listing(c);
    return rc;
}

void scm_card_allow_last_try(struct scm_card *c, bool allow)
{
    c->allow_last_try = allow;
}

bool scm_card_needs_unlock(const struct scm_card *c)
{
    struct scm_vsc_info vi;
    if (c->kind == SCM_CARD_REAL)
        return !c->pin_ok;
    scm_vsc_get_info(c->vsc, &vi);
    return !vi.unlocked;
}

static int list_vsc(struct scm_card *c)
{
    bool locked = scm_card_needs_unlock(c);
    for (int a = 0; a < SCM_AREA_COUNT; a++) {
        const struct scm_obj_info *part;
        size_t count;
        struct scm_obj_info *grown;
        /* A locked card shows its public area only; that is not an error. */
        if (a != SCM_AREA_PUBLIC && locked)
            continue;
        /* Copy each area at once: the VSC reuses its listing buffer on the
         * next call. */
        int rc = scm_vsc_list(c->vsc, (enum scm_area)a, &part, &count);
        if (rc < 0)
            return rc;
        if (count == 0)
            continue;
        grown = realloc(c->objs, (c->n_objs + count) * sizeof(*c->objs));
        if (!grown)
            return SCM_E_NOMEM;
        c->objs = grown;
        memcpy(c->objs + c->n_objs, part, count * sizeof(*c->objs));
        c->n_objs += count;
    }
    return SCM_OK;
}

int scm_card_list(struct scm_card *c, const struct scm_obj_info **out, size_t *n)
{
    int rc;
    *out = NULL;
    *n = 0;
    card_drop_listing(c);
    rc = c->kind == SCM_CARD_REAL ? card_real_list(c) : list_vsc(c);
    if (rc < 0) {
        card_drop_listing(c);
        return rc;
    }
    *out = c->objs;
    *n = c->n_objs;
    return SCM_OK;
}

/* Listing entries carry the ids both kinds hand out. */
static const struct scm_obj_info *listed(struct scm_card *c, const char *label, uint32_t id)
{
    const struct scm_obj_info *o;
    size_t n;
    if (!c->objs && scm_card_list(c, &o, &n) < 0)
        return NULL;
    for (size_t i = 0; i < c->n_objs; i++)
        if (label ? strcmp(c->objs[i].label, label) == 0 : c->objs[i].id == id)
            return &c->objs[i];
    return NULL;
}

int scm_card_find(struct scm_card *c, const char *label, uint32_t *id)
{
    const struct scm_obj_info *o;
    if (c->kind == SCM_CARD_VSC)
        return scm_vsc_find(c->vsc, label, id);
    if (!label || !(o = listed(c, label, 0)))
        return SCM_E_NOT_FOUND;
    *id = o->id;
    return SCM_OK;
}

int scm_card_read(struct scm_card *c, uint32_t id, uint8_t **data, size_t *len,
                  struct scm_detail *d)
{
    int rc;
    if (c->kind == SCM_CARD_REAL)
        return card_real_read(c, id, data, len, d);
    rc = scm_vsc_read(c->vsc, id, data, len);
    if (rc < 0 && scm_vsc_last_detail(c->vsc)[0])
        scm_fail(d, rc, "%s", scm_vsc_last_detail(c->vsc));
    return rc;
}

/* The rules of a replace, the same for both kinds: the object must be in
 * the area the caller meant, or a "replace" could quietly move a secret
 * into a readable area's place; o->type 0 keeps the type, any other type
 * must match, so that a type change is never silently dropped. *type_out
 * is the type to write. */
static int check_replace(struct scm_card *c, const struct scm_obj_new *o, bool replace,
                         bool *exists, enum scm_obj_type *type_out, uint32_t *id,
                         struct scm_detail *d)
{
    const struct scm_obj_info *oi;
    *exists = false;
    *type_out = o->type ? o->type : SCM_OBJ_DATA;
    if (!replace || !(oi = listed(c, o->label, 0)))
        return SCM_OK;
    if (oi->area != o->area)
        return scm_fail(d, SCM_E_EXISTS,
                        "'%s' is in the %s area of %s, not the %s area: delete it first.", o->label,
                        scm_area_name(oi->area), c->name, scm_area_name(o->area));
    if (o->type && oi->type != o->type)
        return scm_fail(d, SCM_E_EXISTS,
                        "'%s' on %s is of type %s, not %s: delete it first to change its type.",
                        o->label, c->name, scm_obj_type_name(oi->type), scm_obj_type_name(o->type));
    *exists = true;
    *type_out = oi->type;
    *id = oi->id;
    return SCM_OK;
}

int scm_card_write(struct scm_card *c, const struct scm_obj_new *o, bool replace, uint32_t *id_out,
                   struct scm_detail *d)
{
    struct scm_obj_new n;
    bool exists;
    uint32_t id = 0;
    int rc;

    if (!o || !o->label)
        return SCM_E_INVAL;
    n = *o;
    /* A locked VSC lists its public area only: unlock errors come first. */
    if (c->kind == SCM_CARD_VSC && o->area != SCM_AREA_PUBLIC && scm_card_needs_unlock(c))
        return SCM_E_VSC_LOCKED;
    if ((rc = check_replace(c, o, replace, &exists, &n.type, &id, d)) < 0)
        return rc;
    card_drop_listing(c);
    if (c->kind == SCM_CARD_REAL)
        rc = card_real_write(c, &n, exists, d);
    else if (exists)
        rc = scm_vsc_replace(c->vsc, id, n.data, n.len);
    else
        rc = scm_vsc_add(c->vsc, &n, &id);
    if (rc == SCM_E_EXISTS)
        return scm_fail(d, rc, "%s already has an object labelled '%s': use --replace.", c->name,
                        o->label);
    if (rc == SCM_E_BAD_LABEL || rc == SCM_E_LIMIT)
        return scm_fail(d, rc, "'%s': %s", o->label, scm_strerror(rc));
    if (rc < 0)
        return rc;
    if (c->kind == SCM_CARD_REAL && scm_card_find(c, o->label, &id) < 0)
        id = 0;
    if (id_out)
        *id_out = id;
    return SCM_OK;
}

int scm_card_delete(struct scm_card *c, uint32_t id, struct scm_detail *d)
{
    int rc;
    if (c->kind == SCM_CARD_REAL) {
        rc = card_real_delete(c, id, d);
        card_drop_listing(c);
        return rc;
    }
    card_drop_listing(c);
    return scm_vsc_delete(c->vsc, id);
}

int scm_card_check(struct scm_card *c, unsigned *what, struct scm_detail *d)
{
    *what = 0;
    if (c->kind != SCM_CARD_REAL)
        return SCM_OK;
    int rc = card_real_check(c, what, d);
    /* The listing's strings pointed into the old agent listing; a PIN
     * that went closes the private area. */
    if (rc == SCM_OK && *what)
        card_drop_listing(c);
    return rc;
}

int scm_card_commit(struct scm_card *c, struct scm_detail *d)
{
    if (c->kind == SCM_CARD_REAL)
        return SCM_OK;
    return scm_vsc_save(c->vsc, d);
}
