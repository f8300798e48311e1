/* The OpenPGP card agent (OpenPGP smart card application 3.4): the data
 * objects of the application, read with GET DATA and written with PUT
 * DATA; PW1 (the user PIN), the resetting code and PW3 (the admin PIN) as
 * credentials 0, 1 and 2; the three keys (signature, decryption,
 * authentication) listed with their public parts and never copied.
 *
 * PW1 has two modes on these cards: 81 lets one signature happen, 82
 * opens the private DOs 0101/0103 and decryption. Verifying credential 0
 * sends VERIFY 82, because what scmgr does with PW1 is read and write
 * DOs; GnuPG 2.2 verifies only 81 for private DO 1 on a card without
 * keys, which the card refuses (notes: cards-in-the-wild §3.1).
 *
 * Composite DOs (6E application related data, 65 cardholder data, 7A
 * security support template) are read once per connection and each
 * object is cut out of them; the rest is one GET DATA each, kept
 * (private DOs in secure memory) until a write or a verification changes
 * what the card shows. The card never computes OpenPGP fingerprints: its
 * client writes C7-C9 and CE-D0, so a restore writes them too.
 * doc/card-types.md maps each DO to a VSC object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "iso.h"

static const uint8_t pgp_rid[] = {0xD2, 0x76, 0x00, 0x01, 0x24, 0x01};

#define PGP_REF_PW1_SIG 0x81
#define PGP_REF_PW1 0x82
#define PGP_REF_PW3 0x83
#define CRED_PW1 0
#define CRED_RC 1
#define CRED_PW3 2
#define PGP_BUF 4096 /* a certificate (C0 says 2048 on most cards) and its TLV head */

enum kind {
    K_DO,      /* GET DATA tag, PUT DATA tag */
    K_IN65,    /* inside 65, PUT DATA tag */
    K_ATTR,    /* C1-C3 inside 6E/73 */
    K_FPR,     /* a 20-byte slice of C5, written as C7-C9 */
    K_TIME,    /* a 4-byte slice of CD, written as CE-D0 */
    K_COUNTER, /* 93 inside 7A, read-only */
    K_CERT,    /* 7F21 occurrence, chosen by SELECT DATA */
    K_PUB,     /* GENERATE P1=81 of a key, read-only */
    K_PRIV,    /* the key itself: listed, never read */
};

struct pgp_obj {
    const char *ref;
    const char *label; /* gpg --card-status's names where it has one */
    enum kind kind;
    uint16_t tag; /* the DO's tag; keys: the CRT (B6, B8, A4) */
    uint8_t slot; /* 0 SIG, 1 DEC, 2 AUT; certificates: occurrence */
    enum scm_obj_type type;
    const char *group;
    int read_cred, write_cred;
    size_t max; /* bytes; 0: the card's own limit from C0 */
};

#define G_HOLDER "Cardholder data"
#define G_PDO "Private DOs"
#define G_KEYS "Keys"
#define G_CERTS "Certificates"
#define NONE SCM_CRED_NONE
#define NEVER SCM_CRED_NEVER

/* Algorithm attributes before fingerprints: a card may void a slot's
 * fingerprint when its attributes change. */
static const struct pgp_obj table[] = {
    {"5B", "Name of cardholder", K_IN65, 0x5B, 0, SCM_OBJ_DATA, G_HOLDER, NONE, CRED_PW3, 39},
    {"5F2D", "Language prefs", K_IN65, 0x5F2D, 0, SCM_OBJ_DATA, G_HOLDER, NONE, CRED_PW3, 8},
    {"5F35", "Salutation", K_IN65, 0x5F35, 0, SCM_OBJ_DATA, G_HOLDER, NONE, CRED_PW3, 1},
    {"5F50", "URL of public key", K_DO, 0x5F50, 0, SCM_OBJ_URL, G_HOLDER, NONE, CRED_PW3, 0},
    {"5E", "Login data", K_DO, 0x5E, 0, SCM_OBJ_LOGIN, G_HOLDER, NONE, CRED_PW3, 0},
    {"0101", "Private DO 1", K_DO, 0x0101, 0, SCM_OBJ_DATA, G_PDO, NONE, CRED_PW1, 0},
    {"0102", "Private DO 2", K_DO, 0x0102, 0, SCM_OBJ_DATA, G_PDO, NONE, CRED_PW3, 0},
    {"0103", "Private DO 3", K_DO, 0x0103, 0, SCM_OBJ_DATA, G_PDO, CRED_PW1, CRED_PW1, 0},
    {"0104", "Private DO 4", K_DO, 0x0104, 0, SCM_OBJ_DATA, G_PDO, CRED_PW3, CRED_PW3, 0},
    {"C1", "Signature key attributes", K_ATTR, 0xC1, 0, SCM_OBJ_DATA, G_KEYS, NONE, CRED_PW3, 32},
    {"C2", "Encryption key attributes", K_ATTR, 0xC2, 1, SCM_OBJ_DATA, G_KEYS, NONE, CRED_PW3, 32},
    {"C3", "Authentication key attributes", K_ATTR, 0xC3, 2, SCM_OBJ_DATA, G_KEYS, NONE, CRED_PW3,
     32},
    {"7F49#B6", "Signature key (public)", K_PUB, 0xB6, 0, SCM_OBJ_PUBKEY, G_KEYS, NONE, NEVER, 0},
    {"7F49#B8", "Encryption key (public)", K_PUB, 0xB8, 1, SCM_OBJ_PUBKEY, G_KEYS, NONE, NEVER, 0},
    {"7F49#A4", "Authentication key (public)", K_PUB, 0xA4, 2, SCM_OBJ_PUBKEY, G_KEYS, NONE, NEVER,
     0},
    {"key B6", "Signature key", K_PRIV, 0xB6, 0, SCM_OBJ_PRIVKEY, G_KEYS, NEVER, NEVER, 0},
    {"key B8", "Encryption key", K_PRIV, 0xB8, 1, SCM_OBJ_PRIVKEY, G_KEYS, NEVER, NEVER, 0},
    {"key A4", "Authentication key", K_PRIV, 0xA4, 2, SCM_OBJ_PRIVKEY, G_KEYS, NEVER, NEVER, 0},
    {"C7", "Signature key fingerprint", K_FPR, 0xC7, 0, SCM_OBJ_DATA, G_KEYS, NONE, CRED_PW3, 20},
    {"C8", "Encryption key fingerprint", K_FPR, 0xC8, 1, SCM_OBJ_DATA, G_KEYS, NONE, CRED_PW3, 20},
    {"C9", "Authentication key fingerprint", K_FPR, 0xC9, 2, SCM_OBJ_DATA, G_KEYS, NONE, CRED_PW3,
     20},
    {"CE", "Signature key created", K_TIME, 0xCE, 0, SCM_OBJ_DATA, G_KEYS, NONE, CRED_PW3, 4},
    {"CF", "Encryption key created", K_TIME, 0xCF, 1, SCM_OBJ_DATA, G_KEYS, NONE, CRED_PW3, 4},
    {"D0", "Authentication key created", K_TIME, 0xD0, 2, SCM_OBJ_DATA, G_KEYS, NONE, CRED_PW3, 4},
    {"93", "Signature counter", K_COUNTER, 0x93, 0, SCM_OBJ_DATA, G_KEYS, NONE, NEVER, 0},
    /* Occurrence 0 belongs to the AUT key, 1 to DEC, 2 to SIG (OpenSC's
     * numbering; GnuPG 2.2 sees occurrence 0 only). */
    {"7F21#0", "Cardholder certificate (authentication)", K_CERT, 0x7F21, 0, SCM_OBJ_CERT, G_CERTS,
     NONE, CRED_PW3, 0},
    {"7F21#1", "Cardholder certificate (encryption)", K_CERT, 0x7F21, 1, SCM_OBJ_CERT, G_CERTS,
     NONE, CRED_PW3, 0},
    {"7F21#2", "Cardholder certificate (signature)", K_CERT, 0x7F21, 2, SCM_OBJ_CERT, G_CERTS, NONE,
     CRED_PW3, 0},
};
#define NOBJ (sizeof(table) / sizeof(table[0]))

/* CKA_ID of each key slot, as OpenSC numbers them (SIG 1, DEC 2, AUT 3). */
static const uint8_t slot_id[3] = {1, 2, 3};
static const char *const slot_name[3] = {"Signature", "Encryption", "Authentication"};

enum cstate { C_UNKNOWN = 0, C_ABSENT, C_PRESENT, C_LOCKED };

struct cached {
    enum cstate st;
    uint8_t *val; /* secure memory */
    size_t len;
};

/* A composite DO read once: 6E, 65, 7A. */
struct blob {
    bool have;
    uint8_t *val;
    size_t len;
};

struct pgp_state {
    struct scm_tx *tx;
    uint8_t aid[16];
    size_t aid_len;
    struct blob ado, chd, sst; /* 6E, 65, 7A */
    struct cached c[NOBJ];
    bool pw1_82, pw3;
    bool key_info;         /* DE was there: it says which keys exist */
    uint8_t key_status[3]; /* DE: 0 none, 1 generated, 2 imported */
    size_t max_special, max_cert;
    uint8_t occurrence; /* the 7F21 occurrence SELECT DATA chose; 0xFF unknown */
};

static const struct scm_sw_map pgp_sw[] = {
    {0x6A80, 0xFFFF, SCM_E_CARD_REFUSED},
    {0x6700, 0xFFFF, SCM_E_CARD_FULL}, /* wrong length: longer than the DO may be */
    {0, 0, 0},
};

static void blob_drop(struct blob *b)
{
    scm_secure_free(b->val, b->len);
    memset(b, 0, sizeof(*b));
}

static void drop(struct cached *c)
{
    scm_secure_free(c->val, c->len);
    c->val = NULL;
    c->len = 0;
    c->st = C_UNKNOWN;
}

static int keep(struct cached *c, const uint8_t *v, size_t vl)
{
    drop(c);
    if (vl == 0) {
        c->st = C_ABSENT;
        return SCM_OK;
    }
    if (!(c->val = scm_secure_alloc(vl)))
        return SCM_E_NOMEM;
    memcpy(c->val, v, vl);
    c->len = vl;
    c->st = C_PRESENT;
    return SCM_OK;
}

static bool all_zero(const uint8_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i])
            return false;
    return true;
}

static int select_pgp(struct scm_tx *tx, uint8_t *fci, size_t cap, size_t *got, uint16_t *sw)
{
    /* P2=00 with Le: the FCI, as OpenSC selects (some cards answer a
     * select without Le with no AID at all). */
    return scm_iso_select_aid(tx, pgp_rid, sizeof(pgp_rid), 0x00, fci, cap, got, sw);
}

/* ---- GET DATA ------------------------------------------------------------------ */

static int step_fail(struct scm_detail *d, int rc, const char *cmd, const char *what)
{
    char why[160];
    rc = scm_iso_step_err(rc, 0, cmd, why, sizeof(why));
    return scm_fail(d, rc, "Reading the OpenPGP card's %s failed (%s).", what, why);
}

/* GET DATA tag into secure memory: *sw says what the card answered. */
static int get_do(struct pgp_state *st, uint16_t tag, uint8_t **val, size_t *len, uint16_t *sw,
                  const char *what, struct scm_detail *d)
{
    uint8_t *buf = scm_secure_alloc(PGP_BUF);
    size_t got = 0;
    *val = NULL;
    *len = 0;
    if (!buf)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    int rc = scm_iso_get_data(st->tx, tag, NULL, 0, buf, PGP_BUF, &got, sw);
    if (rc < 0) {
        scm_secure_free(buf, PGP_BUF);
        return step_fail(d, rc, "GET DATA", what);
    }
    if (*sw != 0x9000 || got == 0) {
        scm_secure_free(buf, PGP_BUF);
        return SCM_OK;
    }
    *val = scm_secure_alloc(got);
    if (*val)
        memcpy(*val, buf, got);
    scm_secure_free(buf, PGP_BUF);
    if (!*val)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    *len = got;
    return SCM_OK;
}

/* A composite DO (6E, 65, 7A): its value, read once. Absent or refused
 * counts as empty: each object cut from it is then absent. */
static int blob_get(struct pgp_state *st, struct blob *b, uint16_t tag, const char *what,
                    struct scm_detail *d)
{
    uint16_t sw;
    if (b->have)
        return SCM_OK;
    int rc = get_do(st, tag, &b->val, &b->len, &sw, what, d);
    if (rc < 0)
        return rc;
    if (sw != 0x9000 && sw != 0x6A88 && sw != 0x6A82 && sw != 0x6A80 && sw != 0x6B00)
        return scm_fail(d, scm_iso_sw_err(sw, pgp_sw),
                        "The OpenPGP card answered %04X to GET DATA of its %s.", sw, what);
    b->have = true;
    /* Some cards answer with the DO's own template around the value. */
    const uint8_t *v;
    size_t vl;
    if (b->val && scm_tlv_find(b->val, b->len, tag, &v, &vl) == SCM_OK && v - b->val <= 4 &&
        (size_t)(v - b->val) + vl == b->len) {
        memmove(b->val, v, vl);
        b->len = vl;
    }
    return SCM_OK;
}

/* The discretionary data objects (73) of 6E; cards that leave out 73
 * have them at 6E's own level. */
static void dd_of(const struct blob *ado, const uint8_t **v, size_t *vl)
{
    *v = NULL;
    *vl = 0;
    if (!ado->val)
        return;
    if (scm_tlv_find(ado->val, ado->len, 0x73, v, vl) != SCM_OK) {
        *v = ado->val;
        *vl = ado->len;
    }
}

static int ado_find(const struct pgp_state *st, uint32_t tag, const uint8_t **v, size_t *vl)
{
    const uint8_t *dd;
    size_t ddl;
    dd_of(&st->ado, &dd, &ddl);
    if (!dd)
        return SCM_E_NOT_FOUND;
    return scm_tlv_find(dd, ddl, tag, v, vl);
}

/* What 6E says about sizes and keys, once it is read. */
static void ado_facts(struct pgp_state *st)
{
    const uint8_t *v;
    size_t vl;
    st->max_special = 255;
    st->max_cert = 2048;
    if (ado_find(st, 0xC0, &v, &vl) == SCM_OK && vl >= 8) {
        /* C0: bytes 5-6 max certificate, 7-8 max special DO (3.x). */
        size_t mc = (size_t)v[4] << 8 | v[5], ms = (size_t)v[6] << 8 | v[7];
        if (mc)
            st->max_cert = mc;
        if (ms)
            st->max_special = ms;
    }
    st->key_info = false;
    if (ado_find(st, 0xDE, &v, &vl) == SCM_OK && vl >= 6) {
        st->key_info = true;
        for (size_t i = 0; i + 1 < vl; i += 2)
            if (v[i] >= 1 && v[i] <= 3)
                st->key_status[v[i] - 1] = v[i + 1];
    }
}

static int ado_load(struct pgp_state *st, struct scm_detail *d)
{
    if (st->ado.have)
        return SCM_OK;
    int rc = blob_get(st, &st->ado, 0x6E, "application related data", d);
    if (rc == SCM_OK)
        ado_facts(st);
    return rc;
}

/* SELECT DATA of a 7F21 occurrence (3.x), P1 the occurrence. */
static int select_cert(struct pgp_state *st, uint8_t occ, uint16_t *sw)
{
    static const uint8_t sel[] = {0x60, 0x04, 0x5C, 0x02, 0x7F, 0x21};
    if (st->occurrence == occ) {
        *sw = 0x9000;
        return SCM_OK;
    }
    struct scm_apdu a = {
        .cla = 0x00, .ins = 0xA5, .p1 = occ, .p2 = 0x04, .data = sel, .lc = sizeof(sel)};
    size_t got;
    st->occurrence = 0xFF;
    int rc = scm_tx_apdu(st->tx, &a, NULL, 0, &got, sw);
    if (rc == SCM_OK && *sw == 0x9000)
        st->occurrence = occ;
    return rc;
}

static bool v3(const struct pgp_state *st)
{
    return st->aid_len >= 8 && st->aid[6] >= 3;
}

/* ---- Public keys ------------------------------------------------------------------ */

/* The curve an EC key's attributes name (the OID after the algorithm id). */
static gnutls_ecc_curve_t curve_of(const uint8_t *attr, size_t al, enum scm_key_alg *alg)
{
    static const uint8_t p256[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
    static const uint8_t p384[] = {0x2B, 0x81, 0x04, 0x00, 0x22};
    static const uint8_t p521[] = {0x2B, 0x81, 0x04, 0x00, 0x23};
    if (al < 2)
        return GNUTLS_ECC_CURVE_INVALID;
    const uint8_t *oid = attr + 1;
    size_t ol = al - 1;
    if (ol && oid[ol - 1] == 0xFF) /* "public key included at import" */
        ol--;
    if (ol == sizeof(p256) && memcmp(oid, p256, ol) == 0)
        return *alg = SCM_KEY_EC_P256, GNUTLS_ECC_CURVE_SECP256R1;
    if (ol == sizeof(p384) && memcmp(oid, p384, ol) == 0)
        return *alg = SCM_KEY_EC_P384, GNUTLS_ECC_CURVE_SECP384R1;
    if (ol == sizeof(p521) && memcmp(oid, p521, ol) == 0)
        return *alg = SCM_KEY_EC_P521, GNUTLS_ECC_CURVE_SECP521R1;
    return GNUTLS_ECC_CURVE_INVALID;
}

static void key_facts(const struct pgp_state *st, size_t slot, struct scm_key_facts *k)
{
    const uint8_t *v;
    size_t vl;
    memset(k, 0, sizeof(*k));
    k->usage = slot == 0   ? SCM_KEY_USE_SIGN
               : slot == 1 ? SCM_KEY_USE_DECRYPT | SCM_KEY_USE_DERIVE
                           : SCM_KEY_USE_SIGN | SCM_KEY_USE_AUTH;
    k->generated = st->key_info && st->key_status[slot] == 1;
    if (ado_find(st, 0xC1 + (uint32_t)slot, &v, &vl) != SCM_OK || vl < 1)
        return;
    if (v[0] == 0x01 && vl >= 3) {
        k->alg = SCM_KEY_RSA;
        k->bits = (unsigned)v[1] << 8 | v[2];
    } else if (v[0] == 0x12 || v[0] == 0x13) {
        enum scm_key_alg a = SCM_KEY_NONE;
        gnutls_ecc_curve_t c = curve_of(v, vl, &a);
        k->alg = a;
        k->bits = c == GNUTLS_ECC_CURVE_INVALID ? 0 : gnutls_ecc_curve_get_size(c) * 8;
    }
}

/* A 7F49 template as DER SubjectPublicKeyInfo, made by GnuTLS. */
static int spki_of(const struct pgp_state *st, size_t slot, const uint8_t *t, size_t tl,
                   uint8_t **out, size_t *outlen)
{
    const uint8_t *a, *b, *attr;
    size_t al, bl, attrl;
    gnutls_pubkey_t pk;
    gnutls_datum_t der = {NULL, 0};
    int r;
    *out = NULL;
    if (gnutls_pubkey_init(&pk) < 0)
        return SCM_E_NOMEM;
    if (scm_tlv_find(t, tl, 0x81, &a, &al) == SCM_OK &&
        scm_tlv_find(t, tl, 0x82, &b, &bl) == SCM_OK) {
        gnutls_datum_t n = {(unsigned char *)a, (unsigned)al},
                       e = {(unsigned char *)b, (unsigned)bl};
        r = gnutls_pubkey_import_rsa_raw(pk, &n, &e);
    } else if (scm_tlv_find(t, tl, 0x86, &a, &al) == SCM_OK && al >= 3 && a[0] == 0x04 &&
               (al - 1) % 2 == 0 && ado_find(st, 0xC1 + (uint32_t)slot, &attr, &attrl) == SCM_OK) {
        enum scm_key_alg alg;
        gnutls_ecc_curve_t c = curve_of(attr, attrl, &alg);
        gnutls_datum_t x = {(unsigned char *)a + 1, (unsigned)(al - 1) / 2},
                       y = {(unsigned char *)a + 1 + (al - 1) / 2, (unsigned)(al - 1) / 2};
        r = c == GNUTLS_ECC_CURVE_INVALID ? GNUTLS_E_ECC_UNSUPPORTED_CURVE
                                          : gnutls_pubkey_import_ecc_raw(pk, c, &x, &y);
    } else {
        r = GNUTLS_E_INVALID_REQUEST;
    }
    if (r >= 0)
        r = gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &der);
    gnutls_pubkey_deinit(pk);
    if (r < 0)
        return SCM_E_CARD_LAYOUT;
    *out = scm_secure_alloc(der.size);
    if (*out) {
        memcpy(*out, der.data, der.size);
        *outlen = der.size;
    }
    gnutls_free(der.data);
    return *out ? SCM_OK : SCM_E_NOMEM;
}

/* GENERATE ASYMMETRIC KEY PAIR P1=81: read the public key, change nothing. */
static int fetch_pub(struct pgp_state *st, size_t i, struct scm_detail *d)
{
    const struct pgp_obj *o = &table[i];
    uint8_t crt[2] = {(uint8_t)o->tag, 0x00}, *buf;
    size_t got = 0;
    uint16_t sw;
    if (st->key_info && st->key_status[o->slot] == 0)
        return keep(&st->c[i], NULL, 0); /* DE says there is none: no APDU */
    if (!(buf = scm_secure_alloc(PGP_BUF)))
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    struct scm_apdu a = {
        .cla = 0x00, .ins = 0x47, .p1 = 0x81, .p2 = 0x00, .data = crt, .lc = 2, .le = SCM_LE_MAX};
    int rc = scm_tx_apdu(st->tx, &a, buf, PGP_BUF, &got, &sw);
    if (rc < 0) {
        scm_secure_free(buf, PGP_BUF);
        return step_fail(d, rc, "GENERATE (read)", o->label);
    }
    const uint8_t *t;
    size_t tl;
    if (sw != 0x9000 || scm_tlv_find(buf, got, 0x7F49, &t, &tl) < 0) {
        /* 6A88 / 6A80: no key in that slot. */
        scm_secure_free(buf, PGP_BUF);
        if (sw == 0x9000)
            return scm_fail(d, SCM_E_CARD_LAYOUT, "The OpenPGP card's %s is not a 7F49 template.",
                            o->label);
        return keep(&st->c[i], NULL, 0);
    }
    uint8_t *spki = NULL;
    size_t sl = 0;
    rc = spki_of(st, o->slot, t, tl, &spki, &sl);
    scm_secure_free(buf, PGP_BUF);
    if (rc == SCM_E_CARD_LAYOUT)
        return scm_fail(d, rc, "The OpenPGP card's %s is not a key scmgr can read.", o->label);
    if (rc < 0)
        return scm_fail(d, rc, "Out of memory.");
    drop(&st->c[i]);
    st->c[i].val = spki;
    st->c[i].len = sl;
    st->c[i].st = C_PRESENT;
    return SCM_OK;
}

/* ---- Fetching one object ------------------------------------------------------------ */

static int fetch(struct pgp_state *st, size_t i, struct scm_detail *d)
{
    const struct pgp_obj *o = &table[i];
    struct cached *c = &st->c[i];
    const uint8_t *v = NULL;
    size_t vl = 0;
    uint16_t sw;
    int rc;

    switch (o->kind) {
    case K_DO:
    case K_CERT: {
        uint8_t *val;
        size_t len;
        if (o->kind == K_CERT && v3(st)) {
            if ((rc = select_cert(st, o->slot, &sw)) < 0)
                return step_fail(d, rc, "SELECT DATA", o->label);
            if (sw != 0x9000)
                return keep(c, NULL, 0); /* no such occurrence on this card */
        } else if (o->kind == K_CERT && o->slot > 0) {
            return keep(c, NULL, 0); /* 2.x cards hold one certificate */
        }
        if ((rc = get_do(st, o->tag, &val, &len, &sw, o->label, d)) < 0)
            return rc;
        if (sw == 0x6982) {
            drop(c);
            c->st = C_LOCKED;
            return SCM_OK;
        }
        if (sw != 0x9000 && sw != 0x6A88 && sw != 0x6A82 && sw != 0x6A80)
            return scm_fail(d, scm_iso_sw_err(sw, pgp_sw),
                            "The OpenPGP card answered %04X to GET DATA of %s.", sw, o->label);
        rc = keep(c, val, len);
        scm_secure_free(val, len);
        return rc < 0 ? scm_fail(d, rc, "Out of memory.") : SCM_OK;
    }
    case K_IN65:
        if ((rc = blob_get(st, &st->chd, 0x65, "cardholder data", d)) < 0)
            return rc;
        if (st->chd.val && scm_tlv_find(st->chd.val, st->chd.len, o->tag, &v, &vl) < 0)
            vl = 0;
        break;
    case K_ATTR:
        if ((rc = ado_load(st, d)) < 0)
            return rc;
        if (ado_find(st, o->tag, &v, &vl) < 0)
            vl = 0;
        break;
    case K_FPR:
    case K_TIME: {
        size_t w = o->kind == K_FPR ? 20 : 4;
        if ((rc = ado_load(st, d)) < 0)
            return rc;
        if (ado_find(st, o->kind == K_FPR ? 0xC5 : 0xCD, &v, &vl) < 0 || vl < w * (o->slot + 1u)) {
            vl = 0;
            break;
        }
        v += w * o->slot;
        vl = all_zero(v, w) ? 0 : w; /* zeros: the client never wrote one */
        break;
    }
    case K_COUNTER:
        if ((rc = blob_get(st, &st->sst, 0x7A, "security support template", d)) < 0)
            return rc;
        if (st->sst.val && scm_tlv_find(st->sst.val, st->sst.len, 0x93, &v, &vl) < 0)
            vl = 0;
        /* A counter of 0 is a card that never signed: nothing to keep
         * or restore, and a blank card's 0 must not look like a clash. */
        if (vl && all_zero(v, vl))
            vl = 0;
        break;
    case K_PUB:
        if ((rc = ado_load(st, d)) < 0)
            return rc;
        return fetch_pub(st, i, d);
    case K_PRIV: {
        /* The key is there when its public part is (three rows up). */
        size_t pub = i - 3;
        if (st->c[pub].st == C_UNKNOWN && (rc = fetch(st, pub, d)) < 0)
            return rc;
        drop(c);
        c->st = st->c[pub].st == C_PRESENT ? C_PRESENT : C_ABSENT;
        return SCM_OK;
    }
    }
    rc = keep(c, v, vl);
    return rc < 0 ? scm_fail(d, rc, "Out of memory.") : SCM_OK;
}

/* ---- Binding -------------------------------------------------------------------------- */

static int pgp_probe(struct scm_tx *tx)
{
    uint8_t fci[256];
    size_t got;
    uint16_t sw;
    int rc = select_pgp(tx, fci, sizeof(fci), &got, &sw);
    if (rc < 0)
        return rc;
    /* 6285: an OpenPGP card in its termination state (a factory reset
     * half done): ours, and attach says what to do. */
    return sw == 0x9000 || (sw & 0xFF00) == 0x6100 || sw == 0x6285;
}

static int pgp_attach(struct scm_tx *tx, void **state, struct scm_detail *d)
{
    struct pgp_state *st = calloc(1, sizeof(*st));
    uint8_t fci[256];
    size_t got = 0;
    uint16_t sw;
    const uint8_t *t, *v;
    size_t tl, vl;
    int rc;
    if (!st)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    st->tx = tx;
    st->occurrence = 0xFF;
    rc = select_pgp(tx, fci, sizeof(fci), &got, &sw);
    if (rc == SCM_OK && sw == 0x6285)
        rc = scm_fail(d, SCM_E_CARD_BLANK,
                      "The OpenPGP card is terminated (a factory reset was not finished): "
                      "finish it with 'gpg --card-edit' (admin, factory-reset).");
    else if (rc == SCM_OK && sw != 0x9000)
        rc = scm_fail(d, SCM_E_NO_AGENT,
                      "The card has no OpenPGP application (SELECT answered %04X).", sw);
    if (rc < 0)
        goto fail;
    /* The AID from the FCI (6F {84 AID}); else GET DATA 4F. */
    if (scm_tlv_find(fci, got, 0x6F, &t, &tl) == SCM_OK &&
        scm_tlv_find(t, tl, 0x84, &v, &vl) == SCM_OK && vl == 16) {
        memcpy(st->aid, v, vl);
        st->aid_len = vl;
    } else {
        uint8_t aid[64];
        rc = scm_iso_get_data(tx, 0x004F, NULL, 0, aid, sizeof(aid), &got, &sw);
        if (rc < 0) {
            rc = step_fail(d, rc, "GET DATA", "application identifier");
            goto fail;
        }
        if (sw == 0x9000 && got >= 8 && got <= 16) {
            memcpy(st->aid, aid, got);
            st->aid_len = got;
        }
    }
    if ((rc = ado_load(st, d)) < 0)
        goto fail;
    *state = st;
    return SCM_OK;
fail:
    blob_drop(&st->ado);
    free(st);
    return rc;
}

/* The card keeps a verification across programs while it stays powered:
 * what scmgr verified, it takes back when the card API lets go. */
static void pgp_logout(void *state)
{
    struct pgp_state *st = state;
    uint16_t sw;
    if (!st)
        return;
    if (st->pw1_82)
        (void)scm_iso_unverify(st->tx, PGP_REF_PW1, &sw);
    if (st->pw3)
        (void)scm_iso_unverify(st->tx, PGP_REF_PW3, &sw);
    st->pw1_82 = st->pw3 = false;
}

static void forget_all(struct pgp_state *st)
{
    for (size_t i = 0; i < NOBJ; i++)
        drop(&st->c[i]);
    blob_drop(&st->ado);
    blob_drop(&st->chd);
    blob_drop(&st->sst);
    st->occurrence = 0xFF;
}

static void pgp_detach(void *state)
{
    struct pgp_state *st = state;
    if (!st)
        return;
    forget_all(st);
    free(st);
}

/* Did another program change what the card holds? Every object this
 * connection has read is read again and compared (what needs a PIN only
 * while it is verified); the credentials' state is kept. */
static int pgp_changed(void *state, struct scm_detail *d)
{
    struct pgp_state *st = state;
    struct cached was[NOBJ];
    bool changed = false;
    int rc = SCM_OK;
    memcpy(was, st->c, sizeof(was));
    memset(st->c, 0, sizeof(st->c));
    blob_drop(&st->ado);
    blob_drop(&st->chd);
    blob_drop(&st->sst);
    st->occurrence = 0xFF;
    for (size_t i = 0; i < NOBJ && !changed && rc == SCM_OK; i++) {
        if (was[i].st != C_PRESENT && was[i].st != C_ABSENT)
            continue;
        if ((rc = fetch(st, i, d)) < 0)
            break;
        changed = st->c[i].st != was[i].st || st->c[i].len != was[i].len ||
                  (was[i].len && memcmp(st->c[i].val, was[i].val, was[i].len) != 0);
    }
    for (size_t i = 0; i < NOBJ; i++)
        scm_secure_free(was[i].val, was[i].len);
    if (rc < 0 || changed)
        forget_all(st); /* the next listing reads the card afresh */
    if (rc == SCM_OK && !st->ado.have)
        rc = ado_load(st, d); /* info and creds want 6E */
    if (rc < 0)
        return rc;
    return changed ? 1 : 0;
}

/* "Doe<<John" (surname << given names, '<' for spaces) as gpg shows it:
 * "John Doe". */
static void holder_name(const uint8_t *v, size_t vl, char *out, size_t cap)
{
    char raw[64], given[64] = "", sur[64];
    size_t n = vl < sizeof(raw) - 1 ? vl : sizeof(raw) - 1;
    memcpy(raw, v, n);
    raw[n] = '\0';
    char *sep = strstr(raw, "<<");
    if (sep) {
        *sep = '\0';
        snprintf(given, sizeof(given), "%s", sep + 2);
    }
    snprintf(sur, sizeof(sur), "%s", raw);
    for (char *p = given; *p; p++)
        if (*p == '<')
            *p = ' ';
    for (char *p = sur; *p; p++)
        if (*p == '<')
            *p = ' ';
    snprintf(out, cap, "%s%s%s", given, given[0] && sur[0] ? " " : "", sur);
}

static int pgp_info(void *state, struct scm_agent_info *out, struct scm_detail *d)
{
    struct pgp_state *st = state;
    (void)d;
    memset(out, 0, sizeof(*out));
    if (st->aid_len >= 8)
        snprintf(out->type, sizeof(out->type), "OpenPGP card %x.%x", st->aid[6], st->aid[7]);
    else
        snprintf(out->type, sizeof(out->type), "OpenPGP card");
    /* Manufacturer and serial number, as gpg's "Application ID" shows them. */
    if (st->aid_len >= 14)
        scm_hex(st->aid + 8, 6, "", out->serial, sizeof(out->serial));
    if (st->c[0].st == C_UNKNOWN && fetch(st, 0, NULL) < 0)
        drop(&st->c[0]);
    if (st->c[0].st == C_PRESENT)
        holder_name(st->c[0].val, st->c[0].len, out->label, sizeof(out->label));
    if (!out->label[0])
        snprintf(out->label, sizeof(out->label), "OpenPGP card");
    out->pin_tries = -1;
    out->write_cred = CRED_PW3; /* PUT DATA needs PW3 (0101/0103: PW1 too) */
    out->own_labels = true;
    return SCM_OK;
}

/* ---- Credentials ------------------------------------------------------------------------ */

/* C4: PW1 validity, max lengths of PW1/RC/PW3, tries of PW1/RC/PW3. */
static int pw_status(struct pgp_state *st, uint8_t c4[7], struct scm_detail *d)
{
    uint8_t buf[32];
    size_t got = 0;
    uint16_t sw;
    int rc = scm_iso_get_data(st->tx, 0x00C4, NULL, 0, buf, sizeof(buf), &got, &sw);
    if (rc < 0)
        return step_fail(d, rc, "GET DATA", "PIN status");
    const uint8_t *v = buf;
    size_t vl = got;
    if (sw != 0x9000 || got < 7) {
        /* Older cards: only inside 6E. */
        if (ado_find(st, 0xC4, &v, &vl) != SCM_OK || vl < 7)
            return scm_fail(d, SCM_E_CARD_LAYOUT,
                            "The OpenPGP card does not say its PIN status (C4).");
    } else if (buf[0] == 0xC4 && got >= 9) {
        v = buf + 2; /* wrapped in its own tag */
    }
    memcpy(c4, v, 7);
    return SCM_OK;
}

static int pgp_creds(void *state, struct scm_cred *out, size_t cap, size_t *n, struct scm_detail *d)
{
    struct pgp_state *st = state;
    static const struct {
        enum scm_cred_kind kind;
        const char *label;
        unsigned min;
        int unblock;
    } c[3] = {{SCM_CRED_PIN, "PIN (PW1)", 6, CRED_RC},
              {SCM_CRED_PUK, "Resetting code", 8, -1},
              {SCM_CRED_ADMIN, "Admin PIN (PW3)", 8, -1}};
    uint8_t c4[7];
    int rc = pw_status(st, c4, d);
    *n = 0;
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < 3 && *n < cap; i++) {
        struct scm_cred *o = &out[(*n)++];
        memset(o, 0, sizeof(*o));
        o->kind = c[i].kind;
        snprintf(o->label, sizeof(o->label), "%s", c[i].label);
        o->min_len = c[i].min;
        o->max_len = c4[1 + i];
        o->tries_left = c4[4 + i];
        o->tries_max = -1;
        o->unblock_by = c[i].unblock;
        o->verified = i == CRED_PW1 ? st->pw1_82 : i == CRED_PW3 ? st->pw3 : false;
    }
    return SCM_OK;
}

static const char *cred_name(unsigned cred)
{
    return cred == CRED_PW1 ? "PIN (PW1)" : cred == CRED_RC ? "resetting code" : "Admin PIN (PW3)";
}

/* The answer to a VERIFY, CHANGE or RESET RETRY COUNTER; cards that say
 * 6982 or 6300 without a count are asked C4. */
static int pin_answer(struct pgp_state *st, uint16_t sw, unsigned cred, int *tries,
                      struct scm_detail *d)
{
    uint8_t c4[7];
    *tries = -1;
    if (sw == 0x9000)
        return SCM_OK;
    int t = scm_iso_sw_tries(sw);
    if (t < 0 && (sw == 0x6982 || sw == 0x6300) && pw_status(st, c4, NULL) == SCM_OK)
        t = c4[4 + (cred > 2 ? 2 : cred)];
    if (t == 0 || sw == 0x6983) {
        *tries = 0;
        return scm_fail(d, SCM_E_PIN_BLOCKED, "The OpenPGP card's %s is blocked.", cred_name(cred));
    }
    if (t > 0) {
        *tries = t;
        return scm_fail(d, SCM_E_BAD_PIN, "Wrong %s; %d %s left.", cred_name(cred), t,
                        t == 1 ? "try" : "tries");
    }
    if (sw == 0x6A80 || sw == 0x6700)
        return scm_fail(d, SCM_E_BAD_PIN_FORMAT,
                        "The OpenPGP card refused the new %s (%04X): too short or too long.",
                        cred_name(cred), sw);
    return scm_fail(d, scm_iso_sw_err(sw, pgp_sw), "The OpenPGP card answered %04X to the %s.", sw,
                    cred_name(cred));
}

static int check_len(unsigned cred, size_t len, struct scm_detail *d)
{
    size_t min = cred == CRED_PW1 ? 6 : 8;
    if (len < min || len > SCM_ISO_SECRET_MAX)
        return scm_fail(d, SCM_E_BAD_PIN_FORMAT, "An OpenPGP card's %s is %zu to %d characters.",
                        cred_name(cred), min, SCM_ISO_SECRET_MAX);
    return SCM_OK;
}

/* What a verification opens can be read now. */
static void unlock_cached(struct pgp_state *st)
{
    for (size_t i = 0; i < NOBJ; i++)
        if (st->c[i].st == C_LOCKED)
            st->c[i].st = C_UNKNOWN;
}

static int pgp_verify(void *state, unsigned cred, const uint8_t *secret, size_t len,
                      int *tries_left, struct scm_detail *d)
{
    struct pgp_state *st = state;
    uint16_t sw;
    int t = -1, rc;
    if (tries_left)
        *tries_left = -1;
    if (cred == CRED_RC)
        return scm_fail(d, SCM_E_NOT_SUPPORTED,
                        "An OpenPGP card's resetting code is not verified on its own: it "
                        "unblocks the PIN.");
    if (cred > CRED_PW3)
        return scm_fail(d, SCM_E_NOT_SUPPORTED, "An OpenPGP card has 3 credentials, not %u.",
                        cred + 1);
    if (!secret || len == 0 || len > SCM_ISO_SECRET_MAX)
        return scm_fail(d, SCM_E_BAD_PIN_FORMAT, "An OpenPGP card's %s is 1 to %d characters.",
                        cred_name(cred), SCM_ISO_SECRET_MAX);
    rc = scm_iso_verify(st->tx, cred == CRED_PW1 ? PGP_REF_PW1 : PGP_REF_PW3, secret, len, &sw);
    if (rc < 0)
        return scm_fail_because(d, rc, "Sending the PIN to the OpenPGP card failed");
    rc = pin_answer(st, sw, cred, &t, d);
    if (tries_left)
        *tries_left = t;
    if (cred == CRED_PW1)
        st->pw1_82 = rc == SCM_OK;
    else
        st->pw3 = rc == SCM_OK;
    if (rc == SCM_OK)
        unlock_cached(st);
    return rc;
}

static int pgp_change(void *state, unsigned cred, const uint8_t *old, size_t oldlen,
                      const uint8_t *new_secret, size_t newlen, struct scm_detail *d)
{
    struct pgp_state *st = state;
    uint16_t sw;
    int t, rc;
    if ((rc = check_len(cred, newlen, d)) < 0)
        return rc;
    if (cred == CRED_RC) {
        /* The resetting code is a DO (D3) that PW3 writes. */
        if (!st->pw3)
            return scm_fail(d, SCM_E_CARD_LOCKED,
                            "Setting the OpenPGP card's resetting code needs its Admin PIN (PW3).");
        rc = scm_iso_put_data(st->tx, false, 0x00D3, new_secret, newlen, true, &sw);
    } else if (cred == CRED_PW1 || cred == CRED_PW3) {
        if (!old || oldlen == 0 || oldlen > SCM_ISO_SECRET_MAX)
            return scm_fail(d, SCM_E_BAD_PIN_FORMAT, "The current %s is missing.", cred_name(cred));
        /* CHANGE takes PW1's reference 81: one PIN for both modes. */
        rc = scm_iso_change(st->tx, cred == CRED_PW1 ? PGP_REF_PW1_SIG : PGP_REF_PW3, old, oldlen,
                            new_secret, newlen, &sw);
    } else {
        return scm_fail(d, SCM_E_NOT_SUPPORTED, "An OpenPGP card has 3 credentials, not %u.",
                        cred + 1);
    }
    if (rc < 0)
        return scm_fail(d, rc, "Changing the %s failed; it may or may not have changed.",
                        cred_name(cred));
    rc = pin_answer(st, sw, cred, &t, d);
    if (rc == SCM_OK && cred == CRED_PW1)
        st->pw1_82 = false; /* a new PW1 ends its verification */
    if (rc == SCM_OK && cred == CRED_PW3)
        st->pw3 = false;
    return rc;
}

static int pgp_unblock(void *state, unsigned cred, unsigned by, const uint8_t *by_secret,
                       size_t by_len, const uint8_t *new_secret, size_t newlen,
                       struct scm_detail *d)
{
    struct pgp_state *st = state;
    uint16_t sw;
    int t, rc;
    if (cred != CRED_PW1 || (by != CRED_RC && by != CRED_PW3))
        return scm_fail(d, SCM_E_NOT_SUPPORTED,
                        "An OpenPGP card's PIN is unblocked with its resetting code or its "
                        "Admin PIN (PW3).");
    if ((rc = check_len(CRED_PW1, newlen, d)) < 0)
        return rc;
    if (!by_secret || by_len == 0 || by_len > SCM_ISO_SECRET_MAX)
        return scm_fail(d, SCM_E_BAD_PIN_FORMAT, "The %s is missing.", cred_name(by));
    if (by == CRED_RC) {
        rc = scm_iso_reset_retry(st->tx, 0x00, PGP_REF_PW1_SIG, by_secret, by_len, new_secret,
                                 newlen, &sw);
    } else {
        /* PW3 first, then the new PW1 alone (P1=02). */
        if ((rc = pgp_verify(st, CRED_PW3, by_secret, by_len, &t, d)) < 0)
            return rc;
        rc = scm_iso_reset_retry(st->tx, 0x02, PGP_REF_PW1_SIG, NULL, 0, new_secret, newlen, &sw);
    }
    if (rc < 0)
        return scm_fail(d, rc, "Unblocking the PIN failed; it may or may not have changed.");
    rc = pin_answer(st, sw, by, &t, d);
    if (rc == SCM_OK)
        st->pw1_82 = false;
    return rc;
}

/* ---- Objects ------------------------------------------------------------------------------ */

static long by_ref(const char *ref)
{
    for (size_t i = 0; i < NOBJ; i++)
        if (strcmp(table[i].ref, ref) == 0)
            return (long)i;
    return -1;
}

static long by_label(const char *label)
{
    for (size_t i = 0; i < NOBJ; i++)
        if (strcmp(table[i].label, label) == 0)
            return (long)i;
    return -1;
}

static void fill(const struct pgp_state *st, size_t i, struct scm_object *o)
{
    const struct pgp_obj *p = &table[i];
    const struct cached *c = &st->c[i];
    memset(o, 0, sizeof(*o));
    snprintf(o->ref.s, sizeof(o->ref.s), "%s", p->ref);
    snprintf(o->label, sizeof(o->label), "%s", p->label);
    snprintf(o->group, sizeof(o->group), "%s", p->group);
    o->type = p->type;
    o->cls = scm_obj_type_class(p->type);
    o->read_cred = p->read_cred;
    o->write_cred = p->write_cred;
    /* Not readable yet: behind PW1 a place (whether the card holds it
     * shows with the PIN, as for every card type); behind PW3 (DO 4)
     * listed, its size unknown, so that a backup with the PIN alone
     * reports what it could not copy instead of passing over it. */
    o->present = c->st == C_PRESENT || (c->st == C_LOCKED && p->read_cred == CRED_PW3);
    o->size = c->st == C_PRESENT && p->kind != K_PRIV ? c->len : 0;
    if (p->kind == K_PUB || p->kind == K_PRIV) {
        key_facts(st, p->slot, &o->key);
        o->id[0] = slot_id[p->slot];
        o->id_len = 1;
    } else if (p->kind == K_CERT) {
        /* Occurrence 0 goes with AUT, 1 with DEC, 2 with SIG. */
        o->id[0] = slot_id[2 - p->slot];
        o->id_len = 1;
    }
}

static int pgp_list(void *state, struct scm_object **objs, size_t *n, struct scm_detail *d)
{
    struct pgp_state *st = state;
    *objs = NULL;
    *n = 0;
    for (size_t i = 0; i < NOBJ; i++) {
        const struct pgp_obj *p = &table[i];
        if (st->c[i].st != C_UNKNOWN)
            continue;
        /* What needs a PIN not verified yet is not asked for: 6982 tells
         * nothing, and costs an APDU. */
        if ((p->read_cred == CRED_PW1 && !st->pw1_82) || (p->read_cred == CRED_PW3 && !st->pw3)) {
            st->c[i].st = C_LOCKED;
            continue;
        }
        int rc = fetch(st, i, d);
        if (rc < 0)
            return rc;
    }
    struct scm_object *out = calloc(NOBJ, sizeof(*out));
    if (!out)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    for (size_t i = 0; i < NOBJ; i++)
        fill(st, i, &out[i]);
    *objs = out;
    *n = NOBJ;
    return SCM_OK;
}

static int pgp_read(void *state, const struct scm_object *o, uint8_t **data, size_t *len,
                    struct scm_detail *d)
{
    struct pgp_state *st = state;
    long i = by_ref(o->ref.s);
    *data = NULL;
    *len = 0;
    if (i < 0)
        return scm_fail(d, SCM_E_NOT_FOUND, "An OpenPGP card has no object '%s'.", o->ref.s);
    if (table[i].kind == K_PRIV)
        return scm_fail(d, SCM_E_NOT_EXPORTABLE,
                        "'%s' cannot be copied: the card never releases private keys.", o->label);
    const struct pgp_obj *p = &table[i];
    bool may = p->read_cred == SCM_CRED_NONE || (p->read_cred == CRED_PW1 && st->pw1_82) ||
               (p->read_cred == CRED_PW3 && st->pw3);
    if (may && (st->c[i].st == C_UNKNOWN || st->c[i].st == C_LOCKED)) {
        int rc = fetch(st, (size_t)i, d);
        if (rc < 0)
            return rc;
    }
    const struct cached *c = &st->c[i];
    if (!may || c->st == C_LOCKED)
        return scm_fail(d, SCM_E_CARD_LOCKED, "Reading the OpenPGP card's %s needs its %s.",
                        p->label, cred_name(p->read_cred == CRED_PW1 ? CRED_PW1 : CRED_PW3));
    if (c->st != C_PRESENT)
        return scm_fail(d, SCM_E_NOT_FOUND, "The OpenPGP card holds no %s.", p->label);
    uint8_t *out = scm_secure_alloc(c->len);
    if (!out)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    memcpy(out, c->val, c->len);
    *data = out;
    *len = c->len;
    return SCM_OK;
}

static int pgp_key_public(void *state, const struct scm_object *key, uint8_t **spki, size_t *len,
                          struct scm_detail *d)
{
    struct pgp_state *st = state;
    long i = by_ref(key->ref.s);
    *spki = NULL;
    *len = 0;
    if (i < 0 || (table[i].kind != K_PUB && table[i].kind != K_PRIV))
        return scm_fail(d, SCM_E_NOT_FOUND, "'%s' is not a key of the OpenPGP card.", key->label);
    if (table[i].kind == K_PRIV)
        i -= 3;
    int rc = st->c[i].st == C_UNKNOWN ? fetch(st, (size_t)i, d) : SCM_OK;
    if (rc < 0)
        return rc;
    if (st->c[i].st != C_PRESENT)
        return scm_fail(d, SCM_E_NOT_FOUND, "The OpenPGP card holds no %s.", table[i].label);
    if (!(*spki = malloc(st->c[i].len)))
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    memcpy(*spki, st->c[i].val, st->c[i].len);
    *len = st->c[i].len;
    return SCM_OK;
}

/* Where a put goes: the object its ref names, the one whose label it
 * has, or for a certificate the first empty occurrence, for a URL or a
 * login the DO of that kind. */
static long resolve(struct pgp_state *st, const struct scm_agent_put *p, struct scm_detail *why)
{
    const struct scm_obj_new *o = p->obj;
    long i = p->ref.s[0] ? by_ref(p->ref.s) : -1;
    if (i < 0)
        i = by_label(o->label);
    if (i >= 0) {
        const struct pgp_obj *t = &table[i];
        if (t->kind == K_PUB || t->kind == K_PRIV)
            return scm_fail(why, SCM_E_NOT_SUPPORTED,
                            "The OpenPGP card's %s cannot be written: keys are generated on the "
                            "card or imported, never restored from a copy.",
                            t->label);
        if (t->kind == K_COUNTER)
            return scm_fail(why, SCM_E_NOT_SUPPORTED,
                            "The OpenPGP card counts its signatures itself: its counter cannot "
                            "be written.");
        if ((t->type == SCM_OBJ_CERT) != (o->type == SCM_OBJ_CERT) && o->type != SCM_OBJ_DATA)
            return scm_fail(why, SCM_E_NOT_SUPPORTED, "%s on an OpenPGP card holds %s, not a %s.",
                            t->label, t->type == SCM_OBJ_CERT ? "a certificate" : "data",
                            scm_obj_type_name(o->type));
        return i;
    }
    if (o->type == SCM_OBJ_CERT) {
        long want = v3(st) ? 3 : 1;
        /* The occurrence of the certificate's purpose first (0 AUT, 1 DEC,
         * 2 SIG), then the first free one. */
        enum scm_cert_role role = scm_cert_role(o->data, o->len);
        long pref = role == SCM_CERT_AUTH      ? 0
                    : role == SCM_CERT_DECRYPT ? 1
                    : role == SCM_CERT_SIGN    ? 2
                                               : -1;
        for (long step = -1; step < want; step++) {
            long k = step < 0 ? pref : step;
            if (k < 0 || k >= want)
                continue;
            long j = by_ref(k == 0 ? "7F21#0" : k == 1 ? "7F21#1" : "7F21#2");
            if (st->c[j].st == C_UNKNOWN)
                (void)fetch(st, (size_t)j, NULL);
            if (st->c[j].st == C_ABSENT && !scm_agent_put_taken(p, table[j].ref))
                return j;
        }
        return scm_fail(why, SCM_E_NOT_SUPPORTED,
                        "The OpenPGP card has no room for another certificate: its %ld "
                        "cardholder certificate%s taken.",
                        want, want == 1 ? " is" : "s are");
    }
    if (o->type == SCM_OBJ_URL || o->type == SCM_OBJ_LOGIN) {
        long j = by_ref(o->type == SCM_OBJ_URL ? "5F50" : "5E");
        return j;
    }
    return scm_fail(
        why, SCM_E_NOT_SUPPORTED,
        "An OpenPGP card has no place for '%s' (of type %s): it holds only its own data "
        "objects (name, URL, login data, private DOs 1-4) and three certificates.",
        o->label, scm_obj_type_name(o->type));
}

static int pgp_place(void *state, const struct scm_agent_put *p, struct scm_obj_ref *ref,
                     struct scm_detail *why)
{
    struct pgp_state *st = state;
    long i = resolve(st, p, why);
    if (i < 0)
        return (int)i;
    snprintf(ref->s, sizeof(ref->s), "%s", table[i].ref);
    if (st->c[i].st == C_UNKNOWN)
        (void)fetch(st, (size_t)i, NULL);
    return st->c[i].st == C_PRESENT || st->c[i].st == C_LOCKED ? SCM_E_EXISTS : SCM_OK;
}

/* The most bytes table[i] takes on this card. */
static size_t limit_of(const struct pgp_state *st, size_t i)
{
    if (table[i].max)
        return table[i].max;
    return table[i].kind == K_CERT ? st->max_cert : st->max_special;
}

/* Is there a key in slot s (for the refusals that protect it)? */
static bool has_key(struct pgp_state *st, size_t slot)
{
    size_t pub = (size_t)by_ref(slot == 0 ? "7F49#B6" : slot == 1 ? "7F49#B8" : "7F49#A4");
    if (st->c[pub].st == C_UNKNOWN && fetch(st, pub, NULL) < 0)
        return true; /* unknown: assume one, change nothing */
    return st->c[pub].st == C_PRESENT;
}

/* After a write, what has to be read again. */
static void forget(struct pgp_state *st, size_t i)
{
    switch (table[i].kind) {
    case K_IN65:
        blob_drop(&st->chd);
        for (size_t k = 0; k < NOBJ; k++)
            if (table[k].kind == K_IN65)
                drop(&st->c[k]);
        break;
    case K_ATTR:
    case K_FPR:
    case K_TIME:
        blob_drop(&st->ado);
        for (size_t k = 0; k < NOBJ; k++)
            if (table[k].kind == K_ATTR || table[k].kind == K_FPR || table[k].kind == K_TIME)
                drop(&st->c[k]);
        break;
    default:
        drop(&st->c[i]);
    }
}

/* PUT DATA of table[i] with v (empty: delete the DO). */
static int put(struct pgp_state *st, size_t i, const uint8_t *v, size_t vl, struct scm_detail *d)
{
    const struct pgp_obj *p = &table[i];
    uint16_t sw;
    int rc;
    if (p->kind == K_CERT && v3(st)) {
        if ((rc = select_cert(st, p->slot, &sw)) < 0)
            return step_fail(d, rc, "SELECT DATA", p->label);
        if (sw != 0x9000)
            return scm_fail(d, scm_iso_sw_err(sw, pgp_sw),
                            "The OpenPGP card answered %04X to SELECT DATA of %s.", sw, p->label);
    }
    rc = scm_iso_put_data(st->tx, false, p->tag, v, vl, strcmp(p->group, G_PDO) == 0, &sw);
    forget(st, i);
    if (rc < 0) {
        char why[160];
        rc = scm_iso_step_err(rc, 0, "PUT DATA", why, sizeof(why));
        return scm_fail(d, rc,
                        "Writing the OpenPGP card's %s failed (%s); it may hold the old or the "
                        "new content.",
                        p->label, why);
    }
    if (sw == 0x6982)
        return scm_fail(d, SCM_E_CARD_LOCKED, "Writing the OpenPGP card's %s needs its %s.",
                        p->label, cred_name((unsigned)p->write_cred));
    if (sw == 0x6700 || sw == 0x6A84)
        return scm_fail(d, SCM_E_CARD_FULL, "The OpenPGP card has no room for %s (%zu bytes).",
                        p->label, vl);
    if (sw != 0x9000)
        return scm_fail(d, scm_iso_sw_err(sw, pgp_sw),
                        "The OpenPGP card answered %04X to PUT DATA of %s.", sw, p->label);
    return SCM_OK;
}

static int pgp_write(void *state, const struct scm_agent_put *p, bool replace, struct scm_detail *d)
{
    struct pgp_state *st = state;
    const struct scm_obj_new *o = p->obj;
    long i = resolve(st, p, d);
    int rc;
    if (i < 0)
        return (int)i;
    const struct pgp_obj *t = &table[i];
    if (t->write_cred == CRED_PW1 ? !st->pw1_82 : !st->pw3)
        return scm_fail(d, SCM_E_CARD_LOCKED, "Writing the OpenPGP card's %s needs its %s.",
                        t->label, cred_name((unsigned)t->write_cred));
    if (o->len > limit_of(st, (size_t)i))
        return scm_fail(d, SCM_E_CARD_FULL,
                        "The OpenPGP card has no room for %s (%zu bytes): it takes at most %zu.",
                        t->label, o->len, limit_of(st, (size_t)i));
    if ((t->kind == K_FPR || t->kind == K_TIME) && o->len != t->max)
        return scm_fail(d, SCM_E_CARD_REFUSED, "An OpenPGP card's %s is %zu bytes, not %zu.",
                        t->label, t->max, o->len);
    if (st->c[i].st == C_UNKNOWN && (rc = fetch(st, (size_t)i, d)) < 0)
        return rc;
    if ((st->c[i].st == C_PRESENT || st->c[i].st == C_LOCKED) && !replace)
        return scm_fail(d, SCM_E_EXISTS, "The OpenPGP card already holds %s.", t->label);
    if (st->c[i].st == C_PRESENT && st->c[i].len == o->len &&
        memcmp(st->c[i].val, o->data, o->len) == 0)
        return SCM_OK; /* as it is already: no write */
    /* A key's own attributes, fingerprint and time belong to it: changing
     * them under a key the card holds would delete it (new attributes)
     * or make gpg take it for another key. */
    if ((t->kind == K_ATTR || t->kind == K_FPR || t->kind == K_TIME) && has_key(st, t->slot))
        return scm_fail(d, SCM_E_NOT_SUPPORTED,
                        "The OpenPGP card holds its own %s key: scmgr leaves its %s as they are.",
                        slot_name[t->slot],
                        t->kind == K_ATTR ? "attributes" : "fingerprint and creation time");
    if ((rc = put(st, (size_t)i, o->data, o->len, d)) < 0)
        return rc;
    /* Read back and compare: the write counts only when the card gives
     * back what was sent. */
    if ((rc = fetch(st, (size_t)i, d)) < 0)
        return rc;
    const struct cached *c = &st->c[i];
    bool same = o->len == 0 ? c->st == C_ABSENT
                            : c->st == C_PRESENT && c->len == o->len &&
                                  memcmp(c->val, o->data, o->len) == 0;
    if (!same)
        return scm_fail(d, SCM_E_CARD_REFUSED,
                        "The OpenPGP card gave back other bytes for %s than were written.",
                        t->label);
    return SCM_OK;
}

static int pgp_remove(void *state, const struct scm_object *o, struct scm_detail *d)
{
    struct pgp_state *st = state;
    static const uint8_t zeros[20];
    long i = by_ref(o->ref.s);
    if (i < 0)
        i = by_label(o->label);
    if (i < 0)
        return scm_fail(d, SCM_E_NOT_FOUND, "An OpenPGP card has no object '%s'.", o->label);
    const struct pgp_obj *t = &table[i];
    if (t->kind == K_PUB || t->kind == K_PRIV || t->kind == K_COUNTER || t->kind == K_ATTR)
        return scm_fail(d, SCM_E_NOT_SUPPORTED, "scmgr does not remove an OpenPGP card's %s.",
                        t->label);
    if (t->write_cred == CRED_PW1 ? !st->pw1_82 : !st->pw3)
        return scm_fail(d, SCM_E_CARD_LOCKED, "Changing the OpenPGP card's %s needs its %s.",
                        t->label, cred_name((unsigned)t->write_cred));
    if ((t->kind == K_FPR || t->kind == K_TIME) && has_key(st, t->slot))
        return scm_fail(d, SCM_E_NOT_SUPPORTED,
                        "The OpenPGP card holds its own %s key: scmgr leaves its fingerprint "
                        "and creation time as they are.",
                        slot_name[t->slot]);
    /* A fingerprint or time is fixed-size: zeros say "none". */
    bool fixed = t->kind == K_FPR || t->kind == K_TIME;
    return put(st, (size_t)i, fixed ? zeros : NULL, fixed ? t->max : 0, d);
}

const struct scm_agent_ops scm_agent_openpgp = {
    .name = "openpgp",
    .description = "OpenPGP card 3.4: YubiKey, Nitrokey, Gnuk and other GnuPG smart cards",
    .probe = pgp_probe,
    .attach = pgp_attach,
    .detach = pgp_detach,
    .info = pgp_info,
    .changed = pgp_changed,
    .creds = pgp_creds,
    .verify = pgp_verify,
    .change = pgp_change,
    .unblock = pgp_unblock,
    .logout = pgp_logout,
    .list = pgp_list,
    .read = pgp_read,
    .write = pgp_write,
    .remove = pgp_remove,
    .place = pgp_place,
    .key_public = pgp_key_public,
    .sw = pgp_sw,
};
