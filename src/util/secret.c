/* Secret input: passwords and PINs from a file descriptor or the terminal.
 *
 * Secrets never come from argv or the environment: both are visible to
 * other users (ps, /proc/PID/environ) and end up in shell history. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "scmgr/util.h"

/* Room for SCM_SECRET_MAX bytes, a possible '\r' and the NUL. */
#define SECRET_CAP (SCM_SECRET_MAX + 2)

/* The signals that would end or stop the process while the terminal's echo
 * is off. Their handlers only note the signal so that the read returns;
 * the terminal is restored, and then the signal is delivered again with
 * the program's own disposition. */
static const int tty_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
#define N_TTY_SIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))

/* Signal handlers can only talk through a static. */
static volatile sig_atomic_t caught_signal;

static void note_signal(int sig)
{
    caught_signal = sig;
}

static int fd_timeout_ms;

void scm_secret_test_set_fd_timeout(int ms)
{
    fd_timeout_ms = ms > 0 ? ms : 0;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd has a byte (or EOF) before deadline: a descriptor that
 * never gives anything must not hold the program forever. */
static int wait_readable(int fd, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return SCM_E_TIMEOUT;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return SCM_E_IO;
        if (r > 0)
            return SCM_OK; /* data, EOF (POLLHUP) or an error for read() to say */
    }
}

static void secret_clear(struct scm_secret *s)
{
    s->buf = NULL;
    s->len = 0;
    s->cap = 0;
}

static int secret_alloc(struct scm_secret *s)
{
    secret_clear(s);
    s->buf = scm_secure_alloc(SECRET_CAP);
    if (!s->buf)
        return SCM_E_NOMEM;
    s->cap = SECRET_CAP;
    return SCM_OK;
}

void scm_secret_free(struct scm_secret *s)
{
    if (!s)
        return;
    /* scm_secure_free wipes the whole mapping. */
    scm_secure_free(s->buf, s->cap);
    secret_clear(s);
}

/* Read one line, one byte at a time: a buffered read would swallow what
 * follows the newline, and the same descriptor may carry a second secret
 * (passwd: old and new password) or the data of `put -`.
 * stop_on_signal: an interrupted read ends the input (terminal case). */
static int read_line(int fd, struct scm_secret *s, bool stop_on_signal)
{
    bool got_any = false;
    /* The terminal waits for the user as long as it takes; a descriptor
     * has SCM_SECRET_FD_TIMEOUT_S for the whole line. */
    long long deadline =
        stop_on_signal
            ? 0
            : now_ms() + (fd_timeout_ms ? fd_timeout_ms : SCM_SECRET_FD_TIMEOUT_S * 1000);
    s->len = 0;
    for (;;) {
        char c;
        int w = stop_on_signal ? SCM_OK : wait_readable(fd, deadline);
        if (w < 0)
            return w;
        ssize_t r = read(fd, &c, 1);
        if (r < 0) {
            if (errno == EINTR && !(stop_on_signal && caught_signal))
                continue;
            scm_wipe(&c, sizeof(c));
            return errno == EINTR ? SCM_E_CANCELLED : SCM_E_IO;
        }
        if (r == 0)
            break;
        got_any = true;
        if (c == '\n')
            break;
        /* One byte more than the limit is allowed for the '\r' of a CRLF
         * line; it is checked again after stripping. */
        if (s->len >= SCM_SECRET_MAX + 1) {
            scm_wipe(&c, sizeof(c));
            return SCM_E_LIMIT;
        }
        s->buf[s->len++] = c;
        scm_wipe(&c, sizeof(c));
    }
    if (!got_any)
        return SCM_E_CANCELLED;
    if (s->len > 0 && s->buf[s->len - 1] == '\r')
        s->buf[--s->len] = '\0';
    if (s->len > SCM_SECRET_MAX)
        return SCM_E_LIMIT;
    s->buf[s->len] = '\0';
    return SCM_OK;
}

static void write_all(int fd, const char *text)
{
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

/* Ask on the terminal with echo off. The old terminal state and signal
 * dispositions come back on every path, including Ctrl-C, before the
 * signal is re-raised. */
static int read_tty(const char *prompt, struct scm_secret *s)
{
    struct sigaction old_act[N_TTY_SIGNALS];
    struct termios old_tio, tio;
    bool tio_saved = false;
    int rc;
    int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (tty < 0)
        return SCM_E_NO_TTY;

    /* Handlers first, then echo off: a signal in between must not leave the
     * terminal silent. No SA_RESTART, so that read() returns. */
    caught_signal = 0;
    struct sigaction act;
    memset(&act, 0, sizeof(act));
    act.sa_handler = note_signal;
    sigemptyset(&act.sa_mask);
    for (size_t i = 0; i < N_TTY_SIGNALS; i++)
        sigaction(tty_signals[i], &act, &old_act[i]);

    if (prompt)
        write_all(tty, prompt);
    if (tcgetattr(tty, &old_tio) == 0) {
        tio_saved = true;
        tio = old_tio;
        tio.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
        tio.c_lflag |= ICANON;
        (void)tcsetattr(tty, TCSAFLUSH, &tio);
    }

    /* A signal before or during the read cancels it, even a complete line. */
    rc = caught_signal ? SCM_E_CANCELLED : read_line(tty, s, true);
    if (caught_signal)
        rc = SCM_E_CANCELLED;

    if (tio_saved)
        (void)tcsetattr(tty, TCSAFLUSH, &old_tio);
    /* Echo was off, so the user's Enter did not move the cursor. */
    write_all(tty, "\n");
    close(tty);
    for (size_t i = 0; i < N_TTY_SIGNALS; i++)
        sigaction(tty_signals[i], &old_act[i], NULL);
    if (caught_signal) {
        /* Wipe before the signal may end the process. With the program's
         * own disposition back, Ctrl-C ends it as usual (exit 130), and
         * Ctrl-Z stops it; after a stop the caller sees SCM_E_CANCELLED. */
        scm_wipe(s->buf, s->cap);
        s->len = 0;
        raise(caught_signal);
    }
    return rc;
}

int scm_secret_read(int fd, const char *prompt, struct scm_secret *out)
{
    int rc = secret_alloc(out);
    if (rc < 0)
        return rc;
    struct stat sb;
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode))
        rc = SCM_E_INVAL; /* read() would only say EISDIR */
    else if (fd >= 0)
        rc = read_line(fd, out, false);
    else
        rc = read_tty(prompt, out);
    if (rc < 0)
        scm_secret_free(out);
    return rc;
}

/* Compare without an early exit: the time taken must not say where two
 * typed passwords differ. */
static bool secret_equal(const struct scm_secret *a, const struct scm_secret *b)
{
    unsigned char diff = a->len != b->len;
    size_t n = a->len < b->len ? a->len : b->len;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a->buf[i] ^ b->buf[i]);
    return diff == 0;
}

int scm_secret_read_new(int fd, const char *prompt, const char *again, struct scm_secret *out)
{
    struct scm_secret second;
    int rc;
    secret_clear(&second);
    if (fd >= 0)
        return scm_secret_read(fd, prompt, out);
    rc = scm_secret_read(-1, prompt, out);
    if (rc < 0)
        goto out;
    rc = scm_secret_read(-1, again ? again : prompt, &second);
    if (rc < 0)
        goto out;
    if (!secret_equal(out, &second))
        rc = SCM_E_PW_MISMATCH;
out:
    scm_secret_free(&second);
    if (rc < 0)
        scm_secret_free(out);
    return rc;
}
