/* scm_isolate_run: the answer comes back into secure memory, and every way
 * the child can go wrong (crash, hang, too much output, memory it cannot
 * lock) ends in an error with a sentence, never a hang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include <cmocka.h>

#include "scmgr/util.h"

/* AddressSanitizer makes mlock and mlockall do nothing (and succeed):
 * what is locked cannot be checked in such a build. */
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define MLOCK_WORKS 0
#else
#define MLOCK_WORKS 1
#endif

static int say_hello(void *arg, int fd)
{
    (void)arg;
    return write(fd, "hello", 5) == 5 ? 7 : 1;
}

static void test_answer_and_status(void **state)
{
    (void)state;
    struct scm_detail d = {{0}};
    uint8_t *out;
    size_t len;
    assert_int_equal(scm_isolate_run(say_hello, NULL, 5000, 64, &out, &len, &d), 7);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "hello", 5);
    scm_secure_free(out, 64);
}

/* Exactly cap bytes is fine; one more is refused. */
static int write_n(void *arg, int fd)
{
    size_t n = *(size_t *)arg;
    char buf[100];
    memset(buf, 'x', sizeof(buf));
    return write(fd, buf, n) == (ssize_t)n ? 0 : 1;
}

static void test_cap(void **state)
{
    (void)state;
    struct scm_detail d = {{0}};
    uint8_t *out;
    size_t len, n = 10;
    assert_int_equal(scm_isolate_run(write_n, &n, 5000, 10, &out, &len, &d), 0);
    assert_int_equal(len, 10);
    scm_secure_free(out, 10);
    n = 11;
    assert_int_equal(scm_isolate_run(write_n, &n, 5000, 10, &out, &len, &d), SCM_E_LIMIT);
    assert_null(out);
    assert_non_null(strstr(d.text, "more than 10 bytes"));
}

static int crash(void *arg, int fd)
{
    (void)arg, (void)fd;
    abort();
}

static void test_crash(void **state)
{
    (void)state;
    struct scm_detail d = {{0}};
    uint8_t *out;
    size_t len;
    assert_int_equal(scm_isolate_run(crash, NULL, 5000, 64, &out, &len, &d), SCM_E_GENERIC);
    assert_null(out);
    assert_non_null(strstr(d.text, "crashed"));
}

static int hang(void *arg, int fd)
{
    (void)arg;
    (void)write(fd, "part", 4);
    for (;;)
        pause();
    return 0;
}

/* A child that never finishes is killed at the deadline. */
static void test_hang(void **state)
{
    (void)state;
    struct scm_detail d = {{0}};
    uint8_t *out;
    size_t len;
    assert_int_equal(scm_isolate_run(hang, NULL, 300, 64, &out, &len, &d), SCM_E_TIMEOUT);
    assert_null(out);
    assert_non_null(strstr(d.text, "did not finish"));
}

/* The child has /dev/null for stdin, stdout and stderr and no descriptor
 * but the answer's (not the terminal, not the parent's files), cannot be
 * dumped, and has its memory locked. */
static int inspect(void *arg, int fd)
{
    struct stat null, st;
    char status[4096];
    (void)arg;
    if (stat("/dev/null", &null) < 0)
        return 10;
    for (int i = 0; i < 3; i++)
        if (fstat(i, &st) < 0 || st.st_rdev != null.st_rdev)
            return 11;
    for (int i = 4; i < 256; i++)
        if (fcntl(i, F_GETFD) >= 0)
            return 12;
    if (fd != 3 || prctl(PR_GET_DUMPABLE) != 0)
        return 13;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 14;
    size_t got = fread(status, 1, sizeof(status) - 1, f);
    fclose(f);
    status[got] = '\0';
    const char *l = strstr(status, "VmLck:");
    if (MLOCK_WORKS && (!l || strtoul(l + 6, NULL, 10) == 0))
        return 15;
    return 0;
}

static void test_child_state(void **state)
{
    (void)state;
    struct scm_detail d = {{0}};
    uint8_t *out;
    size_t len;
    /* A descriptor of the parent's that must not reach the child. */
    int keep = open("/dev/zero", O_RDONLY);
    assert_true(keep >= 0);
    assert_int_equal(scm_isolate_run(inspect, NULL, 5000, 64, &out, &len, &d), 0);
    scm_secure_free(out, 64);
    close(keep);
}

/* Is addr in a mapping the kernel keeps locked (VmFlags "lo")? */
static bool locked_at(const void *addr)
{
    FILE *fp = fopen("/proc/self/smaps", "re");
    char line[512];
    bool inside = false, lo = false;
    if (!fp)
        return false;
    while (fgets(line, sizeof(line), fp)) {
        unsigned long l, h;
        if (sscanf(line, "%lx-%lx ", &l, &h) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            inside = (uintptr_t)addr >= l && (uintptr_t)addr < h;
        } else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
            lo = strstr(line, " lo") != NULL;
            break;
        }
    }
    fclose(fp);
    return lo;
}

/* Where the work writes: the heap malloc serves it from, a large block
 * (a new mapping), its stack. */
static int where_written(void *arg, int fd)
{
    char here = 0;
    (void)arg, (void)fd;
    void *small = malloc(100), *large = malloc(4 << 20);
    int rc = !small || !large    ? 20
             : !locked_at(small) ? 21
             : !locked_at(large) ? 22
             : !locked_at(&here) ? 23
                                 : 0;
    free(small);
    free(large);
    return rc;
}

/* A child process that drops CAP_IPC_LOCK and sets RLIMIT_MEMLOCK to lim
 * (soft and hard), then runs fn isolated; its exit status: 0 when the
 * result was want_rc (and, for an error, the sentence said want_text). */
static void limited(rlim_t lim, scm_isolate_fn fn, int want_rc, const char *want_text)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct c[2];
        struct rlimit rl = {lim, lim};
        struct scm_detail d = {{0}};
        uint8_t *out;
        size_t len;
        if (syscall(SYS_capget, &h, c) == 0) {
            c[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
            c[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
            if (syscall(SYS_capset, &h, c) != 0)
                _exit(2);
        }
        if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
            _exit(3);
        int rc = scm_isolate_run(fn, NULL, 5000, 64, &out, &len, &d);
        if (rc >= 0)
            scm_secure_free(out, 64);
        else if (out != NULL)
            _exit(4);
        if (rc != want_rc) {
            fprintf(stderr, "got %d (%s), wanted %d\n", rc, d.text, want_rc);
            _exit(5);
        }
        _exit(want_text && !strstr(d.text, want_text) ? 6 : 0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* An ordinary user's limit (8 MiB) is far below the whole address space:
 * the places the work writes to are locked instead, and it runs. */
static void test_partial_lock(void **state)
{
    (void)state;
    if (!MLOCK_WORKS)
        skip();
    limited(8 << 20, where_written, 0, NULL);
}

/* Not even that can be locked: the work is not done at all. */
static void test_no_lock_at_all(void **state)
{
    (void)state;
    if (!MLOCK_WORKS)
        skip();
    limited(0, say_hello, SCM_E_LIMIT, "could not lock");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer_and_status),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_crash),
        cmocka_unit_test(test_hang),
        cmocka_unit_test(test_child_state),
        cmocka_unit_test(test_partial_lock),
        cmocka_unit_test(test_no_lock_at_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
