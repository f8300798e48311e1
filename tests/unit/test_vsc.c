/* The VSC control program through its API: round trips, passwords, state,
 * export and import, labels, limits, the KDF floor, secrecy and signing.
 * Every VSC is made under the test policy (1,000 PBKDF2 iterations). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "scmgr/vsc.h"
#include "testutil.h"

#define PW "test-password"

/* A fresh store under the test policy per test: tu_store_setup. */

static struct scm_vsc *make(struct tu_store *f, const char *uid)
{
    struct scm_vsc *v = NULL;
    struct scm_detail d = {{0}};
    int rc = scm_vsc_create(f->st, uid, NULL, NULL, PW, strlen(PW), &v, &d);
    if (rc != SCM_OK)
        fail_msg("create %s: %d %s", uid, rc, d.text);
    return v;
}

static struct scm_vsc *reopen(struct tu_store *f, const char *uid, const char *pw)
{
    struct scm_vsc *v = NULL;
    struct scm_detail d = {{0}};
    assert_int_equal(scm_vsc_open(f->st, uid, &v, &d), SCM_OK);
    if (pw) {
        int rc = scm_vsc_unlock(v, pw, strlen(pw), &d);
        if (rc != SCM_OK)
            fail_msg("unlock: %d %s", rc, d.text);
    }
    return v;
}

static uint32_t add(struct scm_vsc *v, enum scm_area a, enum scm_obj_type t, const char *label,
                    const void *data, size_t len)
{
    struct scm_obj_new o = {label, t, a, data, len, NULL, NULL, 0};
    uint32_t id = 0;
    int rc = scm_vsc_add(v, &o, &id);
    if (rc != SCM_OK)
        fail_msg("add %s: %d %s", label, rc, scm_vsc_last_detail(v));
    return id;
}

static void save(struct scm_vsc *v)
{
    struct scm_detail d = {{0}};
    int rc = scm_vsc_save(v, &d);
    if (rc != SCM_OK)
        fail_msg("save: %d %s", rc, d.text);
}

static char *vsc_file(struct tu_store *f, const char *uid)
{
    char *p;
    assert_true(asprintf(&p, "%s/%s.vsc", f->dir, uid) > 0);
    return p;
}

/* Distinct content for object (area, type): a few hundred bytes. */
static size_t content(unsigned a, unsigned t, uint8_t *buf)
{
    size_t n = 50 + 37 * a + 11 * t;
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(a * 31 + t * 7 + i * 13);
    return n;
}

static void test_roundtrip_all(void **state)
{
    struct tu_store *f = *state;
    struct scm_vsc *v = make(f, "00001079");
    uint8_t buf[512], attrs[3] = {0x62, 0x01, 0x82};
    char label[32];
    for (unsigned a = 0; a < SCM_AREA_COUNT; a++)
        for (unsigned t = SCM_OBJ_CERT; t <= SCM_OBJ_NOTE; t++) {
            size_t n = content(a, t, buf);
            snprintf(label, sizeof(label), "%s %s", scm_area_name(a), scm_obj_type_name(t));
            struct scm_obj_new o = {label, t, a, buf, n, t == 1 ? "3F00/5C00/6003" : NULL,
                                    t == 1 ? attrs : NULL, t == 1 ? 3 : 0};
            assert_int_equal(scm_vsc_add(v, &o, NULL), SCM_OK);
        }
    save(v);
    scm_vsc_close(v);

    v = reopen(f, "00001079", NULL);
    struct scm_vsc_info info;
    scm_vsc_get_info(v, &info);
    assert_false(info.unlocked);
    assert_false(info.public_verified);
    assert_int_equal(info.generation, 2);
    for (unsigned a = 0; a < SCM_AREA_COUNT; a++)
        assert_int_equal(info.count[a], 9);
    const struct scm_obj_info *l;
    size_t n;
    assert_int_equal(scm_vsc_list(v, SCM_AREA_PUBLIC, &l, &n), SCM_OK);
    assert_int_equal(n, 9);
    /* Without the password a public object is not verified: only its
     * checksums were checked, and they need no key. */
    for (size_t i = 0; i < n; i++)
        assert_false(l[i].verified);
    struct scm_obj_info oi;
    assert_int_equal(scm_vsc_get_obj(v, l[0].id, &oi), SCM_OK);
    assert_false(oi.verified);
    assert_int_equal(scm_vsc_list(v, SCM_AREA_PRIVATE, &l, &n), SCM_E_VSC_LOCKED);
    uint32_t id;
    assert_int_equal(scm_vsc_find(v, "private data", &id), SCM_E_NOT_FOUND);
    assert_int_equal(scm_vsc_find(v, "public note", &id), SCM_OK);
    uint8_t *data;
    size_t len;
    assert_int_equal(scm_vsc_read(v, id, &data, &len), SCM_OK);
    assert_int_equal(len, content(0, SCM_OBJ_NOTE, buf));
    assert_memory_equal(data, buf, len);
    scm_secure_free(data, len);

    struct scm_detail d;
    assert_int_equal(scm_vsc_unlock(v, PW, strlen(PW), &d), SCM_OK);
    scm_vsc_get_info(v, &info);
    assert_true(info.unlocked && info.public_verified);
    for (unsigned a = 0; a < SCM_AREA_COUNT; a++) {
        assert_int_equal(scm_vsc_list(v, a, &l, &n), SCM_OK);
        assert_int_equal(n, 9);
        for (size_t i = 0; i < n; i++) {
            unsigned t = l[i].type;
            snprintf(label, sizeof(label), "%s %s", scm_area_name(a), scm_obj_type_name(t));
            assert_string_equal(l[i].label, label);
            assert_int_equal(l[i].area, a);
            assert_true(l[i].verified); /* the password checked every area */
            assert_int_equal(l[i].size, content(a, t, buf));
            if (t == 1) {
                assert_string_equal(l[i].src_path, "3F00/5C00/6003");
                assert_int_equal(l[i].src_attrs_len, 3);
                assert_memory_equal(l[i].src_attrs, attrs, 3);
            } else {
                assert_string_equal(l[i].src_path, "");
            }
            int rc = scm_vsc_read(v, l[i].id, &data, &len);
            if (a == SCM_AREA_SECRET) {
                assert_int_equal(rc, SCM_E_SECRET_AREA);
                assert_null(data);
                continue;
            }
            assert_int_equal(rc, SCM_OK);
            assert_int_equal(len, content(a, t, buf));
            assert_memory_equal(data, buf, len);
            scm_secure_free(data, len);
        }
    }
    /* Edits survive a save, and locking drops unsaved ones. */
    assert_int_equal(scm_vsc_find(v, "private login", &id), SCM_OK);
    assert_int_equal(scm_vsc_rename(v, id, "renamed login"), SCM_OK);
    assert_int_equal(scm_vsc_replace(v, id, (const uint8_t *)"xyz", 3), SCM_OK);
    assert_int_equal(scm_vsc_find(v, "public url", &id), SCM_OK);
    assert_int_equal(scm_vsc_delete(v, id), SCM_OK);
    save(v);
    assert_int_equal(scm_vsc_find(v, "secret note", &id), SCM_OK);
    assert_int_equal(scm_vsc_delete(v, id), SCM_OK);
    scm_vsc_lock(v);
    assert_int_equal(scm_vsc_list(v, SCM_AREA_PUBLIC, &l, &n), SCM_OK);
    assert_true(n > 0);
    assert_false(l[0].verified); /* locking forgets the check */
    assert_int_equal(scm_vsc_unlock(v, PW, strlen(PW), &d), SCM_OK);
    assert_int_equal(scm_vsc_find(v, "secret note", &id), SCM_OK);
    assert_int_equal(scm_vsc_find(v, "public url", &id), SCM_E_NOT_FOUND);
    assert_int_equal(scm_vsc_find(v, "renamed login", &id), SCM_OK);
    assert_int_equal(scm_vsc_read(v, id, &data, &len), SCM_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(data, "xyz", 3);
    scm_secure_free(data, len);
    scm_vsc_close(v);
}

static void test_wrong_password(void **state)
{
    struct tu_store *f = *state;
    struct scm_vsc *v = make(f, "wrongpw");
    add(v, SCM_AREA_PRIVATE, SCM_OBJ_DATA, "p", "x", 1);
    save(v);
    scm_vsc_close(v);
    char *path = vsc_file(f, "wrongpw");
    size_t n1, n2;
    uint8_t *before = tu_read_file(path, &n1);
    struct scm_detail d = {{0}};
    assert_int_equal(scm_vsc_open(f->st, "wrongpw", &v, &d), SCM_OK);
    assert_int_equal(scm_vsc_unlock(v, "nope", 4, &d), SCM_E_BAD_PASSWORD);
    assert_non_null(strstr(d.text, "wrong password"));
    assert_int_equal(scm_vsc_unlock(v, PW, strlen(PW) - 1, &d), SCM_E_BAD_PASSWORD);
    assert_int_equal(scm_vsc_unlock(v, "", 0, &d), SCM_E_BAD_PASSWORD);
    assert_int_equal(scm_vsc_add(v, &(struct scm_obj_new){"q", SCM_OBJ_DATA, 0, NULL, 0, NULL,
                                                          NULL, 0},
                                 NULL),
                     SCM_E_VSC_LOCKED);
    assert_int_equal(scm_vsc_save(v, &d), SCM_E_VSC_LOCKED);
    scm_vsc_close(v);
    uint8_t *after = tu_read_file(path, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(before, after, n1);
    free(before);
    free(after);
    free(path);
}

static void test_passwd(void **state)
{
    struct tu_store *f = *state;
    struct scm_vsc *v = make(f, "pw");
    uint32_t id = add(v, SCM_AREA_PRIVATE, SCM_OBJ_LOGIN, "login", "user:secret", 11);
    add(v, SCM_AREA_SECRET, SCM_OBJ_SECRETKEY, "key", "0123456789abcdef", 16);
    save(v);
    struct scm_detail d;
    assert_int_equal(scm_vsc_passwd(v, "abc", 3, &d), SCM_E_PW_WEAK);
    assert_int_equal(scm_vsc_passwd(v, "new-password", 12, &d), SCM_OK);
    scm_vsc_close(v);
    assert_int_equal(scm_vsc_open(f->st, "pw", &v, &d), SCM_OK);
    assert_int_equal(scm_vsc_unlock(v, PW, strlen(PW), &d), SCM_E_BAD_PASSWORD);
    assert_int_equal(scm_vsc_unlock(v, "new-password", 12, &d), SCM_OK);
    uint8_t *data;
    size_t len;
    assert_int_equal(scm_vsc_read(v, id, &data, &len), SCM_OK);
    assert_memory_equal(data, "user:secret", 11);
    scm_secure_free(data, len);
    struct scm_vsc_info info;
    scm_vsc_get_info(v, &info);
    assert_int_equal(info.count[SCM_AREA_SECRET], 1);
    scm_vsc_close(v);
}

static void test_disable_enable(void **state)
{
    struct tu_store *f = *state;
    struct scm_vsc *v = make(f, "dis");
    struct scm_detail d;
    assert_int_equal(scm_vsc_disable(v, &d), SCM_OK);
    scm_vsc_close(v);
    v = reopen(f, "dis", NULL);
    struct scm_vsc_info info;
    scm_vsc_get_info(v, &info);
    assert_true(info.disabled);
    assert_int_equal(scm_vsc_unlock(v, PW, strlen(PW), &d), SCM_E_VSC_DISABLED);
    assert_false((scm_vsc_get_info(v, &info), info.unlocked));
    /* The password is checked before the state is told. */
    assert_int_equal(scm_vsc_unlock(v, "wrong", 5, &d), SCM_E_BAD_PASSWORD);
    assert_int_equal(scm_vsc_enable(v, "wrong", 5, &d), SCM_E_BAD_PASSWORD);
    assert_int_equal(scm_vsc_enable(v, PW, strlen(PW), &d), SCM_OK);
    scm_vsc_get_info(v, &info);
    assert_true(info.unlocked && !info.disabled);
    scm_vsc_close(v);
    v = reopen(f, "dis", PW);
    scm_vsc_close(v);
}

static void test_export_import(void **state)
{
    struct tu_store *f = *state;
    struct scm_vsc *v = make(f, "exp.1");
    add(v, SCM_AREA_PUBLIC, SCM_OBJ_CERT, "cert", "CERT", 4);
    add(v, SCM_AREA_PRIVATE, SCM_OBJ_DATA, "priv", "PRIV", 4);
    char *out;
    struct scm_detail d;
    /* Outside the store: a file in it named other than its UID would be a
     * damaged store entry, and import refuses those. */
    char *outdir = tu_mkdtemp();
    assert_true(asprintf(&out, "%s/exported.vsc", outdir) > 0);
    assert_int_equal(scm_vsc_export(v, out, false, &d), SCM_E_VSC_UNSAVED);
    save(v);
    /* The same store under stricter policies. */
    for (int k = 0; k < 2; k++) {
        struct scm_policy strict = f->pol;
        struct scm_store *ss;
        struct scm_vsc *sv;
        if (k == 0)
            strict.allow_private_export = false;
        else
            strict.allow_export = false;
        assert_int_equal(scm_store_open(f->dir, &strict, &ss, &d), SCM_OK);
        assert_int_equal(scm_vsc_open(ss, "exp.1", &sv, &d), SCM_OK);
        assert_int_equal(scm_vsc_export(sv, out, false, &d), SCM_E_POLICY);
        assert_true(strlen(d.text) > 0);
        scm_vsc_close(sv);
        scm_store_close(ss);
    }
    assert_int_equal(access(out, F_OK), -1);
    assert_int_equal(scm_vsc_export(v, out, false, &d), SCM_OK);
    struct stat sb;
    assert_int_equal(stat(out, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    scm_vsc_close(v);
    assert_int_equal(scm_vsc_verify_file(out, &f->pol, PW, strlen(PW), &d), SCM_OK);
    assert_int_equal(scm_vsc_verify_file(out, &f->pol, NULL, 0, &d), SCM_OK);

    char *dir2 = tu_mkdtemp();
    struct scm_store *st2;
    char uid[SCM_VSC_UID_MAX + 1];
    assert_int_equal(scm_store_open(dir2, &f->pol, &st2, &d), SCM_OK);
    assert_int_equal(scm_store_import(st2, out, uid, &d), SCM_OK);
    assert_string_equal(uid, "exp.1");
    assert_int_equal(scm_store_import(st2, out, uid, &d), SCM_E_VSC_EXISTS);
    assert_int_equal(scm_store_import(f->st, out, uid, &d), SCM_E_VSC_EXISTS);
    assert_non_null(strstr(d.text, "already exists"));
    assert_int_equal(scm_vsc_open(st2, "exp.1", &v, &d), SCM_OK);
    assert_int_equal(scm_vsc_unlock(v, PW, strlen(PW), &d), SCM_OK);
    uint32_t id;
    assert_int_equal(scm_vsc_find(v, "priv", &id), SCM_OK);
    add(v, SCM_AREA_PUBLIC, SCM_OBJ_NOTE, "imported and changed", "n", 1);
    save(v);
    scm_vsc_close(v);
    /* A damaged file is refused by import. */
    size_t n;
    uint8_t *b = tu_read_file(out, &n);
    b[n / 2] ^= 4;
    tu_write_file(out, b, n);
    free(b);
    assert_int_equal(scm_store_remove(st2, "exp.1", &d), SCM_OK);
    assert_int_equal(scm_store_import(st2, out, uid, &d), SCM_E_VSC_CORRUPT);
    assert_int_equal(scm_store_remove(st2, "exp.1", &d), SCM_E_VSC_NOT_FOUND);
    scm_store_close(st2);
    tu_rmtree(dir2);
    free(dir2);
    free(out);
    tu_rmtree(outdir);
    free(outdir);
}

static void test_labels_bytes(void **state)
{
    struct tu_store *f = *state;
    static const char *const labels[] = {
        "Grüße, 日本語 🙂",
        "evil\x1b[31mred\x1b[0m",
        "bidi \xe2\x80\xae reversed",
        "tab\tnew\nline\rbell\a",
        "c1 \xc2\x9b control",
    };
    const size_t nl = sizeof(labels) / sizeof(labels[0]);
    struct scm_vsc *v = make(f, "labels");
    for (size_t i = 0; i < nl; i++)
        add(v, i % 3, SCM_OBJ_NOTE, labels[i], labels[i], strlen(labels[i]));
    save(v);
    scm_vsc_close(v);
    v = reopen(f, "labels", PW);
    for (size_t i = 0; i < nl; i++) {
        uint32_t id;
        struct scm_obj_info oi;
        assert_int_equal(scm_vsc_find(v, labels[i], &id), SCM_OK);
        assert_int_equal(scm_vsc_get_obj(v, id, &oi), SCM_OK);
        assert_int_equal(strlen(oi.label), strlen(labels[i]));
        assert_memory_equal(oi.label, labels[i], strlen(labels[i]));
        char safe[512];
        scm_sanitize(oi.label, strlen(oi.label), safe, sizeof(safe));
        assert_null(strchr(safe, '\x1b'));
        assert_null(strchr(safe, '\n'));
        assert_null(strstr(safe, "\xe2\x80\xae"));
        assert_null(strstr(safe, "\xc2\x9b"));
    }
    scm_vsc_close(v);
}

static void test_limits(void **state)
{
    struct tu_store *f = *state;
    struct scm_detail d;
    struct scm_vsc *v = NULL;
    static const char *const bad_uids[] = {"", ".hidden", "a/b", "a b", "ü",
                                           "123456789012345678901234567890123", "..", NULL};
    for (size_t i = 0; bad_uids[i]; i++) {
        assert_false(scm_vsc_uid_valid(bad_uids[i]));
        assert_int_equal(scm_vsc_create(f->st, bad_uids[i], NULL, NULL, PW, strlen(PW), &v, &d),
                         SCM_E_BAD_UID);
        assert_int_equal(scm_vsc_open(f->st, bad_uids[i], &v, &d), SCM_E_BAD_UID);
    }
    assert_true(scm_vsc_uid_valid("12345678901234567890123456789012"));
    assert_true(scm_vsc_uid_valid("a.b-c_D"));
    assert_int_equal(scm_vsc_create(f->st, "x", "bad\x1blabel", NULL, PW, strlen(PW), &v, &d),
                     SCM_E_BAD_LABEL);
    char l65[66], l129[130], l128[129];
    memset(l65, 'L', 65), l65[65] = 0;
    memset(l129, 'o', 129), l129[129] = 0;
    memset(l128, 'o', 128), l128[128] = 0;
    assert_int_equal(scm_vsc_create(f->st, "x", l65, NULL, PW, strlen(PW), &v, &d),
                     SCM_E_BAD_LABEL);
    assert_int_equal(scm_vsc_create(f->st, "x", NULL, NULL, "abc", 3, &v, &d), SCM_E_PW_WEAK);
    scm_vsc_close(make(f, "lim"));
    assert_int_equal(scm_vsc_create(f->st, "lim", NULL, NULL, PW, strlen(PW), &v, &d),
                     SCM_E_VSC_EXISTS);
    v = reopen(f, "lim", PW);
    assert_int_equal(scm_vsc_set_label(v, l65), SCM_E_BAD_LABEL);
    assert_int_equal(scm_vsc_set_label(v, "ok label"), SCM_OK);

    struct scm_obj_new o = {l129, SCM_OBJ_DATA, SCM_AREA_PUBLIC, (const uint8_t *)"x", 1,
                            NULL, NULL, 0};
    static const struct {
        const char *label;
        int want;
    } label_cases[] = {{"", SCM_E_BAD_LABEL},     {"\xff\xfe", SCM_E_BAD_LABEL},
                       {"\xc0\xaf", SCM_E_BAD_LABEL}, {"\xed\xa0\x80", SCM_E_BAD_LABEL},
                       {"dup", SCM_OK},           {"dup", SCM_E_EXISTS}};
    assert_int_equal(scm_vsc_add(v, &o, NULL), SCM_E_BAD_LABEL);
    assert_true(strlen(scm_vsc_last_detail(v)) > 0);
    o.label = l128;
    assert_int_equal(scm_vsc_add(v, &o, NULL), SCM_OK);
    for (size_t i = 0; i < sizeof(label_cases) / sizeof(label_cases[0]); i++) {
        o.label = label_cases[i].label;
        o.area = (enum scm_area)(i % 3);
        assert_int_equal(scm_vsc_add(v, &o, NULL), label_cases[i].want);
    }
    o.label = NULL;
    assert_int_equal(scm_vsc_add(v, &o, NULL), SCM_E_BAD_LABEL);
    uint32_t id;
    assert_int_equal(scm_vsc_find(v, "dup", &id), SCM_OK);
    assert_int_equal(scm_vsc_rename(v, id, l128), SCM_E_EXISTS);

    /* Object size: 1 MiB is fine, one byte more is not. */
    uint8_t *big = calloc(1, SCM_OBJ_SIZE_MAX + 1);
    o.label = "big";
    o.data = big;
    o.len = SCM_OBJ_SIZE_MAX + 1;
    assert_int_equal(scm_vsc_add(v, &o, NULL), SCM_E_LIMIT);
    assert_non_null(strstr(scm_vsc_last_detail(v), "1 MiB"));
    o.len = SCM_OBJ_SIZE_MAX;
    assert_int_equal(scm_vsc_add(v, &o, &id), SCM_OK);
    assert_int_equal(scm_vsc_replace(v, id, big, SCM_OBJ_SIZE_MAX + 1), SCM_E_LIMIT);
    /* The file limit: 64 objects of 1 MiB do not fit in 64 MiB. */
    int rc = SCM_OK;
    char lab[16];
    for (int i = 0; i < 70 && rc == SCM_OK; i++) {
        snprintf(lab, sizeof(lab), "big%d", i);
        o.label = lab;
        rc = scm_vsc_add(v, &o, NULL);
    }
    assert_int_equal(rc, SCM_E_LIMIT);
    assert_non_null(strstr(scm_vsc_last_detail(v), "64 MiB"));
    free(big);
    scm_vsc_lock(v); /* drops the unsaved objects */
    assert_int_equal(scm_vsc_unlock(v, PW, strlen(PW), &d), SCM_OK);

    /* Object count: 4,096 in all areas, not one more. */
    struct scm_vsc_info info;
    scm_vsc_get_info(v, &info);
    size_t have = info.count[0] + info.count[1] + info.count[2];
    o.data = (const uint8_t *)"v";
    o.len = 1;
    for (size_t i = have; i < SCM_OBJ_MAX; i++) {
        snprintf(lab, sizeof(lab), "o%zu", i);
        o.label = lab;
        o.area = (enum scm_area)(i % 3);
        assert_int_equal(scm_vsc_add(v, &o, NULL), SCM_OK);
    }
    o.label = "one too many";
    assert_int_equal(scm_vsc_add(v, &o, NULL), SCM_E_LIMIT);
    save(v);
    scm_vsc_close(v);
    v = reopen(f, "lim", PW);
    scm_vsc_get_info(v, &info);
    assert_int_equal(info.count[0] + info.count[1] + info.count[2], SCM_OBJ_MAX);
    /* Path and attribute limits. */
    assert_int_equal(scm_vsc_find(v, "o100", &id), SCM_OK);
    assert_int_equal(scm_vsc_delete(v, id), SCM_OK);
    char p65[66];
    memset(p65, '1', 65), p65[65] = 0;
    o.label = "pathy";
    o.src_path = p65;
    assert_int_equal(scm_vsc_add(v, &o, NULL), SCM_E_LIMIT);
    o.src_path = "3F00\x01";
    assert_int_equal(scm_vsc_add(v, &o, NULL), SCM_E_LIMIT);
    o.src_path = NULL;
    o.src_attrs = (const uint8_t *)l65;
    o.src_attrs_len = 65;
    assert_int_equal(scm_vsc_add(v, &o, NULL), SCM_E_LIMIT);
    scm_vsc_close(v);
}

static void test_kdf_floor(void **state)
{
    struct tu_store *f = *state;
    struct scm_vsc *v = make(f, "weak");
    scm_vsc_close(v);
    struct scm_policy def;
    struct scm_detail d = {{0}};
    scm_policy_defaults(&def);
    char *path = vsc_file(f, "weak");
    assert_int_equal(scm_vsc_open_file(path, &def, &v, &d), SCM_OK);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(scm_vsc_unlock(v, PW, strlen(PW), &d), SCM_E_KDF_TOO_WEAK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_non_null(strstr(d.text, "too few PBKDF2 iterations"));
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    assert_true(ms < 50.0);
    scm_vsc_close(v);
    assert_int_equal(scm_vsc_verify_file(path, &def, PW, strlen(PW), &d), SCM_E_KDF_TOO_WEAK);
    /* A handle opened read-only cannot be saved. */
    assert_int_equal(scm_vsc_open_file(path, &f->pol, &v, &d), SCM_OK);
    assert_int_equal(scm_vsc_unlock(v, PW, strlen(PW), &d), SCM_OK);
    assert_int_equal(scm_vsc_save(v, &d), SCM_E_INVAL);
    scm_vsc_close(v);
    free(path);
}

static void test_no_plaintext(void **state)
{
    struct tu_store *f = *state;
    static const char *const secrets[] = {"pw-Unique-7731", "ZZ-PRIVATE-CONTENT-4242",
                                          "PrivLabel-xyzzy", "QQ-SECRET-KEY-9999",
                                          "SecretLabel-plugh"};
    struct scm_vsc *v = NULL;
    struct scm_detail d;
    assert_int_equal(scm_vsc_create(f->st, "secrets", NULL, NULL, secrets[0], strlen(secrets[0]),
                                    &v, &d),
                     SCM_OK);
    add(v, SCM_AREA_PRIVATE, SCM_OBJ_DATA, secrets[2], secrets[1], strlen(secrets[1]));
    add(v, SCM_AREA_SECRET, SCM_OBJ_SECRETKEY, secrets[4], secrets[3], strlen(secrets[3]));
    add(v, SCM_AREA_PUBLIC, SCM_OBJ_NOTE, "Public-Visible", "PUB-CONTENT", 11);
    save(v);
    save(v); /* so that a backup exists too */
    scm_vsc_close(v);
    static const char *const files[] = {"secrets.vsc", "secrets.vsc.bak"};
    for (size_t k = 0; k < 2; k++) {
        char *p;
        size_t n;
        assert_true(asprintf(&p, "%s/%s", f->dir, files[k]) > 0);
        uint8_t *b = tu_read_file(p, &n);
        assert_non_null(b);
        for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
            assert_null(memmem(b, n, secrets[i], strlen(secrets[i])));
        /* The public area is in the clear, as documented. */
        assert_non_null(memmem(b, n, "PUB-CONTENT", 11));
        free(b);
        free(p);
    }
}

static void sign_with(struct tu_store *f, gnutls_pk_algorithm_t alg, unsigned bits, bool pem)
{
    gnutls_x509_privkey_t xk;
    gnutls_privkey_t pk;
    gnutls_pubkey_t pub;
    gnutls_datum_t der;
    assert_int_equal(gnutls_x509_privkey_init(&xk), 0);
    assert_int_equal(gnutls_x509_privkey_generate(xk, alg, bits, 0), 0);
    assert_int_equal(gnutls_x509_privkey_export2_pkcs8(xk, pem ? GNUTLS_X509_FMT_PEM
                                                               : GNUTLS_X509_FMT_DER,
                                                       NULL, GNUTLS_PKCS_PLAIN, &der),
                     0);
    struct scm_vsc *v = make(f, pem ? "signpem" : "signder");
    uint32_t id = add(v, SCM_AREA_SECRET, SCM_OBJ_PRIVKEY, "signing key", der.data, der.size);
    uint32_t pid = add(v, SCM_AREA_PRIVATE, SCM_OBJ_PRIVKEY, "not here", der.data, der.size);
    save(v);
    scm_vsc_close(v);
    v = reopen(f, pem ? "signpem" : "signder", NULL);
    const uint8_t msg[] = "message to sign";
    uint8_t *sig;
    size_t siglen;
    assert_int_equal(scm_vsc_sign(v, id, msg, sizeof(msg), &sig, &siglen), SCM_E_VSC_LOCKED);
    struct scm_detail d;
    assert_int_equal(scm_vsc_unlock(v, PW, strlen(PW), &d), SCM_OK);
    assert_int_equal(scm_vsc_sign(v, pid, msg, sizeof(msg), &sig, &siglen), SCM_E_INVAL);
    assert_int_equal(scm_vsc_sign(v, id, msg, sizeof(msg), &sig, &siglen), SCM_OK);
    scm_vsc_close(v);

    assert_int_equal(gnutls_privkey_init(&pk), 0);
    assert_int_equal(gnutls_privkey_import_x509(pk, xk, 0), 0);
    assert_int_equal(gnutls_pubkey_init(&pub), 0);
    assert_int_equal(gnutls_pubkey_import_privkey(pub, pk, 0, 0), 0);
    gnutls_sign_algorithm_t sa = alg == GNUTLS_PK_EDDSA_ED25519
                                     ? GNUTLS_SIGN_EDDSA_ED25519
                                     : gnutls_pk_to_sign(alg, GNUTLS_DIG_SHA256);
    gnutls_datum_t md = {(unsigned char *)msg, sizeof(msg)}, sd = {sig, (unsigned)siglen};
    assert_true(gnutls_pubkey_verify_data2(pub, sa, 0, &md, &sd) >= 0);
    sig[siglen / 2] ^= 1;
    assert_true(gnutls_pubkey_verify_data2(pub, sa, 0, &md, &sd) < 0);
    free(sig);
    gnutls_pubkey_deinit(pub);
    gnutls_privkey_deinit(pk);
    gnutls_x509_privkey_deinit(xk);
    gnutls_free(der.data);
}

static void test_sign(void **state)
{
    struct tu_store *f = *state;
    sign_with(f, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), false);
    sign_with(f, GNUTLS_PK_EDDSA_ED25519, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519), true);
}

static void test_names(void **state)
{
    (void)state;
    for (int a = 0; a < SCM_AREA_COUNT; a++)
        assert_int_equal(scm_area_parse(scm_area_name(a)), a);
    for (int t = SCM_OBJ_CERT; t <= SCM_OBJ_NOTE; t++)
        assert_int_equal(scm_obj_type_parse(scm_obj_type_name(t)), t);
    assert_int_equal(scm_obj_type_parse("business-card"), SCM_OBJ_BUSINESS_CARD);
    assert_true(scm_area_parse("Public") < 0);
    assert_true(scm_obj_type_parse("cert") < 0);
    assert_true(scm_obj_type_parse(NULL) < 0);
}

static void test_source(void **state)
{
    struct tu_store *f = *state;
    struct scm_vsc_source src = {"Reader 0", {0x3B, 0x8F, 0x80}, 3, "agent", "00001079", "Card"};
    struct scm_vsc *v = NULL;
    struct scm_detail d;
    assert_int_equal(scm_vsc_create(f->st, "src", "My card", &src, PW, strlen(PW), &v, &d), SCM_OK);
    scm_vsc_close(v);
    v = reopen(f, "src", NULL);
    struct scm_vsc_info info;
    scm_vsc_get_info(v, &info);
    assert_string_equal(info.label, "My card");
    assert_string_equal(info.source.reader, "Reader 0");
    assert_int_equal(info.source.atr_len, 3);
    assert_memory_equal(info.source.atr, src.atr, 3);
    assert_string_equal(info.source.agent, "agent");
    assert_string_equal(info.source.serial, "00001079");
    assert_string_equal(info.source.label, "Card");
    assert_int_equal(info.kdf_iterations, 1000);
    assert_int_equal(scm_vsc_set_source(v, &src), SCM_E_VSC_LOCKED);
    scm_vsc_close(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip_all, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_wrong_password, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_passwd, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_disable_enable, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_export_import, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_labels_bytes, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_limits, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_kdf_floor, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_no_plaintext, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_sign, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_source, tu_store_setup, tu_store_teardown),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
