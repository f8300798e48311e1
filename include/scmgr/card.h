/* scmgr — the smart card API: one handle type over real cards and VSCs.
 *
 * The CLI and the UI talk only to this API (patent claim 4). A card is
 * named by a string: "vsc:UID" for a virtual smart card, anything else is
 * a reader: its index in `scmgr readers` or a unique part of its name.
 *
 * The API layer includes the VSC control program, the reader handler and
 * the card agency; it never includes the UI or the CLI. */
#ifndef SCMGR_CARD_H
#define SCMGR_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scmgr/reader.h"
#include "scmgr/vsc.h"

enum scm_card_kind { SCM_CARD_VSC = 1, SCM_CARD_REAL = 2 };

struct scm_card;

/* Everything a card operation needs from the outside. Either member may
 * be NULL when the caller only opens the other kind of card. */
struct scm_card_ctx {
    struct scm_store *store;
    const struct scm_policy *policy;
    struct scm_rd_ctx *readers;
};

/* Is name a VSC name ("vsc:UID")? */
bool scm_card_name_is_vsc(const char *name);

struct scm_card_info {
    enum scm_card_kind kind;
    char name[160]; /* "vsc:00001079", or the reader's name */
    char label[SCM_VSC_LABEL_MAX + 1];
    char serial[64]; /* the VSC's UID, or the card's serial */
    char agent[32];  /* real card: the agent's name */
    char type[64];   /* real card: what the agent says the card is */
    bool locked;     /* private area not yet unlocked */
    bool disabled;
    bool dirty;
    int pin_tries;                       /* real card: the user PIN's tries left, -1 if unknown */
    struct scm_cred creds[SCM_CRED_MAX]; /* real card: its credentials, as last asked */
    size_t n_creds;
    int write_cred; /* real card: the credential its changes need (an index into creds;
                       0 the PIN), -1 if none, SCM_CRED_NEVER if scmgr cannot change the
                       card at all (a CAC card); a VSC: -1 (the password unlocks all) */
    uint64_t generation;
    size_t count[SCM_AREA_COUNT];
    struct scm_vsc_source source; /* VSC: its source card; real card: itself */
};

/* Open a card by name. SCM_E_VSC_NOT_FOUND, SCM_E_NO_READER, SCM_E_NO_CARD,
 * SCM_E_NO_AGENT (a card no agent knows), SCM_E_CARD_BLANK (a card an agent
 * knows but that carries no layout yet), SCM_E_USAGE for a bad name. */
int scm_card_open(const struct scm_card_ctx *ctx, const char *name, struct scm_card **out,
                  struct scm_detail *d);
void scm_card_close(struct scm_card *c);
void scm_card_get_info(const struct scm_card *c, struct scm_card_info *out);

/* Unlock the private area with the PIN (real card) or password (VSC).
 * A real card with one try left answers SCM_E_PIN_LAST_TRY without using
 * it, unless scm_card_allow_last_try(c, true) was called. */
int scm_card_unlock(struct scm_card *c, const char *secret, size_t len, struct scm_detail *d);
void scm_card_allow_last_try(struct scm_card *c, bool allow);
/* Verify credential cred of a real card (an index into scm_card_info.creds;
 * 0 is the user PIN, as scm_card_unlock): an admin PIN, or a management
 * key given as its bytes. The same rules as the PIN: a blocked one is not
 * tried, the last try only when allowed. A VSC has credential 0 only. */
int scm_card_verify(struct scm_card *c, unsigned cred, const uint8_t *secret, size_t len,
                    struct scm_detail *d);
/* Does the card need unlocking before the private/secret areas or writes? */
bool scm_card_needs_unlock(const struct scm_card *c);

/* Objects in area order: public, then (when unlocked) private and secret.
 * The array points into the card: valid until the next change or close. */
int scm_card_list(struct scm_card *c, const struct scm_obj_info **out, size_t *n);
int scm_card_find(struct scm_card *c, const char *label, uint32_t *id);
/* The bytes, in secure memory: scm_secure_free(*data, *len). */
int scm_card_read(struct scm_card *c, uint32_t id, uint8_t **data, size_t *len,
                  struct scm_detail *d);
/* replace: overwrite the object with this label (same area; o->type 0
 * keeps its type, another type must match). o->type 0 for a new object
 * means data. */
int scm_card_write(struct scm_card *c, const struct scm_obj_new *o, bool replace, uint32_t *id_out,
                   struct scm_detail *d);
int scm_card_delete(struct scm_card *c, uint32_t id, struct scm_detail *d);
/* Persist pending changes (a VSC save; a no-op for real cards, which write
 * through). */
int scm_card_commit(struct scm_card *c, struct scm_detail *d);

/* ---- Changes made by other programs ------------------------------------------
 * Another program (another scmgr, a PKCS#11 tool) may change or reset a
 * real card while a handle is open on it; the handle's listing then goes
 * stale. scm_card_check asks the card and says what it found, as bits: */
#define SCM_CARD_CHANGED 1u   /* the objects changed: list again (ids are renewed) */
#define SCM_CARD_PIN_LOST 2u  /* the card no longer holds the verified PIN: unlock again */
#define SCM_CARD_WAS_RESET 4u /* another program reset the card (so the PIN is lost) */
/* A real card, in one transaction: the agent's `changed` when it has one;
 * else, for a card whose only credential is the PIN, the card is listed
 * again on a fresh agent state (scmgr's layout:
 * 5 APDUs, the credentials asked without spending a try, the card info,
 * both index slots; 11 where SFI reads fail) that replaces the old one
 * when the card changed. The PIN stays verified as long as the card holds
 * it (asked where the card answers an empty VERIFY with 9000 while it
 * does; else until a reset). Every write to a real card makes the same
 * check first, in its own transaction. A VSC: *what is 0 (its changes show
 * in the store: scm_store_list's generation). Blocks like every card
 * call, within the reader deadline. Other cards (PIV: PIN, PUK and a
 * management key) report only resets until their agent has `changed`. On
 * an error (SCM_E_CARD_REMOVED, ...) *what is 0 and the handle unchanged. */
int scm_card_check(struct scm_card *c, unsigned *what, struct scm_detail *d);

/* ---- Slots: every place a card can be opened from ----------------------------
 * What the UI's Readers pane shows: each PC/SC reader with the state of
 * its card, then each VSC of the store as a "Virtual Smart Card" reader.
 * Listing costs no KDF work; a present card is probed (a few APDUs) only
 * when its reader's event counter changed since the last listing. */
enum scm_slot_state {
    SCM_SLOT_EMPTY = 0,    /* reader without a card, or a disabled VSC */
    SCM_SLOT_CARD = 1,     /* a card an agent knows, or an enabled VSC */
    SCM_SLOT_IN_USE = 2,   /* a card held by another program */
    SCM_SLOT_NO_AGENT = 3, /* a card no agent knows (or a blank one) */
    SCM_SLOT_MUTE = 4,     /* a card that does not answer */
    SCM_SLOT_BROKEN = 5,   /* a VSC file that fails its header check */
};
struct scm_slot {
    enum scm_card_kind kind;
    char name[160];  /* what scm_card_open takes: "vsc:UID" or the reader's name */
    char title[160]; /* "VSC 00001079", or the reader's name */
    enum scm_slot_state state;
    bool disabled; /* VSC */
    char label[SCM_VSC_LABEL_MAX + 1];
    char serial[64];
    char agent[32];
    uint8_t atr[SCM_ATR_MAX]; /* a reader's card */
    size_t atr_len;
    char why[SCM_DETAIL_MAX]; /* no agent, broken file: one sentence */
};
struct scm_slots; /* the listing state between calls */
int scm_slots_new(struct scm_slots **out);
void scm_slots_free(struct scm_slots *s);
/* Readers first (pcscd's order), then VSCs by UID. A missing pcscd is not
 * an error here: *pcsc_err says why there are no readers (SCM_OK if
 * pcscd answered). The array lives until the next call. */
int scm_slots_list(struct scm_slots *s, const struct scm_card_ctx *ctx, const struct scm_slot **out,
                   size_t *n, int *pcsc_err, struct scm_detail *d);
/* Block until a reader or card changes or pcscd goes or returns, at most
 * timeout_ms: 1 changed, 0 timeout, < 0 error. VSC changes are the
 * caller's (it makes them). */
int scm_slots_wait(const struct scm_card_ctx *ctx, unsigned timeout_ms, struct scm_detail *d);

/* ---- Real cards only ------------------------------------------------------ */

/* Lay out a blank card in a reader with the named agent (NULL: the first
 * agent that can initialise cards). pin: the card's current PIN, which
 * stays the PIN. */
struct scm_card_init {
    const char *agent;
    const char *label;
    const char *serial;
    const char *pin;
    size_t pin_len;
};
int scm_card_init(const struct scm_card_ctx *ctx, const char *reader, const struct scm_card_init *p,
                  struct scm_detail *d);

/* Wait until the card in reader (its full name) is taken out and another
 * is inserted: a card-to-card copy with one reader. SCM_E_NO_CARD after
 * timeout_ms. */
int scm_card_wait_swap(const struct scm_card_ctx *ctx, const char *reader, unsigned timeout_ms,
                       struct scm_detail *d);

/* ---- Copy, backup and restore: the patent's method (claims 5-10) ------------ */

/* What happened to one object. */
enum scm_copy_result {
    SCM_COPY_DONE = 0,
    SCM_COPY_SKIPPED = 1,   /* by design: a key the source will not release */
    SCM_COPY_FAILED = 2,    /* tried, and it failed (why says how) */
    SCM_COPY_NOT_TRIED = 3, /* an earlier failure stopped the copy */
};
struct scm_copy_item {
    char label[SCM_OBJ_LABEL_MAX + 1];
    enum scm_area area;
    size_t size;
    enum scm_copy_result result;
    char why[SCM_DETAIL_MAX];
};
struct scm_copy_report {
    struct scm_copy_item *items; /* malloc'd: scm_copy_report_free */
    size_t n;
    size_t done, skipped, failed, not_tried;
};
void scm_copy_report_free(struct scm_copy_report *r);

/* Progress between objects; return false to cancel (the rest is then
 * NOT_TRIED). May be NULL. */
typedef bool (*scm_copy_progress_fn)(void *arg, size_t done, size_t total, const char *label);

/* Objects to write whose label the destination already has: what to do.
 * The callback is asked once, before anything is written, with every such
 * label (as stored: sanitise before display); arg is the progress arg. A
 * NULL callback means SCM_CONFLICT_REPLACE. */
enum scm_conflict {
    SCM_CONFLICT_REPLACE = 0, /* overwrite them (same area, same type) */
    SCM_CONFLICT_SKIP = 1,    /* keep the destination's: reported SKIPPED */
    SCM_CONFLICT_CANCEL = 2,  /* write nothing: SCM_E_EXISTS, the sentence names them */
};
typedef enum scm_conflict (*scm_conflict_fn)(void *arg, const char *const *labels, size_t n);

/* Copy objects from src to dst: every accessible object, or those whose
 * label is in labels[0..nlabels); objects src could not verify (a VSC's
 * public objects without its password) stay behind, reported SKIPPED: on
 * dst they would look verified. Everything is read first (through a
 * clipboard of its own), then written: a source that fails half-way (a
 * card pulled out mid-backup) writes nothing. Objects with a label dst
 * already has go as conflict says (NULL: replaced); a VSC is committed once
 * at the end. Returns SCM_OK
 * when every object was copied or skipped by design, else the first error,
 * with the report saying what was and was not copied. progress is called
 * before each object read, and again before each written. */
int scm_card_copy(struct scm_card *src, struct scm_card *dst, const char *const *labels,
                  size_t nlabels, scm_conflict_fn conflict, scm_copy_progress_fn progress,
                  void *arg, struct scm_copy_report *rep, struct scm_detail *d);

/* What a copy or restore would do to each object, found out without
 * writing anything (restore --dry-run, and the UI before it writes). */
enum scm_plan {
    SCM_PLAN_WRITE = 0,   /* a new object */
    SCM_PLAN_REPLACE = 1, /* the destination holds other bytes under this label, or at this place */
    SCM_PLAN_SAME = 2,    /* already there as it is: neither asked about nor written */
    SCM_PLAN_NO_PLACE = 3, /* this card type has no place for it (why says so) */
    SCM_PLAN_NEVER = 4,    /* a key the source never releases */
};
struct scm_plan_item {
    char label[SCM_OBJ_LABEL_MAX + 1]; /* as stored: sanitise before display */
    enum scm_area area;
    size_t size;
    enum scm_plan plan;
    char place[SCM_SRC_PATH_MAX]; /* where it goes on the destination, if the agent says */
    char why[SCM_DETAIL_MAX];
};
struct scm_copy_plan {
    struct scm_plan_item *items; /* malloc'd: scm_copy_plan_free */
    size_t n;
    size_t write, replace, same, no_place, never;
};
void scm_copy_plan_free(struct scm_copy_plan *p);
/* The plan of scm_card_copy(src, dst, labels...): every accessible object
 * of src (or those named), what would happen to it on dst. Reads what it
 * must compare; writes nothing to either card. */
int scm_card_plan(struct scm_card *src, struct scm_card *dst, const char *const *labels,
                  size_t nlabels, struct scm_copy_plan *plan, struct scm_detail *d);

/* The patent's emergency backup as plain files: every object src
 * releases into dir (made 0700, or an existing empty directory left as it
 * is; anything else is refused): certificates as NN-LABEL.der and .pem,
 * other objects as NN-LABEL.bin, all 0600, and manifest.json last (the
 * card, each object with its files and SHA-256, what was not copied and
 * why). Private objects only when the policy allows exports in clear.
 * rep says per object what happened; an object that cannot be read is
 * FAILED and the others still go (SCM_E_CARD_REFUSED at the end). */
int scm_card_dump(struct scm_card *src, const char *dir, const struct scm_policy *pol,
                  struct scm_copy_report *rep, struct scm_detail *d);

/* ---- The clipboard: objects held between cards ------------------------------
 * The patent's intermediate buffer: copies of objects, with the card and
 * area they came from, in secure memory, independent of any open card (it
 * survives closing the source, and a card swap in one reader). Wiped by
 * scm_clip_clear and scm_clip_free. */
struct scm_clip;
struct scm_clip_item {
    char label[SCM_OBJ_LABEL_MAX + 1]; /* as stored: sanitise before display */
    enum scm_obj_type type;
    enum scm_area area;
    size_t size;
    char source[160]; /* the card it came from (scm_card_info.name) */
    char src_path[SCM_SRC_PATH_MAX];
    /* The source's scm_obj_info.verified when it was copied: false for a
     * public object of a VSC opened without its password. A paste writes
     * it as the destination's own (MAC'd, or on a card), where it looks
     * verified: callers ask before pasting such items. */
    bool verified;
};
int scm_clip_new(struct scm_clip **out);
void scm_clip_free(struct scm_clip *clip);
void scm_clip_clear(struct scm_clip *clip);
size_t scm_clip_count(const struct scm_clip *clip);
const struct scm_clip_item *scm_clip_item(const struct scm_clip *clip, size_t i);
/* Copy objects of src into the clipboard (all accessible ones, or those
 * named), replacing items with the same label. Sealed keys are reported as
 * skipped. On a read failure nothing is added. rep may be NULL. */
int scm_clip_copy(struct scm_clip *clip, struct scm_card *src, const char *const *labels,
                  size_t nlabels, scm_copy_progress_fn progress, void *arg,
                  struct scm_copy_report *rep, struct scm_detail *d);
/* Write every item (or those named) to dst, objects with a label dst
 * already has as conflict says (NULL: replaced): into area (the patent's "paste into the selected
 * area"), or, with area < 0, each into the area it came from. A VSC keeps the changes until
 * scm_card_commit (the UI's File > Save); a real card writes through. Writing goes on after an
 * object the card refuses, and stops when the card is gone. */
int scm_clip_paste(struct scm_clip *clip, struct scm_card *dst, const char *const *labels,
                   size_t nlabels, int area, scm_conflict_fn conflict,
                   scm_copy_progress_fn progress, void *arg, struct scm_copy_report *rep,
                   struct scm_detail *d);
/* The plan of that paste (the UI shows it before writing onto a real
 * card): what would happen to each item on dst. Writes nothing. */
int scm_clip_plan(struct scm_clip *clip, struct scm_card *dst, const char *const *labels,
                  size_t nlabels, int area, struct scm_copy_plan *plan, struct scm_detail *d);
/* Remove item i (wiped); SCM_E_NOT_FOUND past the end. */
int scm_clip_remove(struct scm_clip *clip, size_t i);

/* The VSC source description and UID for a real card (backup): UID = the
 * card's serial made into a valid identifier. */
int scm_card_backup_target(struct scm_card *real, char uid[SCM_VSC_UID_MAX + 1],
                           struct scm_vsc_source *src, struct scm_detail *d);

#endif
