/* The CAC card agent (Common Access Card, GSC-IS 2.1 / NIST IR 6887 and
 * the CAC applet developer guide): reads, never writes. The card's
 * Capability Container (CCC) lists its applets; each PKI applet holds one
 * certificate and a private key the card never releases, the other
 * applets hold data buffers (Person Instance, Personnel, PKI Credential,
 * ...). A buffer is two files read with READ BUFFER: the tags and lengths
 * (SimpleTLV headers) and the values, each prefixed by its own length.
 *
 * Every buffer is read once per connection and kept (in secure memory:
 * Person Instance holds a name and a date of birth) until a verification
 * changes what the card shows. The labels and CKA_IDs are those OpenSC's
 * cac driver gives, so a listing reads like `pkcs15-tool -D`.
 * doc/card-types.md maps each buffer to a VSC object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "iso.h"

/* The Card Capability Container and the first PKI applet (CAC-1 RID). */
static const uint8_t ccc_aid[] = {0xA0, 0x00, 0x00, 0x01, 0x16, 0xDB, 0x00};
static const uint8_t pki_aid[] = {0xA0, 0x00, 0x00, 0x00, 0x79, 0x01, 0x00};
#define AID_LEN 7

#define INS_READ_BUFFER 0x52
#define FILE_TAG 0x01   /* READ BUFFER of the tag-and-length file */
#define FILE_VALUE 0x02 /* ... of the value file */
/* OpenSC reads 240 bytes per READ BUFFER; the length is one byte, and
 * some cards take no more. */
#define CHUNK 240
#define APP_PKI 0x04
#define APP_GENERAL 0x01
#define TAG_CERT 0x70
#define TAG_CERTINFO 0x71
#define TAG_CUID 0xF0
#define TAG_CARDURL 0xF3
#define TAG_NEXT_CCC 0xFD

#define MAX_BUFS 40
#define MAX_PKI 16
#define MAX_CCC_DEPTH 4 /* a chain of CCCs (FD) longer than this is broken */
#define PIN_LEN 8       /* the PIN goes padded with FF to 8 bytes */
#define CRED_PIN 0

enum kind { K_CERT, K_DATA };
enum cstate { C_UNKNOWN = 0, C_ABSENT, C_PRESENT, C_LOCKED };

/* One buffer of one applet: its AID, its object ID (2 bytes, or none on a
 * card without a CCC), what it is, and what was read of it. */
struct buf {
    uint8_t aid[AID_LEN];
    uint8_t oid[2];
    bool has_oid;
    enum kind kind;
    unsigned pki; /* certificates: the PKI applet's place, 0-15 */
    char name[64];
    enum cstate st;
    uint8_t *data; /* certificate: the DER; data: TLVs merged (secure memory) */
    size_t len;
    bool compressed; /* a certificate the card keeps compressed (CertInfo) */
};

struct cac_state {
    struct scm_tx *tx;
    struct buf b[MAX_BUFS];
    size_t nb;
    size_t npki;
    uint8_t cuid[32]; /* the card identifier of the CCC (OpenSC's serial) */
    size_t cuid_len;
    long cur; /* the buffer selected now, -1 none */
    bool pin_ok;
};

/* A wrong PIN is 6985 ("conditions of use not satisfied") on libcacard and
 * on the cards it copies, not ISO's 63Cx: say "wrong PIN". */
static const struct scm_sw_map cac_sw[] = {
    {0x6985, 0xFFFF, SCM_E_BAD_PIN},
    {0, 0, 0},
};

/* OpenSC's labels (card-cac-common.c), by the PKI applet's place. */
static const char *const cert_labels[] = {"CAC ID Certificate", "CAC Email Signature Certificate",
                                          "CAC Email Encryption Certificate"};
static const char *const key_labels[] = {"CAC ID private key", "CAC Email Signature private key",
                                         "CAC Email Encryption private key"};

/* The general buffers OpenSC names (by object ID, as in the CAC applet
 * developer guide), and the PIV containers a CCC points at through the
 * access control applet (A0 00 00 01 16 30 00), by SP 800-73's container
 * IDs. Others get their object ID for a name. */
static const struct {
    uint16_t oid;
    const char *name;
} data_names[] = {
    {0x0200, "Person Instance"},
    {0x0201, "Personnel"},
    {0x0202, "Benefits"},
    {0x0203, "Other Benefits"},
    {0x02FD, "PKI Credential"},
    {0x02FE, "PKI Certificate"},
    {0x3000, "Card Holder Unique Identifier"},
    {0x6010, "Cardholder Fingerprints"},
    {0x6030, "Cardholder Facial Image"},
    {0x9000, "Security Object"},
};

static void drop(struct buf *b)
{
    scm_secure_free(b->data, b->len);
    b->data = NULL;
    b->len = 0;
    b->compressed = false;
    b->st = C_UNKNOWN;
}

static bool ok_sw(uint16_t sw)
{
    return sw == 0x9000 || (sw & 0xFF00) == 0x6100;
}

static int select_aid(struct scm_tx *tx, const uint8_t *aid, uint16_t *sw)
{
    uint8_t fci[256];
    size_t got;
    return scm_iso_select_aid(tx, aid, AID_LEN, 0x00, fci, sizeof(fci), &got, sw);
}

/* One READ BUFFER: len bytes of file which at offset off. */
static int read_cmd(struct scm_tx *tx, uint8_t which, size_t off, size_t len, uint8_t *out,
                    size_t *got, uint16_t *sw)
{
    uint8_t p[2] = {which, (uint8_t)len};
    struct scm_apdu a = {.cla = 0x80,
                         .ins = INS_READ_BUFFER,
                         .p1 = (uint8_t)(off >> 8),
                         .p2 = (uint8_t)off,
                         .data = p,
                         .lc = 2,
                         .le = 256};
    return scm_tx_apdu(tx, &a, out, len, got, sw);
}

/* ---- SimpleTLV (GSC-IS): a one-byte tag, a one-byte length or FF and
 * two bytes of length, least significant first. ---------------------------- */

/* The header at buf[*pos]; *pos moves past it. 0 at the end, 1 for one,
 * SCM_E_CARD_LAYOUT when it is cut short. */
static int stlv_head(const uint8_t *buf, size_t len, size_t *pos, uint8_t *tag, size_t *vlen)
{
    size_t p = *pos;
    if (p >= len)
        return 0;
    if (len - p < 2)
        return SCM_E_CARD_LAYOUT;
    *tag = buf[p];
    if (buf[p + 1] != 0xFF) {
        *vlen = buf[p + 1];
        *pos = p + 2;
        return 1;
    }
    if (len - p < 4)
        return SCM_E_CARD_LAYOUT;
    *vlen = (size_t)buf[p + 2] | (size_t)buf[p + 3] << 8;
    *pos = p + 4;
    return 1;
}

/* ---- Reading a buffer ---------------------------------------------------------- */

/* A whole file (tags or values) of the selected buffer, without its
 * length prefix, in secure memory. The first READ BUFFER asks for a whole
 * chunk: a short file comes back in one APDU with its length; a card that
 * refuses to read past the end is asked the length first, as OpenSC does.
 * *sw: the card's refusal (6982: needs the PIN), else 9000. */
static int read_file(struct cac_state *st, uint8_t which, uint8_t **out, size_t *len, uint16_t *sw)
{
    uint8_t first[CHUNK];
    size_t got = 0, total, off;
    int rc;

    *out = NULL;
    *len = 0;
    rc = read_cmd(st->tx, which, 0, CHUNK, first, &got, sw);
    if (rc == SCM_OK && *sw != 0x9000 && *sw != 0x6982)
        rc = read_cmd(st->tx, which, 0, 2, first, &got, sw);
    if (rc < 0 || *sw != 0x9000) {
        scm_wipe(first, sizeof(first));
        return rc;
    }
    if (got < 2) {
        scm_wipe(first, sizeof(first));
        return SCM_E_CARD_LAYOUT;
    }
    total = (size_t)first[0] | (size_t)first[1] << 8;
    uint8_t *buf = scm_secure_alloc(total ? total : 1);
    if (!buf) {
        scm_wipe(first, sizeof(first));
        return SCM_E_NOMEM;
    }
    off = got - 2 < total ? got - 2 : total;
    memcpy(buf, first + 2, off);
    scm_wipe(first, sizeof(first));
    /* Offsets count the length prefix too. */
    while (off < total) {
        size_t want = total - off < CHUNK ? total - off : CHUNK;
        if (off + 2 > 0xFFFF) {
            rc = SCM_E_CARD_LAYOUT;
            break;
        }
        rc = read_cmd(st->tx, which, off + 2, want, buf + off, &got, sw);
        if (rc < 0 || *sw != 0x9000)
            break;
        if (got == 0) {
            rc = SCM_E_CARD_LAYOUT; /* no progress: the card's length was wrong */
            break;
        }
        off += got;
    }
    if (rc < 0 || *sw != 0x9000) {
        scm_secure_free(buf, total ? total : 1);
        return rc;
    }
    *out = buf;
    *len = total;
    return SCM_OK;
}

/* A certificate buffer: CertInfo (71) and the certificate (70) among its
 * tags; the other tags (MSCUID 72, error detection FE) are left out, as
 * OpenSC does. */
static int cert_of(struct buf *b, const uint8_t *tl, size_t tll, const uint8_t *v, size_t vl)
{
    size_t pos = 0, voff = 0, vlen;
    uint8_t tag, info = 0;
    const uint8_t *der = NULL;
    size_t dl = 0;
    int r;
    while ((r = stlv_head(tl, tll, &pos, &tag, &vlen)) == 1) {
        if (vlen > vl - voff)
            return SCM_E_CARD_LAYOUT;
        if (tag == TAG_CERT) {
            der = v + voff;
            dl = vlen;
        } else if (tag == TAG_CERTINFO && vlen >= 1) {
            info = v[voff];
        }
        voff += vlen;
    }
    if (r < 0)
        return r;
    if (!der || dl == 0) {
        b->st = C_ABSENT; /* an applet with no certificate loaded */
        return SCM_OK;
    }
    b->data = scm_secure_alloc(dl);
    if (!b->data)
        return SCM_E_NOMEM;
    memcpy(b->data, der, dl);
    b->len = dl;
    b->compressed = (info & 0x03) == 0x01;
    b->st = C_PRESENT;
    return SCM_OK;
}

/* A data buffer: tags and values merged back into one SimpleTLV string,
 * which is what OpenSC gives for it; the value file as it is when the
 * tags do not describe it (a buffer that is not SimpleTLV). */
static int data_of(struct buf *b, const uint8_t *tl, size_t tll, const uint8_t *v, size_t vl)
{
    size_t pos = 0, voff = 0, vlen, need = 0, start;
    uint8_t tag;
    int r;
    while ((r = stlv_head(tl, tll, &pos, &tag, &vlen)) == 1) {
        if (vlen > vl - voff)
            break;
        voff += vlen;
    }
    bool merged = r == 0 && voff == vl;
    need = merged ? tll + vl : vl;
    if (need == 0) {
        b->st = C_ABSENT; /* an empty buffer: a place the card has */
        return SCM_OK;
    }
    b->data = scm_secure_alloc(need);
    if (!b->data)
        return SCM_E_NOMEM;
    if (!merged) {
        memcpy(b->data, v, vl);
    } else {
        size_t o = 0;
        pos = 0;
        voff = 0;
        for (;;) {
            start = pos;
            if (stlv_head(tl, tll, &pos, &tag, &vlen) != 1)
                break;
            memcpy(b->data + o, tl + start, pos - start);
            o += pos - start;
            memcpy(b->data + o, v + voff, vlen);
            o += vlen;
            voff += vlen;
        }
    }
    b->len = need;
    b->st = C_PRESENT;
    return SCM_OK;
}

static int select_buf(struct cac_state *st, size_t i, uint16_t *sw)
{
    struct buf *b = &st->b[i];
    int rc;
    if (st->cur >= 0 && (size_t)st->cur == i) {
        *sw = 0x9000;
        return SCM_OK;
    }
    /* The applet, unless the one selected holds this buffer too. */
    if (st->cur < 0 || memcmp(st->b[st->cur].aid, b->aid, AID_LEN) != 0) {
        st->cur = -1;
        if ((rc = select_aid(st->tx, b->aid, sw)) < 0 || !ok_sw(*sw))
            return rc;
    }
    st->cur = -1;
    if (b->has_oid) {
        /* The object inside the applet (SELECT P1=02, GSC-IS). */
        struct scm_apdu a = {
            .cla = 0x00, .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C, .data = b->oid, .lc = 2};
        size_t got;
        if ((rc = scm_tx_apdu(st->tx, &a, NULL, 0, &got, sw)) < 0 || !ok_sw(*sw))
            return rc;
    }
    st->cur = (long)i;
    *sw = 0x9000;
    return SCM_OK;
}

static void what(const struct buf *b, char *out, size_t cap)
{
    snprintf(out, cap, "%s", b->name);
}

/* Fetch buffer i into the cache: present (with its bytes), absent, or
 * locked (the PIN first). */
static int fetch(struct cac_state *st, size_t i, struct scm_detail *d)
{
    struct buf *b = &st->b[i];
    uint8_t *tl = NULL, *v = NULL;
    size_t tll = 0, vl = 0;
    uint16_t sw = 0;
    char why[160], name[64];
    int rc;

    what(b, name, sizeof(name));
    drop(b);
    rc = select_buf(st, i, &sw);
    if (rc == SCM_OK && !ok_sw(sw)) {
        /* An applet the CCC names but the card does not have. */
        b->st = C_ABSENT;
        return SCM_OK;
    }
    if (rc == SCM_OK)
        rc = read_file(st, FILE_TAG, &tl, &tll, &sw);
    /* No tags: nothing to read in the value file. */
    if (rc == SCM_OK && sw == 0x9000 && tll > 0)
        rc = read_file(st, FILE_VALUE, &v, &vl, &sw);
    if (rc == SCM_OK && sw == 0x6982) {
        b->st = C_LOCKED;
    } else if (rc == SCM_OK && sw != 0x9000) {
        scm_secure_free(tl, tll ? tll : 1);
        return scm_fail(d, scm_iso_sw_err(sw, cac_sw),
                        "The CAC card answered %04X to READ BUFFER of %s.", sw, name);
    } else if (rc == SCM_OK) {
        rc = b->kind == K_CERT ? cert_of(b, tl, tll, v, vl) : data_of(b, tl, tll, v, vl);
    }
    scm_secure_free(tl, tll ? tll : 1);
    scm_secure_free(v, vl ? vl : 1);
    if (rc == SCM_E_CARD_LAYOUT)
        return scm_fail(d, rc, "The CAC card's %s is not laid out as GSC-IS says.", name);
    if (rc < 0) {
        rc = scm_iso_step_err(rc, 0, "READ BUFFER", why, sizeof(why));
        return scm_fail(d, rc, "Reading the CAC card's %s failed (%s).", name, why);
    }
    return SCM_OK;
}

/* ---- The Capability Container ------------------------------------------------- */

static int add_buf(struct cac_state *st, const uint8_t *aid, const uint8_t *oid, enum kind kind)
{
    if (st->nb >= MAX_BUFS || (kind == K_CERT && st->npki >= MAX_PKI))
        return SCM_OK; /* more than any card has: the rest is left out */
    for (size_t i = 0; i < st->nb; i++)
        if (memcmp(st->b[i].aid, aid, AID_LEN) == 0 && st->b[i].has_oid == (oid != NULL) &&
            (!oid || memcmp(st->b[i].oid, oid, 2) == 0))
            return SCM_OK; /* named twice (a CCC chain that loops) */
    struct buf *b = &st->b[st->nb++];
    memset(b, 0, sizeof(*b));
    memcpy(b->aid, aid, AID_LEN);
    if (oid) {
        memcpy(b->oid, oid, 2);
        b->has_oid = true;
    }
    b->kind = kind;
    if (kind == K_CERT) {
        b->pki = (unsigned)st->npki++;
        if (b->pki < 3)
            snprintf(b->name, sizeof(b->name), "%s", cert_labels[b->pki]);
        else
            snprintf(b->name, sizeof(b->name), "CAC Cert %u", b->pki + 1);
    } else {
        uint16_t id = oid ? (uint16_t)(oid[0] << 8 | oid[1])
                          : (uint16_t)(aid[AID_LEN - 2] << 8 | aid[AID_LEN - 1]);
        snprintf(b->name, sizeof(b->name), "CAC data buffer %04X", id);
        for (size_t k = 0; k < sizeof(data_names) / sizeof(data_names[0]); k++)
            if (data_names[k].oid == id)
                snprintf(b->name, sizeof(b->name), "%s", data_names[k].name);
    }
    return SCM_OK;
}

static int process_ccc(struct cac_state *st, int depth, struct scm_detail *d);

/* The CCC's tags: the card identifier (F0), one CardURL (F3) per applet
 * object: RID (5), application type, object ID (2), application ID (2),
 * ...; the next CCC (FD), a CardURL too. */
static int parse_ccc(struct cac_state *st, const uint8_t *tl, size_t tll, const uint8_t *v,
                     size_t vl, int depth, struct scm_detail *d)
{
    size_t pos = 0, voff = 0, vlen;
    uint8_t tag;
    int r;
    while ((r = stlv_head(tl, tll, &pos, &tag, &vlen)) == 1) {
        if (vlen > vl - voff)
            return SCM_E_CARD_LAYOUT;
        const uint8_t *val = v + voff;
        voff += vlen;
        if (tag == TAG_CUID && vlen > 7 && st->cuid_len == 0) {
            /* GSC RID (5), manufacturer, card type, then the card's ID. */
            st->cuid_len = vlen - 7 < sizeof(st->cuid) ? vlen - 7 : sizeof(st->cuid);
            memcpy(st->cuid, val + 7, st->cuid_len);
        } else if ((tag == TAG_CARDURL || tag == TAG_NEXT_CCC) && vlen >= 10) {
            uint8_t aid[AID_LEN];
            memcpy(aid, val, 5);
            memcpy(aid + 5, val + 8, 2);
            if (tag == TAG_NEXT_CCC) {
                uint16_t sw;
                int rc;
                if (depth >= MAX_CCC_DEPTH)
                    return SCM_E_CARD_LAYOUT;
                st->cur = -1;
                if ((rc = select_aid(st->tx, aid, &sw)) < 0)
                    return rc;
                if (ok_sw(sw) && (rc = process_ccc(st, depth + 1, d)) < 0)
                    return rc;
            } else if (val[5] == APP_PKI || val[5] == APP_GENERAL) {
                add_buf(st, aid, val + 6, val[5] == APP_PKI ? K_CERT : K_DATA);
            }
        }
    }
    return r < 0 ? r : SCM_OK;
}

/* Read and parse the CCC selected now. */
static int process_ccc(struct cac_state *st, int depth, struct scm_detail *d)
{
    uint8_t *tl = NULL, *v = NULL;
    size_t tll = 0, vl = 0;
    uint16_t sw = 0;
    int rc = read_file(st, FILE_TAG, &tl, &tll, &sw);
    if (rc == SCM_OK && sw == 0x9000 && tll > 0)
        rc = read_file(st, FILE_VALUE, &v, &vl, &sw);
    if (rc == SCM_OK && sw != 0x9000)
        rc = scm_fail(d, SCM_E_CARD_LAYOUT,
                      "The CAC card answered %04X to READ BUFFER of its Capability Container.", sw);
    else if (rc == SCM_OK)
        rc = parse_ccc(st, tl, tll, v, vl, depth, d);
    scm_secure_free(tl, tll ? tll : 1);
    scm_secure_free(v, vl ? vl : 1);
    return rc;
}

/* A card without a CCC (a CAC "Alt" token): the PKI applets at their
 * known AIDs, and the general applets OpenSC knows, selected in turn. */
static int scan_bare(struct cac_state *st)
{
    uint8_t aid[AID_LEN];
    uint16_t sw;
    int rc;
    memcpy(aid, pki_aid, AID_LEN);
    for (unsigned i = 0; i < MAX_PKI; i++) {
        aid[AID_LEN - 1] = (uint8_t)i;
        if ((rc = select_aid(st->tx, aid, &sw)) < 0)
            return rc;
        if (ok_sw(sw))
            add_buf(st, aid, NULL, K_CERT);
    }
    for (size_t k = 0; k < 6; k++) { /* the CAC-1 general applets of data_names */
        aid[5] = (uint8_t)(data_names[k].oid >> 8);
        aid[6] = (uint8_t)data_names[k].oid;
        if ((rc = select_aid(st->tx, aid, &sw)) < 0)
            return rc;
        if (ok_sw(sw))
            add_buf(st, aid, NULL, K_DATA);
    }
    st->cur = -1;
    return SCM_OK;
}

/* ---- Binding -------------------------------------------------------------------- */

/* The applet answers SELECT and a READ BUFFER of its tag file's length:
 * a card that answers 9000 to any SELECT is not taken for a CAC. */
static int answers(struct scm_tx *tx, const uint8_t *aid)
{
    uint8_t two[2];
    size_t got = 0;
    uint16_t sw;
    int rc = select_aid(tx, aid, &sw);
    if (rc < 0 || !ok_sw(sw))
        return rc < 0 ? rc : 0;
    rc = read_cmd(tx, FILE_TAG, 0, 2, two, &got, &sw);
    if (rc < 0)
        return rc;
    return sw == 0x9000 && got == 2;
}

static int cac_probe(struct scm_tx *tx)
{
    int rc = answers(tx, ccc_aid);
    if (rc != 0)
        return rc;
    return answers(tx, pki_aid);
}

static int cac_attach(struct scm_tx *tx, void **state, struct scm_detail *d)
{
    struct cac_state *st = calloc(1, sizeof(*st));
    struct scm_detail ld = {{0}};
    uint16_t sw;
    int rc;
    if (!st)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    st->tx = tx;
    st->cur = -1;
    rc = select_aid(tx, ccc_aid, &sw);
    if (rc == SCM_OK && ok_sw(sw))
        rc = process_ccc(st, 0, &ld);
    else if (rc == SCM_OK)
        rc = scan_bare(st);
    if (rc == SCM_OK && st->npki == 0)
        rc = scm_fail(&ld, SCM_E_NO_AGENT, "The card has no CAC PKI applet.");
    if (rc == SCM_E_CARD_LAYOUT && !ld.text[0])
        scm_fail(&ld, rc, "The CAC card's Capability Container is not laid out as GSC-IS says.");
    if (rc < 0 && !ld.text[0]) {
        char why[160];
        rc = scm_iso_step_err(rc, 0, "SELECT or READ BUFFER", why, sizeof(why));
        scm_fail(&ld, rc, "Reading the CAC card's applets failed (%s).", why);
    }
    if (rc < 0) {
        for (size_t i = 0; i < st->nb; i++)
            drop(&st->b[i]);
        free(st);
        if (d)
            *d = ld;
        return rc;
    }
    *state = st;
    return SCM_OK;
}

/* What scmgr verified it takes back when the card API closes the card
 * (pcscd keeps the card powered for the next program); a card that keeps
 * no such state (libcacard) refuses the command, which is fine. */
static void cac_logout(void *state)
{
    struct cac_state *st = state;
    uint16_t sw;
    if (st && st->pin_ok)
        (void)scm_iso_unverify(st->tx, 0x00, &sw);
}

static void cac_detach(void *state)
{
    struct cac_state *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < st->nb; i++)
        drop(&st->b[i]);
    free(st);
}

static long first_cert(const struct cac_state *st)
{
    for (size_t i = 0; i < st->nb; i++)
        if (st->b[i].kind == K_CERT)
            return (long)i;
    return -1;
}

/* The common name of a certificate, for the card's label (OpenSC names
 * the token after its first certificate). */
static void cert_cn(const uint8_t *der, size_t dl, char *out, size_t cap)
{
    gnutls_x509_crt_t crt;
    gnutls_datum_t dt = {(unsigned char *)der, (unsigned)dl};
    size_t sz = cap;
    out[0] = '\0';
    if (gnutls_x509_crt_init(&crt) < 0)
        return;
    if (gnutls_x509_crt_import(crt, &dt, GNUTLS_X509_FMT_DER) < 0 ||
        gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, out, &sz) < 0)
        out[0] = '\0';
    gnutls_x509_crt_deinit(crt);
}

static int cac_info(void *state, struct scm_agent_info *out, struct scm_detail *d)
{
    struct cac_state *st = state;
    long f = first_cert(st);
    (void)d;
    memset(out, 0, sizeof(*out));
    snprintf(out->type, sizeof(out->type), "CAC (Common Access Card)");
    snprintf(out->label, sizeof(out->label), "CAC card");
    if (f >= 0 && st->b[f].st == C_UNKNOWN && fetch(st, (size_t)f, NULL) < 0)
        drop(&st->b[f]);
    if (f >= 0 && st->b[f].st == C_PRESENT && !st->b[f].compressed) {
        char cn[SCM_VSC_LABEL_MAX + 1];
        cert_cn(st->b[f].data, st->b[f].len, cn, sizeof(cn));
        if (cn[0])
            snprintf(out->label, sizeof(out->label), "%s", cn);
    }
    if (st->cuid_len) {
        scm_hex(st->cuid, st->cuid_len, "", out->serial, sizeof(out->serial));
    } else if (f >= 0 && st->b[f].st == C_PRESENT) {
        /* No CCC: OpenSC's serial is the SHA-1 of the first certificate's
         * first 100 bytes. */
        uint8_t h[20];
        size_t n = st->b[f].len < 100 ? st->b[f].len : 100;
        if (gnutls_hash_fast(GNUTLS_DIG_SHA1, st->b[f].data, n, h) == 0)
            scm_hex(h, sizeof(h), "", out->serial, sizeof(out->serial));
    }
    out->pin_tries = -1;
    out->write_cred = SCM_CRED_NEVER; /* nothing on it can be changed by scmgr */
    out->own_labels = true;
    return SCM_OK;
}

/* ---- The PIN ------------------------------------------------------------------- */

static int cac_creds(void *state, struct scm_cred *out, size_t cap, size_t *n, struct scm_detail *d)
{
    struct cac_state *st = state;
    uint16_t sw;
    *n = 0;
    if (cap == 0)
        return SCM_OK;
    struct scm_cred *o = &out[(*n)++];
    memset(o, 0, sizeof(*o));
    o->kind = SCM_CRED_PIN;
    snprintf(o->label, sizeof(o->label), "PIN");
    o->min_len = 4;
    o->max_len = PIN_LEN;
    o->unblock_by = -1;
    o->tries_left = -1;
    o->tries_max = -1;
    /* An empty VERIFY: 9000 when verified; 6A88 when not, on cards that
     * count no tries (libcacard); 63Cx on cards that do. */
    int rc = scm_iso_verify(st->tx, 0x00, NULL, 0, &sw);
    if (rc < 0)
        return scm_fail_because(d, rc, "Asking the CAC card about its PIN failed");
    o->verified = sw == 0x9000;
    if (scm_iso_sw_tries(sw) >= 0)
        o->tries_left = scm_iso_sw_tries(sw);
    else if (sw == 0x6983)
        o->tries_left = 0;
    st->pin_ok = o->verified;
    return SCM_OK;
}

static int cac_verify(void *state, unsigned cred, const uint8_t *secret, size_t len,
                      int *tries_left, struct scm_detail *d)
{
    struct cac_state *st = state;
    uint8_t p[PIN_LEN];
    uint16_t sw;
    int rc;
    if (tries_left)
        *tries_left = -1;
    if (cred != CRED_PIN)
        return scm_fail(d, SCM_E_NOT_SUPPORTED, "A CAC card has one credential, its PIN.");
    if (!secret || len < 4 || len > PIN_LEN)
        return scm_fail(d, SCM_E_BAD_PIN_FORMAT, "A CAC PIN is 4 to 8 characters.");
    memset(p, 0xFF, sizeof(p));
    memcpy(p, secret, len);
    rc = scm_iso_verify(st->tx, 0x00, p, sizeof(p), &sw);
    scm_wipe(p, sizeof(p));
    if (rc < 0)
        return scm_fail_because(d, rc, "Sending the PIN to the CAC card failed");
    st->pin_ok = sw == 0x9000;
    if (sw == 0x9000) {
        /* What the PIN guards can be read now. */
        for (size_t i = 0; i < st->nb; i++)
            if (st->b[i].st == C_LOCKED)
                st->b[i].st = C_UNKNOWN;
        return SCM_OK;
    }
    int t = scm_iso_sw_tries(sw);
    if (t == 0 || sw == 0x6983) {
        if (tries_left)
            *tries_left = 0;
        return scm_fail(d, SCM_E_PIN_BLOCKED, "The CAC card's PIN is blocked.");
    }
    if (t > 0) {
        if (tries_left)
            *tries_left = t;
        return scm_fail(d, SCM_E_BAD_PIN, "Wrong PIN; %d %s left.", t, t == 1 ? "try" : "tries");
    }
    rc = scm_iso_sw_err(sw, cac_sw);
    if (rc == SCM_E_BAD_PIN)
        return scm_fail(d, rc,
                        "Wrong PIN (the CAC card answered %04X and does not say how many tries "
                        "are left).",
                        sw);
    return scm_fail(d, rc, "The CAC card answered %04X to the PIN.", sw);
}

/* ---- Objects ------------------------------------------------------------------------ */

static void ref_of(const struct buf *b, bool key, char *out, size_t cap)
{
    char aid[2 * AID_LEN + 1], oid[5] = "";
    scm_hex(b->aid, AID_LEN, "", aid, sizeof(aid));
    if (b->has_oid)
        scm_hex(b->oid, 2, "", oid, sizeof(oid));
    snprintf(out, cap, "%s%s%s%s", key ? "key " : "", aid, b->has_oid ? "/" : "", oid);
}

static long by_ref(const struct cac_state *st, const char *ref)
{
    char r[SCM_SRC_PATH_MAX];
    for (size_t i = 0; i < st->nb; i++) {
        ref_of(&st->b[i], false, r, sizeof(r));
        if (strcmp(r, ref) == 0)
            return (long)i;
    }
    return -1;
}

/* Key facts from the certificate's public key (a public object). */
static void key_facts(const uint8_t *der, size_t dl, unsigned pki, struct scm_key_facts *k)
{
    gnutls_x509_crt_t crt;
    gnutls_datum_t dt = {(unsigned char *)der, (unsigned)dl};
    unsigned bits = 0;
    memset(k, 0, sizeof(*k));
    /* ID: sign and authenticate; Email Signature: sign; Email Encryption:
     * decrypt (the roles of the three applets). */
    k->usage = pki == 0   ? SCM_KEY_USE_SIGN | SCM_KEY_USE_AUTH
               : pki == 1 ? SCM_KEY_USE_SIGN
               : pki == 2 ? SCM_KEY_USE_DECRYPT
                          : SCM_KEY_USE_SIGN | SCM_KEY_USE_DECRYPT;
    if (gnutls_x509_crt_init(&crt) < 0)
        return;
    if (gnutls_x509_crt_import(crt, &dt, GNUTLS_X509_FMT_DER) >= 0) {
        int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
        if (pk == GNUTLS_PK_RSA) {
            k->alg = SCM_KEY_RSA;
            k->bits = bits;
        } else if (pk == GNUTLS_PK_ECDSA) {
            k->alg = bits <= 256   ? SCM_KEY_EC_P256
                     : bits <= 384 ? SCM_KEY_EC_P384
                                   : SCM_KEY_EC_P521;
            k->bits = bits;
        }
    }
    gnutls_x509_crt_deinit(crt);
}

static void fill(const struct cac_state *st, size_t i, struct scm_object *o)
{
    const struct buf *b = &st->b[i];
    memset(o, 0, sizeof(*o));
    ref_of(b, false, o->ref.s, sizeof(o->ref.s));
    snprintf(o->label, sizeof(o->label), "%s", b->name);
    o->read_cred = b->st == C_LOCKED ? CRED_PIN : SCM_CRED_NONE;
    o->write_cred = SCM_CRED_NEVER;
    /* Not readable yet without the PIN: listed as present, size unknown. */
    o->present = b->st == C_PRESENT || b->st == C_LOCKED;
    o->size = b->len;
    o->cls = SCM_CLASS_DATA;
    o->type = SCM_OBJ_DATA;
    if (b->kind == K_CERT) {
        o->id[0] = 0x00; /* OpenSC's IDs: 0001, 0002, ... */
        o->id[1] = (uint8_t)(b->pki + 1);
        o->id_len = 2;
        snprintf(o->group, sizeof(o->group), "PKI applet %u", b->pki + 1);
        /* A compressed certificate stays the bytes the card holds (scmgr
         * has no inflater): a data object, not a certificate. */
        if (!b->compressed) {
            o->cls = SCM_CLASS_CERT;
            o->type = SCM_OBJ_CERT;
        }
    } else {
        snprintf(o->group, sizeof(o->group), "Data buffers");
    }
}

static int cac_list(void *state, struct scm_object **objs, size_t *n, struct scm_detail *d)
{
    struct cac_state *st = state;
    size_t k = 0;
    *objs = NULL;
    *n = 0;
    for (size_t i = 0; i < st->nb; i++)
        if (st->b[i].st == C_UNKNOWN) {
            int rc = fetch(st, i, d);
            if (rc < 0)
                return rc;
        }
    struct scm_object *out = calloc(2 * st->nb + 1, sizeof(*out));
    if (!out)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    for (size_t i = 0; i < st->nb; i++) {
        const struct buf *b = &st->b[i];
        fill(st, i, &out[k++]);
        if (b->kind != K_CERT || b->st != C_PRESENT)
            continue;
        /* The applet's private key: listed with its facts, never copied. */
        struct scm_object *key = &out[k++];
        memset(key, 0, sizeof(*key));
        key->cls = SCM_CLASS_PRIVKEY;
        key->type = SCM_OBJ_PRIVKEY;
        if (b->pki < 3)
            snprintf(key->label, sizeof(key->label), "%s", key_labels[b->pki]);
        else
            snprintf(key->label, sizeof(key->label), "CAC private key %u", b->pki + 1);
        ref_of(b, true, key->ref.s, sizeof(key->ref.s));
        snprintf(key->group, sizeof(key->group), "PKI applet %u", b->pki + 1);
        key->id[0] = 0x00;
        key->id[1] = (uint8_t)(b->pki + 1);
        key->id_len = 2;
        key->read_cred = SCM_CRED_NEVER;
        key->write_cred = SCM_CRED_NEVER;
        key->present = true;
        if (!b->compressed)
            key_facts(b->data, b->len, b->pki, &key->key);
        key->key.extractable = false;
        key->key.generated = false; /* the issuer may have escrowed an encryption key */
    }
    *objs = out;
    *n = k;
    return SCM_OK;
}

static int cac_read(void *state, const struct scm_object *o, uint8_t **data, size_t *len,
                    struct scm_detail *d)
{
    struct cac_state *st = state;
    long i = by_ref(st, o->ref.s);
    *data = NULL;
    *len = 0;
    if (i < 0)
        return scm_fail(d, SCM_E_NOT_EXPORTABLE,
                        "'%s' cannot be copied: the card never releases private keys.", o->label);
    if (st->b[i].st == C_UNKNOWN || st->b[i].st == C_LOCKED) {
        int rc = fetch(st, (size_t)i, d);
        if (rc < 0)
            return rc;
    }
    const struct buf *b = &st->b[i];
    if (b->st == C_LOCKED)
        return scm_fail(d, SCM_E_CARD_LOCKED, "Reading the CAC card's %s needs the PIN.", b->name);
    if (b->st != C_PRESENT)
        return scm_fail(d, SCM_E_NOT_FOUND, "The CAC card holds no %s.", b->name);
    uint8_t *out = scm_secure_alloc(b->len);
    if (!out)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    memcpy(out, b->data, b->len);
    *data = out;
    *len = b->len;
    return SCM_OK;
}

#define READ_ONLY                                                                                  \
    "A CAC card cannot be written by scmgr: its issuer personalises it, and the card refuses "     \
    "UPDATE BUFFER to anyone without the issuer's keys."

static int cac_write(void *state, const struct scm_agent_put *p, bool replace, struct scm_detail *d)
{
    (void)state;
    (void)p;
    (void)replace;
    return scm_fail(d, SCM_E_NOT_SUPPORTED, READ_ONLY);
}

static int cac_remove(void *state, const struct scm_object *o, struct scm_detail *d)
{
    (void)state;
    (void)o;
    return scm_fail(d, SCM_E_NOT_SUPPORTED, READ_ONLY);
}

static int cac_place(void *state, const struct scm_agent_put *p, struct scm_obj_ref *ref,
                     struct scm_detail *why)
{
    (void)state;
    ref->s[0] = '\0';
    return scm_fail(why, SCM_E_NOT_SUPPORTED,
                    "A CAC card has no place for '%s': scmgr reads CAC cards but cannot write "
                    "them.",
                    p && p->obj && p->obj->label ? p->obj->label : "this object");
}

const struct scm_agent_ops scm_agent_cac = {
    .name = "cac",
    .description = "CAC (Common Access Card, GSC-IS 2.1): read-only; certificates and data buffers",
    .probe = cac_probe,
    .attach = cac_attach,
    .detach = cac_detach,
    .info = cac_info,
    .creds = cac_creds,
    .verify = cac_verify,
    .logout = cac_logout,
    .list = cac_list,
    .read = cac_read,
    .write = cac_write,
    .remove = cac_remove,
    .place = cac_place,
    .sw = cac_sw,
};
