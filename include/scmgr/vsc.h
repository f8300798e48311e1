/* scmgr — the VSC control program: virtual smart cards and their store.
 *
 * A VSC is one file (format: doc/vsc-format.md) holding a copy of a real
 * card's logical structure and objects in three areas: public (readable
 * without the password, integrity verified once unlocked), private
 * (AES-256-GCM, needs the password) and secret key (AES-256-GCM; never
 * returned in the clear by any function here).
 *
 * Threading: a handle is used by one thread at a time. Blocking: functions
 * that touch the disk block; scm_vsc_unlock, scm_vsc_create and
 * scm_vsc_passwd do PBKDF2 work (about 0.5 s at the default).
 * Errors: negative scm_err codes; functions taking `struct scm_detail *d`
 * fill it (if not NULL) with one sentence naming the file and the problem. */
#ifndef SCMGR_VSC_H
#define SCMGR_VSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "scmgr/config.h"
#include "scmgr/object.h"
#include "scmgr/util.h"

/* ---- Limits (doc/vsc-format.md, "Limits"); object limits in object.h ------ */
#define SCM_VSC_UID_MAX 32           /* bytes, [0-9A-Za-z._-], not starting with '.' */
#define SCM_VSC_LABEL_MAX 64         /* bytes of UTF-8, VSC label */
#define SCM_OBJ_MAX 4096             /* objects per VSC, all areas */
#define SCM_VSC_FILE_MAX (64u << 20) /* bytes per VSC file */
#define SCM_ATR_MAX 33

/* The real card a VSC was copied from; every member may be empty. */
struct scm_vsc_source {
    char reader[128];
    uint8_t atr[SCM_ATR_MAX];
    size_t atr_len;
    char agent[32];
    char serial[64];
    char label[SCM_VSC_LABEL_MAX + 1];
};

/* A snapshot of the header; valid without the password. */
struct scm_vsc_info {
    char uid[SCM_VSC_UID_MAX + 1];
    char label[SCM_VSC_LABEL_MAX + 1]; /* as stored: sanitise before display */
    int64_t created;                   /* unix seconds */
    int64_t modified;
    uint64_t generation;
    bool disabled;
    uint32_t kdf_iterations;
    size_t count[SCM_AREA_COUNT]; /* objects per area, from the structure */
    struct scm_vsc_source source;
    bool unlocked;
    bool public_verified; /* public area MAC checked (needs unlock) */
    bool dirty;           /* unsaved changes */
    uint64_t file_size;
};

/* An object as listed. Strings point into the handle: valid until the next
 * change of the VSC or scm_vsc_close. label is as stored (sanitise before
 * display). */
struct scm_obj_info {
    uint32_t id;
    enum scm_obj_type type;
    enum scm_area area;
    const char *label;
    size_t size;
    const char *src_path;     /* path on the real card, "" if none */
    const char *group;        /* the card's own grouping ("Slot 9A"), "" if none */
    const uint8_t *src_attrs; /* file attributes on the real card */
    size_t src_attrs_len;
    bool sealed;   /* the bytes are never released: a secret-area key, or a key
                      a real card keeps (listed by name only) */
    bool verified; /* the content is known to be the owner's: a VSC's public
                      object only once the password checked the public area's
                      MAC (until then its checksums, which anyone can
                      recompute, are all that was checked); private and secret
                      objects always (they decrypt only when authentic); a
                      real card's objects always (read from the card itself,
                      there is no file anyone could have edited) */
};

struct scm_store;
struct scm_vsc;

/* ---- The store ------------------------------------------------------------
 * A directory (created 0700) holding UID.vsc files (0600), their previous
 * versions UID.vsc.bak, and lock files .UID.lock. */
int scm_store_open(const char *dir, const struct scm_policy *pol, struct scm_store **out,
                   struct scm_detail *d);
void scm_store_close(struct scm_store *st);
const char *scm_store_dir(const struct scm_store *st);

/* One row of a listing: headers only, no KDF work. A file that fails the
 * header check is still listed, with err < 0 and why filled in. */
struct scm_store_entry {
    struct scm_vsc_info info;
    int err;
    char why[SCM_DETAIL_MAX];
};
/* List every VSC in the store, sorted by UID. *out is malloc'd: free with
 * free(). Returns SCM_OK or an error for the directory itself. */
int scm_store_list(struct scm_store *st, struct scm_store_entry **out, size_t *n);
/* Delete a VSC (and its backup copy). */
int scm_store_remove(struct scm_store *st, const char *uid, struct scm_detail *d);
/* Validate a VSC file anywhere (header, lengths, checksum; the UID must not
 * exist in the store yet) and copy it into the store atomically. uid_out
 * receives its UID. A regular file only (a FIFO or device is refused
 * without being opened for long), and a file named X.vsc must hold UID X. */
int scm_store_import(struct scm_store *st, const char *path, char uid_out[SCM_VSC_UID_MAX + 1],
                     struct scm_detail *d);

/* Undo scm_vsc_create after a first backup failed: remove UID.vsc if it
 * is still exactly as created (generation 1, no objects), under its lock.
 * SCM_E_VSC_CONFLICT (and the file kept) if anything was saved into it. */
int scm_store_discard_new(struct scm_store *st, const char *uid, struct scm_detail *d);
/* Temporary files of vsc:UID left by saves that were killed (their process
 * is gone): how many, and the first one's name in first (may be NULL).
 * Only counts; the next save or open of the VSC removes them. */
unsigned scm_store_stale_temps(struct scm_store *st, const char *uid, char *first, size_t firstlen);
/* verify for a VSC of the store: as scm_vsc_verify_file, and the file
 * must hold the UID its name says (SCM_E_VSC_CORRUPT). Removes nothing. */
int scm_store_verify(struct scm_store *st, const char *uid, const char *pw, size_t pwlen,
                     struct scm_detail *d);

/* Is uid a valid VSC identifier? */
bool scm_vsc_uid_valid(const char *uid);

/* ---- Life cycle ------------------------------------------------------------ */

/* Create a new, enabled VSC in the store and save it. label NULL means
 * "VSC <uid>". src may be NULL. The new handle is unlocked. The password
 * must satisfy the policy (SCM_E_PW_WEAK). */
int scm_vsc_create(struct scm_store *st, const char *uid, const char *label,
                   const struct scm_vsc_source *src, const char *pw, size_t pwlen,
                   struct scm_vsc **out, struct scm_detail *d);

/* Open a VSC of the store: the header only (fast, no KDF), full file
 * consistency check (lengths, checksum). */
int scm_vsc_open(struct scm_store *st, const char *uid, struct scm_vsc **out, struct scm_detail *d);

/* Open a VSC file anywhere (for verify and import); read-only: save fails. */
int scm_vsc_open_file(const char *path, const struct scm_policy *pol, struct scm_vsc **out,
                      struct scm_detail *d);

/* Unlock with the password: derive the key, unwrap the data key (the AEAD
 * tag is the password check), verify the header MAC and every area.
 * SCM_E_BAD_PASSWORD on a wrong password, SCM_E_VSC_TAMPERED if the key
 * unwraps but a MAC fails, SCM_E_VSC_DISABLED if disabled (the password
 * is still checked first; see scm_vsc_enable). SCM_E_KDF_TOO_WEAK if the
 * file's iteration count is below the policy floor. */
int scm_vsc_unlock(struct scm_vsc *v, const char *pw, size_t pwlen, struct scm_detail *d);

/* Wipe every secret of the handle (keys, private area) and return to the
 * locked state. Unsaved changes are lost. */
void scm_vsc_lock(struct scm_vsc *v);

/* Wipe and free. Unsaved changes are lost. NULL is a no-op. */
void scm_vsc_close(struct scm_vsc *v);

void scm_vsc_get_info(const struct scm_vsc *v, struct scm_vsc_info *out);
const char *scm_vsc_path(const struct scm_vsc *v);

/* ---- Objects ----------------------------------------------------------------
 * The public area lists without the password; private and secret need
 * scm_vsc_unlock (SCM_E_VSC_LOCKED). Secret-area objects list by name only. */
/* The array belongs to the handle and stays valid until the next
 * scm_vsc_list call, a change of the VSC, or scm_vsc_close. */
int scm_vsc_list(struct scm_vsc *v, enum scm_area area, const struct scm_obj_info **out, size_t *n);
/* Find an object by exact label in any accessible area (SCM_E_NOT_FOUND). */
int scm_vsc_find(struct scm_vsc *v, const char *label, uint32_t *id);
int scm_vsc_get_obj(struct scm_vsc *v, uint32_t id, struct scm_obj_info *out);

/* Copy out an object's bytes into secure memory; free with scm_secure_free(*data, *len).
 * Secret-area objects: SCM_E_SECRET_AREA, always. */
int scm_vsc_read(struct scm_vsc *v, uint32_t id, uint8_t **data, size_t *len);

/* Changes are in memory until scm_vsc_save. Labels are unique per VSC
 * (SCM_E_EXISTS), valid UTF-8, 1..SCM_OBJ_LABEL_MAX bytes (SCM_E_BAD_LABEL).
 * Writing any area needs the unlocked handle. */
int scm_vsc_add(struct scm_vsc *v, const struct scm_obj_new *o, uint32_t *id_out);
int scm_vsc_replace(struct scm_vsc *v, uint32_t id, const uint8_t *data, size_t len);
int scm_vsc_rename(struct scm_vsc *v, uint32_t id, const char *label);
int scm_vsc_delete(struct scm_vsc *v, uint32_t id);
int scm_vsc_set_label(struct scm_vsc *v, const char *label);
int scm_vsc_set_source(struct scm_vsc *v, const struct scm_vsc_source *src);

/* The sentence explaining the last failure of a function above that takes
 * no `struct scm_detail *` (list ... set_source, read, sign); "" if none. */
const char *scm_vsc_last_detail(const struct scm_vsc *v);

/* ---- State and keys ------------------------------------------------------- */

/* Rewrap the data key under a new password (new salt, current policy's
 * iterations) and save. Needs the unlocked handle. */
int scm_vsc_passwd(struct scm_vsc *v, const char *newpw, size_t newlen, struct scm_detail *d);

/* Disable: needs the unlocked handle; saves. */
int scm_vsc_disable(struct scm_vsc *v, struct scm_detail *d);
/* Enable a disabled VSC: checks the password, saves, leaves it unlocked. */
int scm_vsc_enable(struct scm_vsc *v, const char *pw, size_t pwlen, struct scm_detail *d);

/* Save atomically (doc/vsc-format.md, "Saving"): generation + 1, fresh
 * salts and nonces, temp file, fsync, rename, fsync dir, read back and
 * verify, previous version kept as UID.vsc.bak. Takes the VSC's lock;
 * SCM_E_VSC_CONFLICT if another process saved a newer generation since
 * this handle was opened. Needs the unlocked handle. */
int scm_vsc_save(struct scm_vsc *v, struct scm_detail *d);

/* Copy the saved file to path through scm_outfile_write ("-" is standard
 * output; an existing regular file only with force; anything else at path
 * is refused and left alone). SCM_E_VSC_UNSAVED if the handle has unsaved
 * changes; SCM_E_POLICY if the policy forbids exporting a VSC whose
 * private or secret area holds objects. */
int scm_vsc_export(struct scm_vsc *v, const char *path, bool force, struct scm_detail *d);

/* The consistency check as a command: the whole file; with a password
 * also every MAC and tag. */
int scm_vsc_verify_file(const char *path, const struct scm_policy *pol, const char *pw,
                        size_t pwlen, struct scm_detail *d);

/* Sign data with a private key kept in the secret area (PKCS#8 DER or PEM),
 * inside the control program: the key is decoded into secure memory, used,
 * wiped. sig is malloc'd. */
int scm_vsc_sign(struct scm_vsc *v, uint32_t id, const uint8_t *data, size_t len, uint8_t **sig,
                 size_t *siglen);

/* ---- For tests and benchmarks only --------------------------------------
 * Fault injection for the save path: when set, the save fails with SCM_E_IO
 * at the given step (1 = open temp, 2 = write, 3 = fsync, 4 = rename,
 * 5 = fsync dir, 6 = read back). 0 disables. */
void scm_vsc_test_fail_at(struct scm_vsc *v, int step);

#endif
