/* Work on a secret with a library that copies it into ordinary memory
 * (GnuTLS's certificate parser does, and frees the copy unwiped): do it in
 * a short-lived child process whose whole memory is locked and kept out of
 * core dumps, and take only its answer back, into secure memory. When the
 * child exits the kernel frees its pages; a locked page is never written
 * to swap, and no other process ever sees a freed page's old contents. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scmgr/util.h"

/* The child's own exit statuses, above any a callback returns. */
#define EXIT_NOLOCK 120
#define EXIT_SETUP 121

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The bounds of the mapping that holds addr. */
static bool mapping_of(const void *addr, uintptr_t *lo, uintptr_t *hi)
{
    char line[512];
    bool found = false;
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return false;
    while (!found && fgets(line, sizeof(line), f)) {
        unsigned long l, h;
        if (sscanf(line, "%lx-%lx", &l, &h) == 2 && (uintptr_t)addr >= l && (uintptr_t)addr < h) {
            *lo = l;
            *hi = h;
            found = true;
        }
    }
    fclose(f);
    return found;
}

/* Lock the child's memory, so that nothing it writes can reach swap.
 *
 * First everything it has and will map. MCL_ONFAULT locks pages as they
 * are touched instead of faulting in the whole address space (a sanitizer
 * build maps terabytes of shadow); kernels before 4.4 lack it.
 *
 * That needs RLIMIT_MEMLOCK above the whole address space (over 100 MiB
 * for scmgr: thread stacks and malloc arenas are reserved, not used), which
 * an ordinary user rarely has. Then the places the work writes to: every
 * mapping made from now on (malloc's large blocks, a growing heap), the
 * mapping malloc serves this thread from, and this thread's stack. The
 * rest (libraries, other threads' stacks) the work only reads. */
static bool lock_memory(void)
{
    struct rlimit rl;
    /* The child may use what the hard limit allows; the parent keeps its own. */
    if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_MEMLOCK, &rl);
    }
    if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0)
        return true;
    if (errno == EINVAL && mlockall(MCL_CURRENT | MCL_FUTURE) == 0)
        return true;
    if (mlockall(MCL_FUTURE | MCL_ONFAULT) != 0)
        return false;
    volatile char here = 0;
    uintptr_t lo, hi;
    void *p = malloc(64);
    bool ok = p && mapping_of(p, &lo, &hi) && mlock2((void *)lo, hi - lo, MLOCK_ONFAULT) == 0 &&
              mapping_of((const void *)&here, &lo, &hi) &&
              mlock2((void *)lo, hi - lo, MLOCK_ONFAULT) == 0;
    free(p);
    return ok;
}

/* In the child: nothing of the parent's terminal, signals or descriptors
 * is touched (curses state stays the parent's), then the work, then
 * _exit (no atexit handler, no stdio flush of the parent's buffers). */
static void child(scm_isolate_fn fn, void *arg, int wfd)
{
    struct sigaction dfl;
    struct rlimit no_core = {0, 0};
    sigset_t none;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    /* The parent's handlers write to its self-pipe: not from here. */
    for (int s = 1; s < NSIG; s++)
        (void)sigaction(s, &dfl, NULL);
    sigemptyset(&none);
    (void)setrlimit(RLIMIT_CORE, &no_core);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    /* A terminal hang-up or the parent's death ends the child too. */
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 || dup2(wfd, 3) < 0)
        _exit(EXIT_SETUP);
    /* Only the answer's pipe stays open: not the tty, the PC/SC socket,
     * the log or the store's locks. */
    if (close_range(4, ~0U, 0) < 0)
        for (int fd = 4; fd < 1024; fd++)
            (void)close(fd);
    if (!lock_memory())
        _exit(EXIT_NOLOCK);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    int rc = fn(arg, 3);
    _exit(rc < 0 || rc >= EXIT_NOLOCK ? EXIT_SETUP : rc);
}

/* Read the answer until EOF, the cap or the deadline. */
static int collect(int fd, uint8_t *buf, size_t cap, size_t *len, long deadline)
{
    *len = 0;
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0)
            return SCM_E_TIMEOUT;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return SCM_E_IO;
        if (r == 0)
            return SCM_E_TIMEOUT;
        uint8_t probe;
        /* Full: one more byte means too much, EOF means just enough. */
        ssize_t n = *len < cap ? read(fd, buf + *len, cap - *len) : read(fd, &probe, 1);
        scm_wipe(&probe, sizeof(probe));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return SCM_E_IO;
        if (n == 0)
            return SCM_OK;
        if (*len == cap)
            return SCM_E_LIMIT;
        *len += (size_t)n;
    }
}

/* Wait for the child until the deadline; then it is killed. */
static int reap(pid_t pid, long deadline, int *status)
{
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return SCM_OK;
        if (r < 0 && errno != EINTR)
            return SCM_E_IO;
        if (now_ms() >= deadline)
            break;
        struct timespec ms = {0, 2000000};
        nanosleep(&ms, NULL);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    return SCM_E_TIMEOUT;
}

int scm_isolate_run(scm_isolate_fn fn, void *arg, int timeout_ms, size_t cap, uint8_t **out,
                    size_t *len, struct scm_detail *d)
{
    int fds[2], rc, status = 0;
    sigset_t all, old;
    *out = NULL;
    *len = 0;
    uint8_t *buf = scm_secure_alloc(cap ? cap : 1);
    if (!buf)
        return SCM_E_NOMEM;
    if (pipe2(fds, O_CLOEXEC) < 0) {
        scm_secure_free(buf, cap ? cap : 1);
        return scm_fail(d, SCM_E_IO, "No pipe for the decoder process: %s.", strerror(errno));
    }
    /* No signal handler of ours may run in the child before it has reset
     * them; the parent's mask comes back right after the fork. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child(fn, arg, fds[1]);
    }
    int fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        scm_secure_free(buf, cap ? cap : 1);
        return scm_fail(d, SCM_E_IO, "The decoder process could not be started: %s.",
                        strerror(fork_errno));
    }
    long deadline = now_ms() + timeout_ms;
    rc = collect(fds[0], buf, cap, len, deadline);
    close(fds[0]);
    if (rc < 0)
        kill(pid, SIGKILL); /* too slow or too much: no point waiting */
    int wrc = reap(pid, deadline, &status);
    if (rc == SCM_OK)
        rc = wrc;
    if (rc == SCM_E_TIMEOUT)
        rc = scm_fail(d, rc, "The decoder process did not finish within %d s.",
                      (timeout_ms + 999) / 1000);
    else if (rc == SCM_E_LIMIT)
        rc = scm_fail(d, rc, "The decoder process wrote more than %zu bytes.", cap);
    else if (rc < 0)
        rc = scm_fail(d, rc, "The decoder process's answer could not be read.");
    else if (WIFSIGNALED(status))
        rc = scm_fail(d, SCM_E_GENERIC, "The decoder process crashed (signal %d).",
                      WTERMSIG(status));
    else if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_NOLOCK)
        rc = scm_fail(d, SCM_E_LIMIT,
                      "The decoder process could not lock its memory: RLIMIT_MEMLOCK is too "
                      "low (raise it with ulimit -l).");
    else if (!WIFEXITED(status) || WEXITSTATUS(status) == EXIT_SETUP)
        rc = scm_fail(d, SCM_E_GENERIC, "The decoder process failed.");
    else
        rc = WEXITSTATUS(status);
    if (rc < 0) {
        scm_secure_free(buf, cap ? cap : 1);
        *len = 0;
        return rc;
    }
    *out = buf;
    return rc;
}
