/* The object index and card info of the ISO 7816-4 layout
 * (doc/card-layout.md): encoding and strict decoding. No card access, so
 * it can be fuzzed and tested alone. Everything read from a card is
 * hostile until checked here. */
#include <stdlib.h>
#include <string.h>

#include "iso_int.h"

#define HDR_LEN 16
#define ENTRY_FIXED 14
#define CRC_LEN 4
static const uint8_t index_magic[4] = {'S', 'C', 'M', 'X'};
static const uint8_t info_magic[4] = {'S', 'C', 'M', 'I'};

uint32_t scm_iso_crc32(const uint8_t *p, size_t n)
{
    /* Bitwise CRC-32 (IEEE 802.3): the index is at most 4 KB and objects
     * 32 KB, a table would buy nothing a user could notice. */
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

uint16_t scm_iso_area_df(uint8_t area)
{
    return area == SCM_AREA_PUBLIC ? ISO_FID_PUB : ISO_FID_PRIV;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

int scm_iso_index_peek(const uint8_t *buf, size_t len, size_t *total)
{
    if (len < 8 || memcmp(buf, index_magic, 4) != 0)
        return SCM_E_NOT_FOUND;
    size_t n = get16(buf + 6);
    if (buf[4] != 1 || n < HDR_LEN + CRC_LEN || n > ISO_INDEX_SIZE)
        return SCM_E_CARD_LAYOUT;
    *total = n;
    return SCM_OK;
}

void scm_iso_index_free(struct iso_index *ix)
{
    free(ix->e);
    memset(ix, 0, sizeof(*ix));
}

int scm_iso_index_append(struct iso_index *ix, const struct iso_entry *e)
{
    if (ix->n == ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 16;
        struct iso_entry *ne = realloc(ix->e, cap * sizeof(*ne));
        if (!ne)
            return SCM_E_NOMEM;
        ix->e = ne;
        ix->cap = cap;
    }
    ix->e[ix->n++] = *e;
    return SCM_OK;
}

void scm_iso_index_drop(struct iso_index *ix, size_t i)
{
    if (i >= ix->n)
        return;
    memmove(ix->e + i, ix->e + i + 1, (ix->n - i - 1) * sizeof(*ix->e));
    ix->n--;
}

int scm_iso_index_copy(struct iso_index *dst, const struct iso_index *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->generation = src->generation;
    for (size_t i = 0; i < src->n; i++) {
        if (scm_iso_index_append(dst, &src->e[i]) < 0) {
            scm_iso_index_free(dst);
            return SCM_E_NOMEM;
        }
    }
    return SCM_OK;
}

long scm_iso_index_find(const struct iso_index *ix, const char *label)
{
    for (size_t i = 0; i < ix->n; i++)
        if (ix->e[i].type != ISO_TYPE_TRASH && strcmp(ix->e[i].label, label) == 0)
            return (long)i;
    return -1;
}

/* Every rule of doc/card-layout.md an entry must follow on its own. */
static const char *entry_problem(const struct iso_entry *e, size_t label_len)
{
    if (e->area >= SCM_AREA_COUNT)
        return "an unknown area";
    if (e->fid < ISO_FID_OBJ_FIRST || e->fid > ISO_FID_OBJ_LAST)
        return "a file identifier outside 6001..6FFE";
    if (e->type == ISO_TYPE_TRASH)
        return label_len == 0 ? NULL : "a label on a trash entry";
    if (e->type > SCM_OBJ_NOTE)
        return "an unknown object type";
    if (label_len == 0 || memchr(e->label, 0, label_len))
        return "an empty label or one with a NUL byte";
    if (e->size > ISO_OBJ_SIZE_MAX)
        return "an object larger than 32767 bytes";
    if (((e->flags & ISO_FLAG_NOT_EXPORTABLE) != 0) != (e->area == SCM_AREA_SECRET))
        return "a not-exportable flag that does not match its area";
    if (e->flags & ~ISO_FLAG_NOT_EXPORTABLE)
        return "unknown flags";
    return NULL;
}

/* Labels unique among live entries; file identifiers unique per DF among
 * all entries, so that no two entries can ever own the same EF. */
static const char *cross_problem(const struct iso_index *ix)
{
    for (size_t i = 0; i < ix->n; i++) {
        for (size_t j = i + 1; j < ix->n; j++) {
            const struct iso_entry *a = &ix->e[i], *b = &ix->e[j];
            if (a->fid == b->fid && scm_iso_area_df(a->area) == scm_iso_area_df(b->area))
                return "two entries name the same file";
            if (a->type != ISO_TYPE_TRASH && b->type != ISO_TYPE_TRASH &&
                strcmp(a->label, b->label) == 0)
                return "two objects have the same label";
        }
    }
    return NULL;
}

int scm_iso_index_decode(const uint8_t *buf, size_t len, struct iso_index *out,
                         struct scm_detail *d)
{
    memset(out, 0, sizeof(*out));
    size_t total;
    int rc = scm_iso_index_peek(buf, len, &total);
    if (rc == SCM_E_NOT_FOUND)
        return rc;
    if (rc < 0)
        return scm_fail(d, rc, "The object index has an unknown version or length.");
    if (total > len)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "The object index is shorter than it claims.");
    if (scm_iso_crc32(buf, total - CRC_LEN) != get32(buf + total - CRC_LEN))
        return scm_fail(d, SCM_E_CARD_LAYOUT,
                        "The object index fails its checksum (an interrupted write?).");
    if (buf[5] != 0 || get16(buf + 14) != 0)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "The object index has unknown flags set.");
    out->generation = get32(buf + 8);
    size_t count = get16(buf + 12);
    size_t pos = HDR_LEN, end = total - CRC_LEN;
    const char *why = NULL;
    for (size_t i = 0; i < count && !why; i++) {
        if (end - pos < ENTRY_FIXED) {
            why = "an entry runs past the end";
            break;
        }
        struct iso_entry e = {0};
        const uint8_t *p = buf + pos;
        e.type = p[0];
        e.area = p[1];
        e.flags = p[2];
        size_t ll = p[3];
        e.fid = get16(p + 4);
        e.size = get32(p + 6);
        e.crc = get32(p + 10);
        pos += ENTRY_FIXED;
        if (ll > SCM_OBJ_LABEL_MAX || end - pos < ll) {
            why = "a label runs past the end";
            break;
        }
        memcpy(e.label, buf + pos, ll);
        pos += ll;
        why = entry_problem(&e, ll);
        if (!why && scm_iso_index_append(out, &e) < 0) {
            scm_iso_index_free(out);
            return SCM_E_NOMEM;
        }
    }
    if (!why && pos != end)
        why = "bytes follow the last entry";
    if (!why)
        why = cross_problem(out);
    if (why) {
        scm_iso_index_free(out);
        return scm_fail(d, SCM_E_CARD_LAYOUT, "The object index is invalid: %s.", why);
    }
    return SCM_OK;
}

int scm_iso_index_encode(const struct iso_index *ix, uint8_t *buf, size_t cap, size_t *len)
{
    size_t need = HDR_LEN + CRC_LEN;
    size_t count = 0;
    for (size_t i = 0; i < ix->n; i++) {
        need += ENTRY_FIXED + strlen(ix->e[i].label);
        count++;
    }
    if (need > cap || need > ISO_INDEX_SIZE || count > 0xFFFF)
        return SCM_E_CARD_FULL;
    memcpy(buf, index_magic, 4);
    buf[4] = 1;
    buf[5] = 0;
    put16(buf + 6, (uint16_t)need);
    put32(buf + 8, ix->generation);
    put16(buf + 12, (uint16_t)count);
    put16(buf + 14, 0);
    size_t pos = HDR_LEN;
    for (size_t i = 0; i < ix->n; i++) {
        const struct iso_entry *e = &ix->e[i];
        size_t ll = strlen(e->label);
        uint8_t *p = buf + pos;
        p[0] = e->type;
        p[1] = e->area;
        p[2] = e->flags;
        p[3] = (uint8_t)ll;
        put16(p + 4, e->fid);
        put32(p + 6, e->size);
        put32(p + 10, e->crc);
        memcpy(p + ENTRY_FIXED, e->label, ll);
        pos += ENTRY_FIXED + ll;
    }
    put32(buf + pos, scm_iso_crc32(buf, pos));
    *len = need;
    return SCM_OK;
}

int scm_iso_info_decode(const uint8_t *buf, size_t len, struct iso_cardinfo *out)
{
    memset(out, 0, sizeof(*out));
    if (len < 12 || memcmp(buf, info_magic, 4) != 0 || buf[4] != ISO_LAYOUT_VERSION)
        return SCM_E_CARD_LAYOUT;
    size_t ll = buf[5], sl = buf[6];
    if (ll > SCM_VSC_LABEL_MAX || sl > sizeof(out->serial) - 1 || 8 + ll + sl + CRC_LEN > len)
        return SCM_E_CARD_LAYOUT;
    if (scm_iso_crc32(buf, 8 + ll + sl) != get32(buf + 8 + ll + sl))
        return SCM_E_CARD_LAYOUT;
    memcpy(out->label, buf + 8, ll);
    memcpy(out->serial, buf + 8 + ll, sl);
    if (memchr(buf + 8, 0, ll + sl))
        return SCM_E_CARD_LAYOUT;
    out->version = buf[4];
    return SCM_OK;
}

int scm_iso_info_encode(const struct iso_cardinfo *ci, uint8_t *buf, size_t cap, size_t *len)
{
    size_t ll = strlen(ci->label), sl = strlen(ci->serial);
    if (ll > SCM_VSC_LABEL_MAX || sl > sizeof(ci->serial) - 1 || 8 + ll + sl + CRC_LEN > cap)
        return SCM_E_LIMIT;
    memcpy(buf, info_magic, 4);
    buf[4] = ISO_LAYOUT_VERSION;
    buf[5] = (uint8_t)ll;
    buf[6] = (uint8_t)sl;
    buf[7] = 0;
    memcpy(buf + 8, ci->label, ll);
    memcpy(buf + 8 + ll, ci->serial, sl);
    put32(buf + 8 + ll + sl, scm_iso_crc32(buf, 8 + ll + sl));
    *len = 8 + ll + sl + CRC_LEN;
    return SCM_OK;
}
