/* Unit tests of the utility layer: sanitiser, errors, secret input, secure
 * memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scmgr/util.h"
#include "testutil.h"

/* ---- scm_sanitize ---------------------------------------------------------- */

struct san_case {
    const char *name;
    const char *in;
    size_t in_len; /* 0: strlen(in) */
    size_t max_out;
    const char *want;
};

static const struct san_case san_cases[] = {
    {"plain ASCII", "Hello, card", 0, 64, "Hello, card"},
    {"UTF-8 kept", "Zertifikat f\xC3\xBCr M\xC3\xB6ller \xE2\x82\xAC", 0, 64,
     "Zertifikat f\xC3\xBCr M\xC3\xB6ller \xE2\x82\xAC"},
    {"4-byte UTF-8 kept", "key \xF0\x9F\x94\x91", 0, 64, "key \xF0\x9F\x94\x91"},
    {"ESC sequence", "a\x1B[31mred", 0, 64, "a\\x1B[31mred"},
    {"BEL", "ding\x07", 0, 64, "ding\\x07"},
    {"backspace", "ab\bc", 0, 64, "ab\\x08c"},
    {"newline", "two\nlines", 0, 64, "two\\x0Alines"},
    {"carriage return", "over\rwrite", 0, 64, "over\\x0Dwrite"},
    {"tab", "a\tb", 0, 64, "a\\x09b"},
    {"DEL", "x\x7Fy", 0, 64, "x\\x7Fy"},
    {"C1 CSI U+009B",
     "x\xC2\x9B"
     "31m",
     0, 64, "x\\x9B31m"},
    {"bidi RLO U+202E",
     "abc\xE2\x80\xAE"
     "fdp.exe",
     0, 64, "abc\\u202Efdp.exe"},
    {"bidi LRI U+2066", "\xE2\x81\xA6x", 0, 64, "\\u2066x"},
    {"bidi PDI U+2069", "x\xE2\x81\xA9", 0, 64, "x\\u2069"},
    {"invalid byte", "a\xFFz", 0, 64, "a\\xFFz"},
    {"lone continuation", "a\x80z", 0, 64, "a\\x80z"},
    {"truncated sequence", "a\xE2\x82", 0, 64, "a\\xE2\\x82"},
    {"overlong slash", "\xC0\xAF", 0, 64, "\\xC0\\xAF"},
    {"overlong 3-byte NUL", "\xE0\x80\x80", 0, 64, "\\xE0\\x80\\x80"},
    {"surrogate U+D800", "\xED\xA0\x80", 0, 64, "\\xED\\xA0\\x80"},
    {"above U+10FFFF", "\xF4\x90\x80\x80", 0, 64, "\\xF4\\x90\\x80\\x80"},
    {"embedded NUL", "a\0b", 3, 64, "a\\x00b"},
    {"backslash escaped", "C:\\x1B", 0, 64, "C:\\\\x1B"},
    {"empty", "", 0, 64, ""},
    {"cut at max_out", "abcdef", 0, 4, "abc"},
    {"cut before a multi-byte char", "ab\xC3\xBC", 0, 4, "ab"},
    {"cut before an escape", "ab\x1B", 0, 6, "ab"},
    {"escape fits exactly", "ab\x1B", 0, 7, "ab\\x1B"},
    {"max_out 1", "abc", 0, 1, ""},
};

static void test_sanitize_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(san_cases) / sizeof(san_cases[0]); i++) {
        const struct san_case *t = &san_cases[i];
        char out[128];
        size_t in_len = t->in_len ? t->in_len : strlen(t->in);
        memset(out, 'Z', sizeof(out));
        size_t n = scm_sanitize(t->in, in_len, out, t->max_out);
        if (strcmp(out, t->want) != 0 || n != strlen(t->want))
            fail_msg("case '%s': got '%s' (%zu), want '%s'", t->name, out, n, t->want);
        /* Whatever comes out is clean text. */
        if (!scm_text_is_clean(out, n) && strchr(out, '\\') == NULL)
            fail_msg("case '%s': output not clean", t->name);
    }
}

static void test_sanitize_max_out_zero(void **state)
{
    (void)state;
    char out[4] = "xyz";
    assert_int_equal(scm_sanitize("abc", 3, out, 0), 0);
    assert_string_equal(out, "xyz"); /* untouched */
}

static void test_text_is_clean(void **state)
{
    (void)state;
    assert_true(scm_text_is_clean("VSC 00001079", 12));
    assert_true(scm_text_is_clean("f\xC3\xBCr", 4));
    assert_true(scm_text_is_clean("", 0));
    assert_false(scm_text_is_clean("a\x1B", 2));
    assert_false(scm_text_is_clean("a\n", 2));
    assert_false(scm_text_is_clean("\xE2\x80\xAE", 3));
    assert_false(scm_text_is_clean("\xC0\xAF", 2));
    assert_false(scm_text_is_clean("\xFF", 1));
}

/* ---- errors ------------------------------------------------------------------ */

static const struct {
    int err;
    int exit_code;
} exit_cases[] = {
    {SCM_OK, 0},
    {SCM_E_GENERIC, 1},
    {SCM_E_IO, 1},
    {SCM_E_CONFIG, 1},
    {SCM_E_USAGE, 2},
    {SCM_E_NO_TTY, 2},
    {SCM_E_BAD_UID, 2},
    {SCM_E_BAD_PASSWORD, 3},
    {SCM_E_VSC_CORRUPT, 4},
    {SCM_E_VSC_TAMPERED, 4},
    {SCM_E_VSC_VERSION, 4},
    {SCM_E_KDF_TOO_WEAK, 4},
    {SCM_E_VSC_NOT_FOUND, 5},
    {SCM_E_VSC_DISABLED, 6},
    {-9999, 1}, /* unknown errors are "other" */
    {42, 0},    /* counts are success */
};

static void test_exit_codes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(exit_cases) / sizeof(exit_cases[0]); i++)
        if (scm_exit_code(exit_cases[i].err) != exit_cases[i].exit_code)
            fail_msg("error %d: exit code %d, want %d", exit_cases[i].err,
                     scm_exit_code(exit_cases[i].err), exit_cases[i].exit_code);
}

static void test_strerror_sentences(void **state)
{
    (void)state;
    /* Every code in every range: never NULL; a known code has a sentence
     * (capital letter, full stop) of its own. */
    for (int err = -500; err <= 1; err++) {
        const char *s = scm_strerror(err);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        if (strcmp(s, "Unknown error.") == 0)
            continue;
        size_t n = strlen(s);
        if (!(s[0] >= 'A' && s[0] <= 'Z') || s[n - 1] != '.')
            fail_msg("error %d: '%s' is not a sentence", err, s);
    }
    static const int known[] = {
        SCM_E_GENERIC,       SCM_E_NOMEM,       SCM_E_INVAL,         SCM_E_IO,
        SCM_E_NOT_SUPPORTED, SCM_E_CANCELLED,   SCM_E_CONFIG,        SCM_E_POLICY,
        SCM_E_LIMIT,         SCM_E_EXISTS,      SCM_E_NOT_FOUND,     SCM_E_PW_MISMATCH,
        SCM_E_PW_WEAK,       SCM_E_CRYPTO,      SCM_E_USAGE,         SCM_E_NO_TTY,
        SCM_E_BAD_LABEL,     SCM_E_AMBIGUOUS,   SCM_E_VSC_NOT_FOUND, SCM_E_VSC_EXISTS,
        SCM_E_BAD_PASSWORD,  SCM_E_VSC_CORRUPT, SCM_E_VSC_VERSION,   SCM_E_VSC_TAMPERED,
        SCM_E_VSC_DISABLED,  SCM_E_VSC_LOCKED,  SCM_E_VSC_BUSY,      SCM_E_VSC_CONFLICT,
        SCM_E_KDF_TOO_WEAK,  SCM_E_SECRET_AREA, SCM_E_BAD_UID,       SCM_E_VSC_READBACK,
        SCM_E_VSC_UNSAVED,
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        assert_string_not_equal(scm_strerror(known[i]), "Unknown error.");
        for (size_t k = 0; k < i; k++)
            if (strcmp(scm_strerror(known[i]), scm_strerror(known[k])) == 0)
                fail_msg("errors %d and %d share a sentence", known[i], known[k]);
    }
}

static void test_hex(void **state)
{
    static const uint8_t b[] = {0x3B, 0x95, 0x0A};
    char out[16];
    (void)state;
    assert_int_equal(scm_hex(b, 3, NULL, out, sizeof(out)), 6);
    assert_string_equal(out, "3B950A");
    assert_int_equal(scm_hex(b, 3, " ", out, sizeof(out)), 8);
    assert_string_equal(out, "3B 95 0A");
    /* Cut to whole bytes that fit, always terminated. */
    assert_int_equal(scm_hex(b, 3, " ", out, 6), 5);
    assert_string_equal(out, "3B 95");
    assert_int_equal(scm_hex(b, 3, NULL, out, 1), 0);
    assert_string_equal(out, "");
    assert_int_equal(scm_hex(b, 0, NULL, out, sizeof(out)), 0);
    assert_string_equal(out, "");
}

static void test_fail_detail(void **state)
{
    (void)state;
    struct scm_detail d;
    assert_int_equal(scm_fail(&d, SCM_E_IO, "%s: bad %d", "f", 3), SCM_E_IO);
    assert_string_equal(d.text, "f: bad 3");
    assert_int_equal(scm_fail(NULL, SCM_E_IO, "x"), SCM_E_IO);
    /* The cause's sentence becomes a clause; acronyms keep their case. */
    assert_int_equal(scm_fail_because(&d, SCM_E_CARD_REMOVED, "Reading failed"),
                     SCM_E_CARD_REMOVED);
    assert_string_equal(d.text, "Reading failed: the card was removed.");
    scm_fail_because(&d, SCM_E_NO_SERVICE, "Listing failed");
    assert_string_equal(d.text, "Listing failed: no PC/SC service is running (pcscd).");
    scm_fail_because(&d, SCM_E_PCSC, "X");
    assert_string_equal(d.text, "X: the PC/SC service reported an error.");
    assert_int_equal(scm_fail_because(NULL, SCM_E_IO, "x"), SCM_E_IO);
}

/* ---- secret input from a file descriptor ------------------------------------- */

/* A pipe holding `len` bytes, write end closed: the reader sees EOF after. */
static int pipe_with(const char *data, size_t len)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], data, len), (ssize_t)len);
    close(p[1]);
    return p[0];
}

struct secret_case {
    const char *name;
    const char *in;
    size_t in_len;
    int rc;
    const char *want;
};

static const struct secret_case secret_cases[] = {
    {"newline stripped", "hunter22\n", 9, SCM_OK, "hunter22"},
    {"CRLF stripped", "hunter22\r\n", 10, SCM_OK, "hunter22"},
    {"EOF without newline", "hunter22", 8, SCM_OK, "hunter22"},
    {"empty line", "\n", 1, SCM_OK, ""},
    {"nothing at all", "", 0, SCM_E_CANCELLED, NULL},
    {"spaces kept", " pass word \n", 12, SCM_OK, " pass word "},
    {"UTF-8 kept", "p\xC3\xA4ss\n", 6, SCM_OK, "p\xC3\xA4ss"},
};

static void test_secret_read_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(secret_cases) / sizeof(secret_cases[0]); i++) {
        const struct secret_case *t = &secret_cases[i];
        struct scm_secret s;
        int fd = pipe_with(t->in, t->in_len);
        int rc = scm_secret_read(fd, "unused", &s);
        close(fd);
        if (rc != t->rc)
            fail_msg("case '%s': rc %d, want %d", t->name, rc, t->rc);
        if (rc == SCM_OK) {
            if (s.len != strlen(t->want) || strcmp(s.buf, t->want) != 0)
                fail_msg("case '%s': got '%s'", t->name, s.buf);
        } else {
            assert_null(s.buf);
        }
        scm_secret_free(&s);
        assert_null(s.buf);
    }
}

/* The reader must stop at the newline: the rest of the stream belongs to
 * whoever reads next (a second password, or the data of `put -`). */
static void test_secret_read_leaves_rest(void **state)
{
    (void)state;
    struct scm_secret a, b;
    char rest[8] = {0};
    int fd = pipe_with("old1\nnew2\nDATA", 14);
    assert_int_equal(scm_secret_read(fd, NULL, &a), SCM_OK);
    assert_int_equal(scm_secret_read_new(fd, NULL, NULL, &b), SCM_OK);
    assert_string_equal(a.buf, "old1");
    assert_string_equal(b.buf, "new2");
    assert_int_equal(read(fd, rest, sizeof(rest) - 1), 4);
    assert_string_equal(rest, "DATA");
    close(fd);
    scm_secret_free(&a);
    scm_secret_free(&b);
}

static void test_secret_limits(void **state)
{
    (void)state;
    static char big[SCM_SECRET_MAX + 8];
    struct scm_secret s;
    int fd;

    /* Exactly the maximum: fine, with or without CR. */
    memset(big, 'a', SCM_SECRET_MAX);
    big[SCM_SECRET_MAX] = '\n';
    fd = pipe_with(big, SCM_SECRET_MAX + 1);
    assert_int_equal(scm_secret_read(fd, NULL, &s), SCM_OK);
    assert_int_equal(s.len, SCM_SECRET_MAX);
    scm_secret_free(&s);
    close(fd);

    big[SCM_SECRET_MAX] = '\r';
    big[SCM_SECRET_MAX + 1] = '\n';
    fd = pipe_with(big, SCM_SECRET_MAX + 2);
    assert_int_equal(scm_secret_read(fd, NULL, &s), SCM_OK);
    assert_int_equal(s.len, SCM_SECRET_MAX);
    scm_secret_free(&s);
    close(fd);

    /* One byte too many: refused, nothing returned. */
    memset(big, 'b', SCM_SECRET_MAX + 1);
    big[SCM_SECRET_MAX + 1] = '\n';
    fd = pipe_with(big, SCM_SECRET_MAX + 2);
    assert_int_equal(scm_secret_read(fd, NULL, &s), SCM_E_LIMIT);
    assert_null(s.buf);
    close(fd);

    memset(big, 'c', sizeof(big));
    fd = pipe_with(big, sizeof(big));
    assert_int_equal(scm_secret_read(fd, NULL, &s), SCM_E_LIMIT);
    close(fd);
}

/* A descriptor that never gives anything ends with SCM_E_TIMEOUT (a pipe
 * whose writer stays open and silent, as a FIFO opened read-write), a
 * directory is refused at once, and a line that arrives in time still
 * reads. The timeout is shortened for the test; the default is
 * SCM_SECRET_FD_TIMEOUT_S. */
static void test_secret_fd_never_answers(void **state)
{
    (void)state;
    struct scm_secret s;
    int p[2];
    assert_int_equal(pipe(p), 0);
    scm_secret_test_set_fd_timeout(200);
    assert_int_equal(scm_secret_read(p[0], NULL, &s), SCM_E_TIMEOUT);
    assert_null(s.buf);
    /* Part of a line, then silence: the deadline is for the whole line. */
    assert_int_equal(write(p[1], "pass", 4), 4);
    assert_int_equal(scm_secret_read(p[0], NULL, &s), SCM_E_TIMEOUT);
    assert_int_equal(write(p[1], "word\n", 5), 5);
    assert_int_equal(scm_secret_read(p[0], NULL, &s), SCM_OK);
    assert_string_equal(s.buf, "word");
    scm_secret_free(&s);
    scm_secret_test_set_fd_timeout(0);
    close(p[0]);
    close(p[1]);

    char *dir = tu_mkdtemp();
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    assert_int_equal(scm_secret_read(fd, NULL, &s), SCM_E_INVAL);
    assert_null(s.buf);
    close(fd);
    tu_rmtree(dir);
    free(dir);
}

static void test_secret_bad_fd(void **state)
{
    (void)state;
    struct scm_secret s;
    int p[2];
    assert_int_equal(pipe(p), 0);
    close(p[0]);
    close(p[1]);
    assert_int_equal(scm_secret_read(p[0], NULL, &s), SCM_E_IO);
    assert_null(s.buf);
    scm_secret_free(&s); /* freeing an empty secret is fine */
}

/* ---- secure memory -------------------------------------------------------------- */

static void test_secure_alloc(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 15, 16, 4095, 4096, 4097, 100000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned char *p = scm_secure_alloc(sizes[i]);
        assert_non_null(p);
        for (size_t k = 0; k < sizes[i]; k++)
            assert_int_equal(p[k], 0);
        memset(p, 0xA5, sizes[i]);
        scm_secure_free(p, sizes[i]);
    }
    scm_secure_free(NULL, 10);

    unsigned char buf[32];
    memset(buf, 0x5A, sizeof(buf));
    scm_wipe(buf, sizeof(buf));
    for (size_t k = 0; k < sizeof(buf); k++)
        assert_int_equal(buf[k], 0);
    scm_wipe(NULL, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sanitize_table),     cmocka_unit_test(test_sanitize_max_out_zero),
        cmocka_unit_test(test_text_is_clean),      cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_strerror_sentences), cmocka_unit_test(test_fail_detail), cmocka_unit_test(test_hex),
        cmocka_unit_test(test_secret_read_table),  cmocka_unit_test(test_secret_read_leaves_rest),
        cmocka_unit_test(test_secret_limits),      cmocka_unit_test(test_secret_bad_fd),
        cmocka_unit_test(test_secret_fd_never_answers),
        cmocka_unit_test(test_secure_alloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
