/* PKCS#15 (ISO/IEC 7816-15) structures in DER, for the PKCS#15 card agent:
 * a bounded DER reader (p15_der.c), decoders of EF.DIR, the ODF, TokenInfo
 * and the directory files (CDF, PrKDF, PuKDF, DODF, AODF) (p15_asn1.c),
 * and the encoders of the entries the agent adds (a certificate to a CDF,
 * a data object to a DODF, a new directory file to the ODF) in the form
 * OpenSC's pkcs15-init writes them (p15_encode.c).
 *
 * Pure functions: no card I/O, no global state, so they can be fuzzed and
 * tested alone. Everything read from a card is hostile: every length is
 * checked against the bytes that remain, nesting is walked by hand (no
 * recursion), and the only allocation is the one array a directory-file
 * decoder returns. Text fields (labels, names) are the card's raw bytes,
 * NUL-terminated; they pass the sanitiser before any output. */
#ifndef SCMGR_P15_ASN1_H
#define SCMGR_P15_ASN1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scmgr/util.h"

/* Limits. A field longer than its limit makes the structure malformed
 * (SCM_E_CARD_LAYOUT), except labels and names, which are cut at the limit
 * with `truncated` set: a long label must not hide a card's objects. */
#define P15_LABEL_MAX 255 /* Label ::= UTF8String (SIZE(0..pkcs15-ub-label)) */
#define P15_ID_MAX 64     /* OpenSC allows 255; real cards use 1..20 bytes */
#define P15_PATH_MAX 16   /* an absolute path of 8 file IDs, or an AID */
#define P15_OID_MAX 32    /* encoded bytes of an OBJECT IDENTIFIER */
#define P15_SERIAL_MAX 64
#define P15_DIR_APPS_MAX 16
#define P15_ODF_MAX 32
#define P15_DF_ENTRIES_MAX 1024
/* DER nesting the decoders descend into, at most (a PIN entry is the
 * deepest: entry, [1], PinAttributes, path = 4). The generic walker
 * scm_p15_der_check refuses deeper input. */
#define P15_DEPTH_MAX 8

/* The PKCS#15 application's AID (ISO/IEC 7816-15, OpenSC's default). */
#define P15_AID_BYTES 0xA0, 0x00, 0x00, 0x00, 0x63, 0x50, 0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35
#define P15_AID_LEN 12

/* ---- The DER reader --------------------------------------------------- */

/* The unread rest of a buffer. A reader never points outside the buffer it
 * was made from. */
struct p15_der {
    const uint8_t *p;
    size_t n;
};

/* One TLV: tag is the identifier octets big-endian (0x30, 0xA1, 0x5F20; at
 * most 3 octets), v/len its value inside the reader's buffer, raw/raw_len
 * the whole TLV. */
struct p15_tlv {
    uint32_t tag;
    const uint8_t *v;
    size_t len;
    const uint8_t *raw;
    size_t raw_len;
};

static inline struct p15_der scm_p15_der(const uint8_t *p, size_t n)
{
    struct p15_der r = {p, n};
    return r;
}

/* Is the tag (identifier octets as in p15_tlv) constructed? The first
 * octet says. */
static inline bool scm_p15_constructed(uint32_t tag)
{
    while (tag > 0xFF)
        tag >>= 8;
    return (tag & 0x20) != 0;
}

/* The TLV's value as a new reader (to walk a constructed value). */
static inline struct p15_der scm_p15_der_in(const struct p15_tlv *t)
{
    struct p15_der r = {t->v, t->len};
    return r;
}

/* The next TLV. SCM_OK; SCM_E_NOT_FOUND at the end: no bytes left, or a
 * padding byte (00 or FF) where a tag would start — PKCS#15 files are
 * fixed-size EFs padded after the last entry; SCM_E_CARD_LAYOUT for a tag
 * or length that is malformed (indefinite length, a length of more than 4
 * octets, a length past the end, a tag of more than 3 octets). d says
 * where: "at byte N". */
int scm_p15_der_next(struct p15_der *r, struct p15_tlv *t, struct scm_detail *d);

/* The next TLV, which must have this tag: SCM_OK, SCM_E_NOT_FOUND (at the
 * end or another tag follows; r is not moved), SCM_E_CARD_LAYOUT. */
int scm_p15_der_take(struct p15_der *r, uint32_t tag, struct p15_tlv *t, struct scm_detail *d);

/* The whole buffer is well-formed DER up to the padding, nested at most
 * P15_DEPTH_MAX deep (constructed tags are walked, with an explicit stack).
 * *used: the bytes before the padding. */
int scm_p15_der_check(const uint8_t *buf, size_t len, size_t *used, struct scm_detail *d);

/* Primitive values. Each checks the length (INTEGER: 1..4 octets, so the
 * value fits; BIT STRING: the unused-bits octet and at most 4 value
 * octets). A BIT STRING comes out as OpenSC reads it: ASN.1 bit i (from the
 * most significant bit of the first octet) is bit i of the value. */
int scm_p15_der_int(const struct p15_tlv *t, int32_t *v, struct scm_detail *d);
int scm_p15_der_bits(const struct p15_tlv *t, uint32_t *v, struct scm_detail *d);
int scm_p15_der_bool(const struct p15_tlv *t, bool *v, struct scm_detail *d);

/* ---- Common pieces ------------------------------------------------------ */

struct p15_text {
    char s[P15_LABEL_MAX + 1]; /* raw bytes from the card, NUL-terminated */
    size_t len;                /* bytes kept (a NUL inside cuts s for C) */
    bool truncated;
};

struct p15_bytes {
    uint8_t v[P15_ID_MAX];
    size_t len;
};

/* Path ::= SEQUENCE { efidOrPath OCTET STRING, index INTEGER OPTIONAL,
 * length [0] INTEGER OPTIONAL }. An absolute path starts with 3F00; a
 * relative one is an FID (or FIDs) below the PKCS#15 DF. */
struct p15_path {
    uint8_t v[P15_PATH_MAX];
    size_t len;
    bool has_range; /* index/length given: a part of a bigger EF */
    int32_t index;
    int32_t count;
};

/* A path as the agent selects it: an absolute path (3F00...) as given; a
 * relative one (an FID or FIDs without 3F00) below the application's DF
 * app (absolute, e.g. EF.DIR's 3F005015). Then as file IDs after the MF
 * (for SELECT by path from the MF, P1=08): 3F0050154404 -> 5015, 4404.
 * SCM_E_CARD_LAYOUT for an odd length, an empty path, a result over
 * P15_PATH_MAX bytes, or more than cap FIDs. */
int scm_p15_path_fids(const struct p15_path *app, const struct p15_path *p, uint16_t *fids,
                      size_t cap, size_t *n);

/* ---- EF.DIR (2F00): the applications ------------------------------------ */

struct p15_app {
    uint8_t aid[P15_PATH_MAX]; /* 4F */
    size_t aid_len;
    struct p15_text label; /* 50 (optional) */
    struct p15_path path;  /* 51 (optional; path.len 0 when absent) */
};

/* EF.DIR's application templates (61 { 4F, 50, 51, ... }), transparent
 * (several templates, then padding) or one record of a record EF. At most
 * cap apps; more is SCM_E_CARD_LAYOUT. Other tags inside a template (53
 * discretionary data, 73) are skipped. */
int scm_p15_dir_decode(const uint8_t *buf, size_t len, struct p15_app *apps, size_t cap, size_t *n,
                       struct scm_detail *d);

/* ---- ODF (5031): where the directory files are --------------------------- */

/* The ODF's choices, numbered by their context tag A0..A8. */
enum p15_df_kind {
    P15_PRKDF = 0,
    P15_PUKDF = 1,
    P15_PUKDF_TRUSTED = 2,
    P15_SKDF = 3,
    P15_CDF = 4,
    P15_CDF_TRUSTED = 5,
    P15_CDF_USEFUL = 6,
    P15_DODF = 7,
    P15_AODF = 8,
};

struct p15_odf_entry {
    enum p15_df_kind kind;
    struct p15_path path;
};

/* The ODF: [n] { path } for each directory file. Objects given inline in
 * the ODF ([n] { [0] ... }) are not supported: SCM_E_NOT_SUPPORTED. */
int scm_p15_odf_decode(const uint8_t *buf, size_t len, struct p15_odf_entry *out, size_t cap,
                       size_t *n, struct scm_detail *d);

/* ---- TokenInfo (5032) ----------------------------------------------------- */

#define P15_TOKEN_READONLY 0x01
#define P15_TOKEN_LOGIN_REQUIRED 0x02
#define P15_TOKEN_PRN_GENERATION 0x04
#define P15_TOKEN_EID_COMPLIANT 0x08

struct p15_tokeninfo {
    int32_t version; /* 0 = v1 */
    uint8_t serial[P15_SERIAL_MAX];
    size_t serial_len;
    struct p15_text manufacturer; /* 0C, optional */
    struct p15_text label;        /* [0] 80, or a second 0C; optional */
    uint32_t flags;               /* P15_TOKEN_* */
    char last_update[32];         /* [5] { GeneralizedTime } as given, or "" */
};

int scm_p15_tokeninfo_decode(const uint8_t *buf, size_t len, struct p15_tokeninfo *ti,
                             struct scm_detail *d);

/* ---- Directory-file entries ------------------------------------------------ */

/* CommonObjectFlags */
#define P15_OBJ_PRIVATE 0x01
#define P15_OBJ_MODIFIABLE 0x02

/* KeyUsageFlags, as OpenSC numbers them */
#define P15_USAGE_ENCRYPT 0x001
#define P15_USAGE_DECRYPT 0x002
#define P15_USAGE_SIGN 0x004
#define P15_USAGE_SIGNRECOVER 0x008
#define P15_USAGE_WRAP 0x010
#define P15_USAGE_UNWRAP 0x020
#define P15_USAGE_VERIFY 0x040
#define P15_USAGE_VERIFYRECOVER 0x080
#define P15_USAGE_DERIVE 0x100
#define P15_USAGE_NONREPUDIATION 0x200

/* KeyAccessFlags */
#define P15_ACCESS_SENSITIVE 0x01
#define P15_ACCESS_EXTRACTABLE 0x02
#define P15_ACCESS_ALWAYSSENSITIVE 0x04
#define P15_ACCESS_NEVEREXTRACTABLE 0x08
#define P15_ACCESS_LOCAL 0x10

/* PinFlags */
#define P15_PIN_CASE_SENSITIVE 0x0001
#define P15_PIN_LOCAL 0x0002
#define P15_PIN_CHANGE_DISABLED 0x0004
#define P15_PIN_UNBLOCK_DISABLED 0x0008
#define P15_PIN_INITIALIZED 0x0010
#define P15_PIN_NEEDS_PADDING 0x0020
#define P15_PIN_UNBLOCKING_PIN 0x0040
#define P15_PIN_SO_PIN 0x0080
#define P15_PIN_DISABLE_ALLOWED 0x0100
#define P15_PIN_INTEGRITY_PROTECTED 0x0200
#define P15_PIN_CONFIDENTIALITY_PROTECTED 0x0400
#define P15_PIN_EXCHANGE_REF_DATA 0x0800

/* PinType */
enum p15_pin_type {
    P15_PIN_BCD = 0,
    P15_PIN_ASCII_NUMERIC = 1,
    P15_PIN_UTF8 = 2,
    P15_PIN_HALF_NIBBLE_BCD = 3,
    P15_PIN_ISO9564_1 = 4,
};

/* The entry's own tag in its directory file (the CHOICE): for keys 30 RSA,
 * A0 EC, A1 DH, A2 DSA, A3 KEA; for certificates 30 X.509, A0 attribute
 * certificate, A1 SPKI, ...; for data objects 30 opaque, A0 external, A1
 * OID; for authentication objects 30 PIN, A0 biometric, A1 auth key, A2
 * external. Only the class attributes common to a kind are decoded for
 * the choices not named in the fields below. */
struct p15_obj {
    enum p15_df_kind df;
    uint32_t choice;
    /* CommonObjectAttributes */
    struct p15_text label;
    uint32_t flags; /* P15_OBJ_* */
    struct p15_bytes auth_id;
    /* class attributes: iD for keys and certificates, authId for PINs */
    struct p15_bytes id;
    /* the value: a path (optionally a part of an EF), or inline bytes
     * (direct [0]; pointers into the decoded buffer) */
    bool has_path;
    struct p15_path path;
    const uint8_t *direct;
    size_t direct_len;
    /* certificates */
    bool authority;
    /* data objects */
    struct p15_text app_name;
    uint8_t app_oid[P15_OID_MAX];
    size_t app_oid_len; /* 0: none */
    /* keys */
    uint32_t usage;   /* P15_USAGE_* */
    uint32_t access;  /* P15_ACCESS_* */
    bool native;      /* DEFAULT TRUE */
    int32_t key_ref;  /* -1: none */
    int32_t key_bits; /* modulusLength (RSA) or the field size (EC); 0: not given */
    /* PINs */
    uint32_t pin_flags;                   /* P15_PIN_* */
    int32_t pin_type;                     /* enum p15_pin_type, -1 not given */
    int32_t min_len, stored_len, max_len; /* -1: not given */
    int32_t pin_ref;                      /* -1: none */
    bool has_pad;
    uint8_t pad_char;
};

/* A directory file of this kind: its entries, up to the padding, in *objs
 * (one malloc the caller frees; NULL when there are none). At most
 * P15_DF_ENTRIES_MAX entries. SCM_E_CARD_LAYOUT for a malformed entry (d
 * says which, by number and byte offset), SCM_E_NOMEM. Pointers in the
 * entries (direct values) point into buf. */
int scm_p15_df_decode(enum p15_df_kind kind, const uint8_t *buf, size_t len, struct p15_obj **objs,
                      size_t *n, struct scm_detail *d);

/* One entry of a directory file of this kind, from the whole TLV. */
int scm_p15_obj_decode(enum p15_df_kind kind, const struct p15_tlv *t, struct p15_obj *o,
                       struct scm_detail *d);

/* An OBJECT IDENTIFIER's dotted form ("1.3.6.1.4.1.99999.1") into out (cap
 * bytes). SCM_E_CARD_LAYOUT for a malformed encoding, SCM_E_LIMIT when an
 * arc exceeds 32 bits or out is too small. */
int scm_p15_oid_str(const uint8_t *oid, size_t len, char *out, size_t cap);
/* The reverse, for the encoder: "1.2.3" to DER value bytes. SCM_E_INVAL. */
int scm_p15_oid_parse(const char *s, uint8_t *oid, size_t cap, size_t *len);

/* ---- Encoders of new entries ---------------------------------------------- */

/* A certificate entry for a CDF, exactly as pkcs15-init --store-certificate
 * writes it: 30 { 30 { 0C label, 03 flags, [04 authId] },
 * 30 { 04 iD, [01 FF authority] }, A1 { 30 { 30 { 04 path } } } }.
 * Empty label, zero flags, empty authId and authority false are left out
 * (the DER defaults). SCM_E_INVAL for an id or path of 0 bytes or over the
 * limits, SCM_E_LIMIT when out (cap bytes) is too small. */
struct p15_cert_new {
    const char *label; /* NULL or "": none */
    uint32_t flags;    /* P15_OBJ_* */
    const uint8_t *auth_id;
    size_t auth_id_len;
    const uint8_t *id;
    size_t id_len;
    bool authority;
    const uint8_t *path;
    size_t path_len;
};
int scm_p15_cdf_entry_encode(const struct p15_cert_new *c, uint8_t *out, size_t cap, size_t *len);

/* An opaque data-object entry for a DODF, as pkcs15-init --store-data
 * writes it: 30 { 30 { 0C label, 03 flags, [04 authId] },
 * 30 { [0C application name], [06 application OID] },
 * A1 { 30 { 04 path } } }. app_oid is the OID's DER value bytes
 * (scm_p15_oid_parse). Errors as for the certificate entry. */
struct p15_data_new {
    const char *label;
    uint32_t flags;
    const uint8_t *auth_id;
    size_t auth_id_len;
    const char *app_name; /* NULL or "": none */
    const uint8_t *app_oid;
    size_t app_oid_len;
    const uint8_t *path;
    size_t path_len;
};
int scm_p15_dodf_entry_encode(const struct p15_data_new *o, uint8_t *out, size_t cap, size_t *len);

/* An ODF entry pointing at a directory file: [kind] { 30 { 04 path } }, as
 * pkcs15-init adds one when it creates a CDF or DODF on first use (its
 * empty layout lists the AODF alone). */
int scm_p15_odf_entry_encode(enum p15_df_kind kind, const uint8_t *path, size_t path_len,
                             uint8_t *out, size_t cap, size_t *len);

/* Where a new entry goes in a directory file's (or the ODF's) content:
 * *off = the end of the last entry (the padding starts there). SCM_E_CARD_FULL when
 * entry_len bytes do not fit in the file's len bytes (the EF has a fixed
 * size), SCM_E_CARD_LAYOUT when the content is malformed. */
int scm_p15_df_append_at(const uint8_t *buf, size_t len, size_t entry_len, size_t *off,
                         struct scm_detail *d);

#endif
