/* The smart card API's private parts: one handle, two kinds of card. */
#ifndef SCMGR_API_CARD_INT_H
#define SCMGR_API_CARD_INT_H

#include "scmgr/agent.h"
#include "scmgr/card.h"

struct scm_card {
    enum scm_card_kind kind;
    char name[160];
    /* The listing of every accessible area, rebuilt by scm_card_list. Its
     * strings point into the VSC handle or into `aobjs`. */
    struct scm_obj_info *objs;
    size_t n_objs;

    /* SCM_CARD_VSC */
    struct scm_vsc *vsc;

    /* SCM_CARD_REAL */
    struct scm_rd_conn *conn;
    const struct scm_agent_ops *ops;
    void *state;
    struct scm_agent_info ainfo;
    struct scm_object *aobjs; /* the agent's listing, refreshed after changes */
    size_t n_aobjs;
    struct scm_cred creds[SCM_CRED_MAX]; /* the agent's credentials, as last asked */
    size_t n_creds;
    bool pin_ok;
    bool allow_last_try;
    /* The card answers an empty VERIFY with 9000 while the PIN is verified
     * (ISO 7816-4; not every card does): scm_card_check may ask it. */
    bool pin_reported;
    /* The agent answered that the card has no credential at all (a
     * PKCS#15 layout made without a PIN): nothing to unlock. */
    bool pinless;
    unsigned resets; /* scm_rd_conn_resets when the PIN state was last known */
    bool reset_seen; /* a reset ended a verified PIN: scm_card_check says so */
    /* Inside card_real_batch_begin/end: the transaction is held from the
     * look at the card to the last write, so one look serves them all. */
    unsigned batch;
    bool batch_checked;
};

void card_drop_listing(struct scm_card *c);

/* card_real.c: the real-card half of each verb. */
int card_real_open(const struct scm_card_ctx *ctx, const char *spec, struct scm_card *c,
                   struct scm_detail *d);
void card_real_close(struct scm_card *c);
void card_real_info(const struct scm_card *c, struct scm_card_info *out);
int card_real_unlock(struct scm_card *c, const char *pin, size_t len, struct scm_detail *d);
int card_real_verify(struct scm_card *c, unsigned cred, const uint8_t *secret, size_t len,
                     struct scm_detail *d);
int card_real_list(struct scm_card *c);
int card_real_read(struct scm_card *c, uint32_t id, uint8_t **data, size_t *len,
                   struct scm_detail *d);
int card_real_write(struct scm_card *c, const struct scm_obj_new *o, bool replace,
                    struct scm_detail *d);
int card_real_delete(struct scm_card *c, uint32_t id, struct scm_detail *d);
int card_real_check(struct scm_card *c, unsigned *what, struct scm_detail *d);
/* Several changes in one transaction (a paste): the card is looked at for
 * another program's changes once, not before each write (on a card whose
 * agent can only tell by reading every object again, that look costs as
 * much as the write). Nothing is reported: a failure here is met again,
 * and said, by the first write. Every begin has its end. */
void card_real_batch_begin(struct scm_card *c);
/* plan.c: one object's plan on dst; get gives its bytes (secure memory,
 * the caller frees) when dst holds the label already. */
typedef int (*card_plan_data_fn)(void *arg, uint8_t **data, size_t *len, struct scm_detail *d);
int card_plan_one(struct scm_card *dst, const struct scm_obj_new *n, size_t len,
                  const struct scm_copy_plan *sofar, card_plan_data_fn get, void *arg,
                  struct scm_plan_item *it, struct scm_detail *d);
/* dst (a card that names its objects itself) holds n's bytes under another
 * label (put in label): 1; 0 not; < 0 get failed. */
int card_same_elsewhere(struct scm_card *dst, const struct scm_obj_new *n, size_t len,
                        card_plan_data_fn get, void *arg, char *label, size_t cap,
                        struct scm_detail *d);
void card_plan_count(struct scm_copy_plan *p, const struct scm_plan_item *it);
void card_real_batch_end(struct scm_card *c);
/* Where the agent would put o: SCM_OK (ref filled, may be empty), SCM_E_EXISTS
 * (a place holding another object), or the reason it has none. */
int card_real_place(struct scm_card *c, const struct scm_obj_new *o,
                    const struct scm_obj_ref *taken, size_t n_taken, char *ref, size_t cap,
                    struct scm_detail *why);

#endif
