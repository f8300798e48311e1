/* The PKCS#15 DER codec (src/agents/p15_asn1.c): the layout OpenSC's
 * pkcs15-init writes (the entries of cards-in-the-wild §4.2, and the
 * files read back from a real run on the rig, frozen in tests/data/p15 by
 * tests/rig/p15_clients.sh), entries of the kinds pkcs15-init cannot make
 * on the rig's card (PIN, private and public keys), the encoders against
 * OpenSC's own bytes, and malformed input of every sort. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "p15_asn1.h"
#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        assert_true(n < cap);
        assert_int_equal(sscanf(h, "%2x", &v), 1);
        out[n++] = (uint8_t)v;
    }
    assert_int_equal(h[0], '\0');
    return n;
}

/* A frozen file of tests/data/p15. */
static uint8_t *data_file(const char *name, size_t *len)
{
    char rel[64];
    snprintf(rel, sizeof(rel), "p15/%s", name);
    char *path = tu_data_path(rel);
    uint8_t *b = tu_read_file(path, len);
    assert_non_null(b);
    free(path);
    return b;
}

static void assert_path(const struct p15_path *p, const char *hex)
{
    uint8_t want[P15_PATH_MAX];
    size_t n = unhex(hex, want, sizeof(want));
    assert_int_equal(p->len, n);
    assert_memory_equal(p->v, want, n);
}

/* ---- the entries and files of cards-in-the-wild §4.2 ----------------------- */

/* pkcs15-init --store-certificate c1.pem --id 45 --label "lab cert" */
static const char cdf_entry_hex[] = "3023300E0C086C61622063657274030206403003040145"
                                    "A10C300A300804063F0050153400";
/* pkcs15-init --store-data d1.bin --label "lab data" --application-name scmgr.
 * (The notes draw the path as A1 {30 {30 {04}}}; OpenSC writes one
 * SEQUENCE less, A1 {30 {04}}: these are its bytes.) */
static const char dodf_entry_hex[] = "3025300E0C086C61622064617461030206403007"
                                     "0C0573636D6772A10A300804063F0050153200";

static void test_notes_dir_odf_tokeninfo(void **state)
{
    (void)state;
    uint8_t b[128];
    size_t n = unhex("611F4F0CA000000063504B43532D31355009736"
                     "36D6772206C616251043F005015",
                     b, sizeof(b));
    struct p15_app apps[4];
    size_t napps = 9;
    assert_int_equal(scm_p15_dir_decode(b, n, apps, N(apps), &napps, NULL), SCM_OK);
    assert_int_equal(napps, 1);
    static const uint8_t aid[] = {P15_AID_BYTES};
    assert_int_equal(apps[0].aid_len, P15_AID_LEN);
    assert_memory_equal(apps[0].aid, aid, P15_AID_LEN);
    assert_string_equal(apps[0].label.s, "scmgr lab");
    assert_path(&apps[0].path, "3F005015");

    n = unhex("A80A300804063F0050154401A40A300804063F0050154404A70A300804063F0050154405", b,
              sizeof(b));
    struct p15_odf_entry odf[8];
    size_t nodf;
    assert_int_equal(scm_p15_odf_decode(b, n, odf, N(odf), &nodf, NULL), SCM_OK);
    assert_int_equal(nodf, 3);
    assert_int_equal(odf[0].kind, P15_AODF);
    assert_path(&odf[0].path, "3F0050154401");
    assert_int_equal(odf[1].kind, P15_CDF);
    assert_path(&odf[1].path, "3F0050154404");
    assert_int_equal(odf[2].kind, P15_DODF);
    assert_path(&odf[2].path, "3F0050154405");
    assert_false(odf[2].path.has_range);

    n = unhex("30320201000402000"
              "00C07756E6B6E6F776E8009736"
              "36D6772206C6162030204"
              "10A51118"
              "0F32303236313230333137313834385A",
              b, sizeof(b));
    struct p15_tokeninfo ti;
    assert_int_equal(scm_p15_tokeninfo_decode(b, n, &ti, NULL), SCM_OK);
    assert_int_equal(ti.version, 0);
    assert_int_equal(ti.serial_len, 2);
    assert_string_equal(ti.manufacturer.s, "unknown");
    assert_string_equal(ti.label.s, "scmgr lab");
    assert_int_equal(ti.flags, P15_TOKEN_EID_COMPLIANT); /* pkcs15-tool: "EID compliant" */
    assert_string_equal(ti.last_update, "20261203171848Z");
}

static void test_notes_cdf_dodf_entries(void **state)
{
    (void)state;
    uint8_t b[128];
    size_t n = unhex(cdf_entry_hex, b, sizeof(b));
    struct p15_obj *o;
    size_t no;
    assert_int_equal(scm_p15_df_decode(P15_CDF, b, n, &o, &no, NULL), SCM_OK);
    assert_int_equal(no, 1);
    assert_int_equal(o[0].choice, 0x30);
    assert_string_equal(o[0].label.s, "lab cert");
    assert_int_equal(o[0].flags, P15_OBJ_MODIFIABLE); /* pkcs15-tool: [0x02], modifiable */
    assert_int_equal(o[0].auth_id.len, 0);
    assert_int_equal(o[0].id.len, 1);
    assert_int_equal(o[0].id.v[0], 0x45);
    assert_false(o[0].authority);
    assert_true(o[0].has_path);
    assert_path(&o[0].path, "3F0050153400");
    free(o);

    n = unhex(dodf_entry_hex, b, sizeof(b));
    assert_int_equal(scm_p15_df_decode(P15_DODF, b, n, &o, &no, NULL), SCM_OK);
    assert_int_equal(no, 1);
    assert_string_equal(o[0].label.s, "lab data");
    assert_string_equal(o[0].app_name.s, "scmgr");
    assert_int_equal(o[0].app_oid_len, 0);
    assert_true(o[0].has_path);
    assert_path(&o[0].path, "3F0050153200");
    free(o);

    /* The path drawn as in the notes, one SEQUENCE deeper, reads the same. */
    n = unhex("3027300E0C086C61622064617461030206403007"
              "0C0573636D6772A10C300A300804063F0050153200",
              b, sizeof(b));
    assert_int_equal(scm_p15_df_decode(P15_DODF, b, n, &o, &no, NULL), SCM_OK);
    assert_path(&o[0].path, "3F0050153200");
    free(o);
}

static void test_encode_as_opensc(void **state)
{
    (void)state;
    uint8_t want[128], out[128];
    size_t wn, n;
    static const uint8_t id45[] = {0x45};
    static const uint8_t p3400[] = {0x3F, 0x00, 0x50, 0x15, 0x34, 0x00};
    static const uint8_t p3200[] = {0x3F, 0x00, 0x50, 0x15, 0x32, 0x00};
    struct p15_cert_new c = {.label = "lab cert",
                             .flags = P15_OBJ_MODIFIABLE,
                             .id = id45,
                             .id_len = 1,
                             .path = p3400,
                             .path_len = sizeof(p3400)};
    wn = unhex(cdf_entry_hex, want, sizeof(want));
    assert_int_equal(scm_p15_cdf_entry_encode(&c, out, sizeof(out), &n), SCM_OK);
    assert_int_equal(n, wn);
    assert_memory_equal(out, want, wn);
    /* Exactly big enough, and one byte short. */
    assert_int_equal(scm_p15_cdf_entry_encode(&c, out, wn, &n), SCM_OK);
    assert_int_equal(scm_p15_cdf_entry_encode(&c, out, wn - 1, &n), SCM_E_LIMIT);

    struct p15_data_new dn = {.label = "lab data",
                              .flags = P15_OBJ_MODIFIABLE,
                              .app_name = "scmgr",
                              .path = p3200,
                              .path_len = sizeof(p3200)};
    wn = unhex(dodf_entry_hex, want, sizeof(want));
    assert_int_equal(scm_p15_dodf_entry_encode(&dn, out, sizeof(out), &n), SCM_OK);
    assert_int_equal(n, wn);
    assert_memory_equal(out, want, wn);

    /* A private object guarded by PIN 01, an authority certificate. */
    static const uint8_t auth01[] = {0x01};
    c.flags = P15_OBJ_PRIVATE | P15_OBJ_MODIFIABLE;
    c.auth_id = auth01;
    c.auth_id_len = 1;
    c.authority = true;
    assert_int_equal(scm_p15_cdf_entry_encode(&c, out, sizeof(out), &n), SCM_OK);
    struct p15_der r = scm_p15_der(out, n);
    struct p15_tlv t;
    assert_int_equal(scm_p15_der_next(&r, &t, NULL), SCM_OK);
    assert_int_equal(r.n, 0);
    struct p15_obj o;
    assert_int_equal(scm_p15_obj_decode(P15_CDF, &t, &o, NULL), SCM_OK);
    assert_int_equal(o.flags, 3);
    assert_int_equal(o.auth_id.len, 1);
    assert_true(o.authority);
    assert_string_equal(o.label.s, "lab cert");

    /* The ODF entries of the notes' ODF, in its order: AODF, CDF, DODF. */
    wn = unhex("A80A300804063F0050154401A40A300804063F0050154404A70A300804063F0050154405", want,
               sizeof(want));
    static const enum p15_df_kind odf_kinds[] = {P15_AODF, P15_CDF, P15_DODF};
    for (size_t i = 0; i < N(odf_kinds); i++) {
        uint8_t p[6] = {
            0x3F, 0x00,
            0x50, 0x15,
            0x44, (uint8_t)(0x01 + (odf_kinds[i] == P15_CDF) * 3 + (odf_kinds[i] == P15_DODF) * 4)};
        assert_int_equal(scm_p15_odf_entry_encode(odf_kinds[i], p, sizeof(p), out, sizeof(out), &n),
                         SCM_OK);
        assert_int_equal(n, 12);
        assert_memory_equal(out, want + 12 * i, 12);
    }
    assert_int_equal(scm_p15_odf_entry_encode(P15_DODF, p3200, sizeof(p3200), out, 11, &n),
                     SCM_E_LIMIT);
    assert_int_equal(
        scm_p15_odf_entry_encode((enum p15_df_kind)9, p3200, sizeof(p3200), out, sizeof(out), &n),
        SCM_E_INVAL);
    assert_int_equal(scm_p15_odf_entry_encode(P15_DODF, p3200, 0, out, sizeof(out), &n),
                     SCM_E_INVAL);

    /* What the encoders refuse. */
    c.id_len = 0;
    assert_int_equal(scm_p15_cdf_entry_encode(&c, out, sizeof(out), &n), SCM_E_INVAL);
    c.id_len = P15_ID_MAX + 1;
    assert_int_equal(scm_p15_cdf_entry_encode(&c, out, sizeof(out), &n), SCM_E_INVAL);
    c.id_len = 1;
    c.path_len = 0;
    assert_int_equal(scm_p15_cdf_entry_encode(&c, out, sizeof(out), &n), SCM_E_INVAL);
    c.path_len = P15_PATH_MAX + 1;
    assert_int_equal(scm_p15_cdf_entry_encode(&c, out, sizeof(out), &n), SCM_E_INVAL);
    char longlabel[P15_LABEL_MAX + 2];
    memset(longlabel, 'x', sizeof(longlabel) - 1);
    longlabel[sizeof(longlabel) - 1] = '\0';
    dn.label = longlabel;
    assert_int_equal(scm_p15_dodf_entry_encode(&dn, out, sizeof(out), &n), SCM_E_INVAL);
    /* The longest label still encodes (with 81/82 length forms) and reads back. */
    longlabel[P15_LABEL_MAX] = '\0';
    uint8_t big[600];
    assert_int_equal(scm_p15_dodf_entry_encode(&dn, big, sizeof(big), &n), SCM_OK);
    r = scm_p15_der(big, n);
    assert_int_equal(scm_p15_der_next(&r, &t, NULL), SCM_OK);
    assert_int_equal(scm_p15_obj_decode(P15_DODF, &t, &o, NULL), SCM_OK);
    assert_int_equal(o.label.len, P15_LABEL_MAX);
    assert_false(o.label.truncated);
    assert_string_equal(o.label.s, longlabel);
}

/* ---- the files of a real pkcs15-init run (tests/data/p15) --------------------- */

static void test_frozen_layout(void **state)
{
    (void)state;
    size_t len, n;
    uint8_t *b = data_file("ef-dir", &len);
    struct p15_app apps[P15_DIR_APPS_MAX];
    assert_int_equal(scm_p15_dir_decode(b, len, apps, N(apps), &n, NULL), SCM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(apps[0].label.s, "scmgr lab");
    assert_path(&apps[0].path, "3F005015");
    free(b);

    b = data_file("odf", &len);
    struct p15_odf_entry odf[P15_ODF_MAX];
    assert_int_equal(scm_p15_odf_decode(b, len, odf, N(odf), &n, NULL), SCM_OK);
    assert_int_equal(n, 3);
    assert_int_equal(odf[0].kind, P15_AODF);
    assert_int_equal(odf[1].kind, P15_CDF);
    assert_int_equal(odf[2].kind, P15_DODF);
    free(b);

    b = data_file("tokeninfo", &len);
    struct p15_tokeninfo ti;
    assert_int_equal(scm_p15_tokeninfo_decode(b, len, &ti, NULL), SCM_OK);
    assert_string_equal(ti.label.s, "scmgr lab");
    assert_string_equal(ti.manufacturer.s, "unknown");
    assert_int_equal(strlen(ti.last_update), 15);
    free(b);

    /* No PIN on the rig's card: an AODF of padding only. */
    struct p15_obj *o;
    b = data_file("aodf", &len);
    assert_int_equal(scm_p15_df_decode(P15_AODF, b, len, &o, &n, NULL), SCM_OK);
    assert_int_equal(n, 0);
    assert_null(o);
    free(b);
}

/* Each entry pkcs15-init wrote decodes, and the encoder, given what was
 * decoded, writes OpenSC's bytes again. */
static void test_frozen_entries_roundtrip(void **state)
{
    (void)state;
    size_t len, n, elen;
    uint8_t out[P15_LABEL_MAX * 2 + 128];
    struct p15_obj *o;
    uint8_t *b = data_file("cdf", &len);
    assert_int_equal(scm_p15_df_decode(P15_CDF, b, len, &o, &n, NULL), SCM_OK);
    assert_int_equal(n, 2);
    static const char *const cert_labels[] = {"lab cert", "second cert"};
    static const char *const cert_paths[] = {"3F0050153400", "3F0050153401"};
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(o[i].label.s, cert_labels[i]);
        assert_int_equal(o[i].id.v[0], 0x45 + i);
        assert_path(&o[i].path, cert_paths[i]);
        struct p15_cert_new c = {.label = o[i].label.s,
                                 .flags = o[i].flags,
                                 .id = o[i].id.v,
                                 .id_len = o[i].id.len,
                                 .path = o[i].path.v,
                                 .path_len = o[i].path.len};
        assert_int_equal(scm_p15_cdf_entry_encode(&c, out, sizeof(out), &elen), SCM_OK);
        assert_memory_equal(out, b + off, elen);
        off += elen;
    }
    /* A third entry goes right after the second, where the padding starts. */
    size_t at;
    assert_int_equal(scm_p15_df_append_at(b, len, elen, &at, NULL), SCM_OK);
    assert_int_equal(at, off);
    assert_int_equal(b[at], 0x00);
    struct scm_detail d;
    assert_int_equal(scm_p15_df_append_at(b, len, len - off + 1, &at, &d), SCM_E_CARD_FULL);
    assert_non_null(strstr(d.text, "bytes free"));
    free(o);
    free(b);

    b = data_file("dodf", &len);
    assert_int_equal(scm_p15_df_decode(P15_DODF, b, len, &o, &n, NULL), SCM_OK);
    assert_int_equal(n, 2);
    assert_string_equal(o[0].label.s, "lab data");
    assert_string_equal(o[1].label.s, "oid data");
    assert_string_equal(o[1].app_name.s, "scmgr");
    char dotted[64];
    assert_int_equal(scm_p15_oid_str(o[1].app_oid, o[1].app_oid_len, dotted, sizeof(dotted)),
                     SCM_OK);
    assert_string_equal(dotted, "1.3.6.1.4.1.99999.1");
    assert_path(&o[1].path, "3F0050153201");
    off = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t oid[P15_OID_MAX];
        size_t oid_len = 0;
        if (o[i].app_oid_len) {
            assert_int_equal(
                scm_p15_oid_str(o[i].app_oid, o[i].app_oid_len, dotted, sizeof(dotted)), SCM_OK);
            assert_int_equal(scm_p15_oid_parse(dotted, oid, sizeof(oid), &oid_len), SCM_OK);
        }
        struct p15_data_new dn = {.label = o[i].label.s,
                                  .flags = o[i].flags,
                                  .app_name = o[i].app_name.s,
                                  .app_oid = oid,
                                  .app_oid_len = oid_len,
                                  .path = o[i].path.v,
                                  .path_len = o[i].path.len};
        assert_int_equal(scm_p15_dodf_entry_encode(&dn, out, sizeof(out), &elen), SCM_OK);
        assert_memory_equal(out, b + off, elen);
        off += elen;
    }
    free(o);
    free(b);
}

/* ---- entries pkcs15-init cannot put on the rig's card ------------------------- */

static void test_pin_and_keys(void **state)
{
    (void)state;
    uint8_t b[128];
    struct p15_obj *o;
    size_t n, len;
    /* User PIN: authId 01, its PUK 02; local, initialized, needs padding;
     * ASCII numeric, 4..8, stored 8, reference 81 (one bare octet), pad FF. */
    len = unhex("303A30110C08557365722050494E030206C00401023003040101A120301E0302024C"
                "0A01010201040201080201088001810401FF300604043F005015",
                b, sizeof(b));
    assert_int_equal(scm_p15_df_decode(P15_AODF, b, len, &o, &n, NULL), SCM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(o[0].label.s, "User PIN");
    assert_int_equal(o[0].flags, P15_OBJ_PRIVATE | P15_OBJ_MODIFIABLE);
    assert_int_equal(o[0].auth_id.v[0], 0x02);
    assert_int_equal(o[0].id.v[0], 0x01);
    assert_int_equal(o[0].pin_flags, P15_PIN_LOCAL | P15_PIN_INITIALIZED | P15_PIN_NEEDS_PADDING);
    assert_int_equal(o[0].pin_type, P15_PIN_ASCII_NUMERIC);
    assert_int_equal(o[0].min_len, 4);
    assert_int_equal(o[0].stored_len, 8);
    assert_int_equal(o[0].max_len, 8);
    assert_int_equal(o[0].pin_ref, 0x81);
    assert_true(o[0].has_pad);
    assert_int_equal(o[0].pad_char, 0xFF);
    assert_path(&o[0].path, "3F005015");
    free(o);

    /* RSA-2048 private key 45: decrypt, sign, non-repudiation; sensitive,
     * always sensitive, never extractable, local; reference 10. */
    len = unhex("303930140C0B50726976617465204B657903020780040101300F0401450303066040030203B8"
                "020110A110300E300804063F00501544AA02020800",
                b, sizeof(b));
    assert_int_equal(scm_p15_df_decode(P15_PRKDF, b, len, &o, &n, NULL), SCM_OK);
    assert_int_equal(o[0].choice, 0x30);
    assert_int_equal(o[0].flags, P15_OBJ_PRIVATE);
    assert_int_equal(o[0].id.v[0], 0x45);
    assert_int_equal(o[0].usage, P15_USAGE_DECRYPT | P15_USAGE_SIGN | P15_USAGE_NONREPUDIATION);
    assert_int_equal(o[0].access, P15_ACCESS_SENSITIVE | P15_ACCESS_ALWAYSSENSITIVE |
                                      P15_ACCESS_NEVEREXTRACTABLE | P15_ACCESS_LOCAL);
    assert_true(o[0].native);
    assert_int_equal(o[0].key_ref, 0x10);
    assert_int_equal(o[0].key_bits, 2048);
    assert_path(&o[0].path, "3F00501544AA");
    free(o);

    /* A certificate in a part of a bigger EF (path 3400, index 16, length
     * 256; relative to the application), an authority. */
    len = unhex("302130060C047061727430060401450101FFA10F300D300B0402340002011080020100", b,
                sizeof(b));
    assert_int_equal(scm_p15_df_decode(P15_CDF, b, len, &o, &n, NULL), SCM_OK);
    assert_true(o[0].authority);
    assert_path(&o[0].path, "3400");
    assert_true(o[0].path.has_range);
    assert_int_equal(o[0].path.index, 16);
    assert_int_equal(o[0].path.count, 256);
    free(o);

    /* An EC public key (choice A0) given inline, with subclass attributes
     * to skip, native FALSE, 256 bits. */
    len = unhex("A045300B0C094543207075626C6963300A04014603020102010100A0053003800101"
                "A1233021A01B3059301306072A8648CE3D020106082A8648CE3D0301070342000402020100",
                b, sizeof(b));
    assert_int_equal(scm_p15_df_decode(P15_PUKDF, b, len, &o, &n, NULL), SCM_OK);
    assert_int_equal(o[0].choice, 0xA0);
    assert_int_equal(o[0].usage, P15_USAGE_VERIFY);
    assert_false(o[0].native);
    assert_int_equal(o[0].key_ref, -1);
    assert_false(o[0].has_path);
    assert_int_equal(o[0].direct_len, 0x1B);
    assert_ptr_equal(o[0].direct, b + 0x28);
    assert_int_equal(o[0].key_bits, 256);
    free(o);
}

/* ---- the reader and malformed input ----------------------------------------------- */

struct bad_case {
    const char *name;
    enum p15_df_kind kind;
    const char *hex;
    int err;
    const char *says; /* in the detail */
};

static const struct bad_case bad_cases[] = {
    {"length past the end", P15_CDF, "3024300E0C086C61622063657274030206403003040145",
     SCM_E_CARD_LAYOUT, "runs past the end"},
    {"indefinite length", P15_CDF, "3080300000", SCM_E_CARD_LAYOUT, "indefinite"},
    {"5-byte length", P15_CDF, "30850000000001", SCM_E_CARD_LAYOUT, "more than 4 bytes"},
    {"length bytes cut", P15_CDF, "308201", SCM_E_CARD_LAYOUT, "past the end"},
    {"tag without length", P15_CDF, "30", SCM_E_CARD_LAYOUT, "no length"},
    {"tag of 4 octets", P15_CDF, "3F81818100", SCM_E_CARD_LAYOUT, "longer than 3"},
    {"tag cut", P15_CDF, "3F81", SCM_E_CARD_LAYOUT, "tag runs past"},
    {"primitive entry", P15_CDF, "0401450000", SCM_E_CARD_LAYOUT, "primitive"},
    {"no common attributes", P15_CDF, "3003040145", SCM_E_CARD_LAYOUT, "no common object"},
    {"no class attributes", P15_CDF, "30023000", SCM_E_CARD_LAYOUT, "no class attributes"},
    {"no id", P15_CDF, "300430003000", SCM_E_CARD_LAYOUT, "no id"},
    {"id too long", P15_PRKDF,
     "3047300030430441000000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000",
     SCM_E_CARD_LAYOUT, "an id of 65 bytes"},
    {"path too long", P15_CDF,
     "302030003003040145A1173015301304113F3F3F3F3F3F3F3F3F3F3F3F3F3F3F3F3F", SCM_E_CARD_LAYOUT,
     "path of 17"},
    {"path empty", P15_CDF, "300F30003003040145A106300430020400", SCM_E_CARD_LAYOUT, "path of 0"},
    {"path without efid", P15_DODF, "300B30003000A1053003020100", SCM_E_CARD_LAYOUT,
     "without its file identifiers"},
    {"negative index", P15_DODF, "300F30003000A109300704023F000201FF", SCM_E_CARD_LAYOUT,
     "negative index"},
    {"bit string with 8 unused bits", P15_CDF, "300B3004030208003003040145", SCM_E_CARD_LAYOUT,
     "bit string"},
    {"bit string of 5 octets", P15_CDF, "300F300803060000000000003003040145", SCM_E_CARD_LAYOUT,
     "bit string"},
    {"5-byte integer", P15_PRKDF, "300E3000300A04014502050000000000", SCM_E_CARD_LAYOUT,
     "integer of 5"},
    {"empty integer", P15_PRKDF, "3009300030050401450200", SCM_E_CARD_LAYOUT, "integer of 0"},
    {"boolean of 2", P15_CDF, "300B3000300704014501020000", SCM_E_CARD_LAYOUT, "boolean"},
    {"PIN without lengths", P15_AODF, "300F30003003040101A106300403020780", SCM_E_CARD_LAYOUT,
     "min and stored"},
    {"pad char of 2", P15_AODF, "301530003003040101A10C300A020104020108040200FF", SCM_E_CARD_LAYOUT,
     "pad character"},
    {"OID too long", P15_DODF,
     "302F30003023062111111111111111111111111111111111111111111111111111111111111111110"
     "1A106300404023200",
     SCM_E_CARD_LAYOUT, "OID of 33"},
    {"type attributes without a value", P15_CDF, "300B30003003040145A1023000", SCM_E_CARD_LAYOUT,
     "without a value"},
    {"auth id too long", P15_CDF,
     "304A3043044101010101010101010101010101010101010101010101010101010101010101010101"
     "010101010101010101010101010101010101010101010101010101010101013003040145",
     SCM_E_CARD_LAYOUT, "authentication id of 65"},
    {"second entry broken", P15_CDF, "30073000300304014530023000", SCM_E_CARD_LAYOUT, "Entry 2"},
};

static size_t unhex_sp(const char *h, uint8_t *out, size_t cap)
{
    char buf[1024];
    size_t k = 0;
    for (; *h && k + 1 < sizeof(buf); h++)
        if (*h != ' ')
            buf[k++] = *h;
    buf[k] = '\0';
    return unhex(buf, out, cap);
}

static void test_bad_entries(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];
        uint8_t b[512];
        size_t len = unhex_sp(c->hex, b, sizeof(b));
        struct p15_obj *o = (struct p15_obj *)1;
        size_t n = 99;
        struct scm_detail d = {{0}};
        int rc = scm_p15_df_decode(c->kind, b, len, &o, &n, &d);
        if (rc != c->err || !strstr(d.text, c->says))
            fail_msg("%s: rc %d, detail \"%s\"", c->name, rc, d.text);
        assert_null(o);
        assert_int_equal(n, 0);
        /* The sentence names the file. */
        assert_non_null(strstr(d.text, "card's"));
    }
}

/* Every prefix of a good directory file either decodes fewer entries or
 * fails with a sentence; none reads past its end (ASan watches). */
static void test_every_prefix(void **state)
{
    (void)state;
    size_t len;
    uint8_t *full = data_file("dodf", &len);
    size_t used;
    assert_int_equal(scm_p15_der_check(full, len, &used, NULL), SCM_OK);
    assert_int_equal(used, 0x25 + 2 + 0x30 + 2);
    for (size_t k = 0; k <= used; k++) {
        uint8_t *b = malloc(k ? k : 1);
        assert_non_null(b);
        memcpy(b, full, k);
        struct p15_obj *o;
        size_t n;
        struct scm_detail d = {{0}};
        int rc = scm_p15_df_decode(P15_DODF, b, k, &o, &n, &d);
        if (k == 0 || k == 0x27 || k == used) {
            assert_int_equal(rc, SCM_OK);
            assert_int_equal(n, k == 0 ? 0 : k == used ? 2 : 1);
        } else {
            assert_int_equal(rc, SCM_E_CARD_LAYOUT);
            assert_true(d.text[0] != '\0');
        }
        free(o);
        free(b);
    }
    free(full);
}

static void test_reader(void **state)
{
    (void)state;
    uint8_t b[600];
    struct p15_tlv t;
    /* 81 and 82 length forms; a 3-octet tag (5F 81 01). */
    size_t len = unhex("5F8101028182", b, sizeof(b));
    struct p15_der r = scm_p15_der(b, len);
    assert_int_equal(scm_p15_der_next(&r, &t, NULL), SCM_OK);
    assert_int_equal(t.tag, 0x5F8101);
    assert_int_equal(t.len, 2);
    assert_int_equal(r.n, 0);
    assert_int_equal(scm_p15_der_next(&r, &t, NULL), SCM_E_NOT_FOUND);
    b[0] = 0x04;
    b[1] = 0x82;
    b[2] = 0x01;
    b[3] = 0x00;
    memset(b + 4, 0xAB, 256);
    r = scm_p15_der(b, 260);
    assert_int_equal(scm_p15_der_next(&r, &t, NULL), SCM_OK);
    assert_int_equal(t.len, 256);
    assert_int_equal(t.raw_len, 260);
    r = scm_p15_der(b, 259);
    assert_int_equal(scm_p15_der_next(&r, &t, NULL), SCM_E_CARD_LAYOUT);
    assert_int_equal(r.n, 259); /* not moved */
    /* take: another tag is NOT_FOUND and leaves the reader alone. */
    r = scm_p15_der(b, 260);
    assert_int_equal(scm_p15_der_take(&r, 0x30, &t, NULL), SCM_E_NOT_FOUND);
    assert_int_equal(r.n, 260);
    /* FF padding (an erased EF) ends a file as 00 does. */
    len = unhex("040145FFFFFF", b, sizeof(b));
    size_t used;
    assert_int_equal(scm_p15_der_check(b, len, &used, NULL), SCM_OK);
    assert_int_equal(used, 3);
    /* Nesting: P15_DEPTH_MAX - 1 levels pass, one more is refused. */
    for (int depth = P15_DEPTH_MAX - 1; depth <= P15_DEPTH_MAX; depth++) {
        size_t k = 0;
        for (int i = 0; i < depth; i++) {
            b[k++] = 0x30;
            b[k++] = (uint8_t)(2 * (depth - 1 - i) + 3);
        }
        b[k++] = 0x04;
        b[k++] = 0x01;
        b[k++] = 0x45;
        struct scm_detail d = {{0}};
        int rc = scm_p15_der_check(b, k, &used, &d);
        if (depth < P15_DEPTH_MAX) {
            assert_int_equal(rc, SCM_OK);
            assert_int_equal(used, k);
        } else {
            assert_int_equal(rc, SCM_E_CARD_LAYOUT);
            assert_non_null(strstr(d.text, "nested"));
        }
    }
    /* Integers and bits. */
    int32_t v;
    len = unhex("0202FF7F", b, sizeof(b));
    r = scm_p15_der(b, len);
    assert_int_equal(scm_p15_der_next(&r, &t, NULL), SCM_OK);
    assert_int_equal(scm_p15_der_int(&t, &v, NULL), SCM_OK);
    assert_int_equal(v, -129);
    uint32_t bits;
    len = unhex("030307FFFF", b, sizeof(b)); /* 7 unused bits: 9 bits set */
    r = scm_p15_der(b, len);
    assert_int_equal(scm_p15_der_next(&r, &t, NULL), SCM_OK);
    assert_int_equal(scm_p15_der_bits(&t, &bits, NULL), SCM_OK);
    assert_int_equal(bits, 0x1FF);
}

static void test_bad_files(void **state)
{
    (void)state;
    uint8_t b[128];
    size_t n, len;
    struct scm_detail d;
    struct p15_app apps[2];
    /* Not a template; no AID; too many applications for the caller. */
    len = unhex("6203500141", b, sizeof(b));
    assert_int_equal(scm_p15_dir_decode(b, len, apps, N(apps), &n, &d), SCM_E_CARD_LAYOUT);
    assert_non_null(strstr(d.text, "EF.DIR"));
    len = unhex("6103500141", b, sizeof(b));
    assert_int_equal(scm_p15_dir_decode(b, len, apps, N(apps), &n, &d), SCM_E_CARD_LAYOUT);
    assert_non_null(strstr(d.text, "without an AID"));
    len = unhex("61034F0101"
                "61034F0102"
                "61034F0103",
                b, sizeof(b));
    assert_int_equal(scm_p15_dir_decode(b, len, apps, N(apps), &n, &d), SCM_E_CARD_LAYOUT);
    assert_int_equal(scm_p15_dir_decode(b, 10, apps, N(apps), &n, &d), SCM_OK);
    assert_int_equal(n, 2);

    struct p15_odf_entry odf[2];
    /* Inline objects are not read; an unknown choice is skipped. */
    len = unhex("A405A003300100", b, sizeof(b));
    assert_int_equal(scm_p15_odf_decode(b, len, odf, N(odf), &n, &d), SCM_E_NOT_SUPPORTED);
    assert_non_null(strstr(d.text, "ODF cannot be read"));
    len = unhex("A9020500A40A300804063F0050154404", b, sizeof(b));
    assert_int_equal(scm_p15_odf_decode(b, len, odf, N(odf), &n, &d), SCM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(odf[0].kind, P15_CDF);
    len = unhex("A400", b, sizeof(b));
    assert_int_equal(scm_p15_odf_decode(b, len, odf, N(odf), &n, &d), SCM_E_CARD_LAYOUT);

    struct p15_tokeninfo ti;
    len = unhex("3003020100", b, sizeof(b));
    assert_int_equal(scm_p15_tokeninfo_decode(b, len, &ti, &d), SCM_E_CARD_LAYOUT);
    assert_non_null(strstr(d.text, "no serial number"));
    len = unhex("3007020100040100", b, sizeof(b));
    assert_int_equal(scm_p15_tokeninfo_decode(b, len, &ti, &d), SCM_E_CARD_LAYOUT);
    len = unhex("300A020100040100030204", b, sizeof(b));
    assert_int_equal(scm_p15_tokeninfo_decode(b, len, &ti, &d), SCM_E_CARD_LAYOUT);
    assert_non_null(strstr(d.text, "TokenInfo"));
    len = unhex("0401", b, sizeof(b));
    assert_int_equal(scm_p15_tokeninfo_decode(b, len, &ti, &d), SCM_E_CARD_LAYOUT);
    /* A label of 300 bytes is cut, not refused. */
    size_t k = 0;
    b[k++] = 0x30;
    b[k++] = 0x82;
    b[k++] = 0x01;
    b[k++] = 0x3A; /* 314 */
    memcpy(b + k, "\x02\x01\x00\x04\x01\x07\x0C\x82\x01\x2C", 10);
    k += 10;
    uint8_t big[400];
    memcpy(big, b, k);
    memset(big + k, 'L', 300);
    k += 300;
    memcpy(big + k, "\x03\x02\x04\x10", 4);
    k += 4;
    assert_int_equal(scm_p15_tokeninfo_decode(big, k, &ti, &d), SCM_OK);
    assert_int_equal(ti.manufacturer.len, P15_LABEL_MAX);
    assert_true(ti.manufacturer.truncated);
    assert_int_equal(ti.flags, P15_TOKEN_EID_COMPLIANT);
}

static void test_paths(void **state)
{
    (void)state;
    struct p15_path app = {.v = {0x3F, 0x00, 0x50, 0x15}, .len = 4};
    struct p15_path abs = {.v = {0x3F, 0x00, 0x50, 0x15, 0x44, 0x04}, .len = 6};
    struct p15_path rel = {.v = {0x44, 0x05}, .len = 2};
    struct p15_path mf = {.v = {0x3F, 0x00}, .len = 2};
    uint16_t f[8];
    size_t n;
    assert_int_equal(scm_p15_path_fids(&app, &abs, f, N(f), &n), SCM_OK);
    assert_int_equal(n, 2);
    assert_int_equal(f[0], 0x5015);
    assert_int_equal(f[1], 0x4404);
    assert_int_equal(scm_p15_path_fids(&app, &rel, f, N(f), &n), SCM_OK);
    assert_int_equal(n, 2);
    assert_int_equal(f[1], 0x4405);
    assert_int_equal(scm_p15_path_fids(NULL, &mf, f, N(f), &n), SCM_OK);
    assert_int_equal(n, 0);
    /* An absolute path needs no application; a relative one does. */
    assert_int_equal(scm_p15_path_fids(NULL, &abs, f, N(f), &n), SCM_OK);
    assert_int_equal(scm_p15_path_fids(NULL, &rel, f, N(f), &n), SCM_E_CARD_LAYOUT);
    assert_int_equal(scm_p15_path_fids(&rel, &rel, f, N(f), &n), SCM_E_CARD_LAYOUT);
    /* Odd, empty, too long, more FIDs than the caller has room for. */
    struct p15_path odd = {.v = {0x3F, 0x00, 0x50}, .len = 3};
    struct p15_path empty = {.len = 0};
    struct p15_path deep = {.len = 16};
    memset(deep.v, 0x11, 16);
    assert_int_equal(scm_p15_path_fids(&app, &odd, f, N(f), &n), SCM_E_CARD_LAYOUT);
    assert_int_equal(scm_p15_path_fids(&app, &empty, f, N(f), &n), SCM_E_CARD_LAYOUT);
    assert_int_equal(scm_p15_path_fids(&app, &deep, f, N(f), &n), SCM_E_CARD_LAYOUT);
    assert_int_equal(scm_p15_path_fids(&app, &abs, f, 1, &n), SCM_E_CARD_LAYOUT);
}

static void test_oids(void **state)
{
    (void)state;
    static const struct {
        const char *dotted;
        const char *hex;
    } good[] = {
        {"1.3.6.1.4.1.99999.1", "2B0601040186 8D1F01"},
        {"2.5.4.3", "550403"},
        {"0.9.2342", "0992 26"},
        {"2.999.4294967295", "8837 8FFFFFFF7F"},
    };
    for (size_t i = 0; i < N(good); i++) {
        uint8_t want[32], got[32];
        size_t wn = unhex_sp(good[i].hex, want, sizeof(want)), gn;
        char s[64];
        assert_int_equal(scm_p15_oid_parse(good[i].dotted, got, sizeof(got), &gn), SCM_OK);
        assert_int_equal(gn, wn);
        assert_memory_equal(got, want, wn);
        assert_int_equal(scm_p15_oid_str(want, wn, s, sizeof(s)), SCM_OK);
        assert_string_equal(s, good[i].dotted);
    }
    static const char *const bad_dotted[] = {
        "", "1", "3.1", "1.40", "1..2", "1.2.", "a.b", "1.2.4294967296", "1.2 "};
    for (size_t i = 0; i < N(bad_dotted); i++) {
        uint8_t got[32];
        size_t gn;
        if (scm_p15_oid_parse(bad_dotted[i], got, sizeof(got), &gn) != SCM_E_INVAL)
            fail_msg("\"%s\" was accepted", bad_dotted[i]);
    }
    uint8_t b[16];
    char s[64];
    /* unfinished arc; non-minimal arc; an arc over 32 bits; no room */
    size_t n = unhex("2B86", b, sizeof(b));
    assert_int_equal(scm_p15_oid_str(b, n, s, sizeof(s)), SCM_E_CARD_LAYOUT);
    n = unhex("2B8001", b, sizeof(b));
    assert_int_equal(scm_p15_oid_str(b, n, s, sizeof(s)), SCM_E_CARD_LAYOUT);
    n = unhex("2B908080808000", b, sizeof(b));
    assert_int_equal(scm_p15_oid_str(b, n, s, sizeof(s)), SCM_E_LIMIT);
    n = unhex("2B0601", b, sizeof(b));
    assert_int_equal(scm_p15_oid_str(b, n, s, 7), SCM_E_LIMIT);
    assert_int_equal(scm_p15_oid_str(b, n, s, 8), SCM_OK);
    assert_string_equal(s, "1.3.6.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notes_dir_odf_tokeninfo),
        cmocka_unit_test(test_notes_cdf_dodf_entries),
        cmocka_unit_test(test_encode_as_opensc),
        cmocka_unit_test(test_frozen_layout),
        cmocka_unit_test(test_frozen_entries_roundtrip),
        cmocka_unit_test(test_pin_and_keys),
        cmocka_unit_test(test_bad_entries),
        cmocka_unit_test(test_every_prefix),
        cmocka_unit_test(test_reader),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_oids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
