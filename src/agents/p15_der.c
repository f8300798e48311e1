/* The bounded DER reader of the PKCS#15 codec (p15_asn1.h): one TLV at a
 * time, every length checked against the bytes that remain, and a
 * checker that walks nesting with a fixed stack instead of recursion. */
#include <string.h>

#include "p15_asn1.h"

int scm_p15_der_next(struct p15_der *r, struct p15_tlv *t, struct scm_detail *d)
{
    const uint8_t *p = r->p;
    size_t n = r->n, i = 1, len;
    /* PKCS#15 EFs have a fixed size and are padded after the last entry
     * (00 by OpenSC, FF on erased cards): no tag starts with either. */
    if (n == 0 || p[0] == 0x00 || p[0] == 0xFF)
        return SCM_E_NOT_FOUND;
    uint32_t tag = p[0];
    if ((p[0] & 0x1F) == 0x1F) {
        for (;;) {
            if (i >= n)
                return scm_fail(d, SCM_E_CARD_LAYOUT, "a tag runs past the end of the data");
            if (i == 3)
                return scm_fail(d, SCM_E_CARD_LAYOUT, "a tag is longer than 3 bytes");
            uint8_t b = p[i++];
            tag = tag << 8 | b;
            if (!(b & 0x80))
                break;
        }
    }
    if (i >= n)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "a tag has no length");
    uint8_t l = p[i++];
    if (l < 0x80) {
        len = l;
    } else if (l == 0x80) {
        return scm_fail(d, SCM_E_CARD_LAYOUT, "an indefinite length, which DER does not allow");
    } else {
        size_t k = l & 0x7Fu;
        if (k > 4)
            return scm_fail(d, SCM_E_CARD_LAYOUT, "a length of more than 4 bytes");
        if (k > n - i)
            return scm_fail(d, SCM_E_CARD_LAYOUT, "a length runs past the end of the data");
        len = 0;
        for (size_t j = 0; j < k; j++)
            len = len << 8 | p[i++];
    }
    if (len > n - i)
        return scm_fail(d, SCM_E_CARD_LAYOUT,
                        "a value of %zu bytes runs past the end of the data (%zu left)", len,
                        n - i);
    t->tag = tag;
    t->raw = p;
    t->v = p + i;
    t->len = len;
    t->raw_len = i + len;
    r->p += t->raw_len;
    r->n -= t->raw_len;
    return SCM_OK;
}

int scm_p15_der_take(struct p15_der *r, uint32_t tag, struct p15_tlv *t, struct scm_detail *d)
{
    struct p15_der peek = *r;
    struct p15_tlv tt;
    int rc = scm_p15_der_next(&peek, &tt, d);
    if (rc != SCM_OK)
        return rc;
    if (tt.tag != tag)
        return SCM_E_NOT_FOUND;
    *r = peek;
    *t = tt;
    return SCM_OK;
}

int scm_p15_der_check(const uint8_t *buf, size_t len, size_t *used, struct scm_detail *d)
{
    struct p15_der st[P15_DEPTH_MAX];
    size_t depth = 0;
    st[0] = scm_p15_der(buf, len);
    for (;;) {
        struct p15_tlv t;
        int rc = scm_p15_der_next(&st[depth], &t, d);
        if (rc == SCM_E_NOT_FOUND) {
            if (depth == 0) {
                if (used)
                    *used = (size_t)(st[0].p - buf);
                return SCM_OK;
            }
            /* Padding belongs after the last entry, not inside one. */
            if (st[depth].n != 0)
                return scm_fail(d, SCM_E_CARD_LAYOUT, "a padding byte inside a value");
            depth--;
            continue;
        }
        if (rc != SCM_OK)
            return rc;
        if (scm_p15_constructed(t.tag) && t.len > 0) {
            if (depth + 1 >= P15_DEPTH_MAX)
                return scm_fail(d, SCM_E_CARD_LAYOUT, "values nested more than %d deep",
                                P15_DEPTH_MAX);
            st[++depth] = scm_p15_der_in(&t);
        }
    }
}

int scm_p15_der_int(const struct p15_tlv *t, int32_t *v, struct scm_detail *d)
{
    if (t->len < 1 || t->len > 4)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "an integer of %zu bytes (1 to 4 expected)", t->len);
    uint32_t u = (t->v[0] & 0x80) ? 0xFFFFFFFFu : 0;
    for (size_t i = 0; i < t->len; i++)
        u = u << 8 | t->v[i];
    *v = (int32_t)u;
    return SCM_OK;
}

int scm_p15_der_bits(const struct p15_tlv *t, uint32_t *v, struct scm_detail *d)
{
    if (t->len < 1 || t->len > 5 || t->v[0] > 7 || (t->len == 1 && t->v[0] != 0))
        return scm_fail(d, SCM_E_CARD_LAYOUT, "a malformed bit string");
    uint32_t out = 0;
    for (size_t k = 1; k < t->len; k++) {
        uint8_t o = t->v[k];
        if (k == t->len - 1)
            o &= (uint8_t)(0xFFu << t->v[0]); /* the unused bits do not count */
        for (unsigned j = 0; j < 8; j++)
            if (o & (0x80u >> j))
                out |= 1u << ((k - 1) * 8 + j);
    }
    *v = out;
    return SCM_OK;
}

int scm_p15_der_bool(const struct p15_tlv *t, bool *v, struct scm_detail *d)
{
    if (t->len != 1)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "a boolean of %zu bytes", t->len);
    *v = t->v[0] != 0;
    return SCM_OK;
}
