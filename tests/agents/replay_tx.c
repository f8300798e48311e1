/* The scripted transport (replay_tx.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay_tx.h"

size_t rtx_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        int v;
        if (*p >= '0' && *p <= '9')
            v = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            v = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            v = *p - 'A' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            if (n == cap)
                fail_msg("replay: hex string longer than %zu bytes", cap);
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

static void to_hex(const uint8_t *b, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 3 < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%02X", b[i]);
    if (n * 2 + 1 > cap && cap > 4)
        memcpy(out + cap - 4, "...", 4);
}

static int rtx_transmit(void *impl, const uint8_t *c, size_t clen, uint8_t *r, size_t *rlen)
{
    struct rtx *x = impl;
    char got[512];
    to_hex(c, clen, got, sizeof(got));
    if (x->pos >= x->n)
        fail_msg("replay: unexpected APDU %s after the last step", got);
    const struct rtx_step *s = &x->steps[x->pos++];
    uint8_t *want = malloc(70000);
    assert_non_null(want);
    size_t wl = rtx_hex(s->cmd, want, 70000);
    if (wl != clen || memcmp(want, c, clen) != 0) {
        free(want);
        fail_msg("replay: step %zu expected %s, got %s", x->pos - 1, s->cmd, got);
    }
    free(want);
    if (strcmp(s->resp, "REMOVED") == 0)
        return SCM_E_CARD_REMOVED;
    *rlen = rtx_hex(s->resp, r, *rlen);
    return SCM_OK;
}

static const struct scm_tx_ops rtx_ops = {.transmit = rtx_transmit};

void rtx_init(struct rtx *r, const struct rtx_step *steps, size_t n, bool extended)
{
    memset(r, 0, sizeof(*r));
    r->tx.ops = &rtx_ops;
    r->tx.impl = r;
    r->tx.extended = extended;
    r->steps = steps;
    r->n = n;
}

void rtx_assert_done(const struct rtx *r)
{
    if (r->pos != r->n)
        fail_msg("replay: %zu of %zu steps used", r->pos, r->n);
}
