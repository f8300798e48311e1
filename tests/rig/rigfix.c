/* The rig tests' shared fixture (rigfix.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "rigfix.h"

static const uint8_t select_mf[] = {0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00};

long rigfix_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rigfix_rig(const char *mode, const char *args)
{
    char cmd[512];
    if (mode)
        snprintf(cmd, sizeof(cmd), "RIG_CARD_MODE=%s bash \"%s\" %s", mode, getenv("SCMGR_RIG"),
                 args);
    else
        snprintf(cmd, sizeof(cmd), "bash \"%s\" %s", getenv("SCMGR_RIG"), args);
    long t = rigfix_now_ms();
    int rc = system(cmd);
    print_message("rig %s: %ld ms\n", args, rigfix_now_ms() - t);
    assert_int_equal(rc, 0);
}

int rigfix_raw(struct scm_rd_conn *conn, const uint8_t *c, size_t clen, uint16_t *sw)
{
    struct scm_tx *tx = scm_rd_tx(conn);
    uint8_t r[258];
    size_t rl = sizeof(r);
    int rc = tx->ops->transmit(tx->impl, c, clen, r, &rl);
    if (rc == SCM_OK) {
        assert_true(rl >= 2);
        if (sw)
            *sw = (uint16_t)(r[rl - 2] << 8 | r[rl - 1]);
    }
    return rc;
}

int rigfix_select(struct scm_rd_conn *conn, uint16_t *sw)
{
    return rigfix_raw(conn, select_mf, sizeof(select_mf), sw);
}

int rigfix_setup(void **state)
{
    static struct rigfix t;
    t.reader[0] = getenv("RIG_READER_0");
    t.reader[1] = getenv("RIG_READER_1");
    if (!t.reader[0] || !t.reader[1] || !getenv("SCMGR_RIG")) {
        fprintf(stderr, "this test runs under the rig: use run-under-rig.sh\n");
        return -1;
    }
    struct scm_detail d = {{0}};
    if (scm_rd_open(&t.ctx, &d) != SCM_OK) {
        fprintf(stderr, "scm_rd_open: %s\n", d.text);
        return -1;
    }
    *state = &t;
    return 0;
}

int rigfix_teardown(void **state)
{
    struct rigfix *t = *state;
    scm_rd_close(t->ctx);
    return 0;
}
