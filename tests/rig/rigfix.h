/* The fixture the reader handler's rig tests share (test_reader.c,
 * test_deadline.c): the rig's two readers, one open reader context, a way
 * to change the rig from a step, and one raw exchange. The programs run
 * under run-under-rig.sh, which sets RIG_READER_0/1 and SCMGR_RIG. */
#ifndef SCMGR_TESTS_RIGFIX_H
#define SCMGR_TESTS_RIGFIX_H

#include <stddef.h>
#include <stdint.h>

#include "scmgr/reader.h"

struct rigfix {
    struct scm_rd_ctx *ctx;
    const char *reader[2];
};

/* The monotonic clock in milliseconds. */
long rigfix_now_ms(void);

/* `rig.sh ARGS` (with RIG_CARD_MODE=MODE unless MODE is NULL); returns
 * once pcscd has seen the change, fails the step if the rig could not. */
void rigfix_rig(const char *mode, const char *args);

/* One raw exchange through conn's transport, as an agent's would go (no
 * 61xx handling). SCM_OK: *sw is the status word (sw may be NULL). */
int rigfix_raw(struct scm_rd_conn *conn, const uint8_t *c, size_t clen, uint16_t *sw);

/* rigfix_raw with SELECT MF (00 A4 00 0C 3F00), which every card answers. */
int rigfix_select(struct scm_rd_conn *conn, uint16_t *sw);

/* cmocka group setup and teardown: *state is a struct rigfix with the
 * readers' names and an open context. */
int rigfix_setup(void **state);
int rigfix_teardown(void **state);

#endif
