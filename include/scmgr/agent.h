/* scmgr — the card agency and its card agents.
 *
 * A card agent holds the card-specific APDU logic for one kind of card
 * (patent Fig. 2), as one file exporting one const table of operations,
 * in groups: recognise and bind; credentials; objects; keys; lay out a
 * blank card. A NULL operation means "not supported": the smart card API
 * reports SCM_E_NOT_SUPPORTED with a sentence naming the card type. The
 * agency keeps every agent in one ordered table and picks the first that
 * matches a card: by ATR, then by probing with harmless APDUs.
 *
 * Objects are the model of object.h: the agent makes each object's
 * reference and alone understands it. Credentials are listed by the agent
 * (user PIN, PUK, admin PIN, management key) and named by their index.
 *
 * The smart card API brackets every operation in one PC/SC transaction;
 * an agent brackets its own multi-step sequences too where they must not
 * be split (transactions nest). Agents speak to the card only through a
 * struct scm_tx (reader.h), so their unit tests run over a replay
 * transport, and through the shared ISO 7816 helpers (src/agents/iso.h).
 * They never see the UI or the VSC control program. */
#ifndef SCMGR_AGENT_H
#define SCMGR_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scmgr/object.h"
#include "scmgr/reader.h"
#include "scmgr/vsc.h" /* SCM_VSC_LABEL_MAX; struct scm_obj_new */

/* What a card says about itself. */
struct scm_agent_info {
    char label[SCM_VSC_LABEL_MAX + 1];
    char serial[64];
    char type[64];  /* e.g. "ISO 7816-4 file system (scmgr layout)" */
    bool blank;     /* recognised, but carries no object layout yet */
    int pin_tries;  /* the user PIN's tries left (credential 0), -1 if unknown */
    int write_cred; /* the credential changes of the card need (0: the PIN), -1 none */
    /* The card names its objects itself (PIV containers, OpenPGP DOs): what
     * a copy wrote there has the card's label, not the source's, so a copy
     * run again finds it by its bytes. */
    bool own_labels;
};

/* An object to write: the bytes and what the agent needs to place them.
 * ref empty: the agent chooses the place (a new object); else the place
 * it names (a restore onto a card of the same type). */
struct scm_agent_put {
    const struct scm_obj_new *obj; /* label, type, area, data, len; src_path = a ref */
    struct scm_obj_ref ref;
    const uint8_t *id; /* CKA_ID to keep, may be NULL */
    size_t id_len;
    /* `place` only: places a plan gave to earlier objects of the same copy,
     * to count as occupied (two certificates must not both be told the one
     * free slot). */
    const struct scm_obj_ref *taken;
    size_t n_taken;
};

/* Is ref among p's taken places? */
static inline bool scm_agent_put_taken(const struct scm_agent_put *p, const char *ref)
{
    for (size_t i = 0; i < p->n_taken; i++)
        if (strcmp(p->taken[i].s, ref) == 0)
            return true;
    return false;
}

/* PIN and layout parameters for initialising a blank card. */
struct scm_agent_init {
    const char *label;  /* NULL: "scmgr card" */
    const char *serial; /* NULL: random 8 hex digits */
    const char *pin;    /* the user PIN to set */
    size_t pin_len;
    /* The card's PIN before init (a transport PIN); NULL: pin is already
     * the card's PIN and is not changed. */
    const char *current_pin;
    size_t current_pin_len;
};

/* A status word the card means otherwise than ISO 7816-4 says, for the
 * agent's messages; the table ends with sw == 0. */
struct scm_sw_map {
    uint16_t sw;
    uint16_t mask; /* 0xFFFF: exact; 0xFFF0: 63Cx and the like */
    int err;
};

struct scm_agent_ops {
    const char *name;        /* short, stable: "iso7816-scm", "piv" */
    const char *description; /* one line for --help and the UI */

    /* -- recognise and bind ------------------------------------------- */
    /* 1 if the ATR alone says the card is ours, 0 if unsure. May be NULL. */
    int (*match_atr)(const uint8_t *atr, size_t len);
    /* 1 if the card is ours, 0 if not, < 0 on a transport error. Must not
     * change the card's state beyond selecting files or applications. */
    int (*probe)(struct scm_tx *tx);
    /* Bind to a card: allocate *state. */
    int (*attach)(struct scm_tx *tx, void **state, struct scm_detail *d);
    void (*detach)(void *state);
    int (*info)(void *state, struct scm_agent_info *out, struct scm_detail *d);
    /* 1 when the card's objects changed since the last list (another
     * program wrote to it), 0 when not; cheap (one or two APDUs). */
    int (*changed)(void *state, struct scm_detail *d);

    /* -- credentials ---------------------------------------------------- */
    /* The card's credentials with their tries left, asked without spending
     * one (index 0 is the user PIN where the card has one). *n <= cap. */
    int (*creds)(void *state, struct scm_cred *out, size_t cap, size_t *n, struct scm_detail *d);
    /* SCM_E_BAD_PIN with *tries_left set, SCM_E_PIN_BLOCKED. */
    int (*verify)(void *state, unsigned cred, const uint8_t *secret, size_t len, int *tries_left,
                  struct scm_detail *d);
    int (*change)(void *state, unsigned cred, const uint8_t *old, size_t oldlen,
                  const uint8_t *new_secret, size_t newlen, struct scm_detail *d);
    /* Unblock credential cred with credential by (a PUK, an admin PIN),
     * setting cred to new_secret. */
    int (*unblock)(void *state, unsigned cred, unsigned by, const uint8_t *by_secret, size_t by_len,
                   const uint8_t *new_secret, size_t newlen, struct scm_detail *d);
    /* Forget what was verified (VERIFY P1=FF): the smart card API calls it
     * when it closes the card, since a card keeps a verified PIN across
     * programs otherwise. Never on detach alone (a state may be replaced
     * while the connection goes on). */
    void (*logout)(void *state);

    /* -- objects -------------------------------------------------------- */
    /* Every object and every empty place of the card; what needs a
     * credential that is not verified yet is listed with present true and
     * size 0 when the card does not say more. *objs is malloc'd: free(). */
    int (*list)(void *state, struct scm_object **objs, size_t *n, struct scm_detail *d);
    /* The bytes of one object, in secure memory: scm_secure_free(*data, *len). */
    int (*read)(void *state, const struct scm_object *o, uint8_t **data, size_t *len,
                struct scm_detail *d);
    /* Write one object (replace: overwrite the one with that label or at
     * that ref). Data first, index last, then read back: an interrupted
     * write leaves the old content in place where the card type allows. */
    int (*write)(void *state, const struct scm_agent_put *p, bool replace, struct scm_detail *d);
    int (*remove)(void *state, const struct scm_object *o, struct scm_detail *d);
    /* Where p would go on this card, without writing: SCM_OK and *ref,
     * SCM_E_EXISTS with *ref when that place holds an object, or
     * SCM_E_NOT_SUPPORTED with why ("a PIV card has no place for notes").
     * For restore --dry-run and copies between card types. */
    int (*place)(void *state, const struct scm_agent_put *p, struct scm_obj_ref *ref,
                 struct scm_detail *why);

    /* -- keys ------------------------------------------------------------- */
    /* The public key of a key object as DER SubjectPublicKeyInfo (malloc'd). */
    int (*key_public)(void *state, const struct scm_object *key, uint8_t **spki, size_t *len,
                      struct scm_detail *d);
    /* sign, decrypt and derive: out has room cap, *outlen on return. */
    int (*key_sign)(void *state, const struct scm_object *key, enum scm_mech mech,
                    const uint8_t *in, size_t inlen, uint8_t *out, size_t cap, size_t *outlen,
                    struct scm_detail *d);
    int (*key_decrypt)(void *state, const struct scm_object *key, enum scm_mech mech,
                       const uint8_t *in, size_t inlen, uint8_t *out, size_t cap, size_t *outlen,
                       struct scm_detail *d);
    /* Generate a key pair in place of key (a slot listed as not present). */
    int (*key_generate)(void *state, const struct scm_object *key, const struct scm_key_facts *spec,
                        struct scm_detail *d);
    /* Import a private key (PKCS#8 DER, in secure memory) into key's place. */
    int (*key_import)(void *state, const struct scm_object *key, const uint8_t *pkcs8, size_t len,
                      struct scm_detail *d);

    /* -- a blank card ----------------------------------------------------- */
    /* Lay out a blank card (application, index, areas, PIN). */
    int (*init_card)(struct scm_tx *tx, const struct scm_agent_init *p, struct scm_detail *d);

    /* Status words this card type means otherwise; NULL: ISO 7816-4's. */
    const struct scm_sw_map *sw;
};

/* The registry, in match order, NULL-terminated. */
extern const struct scm_agent_ops *const scm_agents[];

/* Pick the agent for a connected card: the first whose match_atr says 1,
 * else the first whose probe says 1. SCM_E_NO_AGENT when none does. */
int scm_agency_pick(struct scm_tx *tx, const uint8_t *atr, size_t atr_len,
                    const struct scm_agent_ops **out, struct scm_detail *d);
/* An agent by name (for `card init`, which has no card layout to probe). */
const struct scm_agent_ops *scm_agency_by_name(const char *name);

/* The ISO 7816-4 agent with scmgr's object layout (doc/card-layout.md). */
extern const struct scm_agent_ops scm_agent_iso7816;
/* PIV cards (NIST SP 800-73-4): src/agents/piv.c. */
extern const struct scm_agent_ops scm_agent_piv;
/* CAC cards (GSC-IS 2.1), read only: src/agents/cac.c. */
extern const struct scm_agent_ops scm_agent_cac;
/* OpenPGP cards (OpenPGP smart card application 3.4): src/agents/openpgp.c. */
extern const struct scm_agent_ops scm_agent_openpgp;
/* PKCS#15 cards (ISO/IEC 7816-15), read and written into their own layout:
 * src/agents/pkcs15.c. */
extern const struct scm_agent_ops scm_agent_pkcs15;

#endif
