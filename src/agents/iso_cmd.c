/* The standard ISO 7816-4/-9 commands the layout uses, built once here
 * (SELECT, READ/UPDATE BINARY, CREATE/DELETE FILE, VERIFY, CHANGE
 * REFERENCE DATA), plus the FCP templates of doc/card-layout.md. Chunking
 * of object bytes into APDUs lives here too: the APDU layer sends one
 * command, and "how big may a chunk be" depends on the command. */
#include <string.h>

#include "iso_int.h"

#define SHORT_WRITE 255
#define SHORT_READ 256
/* Objects are at most 32767 bytes, so one extended APDU carries any of them. */
#define EXT_CHUNK 0x8000

static const uint8_t aid[ISO_AID_LEN] = {ISO_AID_BYTES};

static int iso_send(struct scm_tx *tx, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
                    size_t lc, size_t le, bool sensitive, uint8_t *resp, size_t cap, size_t *got,
                    uint16_t *sw)
{
    struct scm_apdu a = {.cla = 0x00,
                         .ins = ins,
                         .p1 = p1,
                         .p2 = p2,
                         .data = data,
                         .lc = lc,
                         .le = le,
                         .sensitive = sensitive};
    size_t dummy;
    return scm_tx_apdu(tx, &a, resp, cap, got ? got : &dummy, sw);
}

int scm_iso_select_aid(struct scm_tx *tx, uint16_t *sw)
{
    return iso_send(tx, 0xA4, 0x04, 0x0C, aid, sizeof(aid), 0, false, NULL, 0, NULL, sw);
}

int scm_iso_select_mf(struct scm_tx *tx, uint16_t *sw)
{
    static const uint8_t mf[2] = {0x3F, 0x00};
    return iso_send(tx, 0xA4, 0x00, 0x0C, mf, 2, 0, false, NULL, 0, NULL, sw);
}

int scm_iso_select_path(struct scm_tx *tx, const uint16_t *fids, size_t n, uint16_t *sw)
{
    uint8_t path[16];
    if (n == 0 || n > sizeof(path) / 2)
        return SCM_E_INVAL;
    for (size_t i = 0; i < n; i++) {
        path[2 * i] = (uint8_t)(fids[i] >> 8);
        path[2 * i + 1] = (uint8_t)fids[i];
    }
    return iso_send(tx, 0xA4, 0x08, 0x0C, path, 2 * n, 0, false, NULL, 0, NULL, sw);
}

static size_t read_chunk(const struct scm_tx *tx)
{
    return tx->extended ? EXT_CHUNK : SHORT_READ;
}

int scm_iso_read_sfi(struct scm_tx *tx, uint8_t sfi, uint8_t *buf, size_t want, size_t *got,
                     uint16_t *sw)
{
    size_t le = want < read_chunk(tx) ? want : read_chunk(tx);
    return iso_send(tx, 0xB0, (uint8_t)(0x80 | (sfi & 0x1F)), 0, NULL, 0, le, false, buf, want, got,
                    sw);
}

int scm_iso_read_all(struct scm_tx *tx, size_t off, uint8_t *buf, size_t want, size_t *got,
                     uint16_t *sw)
{
    *got = 0;
    *sw = 0x9000;
    while (*got < want) {
        size_t pos = off + *got;
        if (pos > ISO_OBJ_SIZE_MAX)
            return SCM_E_LIMIT;
        size_t le = want - *got;
        if (le > read_chunk(tx))
            le = read_chunk(tx);
        size_t n = 0;
        int rc = iso_send(tx, 0xB0, (uint8_t)(pos >> 8), (uint8_t)pos, NULL, 0, le, false,
                          buf + *got, want - *got, &n, sw);
        if (rc < 0)
            return rc;
        *got += n;
        /* Anything but 9000 with data ends the read: 6282 (end of file)
         * means the EF is shorter than asked, which the caller judges. */
        if (*sw != 0x9000 || n == 0)
            return SCM_OK;
    }
    return SCM_OK;
}

int scm_iso_update_all(struct scm_tx *tx, const uint8_t *data, size_t len, bool sensitive,
                       size_t *done, uint16_t *sw)
{
    size_t chunk = tx->extended ? EXT_CHUNK : SHORT_WRITE;
    *done = 0;
    *sw = 0x9000;
    while (*done < len) {
        size_t n = len - *done < chunk ? len - *done : chunk;
        if (*done > ISO_OBJ_SIZE_MAX)
            return SCM_E_LIMIT;
        int rc = iso_send(tx, 0xD6, (uint8_t)(*done >> 8), (uint8_t)*done, data + *done, n, 0,
                          sensitive, NULL, 0, NULL, sw);
        if (rc < 0)
            return rc;
        if (*sw != 0x9000)
            return SCM_OK;
        *done += n;
    }
    return SCM_OK;
}

int scm_iso_create(struct scm_tx *tx, const uint8_t *fcp, size_t len, uint16_t *sw)
{
    return iso_send(tx, 0xE0, 0, 0, fcp, len, 0, false, NULL, 0, NULL, sw);
}

int scm_iso_delete(struct scm_tx *tx, uint16_t fid, uint16_t *sw)
{
    uint8_t f[2] = {(uint8_t)(fid >> 8), (uint8_t)fid};
    return iso_send(tx, 0xE4, 0, 0, f, 2, 0, false, NULL, 0, NULL, sw);
}

int scm_iso_verify(struct scm_tx *tx, const char *pin, size_t len, uint16_t *sw)
{
    /* The PIN goes straight into the APDU layer's command buffer (which
     * wipes it); no copy here. */
    if (pin && (len == 0 || len > ISO_PIN_MAX))
        return SCM_E_BAD_PIN_FORMAT;
    return iso_send(tx, 0x20, 0x00, ISO_PIN_REF, pin ? (const uint8_t *)pin : NULL, pin ? len : 0,
                    0, true, NULL, 0, NULL, sw);
}

int scm_iso_change(struct scm_tx *tx, const char *oldpin, size_t oldlen, const char *newpin,
                   size_t newlen, uint16_t *sw)
{
    /* The command's data field old || new, wiped after the exchange. */
    uint8_t buf[2 * ISO_PIN_MAX];
    if (!oldpin || !newpin || oldlen == 0 || newlen == 0 || oldlen > ISO_PIN_MAX ||
        newlen > ISO_PIN_MAX)
        return SCM_E_BAD_PIN_FORMAT;
    memcpy(buf, oldpin, oldlen);
    memcpy(buf + oldlen, newpin, newlen);
    int rc =
        iso_send(tx, 0x24, 0x00, ISO_PIN_REF, buf, oldlen + newlen, 0, true, NULL, 0, NULL, sw);
    scm_wipe(buf, sizeof(buf));
    return rc;
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

/* ---- Status words ------------------------------------------------------------ */

int scm_iso_sw_err(uint16_t sw)
{
    if (sw == 0x9000)
        return SCM_OK;
    if ((sw & 0xFFF0) == 0x63C0 || sw == 0x6300)
        return SCM_E_BAD_PIN;
    switch (sw) {
    case 0x6982:
        return SCM_E_CARD_LOCKED;
    case 0x6983:
    case 0x6984:
        return SCM_E_PIN_BLOCKED;
    case 0x6A82:
    case 0x6A83:
    case 0x6A88:
        return SCM_E_NOT_FOUND;
    case 0x6A84:
        return SCM_E_CARD_FULL;
    case 0x6A89:
    case 0x6A8A:
        return SCM_E_EXISTS;
    case 0x6A81:
    case 0x6D00:
    case 0x6E00:
        return SCM_E_NOT_SUPPORTED;
    default:
        return SCM_E_CARD_REFUSED;
    }
}
