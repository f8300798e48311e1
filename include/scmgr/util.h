/* scmgr — utility layer: errors, secure memory, sanitising, logging, secret input.
 *
 * The lowest layer. Every other layer may include this header; it includes
 * nothing of scmgr's. */
#ifndef SCMGR_UTIL_H
#define SCMGR_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Errors --------------------------------------------------------------
 * One error space for the whole program: 0 is success, positive values are
 * counts, negative values are errors grouped in ranges by layer. PC/SC and
 * GnuTLS codes are converted once, at their boundary. */
enum scm_err {
    SCM_OK = 0,

    /* general: -1 .. -99 */
    SCM_E_GENERIC = -1,
    SCM_E_NOMEM = -2,
    SCM_E_INVAL = -3,
    SCM_E_IO = -4,
    SCM_E_NOT_SUPPORTED = -5,
    SCM_E_CANCELLED = -6,
    SCM_E_CONFIG = -7,
    SCM_E_POLICY = -8,
    SCM_E_LIMIT = -9,
    SCM_E_EXISTS = -10,
    SCM_E_NOT_FOUND = -11,
    SCM_E_PW_MISMATCH = -12,
    SCM_E_PW_WEAK = -13,
    SCM_E_CRYPTO = -14,
    SCM_E_USAGE = -15,
    SCM_E_NO_TTY = -16,
    SCM_E_BAD_LABEL = -17,
    SCM_E_AMBIGUOUS = -18,
    SCM_E_TIMEOUT = -19,

    /* VSC control: -100 .. -199 */
    SCM_E_VSC_NOT_FOUND = -100,
    SCM_E_VSC_EXISTS = -101,
    SCM_E_BAD_PASSWORD = -102,
    SCM_E_VSC_CORRUPT = -103,
    SCM_E_VSC_VERSION = -104,
    SCM_E_VSC_TAMPERED = -105,
    SCM_E_VSC_DISABLED = -106,
    SCM_E_VSC_LOCKED = -107,
    SCM_E_VSC_BUSY = -108,
    SCM_E_VSC_CONFLICT = -109,
    SCM_E_KDF_TOO_WEAK = -110,
    SCM_E_SECRET_AREA = -111,
    SCM_E_BAD_UID = -112,
    SCM_E_VSC_READBACK = -113,
    SCM_E_VSC_UNSAVED = -114,

    /* reader handler: -200 .. -299 */
    SCM_E_NO_SERVICE = -200,
    SCM_E_NO_READER = -201,
    SCM_E_NO_CARD = -202,
    SCM_E_CARD_REMOVED = -203,
    SCM_E_CARD_RESET = -204,
    SCM_E_CARD_BUSY = -205,
    SCM_E_CARD_MUTE = -206,
    SCM_E_TRANSMIT = -207,
    SCM_E_PCSC = -208,
    SCM_E_CARD_TIMEOUT = -209,

    /* card agents: -300 .. -399 */
    SCM_E_NO_AGENT = -300,
    SCM_E_BAD_PIN = -301,
    SCM_E_PIN_BLOCKED = -302,
    SCM_E_PIN_LAST_TRY = -303,
    SCM_E_CARD_LOCKED = -304,
    SCM_E_CARD_FULL = -305,
    SCM_E_CARD_REFUSED = -306,
    SCM_E_CARD_LAYOUT = -307,
    SCM_E_CARD_BLANK = -308,
    SCM_E_NOT_EXPORTABLE = -309,
    SCM_E_BAD_PIN_FORMAT = -310,
    /* UI: -400 .. -499 (later) */
};

/* A sentence a user can act on; never NULL. */
const char *scm_strerror(int err);

/* The documented process exit code for an error (README "Exit codes"). */
int scm_exit_code(int err);

/* Optional detail for an error: one plain sentence naming the file and what
 * is wrong. Functions that take a `struct scm_detail *` accept NULL. Names
 * and labels in it are as given (from a card, a reader, a file): whatever
 * shows a detail sanitises it, once (cli_print, ui_put, scm_log). */
#define SCM_DETAIL_MAX 512
struct scm_detail {
    char text[SCM_DETAIL_MAX];
};

/* Fill d (if not NULL) with a formatted sentence and return err unchanged,
 * so error paths read `return scm_fail(d, SCM_E_..., "...", ...);`. */
int scm_fail(struct scm_detail *d, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same for a step that failed because of err: "WHAT: <err's sentence,
 * first letter lowered>", e.g. "Sending the PIN failed: the card was
 * removed." */
int scm_fail_because(struct scm_detail *d, int err, const char *what);

/* ---- Secure memory -------------------------------------------------------
 * Memory for secrets: locked (mlock, best effort past RLIMIT_MEMLOCK),
 * excluded from core dumps, zero-filled, wiped with gnutls_memset on free.
 * scm_secure_free(NULL, n) is a no-op. */
void *scm_secure_alloc(size_t len);
void scm_secure_free(void *p, size_t len);
/* Has every secure allocation so far been locked? Past RLIMIT_MEMLOCK the
 * memory still works but may be swapped: the first such allocation logs
 * one warning. Before any allocation a one-page probe answers, so that
 * `scmgr --version` can tell. Not thread-safe on the first failure only in
 * that two threads may both log. */
bool scm_secure_locked(void);
/* scm_secure_locked() as a sentence: "locked (RLIMIT_MEMLOCK 8192 KiB)" or
 * "NOT locked (...): secrets may be swapped to disk; ...", for --version,
 * the log and the UI. */
void scm_secure_explain(char *buf, size_t cap);
/* Wipe a buffer that may hold a secret (never optimised away). */
void scm_wipe(void *p, size_t len);

/* Process hardening for a program that holds secrets: no core dumps, not
 * ptrace-attachable by same-uid processes, umask 077. Call once in main. */
void scm_harden_process(void);

/* ---- Isolation ------------------------------------------------------------
 * For a library that copies a secret into ordinary memory and frees it
 * unwiped (GnuTLS's certificate parser): run fn(arg, fd) in a forked child
 * whose memory is locked (all of it where RLIMIT_MEMLOCK or CAP_IPC_LOCK
 * allows, else every place the child writes to: its heap, its stack and
 * every new mapping; the child raises its soft limit to the hard one; if
 * even that fails fn is not run), not dumpable, without core files, with
 * the parent's signal handlers reset and no descriptor but fd (stdin,
 * stdout and stderr are /dev/null: the child never touches the terminal).
 * fn writes its answer to fd and returns 0..119, the child's exit status.
 * The parent reads at most cap bytes of the answer into secure memory
 * (*out, *len; free with scm_secure_free(*out, cap)) and returns fn's
 * status. Blocks at most timeout_ms, then kills the child. Errors, with
 * the sentence in d: SCM_E_TIMEOUT, SCM_E_LIMIT (more than cap bytes, or
 * the memory could not be locked: then fn never ran), SCM_E_GENERIC (the
 * child crashed or fn failed), SCM_E_IO, SCM_E_NOMEM. Call from one
 * thread; libraries fn uses must be initialised before (GnuTLS is, by its
 * constructor). */
typedef int (*scm_isolate_fn)(void *arg, int fd);
int scm_isolate_run(scm_isolate_fn fn, void *arg, int timeout_ms, size_t cap, uint8_t **out,
                    size_t *len, struct scm_detail *d);

/* ---- Sanitising ----------------------------------------------------------
 * Text that comes from a card or a file before it reaches a terminal:
 * C0 controls, DEL, C1 (U+0080..U+009F), bidi controls (U+202A..U+202E,
 * U+2066..U+2069) and invalid UTF-8 become visible escapes (\xNN, \u202E),
 * the result is cut at max_out-1 bytes on a character boundary and always
 * NUL-terminated. Returns the length written. */
size_t scm_sanitize(const char *in, size_t in_len, char *out, size_t max_out);

/* Decode one UTF-8 sequence at s[0..len), len > 0. Returns its length and
 * sets *cp, or 0 for an invalid, overlong, surrogate or truncated one. */
size_t scm_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* n bytes as upper-case hex, sep (may be NULL) between bytes, cut to whole
 * bytes that fit in cap - 1 and NUL-terminated. Returns the length. */
size_t scm_hex(const uint8_t *b, size_t n, const char *sep, char *out, size_t cap);
/* Hex digits (spaces or colons between pairs allowed) into bytes, in
 * place: a secret typed as hex never needs a second buffer. *out: the
 * bytes; the rest of s is wiped. SCM_E_BAD_PIN_FORMAT if not hex. */
int scm_unhex_inplace(char *s, size_t len, size_t *out);

/* Is s (len bytes) valid UTF-8 without any of the characters above? */
bool scm_text_is_clean(const char *s, size_t len);

/* ---- Logging -------------------------------------------------------------
 * Logs go to a file (--log FILE), never to the terminal while curses runs.
 * Secrets never reach these functions. */
enum scm_log_level { SCM_LOG_ERROR = 0, SCM_LOG_WARN, SCM_LOG_INFO, SCM_LOG_DEBUG, SCM_LOG_TRACE };
int scm_log_open(const char *path, enum scm_log_level level);
void scm_log_close(void);
void scm_log(enum scm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- Files written atomically --------------------------------------------
 * One mechanism for every file scmgr writes: a temporary file beside the
 * target (O_CREAT|O_EXCL|O_NOFOLLOW, 0600 whatever the umask), written,
 * fsync'd, then renamed over the target (replace) or linked to it (no
 * replace: atomic "only if it does not exist"), and the directory fsync'd.
 * At every instant the target is the old file or the whole new one. */

/* The temporary name for base: ".BASE.PID.XXXXXX" (PID of this process,
 * six random letters), so that a left-over one can be told from a live one
 * (scm_file_temp_stale). SCM_E_INVAL if it does not fit in outlen. */
int scm_file_temp_name(const char *base, char *out, size_t outlen);
/* Is name a temporary file of base (".BASE.PID.XXXXXX") whose process is
 * gone? A live or unknown process, or another name, gives false. */
bool scm_file_temp_stale(const char *name, const char *base);
/* Write buf as name in directory dfd, as described above. path names the
 * file in sentences. Without replace an existing name gives SCM_E_EXISTS
 * and is left alone. */
int scm_file_write_atomic(int dfd, const char *name, const void *buf, size_t len, bool replace,
                          const char *path, struct scm_detail *d);

/* Output paths the user gives (get -o, vsc export, the UI's exports).
 * "-" is standard output. Anything else must not exist yet, or be a
 * regular file and force given; a symlink (even to a regular file), a
 * directory, device, FIFO or socket is refused with a sentence and never
 * touched. Check before anything is read from a card or VSC; write checks
 * again. The file written is always a new inode of mode 0600. Refusals:
 * SCM_E_EXISTS (a regular file without force), SCM_E_IO (the rest). */
int scm_outfile_check(const char *path, bool force, struct scm_detail *d);
int scm_outfile_write(const char *path, const void *data, size_t len, bool force,
                      struct scm_detail *d);

/* ---- Secret input --------------------------------------------------------
 * Read one secret (password or PIN): from fd >= 0 (one line, the newline
 * stripped), or else from the controlling terminal with echo off, showing
 * prompt on /dev/tty. The buffer comes from scm_secure_alloc; free it with
 * scm_secret_free. Returns SCM_E_NO_TTY when fd < 0 and there is no
 * terminal, SCM_E_CANCELLED on EOF with nothing read. */
struct scm_secret {
    char *buf;  /* NUL-terminated */
    size_t len; /* without the NUL */
    size_t cap;
};
#define SCM_SECRET_MAX 1024
int scm_secret_read(int fd, const char *prompt, struct scm_secret *out);
/* A descriptor must give its line within this many seconds: a pipe whose
 * writer never writes, a FIFO opened read-write, a device that gives
 * nothing end with SCM_E_TIMEOUT instead of a hang. Long enough for a
 * password manager that asks its own passphrase first. A directory is
 * refused at once (SCM_E_INVAL). */
#define SCM_SECRET_FD_TIMEOUT_S 60
/* For tests: the timeout in milliseconds (0: back to the default). */
void scm_secret_test_set_fd_timeout(int ms);
/* A new secret: read twice from the terminal and compared (SCM_E_PW_MISMATCH),
 * or once from fd. */
int scm_secret_read_new(int fd, const char *prompt, const char *again, struct scm_secret *out);
void scm_secret_free(struct scm_secret *s);

#endif
