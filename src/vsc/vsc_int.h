/* scmgr — internals shared by the files of the VSC control program.
 *
 * Not installed, not part of the API: only the files of src/vsc and the unit tests
 * (known-answer tests of the crypto wrappers) include it. */
#ifndef SCMGR_VSC_INT_H
#define SCMGR_VSC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scmgr/vsc.h"

/* ---- Format constants (doc/vsc-format.md) -------------------------------- */
#define VSC_MAGIC_LEN 8
extern const uint8_t vsc_magic[VSC_MAGIC_LEN];
#define VSC_MAJOR 1
#define VSC_MINOR 0
#define VSC_PREFIX 16 /* magic, versions, flags, H */
#define VSC_HASH 32
#define VSC_KEY 32
#define VSC_SALT 32
#define VSC_NONCE 12
#define VSC_TAG 16
#define VSC_WRAP_LEN (VSC_NONCE + VSC_KEY + VSC_TAG)
#define VSC_KDF_LEN (1 + 4 + VSC_SALT)
#define VSC_KDF_PBKDF2 1
#define VSC_HDR_MAX (1u << 20)
#define VSC_PW_MAX 1024
/* Unlock refuses iteration counts above this many times the policy floor
 * (not in doc/vsc-format.md yet; see vsc.c, unlock). */
#define VSC_KDF_MAX_FACTOR 10000u
#define VSC_MIN_FILE 16

enum vsc_tag {
    VSC_T_UID = 0x01,
    VSC_T_LABEL = 0x02,
    VSC_T_CREATED = 0x03,
    VSC_T_MODIFIED = 0x04,
    VSC_T_GENERATION = 0x05,
    VSC_T_STATE = 0x06,
    VSC_T_KDF = 0x07,
    VSC_T_WRAP = 0x08,
    VSC_T_SAVE_SALT = 0x09,
    VSC_T_SOURCE = 0x0A,
    VSC_T_STRUCTURE = 0x0B,
};

/* The header's values, decoded. */
struct vsc_hdr {
    char uid[SCM_VSC_UID_MAX + 1];
    char label[SCM_VSC_LABEL_MAX + 1];
    int64_t created;
    int64_t modified;
    uint64_t generation;
    uint8_t state; /* 0 enabled, 1 disabled */
    uint32_t iterations;
    uint8_t kdf_salt[VSC_SALT];
    uint8_t wrap[VSC_WRAP_LEN];
    uint8_t save_salt[VSC_SALT];
    struct scm_vsc_source src;
};

/* One STRUCTURE entry: where an object lives and where it came from. */
struct vsc_sent {
    uint32_t id;
    uint8_t area;
    uint8_t path_len;
    uint8_t attrs_len;
    char path[SCM_SRC_PATH_MAX + 1];
    uint8_t attrs[SCM_SRC_ATTR_MAX];
};

/* One record of an object list, pointing into the plaintext it came from. */
struct vsc_rec {
    uint32_t id;
    uint8_t type;
    uint16_t label_len;
    const uint8_t *label;
    uint32_t len;
    const uint8_t *data;
};

/* A whole file after steps 1–6 of the consistency check. Pointers go into
 * the caller's buffer; ents and pub are malloc'd (vsc_file_free). */
struct vsc_file {
    const uint8_t *buf;
    size_t len;
    size_t hlen; /* H */
    struct vsc_hdr hdr;
    struct vsc_sent *ents;
    size_t nents;
    size_t count[SCM_AREA_COUNT];
    const uint8_t *body[SCM_AREA_COUNT];
    size_t body_len[SCM_AREA_COUNT];
    struct vsc_rec *pub;
    size_t npub;
};

/* The per-save keys, derived from DK and SAVE_SALT; secure memory. */
struct vsc_keys {
    uint8_t hdr[VSC_KEY];
    uint8_t pub[VSC_KEY];
    uint8_t area[SCM_AREA_COUNT][VSC_KEY]; /* [1] private, [2] secret; [0] unused */
};

/* Decrypted private and secret areas (secure memory) and their records. */
struct vsc_plain {
    uint8_t *p[SCM_AREA_COUNT];
    size_t plen[SCM_AREA_COUNT];
    struct vsc_rec *recs[SCM_AREA_COUNT];
    size_t nrecs[SCM_AREA_COUNT];
};

/* An object held by a handle. buf holds label, NUL, data; it is secure
 * memory for the private and secret areas. loaded is false for private and
 * secret objects while the handle is locked (only the structure is known). */
struct vsc_obj {
    struct vsc_sent s;
    uint8_t type;
    bool loaded;
    uint8_t *buf;
    size_t buf_len;
    size_t label_len;
    size_t len;
};

static inline const char *vsc_obj_label(const struct vsc_obj *o) { return (const char *)o->buf; }
static inline const uint8_t *vsc_obj_data(const struct vsc_obj *o)
{
    return o->buf + o->label_len + 1;
}

/* ---- crypto.c: GnuTLS wrappers; every GnuTLS error becomes SCM_E_CRYPTO
 * (or SCM_E_NOMEM) here, and nowhere else. ---------------------------------- */
int vsc_sha256(const void *data, size_t len, uint8_t out[VSC_HASH]);
/* HMAC-SHA-256 over the concatenation of two buffers (b may be empty). */
int vsc_hmac2(const uint8_t *key, size_t keylen, const void *a, size_t alen, const void *b,
              size_t blen, uint8_t out[VSC_HASH]);
int vsc_pbkdf2(const void *pw, size_t pwlen, const uint8_t *salt, size_t saltlen, uint32_t iter,
               uint8_t *out, size_t outlen);
int vsc_hkdf_extract(const uint8_t *salt, size_t saltlen, const uint8_t *ikm, size_t ikmlen,
                     uint8_t prk[VSC_HASH]);
int vsc_hkdf_expand(const uint8_t prk[VSC_HASH], const void *info, size_t infolen, uint8_t *out,
                    size_t outlen);
/* AES-256-GCM. seal writes ptlen + 16 bytes (ciphertext ‖ tag); open takes
 * them and returns SCM_E_VSC_TAMPERED when the tag does not match. */
int vsc_gcm_seal(const uint8_t key[VSC_KEY], const uint8_t nonce[VSC_NONCE], const void *ad,
                 size_t adlen, const void *pt, size_t ptlen, uint8_t *out);
int vsc_gcm_open(const uint8_t key[VSC_KEY], const uint8_t nonce[VSC_NONCE], const void *ad,
                 size_t adlen, const uint8_t *ct, size_t ctlen, uint8_t *out);
int vsc_random(void *buf, size_t len, bool key);
bool vsc_ct_equal(const void *a, const void *b, size_t len);
/* The iteration count for a new password under pol (calibrated if the
 * policy does not set one). */
uint32_t vsc_kdf_iterations(const struct scm_policy *pol);
/* The lowest iteration count pol accepts when opening. */
uint32_t vsc_kdf_floor(const struct scm_policy *pol);
/* K_hdr, K_pub, K_priv, K_sec from DK and SAVE_SALT. */
int vsc_derive_keys(const uint8_t dk[VSC_KEY], const uint8_t salt[VSC_SALT], struct vsc_keys *k);
/* Sign with a PKCS#8 (DER or PEM) private key; *sig is malloc'd. */
int vsc_sign_pkcs8(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
                   uint8_t **sig, size_t *siglen);

/* ---- names.c ------------------------------------------------------------- */
/* Valid UTF-8 (no overlongs, surrogates) without NUL bytes. */
bool vsc_utf8_valid(const uint8_t *s, size_t len);
bool vsc_path_valid(const char *p, size_t len);

/* ---- codec.c ------------------------------------------------------------- */
/* Steps 1–6 of the consistency check on a whole file in memory. */
int vsc_parse_file(const char *path, const uint8_t *buf, size_t len, struct vsc_file *f,
                   struct scm_detail *d);
void vsc_file_free(struct vsc_file *f);
/* Steps 1–4 from the first 16 + H + 32 bytes; file_size is the real size. */
int vsc_parse_header_only(const char *path, const uint8_t *buf, size_t len, uint64_t file_size,
                          struct vsc_hdr *h, size_t count[SCM_AREA_COUNT],
                          struct scm_detail *d);
/* Step 5 short of the file checksum: the area sections' ids, their lengths
 * against their fixed overhead, and the total against file_size (no missing,
 * no trailing byte). peek fetches the 5-byte section header at off (false:
 * it could not be read), so that a listing reads 15 bytes, not the file.
 * body_off/body_len receive where each body lies. */
typedef bool (*vsc_peek_fn)(void *ctx, uint64_t off, uint8_t out[5]);
int vsc_check_sections(const char *path, size_t hlen, uint64_t file_size, vsc_peek_fn peek,
                       void *ctx, uint64_t body_off[SCM_AREA_COUNT],
                       size_t body_len[SCM_AREA_COUNT], struct scm_detail *d);
/* H from the first 16 bytes (0 if they are not a VSC prefix). */
size_t vsc_prefix_hlen(const uint8_t *buf, size_t len);
/* Step 7 after the data key is known: MACs, tags, object lists, labels. */
int vsc_verify_keyed(const char *path, const struct vsc_file *f, const uint8_t dk[VSC_KEY],
                     struct vsc_plain *out, struct scm_detail *d);
void vsc_plain_free(struct vsc_plain *pl);
/* WRAP = nonce ‖ GCM(KEK, nonce, AD_wrap, DK) ‖ tag, and its inverse.
 * unwrap returns SCM_E_BAD_PASSWORD when the tag does not match. */
int vsc_wrap_dk(const struct vsc_hdr *h, const uint8_t kek[VSC_KEY], const uint8_t dk[VSC_KEY],
                uint8_t wrap[VSC_WRAP_LEN]);
int vsc_unwrap_dk(const struct vsc_hdr *h, const uint8_t kek[VSC_KEY], uint8_t dk[VSC_KEY]);
/* The exact size of the file these objects would make. */
uint64_t vsc_file_size(const struct vsc_hdr *h, const struct vsc_obj *objs, size_t n);
/* Build a whole file (h's SAVE_SALT and generation as given). */
int vsc_serialise(const char *path, const struct vsc_hdr *h, const struct vsc_obj *objs,
                  size_t n, const uint8_t dk[VSC_KEY], uint8_t **out, size_t *outlen,
                  struct scm_detail *d);

/* ---- store.c: file helpers ----------------------------------------------- */
struct scm_store {
    char *dir;
    int dfd;
    struct scm_policy pol;
};
/* Read a whole VSC file (at most the file size limit) into malloc'd memory. */
int vsc_read_all_at(int dfd, const char *name, const char *path, uint8_t **buf, size_t *len,
                    struct scm_detail *d);
/* Read and check just the header (two reads); with sections, also that the
 * area sections add up to the file's size (three more reads of 5 bytes:
 * vsc_check_sections), which is what the listing shows of a file's damage
 * without reading it whole. */
int vsc_read_header_at(int dfd, const char *name, const char *path, bool sections,
                       struct vsc_hdr *h, size_t count[SCM_AREA_COUNT], uint64_t *size,
                       struct scm_detail *d);
int vsc_write_all(int fd, const uint8_t *buf, size_t len);
/* Take the exclusive per-VSC lock; returns the fd to close, or < 0. */
int vsc_lock_uid(int dfd, const char *uid);
/* The same without waiting: < 0 if another process holds it. */
int vsc_lock_uid_try(int dfd, const char *uid);
/* Remove the lock file and release the lock fd (the VSC was deleted). */
void vsc_unlock_remove(int dfd, const char *uid, int fd);
/* Temporary files of UID.vsc and UID.vsc.bak left by processes that are
 * gone (a save killed with SIGKILL): count them, and with remove delete
 * them. Call with the UID's lock held when removing. The first one's name
 * goes to first (may be NULL). */
unsigned vsc_stale_temps(int dfd, const char *uid, bool remove, char *first, size_t firstlen);
/* A file name that says UID.vsc must hold that UID: a file BBB.vsc with
 * UID AAA inside is a damaged store entry, never VSC BBB. name is the last
 * part of path; a name that is not "<valid UID>.vsc" passes. */
int vsc_check_name(const char *path, const char *name, const char *uid, struct scm_detail *d);

/* ---- vsc.c / save.c ------------------------------------------------------ */
struct scm_vsc {
    char *path;          /* the file */
    int dfd;             /* the store directory, or -1 (open_file: read-only) */
    char *dir;
    struct scm_policy pol;
    struct vsc_hdr hdr;
    uint8_t *raw; /* the file as last loaded or saved: no plaintext secrets */
    size_t raw_len;
    struct vsc_obj *objs; /* sorted by id */
    size_t nobj;
    size_t cap;
    uint8_t *dk; /* secure, NULL while locked */
    bool public_verified;
    bool dirty;
    int fail_at;
    struct scm_obj_info *listing;
    char last[SCM_DETAIL_MAX];
};

/* Replace the handle's objects and header by those of v->raw (locked). */
int vsc_load_raw(struct scm_vsc *v, struct scm_detail *d);
void vsc_objs_clear(struct scm_vsc *v);
void vsc_info_from_hdr(const struct vsc_hdr *h, const size_t count[SCM_AREA_COUNT], uint64_t size,
                       struct scm_vsc_info *out);
/* Full check of v->raw with the data key, as after a save (no KDF). */
int vsc_verify_raw(const struct scm_vsc *v, const uint8_t *buf, size_t len, struct scm_detail *d);

#endif
