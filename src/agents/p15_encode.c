/* The PKCS#15 codec's encoders (p15_asn1.h): the entries scmgr adds to a
 * CDF, a DODF and the ODF, byte for byte as OpenSC's pkcs15-init writes
 * them, an OID from its dotted form, and where a new entry goes. */
#include <string.h>

#include "p15_asn1.h"

/* ---- OIDs ---------------------------------------------------------------------- */

static int oid_put(uint64_t v, uint8_t *oid, size_t cap, size_t *len)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (uint8_t)(v & 0x7F);
        v >>= 7;
    } while (v);
    if (n > cap - *len)
        return SCM_E_INVAL;
    while (n--)
        oid[(*len)++] = (uint8_t)(tmp[n] | (n ? 0x80 : 0));
    return SCM_OK;
}

int scm_p15_oid_parse(const char *s, uint8_t *oid, size_t cap, size_t *len)
{
    uint64_t arcs[2] = {0, 0};
    size_t nargs = 0;
    *len = 0;
    for (const char *p = s;;) {
        if (*p < '0' || *p > '9')
            return SCM_E_INVAL;
        uint64_t v = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (uint64_t)(*p++ - '0');
            if (v > 0xFFFFFFFFull)
                return SCM_E_INVAL;
        }
        if (nargs < 2) {
            arcs[nargs] = v;
        } else if (oid_put(v, oid, cap, len) != SCM_OK) {
            return SCM_E_INVAL;
        }
        nargs++;
        if (nargs == 2) {
            if (arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40))
                return SCM_E_INVAL;
            if (oid_put(arcs[0] * 40 + arcs[1], oid, cap, len) != SCM_OK)
                return SCM_E_INVAL;
        }
        if (*p == '\0')
            break;
        if (*p++ != '.')
            return SCM_E_INVAL;
    }
    return nargs >= 2 ? SCM_OK : SCM_E_INVAL;
}

/* ---- encoders --------------------------------------------------------------------- */

/* An entry is at most a label, two ids, an OID and a path with their
 * headers: well under this. */
#define ENC_MAX 640

struct wbuf {
    uint8_t b[ENC_MAX];
    size_t n;
    bool over;
};

static void w_raw(struct wbuf *w, const uint8_t *p, size_t len)
{
    if (w->over || len > sizeof(w->b) - w->n) {
        w->over = true;
        return;
    }
    memcpy(w->b + w->n, p, len);
    w->n += len;
}

static void w_tlv(struct wbuf *w, uint8_t tag, const void *v, size_t len)
{
    uint8_t h[4] = {tag};
    size_t hn;
    if (len < 0x80) {
        h[1] = (uint8_t)len;
        hn = 2;
    } else if (len < 0x100) {
        h[1] = 0x81;
        h[2] = (uint8_t)len;
        hn = 3;
    } else {
        h[1] = 0x82;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        hn = 4;
    }
    w_raw(w, h, hn);
    w_raw(w, v, len);
}

static void w_wrap(struct wbuf *w, uint8_t tag, const struct wbuf *inner)
{
    if (inner->over)
        w->over = true;
    else
        w_tlv(w, tag, inner->b, inner->n);
}

/* A BIT STRING as OpenSC writes flags: value bit i is ASN.1 bit i, in as
 * few octets as the highest set bit needs, the rest marked unused. */
static void w_bits(struct wbuf *w, uint32_t v)
{
    uint8_t b[5] = {0};
    unsigned hi = 0;
    for (unsigned i = 0; i < 32; i++)
        if (v & (1u << i))
            hi = i;
    size_t octets = hi / 8 + 1;
    b[0] = (uint8_t)(7 - hi % 8);
    for (unsigned i = 0; i <= hi; i++)
        if (v & (1u << i))
            b[1 + i / 8] |= (uint8_t)(0x80u >> (i % 8));
    w_tlv(w, 0x03, b, octets + 1);
}

static int common_encode(struct wbuf *w, const char *label, uint32_t flags, const uint8_t *auth_id,
                         size_t auth_id_len)
{
    struct wbuf c = {.n = 0};
    size_t ll = label ? strlen(label) : 0;
    if (ll > P15_LABEL_MAX || auth_id_len > P15_ID_MAX || (auth_id_len && !auth_id))
        return SCM_E_INVAL;
    if (ll)
        w_tlv(&c, 0x0C, label, ll);
    if (flags)
        w_bits(&c, flags);
    if (auth_id_len)
        w_tlv(&c, 0x04, auth_id, auth_id_len);
    w_wrap(w, 0x30, &c);
    return SCM_OK;
}

static int path_ok(const uint8_t *path, size_t len)
{
    return path && len >= 1 && len <= P15_PATH_MAX ? SCM_OK : SCM_E_INVAL;
}

static int finish(const struct wbuf *body, uint8_t *out, size_t cap, size_t *len)
{
    struct wbuf e = {.n = 0};
    w_wrap(&e, 0x30, body);
    if (e.over)
        return SCM_E_INVAL;
    if (e.n > cap)
        return SCM_E_LIMIT;
    memcpy(out, e.b, e.n);
    *len = e.n;
    return SCM_OK;
}

int scm_p15_cdf_entry_encode(const struct p15_cert_new *c, uint8_t *out, size_t cap, size_t *len)
{
    struct wbuf body = {.n = 0}, cls = {.n = 0}, path = {.n = 0}, x509 = {.n = 0}, type = {.n = 0};
    static const uint8_t yes = 0xFF;
    int rc;
    if (!c->id || c->id_len < 1 || c->id_len > P15_ID_MAX ||
        path_ok(c->path, c->path_len) != SCM_OK)
        return SCM_E_INVAL;
    if ((rc = common_encode(&body, c->label, c->flags, c->auth_id, c->auth_id_len)) != SCM_OK)
        return rc;
    w_tlv(&cls, 0x04, c->id, c->id_len);
    if (c->authority)
        w_tlv(&cls, 0x01, &yes, 1);
    w_wrap(&body, 0x30, &cls);
    w_tlv(&path, 0x04, c->path, c->path_len);
    w_wrap(&x509, 0x30, &path);
    w_wrap(&type, 0x30, &x509);
    w_wrap(&body, 0xA1, &type);
    return finish(&body, out, cap, len);
}

int scm_p15_dodf_entry_encode(const struct p15_data_new *o, uint8_t *out, size_t cap, size_t *len)
{
    struct wbuf body = {.n = 0}, cls = {.n = 0}, path = {.n = 0}, type = {.n = 0};
    size_t al = o->app_name ? strlen(o->app_name) : 0;
    int rc;
    if (al > P15_LABEL_MAX || o->app_oid_len > P15_OID_MAX || (o->app_oid_len && !o->app_oid) ||
        path_ok(o->path, o->path_len) != SCM_OK)
        return SCM_E_INVAL;
    if ((rc = common_encode(&body, o->label, o->flags, o->auth_id, o->auth_id_len)) != SCM_OK)
        return rc;
    if (al)
        w_tlv(&cls, 0x0C, o->app_name, al);
    if (o->app_oid_len)
        w_tlv(&cls, 0x06, o->app_oid, o->app_oid_len);
    w_wrap(&body, 0x30, &cls);
    w_tlv(&path, 0x04, o->path, o->path_len);
    w_wrap(&type, 0x30, &path);
    w_wrap(&body, 0xA1, &type);
    return finish(&body, out, cap, len);
}

int scm_p15_odf_entry_encode(enum p15_df_kind kind, const uint8_t *path, size_t path_len,
                             uint8_t *out, size_t cap, size_t *len)
{
    struct wbuf p = {.n = 0}, seq = {.n = 0}, e = {.n = 0};
    if ((unsigned)kind > P15_AODF || path_ok(path, path_len) != SCM_OK)
        return SCM_E_INVAL;
    w_tlv(&p, 0x04, path, path_len);
    w_wrap(&seq, 0x30, &p);
    w_wrap(&e, (uint8_t)(0xA0 + kind), &seq);
    if (e.n > cap)
        return SCM_E_LIMIT;
    memcpy(out, e.b, e.n);
    *len = e.n;
    return SCM_OK;
}

int scm_p15_df_append_at(const uint8_t *buf, size_t len, size_t entry_len, size_t *off,
                         struct scm_detail *d)
{
    struct p15_der r = scm_p15_der(buf, len);
    struct p15_tlv t;
    struct scm_detail why = {{0}};
    int rc;
    while ((rc = scm_p15_der_next(&r, &t, &why)) == SCM_OK)
        ;
    if (rc != SCM_E_NOT_FOUND)
        return scm_fail(d, rc, "The directory file is malformed at byte %zu: %s.",
                        (size_t)(r.p - buf), why.text);
    *off = (size_t)(r.p - buf);
    if (entry_len > len - *off)
        return scm_fail(d, SCM_E_CARD_FULL,
                        "The directory file has %zu bytes free, the new entry needs %zu.",
                        len - *off, entry_len);
    return SCM_OK;
}
