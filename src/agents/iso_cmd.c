/* What of the ISO 7816 commands is the scmgr layout's own: selecting its
 * application, and the FCP templates of doc/card-layout.md. The commands
 * themselves are the shared ones of iso.c. */
#include <string.h>

#include "iso_int.h"

static const uint8_t aid[ISO_AID_LEN] = {ISO_AID_BYTES};

int scm_iso_select_scm(struct scm_tx *tx, uint16_t *sw)
{
    return scm_iso_select_aid(tx, aid, sizeof(aid), 0x0C, NULL, 0, NULL, sw);
}

/* ---- FCP templates ----------------------------------------------------------- */

struct tlvw {
    uint8_t *p;
    size_t n, cap;
    bool overflow;
};

static void put_tlv(struct tlvw *w, uint8_t tag, const uint8_t *v, size_t len)
{
    if (w->n + 2 + len > w->cap || len > 127) {
        w->overflow = true;
        return;
    }
    w->p[w->n++] = tag;
    w->p[w->n++] = (uint8_t)len;
    memcpy(w->p + w->n, v, len);
    w->n += len;
}

size_t scm_iso_fcp(enum iso_fcp_kind kind, uint16_t fid, uint8_t sfi, size_t size, uint8_t area,
                   uint8_t *out, size_t cap)
{
    /* Compact security attributes (ISO 7816-4 tag 8C), access mode 47:
     * for an EF DELETE, WRITE, UPDATE, READ; for a DF DELETE (self),
     * CREATE DF, CREATE EF, DELETE (child). 00 always, 10 the PIN, FF never. */
    uint8_t sa_pin_all[5] = {0x47, 0x10, 0x10, 0x10, 0x10};
    uint8_t sa_read_free[5] = {0x47, 0x10, 0x10, 0x10, 0x00};
    uint8_t sa_read_never[5] = {0x47, 0x10, 0x10, 0x10, 0xFF};
    bool df = kind == ISO_FCP_APP || kind == ISO_FCP_AREA_DF;
    uint8_t fdb = df ? 0x38 : 0x01;
    uint8_t f[2] = {(uint8_t)(fid >> 8), (uint8_t)fid};
    uint8_t sz[2] = {(uint8_t)(size >> 8), (uint8_t)size};
    uint8_t lcs = 0x05;
    const uint8_t *sa = sa_pin_all;
    if (kind == ISO_FCP_META_EF || (kind == ISO_FCP_OBJ && area == SCM_AREA_PUBLIC))
        sa = sa_read_free;
    else if (kind == ISO_FCP_OBJ && area == SCM_AREA_SECRET)
        sa = sa_read_never;

    if (cap < 2 || size > 0xFFFF)
        return 0;
    struct tlvw w = {.p = out + 2, .cap = cap - 2};
    put_tlv(&w, 0x82, &fdb, 1);
    put_tlv(&w, 0x83, f, 2);
    if (!df)
        put_tlv(&w, 0x80, sz, 2);
    if (kind == ISO_FCP_APP)
        put_tlv(&w, 0x84, aid, sizeof(aid));
    if (sfi)
        put_tlv(&w, 0x88, &sfi, 1);
    put_tlv(&w, 0x8A, &lcs, 1);
    put_tlv(&w, 0x8C, sa, 5);
    if (w.overflow)
        return 0;
    out[0] = 0x62;
    out[1] = (uint8_t)w.n;
    return w.n + 2;
}
