/* Slots: every place a card can be opened from — PC/SC readers with the
 * state of their card, then the store's VSCs — for the UI's Readers pane.
 *
 * Probing a card (opening it to learn its agent, label and serial) costs
 * a few APDUs, so the result is cached per reader name and redone only
 * when pcscd's event counter for that reader or its coarse state changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card_int.h"

struct probe_cache {
    char reader[SCM_RD_NAME_MAX];
    unsigned events;
    enum scm_rd_state rstate;
    struct scm_slot slot; /* what the probe found */
};

struct scm_slots {
    struct scm_slot *out; /* the last listing */
    size_t n_out;
    struct probe_cache *cache;
    size_t n_cache;
};

int scm_slots_new(struct scm_slots **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? SCM_OK : SCM_E_NOMEM;
}

void scm_slots_free(struct scm_slots *s)
{
    if (!s)
        return;
    free(s->out);
    free(s->cache);
    free(s);
}

static void probe(const struct scm_card_ctx *ctx, const struct scm_rd_info *r, struct scm_slot *sl)
{
    struct scm_card *card = NULL;
    struct scm_card_info ci;
    struct scm_detail d = {{0}};
    switch (r->state) {
    case SCM_RD_EMPTY:
        sl->state = SCM_SLOT_EMPTY;
        return;
    case SCM_RD_MUTE:
        sl->state = SCM_SLOT_MUTE;
        return;
    case SCM_RD_EXCLUSIVE:
        sl->state = SCM_SLOT_IN_USE;
        return;
    default:
        break;
    }
    int rc = scm_card_open(ctx, r->name, &card, &d);
    if (rc == SCM_OK) {
        scm_card_get_info(card, &ci);
        /* A shared card another program uses (or our own open card) can
         * still be opened: it is a card, not "in use". */
        sl->state = SCM_SLOT_CARD;
        snprintf(sl->label, sizeof(sl->label), "%s", ci.label);
        snprintf(sl->serial, sizeof(sl->serial), "%s", ci.serial);
        snprintf(sl->agent, sizeof(sl->agent), "%s", ci.agent);
    } else if (rc == SCM_E_NO_AGENT || rc == SCM_E_CARD_BLANK) {
        sl->state = SCM_SLOT_NO_AGENT;
        snprintf(sl->why, sizeof(sl->why), "%s",
                 rc == SCM_E_CARD_BLANK ? "blank card" : "no agent for this card");
    } else if (rc == SCM_E_CARD_BUSY) {
        sl->state = SCM_SLOT_IN_USE;
    } else if (rc == SCM_E_CARD_MUTE) {
        sl->state = SCM_SLOT_MUTE;
    } else if (rc == SCM_E_CARD_TIMEOUT || rc == SCM_E_CANCELLED) {
        /* Probed again only after the card comes out and back (the cache
         * below): a card that stops answering costs one deadline, not one
         * per listing. */
        sl->state = SCM_SLOT_MUTE;
        snprintf(sl->why, sizeof(sl->why), "%s", d.text[0] ? d.text : scm_strerror(rc));
    } else {
        sl->state = SCM_SLOT_NO_AGENT;
        snprintf(sl->why, sizeof(sl->why), "%s", d.text[0] ? d.text : scm_strerror(rc));
    }
    scm_card_close(card);
}

static struct probe_cache *cache_find(struct scm_slots *s, const char *reader)
{
    for (size_t i = 0; i < s->n_cache; i++)
        if (strcmp(s->cache[i].reader, reader) == 0)
            return &s->cache[i];
    return NULL;
}

/* The readers part. The reader list is copied first: opening a card lists
 * the readers again, which invalidates the context's array. */
static int list_readers(struct scm_slots *s, const struct scm_card_ctx *ctx, struct scm_slot *out,
                        size_t *n, int *pcsc_err, struct scm_detail *d)
{
    const struct scm_rd_info *rl;
    struct scm_rd_info *rs = NULL;
    struct probe_cache *nc = NULL;
    size_t nr = 0;
    *n = 0;
    *pcsc_err = SCM_OK;
    if (!ctx->readers)
        return SCM_OK;
    int rc = scm_rd_list(ctx->readers, &rl, &nr, d);
    if (rc < 0) {
        /* No pcscd is a state to show, not a failure of the listing. */
        *pcsc_err = rc;
        return SCM_OK;
    }
    if (nr == 0)
        goto out;
    rs = malloc(nr * sizeof(*rs));
    nc = calloc(nr, sizeof(*nc));
    if (!rs || !nc) {
        rc = SCM_E_NOMEM;
        goto out;
    }
    memcpy(rs, rl, nr * sizeof(*rs));
    for (size_t i = 0; i < nr; i++) {
        struct probe_cache *pc = cache_find(s, rs[i].name);
        if (pc && pc->events == rs[i].events &&
            (pc->rstate == SCM_RD_EMPTY) == (rs[i].state == SCM_RD_EMPTY) &&
            (pc->rstate == SCM_RD_EXCLUSIVE) == (rs[i].state == SCM_RD_EXCLUSIVE)) {
            nc[i] = *pc;
        } else {
            memset(&nc[i], 0, sizeof(nc[i]));
            snprintf(nc[i].reader, sizeof(nc[i].reader), "%s", rs[i].name);
            nc[i].events = rs[i].events;
            nc[i].slot.kind = SCM_CARD_REAL;
            snprintf(nc[i].slot.name, sizeof(nc[i].slot.name), "%s", rs[i].name);
            snprintf(nc[i].slot.title, sizeof(nc[i].slot.title), "%s", rs[i].name);
            probe(ctx, &rs[i], &nc[i].slot);
        }
        nc[i].rstate = rs[i].state;
        out[i] = nc[i].slot;
        out[i].atr_len = rs[i].state == SCM_RD_EMPTY ? 0 : rs[i].atr_len;
        memcpy(out[i].atr, rs[i].atr, out[i].atr_len);
    }
    *n = nr;
out:
    free(s->cache);
    s->cache = nc;
    s->n_cache = nc ? nr : 0;
    free(rs);
    return rc < 0 ? rc : SCM_OK;
}

static void vsc_slot(const struct scm_store_entry *e, struct scm_slot *sl)
{
    memset(sl, 0, sizeof(*sl));
    sl->kind = SCM_CARD_VSC;
    snprintf(sl->name, sizeof(sl->name), "vsc:%s", e->info.uid);
    snprintf(sl->title, sizeof(sl->title), "VSC %s", e->info.uid);
    snprintf(sl->label, sizeof(sl->label), "%s", e->info.label);
    snprintf(sl->serial, sizeof(sl->serial), "%s", e->info.uid);
    sl->disabled = e->err == SCM_OK && e->info.disabled;
    if (e->err < 0) {
        sl->state = SCM_SLOT_BROKEN;
        snprintf(sl->why, sizeof(sl->why), "%s", e->why[0] ? e->why : scm_strerror(e->err));
    } else {
        sl->state = sl->disabled ? SCM_SLOT_EMPTY : SCM_SLOT_CARD;
    }
}

int scm_slots_list(struct scm_slots *s, const struct scm_card_ctx *ctx, const struct scm_slot **out,
                   size_t *n, int *pcsc_err, struct scm_detail *d)
{
    struct scm_store_entry *ents = NULL;
    struct scm_slot *all = NULL;
    size_t ne = 0, nr = 0;
    int rc = SCM_OK;
    *out = s->out;
    *n = 0;
    *pcsc_err = SCM_OK;
    if (ctx->store && (rc = scm_store_list(ctx->store, &ents, &ne)) < 0)
        return scm_fail_because(d, rc, "Listing the VSC store failed");
    all = calloc(SCM_RD_MAX + ne + 1, sizeof(*all));
    if (!all) {
        free(ents);
        return SCM_E_NOMEM;
    }
    rc = list_readers(s, ctx, all, &nr, pcsc_err, d);
    if (rc < 0) {
        free(all);
        free(ents);
        return rc;
    }
    for (size_t i = 0; i < ne; i++)
        vsc_slot(&ents[i], &all[nr + i]);
    free(ents);
    free(s->out);
    s->out = all;
    s->n_out = nr + ne;
    *out = s->out;
    *n = s->n_out;
    return SCM_OK;
}

int scm_slots_wait(const struct scm_card_ctx *ctx, unsigned timeout_ms, struct scm_detail *d)
{
    const struct scm_rd_info *rl;
    size_t n;
    if (!ctx->readers)
        return SCM_E_INVAL;
    int rc = scm_rd_wait(ctx->readers, timeout_ms, d);
    /* Take the new state as the baseline before the caller hears of the
     * change, so a change between its listing and our next wait is not
     * lost. A failure here (pcscd just went) is itself the change. */
    if (rc == 1)
        (void)scm_rd_list(ctx->readers, &rl, &n, NULL);
    return rc;
}
