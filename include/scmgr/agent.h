/* scmgr — the card agency and its card agents.
 *
 * A card agent holds the card-specific APDU logic for one kind of card
 * (patent Fig. 2). It is a const table of operations; a NULL operation
 * means "not supported" and the smart card API reports SCM_E_NOT_SUPPORTED.
 * The agency keeps every agent in one ordered table and picks the first
 * that matches a card: by ATR, then by probing with harmless APDUs.
 *
 * Agents speak to the card only through a struct scm_tx (reader.h), so
 * their unit tests run over a replay transport. They never see the UI or
 * the VSC control program. */
#ifndef SCMGR_AGENT_H
#define SCMGR_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scmgr/reader.h"
#include "scmgr/vsc.h" /* object types, areas and limits shared with VSCs */

/* What a card says about itself. */
struct scm_agent_info {
    char label[SCM_VSC_LABEL_MAX + 1];
    char serial[64];
    char type[64];   /* e.g. "ISO 7816-4 file system (scmgr layout)" */
    bool blank;      /* recognised, but carries no object layout yet */
    int pin_tries;   /* tries left, -1 if unknown */
};

/* An object on a card. */
struct scm_agent_obj {
    char label[SCM_OBJ_LABEL_MAX + 1]; /* as stored: sanitise before display */
    enum scm_obj_type type;
    enum scm_area area;
    size_t size;
    bool not_exportable; /* a key the card will not release: listed, never read */
    char path[SCM_SRC_PATH_MAX];       /* e.g. "3F00/5C00/5C01/6001" */
    uint8_t attrs[SCM_SRC_ATTR_MAX];   /* the file's attributes (FCP) */
    size_t attrs_len;
};

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


struct scm_agent_ops {
    const char *name;        /* short, stable: "iso7816-scm" */
    const char *description; /* one line for --help and the UI */

    /* 1 if the ATR alone says the card is ours, 0 if unsure. May be NULL. */
    int (*match_atr)(const uint8_t *atr, size_t len);
    /* 1 if the card is ours, 0 if not, < 0 on a transport error. Must not
     * change the card's state beyond selecting files. */
    int (*probe)(struct scm_tx *tx);

    /* Bind to a card: allocate *state. */
    int (*attach)(struct scm_tx *tx, void **state, struct scm_detail *d);
    void (*detach)(void *state);

    int (*info)(void *state, struct scm_agent_info *out, struct scm_detail *d);
    /* Objects of every area the card shows now (private ones need the PIN
     * on cards that enforce it). *objs is malloc'd: free(). */
    int (*list)(void *state, struct scm_agent_obj **objs, size_t *n, struct scm_detail *d);
    /* The bytes of one object, in secure memory: scm_secure_free(*data, *len). */
    int (*read)(void *state, const struct scm_agent_obj *o, uint8_t **data, size_t *len,
                struct scm_detail *d);
    /* SCM_E_BAD_PIN with *tries_left set, SCM_E_PIN_BLOCKED. pin_tries
     * asks without spending a try. */
    int (*verify_pin)(void *state, const char *pin, size_t len, int *tries_left,
                      struct scm_detail *d);
    int (*pin_tries)(void *state, int *tries_left, struct scm_detail *d);
    int (*change_pin)(void *state, const char *oldpin, size_t oldlen, const char *newpin,
                      size_t newlen, struct scm_detail *d);
    /* Write one object (replace: overwrite the one with that label). Data
     * first, index last, then read back: an interrupted write leaves the old
     * content in place. */
    int (*write)(void *state, const struct scm_obj_new *o, bool replace, struct scm_detail *d);
    int (*remove)(void *state, const char *label, struct scm_detail *d);
    /* Lay out a blank card (application DF, index, areas, PIN). */
    int (*init_card)(struct scm_tx *tx, const struct scm_agent_init *p, struct scm_detail *d);
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

#endif
