/* Damaged and forged VSC files, and the frozen golden file.
 *
 * Damage: every single-bit flip of a whole file (every byte x 8 bits),
 * every truncation and a trailing byte must be refused with a sentence,
 * never crash, never unlock. The checksums catch all of them before any
 * KDF work, so the full sweep stays fast.
 * Forgery: flips whose checksums are recomputed, so that only the MACs and
 * GCM tags can catch them: every bit of the header and of the areas (but
 * one byte of the KDF iteration count, see test_every_keyed_flip).
 *
 * tests/data/golden-v1.vsc was made once by running this program with
 * SCMGR_MAKE_GOLDEN=path; the test checks it against literals below, so a
 * later change of the writer cannot silently change what it expects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gnutls/crypto.h>

#include "scmgr/vsc.h"
#include "testutil.h"

#define PW "corrupt-pw"

struct fx {
    char *dir, *orig, *work;
    struct scm_policy pol;
    uint8_t *buf;
    size_t len;
};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Recompute the header and file checksums of a (possibly modified) file. */
static void recompute(uint8_t *b, size_t len)
{
    size_t h = be32(b + 12);
    if (16 + h + 32 <= len)
        gnutls_hash_fast(GNUTLS_DIG_SHA256, b, 16 + h, b + 16 + h);
    gnutls_hash_fast(GNUTLS_DIG_SHA256, b, len - 32, b + len - 32);
}

/* Write b as the work file; open and unlock it. Returns the first error. */
static int try_file(struct fx *f, const uint8_t *b, size_t len, struct scm_detail *d)
{
    struct scm_vsc *v = NULL;
    memset(d, 0, sizeof(*d));
    assert_int_equal(tu_write_file(f->work, b, len), 0);
    int rc = scm_vsc_open_file(f->work, &f->pol, &v, d);
    if (rc == SCM_OK)
        rc = scm_vsc_unlock(v, PW, strlen(PW), d);
    scm_vsc_close(v);
    return rc;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct scm_store *st;
    struct scm_vsc *v;
    struct scm_detail d;
    f->dir = tu_mkdtemp();
    tu_test_policy(&f->pol);
    if (scm_store_open(f->dir, &f->pol, &st, &d) != SCM_OK ||
        scm_vsc_create(st, "corrupt", "Corrupt me", NULL, PW, strlen(PW), &v, &d) != SCM_OK)
        return -1;
    static const struct {
        enum scm_area a;
        enum scm_obj_type t;
        const char *label, *data;
    } objs[] = {
        {SCM_AREA_PUBLIC, SCM_OBJ_CERT, "cert", "PUBLIC-CERT-BYTES"},
        {SCM_AREA_PUBLIC, SCM_OBJ_NOTE, "note", "PUBLIC-NOTE"},
        {SCM_AREA_PRIVATE, SCM_OBJ_DATA, "private", "PRIVATE-DATA"},
        {SCM_AREA_SECRET, SCM_OBJ_SECRETKEY, "secret", "SECRET-KEY-BYTES"},
    };
    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
        struct scm_obj_new o = {objs[i].label, objs[i].t, objs[i].a,
                                (const uint8_t *)objs[i].data, strlen(objs[i].data),
                                i == 0 ? "3F00/5C00" : NULL, NULL, 0};
        if (scm_vsc_add(v, &o, NULL) != SCM_OK)
            return -1;
    }
    if (scm_vsc_save(v, &d) != SCM_OK)
        return -1;
    scm_vsc_close(v);
    scm_store_close(st);
    if (asprintf(&f->orig, "%s/corrupt.vsc", f->dir) < 0 ||
        asprintf(&f->work, "%s/work.vsc", f->dir) < 0)
        return -1;
    f->buf = tu_read_file(f->orig, &f->len);
    *state = f;
    return f->buf ? 0 : -1;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tu_rmtree(f->dir);
    free(f->dir);
    free(f->orig);
    free(f->work);
    free(f->buf);
    free(f);
    return 0;
}

static void test_intact(void **state)
{
    struct fx *f = *state;
    struct scm_detail d;
    assert_int_equal(try_file(f, f->buf, f->len, &d), SCM_OK);
}

static void test_every_bit_flip(void **state)
{
    struct fx *f = *state;
    uint8_t *b = malloc(f->len);
    struct scm_detail d;
    memcpy(b, f->buf, f->len);
    for (size_t i = 0; i < f->len; i++)
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            int rc = try_file(f, b, f->len, &d);
            if (rc >= 0 || d.text[0] == '\0')
                fail_msg("flip of byte %zu bit %d: rc %d, detail \"%s\"", i, bit, rc, d.text);
            b[i] ^= (uint8_t)(1u << bit);
        }
    free(b);
}

static void test_truncation_and_trailing(void **state)
{
    struct fx *f = *state;
    struct scm_detail d;
    for (size_t n = 0; n < f->len; n++) {
        int rc = try_file(f, f->buf, n, &d);
        if (rc != SCM_E_VSC_CORRUPT || !strstr(d.text, "truncated"))
            fail_msg("truncated to %zu: rc %d, \"%s\"", n, rc, d.text);
    }
    /* The exact size is named once the area lengths are readable. */
    assert_int_equal(try_file(f, f->buf, f->len - 1, &d), SCM_E_VSC_CORRUPT);
    char want[96];
    snprintf(want, sizeof(want), "(expected %zu bytes, found %zu)", f->len, f->len - 1);
    assert_non_null(strstr(d.text, want));
    uint8_t *b = malloc(f->len + 1);
    memcpy(b, f->buf, f->len);
    b[f->len] = 0;
    assert_int_equal(try_file(f, b, f->len + 1, &d), SCM_E_VSC_CORRUPT);
    assert_non_null(strstr(d.text, "too many"));
    /* Even with the checksum made right for the longer file. */
    recompute(b, f->len + 1);
    assert_true(try_file(f, b, f->len + 1, &d) < 0);
    free(b);
}

static void test_messages(void **state)
{
    struct fx *f = *state;
    struct scm_detail d;
    uint8_t *b = malloc(f->len);
    static const struct {
        size_t off;
        uint8_t val;
        int rc;
        const char *text;
    } cases[] = {
        {0, 'X', SCM_E_VSC_CORRUPT, "not a VSC file (bad magic)"},
        {8, 2, SCM_E_VSC_VERSION, "format version 2.0"},
        {11, 1, SCM_E_VSC_VERSION, "flags"},
        {12, 0x7F, SCM_E_VSC_CORRUPT, "header length"},
        {20, 0x55, SCM_E_VSC_CORRUPT, "header checksum does not match (the file is damaged)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(b, f->buf, f->len);
        b[cases[i].off] = cases[i].val;
        assert_int_equal(try_file(f, b, f->len, &d), cases[i].rc);
        assert_non_null(strstr(d.text, cases[i].text));
        assert_non_null(strstr(d.text, f->work));
    }
    /* A newer minor version still opens. */
    memcpy(b, f->buf, f->len);
    b[9] = 7;
    recompute(b, f->len);
    assert_int_equal(try_file(f, b, f->len, &d), SCM_E_VSC_TAMPERED); /* the header MAC covers it */
    memcpy(b, f->buf, f->len);
    b[f->len - 40] ^= 1; /* inside the secret GCM tag */
    assert_int_equal(try_file(f, b, f->len, &d), SCM_E_VSC_CORRUPT);
    if (!strstr(d.text, "file checksum does not match"))
        fail_msg("%s", d.text);
    free(b);
}

/* Offset of a header record's value (tag t), or 0. */
static size_t tag_value(const uint8_t *b, unsigned t)
{
    size_t h = be32(b + 12), off = 16;
    while (off + 5 <= 16 + h) {
        if (b[off] == t)
            return off + 5;
        off += 5 + be32(b + off + 1);
    }
    return 0;
}

static void test_forgery(void **state)
{
    struct fx *f = *state;
    struct scm_detail d;
    uint8_t *b = malloc(f->len);
    size_t h = be32(f->buf + 12), areas = 80 + h;
    size_t pub_l = be32(f->buf + areas + 1);
    size_t priv = areas + 5 + pub_l, priv_l = be32(f->buf + priv + 1);
    size_t sec = priv + 5 + priv_l;
    static const char *const what[] = {"label", "state", "generation", "header MAC",
                                       "public data", "public MAC", "private body",
                                       "secret tag"};
    size_t offs[8];
    offs[0] = tag_value(f->buf, 0x02);
    offs[1] = tag_value(f->buf, 0x06);
    offs[2] = tag_value(f->buf, 0x05) + 7;
    offs[3] = 16 + h + 32;
    offs[4] = (size_t)((uint8_t *)memmem(f->buf, f->len, "PUBLIC-NOTE", 11) - f->buf);
    offs[5] = priv - 1;
    offs[6] = priv + 5 + 20;
    offs[7] = sec + 5 + be32(f->buf + sec + 1) - 1;
    for (size_t i = 0; i < 8; i++) {
        memcpy(b, f->buf, f->len);
        b[offs[i]] ^= 1;
        recompute(b, f->len);
        int rc = try_file(f, b, f->len, &d);
        if (rc != SCM_E_VSC_TAMPERED)
            fail_msg("forged %s: rc %d \"%s\"", what[i], rc, d.text);
        assert_non_null(strstr(d.text, "without the password"));
    }
    /* The public area reads before unlock ("not verified") even if forged. */
    memcpy(b, f->buf, f->len);
    b[offs[4]] = 'X';
    recompute(b, f->len);
    struct scm_vsc *v;
    assert_int_equal(tu_write_file(f->work, b, f->len), 0);
    assert_int_equal(scm_vsc_open_file(f->work, &f->pol, &v, &d), SCM_OK);
    struct scm_vsc_info info;
    scm_vsc_get_info(v, &info);
    assert_false(info.public_verified);
    assert_int_equal(scm_vsc_unlock(v, PW, strlen(PW), &d), SCM_E_VSC_TAMPERED);
    scm_vsc_close(v);
    /* A changed WRAP or KDF salt no longer unwraps: as a wrong password. */
    memcpy(b, f->buf, f->len);
    b[tag_value(f->buf, 0x08) + 20] ^= 1;
    recompute(b, f->len);
    assert_int_equal(try_file(f, b, f->len, &d), SCM_E_BAD_PASSWORD);
    free(b);
}

/* Every bit of the file flipped with both checksums made right again: each
 * must be refused by the parser, the password check or a MAC/tag. Only
 * the trailing file checksum itself is left out (recompute rewrites it). */
static void test_every_keyed_flip(void **state)
{
    struct fx *f = *state;
    struct scm_detail d;
    uint8_t *b = malloc(f->len);
    size_t h = be32(f->buf + 12), iter = tag_value(f->buf, 0x07) + 1;
    for (size_t i = 0; i < f->len - 32; i++) {
        if (i >= 16 + h && i < 16 + h + 32)
            continue; /* the header checksum: recompute rewrites it too */
        /* The second byte of the iteration count is left out: its flips
         * ask for up to 8 million PBKDF2 rounds, below the 10,000 x floor
         * bound, so each costs seconds before the changed count shows as
         * a wrong password. The high byte's flips exceed the bound and are
         * refused at once (see also test_kdf_bounds). */
        if (i == iter + 1)
            continue;
        for (int bit = 0; bit < 8; bit++) {
            memcpy(b, f->buf, f->len);
            b[i] ^= (uint8_t)(1u << bit);
            recompute(b, f->len);
            int rc = try_file(f, b, f->len, &d);
            if (rc >= 0 || d.text[0] == '\0')
                fail_msg("keyed flip of byte %zu bit %d: rc %d \"%s\"", i, bit, rc, d.text);
        }
    }
    free(b);
}

/* Iteration counts, with checksums made right: below the floor is refused
 * as too weak, far above it as damaged, both before any KDF work. */
static void test_kdf_bounds(void **state)
{
    struct fx *f = *state;
    struct scm_detail d;
    uint8_t *b = malloc(f->len);
    static const struct {
        uint32_t iter;
        int rc;
    } cases[] = {{999, SCM_E_KDF_TOO_WEAK},
                 {1, SCM_E_KDF_TOO_WEAK},
                 {10000001u, SCM_E_VSC_CORRUPT},
                 {0xFFFFFFFFu, SCM_E_VSC_CORRUPT},
                 {1001, SCM_E_BAD_PASSWORD}};
    size_t at = tag_value(f->buf, 0x07) + 1;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(b, f->buf, f->len);
        b[at] = (uint8_t)(cases[i].iter >> 24), b[at + 1] = (uint8_t)(cases[i].iter >> 16);
        b[at + 2] = (uint8_t)(cases[i].iter >> 8), b[at + 3] = (uint8_t)cases[i].iter;
        recompute(b, f->len);
        int rc = try_file(f, b, f->len, &d);
        if (rc != cases[i].rc)
            fail_msg("%u iterations: rc %d \"%s\"", cases[i].iter, rc, d.text);
    }
    free(b);
}

/* ---- The golden file --------------------------------------------------------- */

#define GOLDEN_PW "golden-password"
static const char g_cert[] = "0\x82\x01\x0a mike hamann's Entrust ID certificate (test bytes)";
static const char g_note[] = "Please read the card's instructions before use.";
static const char g_priv[] = "Private Info: account 4711, branch 0815";
static const char g_login[] = "user=mike\npassword=hunter2\n";
static const char g_key[] = "0123456789ABCDEF0123456789ABCDEF";

static const struct {
    enum scm_area a;
    enum scm_obj_type t;
    const char *label, *data;
    size_t len;
} golden[] = {
    {SCM_AREA_PUBLIC, SCM_OBJ_CERT, "mike hamann's Entrust ID", g_cert, sizeof(g_cert) - 1},
    {SCM_AREA_PUBLIC, SCM_OBJ_NOTE, "Please read", g_note, sizeof(g_note) - 1},
    {SCM_AREA_PRIVATE, SCM_OBJ_DATA, "Private Info", g_priv, sizeof(g_priv) - 1},
    {SCM_AREA_PRIVATE, SCM_OBJ_LOGIN, "Login-Object", g_login, sizeof(g_login) - 1},
    {SCM_AREA_SECRET, SCM_OBJ_SECRETKEY, "Session key", g_key, sizeof(g_key) - 1},
};
#define NGOLDEN (sizeof(golden) / sizeof(golden[0]))

/* Run once by hand: SCMGR_MAKE_GOLDEN=tests/data/golden-v1.vsc test_vsc_corrupt */
static int make_golden(const char *out)
{
    struct scm_policy pol;
    struct scm_store *st;
    struct scm_vsc *v;
    struct scm_detail d = {{0}};
    char *dir = tu_mkdtemp();
    int rc;
    tu_test_policy(&pol);
    rc = scm_store_open(dir, &pol, &st, &d);
    if (rc == SCM_OK)
        rc = scm_vsc_create(st, "00001079", NULL, NULL, GOLDEN_PW, strlen(GOLDEN_PW), &v, &d);
    for (size_t i = 0; rc == SCM_OK && i < NGOLDEN; i++) {
        struct scm_obj_new o = {golden[i].label, golden[i].t, golden[i].a,
                                (const uint8_t *)golden[i].data, golden[i].len,
                                i == 0 ? "3F00/5C00/5C02/6003" : NULL,
                                i == 0 ? (const uint8_t *)"\x62\x03\x80\x01\x40" : NULL,
                                i == 0 ? 5 : 0};
        rc = scm_vsc_add(v, &o, NULL);
    }
    if (rc == SCM_OK)
        rc = scm_vsc_save(v, &d);
    if (rc == SCM_OK)
        rc = scm_vsc_export(v, out, false, &d);
    fprintf(stderr, "make golden: %d %s\n", rc, d.text);
    tu_rmtree(dir);
    free(dir);
    return rc == SCM_OK ? 0 : 1;
}

static void test_golden(void **state)
{
    (void)state;
    struct scm_policy pol;
    struct scm_vsc *v;
    struct scm_detail d = {{0}};
    char *path = tu_data_path("golden-v1.vsc");
    size_t n0, n1;
    uint8_t *before = tu_read_file(path, &n0);
    assert_non_null(before);
    tu_test_policy(&pol);
    int rc = scm_vsc_open_file(path, &pol, &v, &d);
    if (rc != SCM_OK)
        fail_msg("golden: %d %s", rc, d.text);
    struct scm_vsc_info info;
    scm_vsc_get_info(v, &info);
    assert_string_equal(info.uid, "00001079");
    assert_string_equal(info.label, "VSC 00001079");
    assert_int_equal(info.generation, 2);
    assert_int_equal(info.kdf_iterations, 1000);
    assert_false(info.disabled);
    assert_int_equal(info.count[0], 2);
    assert_int_equal(info.count[1], 2);
    assert_int_equal(info.count[2], 1);
    assert_int_equal(scm_vsc_unlock(v, "golden-passworD", 15, &d), SCM_E_BAD_PASSWORD);
    assert_int_equal(scm_vsc_unlock(v, GOLDEN_PW, strlen(GOLDEN_PW), &d), SCM_OK);
    for (size_t i = 0; i < NGOLDEN; i++) {
        uint32_t id;
        struct scm_obj_info oi;
        uint8_t *data;
        size_t len;
        assert_int_equal(scm_vsc_find(v, golden[i].label, &id), SCM_OK);
        assert_int_equal(scm_vsc_get_obj(v, id, &oi), SCM_OK);
        assert_int_equal(oi.id, i + 1);
        assert_int_equal(oi.area, golden[i].a);
        assert_int_equal(oi.type, golden[i].t);
        assert_int_equal(oi.size, golden[i].len);
        if (i == 0) {
            assert_string_equal(oi.src_path, "3F00/5C00/5C02/6003");
            assert_int_equal(oi.src_attrs_len, 5);
            assert_memory_equal(oi.src_attrs, "\x62\x03\x80\x01\x40", 5);
        }
        rc = scm_vsc_read(v, id, &data, &len);
        if (golden[i].a == SCM_AREA_SECRET) {
            assert_int_equal(rc, SCM_E_SECRET_AREA);
            continue;
        }
        assert_int_equal(rc, SCM_OK);
        assert_int_equal(len, golden[i].len);
        assert_memory_equal(data, golden[i].data, len);
        scm_secure_free(data, len);
    }
    scm_vsc_close(v);
    uint8_t *after = tu_read_file(path, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
    free(path);
}

int main(void)
{
    const char *golden_out = getenv("SCMGR_MAKE_GOLDEN");
    if (golden_out)
        return make_golden(golden_out);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intact),
        cmocka_unit_test(test_every_bit_flip),
        cmocka_unit_test(test_truncation_and_trailing),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_forgery),
        cmocka_unit_test(test_every_keyed_flip),
        cmocka_unit_test(test_kdf_bounds),
        cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
