/* Fuzz target for the card agents: every card response comes from the
 * input, so attach, info, list, read, the credentials and a write all
 * parse hostile answers. A flag byte picks the agent and can also send
 * the input straight to the ISO layout's index and card-info decoders.
 *
 * Input: a flag byte (bit 0: the transport says extended length; bit 1:
 * decoders only; bits 2-4: the agent, its index in scm_agents modulo their
 * number), then one
 * response per APDU: a length byte n and n
 * bytes (data + SW); n = 0xFE: a 16-bit length follows; n = 0xFF or the
 * end of the input: the card is removed. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iso_int.h"
#include "scmgr/agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ftx {
    const uint8_t *p;
    size_t n;
};

static int f_transmit(void *impl, const uint8_t *c, size_t clen, uint8_t *r, size_t *rlen)
{
    struct ftx *f = impl;
    (void)c;
    (void)clen;
    if (f->n < 1)
        return SCM_E_CARD_REMOVED;
    size_t len = f->p[0];
    f->p++;
    f->n--;
    if (len == 0xFF)
        return SCM_E_CARD_REMOVED;
    if (len == 0xFE) {
        if (f->n < 2)
            return SCM_E_CARD_REMOVED;
        len = (size_t)f->p[0] << 8 | f->p[1];
        f->p += 2;
        f->n -= 2;
    }
    if (len > f->n || len > *rlen)
        return SCM_E_CARD_REMOVED;
    memcpy(r, f->p, len);
    *rlen = len;
    f->p += len;
    f->n -= len;
    return SCM_OK;
}

static const struct scm_tx_ops f_ops = {.transmit = f_transmit};

static void decoders(const uint8_t *data, size_t size)
{
    struct iso_index ix;
    struct scm_detail d;
    if (scm_iso_index_decode(data, size, &ix, &d) == SCM_OK) {
        /* What decodes must encode to the same bytes. */
        uint8_t *buf = malloc(ISO_INDEX_SIZE);
        size_t len;
        if (buf && scm_iso_index_encode(&ix, buf, ISO_INDEX_SIZE, &len) == SCM_OK) {
            if (len > size || memcmp(buf, data, len) != 0)
                abort();
        }
        free(buf);
        scm_iso_index_free(&ix);
    }
    struct iso_cardinfo ci;
    (void)scm_iso_info_decode(data, size, &ci);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    uint8_t flags = data[0];
    if (flags & 2) {
        decoders(data + 1, size - 1);
        return 0;
    }
    struct ftx f = {data + 1, size - 1};
    struct scm_tx tx = {.ops = &f_ops, .impl = &f, .extended = (flags & 1) != 0};
    size_t nag = 0;
    while (scm_agents[nag])
        nag++;
    size_t pick = ((size_t)(flags >> 2) & 7) % nag;
    const struct scm_agent_ops *ag = scm_agents[pick];
    struct scm_detail d;
    void *st = NULL;
    if (ag->attach(&tx, &st, &d) != SCM_OK)
        return 0;
    struct scm_agent_info info;
    if (ag->info)
        ag->info(st, &info, &d);
    struct scm_object *objs = NULL;
    size_t n = 0;
    if (ag->list(st, &objs, &n, &d) == SCM_OK) {
        for (size_t i = 0; i < n; i++) {
            uint8_t *bytes;
            size_t len;
            if (ag->read(st, &objs[i], &bytes, &len, &d) == SCM_OK) {
                /* A listed size is what a read gives (0: not known yet). */
                if (objs[i].size && len != objs[i].size)
                    abort();
                scm_secure_free(bytes, len);
            }
        }
        free(objs);
    }
    int tries;
    struct scm_cred creds[SCM_CRED_MAX];
    size_t ncreds;
    static const uint8_t mgmt[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                     5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    if (ag->creds)
        ag->creds(st, creds, SCM_CRED_MAX, &ncreds, &d);
    if (ag->verify) {
        ag->verify(st, 0, (const uint8_t *)"1234", 4, &tries, &d);
        ag->verify(st, 2, mgmt, sizeof(mgmt), &tries, &d);
    }
    static const uint8_t payload[300] = {1, 2, 3};
    struct scm_obj_new o = {.label = "fuzz",
                            .type = SCM_OBJ_DATA,
                            .area = SCM_AREA_PRIVATE,
                            .data = payload,
                            .len = sizeof(payload)};
    struct scm_agent_put put = {.obj = &o};
    if (ag->write) {
        ag->write(st, &put, true, &d);
        o.type = SCM_OBJ_CERT;
        o.label = "X.509 Certificate for Digital Signature";
        ag->write(st, &put, true, &d);
    }
    struct scm_object gone;
    memset(&gone, 0, sizeof(gone));
    snprintf(gone.label, sizeof(gone.label), "fuzz");
    if (ag->remove)
        ag->remove(st, &gone, &d);
    ag->detach(st);
    return 0;
}
