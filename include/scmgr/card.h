/* scmgr — the smart card API: one handle type over real cards and VSCs.
 *
 * The CLI and the UI talk only to this API (patent claim 4). A card is
 * named by a string: "vsc:UID" for a virtual smart card; real readers join
 * in the reader issue (an index or a unique part of a reader's name).
 *
 * The API layer includes the VSC control program (and later the reader
 * handler); it never includes the UI or the CLI. */
#ifndef SCMGR_CARD_H
#define SCMGR_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scmgr/vsc.h"

enum scm_card_kind { SCM_CARD_VSC = 1, SCM_CARD_REAL = 2 };

struct scm_card;

/* Everything a card operation needs from the outside. */
struct scm_card_ctx {
    struct scm_store *store;
    const struct scm_policy *policy;
};

struct scm_card_info {
    enum scm_card_kind kind;
    char name[160];   /* "vsc:00001079" */
    char label[SCM_VSC_LABEL_MAX + 1];
    char serial[64];  /* the VSC's UID, or the card's serial */
    bool locked;      /* private area not yet unlocked */
    bool disabled;
    bool dirty;
    uint64_t generation;
    size_t count[SCM_AREA_COUNT];
    struct scm_vsc_source source;
};

/* Open a card by name. SCM_E_VSC_NOT_FOUND / SCM_E_USAGE for a bad name. */
int scm_card_open(const struct scm_card_ctx *ctx, const char *name, struct scm_card **out,
                  struct scm_detail *d);
void scm_card_close(struct scm_card *c);
void scm_card_get_info(const struct scm_card *c, struct scm_card_info *out);

/* Unlock the private area with the PIN (real card) or password (VSC). */
int scm_card_unlock(struct scm_card *c, const char *secret, size_t len, struct scm_detail *d);
/* Does the card need unlocking before the private/secret areas or writes? */
bool scm_card_needs_unlock(const struct scm_card *c);

/* Objects in area order: public, then (when unlocked) private and secret.
 * The array points into the card: valid until the next change or close. */
int scm_card_list(struct scm_card *c, const struct scm_obj_info **out, size_t *n);
int scm_card_find(struct scm_card *c, const char *label, uint32_t *id);
int scm_card_read(struct scm_card *c, uint32_t id, uint8_t **data, size_t *len);
int scm_card_write(struct scm_card *c, const struct scm_obj_new *o, bool replace, uint32_t *id_out,
                   struct scm_detail *d);
int scm_card_delete(struct scm_card *c, uint32_t id, struct scm_detail *d);
/* Persist pending changes (a VSC save; a no-op for real cards, which write
 * through). */
int scm_card_commit(struct scm_card *c, struct scm_detail *d);

#endif
