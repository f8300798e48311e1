/* The VSC file format: parsing, with the consistency check (writing is in
 * codec_write.c, the password area in keywrap.c).
 *
 * Everything read from a file is hostile: every length is checked against
 * what is left before it is used, in 64-bit arithmetic, so no sum can wrap.
 * The checks run in the order of doc/vsc-format.md section 5 and each
 * failure is one sentence naming the file. */
#include <stdlib.h>
#include <string.h>

#include "vsc_int.h"

const uint8_t vsc_magic[VSC_MAGIC_LEN] = {0x53, 0x43, 0x4D, 0x56, 0x53, 0x43, 0x00, 0x1A};

static const char *const tag_names[] = {
    "?",     "UID",  "LABEL",     "CREATED", "MODIFIED",  "GENERATION",
    "STATE", "KDF",  "WRAP",      "SAVE_SALT", "SOURCE", "STRUCTURE",
};
#define TAG_LAST VSC_T_STRUCTURE

/* ---- Reading ------------------------------------------------------------- */

struct cur {
    const uint8_t *p;
    size_t len;
    size_t off;
};

static bool take(struct cur *c, size_t n, const uint8_t **out)
{
    if (c->len - c->off < n)
        return false;
    *out = c->p + c->off;
    c->off += n;
    return true;
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

static bool take32(struct cur *c, uint32_t *v)
{
    const uint8_t *p;
    if (!take(c, 4, &p))
        return false;
    *v = be32(p);
    return true;
}

static const char *area_word(unsigned a) { return scm_area_name((enum scm_area)a); }

/* ---- Step 4: the header records ------------------------------------------ */

static int parse_source(const char *path, const uint8_t *v, size_t len,
                        struct scm_vsc_source *src, struct scm_detail *d)
{
    static const size_t maxlen[] = {0, 127, SCM_ATR_MAX, 31, 63, SCM_VSC_LABEL_MAX};
    struct cur c = {v, len, 0};
    int last = 0;
    memset(src, 0, sizeof(*src));
    while (c.off < c.len) {
        const uint8_t *h, *val;
        if (!take(&c, 3, &h) || !take(&c, be16(h + 1), &val))
            return scm_fail(d, SCM_E_VSC_CORRUPT, "%s: the SOURCE header record is cut short",
                            path);
        unsigned t = h[0], n = be16(h + 1);
        if ((int)t <= last || t > 5)
            return scm_fail(d, SCM_E_VSC_CORRUPT,
                            "%s: the SOURCE header record has an unknown or repeated entry 0x%02X",
                            path, t);
        last = (int)t;
        if (n > maxlen[t])
            return scm_fail(d, SCM_E_VSC_CORRUPT,
                            "%s: SOURCE entry 0x%02X is %u bytes long, more than its limit of %zu",
                            path, t, n, maxlen[t]);
        if (t == 2) {
            memcpy(src->atr, val, n);
            src->atr_len = n;
            continue;
        }
        if (!vsc_utf8_valid(val, n))
            return scm_fail(d, SCM_E_VSC_CORRUPT,
                            "%s: SOURCE entry 0x%02X is not valid UTF-8 text", path, t);
        char *dst = t == 1 ? src->reader : t == 3 ? src->agent : t == 4 ? src->serial : src->label;
        memcpy(dst, val, n);
        dst[n] = '\0';
    }
    return SCM_OK;
}


/* STRUCTURE: count, then entries by strictly ascending id. ents may be NULL
 * when only the counts are wanted (listing). */
static int parse_structure(const char *path, const uint8_t *v, size_t len, struct vsc_sent **ents,
                           size_t *nents, size_t count[SCM_AREA_COUNT], struct scm_detail *d)
{
    struct cur c = {v, len, 0};
    uint32_t n, prev = 0;
    struct vsc_sent *e = NULL;
    int rc = SCM_E_VSC_CORRUPT;
    if (!take32(&c, &n)) {
        scm_fail(d, rc, "%s: the STRUCTURE header record is cut short", path);
        goto out;
    }
    if (n > SCM_OBJ_MAX) {
        scm_fail(d, rc, "%s: the structure lists %u objects, more than the limit of %d", path, n,
                 SCM_OBJ_MAX);
        goto out;
    }
    if (ents && n && !(e = calloc(n, sizeof(*e)))) {
        rc = scm_fail(d, SCM_E_NOMEM, "%s: out of memory reading the structure", path);
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct vsc_sent s;
        const uint8_t *p, *pl, *alen, *pa;
        memset(&s, 0, sizeof(s));
        if (!take(&c, 6, &p) || !take(&c, p[5], &pl) || !take(&c, 1, &alen) ||
            !take(&c, *alen, &pa)) {
            scm_fail(d, rc, "%s: structure entry %u is cut short", path, i + 1);
            goto out;
        }
        s.id = be32(p);
        s.area = p[4];
        s.path_len = p[5];
        s.attrs_len = *alen;
        if (i > 0 && s.id <= prev) {
            scm_fail(d, rc, "%s: structure entry %u (id %u) is not in ascending id order", path,
                     i + 1, s.id);
            goto out;
        }
        prev = s.id;
        if (s.area >= SCM_AREA_COUNT) {
            scm_fail(d, rc, "%s: structure entry %u names area %u, which does not exist", path,
                     i + 1, s.area);
            goto out;
        }
        if (!vsc_path_valid((const char *)pl, s.path_len) || s.attrs_len > SCM_SRC_ATTR_MAX) {
            scm_fail(d, rc,
                     "%s: structure entry %u has a card path or attributes over 64 bytes, "
                     "or a path that is not printable ASCII",
                     path, i + 1);
            goto out;
        }
        memcpy(s.path, pl, s.path_len);
        memcpy(s.attrs, pa, s.attrs_len);
        if (e)
            e[i] = s;
        count[s.area]++;
    }
    if (c.off != c.len) {
        scm_fail(d, rc, "%s: the STRUCTURE header record has %zu bytes after its last entry",
                 path, c.len - c.off);
        goto out;
    }
    rc = SCM_OK;
out:
    if (rc < 0) {
        free(e);
    } else if (ents) {
        *ents = e;
        *nents = n;
    }
    return rc;
}

/* The fixed length of a tag's value, or 0 if it varies. */
static size_t fixed_len(unsigned t)
{
    switch (t) {
    case VSC_T_CREATED:
    case VSC_T_MODIFIED:
    case VSC_T_GENERATION:
        return 8;
    case VSC_T_STATE:
        return 1;
    case VSC_T_KDF:
        return VSC_KDF_LEN;
    case VSC_T_WRAP:
        return VSC_WRAP_LEN;
    case VSC_T_SAVE_SALT:
        return VSC_SALT;
    default:
        return 0;
    }
}

static int parse_value(const char *path, unsigned t, const uint8_t *v, size_t n,
                       struct vsc_hdr *h, struct vsc_sent **ents, size_t *nents,
                       size_t count[SCM_AREA_COUNT], struct scm_detail *d)
{
    const int bad = SCM_E_VSC_CORRUPT;
    switch (t) {
    case VSC_T_UID:
        if (n < 1 || n > SCM_VSC_UID_MAX)
            return scm_fail(d, bad, "%s: the UID is %zu bytes long (1 to %d allowed)", path, n,
                            SCM_VSC_UID_MAX);
        memcpy(h->uid, v, n);
        h->uid[n] = '\0';
        if (strlen(h->uid) != n || !scm_vsc_uid_valid(h->uid))
            return scm_fail(d, bad, "%s: the UID holds characters other than letters, digits, "
                                    "dots, dashes and underscores", path);
        return SCM_OK;
    case VSC_T_LABEL:
        if (n < 1 || n > SCM_VSC_LABEL_MAX || !vsc_utf8_valid(v, n) ||
            !scm_text_is_clean((const char *)v, n))
            return scm_fail(d, bad, "%s: the VSC label is empty, over %d bytes, not valid UTF-8 "
                                    "or holds control characters", path, SCM_VSC_LABEL_MAX);
        memcpy(h->label, v, n);
        h->label[n] = '\0';
        return SCM_OK;
    case VSC_T_CREATED:
        h->created = (int64_t)be64(v);
        return SCM_OK;
    case VSC_T_MODIFIED:
        h->modified = (int64_t)be64(v);
        return SCM_OK;
    case VSC_T_GENERATION:
        h->generation = be64(v);
        if (h->generation == 0)
            return scm_fail(d, bad, "%s: the generation is 0 (it starts at 1)", path);
        return SCM_OK;
    case VSC_T_STATE:
        if (v[0] > 1)
            return scm_fail(d, bad, "%s: the state is %u (0 enabled or 1 disabled)", path, v[0]);
        h->state = v[0];
        return SCM_OK;
    case VSC_T_KDF:
        if (v[0] != VSC_KDF_PBKDF2)
            return scm_fail(d, bad, "%s: unknown key derivation algorithm %u", path, v[0]);
        h->iterations = be32(v + 1);
        if (h->iterations == 0)
            return scm_fail(d, bad, "%s: the KDF iteration count is 0", path);
        memcpy(h->kdf_salt, v + 5, VSC_SALT);
        return SCM_OK;
    case VSC_T_WRAP:
        memcpy(h->wrap, v, VSC_WRAP_LEN);
        return SCM_OK;
    case VSC_T_SAVE_SALT:
        memcpy(h->save_salt, v, VSC_SALT);
        return SCM_OK;
    case VSC_T_SOURCE:
        return parse_source(path, v, n, &h->src, d);
    case VSC_T_STRUCTURE:
        return parse_structure(path, v, n, ents, nents, count, d);
    default:
        return SCM_OK; /* an optional tag of a newer minor version */
    }
}

static int parse_records(const char *path, const uint8_t *p, size_t hlen, struct vsc_hdr *h,
                         struct vsc_sent **ents, size_t *nents, size_t count[SCM_AREA_COUNT],
                         struct scm_detail *d)
{
    struct cur c = {p, hlen, 0};
    unsigned last = 0;
    uint32_t seen = 0; /* bit t for known tag t */
    while (c.off < c.len) {
        const uint8_t *rh, *v;
        size_t at = VSC_PREFIX + c.off;
        if (!take(&c, 5, &rh) || !take(&c, be32(rh + 1), &v))
            return scm_fail(d, SCM_E_VSC_CORRUPT,
                            "%s: the header record at offset %zu runs past the end of the header",
                            path, at);
        unsigned t = rh[0];
        size_t n = be32(rh + 1);
        if (t <= last)
            return scm_fail(d, SCM_E_VSC_CORRUPT,
                            "%s: header record 0x%02X is out of order or repeated", path, t);
        last = t;
        if (t > TAG_LAST && t < 0x80)
            return scm_fail(d, SCM_E_VSC_CORRUPT, "%s: unknown required header record 0x%02X",
                            path, t);
        if (t <= TAG_LAST) {
            if (fixed_len(t) && n != fixed_len(t))
                return scm_fail(d, SCM_E_VSC_CORRUPT,
                                "%s: the %s header record is %zu bytes long, expected %zu", path,
                                tag_names[t], n, fixed_len(t));
            seen |= 1u << t;
        }
        int rc = parse_value(path, t, v, n, h, ents, nents, count, d);
        if (rc < 0)
            return rc;
    }
    for (unsigned t = 1; t <= TAG_LAST; t++)
        if (!(seen & (1u << t)))
            return scm_fail(d, SCM_E_VSC_CORRUPT, "%s: the required %s header record is missing",
                            path, tag_names[t]);
    return SCM_OK;
}

/* ---- Steps 1–4 ------------------------------------------------------------ */

size_t vsc_prefix_hlen(const uint8_t *buf, size_t len)
{
    if (len < VSC_PREFIX || memcmp(buf, vsc_magic, VSC_MAGIC_LEN) != 0)
        return 0;
    uint32_t h = be32(buf + 12);
    return h <= VSC_HDR_MAX ? h : 0;
}

/* buf holds at least the first avail bytes of a file of file_size bytes. */
static int parse_head(const char *path, const uint8_t *buf, size_t avail, uint64_t file_size,
                      struct vsc_hdr *h, struct vsc_sent **ents, size_t *nents,
                      size_t count[SCM_AREA_COUNT], size_t *hlen_out, struct scm_detail *d)
{
    uint8_t sum[VSC_HASH];
    memset(h, 0, sizeof(*h));
    memset(count, 0, SCM_AREA_COUNT * sizeof(count[0]));
    if (file_size < VSC_MIN_FILE || avail < VSC_MIN_FILE)
        return scm_fail(d, SCM_E_VSC_CORRUPT,
                        "%s: the file is truncated (expected at least %d bytes, found %llu)", path,
                        VSC_MIN_FILE, (unsigned long long)file_size);
    if (file_size > SCM_VSC_FILE_MAX)
        return scm_fail(d, SCM_E_VSC_CORRUPT,
                        "%s: the file is %llu bytes, more than the limit of 64 MiB", path,
                        (unsigned long long)file_size);
    if (memcmp(buf, vsc_magic, VSC_MAGIC_LEN) != 0)
        return scm_fail(d, SCM_E_VSC_CORRUPT, "%s: not a VSC file (bad magic)", path);
    if (buf[8] != VSC_MAJOR)
        return scm_fail(d, SCM_E_VSC_VERSION,
                        "%s: the file has format version %u.%u; this scmgr reads version 1.x",
                        path, buf[8], buf[9]);
    if (be16(buf + 10) != 0)
        return scm_fail(d, SCM_E_VSC_VERSION,
                        "%s: the file sets flags 0x%04X, unknown to format version 1", path,
                        be16(buf + 10));
    uint64_t hlen = be32(buf + 12);
    if (hlen < 1 || hlen > VSC_HDR_MAX)
        return scm_fail(d, SCM_E_VSC_CORRUPT,
                        "%s: the header length %llu is out of bounds (1 to %u bytes)", path,
                        (unsigned long long)hlen, VSC_HDR_MAX);
    uint64_t need = VSC_PREFIX + hlen + 2 * VSC_HASH;
    if (file_size < need || avail < VSC_PREFIX + hlen + VSC_HASH)
        return scm_fail(d, SCM_E_VSC_CORRUPT,
                        "%s: the file is truncated (expected at least %llu bytes, found %llu)",
                        path, (unsigned long long)need, (unsigned long long)file_size);
    int rc = vsc_sha256(buf, VSC_PREFIX + hlen, sum);
    if (rc < 0)
        return scm_fail(d, rc, "%s: could not compute the header checksum", path);
    if (memcmp(sum, buf + VSC_PREFIX + hlen, VSC_HASH) != 0)
        return scm_fail(d, SCM_E_VSC_CORRUPT,
                        "%s: the header checksum does not match (the file is damaged)", path);
    *hlen_out = (size_t)hlen;
    return parse_records(path, buf + VSC_PREFIX, (size_t)hlen, h, ents, nents, count, d);
}

int vsc_parse_header_only(const char *path, const uint8_t *buf, size_t len, uint64_t file_size,
                          struct vsc_hdr *h, size_t count[SCM_AREA_COUNT], struct scm_detail *d)
{
    size_t hlen;
    return parse_head(path, buf, len, file_size, h, NULL, NULL, count, &hlen, d);
}

/* ---- Steps 5 and 6 --------------------------------------------------------- */

/* An object list (plaintext P of one area) against the structure. recs is
 * malloc'd and points into p. */
static int parse_objects(const char *path, unsigned area, const uint8_t *p, size_t plen,
                         const struct vsc_file *f, struct vsc_rec **recs, size_t *nrecs,
                         struct scm_detail *d)
{
    struct cur c = {p, plen, 0};
    struct vsc_rec *r = NULL;
    uint32_t n;
    size_t k = 0; /* next structure entry to look at */
    int rc = SCM_E_VSC_CORRUPT;
    const char *an = area_word(area);
    if (!take32(&c, &n)) {
        scm_fail(d, rc, "%s: the %s object list is cut short", path, an);
        goto out;
    }
    if (n != f->count[area]) {
        scm_fail(d, rc, "%s: the %s area holds %u objects but the structure lists %zu", path, an,
                 n, f->count[area]);
        goto out;
    }
    if (n && !(r = calloc(n, sizeof(*r)))) {
        rc = scm_fail(d, SCM_E_NOMEM, "%s: out of memory reading the %s area", path, an);
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *h, *lab, *dl, *data;
        if (!take(&c, 7, &h) || !take(&c, be16(h + 5), &lab) || !take(&c, 4, &dl) ||
            !take(&c, be32(dl), &data)) {
            scm_fail(d, rc, "%s: %s object %u runs past the end of its area", path, an, i + 1);
            goto out;
        }
        struct vsc_rec x = {be32(h), h[4], be16(h + 5), lab, be32(dl), data};
        if (i > 0 && x.id <= r[i - 1].id) {
            scm_fail(d, rc, "%s: %s object %u (id %u) is not in ascending id order", path, an,
                     i + 1, x.id);
            goto out;
        }
        if (x.type < SCM_OBJ_CERT || x.type > SCM_OBJ_NOTE) {
            scm_fail(d, rc, "%s: %s object %u has unknown type %u", path, an, i + 1, x.type);
            goto out;
        }
        if (x.label_len < 1 || x.label_len > SCM_OBJ_LABEL_MAX || !vsc_utf8_valid(lab, x.label_len)) {
            scm_fail(d, rc, "%s: %s object %u has a label that is empty, over %d bytes or not "
                            "valid UTF-8", path, an, i + 1, SCM_OBJ_LABEL_MAX);
            goto out;
        }
        if (x.len > SCM_OBJ_SIZE_MAX) {
            scm_fail(d, rc, "%s: %s object %u is %u bytes, more than the limit of 1 MiB", path,
                     an, i + 1, x.len);
            goto out;
        }
        while (k < f->nents && f->ents[k].area != area)
            k++;
        if (k == f->nents || f->ents[k].id != x.id) {
            scm_fail(d, rc, "%s: %s object id %u does not match the structure", path, an, x.id);
            goto out;
        }
        k++;
        r[i] = x;
    }
    if (c.off != c.len) {
        scm_fail(d, rc, "%s: the %s area has %zu bytes after its last object", path, an,
                 c.len - c.off);
        goto out;
    }
    rc = SCM_OK;
out:
    if (rc < 0) {
        free(r);
    } else {
        *recs = r;
        *nrecs = n;
    }
    return rc;
}

static const size_t body_min[SCM_AREA_COUNT] = {4 + VSC_HASH, VSC_NONCE + 4 + VSC_TAG,
                                                VSC_NONCE + 4 + VSC_TAG};

int vsc_check_sections(const char *path, size_t hlen, uint64_t file_size, vsc_peek_fn peek,
                       void *ctx, uint64_t body_off[SCM_AREA_COUNT],
                       size_t body_len[SCM_AREA_COUNT], struct scm_detail *d)
{
    /* 64-bit sums: no L can make them wrap. */
    uint64_t off = VSC_PREFIX + (uint64_t)hlen + 2 * VSC_HASH;
    uint8_t sh[5];
    bool exact = true;
    for (unsigned a = 0; a < SCM_AREA_COUNT; a++) {
        if (off + 5 > file_size || !peek(ctx, off, sh)) {
            exact = false; /* the later lengths are not in the file */
            off += 5;
            break;
        }
        if (sh[0] != a)
            return scm_fail(d, SCM_E_VSC_CORRUPT,
                            "%s: the area section at offset %llu has id %u, expected %u (%s)",
                            path, (unsigned long long)off, sh[0], a, area_word(a));
        uint64_t l = be32(sh + 1);
        if (l < body_min[a])
            return scm_fail(d, SCM_E_VSC_CORRUPT,
                            "%s: the %s area is %llu bytes, less than its fixed overhead of %zu",
                            path, area_word(a), (unsigned long long)l, body_min[a]);
        body_off[a] = off + 5;
        body_len[a] = (size_t)l;
        off += 5 + l;
    }
    uint64_t want = off + VSC_HASH;
    if (want > file_size)
        return scm_fail(d, SCM_E_VSC_CORRUPT,
                        "%s: the file is truncated (expected %s%llu bytes, found %llu)", path,
                        exact ? "" : "at least ", (unsigned long long)want,
                        (unsigned long long)file_size);
    if (want < file_size)
        return scm_fail(d, SCM_E_VSC_CORRUPT,
                        "%s: the file has %llu byte%s too many (expected %llu bytes, found %llu)",
                        path, (unsigned long long)(file_size - want),
                        file_size - want == 1 ? "" : "s", (unsigned long long)want,
                        (unsigned long long)file_size);
    return SCM_OK;
}

struct mem {
    const uint8_t *buf;
    size_t len;
};

static bool peek_mem(void *ctx, uint64_t off, uint8_t out[5])
{
    const struct mem *m = ctx;
    if (off + 5 > m->len)
        return false;
    memcpy(out, m->buf + off, 5);
    return true;
}

int vsc_parse_file(const char *path, const uint8_t *buf, size_t len, struct vsc_file *f,
                   struct scm_detail *d)
{
    uint8_t sum[VSC_HASH];
    uint64_t body_off[SCM_AREA_COUNT];
    struct mem m = {buf, len};
    int rc;
    memset(f, 0, sizeof(*f));
    f->buf = buf;
    f->len = len;
    rc = parse_head(path, buf, len, len, &f->hdr, &f->ents, &f->nents, f->count, &f->hlen, d);
    if (rc < 0)
        goto out;
    /* Step 5: the area sections. */
    rc = vsc_check_sections(path, f->hlen, len, peek_mem, &m, body_off, f->body_len, d);
    if (rc < 0)
        goto out;
    for (unsigned a = 0; a < SCM_AREA_COUNT; a++)
        f->body[a] = buf + body_off[a];
    rc = vsc_sha256(buf, len - VSC_HASH, sum);
    if (rc < 0) {
        scm_fail(d, rc, "%s: could not compute the file checksum", path);
        goto out;
    }
    if (memcmp(sum, buf + len - VSC_HASH, VSC_HASH) != 0) {
        rc = scm_fail(d, SCM_E_VSC_CORRUPT,
                      "%s: the file checksum does not match (the file is damaged)", path);
        goto out;
    }
    /* Step 6: the public object list (without its MAC) against the structure. */
    rc = parse_objects(path, SCM_AREA_PUBLIC, f->body[0], f->body_len[0] - VSC_HASH, f, &f->pub,
                       &f->npub, d);
out:
    if (rc < 0)
        vsc_file_free(f);
    return rc;
}

void vsc_file_free(struct vsc_file *f)
{
    free(f->ents);
    free(f->pub);
    f->ents = NULL;
    f->pub = NULL;
    f->nents = f->npub = 0;
}

/* ---- Step 7 ---------------------------------------------------------------- */

struct lab {
    const uint8_t *p;
    size_t n;
};

static int lab_cmp(const void *a, const void *b)
{
    const struct lab *x = a, *y = b;
    int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
    if (c)
        return c;
    return x->n < y->n ? -1 : x->n > y->n;
}

static int labels_unique(const char *path, const struct vsc_file *f, const struct vsc_plain *pl,
                         struct scm_detail *d)
{
    size_t total = f->npub + pl->nrecs[1] + pl->nrecs[2], k = 0;
    int rc = SCM_OK;
    if (total < 2)
        return SCM_OK;
    struct lab *l = malloc(total * sizeof(*l));
    if (!l)
        return scm_fail(d, SCM_E_NOMEM, "%s: out of memory checking labels", path);
    for (size_t i = 0; i < f->npub; i++)
        l[k++] = (struct lab){f->pub[i].label, f->pub[i].label_len};
    for (unsigned a = 1; a < SCM_AREA_COUNT; a++)
        for (size_t i = 0; i < pl->nrecs[a]; i++)
            l[k++] = (struct lab){pl->recs[a][i].label, pl->recs[a][i].label_len};
    qsort(l, total, sizeof(*l), lab_cmp);
    for (size_t i = 1; i < total; i++)
        if (lab_cmp(&l[i - 1], &l[i]) == 0) {
            /* The label may be private: do not repeat it in the message. */
            rc = scm_fail(d, SCM_E_VSC_CORRUPT, "%s: two objects have the same label", path);
            break;
        }
    free(l);
    return rc;
}

void vsc_plain_free(struct vsc_plain *pl)
{
    for (unsigned a = 0; a < SCM_AREA_COUNT; a++) {
        scm_secure_free(pl->p[a], pl->plen[a]);
        free(pl->recs[a]);
    }
    memset(pl, 0, sizeof(*pl));
}

int vsc_verify_keyed(const char *path, const struct vsc_file *f, const uint8_t dk[VSC_KEY],
                     struct vsc_plain *out, struct scm_detail *d)
{
    const uint8_t *hsum = f->buf + VSC_PREFIX + f->hlen;
    uint8_t mac[VSC_HASH], ad[VSC_HASH + 1];
    struct vsc_keys *k = scm_secure_alloc(sizeof(*k));
    int rc;
    memset(out, 0, sizeof(*out));
    if (!k) {
        rc = scm_fail(d, SCM_E_NOMEM, "%s: out of secure memory", path);
        goto out;
    }
    rc = vsc_derive_keys(dk, f->hdr.save_salt, k);
    if (rc < 0) {
        scm_fail(d, rc, "%s: could not derive the area keys", path);
        goto out;
    }
    rc = vsc_hmac2(k->hdr, VSC_KEY, f->buf, VSC_PREFIX + f->hlen, NULL, 0, mac);
    if (rc == SCM_OK && !vsc_ct_equal(mac, hsum + VSC_HASH, VSC_HASH))
        rc = scm_fail(d, SCM_E_VSC_TAMPERED,
                      "%s: the header MAC does not match: the file was changed by someone "
                      "without the password", path);
    if (rc < 0)
        goto out;
    memcpy(ad, hsum, VSC_HASH);
    ad[VSC_HASH] = SCM_AREA_PUBLIC;
    size_t plen = f->body_len[0] - VSC_HASH;
    rc = vsc_hmac2(k->pub, VSC_KEY, ad, sizeof(ad), f->body[0], plen, mac);
    if (rc == SCM_OK && !vsc_ct_equal(mac, f->body[0] + plen, VSC_HASH))
        rc = scm_fail(d, SCM_E_VSC_TAMPERED,
                      "%s: the public area MAC does not match: the file was changed by someone "
                      "without the password", path);
    if (rc < 0)
        goto out;
    for (unsigned a = 1; a < SCM_AREA_COUNT; a++) {
        size_t ctlen = f->body_len[a] - VSC_NONCE;
        ad[VSC_HASH] = (uint8_t)a;
        out->plen[a] = ctlen - VSC_TAG;
        out->p[a] = scm_secure_alloc(out->plen[a]);
        if (!out->p[a]) {
            rc = scm_fail(d, SCM_E_NOMEM, "%s: out of secure memory", path);
            goto out;
        }
        rc = vsc_gcm_open(k->area[a], f->body[a], ad, sizeof(ad), f->body[a] + VSC_NONCE, ctlen,
                          out->p[a]);
        if (rc == SCM_E_VSC_TAMPERED)
            scm_fail(d, rc, "%s: the %s area does not authenticate: the file was changed by "
                            "someone without the password", path, area_word(a));
        else if (rc < 0)
            scm_fail(d, rc, "%s: could not decrypt the %s area", path, area_word(a));
        if (rc < 0)
            goto out;
        rc = parse_objects(path, a, out->p[a], out->plen[a], f, &out->recs[a], &out->nrecs[a], d);
        if (rc < 0)
            goto out;
    }
    rc = labels_unique(path, f, out, d);
out:
    scm_secure_free(k, sizeof(*k));
    scm_wipe(mac, sizeof(mac));
    if (rc < 0)
        vsc_plain_free(out);
    return rc;
}
