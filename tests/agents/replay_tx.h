/* A scripted transport for unit tests: each step is an expected command
 * APDU and the canned response (hex, spaces ignored). An unexpected
 * command fails the running cmocka test. A response "REMOVED" makes the
 * transport answer SCM_E_CARD_REMOVED. */
#ifndef SCMGR_TEST_REPLAY_TX_H
#define SCMGR_TEST_REPLAY_TX_H

#include <stdbool.h>
#include <stddef.h>

#include "scmgr/reader.h"

struct rtx_step {
    const char *cmd;
    const char *resp;
};

struct rtx {
    struct scm_tx tx;
    const struct rtx_step *steps;
    size_t n;
    size_t pos;
};

void rtx_init(struct rtx *r, const struct rtx_step *steps, size_t n, bool extended);
/* Fails the test unless every step was used. */
void rtx_assert_done(const struct rtx *r);
/* Parse hex (spaces ignored) into out; returns the length. */
size_t rtx_hex(const char *hex, uint8_t *out, size_t cap);

#endif
