/* scmgr — the object model shared by card agents, VSCs and the smart card
 * API: what an object is, whatever card or file holds it.
 *
 * An object has a class (what it is to a cryptographic program: PKCS#11's
 * CKO_*), a type (the patent's kinds: business card, URL, login, note),
 * a label, a reference that belongs to the agent that listed it (a file
 * path, a data-object tag, a key slot: opaque above the agents), an id
 * pairing a certificate with its key (PKCS#11's CKA_ID), the credentials
 * guarding its reading and writing, and for keys the key's facts.
 *
 * The patent's three areas (Fig. 1) remain the storage classes of a VSC
 * and the UI's grouping: scm_obj_area() derives one from the rest.
 *
 * This header sits below agent.h, vsc.h and card.h and includes nothing
 * of theirs. */
#ifndef SCMGR_OBJECT_H
#define SCMGR_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Limits (doc/vsc-format.md, "Limits") -------------------------------- */
#define SCM_OBJ_LABEL_MAX 128        /* bytes of UTF-8, object label */
#define SCM_OBJ_SIZE_MAX (1u << 20)  /* bytes per object */
#define SCM_SRC_PATH_MAX 64          /* bytes, an object's reference on its card */
#define SCM_SRC_ATTR_MAX 64          /* bytes, an object's attributes on its card */
#define SCM_OBJ_ID_MAX 32            /* bytes of a CKA_ID */
#define SCM_OBJ_GROUP_MAX 48         /* bytes, the card's own grouping ("Slot 9A") */
#define SCM_CRED_MAX 8               /* credentials per card */
#define SCM_CRED_LABEL_MAX 48

enum scm_area { SCM_AREA_PUBLIC = 0, SCM_AREA_PRIVATE = 1, SCM_AREA_SECRET = 2 };
#define SCM_AREA_COUNT 3

/* The patent's object types. Types 1-4 name a class of their own; the
 * others are data objects of a kind the UI knows how to show. */
enum scm_obj_type {
    SCM_OBJ_CERT = 1,
    SCM_OBJ_PRIVKEY = 2,
    SCM_OBJ_PUBKEY = 3,
    SCM_OBJ_SECRETKEY = 4,
    SCM_OBJ_DATA = 5,
    SCM_OBJ_BUSINESS_CARD = 6,
    SCM_OBJ_URL = 7,
    SCM_OBJ_LOGIN = 8,
    SCM_OBJ_NOTE = 9,
};

enum scm_obj_class {
    SCM_CLASS_DATA = 0,
    SCM_CLASS_CERT = 1,
    SCM_CLASS_PUBKEY = 2,
    SCM_CLASS_PRIVKEY = 3,
    SCM_CLASS_SECRETKEY = 4,
};

/* Names used on the command line and in --json ("public", "certificate", ...).
 * The parsers return a negative error for an unknown name. */
const char *scm_area_name(enum scm_area a);
int scm_area_parse(const char *name);
const char *scm_obj_type_name(enum scm_obj_type t);
int scm_obj_type_parse(const char *name);
enum scm_obj_class scm_obj_type_class(enum scm_obj_type t);
const char *scm_obj_class_name(enum scm_obj_class c);

/* ---- Keys ------------------------------------------------------------------ */
enum scm_key_alg {
    SCM_KEY_NONE = 0,
    SCM_KEY_RSA = 1,
    SCM_KEY_EC_P256 = 2,
    SCM_KEY_EC_P384 = 3,
    SCM_KEY_EC_P521 = 4,
    SCM_KEY_ED25519 = 5,
    SCM_KEY_X25519 = 6,
    SCM_KEY_3DES = 7,
    SCM_KEY_AES = 8,
};
const char *scm_key_alg_name(enum scm_key_alg a);

/* What a key may be used for (PKCS#11's CKA_SIGN, CKA_DECRYPT, ...). */
#define SCM_KEY_USE_SIGN 0x01
#define SCM_KEY_USE_DECRYPT 0x02
#define SCM_KEY_USE_DERIVE 0x04 /* ECDH */
#define SCM_KEY_USE_AUTH 0x08   /* internal authenticate (OpenPGP AUT, PIV 9A/9E) */

struct scm_key_facts {
    enum scm_key_alg alg;
    unsigned bits;      /* modulus or field size; 0 unknown */
    unsigned usage;     /* SCM_KEY_USE_* */
    bool extractable;   /* the holder will ever release the private part */
    bool generated;     /* generated where it lives (never seen outside) */
};

/* Mechanisms of the key operations (PKCS#11's CKM_*). The caller hashes;
 * the agent pads where the card wants raw input. */
enum scm_mech {
    SCM_MECH_RSA_PKCS = 1,   /* PKCS#1 v1.5, input a DigestInfo */
    SCM_MECH_RSA_RAW = 2,    /* X.509: input as long as the modulus */
    SCM_MECH_RSA_PSS = 3,
    SCM_MECH_ECDSA = 4,      /* input a hash, output r||s */
    SCM_MECH_ECDH = 5,       /* input the peer's point, output the shared secret */
    SCM_MECH_RSA_OAEP = 6,
};

/* ---- Credentials ------------------------------------------------------------
 * Whatever a card checks before it lets something happen: PINs, PUKs, an
 * admin PIN (OpenPGP PW3), a PIV card management key, a VSC password. The
 * card API refers to them by their index in the card's list. */
enum scm_cred_kind {
    SCM_CRED_PIN = 1,       /* the user PIN (PIV 80, OpenPGP PW1) */
    SCM_CRED_PUK = 2,       /* unblocks the PIN (PIV 81, OpenPGP resetting code) */
    SCM_CRED_ADMIN = 3,     /* an administrator PIN (OpenPGP PW3, PKCS#15 SO PIN) */
    SCM_CRED_MGMT_KEY = 4,  /* a symmetric key proved by challenge (PIV 9B) */
    SCM_CRED_PASSWORD = 5,  /* a VSC's password */
};
const char *scm_cred_kind_name(enum scm_cred_kind k);

struct scm_cred {
    enum scm_cred_kind kind;
    char label[SCM_CRED_LABEL_MAX]; /* "PIN", "Admin PIN (PW3)": sanitise before display */
    int tries_left;  /* -1 unknown; 0 blocked */
    int tries_max;   /* -1 unknown */
    unsigned min_len, max_len; /* bytes; 0 unknown (a key: its length) */
    bool verified;   /* verified on this connection, as far as the card says */
    int unblock_by;  /* index of the credential that unblocks it, -1 none */
    bool hex;        /* entered as hex (a management key), else as text */
};

/* The credential an object needs: an index into the card's list, or: */
#define SCM_CRED_NONE (-1)  /* anyone may */
#define SCM_CRED_NEVER (-2) /* nobody may (a private key's bytes) */

/* ---- The object ------------------------------------------------------------ */

/* A reference on a card: a printable string the agent made and alone
 * understands ("3F00/5C00/5C01/6001", "5FC105", "7F21#2", "slot 9A").
 * Kept in a VSC as the object's source path, so a restore finds its place. */
struct scm_obj_ref {
    char s[SCM_SRC_PATH_MAX];
};

struct scm_object {
    enum scm_obj_class cls;
    enum scm_obj_type type;
    char label[SCM_OBJ_LABEL_MAX + 1]; /* as stored: sanitise before display */
    struct scm_obj_ref ref;
    uint8_t id[SCM_OBJ_ID_MAX];        /* CKA_ID: a certificate and its key share it */
    size_t id_len;
    char group[SCM_OBJ_GROUP_MAX];     /* the card's own structure ("Slot 9A", "Private DOs") */
    int read_cred;                     /* SCM_CRED_NONE, SCM_CRED_NEVER or an index */
    int write_cred;
    size_t size;                       /* bytes; 0 unknown (not read yet) */
    bool present;                      /* false: a place the card has, empty now */
    struct scm_key_facts key;          /* keys only */
    uint8_t attrs[SCM_SRC_ATTR_MAX];   /* the agent's own attributes (an FCP) */
    size_t attrs_len;
};

/* A new object, to add to a VSC or write to a card. data/len are copied. */
struct scm_obj_new {
    const char *label;
    enum scm_obj_type type;
    enum scm_area area;
    const uint8_t *data;
    size_t len;
    const char *src_path;     /* may be NULL */
    const uint8_t *src_attrs; /* may be NULL */
    size_t src_attrs_len;
};

/* The patent's area of an object: secret for what nobody may read (a key
 * its holder never releases), private for what needs a credential to
 * read, public otherwise. */
enum scm_area scm_obj_area(const struct scm_object *o);
/* A key the holder never releases: listed, its public part maybe, never
 * its bytes. */
bool scm_obj_sealed(const struct scm_object *o);

#endif
