/* The VSC file format: serialising (doc/vsc-format.md section 1-3). The
 * sizes are computed first, so the buffer is allocated once and every
 * write below stays inside it. */
#include <stdlib.h>
#include <string.h>

#include "vsc_int.h"

struct wr {
    uint8_t *p;
    size_t off;
};

static void put8(struct wr *w, uint8_t v) { w->p[w->off++] = v; }
static void put16(struct wr *w, uint16_t v)
{
    put8(w, (uint8_t)(v >> 8));
    put8(w, (uint8_t)v);
}
static void put32(struct wr *w, uint32_t v)
{
    put16(w, (uint16_t)(v >> 16));
    put16(w, (uint16_t)v);
}
static void put64(struct wr *w, uint64_t v)
{
    put32(w, (uint32_t)(v >> 32));
    put32(w, (uint32_t)v);
}
static void putb(struct wr *w, const void *b, size_t n)
{
    if (n)
        memcpy(w->p + w->off, b, n);
    w->off += n;
}
static void put_rec(struct wr *w, uint8_t tag, const void *v, size_t n)
{
    put8(w, tag);
    put32(w, (uint32_t)n);
    putb(w, v, n);
}

static uint64_t src_size(const struct scm_vsc_source *s)
{
    const char *txt[] = {s->reader, s->agent, s->serial, s->label};
    uint64_t n = s->atr_len ? 3 + s->atr_len : 0;
    for (size_t i = 0; i < 4; i++)
        n += txt[i][0] ? 3 + strlen(txt[i]) : 0;
    return n;
}

static uint64_t struct_size(const struct vsc_obj *objs, size_t n)
{
    uint64_t s = 4;
    for (size_t i = 0; i < n; i++)
        s += 7 + (uint64_t)objs[i].s.path_len + objs[i].s.attrs_len;
    return s;
}

static uint64_t hdr_size(const struct vsc_hdr *h, const struct vsc_obj *objs, size_t n)
{
    return 11 * 5 + strlen(h->uid) + strlen(h->label) + 3 * 8 + 1 + VSC_KDF_LEN + VSC_WRAP_LEN +
           VSC_SALT + src_size(&h->src) + struct_size(objs, n);
}

static uint64_t plain_size(const struct vsc_obj *objs, size_t n, unsigned area)
{
    uint64_t s = 4;
    for (size_t i = 0; i < n; i++)
        if (objs[i].s.area == area)
            s += 11 + (uint64_t)objs[i].label_len + objs[i].len;
    return s;
}

static uint64_t body_size(const struct vsc_obj *objs, size_t n, unsigned area)
{
    uint64_t p = plain_size(objs, n, area);
    return area == SCM_AREA_PUBLIC ? p + VSC_HASH : VSC_NONCE + p + VSC_TAG;
}

uint64_t vsc_file_size(const struct vsc_hdr *h, const struct vsc_obj *objs, size_t n)
{
    uint64_t s = VSC_PREFIX + hdr_size(h, objs, n) + 2 * VSC_HASH + VSC_HASH;
    for (unsigned a = 0; a < SCM_AREA_COUNT; a++)
        s += 5 + body_size(objs, n, a);
    return s;
}

static void write_source(struct wr *w, const struct scm_vsc_source *s)
{
    const char *txt[] = {s->reader, NULL, s->agent, s->serial, s->label};
    put8(w, VSC_T_SOURCE);
    put32(w, (uint32_t)src_size(s));
    for (uint8_t t = 1; t <= 5; t++) {
        const void *v = t == 2 ? (const void *)s->atr : txt[t - 1];
        size_t n = t == 2 ? s->atr_len : strlen(txt[t - 1]);
        if (!n)
            continue;
        put8(w, t);
        put16(w, (uint16_t)n);
        putb(w, v, n);
    }
}

static void write_header(struct wr *w, const struct vsc_hdr *h, const struct vsc_obj *objs,
                         size_t n)
{
    uint8_t kdf[VSC_KDF_LEN];
    kdf[0] = VSC_KDF_PBKDF2;
    kdf[1] = (uint8_t)(h->iterations >> 24), kdf[2] = (uint8_t)(h->iterations >> 16);
    kdf[3] = (uint8_t)(h->iterations >> 8), kdf[4] = (uint8_t)h->iterations;
    memcpy(kdf + 5, h->kdf_salt, VSC_SALT);
    put_rec(w, VSC_T_UID, h->uid, strlen(h->uid));
    put_rec(w, VSC_T_LABEL, h->label, strlen(h->label));
    put8(w, VSC_T_CREATED), put32(w, 8), put64(w, (uint64_t)h->created);
    put8(w, VSC_T_MODIFIED), put32(w, 8), put64(w, (uint64_t)h->modified);
    put8(w, VSC_T_GENERATION), put32(w, 8), put64(w, h->generation);
    put_rec(w, VSC_T_STATE, &h->state, 1);
    put_rec(w, VSC_T_KDF, kdf, sizeof(kdf));
    put_rec(w, VSC_T_WRAP, h->wrap, VSC_WRAP_LEN);
    put_rec(w, VSC_T_SAVE_SALT, h->save_salt, VSC_SALT);
    write_source(w, &h->src);
    put8(w, VSC_T_STRUCTURE);
    put32(w, (uint32_t)struct_size(objs, n));
    put32(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        put32(w, objs[i].s.id);
        put8(w, objs[i].s.area);
        put8(w, objs[i].s.path_len);
        putb(w, objs[i].s.path, objs[i].s.path_len);
        put8(w, objs[i].s.attrs_len);
        putb(w, objs[i].s.attrs, objs[i].s.attrs_len);
    }
}

static void write_plain(uint8_t *dst, const struct vsc_obj *objs, size_t n, unsigned area)
{
    struct wr w = {dst, 4};
    uint32_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const struct vsc_obj *o = &objs[i];
        if (o->s.area != area)
            continue;
        count++;
        put32(&w, o->s.id);
        put8(&w, o->type);
        put16(&w, (uint16_t)o->label_len);
        putb(&w, vsc_obj_label(o), o->label_len);
        put32(&w, (uint32_t)o->len);
        putb(&w, vsc_obj_data(o), o->len);
    }
    w.off = 0;
    put32(&w, count);
}

int vsc_serialise(const char *path, const struct vsc_hdr *h, const struct vsc_obj *objs,
                  size_t n, const uint8_t dk[VSC_KEY], uint8_t **out, size_t *outlen,
                  struct scm_detail *d)
{
    uint64_t hl = hdr_size(h, objs, n), total = vsc_file_size(h, objs, n);
    struct vsc_keys *k = NULL;
    uint8_t *buf = NULL, *p = NULL, ad[VSC_HASH + 1];
    size_t plen = 0;
    int rc;
    *out = NULL;
    if (d)
        d->text[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (!objs[i].loaded) {
            rc = scm_fail(d, SCM_E_VSC_LOCKED, "%s: the VSC must be unlocked to save it", path);
            goto out;
        }
    if (n > SCM_OBJ_MAX || hl > VSC_HDR_MAX || total > SCM_VSC_FILE_MAX) {
        rc = scm_fail(d, SCM_E_LIMIT,
                      "%s: the VSC would be %llu bytes, more than the limit of 64 MiB", path,
                      (unsigned long long)total);
        goto out;
    }
    buf = malloc((size_t)total);
    k = scm_secure_alloc(sizeof(*k));
    if (!buf || !k) {
        rc = scm_fail(d, SCM_E_NOMEM, "%s: out of memory building the file", path);
        goto out;
    }
    rc = vsc_derive_keys(dk, h->save_salt, k);
    if (rc < 0)
        goto out;
    struct wr w = {buf, 0};
    putb(&w, vsc_magic, VSC_MAGIC_LEN);
    put8(&w, VSC_MAJOR), put8(&w, VSC_MINOR), put16(&w, 0), put32(&w, (uint32_t)hl);
    write_header(&w, h, objs, n);
    size_t hend = w.off;
    if ((rc = vsc_sha256(buf, hend, buf + hend)) < 0 ||
        (rc = vsc_hmac2(k->hdr, VSC_KEY, buf, hend, NULL, 0, buf + hend + VSC_HASH)) < 0)
        goto out;
    memcpy(ad, buf + hend, VSC_HASH);
    size_t off = hend + 2 * VSC_HASH;
    for (unsigned a = 0; a < SCM_AREA_COUNT; a++) {
        size_t bl = (size_t)body_size(objs, n, a);
        uint8_t *body = buf + off + 5;
        buf[off] = (uint8_t)a;
        struct wr lw = {buf + off + 1, 0};
        put32(&lw, (uint32_t)bl);
        ad[VSC_HASH] = (uint8_t)a;
        plen = (size_t)plain_size(objs, n, a);
        if (a == SCM_AREA_PUBLIC) {
            write_plain(body, objs, n, a);
            rc = vsc_hmac2(k->pub, VSC_KEY, ad, sizeof(ad), body, plen, body + plen);
        } else {
            /* The plaintext of a private area only ever exists in secure memory. */
            p = scm_secure_alloc(plen);
            if (!p) {
                rc = scm_fail(d, SCM_E_NOMEM, "%s: out of secure memory", path);
                goto out;
            }
            write_plain(p, objs, n, a);
            rc = vsc_random(body, VSC_NONCE, false);
            if (rc == SCM_OK)
                rc = vsc_gcm_seal(k->area[a], body, ad, sizeof(ad), p, plen, body + VSC_NONCE);
            scm_secure_free(p, plen);
            p = NULL;
        }
        if (rc < 0)
            goto out;
        off += 5 + bl;
    }
    rc = vsc_sha256(buf, off, buf + off);
    if (rc < 0)
        goto out;
    *out = buf;
    *outlen = (size_t)total;
    buf = NULL;
out:
    /* The failures without a sentence yet are the library's. */
    if (rc < 0 && d && !d->text[0])
        scm_fail(d, rc, "%s: the cryptographic library failed while building the file", path);
    scm_secure_free(k, sizeof(*k));
    free(buf);
    return rc;
}
