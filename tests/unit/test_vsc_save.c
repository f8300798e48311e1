/* Saving (doc/vsc-format.md section 7) and the store: injected failures at
 * every step, backups, generations, concurrent savers, conflicts, and
 * listing a store with many, broken and stray files. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "scmgr/vsc.h"
#include "testutil.h"

#define PW "save-password"

/* A fresh store under the test policy per test: tu_store_setup. */

static char *file_in(struct tu_store *f, const char *name)
{
    char *p;
    assert_true(asprintf(&p, "%s/%s", f->dir, name) > 0);
    return p;
}

static struct scm_vsc *make(struct tu_store *f, const char *uid)
{
    struct scm_vsc *v = NULL;
    struct scm_detail d = {{0}};
    int rc = scm_vsc_create(f->st, uid, NULL, NULL, PW, strlen(PW), &v, &d);
    if (rc != SCM_OK)
        fail_msg("create %s: %d %s", uid, rc, d.text);
    return v;
}

static void add(struct scm_vsc *v, enum scm_area a, const char *label)
{
    struct scm_obj_new o = {label, SCM_OBJ_DATA, a, (const uint8_t *)label, strlen(label),
                            NULL, NULL, 0};
    int rc = scm_vsc_add(v, &o, NULL);
    if (rc != SCM_OK)
        fail_msg("add %s: %d %s", label, rc, scm_vsc_last_detail(v));
}

/* Names in the store that start with '.' and are not lock files: temps. */
static int count_temps(struct tu_store *f)
{
    DIR *dir = opendir(f->dir);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(dir)) != NULL) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' && strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
            !(l > 5 && strcmp(de->d_name + l - 5, ".lock") == 0))
            n++;
    }
    closedir(dir);
    return n;
}

static uint64_t generation_of(struct tu_store *f, const char *path)
{
    struct scm_vsc *v;
    struct scm_detail d = {{0}};
    struct scm_vsc_info info;
    int rc = scm_vsc_open_file(path, &f->pol, &v, &d);
    if (rc != SCM_OK)
        fail_msg("%s: %d %s", path, rc, d.text);
    /* The whole check, keys included. */
    rc = scm_vsc_unlock(v, PW, strlen(PW), &d);
    if (rc != SCM_OK)
        fail_msg("%s: %d %s", path, rc, d.text);
    scm_vsc_get_info(v, &info);
    scm_vsc_close(v);
    return info.generation;
}

static void test_fault_injection(void **state)
{
    struct tu_store *f = *state;
    struct scm_vsc *v = make(f, "fault");
    struct scm_detail d;
    char *path = file_in(f, "fault.vsc"), *bak = file_in(f, "fault.vsc.bak");
    add(v, SCM_AREA_PRIVATE, "first");
    assert_int_equal(scm_vsc_save(v, &d), SCM_OK); /* generation 2, backup = 1 */
    for (int step = 1; step <= 6; step++) {
        size_t n0, n1;
        uint8_t *before = tu_read_file(path, &n0);
        char label[16];
        snprintf(label, sizeof(label), "step %d", step);
        add(v, step % 3, label);
        scm_vsc_test_fail_at(v, step);
        d.text[0] = 0;
        int rc = scm_vsc_save(v, &d);
        if (rc >= 0 || !d.text[0])
            fail_msg("step %d: rc %d \"%s\"", step, rc, d.text);
        uint8_t *after = tu_read_file(path, &n1);
        assert_int_equal(n0, n1);
        assert_memory_equal(before, after, n0);
        assert_int_equal(count_temps(f), 0);
        /* The backup is a valid, older or equal generation. */
        uint64_t g = generation_of(f, path), gb = generation_of(f, bak);
        assert_true(gb <= g);
        free(before);
        free(after);
        struct scm_vsc_info info;
        scm_vsc_get_info(v, &info);
        assert_true(info.dirty);
        assert_int_equal(info.generation, g);
    }
    scm_vsc_test_fail_at(v, 0);
    assert_int_equal(scm_vsc_save(v, &d), SCM_OK);
    assert_int_equal(generation_of(f, path), 3);
    scm_vsc_close(v);
    free(path);
    free(bak);
}

static void test_backup_and_generation(void **state)
{
    struct tu_store *f = *state;
    struct scm_vsc *v = make(f, "gen");
    struct scm_detail d;
    char *path = file_in(f, "gen.vsc"), *bak = file_in(f, "gen.vsc.bak");
    assert_int_equal(generation_of(f, path), 1);
    assert_int_equal(access(bak, F_OK), -1); /* nothing before the first version */
    for (int i = 2; i <= 5; i++) {
        size_t n0, n1;
        uint8_t *prev = tu_read_file(path, &n0);
        char label[16];
        snprintf(label, sizeof(label), "obj %d", i);
        add(v, SCM_AREA_PUBLIC, label);
        assert_int_equal(scm_vsc_save(v, &d), SCM_OK);
        uint8_t *b = tu_read_file(bak, &n1);
        assert_int_equal(n0, n1);
        assert_memory_equal(prev, b, n0);
        assert_int_equal(generation_of(f, path), (uint64_t)i);
        assert_int_equal(generation_of(f, bak), (uint64_t)i - 1);
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600);
        free(prev);
        free(b);
    }
    scm_vsc_close(v);
    assert_int_equal(scm_store_remove(f->st, "gen", &d), SCM_OK);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(access(bak, F_OK), -1);
    free(path);
    free(bak);
}

static void test_conflict(void **state)
{
    struct tu_store *f = *state;
    struct scm_vsc *a = make(f, "conf"), *b;
    struct scm_detail d;
    assert_int_equal(scm_vsc_open(f->st, "conf", &b, &d), SCM_OK);
    assert_int_equal(scm_vsc_unlock(b, PW, strlen(PW), &d), SCM_OK);
    add(a, SCM_AREA_PUBLIC, "from a");
    add(b, SCM_AREA_PUBLIC, "from b");
    assert_int_equal(scm_vsc_save(a, &d), SCM_OK);
    assert_int_equal(scm_vsc_save(b, &d), SCM_E_VSC_CONFLICT);
    assert_non_null(strstr(d.text, "generation"));
    scm_vsc_close(b);
    scm_vsc_close(a);
    char *path = file_in(f, "conf.vsc");
    assert_int_equal(generation_of(f, path), 2);
    free(path);
}

#define NCHILD 4

static int child(struct tu_store *f, int k)
{
    char label[16];
    struct scm_store *st;
    struct scm_detail d;
    snprintf(label, sizeof(label), "child %d", k);
    if (scm_store_open(f->dir, &f->pol, &st, &d) != SCM_OK)
        return 2;
    int rc = SCM_E_VSC_CONFLICT;
    for (int tries = 0; tries < 50 && rc == SCM_E_VSC_CONFLICT; tries++) {
        struct scm_vsc *v;
        struct scm_obj_new o = {label, SCM_OBJ_NOTE, (enum scm_area)(k % 3),
                                (const uint8_t *)label, strlen(label), NULL, NULL, 0};
        rc = scm_vsc_open(st, "shared", &v, &d);
        if (rc == SCM_OK)
            rc = scm_vsc_unlock(v, PW, strlen(PW), &d);
        if (rc == SCM_OK)
            rc = scm_vsc_add(v, &o, NULL);
        if (rc == SCM_OK)
            rc = scm_vsc_save(v, &d);
        scm_vsc_close(v);
    }
    scm_store_close(st);
    return rc == SCM_OK ? 0 : 1;
}

static void test_concurrent_savers(void **state)
{
    struct tu_store *f = *state;
    struct scm_vsc *v = make(f, "shared");
    scm_vsc_close(v);
    pid_t pids[NCHILD];
    for (int k = 0; k < NCHILD; k++) {
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0)
            _exit(child(f, k));
    }
    for (int k = 0; k < NCHILD; k++) {
        int st;
        assert_int_equal(waitpid(pids[k], &st, 0), pids[k]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    struct scm_detail d;
    assert_int_equal(scm_vsc_open(f->st, "shared", &v, &d), SCM_OK);
    assert_int_equal(scm_vsc_unlock(v, PW, strlen(PW), &d), SCM_OK);
    for (int k = 0; k < NCHILD; k++) {
        char label[16];
        uint32_t id;
        snprintf(label, sizeof(label), "child %d", k);
        assert_int_equal(scm_vsc_find(v, label, &id), SCM_OK);
    }
    struct scm_vsc_info info;
    scm_vsc_get_info(v, &info);
    assert_int_equal(info.generation, 1 + NCHILD);
    scm_vsc_close(v);
    assert_int_equal(count_temps(f), 0);
}

#define NLIST 200

static void test_list_many(void **state)
{
    struct tu_store *f = *state;
    char uid[16];
    for (int i = 0; i < NLIST; i++) {
        snprintf(uid, sizeof(uid), "card%03d", (i * 7919) % NLIST); /* not in order */
        scm_vsc_close(make(f, uid));
    }
    /* Strays: a temp file, a backup, a lock, a non-VSC name, a bad UID. */
    static const char *const strays[] = {".card000.vsc.AbCdEf", "card001.vsc.bak",
                                         ".card002.lock", "notes.txt", ".hidden.vsc"};
    for (size_t i = 0; i < sizeof(strays) / sizeof(strays[0]); i++) {
        char *p = file_in(f, strays[i]);
        tu_write_file(p, (const uint8_t *)"junk", 4);
        free(p);
    }
    /* Broken ones: junk, truncated header, and a file under the wrong name. */
    char *p = file_in(f, "broken.vsc");
    tu_write_file(p, (const uint8_t *)"this is not a vsc file at all", 29);
    free(p);
    size_t n;
    char *src = file_in(f, "card005.vsc");
    uint8_t *b = tu_read_file(src, &n);
    p = file_in(f, "cut.vsc");
    tu_write_file(p, b, 40);
    free(p);
    p = file_in(f, "renamed.vsc");
    tu_write_file(p, b, n);
    free(p);
    free(b);
    free(src);

    struct scm_store_entry *e;
    size_t cnt;
    assert_int_equal(scm_store_list(f->st, &e, &cnt), SCM_OK);
    assert_int_equal(cnt, NLIST + 3);
    int good = 0;
    for (size_t i = 0; i < cnt; i++) {
        if (i > 0)
            assert_true(strcmp(e[i - 1].info.uid, e[i].info.uid) < 0);
        if (strncmp(e[i].info.uid, "card", 4) == 0) {
            assert_int_equal(e[i].err, SCM_OK);
            assert_int_equal(e[i].info.generation, 1);
            assert_string_equal(e[i].info.label + 4, e[i].info.uid); /* "VSC <uid>" */
            good++;
        } else {
            assert_true(e[i].err < 0);
            assert_true(strlen(e[i].why) > 0);
            assert_non_null(strstr(e[i].why, e[i].info.uid));
        }
    }
    assert_int_equal(good, NLIST);
    free(e);
}

static void test_store_perms(void **state)
{
    struct tu_store *f = *state;
    char *sub = file_in(f, "a/b/store");
    struct scm_store *st;
    struct scm_detail d;
    struct stat sb;
    assert_int_equal(scm_store_open(sub, &f->pol, &st, &d), SCM_OK);
    assert_int_equal(stat(sub, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    scm_store_close(st);
    /* An existing directory keeps its mode: readable by others is allowed,
     * writable by others is refused, and neither is ever changed. */
    chmod(sub, 0755);
    assert_int_equal(scm_store_open(sub, &f->pol, &st, &d), SCM_OK);
    assert_int_equal(stat(sub, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0755);
    scm_store_close(st);
    static const mode_t bad[] = {0770, 0777, 01777, 0702};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        chmod(sub, bad[i]);
        assert_int_equal(scm_store_open(sub, &f->pol, &st, &d), SCM_E_IO);
        assert_null(st);
        assert_non_null(strstr(d.text, "may be written by"));
        assert_int_equal(stat(sub, &sb), 0);
        assert_int_equal(sb.st_mode & 07777, bad[i]);
    }
    chmod(sub, 0700);
    char *link = file_in(f, "a/link");
    assert_int_equal(symlink("b/store", link), 0);
    assert_int_equal(scm_store_open(link, &f->pol, &st, &d), SCM_E_IO);
    assert_non_null(strstr(d.text, "symbolic link"));
    free(link);
    assert_int_equal(scm_store_open(sub, &f->pol, &st, &d), SCM_OK);
    assert_int_equal(scm_store_remove(st, "nope", &d), SCM_E_VSC_NOT_FOUND);
    assert_int_equal(scm_store_remove(st, "../x", &d), SCM_E_BAD_UID);
    struct scm_vsc *v;
    assert_int_equal(scm_vsc_open(st, "nope", &v, &d), SCM_E_VSC_NOT_FOUND);
    scm_store_close(st);
    free(sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fault_injection, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_backup_and_generation, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_conflict, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_savers, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_list_many, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_store_perms, tu_store_setup, tu_store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
