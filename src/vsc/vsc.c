/* The VSC handle: life cycle, unlock, objects, state and signing.
 *
 * A handle keeps the file as last loaded or saved (v->raw: only public
 * data and ciphertext) and the objects decoded from it. Private and secret
 * objects, the data key and every derived key live in secure memory and
 * are wiped on lock and close. Locking reloads from v->raw, which is also
 * how unsaved changes are dropped. */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vsc_int.h"

static int fail(struct scm_vsc *v, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct scm_vsc *v, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->last, sizeof(v->last), fmt, ap);
    va_end(ap);
    return err;
}

const char *scm_vsc_last_detail(const struct scm_vsc *v)
{
    return v->last;
}

/* ---- Objects in memory ------------------------------------------------------ */

static void obj_free(struct vsc_obj *o)
{
    if (o->s.area == SCM_AREA_PUBLIC)
        free(o->buf);
    else
        scm_secure_free(o->buf, o->buf_len);
    o->buf = NULL;
    o->buf_len = 0;
}

/* Give o a new label and data (copies; the old buffer is wiped). */
static int obj_set(struct vsc_obj *o, const void *label, size_t llen, const void *data, size_t len)
{
    size_t n = llen + 1 + len;
    uint8_t *b = o->s.area == SCM_AREA_PUBLIC ? malloc(n) : scm_secure_alloc(n);
    if (!b)
        return SCM_E_NOMEM;
    memcpy(b, label, llen);
    b[llen] = '\0';
    if (len)
        memcpy(b + llen + 1, data, len);
    obj_free(o);
    o->buf = b;
    o->buf_len = n;
    o->label_len = llen;
    o->len = len;
    o->loaded = true;
    return SCM_OK;
}

void vsc_objs_clear(struct scm_vsc *v)
{
    for (size_t i = 0; i < v->nobj; i++)
        obj_free(&v->objs[i]);
    free(v->objs);
    free(v->listing);
    v->objs = NULL;
    v->listing = NULL;
    v->nobj = v->cap = 0;
}

/* Copy one area's records into the objects (both sorted by id). */
static int load_recs(struct scm_vsc *v, const struct vsc_rec *r, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        while (k < v->nobj && v->objs[k].s.id != r[i].id)
            k++;
        if (k == v->nobj)
            return SCM_E_VSC_CORRUPT; /* the codec matched them already */
        v->objs[k].type = r[i].type;
        int rc = obj_set(&v->objs[k], r[i].label, r[i].label_len, r[i].data, r[i].len);
        if (rc < 0)
            return rc;
    }
    return SCM_OK;
}

int vsc_load_raw(struct scm_vsc *v, struct scm_detail *d)
{
    struct vsc_file f;
    int rc = vsc_parse_file(v->path, v->raw, v->raw_len, &f, d);
    if (rc < 0)
        return rc;
    vsc_objs_clear(v);
    v->hdr = f.hdr;
    v->dirty = false;
    v->public_verified = false;
    if (f.nents) {
        v->objs = calloc(f.nents, sizeof(*v->objs));
        if (!v->objs) {
            rc = scm_fail(d, SCM_E_NOMEM, "%s: out of memory", v->path);
            goto out;
        }
    }
    v->cap = v->nobj = f.nents;
    for (size_t i = 0; i < f.nents; i++)
        v->objs[i].s = f.ents[i];
    rc = load_recs(v, f.pub, f.npub);
    if (rc < 0)
        scm_fail(d, rc, "%s: could not load the public area", v->path);
out:
    vsc_file_free(&f);
    return rc;
}

static struct vsc_obj *obj_find(struct scm_vsc *v, uint32_t id)
{
    size_t lo = 0, hi = v->nobj;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->objs[mid].s.id == id)
            return &v->objs[mid];
        if (v->objs[mid].s.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- Info ------------------------------------------------------------------ */

void vsc_info_from_hdr(const struct vsc_hdr *h, const size_t count[SCM_AREA_COUNT], uint64_t size,
                       struct scm_vsc_info *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->uid, h->uid, sizeof(out->uid));
    memcpy(out->label, h->label, sizeof(out->label));
    out->created = h->created;
    out->modified = h->modified;
    out->generation = h->generation;
    out->disabled = h->state != 0;
    out->kdf_iterations = h->iterations;
    for (unsigned a = 0; a < SCM_AREA_COUNT; a++)
        out->count[a] = count[a];
    out->source = h->src;
    out->file_size = size;
}

void scm_vsc_get_info(const struct scm_vsc *v, struct scm_vsc_info *out)
{
    size_t count[SCM_AREA_COUNT] = {0};
    for (size_t i = 0; i < v->nobj; i++)
        count[v->objs[i].s.area]++;
    vsc_info_from_hdr(&v->hdr, count, v->raw_len, out);
    out->unlocked = v->dk != NULL;
    out->public_verified = v->public_verified;
    out->dirty = v->dirty;
}

const char *scm_vsc_path(const struct scm_vsc *v)
{
    return v->path;
}

void scm_vsc_test_fail_at(struct scm_vsc *v, int step)
{
    v->fail_at = step;
}

/* ---- Life cycle ---------------------------------------------------------- */

static int handle_new(const char *path, int dfd, const struct scm_policy *pol, struct scm_vsc **out)
{
    struct scm_vsc *v = calloc(1, sizeof(*v));
    if (!v || !(v->path = strdup(path))) {
        free(v);
        return SCM_E_NOMEM;
    }
    v->dfd = dfd >= 0 ? fcntl(dfd, F_DUPFD_CLOEXEC, 3) : -1;
    v->pol = *pol;
    *out = v;
    return SCM_OK;
}

void scm_vsc_close(struct scm_vsc *v)
{
    if (!v)
        return;
    vsc_objs_clear(v);
    scm_secure_free(v->dk, VSC_KEY);
    free(v->raw);
    free(v->path);
    if (v->dfd >= 0)
        close(v->dfd);
    scm_wipe(v, sizeof(*v));
    free(v);
}

void scm_vsc_lock(struct scm_vsc *v)
{
    scm_secure_free(v->dk, VSC_KEY);
    v->dk = NULL;
    /* Reloading from the saved file drops the private objects and any
     * unsaved change; it cannot fail on a file that loaded before except
     * for lack of memory, which leaves no object at all. */
    if (vsc_load_raw(v, NULL) < 0)
        vsc_objs_clear(v);
}

/* entry: a store entry, whose name must say its UID (not so for a file
 * the user named: an export may be called anything). */
static int open_common(const char *path, int dfd, const char *name, bool entry,
                       const struct scm_policy *pol, struct scm_vsc **out, struct scm_detail *d)
{
    struct scm_vsc *v = NULL;
    int rc = handle_new(path, dfd, pol, &v);
    if (rc < 0) {
        scm_fail(d, rc, "%s: out of memory", path);
        goto out;
    }
    rc = vsc_read_all_at(dfd >= 0 ? dfd : AT_FDCWD, name, path, &v->raw, &v->raw_len, d);
    if (rc == SCM_OK)
        rc = vsc_load_raw(v, d);
    /* Saves go to the header's UID: opening BBB.vsc holding AAA as vsc:BBB
     * would write into AAA.vsc. */
    if (rc == SCM_OK && entry)
        rc = vsc_check_name(path, name, v->hdr.uid, d);
out:
    if (rc < 0) {
        scm_vsc_close(v);
        v = NULL;
    }
    *out = v;
    return rc;
}

int scm_vsc_open(struct scm_store *st, const char *uid, struct scm_vsc **out, struct scm_detail *d)
{
    char name[SCM_VSC_UID_MAX + 8], path[PATH_MAX];
    *out = NULL;
    if (!scm_vsc_uid_valid(uid))
        return scm_fail(d, SCM_E_BAD_UID, "\"%.40s\" is not a valid VSC identifier",
                        uid ? uid : "");
    snprintf(name, sizeof(name), "%s.vsc", uid);
    snprintf(path, sizeof(path), "%s/%s", st->dir, name);
    int rc = open_common(path, st->dfd, name, true, &st->pol, out, d);
    if (rc == SCM_OK) {
        /* Temp files of killed saves go now, under the lock (not waiting
         * for it: a save running now is alive, and its file is not stale). */
        int lk = vsc_lock_uid_try(st->dfd, uid);
        if (lk >= 0) {
            vsc_stale_temps(st->dfd, uid, true, NULL, 0);
            close(lk);
        }
    }
    return rc;
}

int scm_vsc_open_file(const char *path, const struct scm_policy *pol, struct scm_vsc **out,
                      struct scm_detail *d)
{
    *out = NULL;
    return open_common(path, -1, path, false, pol, out, d);
}

static int check_source(const struct scm_vsc_source *s)
{
    if (strnlen(s->reader, sizeof(s->reader)) > 127 || s->atr_len > SCM_ATR_MAX ||
        strnlen(s->agent, sizeof(s->agent)) > 31 || strnlen(s->serial, sizeof(s->serial)) > 63 ||
        strnlen(s->label, sizeof(s->label)) > SCM_VSC_LABEL_MAX)
        return SCM_E_LIMIT;
    const char *txt[] = {s->reader, s->agent, s->serial, s->label};
    for (size_t i = 0; i < 4; i++)
        if (!vsc_utf8_valid((const uint8_t *)txt[i], strlen(txt[i])))
            return SCM_E_BAD_LABEL;
    return SCM_OK;
}

static bool vsc_label_ok(const char *label)
{
    size_t n = label ? strnlen(label, SCM_VSC_LABEL_MAX + 1) : 0;
    return n >= 1 && n <= SCM_VSC_LABEL_MAX && scm_text_is_clean(label, n);
}

static int check_new_pw(const struct scm_policy *pol, const char *pw, size_t len,
                        struct scm_detail *d)
{
    if (!pw || len < pol->min_password_len || len == 0)
        return scm_fail(d, SCM_E_PW_WEAK,
                        "the password is %zu characters; the security policy needs at least %u",
                        len, pol->min_password_len ? pol->min_password_len : 1);
    if (len > VSC_PW_MAX)
        return scm_fail(d, SCM_E_LIMIT, "the password is longer than %d bytes", VSC_PW_MAX);
    return SCM_OK;
}

/* New KDF salt and iterations, and DK wrapped under the password's KEK. */
static int rewrap(struct scm_vsc *v, const char *pw, size_t pwlen, struct scm_detail *d)
{
    uint8_t *kek = scm_secure_alloc(VSC_KEY);
    int rc = kek ? SCM_OK : SCM_E_NOMEM;
    v->hdr.iterations = vsc_kdf_iterations(&v->pol);
    if (rc == SCM_OK)
        rc = vsc_random(v->hdr.kdf_salt, VSC_SALT, false);
    if (rc == SCM_OK)
        rc = vsc_pbkdf2(pw, pwlen, v->hdr.kdf_salt, VSC_SALT, v->hdr.iterations, kek, VSC_KEY);
    if (rc == SCM_OK)
        rc = vsc_wrap_dk(&v->hdr, kek, v->dk, v->hdr.wrap);
    scm_secure_free(kek, VSC_KEY);
    if (rc < 0)
        scm_fail(d, rc, "%s: could not derive the key from the password", v->path);
    return rc;
}

int scm_vsc_create(struct scm_store *st, const char *uid, const char *label,
                   const struct scm_vsc_source *src, const char *pw, size_t pwlen,
                   struct scm_vsc **out, struct scm_detail *d)
{
    char name[SCM_VSC_UID_MAX + 8], path[PATH_MAX];
    struct scm_vsc *v = NULL;
    int rc;
    *out = NULL;
    if (!scm_vsc_uid_valid(uid))
        return scm_fail(d, SCM_E_BAD_UID,
                        "\"%.40s\" is not a valid VSC identifier (1 to %d "
                        "letters, digits, dots, dashes or underscores)",
                        uid ? uid : "", SCM_VSC_UID_MAX);
    snprintf(name, sizeof(name), "%s.vsc", uid);
    snprintf(path, sizeof(path), "%s/%s", st->dir, name);
    if (label && !vsc_label_ok(label))
        return scm_fail(d, SCM_E_BAD_LABEL,
                        "%s: the VSC label must be 1 to %d bytes of UTF-8 "
                        "without control characters",
                        path, SCM_VSC_LABEL_MAX);
    if (src && (rc = check_source(src)) < 0)
        return scm_fail(d, rc, "%s: a field of the source card is too long or not UTF-8", path);
    if ((rc = check_new_pw(&st->pol, pw, pwlen, d)) < 0)
        return rc;
    if (faccessat(st->dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return scm_fail(d, SCM_E_VSC_EXISTS, "%s: a VSC with this UID already exists", path);
    rc = handle_new(path, st->dfd, &st->pol, &v);
    if (rc < 0)
        return scm_fail(d, rc, "%s: out of memory", path);
    snprintf(v->hdr.uid, sizeof(v->hdr.uid), "%s", uid);
    snprintf(v->hdr.label, sizeof(v->hdr.label), "%s%s", label ? "" : "VSC ", label ? label : uid);
    if (src)
        v->hdr.src = *src;
    v->hdr.created = v->hdr.modified = (int64_t)time(NULL);
    v->hdr.generation = 0; /* the first save makes it 1 and needs no file yet */
    v->dk = scm_secure_alloc(VSC_KEY);
    rc = v->dk ? vsc_random(v->dk, VSC_KEY, true) : SCM_E_NOMEM;
    if (rc < 0) {
        scm_fail(d, rc, "%s: could not make the data key", path);
        goto out;
    }
    rc = rewrap(v, pw, pwlen, d);
    if (rc < 0)
        goto out;
    v->public_verified = true;
    v->dirty = true;
    rc = scm_vsc_save(v, d);
out:
    if (rc < 0)
        scm_vsc_close(v);
    else
        *out = v;
    return rc;
}

/* Step 7 of the consistency check. allow_disabled is for enable and verify. */
static int unlock(struct scm_vsc *v, const char *pw, size_t pwlen, bool allow_disabled,
                  struct scm_detail *d)
{
    struct vsc_file f;
    struct vsc_plain pl;
    uint8_t *kek = NULL, *dk = NULL;
    uint32_t floor = vsc_kdf_floor(&v->pol);
    int rc = vsc_parse_file(v->path, v->raw, v->raw_len, &f, d);
    memset(&pl, 0, sizeof(pl));
    if (rc < 0)
        return rc;
    /* No downgrade: refuse a weak file before spending any time on it. */
    if (f.hdr.iterations < floor) {
        rc = scm_fail(d, SCM_E_KDF_TOO_WEAK,
                      "%s: the file was made with too few PBKDF2 iterations (%u; the policy "
                      "needs at least %u)",
                      v->path, f.hdr.iterations, floor);
        goto out;
    }
    /* Nor a hostile one: a count far above the floor would hold the caller
     * for hours. Only bites under a lowered (test) floor: 10,000 x 600,000
     * is above any 32-bit count. */
    if ((uint64_t)f.hdr.iterations > (uint64_t)floor * VSC_KDF_MAX_FACTOR) {
        rc = scm_fail(d, SCM_E_VSC_CORRUPT,
                      "%s: the file asks for %u PBKDF2 iterations, more than %u times the "
                      "policy's floor (the file is damaged)",
                      v->path, f.hdr.iterations, VSC_KDF_MAX_FACTOR);
        goto out;
    }
    if ((!pw && pwlen) || pwlen > VSC_PW_MAX) {
        rc = scm_fail(d, SCM_E_BAD_PASSWORD, "%s: wrong password", v->path);
        goto out;
    }
    kek = scm_secure_alloc(VSC_KEY);
    dk = scm_secure_alloc(VSC_KEY);
    if (!kek || !dk) {
        rc = scm_fail(d, SCM_E_NOMEM, "%s: out of secure memory", v->path);
        goto out;
    }
    rc = vsc_pbkdf2(pw ? pw : "", pwlen, f.hdr.kdf_salt, VSC_SALT, f.hdr.iterations, kek, VSC_KEY);
    if (rc == SCM_OK)
        rc = vsc_unwrap_dk(&f.hdr, kek, dk);
    if (rc == SCM_E_BAD_PASSWORD)
        scm_fail(d, rc, "%s: wrong password", v->path);
    else if (rc < 0)
        scm_fail(d, rc, "%s: could not derive the key from the password", v->path);
    if (rc < 0)
        goto out;
    rc = vsc_verify_keyed(v->path, &f, dk, &pl, d);
    if (rc < 0)
        goto out;
    if (f.hdr.state != 0 && !allow_disabled) {
        rc = scm_fail(d, SCM_E_VSC_DISABLED, "%s: the VSC is disabled: enable it first", v->path);
        goto out;
    }
    if (v->dk) {
        /* Already unlocked: the password was checked, keep unsaved changes. */
        rc = SCM_OK;
        goto out;
    }
    for (unsigned a = SCM_AREA_PRIVATE; a < SCM_AREA_COUNT && rc == SCM_OK; a++)
        rc = load_recs(v, pl.recs[a], pl.nrecs[a]);
    if (rc < 0) {
        scm_fail(d, rc, "%s: out of secure memory", v->path);
        scm_vsc_lock(v);
        goto out;
    }
    v->dk = dk;
    dk = NULL;
    v->public_verified = true;
out:
    vsc_plain_free(&pl);
    vsc_file_free(&f);
    scm_secure_free(kek, VSC_KEY);
    scm_secure_free(dk, VSC_KEY);
    return rc;
}

int scm_vsc_unlock(struct scm_vsc *v, const char *pw, size_t pwlen, struct scm_detail *d)
{
    return unlock(v, pw, pwlen, false, d);
}

int scm_store_verify(struct scm_store *st, const char *uid, const char *pw, size_t pwlen,
                     struct scm_detail *d)
{
    char name[SCM_VSC_UID_MAX + 8], path[PATH_MAX];
    struct scm_vsc *v = NULL;
    if (!scm_vsc_uid_valid(uid))
        return scm_fail(d, SCM_E_BAD_UID, "\"%.40s\" is not a valid VSC identifier",
                        uid ? uid : "");
    snprintf(name, sizeof(name), "%s.vsc", uid);
    snprintf(path, sizeof(path), "%s/%s", st->dir, name);
    int rc = open_common(path, st->dfd, name, true, &st->pol, &v, d);
    if (rc == SCM_OK && pw)
        rc = unlock(v, pw, pwlen, true, d);
    scm_vsc_close(v);
    return rc;
}

int scm_vsc_verify_file(const char *path, const struct scm_policy *pol, const char *pw,
                        size_t pwlen, struct scm_detail *d)
{
    struct scm_vsc *v = NULL;
    int rc = scm_vsc_open_file(path, pol, &v, d);
    if (rc == SCM_OK && pw)
        rc = unlock(v, pw, pwlen, true, d);
    scm_vsc_close(v);
    return rc;
}

/* ---- State and keys --------------------------------------------------------- */

int scm_vsc_passwd(struct scm_vsc *v, const char *newpw, size_t newlen, struct scm_detail *d)
{
    struct vsc_hdr old = v->hdr;
    int rc;
    if (!v->dk)
        return scm_fail(d, SCM_E_VSC_LOCKED, "%s: unlock the VSC first", v->path);
    if ((rc = check_new_pw(&v->pol, newpw, newlen, d)) < 0)
        return rc;
    rc = rewrap(v, newpw, newlen, d);
    if (rc == SCM_OK)
        rc = scm_vsc_save(v, d);
    if (rc < 0) {
        memcpy(v->hdr.kdf_salt, old.kdf_salt, VSC_SALT);
        memcpy(v->hdr.wrap, old.wrap, VSC_WRAP_LEN);
        v->hdr.iterations = old.iterations;
    }
    return rc;
}

int scm_vsc_disable(struct scm_vsc *v, struct scm_detail *d)
{
    if (!v->dk)
        return scm_fail(d, SCM_E_VSC_LOCKED, "%s: unlock the VSC first", v->path);
    if (v->hdr.state)
        return SCM_OK;
    v->hdr.state = 1;
    int rc = scm_vsc_save(v, d);
    if (rc < 0) {
        v->hdr.state = 0;
        return rc;
    }
    /* A disabled card gives nothing out: drop the keys with the state. */
    scm_vsc_lock(v);
    return SCM_OK;
}

int scm_vsc_enable(struct scm_vsc *v, const char *pw, size_t pwlen, struct scm_detail *d)
{
    int rc = unlock(v, pw, pwlen, true, d);
    if (rc < 0 || v->hdr.state == 0)
        return rc;
    v->hdr.state = 0;
    rc = scm_vsc_save(v, d);
    if (rc < 0)
        v->hdr.state = 1;
    return rc;
}

/* ---- Objects ------------------------------------------------------------------ */

/* Is the object's content in memory for this caller? */
static bool obj_visible(const struct scm_vsc *v, const struct vsc_obj *o)
{
    return o->loaded && (o->s.area == SCM_AREA_PUBLIC || v->dk);
}

static void fill_info(const struct scm_vsc *v, const struct vsc_obj *o, struct scm_obj_info *out)
{
    out->id = o->s.id;
    out->type = (enum scm_obj_type)o->type;
    out->area = (enum scm_area)o->s.area;
    out->label = vsc_obj_label(o);
    out->size = o->len;
    out->src_path = o->s.path;
    out->group = ""; /* a VSC v1 keeps no card grouping */
    out->src_attrs = o->s.attrs;
    out->src_attrs_len = o->s.attrs_len;
    out->sealed = o->s.area == SCM_AREA_SECRET;
    /* Public objects are visible without the password, but only the MAC
     * checked at unlock tells them from a forgery with recomputed checksums
     * (doc/vsc-format.md, section 1). Objects added since then are ours. */
    out->verified = o->s.area != SCM_AREA_PUBLIC || v->public_verified;
}

int scm_vsc_list(struct scm_vsc *v, enum scm_area area, const struct scm_obj_info **out, size_t *n)
{
    size_t k = 0;
    *out = NULL;
    *n = 0;
    if ((unsigned)area >= SCM_AREA_COUNT)
        return fail(v, SCM_E_INVAL, "there is no area %d", (int)area);
    if (area != SCM_AREA_PUBLIC && !v->dk)
        return fail(v, SCM_E_VSC_LOCKED, "%s: the %s area needs the password", v->path,
                    scm_area_name(area));
    free(v->listing);
    v->listing = calloc(v->nobj ? v->nobj : 1, sizeof(*v->listing));
    if (!v->listing)
        return fail(v, SCM_E_NOMEM, "out of memory");
    /* Secret objects list by name like the others: only their data is kept in. */
    for (size_t i = 0; i < v->nobj; i++)
        if (v->objs[i].s.area == area && obj_visible(v, &v->objs[i]))
            fill_info(v, &v->objs[i], &v->listing[k++]);
    *out = v->listing;
    *n = k;
    return SCM_OK;
}

int scm_vsc_find(struct scm_vsc *v, const char *label, uint32_t *id)
{
    for (size_t i = 0; label && i < v->nobj; i++) {
        const struct vsc_obj *o = &v->objs[i];
        if (obj_visible(v, o) && strcmp(vsc_obj_label(o), label) == 0) {
            *id = o->s.id;
            return SCM_OK;
        }
    }
    return fail(v, SCM_E_NOT_FOUND, "%s: no object with that label%s", v->path,
                v->dk ? "" : " in the public area (unlock to search the others)");
}

/* The object id for a caller: NOT_FOUND, or VSC_LOCKED for a locked area. */
static int obj_get(struct scm_vsc *v, uint32_t id, struct vsc_obj **out)
{
    struct vsc_obj *o = obj_find(v, id);
    *out = NULL;
    if (!o)
        return fail(v, SCM_E_NOT_FOUND, "%s: there is no object %u", v->path, id);
    if (!obj_visible(v, o))
        return fail(v, SCM_E_VSC_LOCKED,
                    "%s: object %u is in the %s area, which needs the "
                    "password",
                    v->path, id, scm_area_name((enum scm_area)o->s.area));
    *out = o;
    return SCM_OK;
}

int scm_vsc_get_obj(struct scm_vsc *v, uint32_t id, struct scm_obj_info *out)
{
    struct vsc_obj *o;
    int rc = obj_get(v, id, &o);
    if (rc == SCM_OK)
        fill_info(v, o, out);
    return rc;
}

int scm_vsc_read(struct scm_vsc *v, uint32_t id, uint8_t **data, size_t *len)
{
    struct vsc_obj *o = obj_find(v, id);
    *data = NULL;
    *len = 0;
    if (o && o->s.area == SCM_AREA_SECRET)
        return fail(v, SCM_E_SECRET_AREA,
                    "%s: object %u is in the secret key area and is "
                    "never released",
                    v->path, id);
    int rc = obj_get(v, id, &o);
    if (rc < 0)
        return rc;
    *data = scm_secure_alloc(o->len);
    if (!*data)
        return fail(v, SCM_E_NOMEM, "out of secure memory");
    if (o->len)
        memcpy(*data, vsc_obj_data(o), o->len);
    *len = o->len;
    return SCM_OK;
}

static int need_unlocked(struct scm_vsc *v)
{
    if (!v->dk)
        return fail(v, SCM_E_VSC_LOCKED, "%s: changing the VSC needs the password", v->path);
    return SCM_OK;
}

/* 1..128 bytes of UTF-8 and unique in the VSC (self excluded). */
static int check_obj_label(struct scm_vsc *v, const char *label, const struct vsc_obj *self)
{
    size_t n = label ? strnlen(label, SCM_OBJ_LABEL_MAX + 1) : 0;
    if (n < 1 || n > SCM_OBJ_LABEL_MAX || !vsc_utf8_valid((const uint8_t *)label, n))
        return fail(v, SCM_E_BAD_LABEL,
                    "%s: an object label must be 1 to %d bytes of valid "
                    "UTF-8",
                    v->path, SCM_OBJ_LABEL_MAX);
    for (size_t i = 0; i < v->nobj; i++) {
        const struct vsc_obj *o = &v->objs[i];
        if (o != self && o->label_len == n && memcmp(vsc_obj_label(o), label, n) == 0)
            return fail(v, SCM_E_EXISTS, "%s: another object already has this label", v->path);
    }
    return SCM_OK;
}

/* Would the file stay within 64 MiB if it grew by `more` bytes? */
static int check_size(struct scm_vsc *v, uint64_t more, uint64_t less)
{
    uint64_t s = vsc_file_size(&v->hdr, v->objs, v->nobj) + more - less;
    if (s > SCM_VSC_FILE_MAX)
        return fail(v, SCM_E_LIMIT,
                    "%s: the VSC would be %llu bytes, more than the limit of "
                    "64 MiB",
                    v->path, (unsigned long long)s);
    return SCM_OK;
}

static int check_data(struct scm_vsc *v, const uint8_t *data, size_t len)
{
    if (len && !data)
        return fail(v, SCM_E_INVAL, "no data given");
    if (len > SCM_OBJ_SIZE_MAX)
        return fail(v, SCM_E_LIMIT, "%s: the object is %zu bytes, more than the limit of 1 MiB",
                    v->path, len);
    return SCM_OK;
}

int scm_vsc_add(struct scm_vsc *v, const struct scm_obj_new *o, uint32_t *id_out)
{
    int rc;
    if ((rc = need_unlocked(v)) < 0)
        return rc;
    if ((unsigned)o->area >= SCM_AREA_COUNT || o->type < SCM_OBJ_CERT || o->type > SCM_OBJ_NOTE)
        return fail(v, SCM_E_INVAL, "%s: unknown area or object type", v->path);
    if ((rc = check_obj_label(v, o->label, NULL)) < 0 || (rc = check_data(v, o->data, o->len)) < 0)
        return rc;
    size_t pl = o->src_path ? strlen(o->src_path) : 0;
    if (!vsc_path_valid(o->src_path, pl) || o->src_attrs_len > SCM_SRC_ATTR_MAX ||
        (o->src_attrs_len && !o->src_attrs))
        return fail(v, SCM_E_LIMIT,
                    "%s: the card path must be at most %d printable ASCII "
                    "characters and the attributes at most %d bytes",
                    v->path, SCM_SRC_PATH_MAX, SCM_SRC_ATTR_MAX);
    if (v->nobj >= SCM_OBJ_MAX)
        return fail(v, SCM_E_LIMIT, "%s: a VSC holds at most %d objects", v->path, SCM_OBJ_MAX);
    uint32_t id = v->nobj ? v->objs[v->nobj - 1].s.id + 1 : 1;
    if (id == 0)
        return fail(v, SCM_E_LIMIT, "%s: no object ids are left", v->path);
    size_t ll = strlen(o->label);
    if ((rc = check_size(v, 18 + (uint64_t)ll + o->len + pl + o->src_attrs_len, 0)) < 0)
        return rc;
    if (v->nobj == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 16;
        struct vsc_obj *no = realloc(v->objs, nc * sizeof(*no));
        if (!no)
            return fail(v, SCM_E_NOMEM, "out of memory");
        v->objs = no;
        v->cap = nc;
    }
    struct vsc_obj *n = &v->objs[v->nobj];
    memset(n, 0, sizeof(*n));
    n->s.id = id;
    n->s.area = (uint8_t)o->area;
    n->s.path_len = (uint8_t)pl;
    memcpy(n->s.path, o->src_path ? o->src_path : "", pl);
    n->s.attrs_len = (uint8_t)o->src_attrs_len;
    if (o->src_attrs_len)
        memcpy(n->s.attrs, o->src_attrs, o->src_attrs_len);
    n->type = (uint8_t)o->type;
    if ((rc = obj_set(n, o->label, ll, o->data, o->len)) < 0)
        return fail(v, rc, "out of memory");
    v->nobj++;
    v->dirty = true;
    if (id_out)
        *id_out = id;
    return SCM_OK;
}

int scm_vsc_replace(struct scm_vsc *v, uint32_t id, const uint8_t *data, size_t len)
{
    struct vsc_obj *o;
    int rc;
    if ((rc = need_unlocked(v)) < 0 || (rc = obj_get(v, id, &o)) < 0 ||
        (rc = check_data(v, data, len)) < 0 || (rc = check_size(v, len, o->len)) < 0)
        return rc;
    /* obj_set copies before it frees, so label may point into the old buffer. */
    if ((rc = obj_set(o, vsc_obj_label(o), o->label_len, data, len)) < 0)
        return fail(v, rc, "out of memory");
    v->dirty = true;
    return SCM_OK;
}

int scm_vsc_rename(struct scm_vsc *v, uint32_t id, const char *label)
{
    struct vsc_obj *o;
    int rc;
    if ((rc = need_unlocked(v)) < 0 || (rc = obj_get(v, id, &o)) < 0 ||
        (rc = check_obj_label(v, label, o)) < 0)
        return rc;
    size_t ll = strlen(label);
    if ((rc = check_size(v, ll, o->label_len)) < 0)
        return rc;
    if ((rc = obj_set(o, label, ll, vsc_obj_data(o), o->len)) < 0)
        return fail(v, rc, "out of memory");
    v->dirty = true;
    return SCM_OK;
}

int scm_vsc_delete(struct scm_vsc *v, uint32_t id)
{
    struct vsc_obj *o;
    int rc;
    if ((rc = need_unlocked(v)) < 0 || (rc = obj_get(v, id, &o)) < 0)
        return rc;
    size_t i = (size_t)(o - v->objs);
    obj_free(o);
    memmove(o, o + 1, (v->nobj - i - 1) * sizeof(*o));
    v->nobj--;
    v->dirty = true;
    return SCM_OK;
}

int scm_vsc_set_label(struct scm_vsc *v, const char *label)
{
    int rc;
    if ((rc = need_unlocked(v)) < 0)
        return rc;
    if (!vsc_label_ok(label))
        return fail(v, SCM_E_BAD_LABEL,
                    "%s: the VSC label must be 1 to %d bytes of UTF-8 "
                    "without control characters",
                    v->path, SCM_VSC_LABEL_MAX);
    snprintf(v->hdr.label, sizeof(v->hdr.label), "%s", label);
    v->dirty = true;
    return SCM_OK;
}

int scm_vsc_set_source(struct scm_vsc *v, const struct scm_vsc_source *src)
{
    int rc;
    if ((rc = need_unlocked(v)) < 0)
        return rc;
    if ((rc = check_source(src)) < 0)
        return fail(v, rc, "%s: a field of the source card is too long or not UTF-8", v->path);
    v->hdr.src = *src;
    v->dirty = true;
    return SCM_OK;
}

int scm_vsc_sign(struct scm_vsc *v, uint32_t id, const uint8_t *data, size_t len, uint8_t **sig,
                 size_t *siglen)
{
    struct vsc_obj *o;
    int rc;
    *sig = NULL;
    *siglen = 0;
    if ((rc = need_unlocked(v)) < 0 || (rc = obj_get(v, id, &o)) < 0)
        return rc;
    if (o->s.area != SCM_AREA_SECRET)
        return fail(v, SCM_E_INVAL, "%s: only keys in the secret key area sign", v->path);
    rc = vsc_sign_pkcs8(vsc_obj_data(o), o->len, data, len, sig, siglen);
    if (rc < 0)
        return fail(v, rc, "%s: object %u is not a usable PKCS#8 private key", v->path, id);
    return SCM_OK;
}
