/* PKCS#15 in DER (p15_asn1.h): the decoders of EF.DIR, ODF, TokenInfo and
 * the directory files, on the reader of p15_der.c (encoders: p15_encode.c).
 * Decoders walk the nesting by hand, one reader per level, so the depth is
 * fixed by the code and hostile input cannot make it recurse. Fields the
 * agent has no use for (access control rules, dates, key infos) are
 * skipped, but their framing is still checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p15_asn1.h"

/* A key or PIN reference. Cards write one-byte references such as 81 as
 * a bare octet, which DER reads as negative: take it unsigned, as OpenSC
 * does. */
static int ref_int(const struct p15_tlv *t, int32_t *v, struct scm_detail *d)
{
    int rc = scm_p15_der_int(t, v, d);
    if (rc == SCM_OK && *v < 0 && t->len <= 2)
        *v += (int32_t)1 << (8 * t->len);
    return rc;
}

/* ---- common pieces ----------------------------------------------------------- */

static void text_set(struct p15_text *x, const struct p15_tlv *t)
{
    size_t n = t->len < P15_LABEL_MAX ? t->len : P15_LABEL_MAX;
    memcpy(x->s, t->v, n);
    x->s[n] = '\0';
    x->len = n;
    x->truncated = t->len > n;
}

static int bytes_set(struct p15_bytes *x, const struct p15_tlv *t, const char *what,
                     struct scm_detail *d)
{
    if (t->len > P15_ID_MAX)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "%s of %zu bytes (at most %d)", what, t->len,
                        P15_ID_MAX);
    memcpy(x->v, t->v, t->len);
    x->len = t->len;
    return SCM_OK;
}

static int efid_set(struct p15_path *p, const struct p15_tlv *t, struct scm_detail *d)
{
    if (t->len < 1 || t->len > P15_PATH_MAX)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "a path of %zu bytes (1 to %d expected)", t->len,
                        P15_PATH_MAX);
    memcpy(p->v, t->v, t->len);
    p->len = t->len;
    return SCM_OK;
}

/* Path ::= SEQUENCE { OCTET STRING, index INTEGER OPTIONAL,
 * length [0] INTEGER OPTIONAL }, from the SEQUENCE's TLV. */
static int path_decode(const struct p15_tlv *seq, struct p15_path *p, struct scm_detail *d)
{
    struct p15_der r = scm_p15_der_in(seq);
    struct p15_tlv t;
    memset(p, 0, sizeof(*p));
    p->count = -1;
    int rc = scm_p15_der_take(&r, 0x04, &t, d);
    if (rc == SCM_E_NOT_FOUND)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "a path without its file identifiers");
    if (rc != SCM_OK || (rc = efid_set(p, &t, d)) != SCM_OK)
        return rc;
    while ((rc = scm_p15_der_next(&r, &t, d)) == SCM_OK) {
        if (t.tag == 0x02) {
            if ((rc = scm_p15_der_int(&t, &p->index, d)) != SCM_OK)
                return rc;
            p->has_range = true;
        } else if (t.tag == 0x80) {
            if ((rc = scm_p15_der_int(&t, &p->count, d)) != SCM_OK)
                return rc;
            p->has_range = true;
        }
    }
    if (rc != SCM_E_NOT_FOUND)
        return rc;
    if (p->has_range && (p->index < 0 || p->count < -1))
        return scm_fail(d, SCM_E_CARD_LAYOUT, "a path with a negative index or length");
    return SCM_OK;
}

int scm_p15_path_fids(const struct p15_path *app, const struct p15_path *p, uint16_t *fids,
                      size_t cap, size_t *n)
{
    uint8_t abs[2 * P15_PATH_MAX];
    size_t len = 0;
    *n = 0;
    if (p->len == 0 || p->len % 2 || p->len > P15_PATH_MAX || (app && app->len > P15_PATH_MAX))
        return SCM_E_CARD_LAYOUT;
    if (p->v[0] != 0x3F || p->v[1] != 0x00) {
        if (!app || app->len < 2 || app->len % 2 || app->v[0] != 0x3F || app->v[1] != 0x00)
            return SCM_E_CARD_LAYOUT; /* relative to nothing we know */
        memcpy(abs, app->v, app->len);
        len = app->len;
    }
    memcpy(abs + len, p->v, p->len);
    len += p->len;
    if (len > P15_PATH_MAX || (len - 2) / 2 > cap)
        return SCM_E_CARD_LAYOUT;
    for (size_t i = 2; i < len; i += 2)
        fids[(*n)++] = (uint16_t)(abs[i] << 8 | abs[i + 1]);
    return SCM_OK;
}

/* ---- EF.DIR -------------------------------------------------------------------- */

static int dir_decode(const uint8_t *buf, size_t len, struct p15_app *apps, size_t cap, size_t *n,
                      struct scm_detail *d)
{
    struct p15_der r = scm_p15_der(buf, len);
    struct p15_tlv t;
    int rc;
    *n = 0;
    while ((rc = scm_p15_der_next(&r, &t, d)) == SCM_OK) {
        if (t.tag != 0x61)
            return scm_fail(d, SCM_E_CARD_LAYOUT,
                            "tag %X where an application template (61) belongs", (unsigned)t.tag);
        if (*n >= cap)
            return scm_fail(d, SCM_E_CARD_LAYOUT, "more than %zu applications", cap);
        struct p15_app *a = &apps[*n];
        memset(a, 0, sizeof(*a));
        a->path.count = -1;
        struct p15_der in = scm_p15_der_in(&t);
        struct p15_tlv f;
        while ((rc = scm_p15_der_next(&in, &f, d)) == SCM_OK) {
            if (f.tag == 0x4F) {
                if (f.len < 1 || f.len > P15_PATH_MAX)
                    return scm_fail(d, SCM_E_CARD_LAYOUT, "an AID of %zu bytes", f.len);
                memcpy(a->aid, f.v, f.len);
                a->aid_len = f.len;
            } else if (f.tag == 0x50) {
                text_set(&a->label, &f);
            } else if (f.tag == 0x51) {
                if ((rc = efid_set(&a->path, &f, d)) != SCM_OK)
                    return rc;
            }
        }
        if (rc != SCM_E_NOT_FOUND)
            return rc;
        if (!a->aid_len)
            return scm_fail(d, SCM_E_CARD_LAYOUT, "an application without an AID");
        (*n)++;
    }
    return rc == SCM_E_NOT_FOUND ? SCM_OK : rc;
}

/* ---- ODF ------------------------------------------------------------------------ */

static int odf_decode(const uint8_t *buf, size_t len, struct p15_odf_entry *out, size_t cap,
                      size_t *n, struct scm_detail *d)
{
    struct p15_der r = scm_p15_der(buf, len);
    struct p15_tlv t;
    int rc;
    *n = 0;
    while ((rc = scm_p15_der_next(&r, &t, d)) == SCM_OK) {
        /* Tags past A8 are newer or proprietary choices: not ours. */
        if (t.tag < 0xA0 || t.tag > 0xA8)
            continue;
        struct p15_der in = scm_p15_der_in(&t);
        struct p15_tlv f;
        rc = scm_p15_der_next(&in, &f, d);
        if (rc == SCM_E_NOT_FOUND)
            return scm_fail(d, SCM_E_CARD_LAYOUT, "an empty entry");
        if (rc != SCM_OK)
            return rc;
        if (f.tag != 0x30)
            return scm_fail(d, SCM_E_NOT_SUPPORTED,
                            "objects given inline or protected (tag %X) are not supported",
                            (unsigned)f.tag);
        if (*n >= cap)
            return scm_fail(d, SCM_E_CARD_LAYOUT, "more than %zu files", cap);
        out[*n].kind = (enum p15_df_kind)(t.tag - 0xA0);
        if ((rc = path_decode(&f, &out[*n].path, d)) != SCM_OK)
            return rc;
        (*n)++;
    }
    return rc == SCM_E_NOT_FOUND ? SCM_OK : rc;
}

/* ---- TokenInfo ----------------------------------------------------------------- */

static int tokeninfo_decode(const uint8_t *buf, size_t len, struct p15_tokeninfo *ti,
                            struct scm_detail *d)
{
    struct p15_der r = scm_p15_der(buf, len);
    struct p15_tlv seq, t;
    memset(ti, 0, sizeof(*ti));
    int rc = scm_p15_der_take(&r, 0x30, &seq, d);
    if (rc == SCM_E_NOT_FOUND)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "not a SEQUENCE");
    if (rc != SCM_OK)
        return rc;
    struct p15_der in = scm_p15_der_in(&seq);
    if ((rc = scm_p15_der_take(&in, 0x02, &t, d)) != SCM_OK ||
        (rc = scm_p15_der_int(&t, &ti->version, d)) != SCM_OK)
        return rc == SCM_E_NOT_FOUND ? scm_fail(d, SCM_E_CARD_LAYOUT, "no version") : rc;
    if ((rc = scm_p15_der_take(&in, 0x04, &t, d)) != SCM_OK)
        return rc == SCM_E_NOT_FOUND ? scm_fail(d, SCM_E_CARD_LAYOUT, "no serial number") : rc;
    if (t.len > P15_SERIAL_MAX)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "a serial number of %zu bytes", t.len);
    memcpy(ti->serial, t.v, t.len);
    ti->serial_len = t.len;
    bool have_flags = false, have_manuf = false, have_label = false;
    while ((rc = scm_p15_der_next(&in, &t, d)) == SCM_OK) {
        if (t.tag == 0x0C && !have_flags && !have_manuf && !have_label) {
            text_set(&ti->manufacturer, &t);
            have_manuf = true;
        } else if ((t.tag == 0x80 || t.tag == 0x0C) && !have_flags && !have_label) {
            /* [0] Label; some cards put a second UTF8String here instead */
            text_set(&ti->label, &t);
            have_label = true;
        } else if (t.tag == 0x03 && !have_flags) {
            if ((rc = scm_p15_der_bits(&t, &ti->flags, d)) != SCM_OK)
                return rc;
            have_flags = true;
        } else if (t.tag == 0xA5) {
            struct p15_der lu = scm_p15_der_in(&t);
            struct p15_tlv g;
            if (scm_p15_der_take(&lu, 0x18, &g, NULL) == SCM_OK && g.len < sizeof(ti->last_update))
                memcpy(ti->last_update, g.v, g.len);
        }
    }
    if (rc != SCM_E_NOT_FOUND)
        return rc;
    if (!have_flags)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "no token flags");
    return SCM_OK;
}

/* The public decoders say which file, around the phrase of what is wrong. */
static int file_fail(struct scm_detail *d, int rc, const char *file, const struct scm_detail *why)
{
    if (rc == SCM_E_NOT_SUPPORTED)
        return scm_fail(d, rc, "The card's %s cannot be read: %s.", file, why->text);
    return scm_fail(d, rc, "The card's %s is malformed: %s.", file, why->text);
}

int scm_p15_dir_decode(const uint8_t *buf, size_t len, struct p15_app *apps, size_t cap, size_t *n,
                       struct scm_detail *d)
{
    struct scm_detail why = {{0}};
    int rc = dir_decode(buf, len, apps, cap, n, &why);
    return rc == SCM_OK || rc == SCM_E_NOMEM ? rc : file_fail(d, rc, "EF.DIR", &why);
}

int scm_p15_odf_decode(const uint8_t *buf, size_t len, struct p15_odf_entry *out, size_t cap,
                       size_t *n, struct scm_detail *d)
{
    struct scm_detail why = {{0}};
    int rc = odf_decode(buf, len, out, cap, n, &why);
    return rc == SCM_OK ? rc : file_fail(d, rc, "ODF", &why);
}

int scm_p15_tokeninfo_decode(const uint8_t *buf, size_t len, struct p15_tokeninfo *ti,
                             struct scm_detail *d)
{
    struct scm_detail why = {{0}};
    int rc = tokeninfo_decode(buf, len, ti, &why);
    return rc == SCM_OK ? rc : file_fail(d, rc, "TokenInfo", &why);
}

/* ---- directory-file entries ---------------------------------------------------- */

static bool is_key(enum p15_df_kind k)
{
    return k == P15_PRKDF || k == P15_PUKDF || k == P15_PUKDF_TRUSTED || k == P15_SKDF;
}

static bool is_cert(enum p15_df_kind k)
{
    return k == P15_CDF || k == P15_CDF_TRUSTED || k == P15_CDF_USEFUL;
}

/* ObjectValue: an indirect path (30), or the value itself (direct [0]). */
static int value_decode(const struct p15_tlv *t, struct p15_obj *o, struct scm_detail *d)
{
    if (t->tag == 0x30) {
        o->has_path = true;
        return path_decode(t, &o->path, d);
    }
    if (t->tag == 0xA0) {
        o->direct = t->v;
        o->direct_len = t->len;
    }
    return SCM_OK; /* a URL or a protected value: nothing the agent reads */
}

static int common_decode(struct p15_der *r, struct p15_obj *o, struct scm_detail *d)
{
    struct p15_tlv seq, t;
    int rc = scm_p15_der_take(r, 0x30, &seq, d);
    if (rc == SCM_E_NOT_FOUND)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "no common object attributes");
    if (rc != SCM_OK)
        return rc;
    struct p15_der in = scm_p15_der_in(&seq);
    while ((rc = scm_p15_der_next(&in, &t, d)) == SCM_OK) {
        if (t.tag == 0x0C)
            text_set(&o->label, &t);
        else if (t.tag == 0x03)
            rc = scm_p15_der_bits(&t, &o->flags, d);
        else if (t.tag == 0x04)
            rc = bytes_set(&o->auth_id, &t, "an authentication id", d);
        if (rc != SCM_OK)
            return rc;
    }
    return rc == SCM_E_NOT_FOUND ? SCM_OK : rc;
}

static int class_decode(struct p15_der *r, struct p15_obj *o, struct scm_detail *d)
{
    struct p15_tlv seq, t;
    int rc = scm_p15_der_take(r, 0x30, &seq, d);
    if (rc == SCM_E_NOT_FOUND)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "no class attributes");
    if (rc != SCM_OK)
        return rc;
    struct p15_der in = scm_p15_der_in(&seq);
    bool have_usage = false;
    while ((rc = scm_p15_der_next(&in, &t, d)) == SCM_OK) {
        if (o->df == P15_DODF) {
            if (t.tag == 0x0C) {
                text_set(&o->app_name, &t);
            } else if (t.tag == 0x06) {
                if (t.len < 1 || t.len > P15_OID_MAX)
                    return scm_fail(d, SCM_E_CARD_LAYOUT, "an application OID of %zu bytes", t.len);
                memcpy(o->app_oid, t.v, t.len);
                o->app_oid_len = t.len;
            }
            continue;
        }
        if (t.tag == 0x04 && !o->id.len) {
            rc = bytes_set(&o->id, &t, "an id", d);
        } else if (t.tag == 0x01) {
            rc = scm_p15_der_bool(&t, is_cert(o->df) ? &o->authority : &o->native, d);
        } else if (t.tag == 0x03 && is_key(o->df)) {
            /* usage first, then the optional accessFlags, same tag */
            rc = scm_p15_der_bits(&t, have_usage ? &o->access : &o->usage, d);
            have_usage = true;
        } else if (t.tag == 0x02 && is_key(o->df)) {
            rc = ref_int(&t, &o->key_ref, d);
        }
        if (rc != SCM_OK)
            return rc;
    }
    if (rc != SCM_E_NOT_FOUND)
        return rc;
    if (o->df != P15_DODF && !o->id.len)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "no id in the class attributes");
    return SCM_OK;
}

static int pin_decode(const struct p15_tlv *attrs, struct p15_obj *o, struct scm_detail *d)
{
    struct p15_der in = scm_p15_der_in(attrs);
    struct p15_tlv t;
    int rc, ints = 0;
    while ((rc = scm_p15_der_next(&in, &t, d)) == SCM_OK) {
        int32_t v = 0;
        switch (t.tag) {
        case 0x03:
            rc = scm_p15_der_bits(&t, &o->pin_flags, d);
            break;
        case 0x0A:
            rc = scm_p15_der_int(&t, &o->pin_type, d);
            break;
        case 0x02: /* minLength, storedLength, maxLength, in this order */
            if ((rc = scm_p15_der_int(&t, &v, d)) != SCM_OK)
                break;
            if (ints == 0)
                o->min_len = v;
            else if (ints == 1)
                o->stored_len = v;
            else if (ints == 2)
                o->max_len = v;
            ints++;
            break;
        case 0x80:
            rc = ref_int(&t, &o->pin_ref, d);
            break;
        case 0x04:
            if (t.len != 1)
                return scm_fail(d, SCM_E_CARD_LAYOUT, "a pad character of %zu bytes", t.len);
            o->has_pad = true;
            o->pad_char = t.v[0];
            break;
        case 0x30:
            o->has_path = true;
            rc = path_decode(&t, &o->path, d);
            break;
        default:
            break;
        }
        if (rc != SCM_OK)
            return rc;
    }
    if (rc != SCM_E_NOT_FOUND)
        return rc;
    if (ints < 2)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "PIN attributes without min and stored length");
    return SCM_OK;
}

/* [1] typeAttributes, by the directory file's kind. */
static int type_decode(const struct p15_tlv *a1, struct p15_obj *o, struct scm_detail *d)
{
    struct p15_der in = scm_p15_der_in(a1);
    struct p15_tlv t, f;
    int rc = scm_p15_der_next(&in, &t, d);
    if (rc == SCM_E_NOT_FOUND)
        return SCM_OK;
    if (rc != SCM_OK)
        return rc;
    if (o->df == P15_DODF) {
        /* Opaque ::= ObjectValue. pkcs15-init writes A1 { 30 { 04 path } };
         * take one SEQUENCE wrapped around the path as well. */
        if (t.tag == 0x30) {
            struct p15_der w = scm_p15_der_in(&t);
            if (scm_p15_der_take(&w, 0x30, &f, NULL) == SCM_OK)
                return value_decode(&f, o, d);
        }
        return value_decode(&t, o, d);
    }
    if (o->df == P15_AODF)
        return o->choice == 0x30 && t.tag == 0x30 ? pin_decode(&t, o, d) : SCM_OK;
    if (t.tag != 0x30)
        return SCM_OK; /* not the attributes this codec knows */
    /* certificates: X509CertificateAttributes { value, ... };
     * keys: <Alg>KeyAttributes { value, modulusLength/fieldSize?, ... } */
    struct p15_der attrs = scm_p15_der_in(&t);
    rc = scm_p15_der_next(&attrs, &f, d);
    if (rc == SCM_E_NOT_FOUND)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "type attributes without a value");
    if (rc != SCM_OK || (rc = value_decode(&f, o, d)) != SCM_OK)
        return rc;
    if (!is_key(o->df))
        return SCM_OK;
    while ((rc = scm_p15_der_next(&attrs, &f, d)) == SCM_OK) {
        if (f.tag == 0x02)
            return scm_p15_der_int(&f, &o->key_bits, d);
    }
    return rc == SCM_E_NOT_FOUND ? SCM_OK : rc;
}

int scm_p15_obj_decode(enum p15_df_kind kind, const struct p15_tlv *t, struct p15_obj *o,
                       struct scm_detail *d)
{
    memset(o, 0, sizeof(*o));
    o->df = kind;
    o->choice = t->tag;
    o->native = true;
    o->key_ref = o->pin_ref = o->pin_type = -1;
    o->min_len = o->stored_len = o->max_len = -1;
    if (!scm_p15_constructed(t->tag))
        return scm_fail(d, SCM_E_CARD_LAYOUT, "an entry with the primitive tag %X",
                        (unsigned)t->tag);
    struct p15_der r = scm_p15_der_in(t);
    struct p15_tlv f;
    int rc;
    if ((rc = common_decode(&r, o, d)) != SCM_OK || (rc = class_decode(&r, o, d)) != SCM_OK)
        return rc;
    while ((rc = scm_p15_der_next(&r, &f, d)) == SCM_OK) {
        if (f.tag == 0xA1)
            return type_decode(&f, o, d); /* subclass [0] skipped before it */
    }
    return rc == SCM_E_NOT_FOUND ? SCM_OK : rc;
}

static const char *df_name(enum p15_df_kind k)
{
    static const char *const names[] = {
        "PrKDF",       "PuKDF",      "trusted PuKDF", "SKDF", "CDF",
        "trusted CDF", "useful CDF", "DODF",          "AODF",
    };
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "directory file";
}

int scm_p15_df_decode(enum p15_df_kind kind, const uint8_t *buf, size_t len, struct p15_obj **objs,
                      size_t *n, struct scm_detail *d)
{
    struct p15_der r = scm_p15_der(buf, len);
    struct p15_tlv t;
    struct scm_detail why = {{0}};
    size_t count = 0;
    int rc;
    *objs = NULL;
    *n = 0;
    /* First the framing and the count, so that one allocation holds all. */
    while ((rc = scm_p15_der_next(&r, &t, &why)) == SCM_OK) {
        if (++count > P15_DF_ENTRIES_MAX)
            return scm_fail(d, SCM_E_CARD_LAYOUT, "The card's %s has more than %d entries.",
                            df_name(kind), P15_DF_ENTRIES_MAX);
    }
    if (rc != SCM_E_NOT_FOUND)
        return scm_fail(d, rc, "The card's %s is malformed at byte %zu: %s.", df_name(kind),
                        (size_t)(r.p - buf), why.text);
    if (count == 0)
        return SCM_OK;
    struct p15_obj *o = calloc(count, sizeof(*o));
    if (!o)
        return scm_fail(d, SCM_E_NOMEM, "No memory for %zu entries of the card's %s.", count,
                        df_name(kind));
    r = scm_p15_der(buf, len);
    for (size_t i = 0; i < count; i++) {
        size_t at = (size_t)(r.p - buf);
        if ((rc = scm_p15_der_next(&r, &t, &why)) == SCM_OK)
            rc = scm_p15_obj_decode(kind, &t, &o[i], &why);
        if (rc != SCM_OK) {
            free(o);
            return scm_fail(d, rc, "Entry %zu of the card's %s (at byte %zu) is malformed: %s.",
                            i + 1, df_name(kind), at, why.text);
        }
    }
    *objs = o;
    *n = count;
    return SCM_OK;
}

/* ---- OIDs ------------------------------------------------------------------------ */

int scm_p15_oid_str(const uint8_t *oid, size_t len, char *out, size_t cap)
{
    size_t k = 0;
    uint64_t v = 0;
    bool first = true, in_arc = false;
    if (len == 0 || cap == 0 || (oid[len - 1] & 0x80))
        return SCM_E_CARD_LAYOUT;
    for (size_t i = 0; i < len; i++) {
        if (!in_arc && oid[i] == 0x80)
            return SCM_E_CARD_LAYOUT; /* a leading 0x80 is not minimal */
        v = v << 7 | (oid[i] & 0x7Fu);
        in_arc = true;
        if (v > 0xFFFFFFFFull + 80)
            return SCM_E_LIMIT;
        if (oid[i] & 0x80)
            continue;
        int w;
        if (first) {
            unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;
            uint64_t b = v - 40u * a;
            if (b > 0xFFFFFFFFull)
                return SCM_E_LIMIT;
            w = snprintf(out + k, cap - k, "%u.%llu", a, (unsigned long long)b);
        } else {
            if (v > 0xFFFFFFFFull)
                return SCM_E_LIMIT;
            w = snprintf(out + k, cap - k, ".%llu", (unsigned long long)v);
        }
        if (w < 0 || (size_t)w >= cap - k)
            return SCM_E_LIMIT;
        k += (size_t)w;
        first = false;
        in_arc = false;
        v = 0;
    }
    return SCM_OK;
}
