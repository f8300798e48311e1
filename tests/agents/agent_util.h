/* Helpers shared by the ISO agent tests: a set-up card and content checks. */
#ifndef SCMGR_TEST_AGENT_UTIL_H
#define SCMGR_TEST_AGENT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scmgr/agent.h"
#include "simcard.h"

#define PIN "1234"

struct want {
    const char *label;
    enum scm_obj_type type;
    enum scm_area area;
    const uint8_t *data;
    size_t len;
};

static const struct scm_agent_ops *const ag = &scm_agent_iso7816;

/* The agent's operations in the shapes the tests use: the user PIN is
 * credential 0, objects go in through a put without a ref. */
static inline int ag_verify(void *st, const char *pin, size_t len, int *tries,
                            struct scm_detail *d)
{
    return ag->verify(st, 0, (const uint8_t *)pin, len, tries, d);
}

static inline int ag_tries(void *st, int *tries, struct scm_detail *d)
{
    struct scm_cred c[SCM_CRED_MAX];
    size_t n = 0;
    int rc = ag->creds(st, c, SCM_CRED_MAX, &n, d);
    *tries = n ? c[0].tries_left : -1;
    return rc;
}

static inline int ag_change(void *st, const char *old, size_t oldlen, const char *new_pin,
                            size_t newlen, struct scm_detail *d)
{
    return ag->change(st, 0, (const uint8_t *)old, oldlen, (const uint8_t *)new_pin, newlen, d);
}

static inline int ag_write(void *st, const struct scm_obj_new *o, bool replace,
                           struct scm_detail *d)
{
    struct scm_agent_put p = {.obj = o};
    return ag->write(st, &p, replace, d);
}

static inline int ag_remove(void *st, const char *label, struct scm_detail *d)
{
    struct scm_object o;
    memset(&o, 0, sizeof(o));
    snprintf(o.label, sizeof(o.label), "%s", label);
    return ag->remove(st, &o, d);
}

/* Deterministic bytes for object contents. */
static inline void fill(uint8_t *b, size_t n, unsigned seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (uint8_t)(x >> 16);
    }
}

/* Re-insert, attach, verify, list and read everything: true if the card
 * holds exactly w[0..n). Why not in *why. */
static inline bool card_is(struct simcard *s, const struct want *w, size_t n, char *why, size_t cap)
{
    void *st = NULL;
    struct scm_object *objs = NULL;
    size_t k = 0;
    struct scm_detail d = {{0}};
    bool ok = false;
    sim_reinsert(s);
    if (ag->attach(sim_tx(s), &st, &d) < 0) {
        snprintf(why, cap, "attach: %.200s", d.text);
        return false;
    }
    int tries;
    if (ag_verify(st, PIN, 4, &tries, &d) < 0) {
        snprintf(why, cap, "verify: %.200s", d.text);
        goto out;
    }
    if (ag->list(st, &objs, &k, &d) < 0) {
        snprintf(why, cap, "list: %.200s", d.text);
        goto out;
    }
    if (k != n) {
        snprintf(why, cap, "%zu objects instead of %zu", k, n);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const struct scm_object *o = NULL;
        for (size_t j = 0; j < k; j++)
            if (strcmp(objs[j].label, w[i].label) == 0)
                o = &objs[j];
        if (!o || o->type != w[i].type || scm_obj_area(o) != w[i].area || o->size != w[i].len ||
            scm_obj_sealed(o) != (w[i].area == SCM_AREA_SECRET)) {
            snprintf(why, cap, "'%s' missing or listed wrongly", w[i].label);
            goto out;
        }
        uint8_t *data;
        size_t len;
        int rc = ag->read(st, o, &data, &len, &d);
        if (w[i].area == SCM_AREA_SECRET) {
            if (rc != SCM_E_NOT_EXPORTABLE) {
                snprintf(why, cap, "secret '%s' read gave %d", w[i].label, rc);
                goto out;
            }
            continue;
        }
        if (rc < 0) {
            snprintf(why, cap, "read '%.40s': %.150s", w[i].label, d.text);
            goto out;
        }
        bool same = len == w[i].len && (len == 0 || memcmp(data, w[i].data, len) == 0);
        scm_secure_free(data, len);
        if (!same) {
            snprintf(why, cap, "'%s' has other content", w[i].label);
            goto out;
        }
    }
    ok = true;
out:
    free(objs);
    ag->detach(st);
    return ok;
}

/* A blank card initialised with PIN 1234. */
static inline struct simcard *new_card(size_t cap, bool extended)
{
    struct simcard *s = sim_new(cap, extended);
    struct scm_agent_init p = {.label = "test card", .serial = "0001", .pin = PIN, .pin_len = 4};
    struct scm_detail d = {{0}};
    if (!s || ag->init_card(sim_tx(s), &p, &d) != SCM_OK) {
        fprintf(stderr, "init: %s\n", d.text);
        sim_free(s);
        return NULL;
    }
    return s;
}

#endif
