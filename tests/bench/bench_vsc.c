/* VSC benchmarks: prints figures, asserts nothing about time.
 *
 *   bench_vsc [N_VSCS]       (default 10000)
 *
 * 1. listing N VSC headers of a store (the store is built first with the
 *    test policy, so building it is quick; listing does no KDF work anyway);
 * 2. unlocking one VSC made with the default, calibrated KDF;
 * 3. saving a VSC holding 1,000 objects / 1 MB;
 * 4. peak resident memory.
 * Runs in $TMPDIR (default /tmp). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "scmgr/vsc.h"
#include "../unit/testutil.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int err, const struct scm_detail *d)
{
    fprintf(stderr, "bench_vsc: %s: %s %s\n", what, scm_strerror(err), d ? d->text : "");
    exit(1);
}

static void bench_list(size_t n)
{
    struct scm_policy pol;
    struct scm_store *st;
    struct scm_detail d = {{0}};
    char *dir = tu_mkdtemp();
    tu_test_policy(&pol);
    int err = scm_store_open(dir, &pol, &st, &d);
    if (err)
        die("store", err, &d);
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        char uid[24];
        struct scm_vsc *v;
        snprintf(uid, sizeof(uid), "%08zu", i);
        err = scm_vsc_create(st, uid, NULL, NULL, "bench-password", 14, &v, &d);
        if (err)
            die("create", err, &d);
        scm_vsc_close(v);
    }
    double t1 = now();
    struct scm_store_entry *list;
    size_t got;
    double best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        double a = now();
        err = scm_store_list(st, &list, &got);
        double b = now();
        if (err)
            die("list", err, NULL);
        if (got != n) {
            fprintf(stderr, "bench_vsc: listed %zu of %zu\n", got, n);
            exit(1);
        }
        free(list);
        if (b - a < best)
            best = b - a;
    }
    printf("store of %zu VSCs built in %.2f s (test policy)\n", n, t1 - t0);
    printf("list %zu VSC headers: %.1f ms (best of 3), %.2f us per VSC\n", n, best * 1e3,
           best * 1e6 / (double)n);
    scm_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void bench_unlock_default(void)
{
    struct scm_policy pol;
    struct scm_store *st;
    struct scm_vsc *v;
    struct scm_detail d = {{0}};
    char *dir = tu_mkdtemp();
    scm_policy_defaults(&pol);
    int err = scm_store_open(dir, &pol, &st, &d);
    if (err)
        die("store", err, &d);
    double t0 = now();
    err = scm_vsc_create(st, "00001079", NULL, NULL, "bench-password", 14, &v, &d);
    if (err)
        die("create", err, &d);
    double t1 = now();
    struct scm_vsc_info info;
    scm_vsc_get_info(v, &info);
    scm_vsc_close(v);
    err = scm_vsc_open(st, "00001079", &v, &d);
    if (err)
        die("open", err, &d);
    double t2 = now();
    err = scm_vsc_unlock(v, "bench-password", 14, &d);
    double t3 = now();
    if (err)
        die("unlock", err, &d);
    scm_vsc_close(v);
    printf("default KDF: PBKDF2-HMAC-SHA256 %u iterations (calibrated)\n", info.kdf_iterations);
    printf("create with calibration: %.0f ms; unlock: %.0f ms\n", (t1 - t0) * 1e3, (t3 - t2) * 1e3);
    scm_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static void bench_save_big(void)
{
    struct scm_policy pol;
    struct scm_store *st;
    struct scm_vsc *v;
    struct scm_detail d = {{0}};
    char *dir = tu_mkdtemp();
    tu_test_policy(&pol);
    int err = scm_store_open(dir, &pol, &st, &d);
    if (err)
        die("store", err, &d);
    err = scm_vsc_create(st, "BIG", NULL, NULL, "bench-password", 14, &v, &d);
    if (err)
        die("create", err, &d);
    static uint8_t blob[1048];
    for (size_t i = 0; i < sizeof(blob); i++)
        blob[i] = (uint8_t)(i * 7);
    for (int i = 0; i < 1000; i++) {
        char label[32];
        snprintf(label, sizeof(label), "object %04d", i);
        struct scm_obj_new o = {.label = label,
                                .type = SCM_OBJ_DATA,
                                .area = (enum scm_area)(i % 3),
                                .data = blob,
                                .len = sizeof(blob)};
        err = scm_vsc_add(v, &o, NULL);
        if (err)
            die("add", err, NULL);
    }
    double best = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        double a = now();
        err = scm_vsc_save(v, &d);
        double b = now();
        if (err)
            die("save", err, &d);
        if (b - a < best)
            best = b - a;
    }
    struct scm_vsc_info info;
    scm_vsc_get_info(v, &info);
    printf("save of 1,000 objects / %zu KB (file %llu bytes): %.1f ms (best of 5, incl. fsyncs "
           "and read-back)\n",
           sizeof(blob) * 1000 / 1024, (unsigned long long)info.file_size, best * 1e3);
    scm_vsc_close(v);
    scm_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    bench_list(n);
    bench_save_big();
    bench_unlock_default();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak resident memory: %ld KB\n", ru.ru_maxrss);
    return 0;
}
