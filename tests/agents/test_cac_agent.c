/* The CAC agent (src/agents/cac.c) over the replay transport: what
 * libcacard's soft card never shows (tests/rig/cli_cac.sh covers that
 * card): a data buffer with content (tags and values merged as OpenSC
 * gives them), one that needs the PIN (6982) and reads after it, a
 * certificate the card keeps compressed, a card without a Capability
 * Container (the PKI applets found by AID, OpenSC's SHA-1 serial), a
 * certificate read in several chunks, the key's facts, and the probe on
 * cards that are not CACs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gnutls/crypto.h>

#include "iso.h"
#include "replay_tx.h"
#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SEL_CCC "00A4040007A000000116DB00 00"
#define TAGS "80520000 02 01F0 00"
#define VALUES "80520000 02 02F0 00"

static const struct scm_object *find(const struct scm_object *o, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(o[i].label, label) == 0)
            return &o[i];
    return NULL;
}

/* A CCC naming a PKI applet whose certificate is compressed, Person
 * Instance, and PKI Credential behind the PIN. */
static void test_ccc_card(void **state)
{
    (void)state;
    static const struct rtx_step st[] = {
        {SEL_CCC, "9000"},
        {TAGS, "0800 F00A F310 F310 F310 9000"},
        {VALUES, "3A00 A000000079 03 02 112233"
                 " A000000079 04 0100 0100 000000000000"
                 " A000000079 01 0200 0200 000000000000"
                 " A000000079 01 02FD 02FD 000000000000 9000"},
        /* info: the first certificate, for the label */
        {"00A4040007A0000000790100 00", "9000"},
        {"00A4020C020100", "9000"},
        {TAGS, "0400 7101 7004 9000"},
        {VALUES, "0500 01 DEADBEEF 9000"}, /* CertInfo 01: compressed */
        /* list: Person Instance, PKI Credential */
        {"00A4040007A0000000790200 00", "9000"},
        {"00A4020C020200", "9000"},
        {TAGS, "0400 0103 0202 9000"},
        {VALUES, "0500 414243 3132 9000"},
        {"00A4040007A00000007902FD 00", "9000"},
        {"00A4020C0202FD", "9000"},
        {TAGS, "0200 0105 9000"},
        {VALUES, "6982"},
        /* a wrong PIN, then the right one */
        {"00200000 08 30303030FFFFFFFF", "6985"},
        {"00200000 08 31323334FFFFFFFF", "9000"},
        /* PKI Credential again, now readable (still selected) */
        {TAGS, "0200 0105 9000"},
        {VALUES, "0500 6162636465 9000"},
        /* logout takes back the PIN */
        {"0020FF00", "6A00"},
    };
    struct rtx r;
    struct scm_detail d = {{0}};
    void *s = NULL;
    rtx_init(&r, st, N(st), false);
    assert_int_equal(scm_agent_cac.attach(&r.tx, &s, &d), SCM_OK);

    struct scm_agent_info info;
    assert_int_equal(scm_agent_cac.info(s, &info, &d), SCM_OK);
    assert_string_equal(info.type, "CAC (Common Access Card)");
    assert_string_equal(info.serial, "112233"); /* the CCC's card ID, after RID, maker and type */
    assert_string_equal(info.label, "CAC card"); /* no readable first certificate */
    assert_int_equal(info.write_cred, SCM_CRED_NEVER);

    struct scm_object *o;
    size_t n;
    assert_int_equal(scm_agent_cac.list(s, &o, &n, &d), SCM_OK);
    assert_int_equal(n, 4);
    const struct scm_object *cert = find(o, n, "CAC ID Certificate");
    assert_non_null(cert);
    /* Kept compressed (no inflater): data, not a certificate. */
    assert_int_equal(cert->cls, SCM_CLASS_DATA);
    assert_int_equal(cert->size, 4);
    assert_int_equal(cert->id_len, 2);
    assert_int_equal(cert->id[1], 1);
    const struct scm_object *key = find(o, n, "CAC ID private key");
    assert_non_null(key);
    assert_true(scm_obj_sealed(key));
    assert_int_equal(key->key.alg, SCM_KEY_NONE); /* facts unknown: the certificate is compressed */
    const struct scm_object *pi = find(o, n, "Person Instance");
    assert_non_null(pi);
    assert_string_equal(pi->group, "Data buffers");
    assert_int_equal(pi->size, 9);
    const struct scm_object *cred = find(o, n, "PKI Credential");
    assert_non_null(cred);
    assert_true(cred->present);
    assert_int_equal(cred->read_cred, 0);
    assert_int_equal(scm_obj_area(cred), SCM_AREA_PRIVATE);

    uint8_t *b;
    size_t bl;
    assert_int_equal(scm_agent_cac.read(s, pi, &b, &bl, &d), SCM_OK);
    static const uint8_t merged[] = {0x01, 0x03, 'A', 'B', 'C', 0x02, 0x02, '1', '2'};
    assert_int_equal(bl, sizeof(merged));
    assert_memory_equal(b, merged, bl);
    scm_secure_free(b, bl);
    assert_int_equal(scm_agent_cac.read(s, cert, &b, &bl, &d), SCM_OK);
    assert_int_equal(bl, 4);
    assert_int_equal(b[0], 0xDE);
    scm_secure_free(b, bl);
    assert_int_equal(scm_agent_cac.read(s, key, &b, &bl, &d), SCM_E_NOT_EXPORTABLE);

    int tries = 7;
    assert_int_equal(scm_agent_cac.verify(s, 0, (const uint8_t *)"0000", 4, &tries, &d),
                     SCM_E_BAD_PIN);
    assert_int_equal(tries, -1);
    assert_non_null(strstr(d.text, "Wrong PIN"));
    assert_int_equal(scm_agent_cac.verify(s, 0, (const uint8_t *)"12", 2, &tries, &d),
                     SCM_E_BAD_PIN_FORMAT); /* refused before anything is sent */
    assert_int_equal(scm_agent_cac.verify(s, 0, (const uint8_t *)"1234", 4, &tries, &d), SCM_OK);
    struct scm_object c2 = *cred;
    assert_int_equal(scm_agent_cac.read(s, &c2, &b, &bl, &d), SCM_OK);
    static const uint8_t credv[] = {0x01, 0x05, 'a', 'b', 'c', 'd', 'e'};
    assert_int_equal(bl, sizeof(credv));
    assert_memory_equal(b, credv, bl);
    scm_secure_free(b, bl);

    /* Read-only: one sentence, no APDU. */
    struct scm_obj_new on = {.label = "x", .type = SCM_OBJ_NOTE, .data = merged, .len = 3};
    struct scm_agent_put put = {.obj = &on};
    struct scm_obj_ref ref;
    assert_int_equal(scm_agent_cac.write(s, &put, true, &d), SCM_E_NOT_SUPPORTED);
    assert_non_null(strstr(d.text, "A CAC card cannot be written by scmgr: "));
    assert_int_equal(scm_agent_cac.remove(s, pi, &d), SCM_E_NOT_SUPPORTED);
    assert_int_equal(scm_agent_cac.place(s, &put, &ref, &d), SCM_E_NOT_SUPPORTED);
    free(o);
    scm_agent_cac.logout(s);
    scm_agent_cac.detach(s);
    rtx_assert_done(&r);
}

/* No CCC: the PKI applets by AID; a 482-byte certificate read in three
 * chunks; OpenSC's serial (SHA-1 of the certificate's first 100 bytes). */
static void test_bare_card(void **state)
{
    (void)state;
    size_t dl;
    char *path = tu_data_path("demo-cert.der");
    uint8_t *der = tu_read_file(path, &dl);
    free(path);
    assert_non_null(der);
    assert_int_equal(dl, 482);
    uint8_t v[483];
    v[0] = 0x00; /* CertInfo: plain */
    memcpy(v + 1, der, dl);
    static char c1[700], c2[700], c3[700];
    char h[600];
    scm_hex(v, 238, "", h, sizeof(h));
    snprintf(c1, sizeof(c1), "E301%s9000", h);
    scm_hex(v + 238, 240, "", h, sizeof(h));
    snprintf(c2, sizeof(c2), "%s9000", h);
    scm_hex(v + 478, 5, "", h, sizeof(h));
    snprintf(c3, sizeof(c3), "%s9000", h);

    static struct rtx_step st[64];
    size_t k = 0;
    static char aids[22][40];
    st[k++] = (struct rtx_step){SEL_CCC, "6A82"};
    for (int i = 0; i < 16; i++) {
        snprintf(aids[i], sizeof(aids[i]), "00A4040007A00000007901%02X00", i);
        st[k++] = (struct rtx_step){aids[i], i == 0 ? "9000" : "6A82"};
    }
    static const char *gen[] = {"0200", "0201", "0202", "0203", "02FD", "02FE"};
    for (int i = 0; i < 6; i++) {
        snprintf(aids[16 + i], sizeof(aids[0]), "00A4040007A000000079%s00", gen[i]);
        st[k++] = (struct rtx_step){aids[16 + i], "6A82"};
    }
    st[k++] = (struct rtx_step){"00A4040007A0000000790100 00", "9000"};
    st[k++] = (struct rtx_step){TAGS, "0600 7101 70FFE201 9000"};
    st[k++] = (struct rtx_step){VALUES, c1};
    st[k++] = (struct rtx_step){"805200F0 02 02F0 00", c2};
    st[k++] = (struct rtx_step){"805201E0 02 0205 00", c3};
    st[k++] = (struct rtx_step){"00200000", "6A88"};

    struct rtx r;
    struct scm_detail d = {{0}};
    void *s = NULL;
    rtx_init(&r, st, k, false);
    assert_int_equal(scm_agent_cac.attach(&r.tx, &s, &d), SCM_OK);
    struct scm_agent_info info;
    assert_int_equal(scm_agent_cac.info(s, &info, &d), SCM_OK);
    assert_string_equal(info.label, "Mike"); /* the first certificate's CN */
    uint8_t sha[20];
    char want[41];
    assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA1, der, 100, sha), 0);
    scm_hex(sha, sizeof(sha), "", want, sizeof(want));
    assert_string_equal(info.serial, want);

    struct scm_object *o;
    size_t n;
    assert_int_equal(scm_agent_cac.list(s, &o, &n, &d), SCM_OK);
    assert_int_equal(n, 2);
    assert_int_equal(o[0].cls, SCM_CLASS_CERT);
    assert_string_equal(o[0].ref.s, "A0000000790100");
    assert_int_equal(o[0].size, dl);
    assert_int_equal(o[1].cls, SCM_CLASS_PRIVKEY);
    assert_int_equal(o[1].key.alg, SCM_KEY_EC_P256);
    assert_int_equal(o[1].key.bits, 256);
    assert_false(o[1].key.extractable);
    assert_int_equal(o[1].key.usage, SCM_KEY_USE_SIGN | SCM_KEY_USE_AUTH);
    uint8_t *b;
    size_t bl;
    assert_int_equal(scm_agent_cac.read(s, &o[0], &b, &bl, &d), SCM_OK);
    assert_int_equal(bl, dl);
    assert_memory_equal(b, der, dl);
    scm_secure_free(b, bl);

    struct scm_cred cr[SCM_CRED_MAX];
    size_t nc;
    assert_int_equal(scm_agent_cac.creds(s, cr, SCM_CRED_MAX, &nc, &d), SCM_OK);
    assert_int_equal(nc, 1);
    assert_int_equal(cr[0].kind, SCM_CRED_PIN);
    assert_int_equal(cr[0].tries_left, -1); /* 6A88: the card counts no tries */
    assert_false(cr[0].verified);
    free(o);
    scm_agent_cac.detach(s);
    rtx_assert_done(&r);
    free(der);
}

/* Not a CAC: no CCC and no PKI applet; an applet that answers SELECT but
 * not READ BUFFER; a card pulled out in the middle of the CCC. */
static void test_not_cac(void **state)
{
    (void)state;
    static const struct rtx_step st[] = {
        {SEL_CCC, "6A82"},
        {"00A4040007A0000000790100 00", "6A82"},
        {SEL_CCC, "9000"},
        {"80520000 02 0102 00", "6D00"},
        {"00A4040007A0000000790100 00", "6A82"},
        {SEL_CCC, "9000"},
        {TAGS, "0800 F00A F310 F310 F310 9000"},
        {VALUES, "REMOVED"},
    };
    struct rtx r;
    struct scm_detail d = {{0}};
    void *s = NULL;
    rtx_init(&r, st, N(st), false);
    assert_int_equal(scm_agent_cac.probe(&r.tx), 0);
    assert_int_equal(scm_agent_cac.probe(&r.tx), 0);
    assert_int_equal(scm_agent_cac.attach(&r.tx, &s, &d), SCM_E_CARD_REMOVED);
    assert_null(s);
    assert_non_null(strstr(d.text, "removed"));
    rtx_assert_done(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ccc_card),
        cmocka_unit_test(test_bare_card),
        cmocka_unit_test(test_not_cac),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
