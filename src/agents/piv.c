/* The PIV card agent (NIST SP 800-73-4, now SP 800-73pt1-5 / pt2-5): the
 * data objects of the PIV application, read with GET DATA and written
 * with PUT DATA after the card management key; the PIN, PUK and
 * management key as credentials 0, 1 and 2; the slots' private keys listed
 * and never copied. YubiKey's extensions (version, serial) are used only
 * where the card answers them.
 *
 * A container is read once per connection and kept (PIN-protected ones in
 * secure memory) until a write or a new verification changes what the
 * card shows: a listing costs one GET DATA per container, as OpenSC's
 * pkcs15-tool pays. The tags, APDUs and status words are SP 800-73-4's;
 * doc/card-types.md maps each container to a VSC object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "iso.h"

/* The PIV AID, right-truncated as OpenSC sends it (SP 800-73-4 allows
 * selection by a prefix of the full AID A0000003080000100001 00). */
static const uint8_t piv_aid[] = {0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00};

#define PIV_REF_PIN 0x80
#define PIV_REF_PUK 0x81
#define PIV_REF_MGMT 0x9B
#define CRED_PIN 0
#define CRED_PUK 1
#define CRED_MGMT 2
#define PIV_PIN_LEN 8     /* PIN and PUK go padded with FF to 8 bytes */
#define PIV_OBJ_MAX 16384 /* the largest container (a facial image) plus TLV headers */
#define PIV_RETIRED 20

enum piv_kind { K_DATA, K_CERT, K_DISCOVERY };

struct piv_obj {
    uint32_t tag;     /* 5FC1xx, or 7E */
    const char *name; /* OpenSC's names, so labels match what pkcs15-tool prints */
    enum piv_kind kind;
    bool pin;     /* read needs the PIN */
    uint8_t slot; /* certificates: the key slot (9A, ..., 82-95) */
    uint8_t id;   /* certificates: CKA_ID, as OpenSC numbers them */
};

/* Key History last: a restore writes the retired certificates it counts
 * before it (OpenSC reads retired certificates only if it counts them). */
static const struct piv_obj table[] = {
    {0x5FC107, "Card Capability Container", K_DATA, false, 0, 0},
    {0x5FC102, "Card Holder Unique Identifier", K_DATA, false, 0, 0},
    {0x7E, "Discovery Object", K_DISCOVERY, false, 0, 0},
    {0x5FC106, "Security Object", K_DATA, false, 0, 0},
    {0x5FC105, "X.509 Certificate for PIV Authentication", K_CERT, false, 0x9A, 1},
    {0x5FC10A, "X.509 Certificate for Digital Signature", K_CERT, false, 0x9C, 2},
    {0x5FC10B, "X.509 Certificate for Key Management", K_CERT, false, 0x9D, 3},
    {0x5FC101, "X.509 Certificate for Card Authentication", K_CERT, false, 0x9E, 4},
    {0x5FC10D, "Retired X.509 Certificate for Key Management 1", K_CERT, false, 0x82, 5},
    {0x5FC10E, "Retired X.509 Certificate for Key Management 2", K_CERT, false, 0x83, 6},
    {0x5FC10F, "Retired X.509 Certificate for Key Management 3", K_CERT, false, 0x84, 7},
    {0x5FC110, "Retired X.509 Certificate for Key Management 4", K_CERT, false, 0x85, 8},
    {0x5FC111, "Retired X.509 Certificate for Key Management 5", K_CERT, false, 0x86, 9},
    {0x5FC112, "Retired X.509 Certificate for Key Management 6", K_CERT, false, 0x87, 10},
    {0x5FC113, "Retired X.509 Certificate for Key Management 7", K_CERT, false, 0x88, 11},
    {0x5FC114, "Retired X.509 Certificate for Key Management 8", K_CERT, false, 0x89, 12},
    {0x5FC115, "Retired X.509 Certificate for Key Management 9", K_CERT, false, 0x8A, 13},
    {0x5FC116, "Retired X.509 Certificate for Key Management 10", K_CERT, false, 0x8B, 14},
    {0x5FC117, "Retired X.509 Certificate for Key Management 11", K_CERT, false, 0x8C, 15},
    {0x5FC118, "Retired X.509 Certificate for Key Management 12", K_CERT, false, 0x8D, 16},
    {0x5FC119, "Retired X.509 Certificate for Key Management 13", K_CERT, false, 0x8E, 17},
    {0x5FC11A, "Retired X.509 Certificate for Key Management 14", K_CERT, false, 0x8F, 18},
    {0x5FC11B, "Retired X.509 Certificate for Key Management 15", K_CERT, false, 0x90, 19},
    {0x5FC11C, "Retired X.509 Certificate for Key Management 16", K_CERT, false, 0x91, 20},
    {0x5FC11D, "Retired X.509 Certificate for Key Management 17", K_CERT, false, 0x92, 21},
    {0x5FC11E, "Retired X.509 Certificate for Key Management 18", K_CERT, false, 0x93, 22},
    {0x5FC11F, "Retired X.509 Certificate for Key Management 19", K_CERT, false, 0x94, 23},
    {0x5FC120, "Retired X.509 Certificate for Key Management 20", K_CERT, false, 0x95, 24},
    {0x5FC109, "Printed Information", K_DATA, true, 0, 0},
    {0x5FC108, "Cardholder Facial Image", K_DATA, true, 0, 0},
    {0x5FC103, "Cardholder Fingerprints", K_DATA, true, 0, 0},
    {0x5FC121, "Cardholder Iris Images", K_DATA, true, 0, 0},
    {0x5FC10C, "Key History Object", K_DATA, false, 0, 0},
};
#define NOBJ (sizeof(table) / sizeof(table[0]))
#define FIRST_RETIRED 8

enum cstate { C_UNKNOWN = 0, C_ABSENT, C_PRESENT, C_LOCKED };

struct cached {
    enum cstate st;
    uint8_t *val; /* the container's value (inside 53, or 7E's), secure memory */
    size_t len;
};

struct piv_state {
    struct scm_tx *tx;
    struct cached c[NOBJ];
    bool pin_ok, mgmt_ok;
    bool yubikey;
    uint8_t version[3];
    uint32_t serial;
    bool have_serial;
    uint8_t mgmt_alg; /* 03 3DES, 08/0A/0C AES-128/192/256; 0 not known yet */
};

static const struct scm_sw_map piv_sw[] = {
    {0x6A80, 0xFFFF, SCM_E_CARD_REFUSED}, /* incorrect data: say the card refused it */
    {0, 0, 0},
};

static void drop(struct cached *c)
{
    scm_secure_free(c->val, c->len);
    c->val = NULL;
    c->len = 0;
    c->st = C_UNKNOWN;
}

static int select_piv(struct scm_tx *tx, uint16_t *sw)
{
    uint8_t apt[256];
    size_t got;
    return scm_iso_select_aid(tx, piv_aid, sizeof(piv_aid), 0x00, apt, sizeof(apt), &got, sw);
}

/* ---- GET DATA / PUT DATA of one container ----------------------------------- */

static size_t taglist(uint32_t tag, uint8_t *out)
{
    out[0] = 0x5C;
    if (tag <= 0xFF) {
        out[1] = 1;
        out[2] = (uint8_t)tag;
        return 3;
    }
    out[1] = 3;
    out[2] = (uint8_t)(tag >> 16);
    out[3] = (uint8_t)(tag >> 8);
    out[4] = (uint8_t)tag;
    return 5;
}

/* Fetch table[i] into the cache: present (with its value), absent, or
 * locked (PIN needed). */
static int fetch(struct piv_state *st, size_t i, struct scm_detail *d)
{
    const struct piv_obj *o = &table[i];
    struct cached *c = &st->c[i];
    uint8_t tl[5];
    size_t tll = taglist(o->tag, tl), got = 0;
    uint16_t sw;
    uint8_t *buf = scm_secure_alloc(PIV_OBJ_MAX);
    if (!buf)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    int rc = scm_iso_get_data(st->tx, 0x3FFF, tl, tll, buf, PIV_OBJ_MAX, &got, &sw);
    if (rc < 0) {
        scm_secure_free(buf, PIV_OBJ_MAX);
        char why[160];
        rc = scm_iso_step_err(rc, 0, "GET DATA", why, sizeof(why));
        return scm_fail(d, rc, "Reading the PIV card's %s failed (%s).", o->name, why);
    }
    drop(c);
    if (sw == 0x6A82 || sw == 0x6A80 || (sw == 0x9000 && got == 0)) {
        c->st = C_ABSENT;
    } else if (sw == 0x6982) {
        c->st = C_LOCKED;
    } else if (sw != 0x9000) {
        scm_secure_free(buf, PIV_OBJ_MAX);
        return scm_fail(d, scm_iso_sw_err(sw, piv_sw),
                        "The PIV card answered %04X to GET DATA of %s.", sw, o->name);
    } else {
        const uint8_t *v;
        size_t vl;
        uint32_t want = o->kind == K_DISCOVERY ? 0x7E : 0x53;
        if (scm_tlv_find(buf, got, want, &v, &vl) < 0) {
            scm_secure_free(buf, PIV_OBJ_MAX);
            return scm_fail(d, SCM_E_CARD_LAYOUT,
                            "The PIV card's %s is not a %02X template as SP 800-73-4 says.",
                            o->name, (unsigned)want);
        }
        if (vl == 0) {
            c->st = C_ABSENT; /* an empty 53: a deleted container */
        } else {
            c->val = scm_secure_alloc(vl);
            if (!c->val) {
                scm_secure_free(buf, PIV_OBJ_MAX);
                return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
            }
            memcpy(c->val, v, vl);
            c->len = vl;
            c->st = C_PRESENT;
        }
    }
    scm_secure_free(buf, PIV_OBJ_MAX);
    return SCM_OK;
}

/* PUT DATA of table[i] with value v (NULL, 0: delete). */
static int put(struct piv_state *st, size_t i, const uint8_t *v, size_t vl, struct scm_detail *d)
{
    const struct piv_obj *o = &table[i];
    size_t cap = vl + 16, n = 0;
    uint8_t *buf = scm_secure_alloc(cap);
    uint16_t sw;
    int rc;
    if (!buf)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    if (o->kind == K_DISCOVERY) {
        /* The Discovery Object is its own 7E template. */
        buf[n++] = 0x5C;
        buf[n++] = 0x01;
        buf[n++] = 0x7E;
        n += scm_tlv_head(0x7E, vl, buf + n, cap - n);
    } else {
        n += taglist(o->tag, buf);
        n += scm_tlv_head(0x53, vl, buf + n, cap - n);
    }
    if (vl)
        memcpy(buf + n, v, vl);
    n += vl;
    rc = scm_iso_put_data(st->tx, true, 0x3FFF, buf, n, o->pin, &sw);
    scm_secure_free(buf, cap);
    drop(&st->c[i]);
    if (rc < 0) {
        char why[160];
        rc = scm_iso_step_err(rc, 0, "PUT DATA", why, sizeof(why));
        return scm_fail(d, rc,
                        "Writing the PIV card's %s failed (%s); it may hold the old or the "
                        "new content.",
                        o->name, why);
    }
    if (sw == 0x6982)
        return scm_fail(d, SCM_E_CARD_LOCKED,
                        "Writing to the PIV card needs its card management key.");
    if (sw == 0x6A84)
        return scm_fail(d, SCM_E_CARD_FULL, "The PIV card has no room for %s (%zu bytes).", o->name,
                        vl);
    if (sw != 0x9000)
        return scm_fail(d, scm_iso_sw_err(sw, piv_sw),
                        "The PIV card answered %04X to PUT DATA of %s.", sw, o->name);
    return SCM_OK;
}

/* ---- Certificates -------------------------------------------------------------- */

/* A certificate container: 70 cert, 71 CertInfo, FE error detection, in
 * any order. The DER is the object's bytes; the other TLVs are kept as
 * its attributes, so a restore rebuilds the container byte for byte. */
static int cert_split(const uint8_t *v, size_t vl, const uint8_t **der, size_t *dl, uint8_t *attrs,
                      size_t *al)
{
    size_t pos = 0, n = 0;
    *der = NULL;
    for (;;) {
        uint32_t t;
        const uint8_t *tv;
        size_t tl, start = pos;
        int r = scm_tlv_next(v, vl, &pos, &t, &tv, &tl);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        if (t == 0x70) {
            *der = tv;
            *dl = tl;
        } else {
            if (n + (pos - start) > SCM_SRC_ATTR_MAX)
                return SCM_E_CARD_LAYOUT;
            memcpy(attrs + n, v + start, pos - start);
            n += pos - start;
        }
    }
    *al = n;
    return *der ? SCM_OK : SCM_E_CARD_LAYOUT;
}

static bool compressed(const uint8_t *attrs, size_t al)
{
    const uint8_t *v;
    size_t vl;
    return scm_tlv_find(attrs, al, 0x71, &v, &vl) == SCM_OK && vl == 1 && (v[0] & 0x01);
}

/* What a certificate container is to the layers above: its DER when it
 * is a plain certificate container (true), else the container's bytes as
 * they are (a compressed certificate scmgr does not inflate, or a
 * container that is not laid out as SP 800-73-4 says). */
static bool cert_view(const struct cached *c, const uint8_t **src, size_t *sl, uint8_t *attrs,
                      size_t *al)
{
    const uint8_t *der;
    size_t dl;
    if (cert_split(c->val, c->len, &der, &dl, attrs, al) == SCM_OK && !compressed(attrs, *al)) {
        *src = der;
        *sl = dl;
        return true;
    }
    *src = c->val;
    *sl = c->len;
    *al = 0;
    return false;
}

/* Key facts from the certificate's public key (a public object: parsing
 * it in ordinary memory is fine). */
static void key_facts(const uint8_t *der, size_t dl, uint8_t slot, struct scm_key_facts *k)
{
    gnutls_x509_crt_t crt;
    gnutls_datum_t dt = {(unsigned char *)der, (unsigned)dl};
    unsigned bits = 0;
    memset(k, 0, sizeof(*k));
    k->usage = slot == 0x9C ? SCM_KEY_USE_SIGN
               : slot == 0x9D || (slot >= 0x82 && slot <= 0x95)
                   ? SCM_KEY_USE_DECRYPT | SCM_KEY_USE_DERIVE
                   : SCM_KEY_USE_SIGN | SCM_KEY_USE_AUTH;
    if (gnutls_x509_crt_init(&crt) < 0)
        return;
    if (gnutls_x509_crt_import(crt, &dt, GNUTLS_X509_FMT_DER) >= 0) {
        int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
        k->bits = bits;
        if (pk == GNUTLS_PK_RSA)
            k->alg = SCM_KEY_RSA;
        else if (pk == GNUTLS_PK_ECDSA)
            k->alg = bits <= 256   ? SCM_KEY_EC_P256
                     : bits <= 384 ? SCM_KEY_EC_P384
                                   : SCM_KEY_EC_P521;
        else if (pk == GNUTLS_PK_EDDSA_ED25519)
            k->alg = SCM_KEY_ED25519;
    }
    gnutls_x509_crt_deinit(crt);
}

/* ---- Binding -------------------------------------------------------------------- */

static int piv_probe(struct scm_tx *tx)
{
    uint16_t sw;
    int rc = select_piv(tx, &sw);
    if (rc < 0)
        return rc;
    return sw == 0x9000 || (sw & 0xFF00) == 0x6100;
}

static int piv_attach(struct scm_tx *tx, void **state, struct scm_detail *d)
{
    struct piv_state *st = calloc(1, sizeof(*st));
    uint8_t r[16];
    size_t got;
    uint16_t sw;
    if (!st)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    st->tx = tx;
    int rc = select_piv(tx, &sw);
    if (rc == SCM_OK && sw != 0x9000)
        rc = scm_fail(d, SCM_E_NO_AGENT, "The card has no PIV application (SELECT answered %04X).",
                      sw);
    if (rc < 0) {
        free(st);
        return rc;
    }
    /* YubiKey's GET VERSION and GET SERIAL: a standard card answers 6D00. */
    struct scm_apdu ver = {.cla = 0x00, .ins = 0xFD, .le = 256};
    if (scm_tx_apdu(tx, &ver, r, sizeof(r), &got, &sw) == SCM_OK && sw == 0x9000 && got == 3) {
        st->yubikey = true;
        memcpy(st->version, r, 3);
        struct scm_apdu ser = {.cla = 0x00, .ins = 0xF8, .le = 256};
        if (scm_tx_apdu(tx, &ser, r, sizeof(r), &got, &sw) == SCM_OK && sw == 0x9000 && got == 4) {
            st->serial = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
            st->have_serial = true;
        }
    }
    *state = st;
    return SCM_OK;
}

/* The card keeps a verified PIN across programs (pcscd leaves it
 * powered): what scmgr verified, it takes back when it lets go. */
static void piv_logout(void *state)
{
    struct piv_state *st = state;
    uint16_t sw;
    if (st && st->pin_ok)
        (void)scm_iso_unverify(st->tx, PIV_REF_PIN, &sw);
}

static void piv_detach(void *state)
{
    struct piv_state *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < NOBJ; i++)
        drop(&st->c[i]);
    free(st);
}

static int piv_info(void *state, struct scm_agent_info *out, struct scm_detail *d)
{
    struct piv_state *st = state;
    memset(out, 0, sizeof(*out));
    snprintf(out->label, sizeof(out->label), "PIV card");
    if (st->yubikey)
        snprintf(out->type, sizeof(out->type), "PIV (YubiKey %u.%u.%u)", st->version[0],
                 st->version[1], st->version[2]);
    else
        snprintf(out->type, sizeof(out->type), "PIV (SP 800-73-4)");
    if (st->have_serial) {
        snprintf(out->serial, sizeof(out->serial), "%u", st->serial);
    } else {
        /* The CHUID's GUID (tag 34), else its FASC-N (30): what OpenSC
         * takes for the serial. */
        size_t i = 1; /* CHUID */
        if (st->c[i].st == C_UNKNOWN && fetch(st, i, NULL) < 0)
            st->c[i].st = C_UNKNOWN;
        const uint8_t *v = NULL;
        size_t vl = 0;
        if (st->c[i].st == C_PRESENT &&
            (scm_tlv_find(st->c[i].val, st->c[i].len, 0x34, &v, &vl) == SCM_OK ||
             scm_tlv_find(st->c[i].val, st->c[i].len, 0x30, &v, &vl) == SCM_OK))
            scm_hex(v, vl > 16 ? 16 : vl, "", out->serial, sizeof(out->serial));
    }
    out->pin_tries = -1;
    out->write_cred = CRED_MGMT; /* PUT DATA needs the card management key, not the PIN */
    out->own_labels = true;
    return SCM_OK;
}

/* Did another program change what the card holds? A PIV card keeps no
 * generation, so the containers that change with any re-personalisation
 * are read again and compared: the CHUID, the CCC, the Security Object
 * (the issuer's signed digest of the others) and Key History. Four GET
 * DATA instead of every container: the card API asks before each change.
 * (A tool that rewrites only a certificate, leaving those alone, goes
 * unnoticed until the next listing; a write of ours always reads back.)
 * The credentials' state is kept. */
static int piv_changed(void *state, struct scm_detail *d)
{
    static const uint32_t markers[] = {0x5FC102, 0x5FC107, 0x5FC106, 0x5FC10C};
    struct piv_state *st = state;
    bool changed = false;
    for (size_t i = 0; i < NOBJ && !changed; i++) {
        struct cached *c = &st->c[i];
        bool marker = false;
        for (size_t m = 0; m < sizeof(markers) / sizeof(markers[0]); m++)
            marker |= table[i].tag == markers[m];
        if (!marker || (c->st != C_PRESENT && c->st != C_ABSENT))
            continue;
        struct cached was = *c;
        c->val = NULL;
        c->len = 0;
        c->st = C_UNKNOWN;
        int rc = fetch(st, i, d);
        if (rc < 0) {
            scm_secure_free(was.val, was.len);
            return rc;
        }
        changed = c->st != was.st || c->len != was.len ||
                  (c->len && memcmp(c->val, was.val, c->len) != 0);
        scm_secure_free(was.val, was.len);
    }
    if (changed)
        for (size_t i = 0; i < NOBJ; i++)
            drop(&st->c[i]); /* the next listing reads the card afresh */
    return changed ? 1 : 0;
}

/* ---- Credentials ------------------------------------------------------------------ */

static int tries_of(struct piv_state *st, uint8_t ref, bool *verified, int *tries)
{
    uint16_t sw;
    int rc = scm_iso_verify(st->tx, ref, NULL, 0, &sw);
    *tries = -1;
    *verified = false;
    if (rc < 0)
        return rc;
    if (sw == 0x9000)
        *verified = true;
    else if (scm_iso_sw_tries(sw) >= 0)
        *tries = scm_iso_sw_tries(sw);
    else if (sw == 0x6983)
        *tries = 0;
    return SCM_OK;
}

static int piv_creds(void *state, struct scm_cred *out, size_t cap, size_t *n, struct scm_detail *d)
{
    struct piv_state *st = state;
    static const struct {
        enum scm_cred_kind kind;
        const char *label;
        uint8_t ref;
        unsigned min, max;
        int unblock;
    } c[3] = {{SCM_CRED_PIN, "PIN", PIV_REF_PIN, 6, 8, CRED_PUK},
              {SCM_CRED_PUK, "PUK", PIV_REF_PUK, 8, 8, -1},
              {SCM_CRED_MGMT_KEY, "Card management key", PIV_REF_MGMT, 16, 32, -1}};
    *n = 0;
    for (size_t i = 0; i < 3 && *n < cap; i++) {
        struct scm_cred *o = &out[(*n)++];
        memset(o, 0, sizeof(*o));
        o->kind = c[i].kind;
        snprintf(o->label, sizeof(o->label), "%s", c[i].label);
        o->min_len = c[i].min;
        o->max_len = c[i].max;
        o->unblock_by = c[i].unblock;
        o->tries_left = -1;
        o->tries_max = -1;
        if (c[i].kind == SCM_CRED_MGMT_KEY) {
            o->hex = true;
            o->verified = st->mgmt_ok;
            continue;
        }
        bool v;
        int rc = tries_of(st, c[i].ref, &v, &o->tries_left);
        if (rc < 0)
            return scm_fail_because(d, rc, "Asking the PIV card for its PIN tries failed");
        o->verified = v;
        if (i == CRED_PIN)
            st->pin_ok = v;
    }
    return SCM_OK;
}

static int pad8(const uint8_t *s, size_t len, uint8_t out[PIV_PIN_LEN], struct scm_detail *d)
{
    if (!s || len == 0 || len > PIV_PIN_LEN)
        return scm_fail(d, SCM_E_BAD_PIN_FORMAT, "A PIV PIN or PUK is 1 to 8 characters.");
    memset(out, 0xFF, PIV_PIN_LEN);
    memcpy(out, s, len);
    return SCM_OK;
}

static int pin_answer(struct piv_state *st, uint16_t sw, const char *what, int *tries,
                      struct scm_detail *d)
{
    *tries = -1;
    if (sw == 0x9000)
        return SCM_OK;
    if (scm_iso_sw_tries(sw) == 0 || sw == 0x6983) {
        *tries = 0;
        return scm_fail(d, SCM_E_PIN_BLOCKED, "The PIV card's %s is blocked.", what);
    }
    if (scm_iso_sw_tries(sw) > 0) {
        *tries = scm_iso_sw_tries(sw);
        return scm_fail(d, SCM_E_BAD_PIN, "Wrong %s; %d %s left.", what, *tries,
                        *tries == 1 ? "try" : "tries");
    }
    (void)st;
    return scm_fail(d, scm_iso_sw_err(sw, piv_sw), "The PIV card answered %04X to the %s.", sw,
                    what);
}

/* Single-block ECB with the management key (CBC with a zero IV over one
 * block is ECB), for the GENERAL AUTHENTICATE challenge. */
static int block(uint8_t alg, const uint8_t *key, size_t klen, bool enc, const uint8_t *in,
                 uint8_t *out, size_t bl)
{
    gnutls_cipher_algorithm_t ca = alg == 0x03   ? GNUTLS_CIPHER_3DES_CBC
                                   : alg == 0x08 ? GNUTLS_CIPHER_AES_128_CBC
                                   : alg == 0x0A ? GNUTLS_CIPHER_AES_192_CBC
                                                 : GNUTLS_CIPHER_AES_256_CBC;
    uint8_t iv[16] = {0};
    gnutls_datum_t k = {(unsigned char *)key, (unsigned)klen}, ivd = {iv, (unsigned)bl};
    gnutls_cipher_hd_t h;
    if (gnutls_cipher_init(&h, ca, &k, &ivd) < 0)
        return SCM_E_CRYPTO;
    int r = enc ? gnutls_cipher_encrypt2(h, in, bl, out, bl)
                : gnutls_cipher_decrypt2(h, in, bl, out, bl);
    gnutls_cipher_deinit(h);
    return r < 0 ? SCM_E_CRYPTO : SCM_OK;
}

/* Mutual authentication with the card management key (9B): the card's
 * witness decrypted proves we hold the key, our challenge encrypted by
 * the card proves it does. */
static int mgmt_auth(struct piv_state *st, uint8_t alg, const uint8_t *key, size_t klen,
                     uint16_t *sw, struct scm_detail *d)
{
    size_t bl = alg == 0x03 ? 8 : 16;
    uint8_t req[4 + 2 * (2 + 16)], resp[64], wit[16], chal[16], want[16];
    size_t got, n = 0;
    static const uint8_t ask[] = {0x7C, 0x02, 0x80, 0x00};
    const uint8_t *t, *v;
    size_t tl, vl;
    int rc = scm_iso_general_auth(st->tx, alg, PIV_REF_MGMT, ask, sizeof(ask), false, resp,
                                  sizeof(resp), &got, sw);
    if (rc < 0 || *sw != 0x9000)
        return rc;
    if (scm_tlv_find(resp, got, 0x7C, &t, &tl) < 0 || scm_tlv_find(t, tl, 0x80, &v, &vl) < 0 ||
        vl != bl)
        return scm_fail(d, SCM_E_CARD_LAYOUT,
                        "The PIV card's witness is not the %zu-byte block its key algorithm needs.",
                        bl);
    if ((rc = block(alg, key, klen, false, v, wit, bl)) < 0 ||
        (rc = gnutls_rnd(GNUTLS_RND_NONCE, chal, bl)) < 0 ||
        (rc = block(alg, key, klen, true, chal, want, bl)) < 0) {
        scm_wipe(wit, sizeof(wit));
        return scm_fail(d, SCM_E_CRYPTO, "The management key could not be used (%s).",
                        scm_key_alg_name(alg == 0x03 ? SCM_KEY_3DES : SCM_KEY_AES));
    }
    req[n++] = 0x7C;
    req[n++] = (uint8_t)(4 + 2 * bl);
    req[n++] = 0x80;
    req[n++] = (uint8_t)bl;
    memcpy(req + n, wit, bl);
    n += bl;
    req[n++] = 0x81;
    req[n++] = (uint8_t)bl;
    memcpy(req + n, chal, bl);
    n += bl;
    rc =
        scm_iso_general_auth(st->tx, alg, PIV_REF_MGMT, req, n, true, resp, sizeof(resp), &got, sw);
    scm_wipe(wit, sizeof(wit));
    scm_wipe(req, sizeof(req));
    if (rc < 0 || *sw != 0x9000)
        return rc;
    if (scm_tlv_find(resp, got, 0x7C, &t, &tl) < 0 || scm_tlv_find(t, tl, 0x82, &v, &vl) < 0 ||
        vl != bl || memcmp(v, want, bl) != 0)
        return scm_fail(d, SCM_E_CARD_REFUSED,
                        "The PIV card did not prove it holds the same management key.");
    return SCM_OK;
}

static int verify_mgmt(struct piv_state *st, const uint8_t *key, size_t klen, struct scm_detail *d)
{
    uint8_t algs[2];
    size_t na = 0;
    uint16_t sw = 0;
    if (klen == 24) {
        algs[na++] = 0x03; /* 3DES, the default, then AES-192 */
        algs[na++] = 0x0A;
    } else if (klen == 16) {
        algs[na++] = 0x08;
    } else if (klen == 32) {
        algs[na++] = 0x0C;
    } else {
        return scm_fail(
            d, SCM_E_BAD_PIN_FORMAT,
            "A PIV card management key is 16, 24 or 32 bytes (32, 48 or 64 hex digits).");
    }
    if (st->mgmt_alg)
        algs[0] = st->mgmt_alg, na = 1;
    for (size_t i = 0; i < na; i++) {
        int rc = mgmt_auth(st, algs[i], key, klen, &sw, d);
        if (rc < 0)
            return rc;
        if (sw == 0x9000) {
            st->mgmt_alg = algs[i];
            st->mgmt_ok = true;
            return SCM_OK;
        }
        /* A wrong algorithm is 6A80/6A86; a wrong key fails at the second step. */
        if (sw != 0x6A80 && sw != 0x6A86)
            break;
    }
    st->mgmt_ok = false;
    if (sw == 0x6983)
        return scm_fail(d, SCM_E_PIN_BLOCKED, "The PIV card's management key is blocked.");
    return scm_fail(d, SCM_E_BAD_PIN, "Wrong card management key (the card answered %04X).", sw);
}

static int piv_verify(void *state, unsigned cred, const uint8_t *secret, size_t len,
                      int *tries_left, struct scm_detail *d)
{
    struct piv_state *st = state;
    uint8_t p[PIV_PIN_LEN];
    uint16_t sw;
    int rc, t = -1;
    if (tries_left)
        *tries_left = -1;
    if (cred == CRED_MGMT)
        return verify_mgmt(st, secret, len, d);
    if (cred > CRED_PUK)
        return scm_fail(d, SCM_E_NOT_SUPPORTED, "A PIV card has 3 credentials, not %u.", cred + 1);
    if ((rc = pad8(secret, len, p, d)) < 0)
        return rc;
    rc = scm_iso_verify(st->tx, cred == CRED_PIN ? PIV_REF_PIN : PIV_REF_PUK, p, sizeof(p), &sw);
    scm_wipe(p, sizeof(p));
    if (rc < 0)
        return scm_fail_because(d, rc, "Sending the PIN to the PIV card failed");
    rc = pin_answer(st, sw, cred == CRED_PIN ? "PIN" : "PUK", &t, d);
    if (tries_left)
        *tries_left = t;
    if (cred == CRED_PIN) {
        st->pin_ok = rc == SCM_OK;
        /* What the PIN guards can be read now. */
        for (size_t i = 0; i < NOBJ; i++)
            if (st->c[i].st == C_LOCKED)
                st->c[i].st = C_UNKNOWN;
    }
    return rc;
}

static int piv_change(void *state, unsigned cred, const uint8_t *old, size_t oldlen,
                      const uint8_t *new_secret, size_t newlen, struct scm_detail *d)
{
    struct piv_state *st = state;
    uint8_t o[PIV_PIN_LEN], nw[PIV_PIN_LEN];
    uint16_t sw;
    int t, rc;
    if (cred > CRED_PUK)
        return scm_fail(d, SCM_E_NOT_SUPPORTED,
                        "Changing a PIV card's management key is a YubiKey extension scmgr does "
                        "not use yet.");
    if ((rc = pad8(old, oldlen, o, d)) < 0 || (rc = pad8(new_secret, newlen, nw, d)) < 0) {
        scm_wipe(o, sizeof(o));
        return rc;
    }
    rc = scm_iso_change(st->tx, cred == CRED_PIN ? PIV_REF_PIN : PIV_REF_PUK, o, 8, nw, 8, &sw);
    scm_wipe(o, sizeof(o));
    scm_wipe(nw, sizeof(nw));
    if (rc < 0)
        return scm_fail(d, rc, "Changing the PIN failed; it may or may not have changed.");
    return pin_answer(st, sw, cred == CRED_PIN ? "PIN" : "PUK", &t, d);
}

static int piv_unblock(void *state, unsigned cred, unsigned by, const uint8_t *by_secret,
                       size_t by_len, const uint8_t *new_secret, size_t newlen,
                       struct scm_detail *d)
{
    struct piv_state *st = state;
    uint8_t puk[PIV_PIN_LEN], pin[PIV_PIN_LEN];
    uint16_t sw;
    int t, rc;
    if (cred != CRED_PIN || by != CRED_PUK)
        return scm_fail(d, SCM_E_NOT_SUPPORTED, "A PIV card's PIN is unblocked with its PUK.");
    if ((rc = pad8(by_secret, by_len, puk, d)) < 0 || (rc = pad8(new_secret, newlen, pin, d)) < 0) {
        scm_wipe(puk, sizeof(puk));
        return rc;
    }
    rc = scm_iso_reset_retry(st->tx, 0x00, PIV_REF_PIN, puk, 8, pin, 8, &sw);
    scm_wipe(puk, sizeof(puk));
    scm_wipe(pin, sizeof(pin));
    if (rc < 0)
        return scm_fail(d, rc, "Unblocking the PIN failed; it may or may not have changed.");
    return pin_answer(st, sw, "PUK", &t, d);
}

/* ---- Objects ------------------------------------------------------------------------ */

static void ref_of(size_t i, char *out, size_t cap)
{
    snprintf(out, cap, table[i].tag <= 0xFF ? "%02X" : "%06X", (unsigned)table[i].tag);
}

static long by_ref(const char *ref)
{
    char r[16];
    for (size_t i = 0; i < NOBJ; i++) {
        ref_of(i, r, sizeof(r));
        if (strcmp(r, ref) == 0)
            return (long)i;
    }
    return -1;
}

static long by_label(const char *label)
{
    for (size_t i = 0; i < NOBJ; i++)
        if (strcmp(table[i].name, label) == 0)
            return (long)i;
    return -1;
}

/* How many retired slots the Key History counts (keysWithOnCardCerts, C1). */
static size_t retired_count(const struct piv_state *st)
{
    const struct cached *kh = &st->c[NOBJ - 1];
    const uint8_t *v;
    size_t vl;
    if (kh->st != C_PRESENT || scm_tlv_find(kh->val, kh->len, 0xC1, &v, &vl) < 0 || vl != 1)
        return 0;
    return v[0] > PIV_RETIRED ? PIV_RETIRED : v[0];
}

static void fill(struct piv_state *st, size_t i, struct scm_object *o)
{
    const struct piv_obj *p = &table[i];
    const struct cached *c = &st->c[i];
    memset(o, 0, sizeof(*o));
    ref_of(i, o->ref.s, sizeof(o->ref.s));
    snprintf(o->label, sizeof(o->label), "%s", p->name);
    o->read_cred = p->pin ? CRED_PIN : SCM_CRED_NONE;
    o->write_cred = CRED_MGMT;
    o->present = c->st == C_PRESENT;
    o->size = c->len;
    if (p->kind == K_CERT) {
        const uint8_t *src;
        size_t sl;
        o->cls = SCM_CLASS_CERT;
        o->type = SCM_OBJ_CERT;
        o->id[0] = p->id;
        o->id_len = 1;
        snprintf(o->group, sizeof(o->group), "Slot %02X", p->slot);
        if (c->st == C_PRESENT && !cert_view(c, &src, &sl, o->attrs, &o->attrs_len)) {
            /* Kept as the container it is. */
            o->cls = SCM_CLASS_DATA;
            o->type = SCM_OBJ_DATA;
        }
        if (c->st == C_PRESENT)
            o->size = sl;
    } else {
        o->cls = SCM_CLASS_DATA;
        o->type = SCM_OBJ_DATA;
        snprintf(o->group, sizeof(o->group), "%s",
                 p->pin ? "Cardholder data (PIN)" : "Card data objects");
    }
}

static int piv_list(void *state, struct scm_object **objs, size_t *n, struct scm_detail *d)
{
    struct piv_state *st = state;
    size_t k = 0;
    *objs = NULL;
    *n = 0;
    /* Key History first: it says which retired slots to read. */
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < NOBJ; i++) {
            bool kh = i == NOBJ - 1;
            if ((pass == 0) != kh || st->c[i].st != C_UNKNOWN)
                continue;
            if (i >= FIRST_RETIRED && i < FIRST_RETIRED + PIV_RETIRED &&
                i - FIRST_RETIRED >= retired_count(st)) {
                st->c[i].st = C_ABSENT; /* not counted: not read, as OpenSC does */
                continue;
            }
            if (table[i].pin && !st->pin_ok) {
                st->c[i].st = C_LOCKED;
                continue;
            }
            int rc = fetch(st, i, d);
            if (rc < 0)
                return rc;
        }
    struct scm_object *out = calloc(2 * NOBJ, sizeof(*out));
    if (!out)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    for (size_t i = 0; i < NOBJ; i++) {
        if (st->c[i].st == C_ABSENT && i >= FIRST_RETIRED && i < FIRST_RETIRED + PIV_RETIRED)
            continue; /* twenty empty retired slots would drown the listing */
        /* A PIN-protected container not readable yet is listed as a place,
         * not present: whether the card holds it shows with the PIN. */
        fill(st, i, &out[k]);
        k++;
        if (table[i].kind == K_CERT && st->c[i].st == C_PRESENT &&
            out[k - 1].cls == SCM_CLASS_CERT) {
            /* The slot's private key: listed with its facts, never copied. */
            struct scm_object *key = &out[k++];
            const uint8_t *der;
            size_t dl, al;
            uint8_t attrs[SCM_SRC_ATTR_MAX];
            memset(key, 0, sizeof(*key));
            key->cls = SCM_CLASS_PRIVKEY;
            key->type = SCM_OBJ_PRIVKEY;
            snprintf(key->label, sizeof(key->label), "Private key %02X", table[i].slot);
            snprintf(key->ref.s, sizeof(key->ref.s), "key %02X", table[i].slot);
            snprintf(key->group, sizeof(key->group), "Slot %02X", table[i].slot);
            key->id[0] = table[i].id;
            key->id_len = 1;
            key->read_cred = SCM_CRED_NEVER;
            key->write_cred = CRED_MGMT;
            key->present = true;
            if (cert_view(&st->c[i], &der, &dl, attrs, &al))
                key_facts(der, dl, table[i].slot, &key->key);
            key->key.extractable = false;
        }
    }
    *objs = out;
    *n = k;
    return SCM_OK;
}

static int piv_read(void *state, const struct scm_object *o, uint8_t **data, size_t *len,
                    struct scm_detail *d)
{
    struct piv_state *st = state;
    long i = by_ref(o->ref.s);
    *data = NULL;
    *len = 0;
    if (i < 0)
        return scm_fail(d, SCM_E_NOT_EXPORTABLE,
                        "'%s' cannot be copied: the card never releases private keys.", o->label);
    if (st->c[i].st == C_UNKNOWN || st->c[i].st == C_LOCKED) {
        int rc = fetch(st, (size_t)i, d);
        if (rc < 0)
            return rc;
    }
    const struct cached *c = &st->c[i];
    if (c->st == C_LOCKED)
        return scm_fail(d, SCM_E_CARD_LOCKED, "Reading the PIV card's %s needs the PIN.",
                        table[i].name);
    if (c->st != C_PRESENT)
        return scm_fail(d, SCM_E_NOT_FOUND, "The PIV card holds no %s.", table[i].name);
    const uint8_t *src = c->val;
    size_t sl = c->len, al;
    uint8_t attrs[SCM_SRC_ATTR_MAX];
    if (table[i].kind == K_CERT)
        (void)cert_view(c, &src, &sl, attrs, &al);
    uint8_t *out = scm_secure_alloc(sl ? sl : 1);
    if (!out)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    memcpy(out, src, sl);
    *data = out;
    *len = sl;
    return SCM_OK;
}

/* Where a put goes: the container its ref names, a container whose name
 * is the label, or for a certificate the first empty key slot. */
static long resolve(struct piv_state *st, const struct scm_agent_put *p, struct scm_detail *why)
{
    long i = p->ref.s[0] ? by_ref(p->ref.s) : -1;
    const struct scm_obj_new *o = p->obj;
    if (i < 0)
        i = by_label(o->label);
    if (i >= 0) {
        if ((table[i].kind == K_CERT) != (o->type == SCM_OBJ_CERT) && o->type != SCM_OBJ_DATA)
            return scm_fail(why, SCM_E_NOT_SUPPORTED, "%s on a PIV card holds %s, not a %s.",
                            table[i].name, table[i].kind == K_CERT ? "a certificate" : "data",
                            scm_obj_type_name(o->type));
        return i;
    }
    if (o->type == SCM_OBJ_CERT) {
        /* The slot of the certificate's purpose first (9A authentication,
         * 9C signature, 9D key management), then the first free one. */
        enum scm_cert_role role = scm_cert_role(o->data, o->len);
        size_t pref = role == SCM_CERT_AUTH      ? 4
                      : role == SCM_CERT_SIGN    ? 5
                      : role == SCM_CERT_DECRYPT ? 6
                                                 : 0;
        for (size_t step = 3; step < 8; step++) { /* 9A, 9C, 9D, 9E */
            size_t k = step == 3 ? pref : step;
            if (k == 0)
                continue;
            /* Not read since a reset: only the card can say it is empty. */
            if (st->c[k].st == C_UNKNOWN)
                (void)fetch(st, k, NULL);
            char r[SCM_SRC_PATH_MAX];
            ref_of(k, r, sizeof(r));
            if (st->c[k].st == C_ABSENT && !scm_agent_put_taken(p, r))
                return (long)k;
        }
        return scm_fail(why, SCM_E_CARD_FULL,
                        "Every certificate slot of the PIV card (9A, 9C, 9D, 9E) holds one.");
    }
    return scm_fail(
        why, SCM_E_NOT_SUPPORTED,
        "A PIV card has no place for '%s' (of type %s): it holds only its own data objects "
        "and certificates.",
        o->label, scm_obj_type_name(o->type));
}

static int piv_place(void *state, const struct scm_agent_put *p, struct scm_obj_ref *ref,
                     struct scm_detail *why)
{
    struct piv_state *st = state;
    long i = resolve(st, p, why);
    if (i < 0)
        return (int)i;
    ref_of((size_t)i, ref->s, sizeof(ref->s));
    if (st->c[i].st == C_UNKNOWN)
        (void)fetch(st, (size_t)i, NULL);
    return st->c[i].st == C_PRESENT ? SCM_E_EXISTS : SCM_OK;
}

static int piv_write(void *state, const struct scm_agent_put *p, bool replace, struct scm_detail *d)
{
    struct piv_state *st = state;
    const struct scm_obj_new *o = p->obj;
    long i = resolve(st, p, d);
    int rc;
    if (i < 0)
        return (int)i;
    if (st->c[i].st == C_UNKNOWN && (rc = fetch(st, (size_t)i, d)) < 0)
        return rc;
    if (st->c[i].st == C_PRESENT && !replace)
        return scm_fail(d, SCM_E_EXISTS, "The PIV card already holds %s.", table[i].name);
    if (!st->mgmt_ok)
        return scm_fail(d, SCM_E_CARD_LOCKED,
                        "Writing to the PIV card needs its card management key.");
    size_t cap = o->len + SCM_SRC_ATTR_MAX + 8, n = 0;
    uint8_t *val = scm_secure_alloc(cap);
    if (!val)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    if (table[i].kind == K_CERT && o->type == SCM_OBJ_CERT) {
        /* 70 cert, then the container's other TLVs as read (71 CertInfo,
         * FE), or the plain ones SP 800-73-4 asks for. */
        n += scm_tlv_head(0x70, o->len, val, cap);
        memcpy(val + n, o->data, o->len);
        n += o->len;
        if (o->src_attrs && o->src_attrs_len) {
            memcpy(val + n, o->src_attrs, o->src_attrs_len);
            n += o->src_attrs_len;
        } else {
            static const uint8_t tail[] = {0x71, 0x01, 0x00, 0xFE, 0x00};
            memcpy(val + n, tail, sizeof(tail));
            n += sizeof(tail);
        }
    } else {
        memcpy(val, o->data, o->len);
        n = o->len;
    }
    rc = put(st, (size_t)i, val, n, d);
    if (rc == SCM_OK) {
        /* Read back and compare: the write counts only when the card
         * gives back what was sent. */
        rc = fetch(st, (size_t)i, d);
        if (rc == SCM_OK &&
            (st->c[i].st != C_PRESENT || st->c[i].len != n || memcmp(st->c[i].val, val, n) != 0))
            rc = scm_fail(d, SCM_E_CARD_REFUSED,
                          "The PIV card gave back other bytes for %s than were written.",
                          table[i].name);
    }
    scm_secure_free(val, cap);
    return rc;
}

static int piv_remove(void *state, const struct scm_object *o, struct scm_detail *d)
{
    struct piv_state *st = state;
    long i = by_ref(o->ref.s);
    if (i < 0)
        i = by_label(o->label);
    if (i < 0)
        return scm_fail(d, SCM_E_NOT_SUPPORTED,
                        "'%s' is a key: scmgr does not delete keys from a PIV card.", o->label);
    if (!st->mgmt_ok)
        return scm_fail(d, SCM_E_CARD_LOCKED,
                        "Changing the PIV card needs its card management key.");
    return put(st, (size_t)i, NULL, 0, d);
}

const struct scm_agent_ops scm_agent_piv = {
    .name = "piv",
    .description = "PIV card (NIST SP 800-73-4): YubiKeys, government and corporate badges",
    .probe = piv_probe,
    .attach = piv_attach,
    .detach = piv_detach,
    .info = piv_info,
    .changed = piv_changed,
    .creds = piv_creds,
    .verify = piv_verify,
    .change = piv_change,
    .unblock = piv_unblock,
    .logout = piv_logout,
    .list = piv_list,
    .read = piv_read,
    .write = piv_write,
    .remove = piv_remove,
    .place = piv_place,
    .sw = piv_sw,
};
