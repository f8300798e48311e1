/* The PKCS#15 agent (src/agents/pkcs15.c) on the in-process ISO 7816-4
 * card (simcard.c) carrying the layout OpenSC's pkcs15-init wrote on the
 * rig (the frozen files of tests/data/p15: EF.DIR, ODF, TokenInfo, AODF,
 * CDF, DODF): recognised, listed, read; a data object and a certificate
 * added and read back; and the card pulled out at every APDU of an add and
 * of a replace, each way the card can be pulled (the APDU not run, torn
 * half-way, run with its answer lost): the layout always decodes, the old
 * objects are intact and the new one is there whole or not at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scmgr/agent.h"
#include "simcard.h"
#include "testutil.h"

static const uint8_t aid[] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
                              0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};
/* Stand-ins for the EFs' contents: a DER SEQUENCE for each certificate. */
static const uint8_t cert45[] = {0x30, 0x06, 0x02, 0x01, 0x45, 0x05, 0x00, 0x00};
static const uint8_t cert46[] = {0x30, 0x03, 0x02, 0x01, 0x46};
static const uint8_t data1[] = "scmgr data object bytes";
static const uint8_t data2[] = "oid data";

static void send(struct scm_tx *tx, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *d,
                 size_t lc)
{
    struct scm_apdu a = {.ins = ins, .p1 = p1, .p2 = p2, .data = d, .lc = lc};
    uint8_t r[256];
    size_t got;
    uint16_t sw;
    assert_int_equal(scm_tx_apdu(tx, &a, r, sizeof(r), &got, &sw), SCM_OK);
    assert_int_equal(sw, 0x9000);
}

/* An EF fid of size bytes in the current DF holding data (the rest zeros). */
static void ef(struct scm_tx *tx, uint16_t fid, size_t size, const uint8_t *data, size_t len)
{
    uint8_t fcp[] = {0x62, 0x0B, 0x80, 0x02, (uint8_t)(size >> 8), (uint8_t)size, 0x82,
                     0x01, 0x01, 0x83, 0x02, (uint8_t)(fid >> 8),  (uint8_t)fid};
    send(tx, 0xE0, 0, 0, fcp, sizeof(fcp));
    for (size_t off = 0; off < len; off += 200)
        send(tx, 0xD6, (uint8_t)(off >> 8), (uint8_t)off, data + off,
             len - off < 200 ? len - off : 200);
}

static void ef_frozen(struct scm_tx *tx, uint16_t fid, const char *name)
{
    char rel[64];
    snprintf(rel, sizeof(rel), "p15/%s", name);
    char *path = tu_data_path(rel);
    size_t len = 0;
    uint8_t *b = tu_read_file(path, &len);
    free(path);
    assert_non_null(b);
    ef(tx, fid, len, b, len);
    free(b);
}

static void to_df(struct scm_tx *tx)
{
    static const uint8_t p[] = {0x50, 0x15};
    send(tx, 0xA4, 0x08, 0x0C, p, 2);
}

/* pkcs15-init's layout with its two certificates and two data objects. */
static struct simcard *p15_card(void)
{
    struct simcard *s = sim_new(1 << 16, false);
    struct scm_tx *tx = sim_tx(s);
    uint8_t df[32] = {0x62, 0, 0x82, 0x01, 0x38, 0x83, 0x02, 0x50, 0x15, 0x84, sizeof(aid)};
    memcpy(df + 11, aid, sizeof(aid));
    df[1] = (uint8_t)(9 + sizeof(aid));
    ef_frozen(tx, 0x2F00, "ef-dir");
    send(tx, 0xE0, 0, 0, df, 11 + sizeof(aid));
    to_df(tx);
    ef_frozen(tx, 0x5031, "odf");
    ef_frozen(tx, 0x5032, "tokeninfo");
    ef_frozen(tx, 0x4401, "aodf");
    ef_frozen(tx, 0x4404, "cdf");
    ef_frozen(tx, 0x4405, "dodf");
    ef(tx, 0x3400, sizeof(cert45), cert45, sizeof(cert45));
    ef(tx, 0x3401, sizeof(cert46), cert46, sizeof(cert46));
    ef(tx, 0x3200, sizeof(data1) - 1, data1, sizeof(data1) - 1);
    ef(tx, 0x3201, sizeof(data2) - 1, data2, sizeof(data2) - 1);
    sim_reinsert(s);
    return s;
}

static const struct scm_agent_ops *ag = &scm_agent_pkcs15;

static void *attach(struct simcard *s)
{
    void *st = NULL;
    struct scm_detail d;
    int rc = ag->attach(sim_tx(s), &st, &d);
    if (rc != SCM_OK)
        fail_msg("attach: %d %s", rc, d.text);
    return st;
}

static const struct scm_object *by_label(const struct scm_object *o, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(o[i].label, label) == 0)
            return &o[i];
    return NULL;
}

/* The object labelled label reads as want (want NULL: it is not listed). */
static void expect_obj(void *st, const char *label, const uint8_t *want, size_t wlen)
{
    struct scm_object *objs;
    size_t n;
    struct scm_detail d;
    assert_int_equal(ag->list(st, &objs, &n, &d), SCM_OK);
    const struct scm_object *o = by_label(objs, n, label);
    if (!want) {
        assert_null(o);
    } else {
        uint8_t *b;
        size_t len;
        assert_non_null(o);
        assert_int_equal(ag->read(st, o, &b, &len, &d), SCM_OK);
        assert_int_equal(len, wlen);
        assert_memory_equal(b, want, wlen);
        scm_secure_free(b, len);
    }
    free(objs);
}

static void expect_originals(void *st)
{
    expect_obj(st, "lab cert", cert45, sizeof(cert45));
    expect_obj(st, "second cert", cert46, sizeof(cert46));
    expect_obj(st, "lab data", data1, sizeof(data1) - 1);
    expect_obj(st, "oid data", data2, sizeof(data2) - 1);
}

static void t_read(void **state)
{
    (void)state;
    struct simcard *s = p15_card();
    assert_int_equal(ag->probe(sim_tx(s)), 1);
    void *st = attach(s);
    struct scm_agent_info info;
    struct scm_detail d;
    assert_int_equal(ag->info(st, &info, &d), SCM_OK);
    assert_string_equal(info.label, "scmgr lab");
    assert_string_equal(info.serial, "0000");
    assert_string_equal(info.type, "PKCS#15 card (unknown)");
    assert_int_equal(info.write_cred, -1); /* no PIN in the AODF */
    struct scm_cred creds[SCM_CRED_MAX];
    size_t nc = 9;
    assert_int_equal(ag->creds(st, creds, SCM_CRED_MAX, &nc, &d), SCM_OK);
    assert_int_equal(nc, 0);
    struct scm_object *objs;
    size_t n;
    assert_int_equal(ag->list(st, &objs, &n, &d), SCM_OK);
    assert_int_equal(n, 4);
    const struct scm_object *c = by_label(objs, n, "lab cert");
    assert_non_null(c);
    assert_string_equal(c->ref.s, "3F0050153400");
    assert_int_equal(c->type, SCM_OBJ_CERT);
    assert_int_equal(c->id_len, 1);
    assert_int_equal(c->id[0], 0x45);
    const struct scm_object *o = by_label(objs, n, "oid data");
    assert_non_null(o);
    assert_string_equal(o->ref.s, "3F0050153201");
    assert_string_equal(o->group, "scmgr lab: data objects");
    /* 0C "scmgr", 06 1.3.6.1.4.1.99999.1 */
    static const uint8_t attrs[] = {0x0C, 5,    's',  'c',  'm',  'g',  'r',  0x06, 0x09,
                                    0x2B, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8D, 0x1F, 0x01};
    assert_int_equal(o->attrs_len, sizeof(attrs));
    assert_memory_equal(o->attrs, attrs, sizeof(attrs));
    free(objs);
    expect_originals(st);
    assert_int_equal(ag->changed(st, &d), 0);
    ag->detach(st);
    sim_free(s);
}

static void t_not_ours(void **state)
{
    (void)state;
    struct simcard *s = sim_new(1 << 12, false);
    assert_int_equal(ag->probe(sim_tx(s)), 0);
    void *st = NULL;
    struct scm_detail d;
    assert_int_equal(ag->attach(sim_tx(s), &st, &d), SCM_E_NO_AGENT);
    sim_free(s);
}

static const uint8_t newdata[] = "written by the agent";
static const uint8_t newcert[] = {0x30, 0x04, 0x02, 0x02, 0x12, 0x34};

static int put(void *st, const char *label, enum scm_obj_type type, const uint8_t *b, size_t len,
               bool replace)
{
    struct scm_obj_new o = {.label = label, .type = type, .data = b, .len = len};
    static const uint8_t id[] = {0x47};
    struct scm_agent_put p = {.obj = &o, .id = id, .id_len = sizeof(id)};
    struct scm_detail d;
    return ag->write(st, &p, replace, &d);
}

static void t_write(void **state)
{
    (void)state;
    struct simcard *s = p15_card();
    void *st = attach(s);
    struct scm_detail d;
    assert_int_equal(put(st, "agent data", SCM_OBJ_DATA, newdata, sizeof(newdata) - 1, false),
                     SCM_OK);
    assert_int_equal(put(st, "agent cert", SCM_OBJ_CERT, newcert, sizeof(newcert), false), SCM_OK);
    assert_int_equal(put(st, "agent data", SCM_OBJ_DATA, newdata, 3, false), SCM_E_EXISTS);
    ag->detach(st);
    /* What another connection finds. */
    sim_reinsert(s);
    st = attach(s);
    expect_originals(st);
    expect_obj(st, "agent data", newdata, sizeof(newdata) - 1);
    expect_obj(st, "agent cert", newcert, sizeof(newcert));
    /* Another program's change shows to `changed`. */
    void *other = attach(s);
    assert_int_equal(put(other, "other data", SCM_OBJ_DATA, newdata, 4, false), SCM_OK);
    assert_int_equal(ag->changed(st, &d), 1);
    expect_obj(st, "other data", newdata, 4);
    ag->detach(other);
    /* Replace and remove. */
    assert_int_equal(put(st, "agent data", SCM_OBJ_DATA, newcert, sizeof(newcert), true), SCM_OK);
    expect_obj(st, "agent data", newcert, sizeof(newcert));
    struct scm_object *objs;
    size_t n;
    assert_int_equal(ag->list(st, &objs, &n, &d), SCM_OK);
    assert_int_equal(n, 7);
    assert_int_equal(ag->remove(st, by_label(objs, n, "lab data"), &d), SCM_OK);
    free(objs);
    expect_obj(st, "lab data", NULL, 0);
    expect_obj(st, "oid data", data2, sizeof(data2) - 1);
    expect_obj(st, "agent data", newcert, sizeof(newcert));
    /* Too large for an EF of this card. */
    static uint8_t big[40000];
    assert_int_equal(put(st, "big", SCM_OBJ_DATA, big, sizeof(big), false), SCM_E_CARD_FULL);
    ag->detach(st);
    sim_free(s);
}

/* Pulled out at each APDU of an add (replace false) or a replace of "lab
 * data", each fault kind: what the card holds afterwards decodes, and
 * every object is old or new, whole. */
static void pulled(bool replace)
{
    static const enum sim_fault how[] = {SIM_FAULT_DROP, SIM_FAULT_TEAR, SIM_FAULT_LOST};
    const char *label = replace ? "lab data" : "agent data";
    for (size_t h = 0; h < 3; h++) {
        for (long at = 0;; at++) {
            assert_true(at < 200);
            struct simcard *s = p15_card();
            void *st = attach(s);
            sim_fail_after(s, at, how[h]);
            int rc = put(st, label, SCM_OBJ_DATA, newdata, sizeof(newdata) - 1, replace);
            bool was_pulled = sim_pulled(s);
            ag->detach(st);
            sim_reinsert(s);
            st = attach(s); /* the layout decodes */
            struct scm_object *objs;
            size_t n;
            struct scm_detail d;
            assert_int_equal(ag->list(st, &objs, &n, &d), SCM_OK);
            const struct scm_object *o = by_label(objs, n, label);
            uint8_t *b = NULL;
            size_t len = 0;
            if (o)
                assert_int_equal(ag->read(st, o, &b, &len, &d), SCM_OK);
            bool is_new = o && len == sizeof(newdata) - 1 && memcmp(b, newdata, len) == 0;
            bool is_old =
                replace ? o && len == sizeof(data1) - 1 && memcmp(b, data1, len) == 0 : !o;
            if (!is_new && !is_old)
                fail_msg("pulled at APDU %ld (fault %zu): '%s' is neither old nor new", at, h,
                         label);
            scm_secure_free(b, len);
            assert_int_equal(n, replace ? 4u : is_new ? 5u : 4u);
            free(objs);
            expect_obj(st, "lab cert", cert45, sizeof(cert45));
            expect_obj(st, "oid data", data2, sizeof(data2) - 1);
            if (!replace)
                expect_obj(st, "lab data", data1, sizeof(data1) - 1);
            ag->detach(st);
            sim_free(s);
            if (!was_pulled) {
                assert_int_equal(rc, SCM_OK);
                assert_true(is_new);
                break;
            }
        }
    }
}

static void t_pulled_add(void **state)
{
    (void)state;
    pulled(false);
}

static void t_pulled_replace(void **state)
{
    (void)state;
    pulled(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_read),           cmocka_unit_test(t_not_ours),
        cmocka_unit_test(t_write),          cmocka_unit_test(t_pulled_add),
        cmocka_unit_test(t_pulled_replace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
