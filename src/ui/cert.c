/* What the viewer shows of an X.509 certificate: subject, issuer, serial,
 * validity, key, key usage, fingerprints, decoded with GnuTLS. One
 * decoder for every certificate; where it runs depends on the object:
 *
 * - a public object's bytes are no secret: decoded here;
 * - a private object's are, and gnutls_x509_crt_import copies its input
 *   into ordinary heap memory and frees it unwiped: decoded in a locked,
 *   short-lived child process (scm_isolate_run) that sends back only the
 *   text lines, which land in secure memory (lines.c).
 *
 * Lines are raw text from the certificate; the viewer sanitises them. */
#include "ui_int.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Where decoded lines go: the viewer's array, or the child's pipe. */
struct sink {
    char ***lines;
    size_t *n;
    int fd; /* >= 0: write each line, NUL-terminated, to fd */
    int rc;
};

static void emit(struct sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct sink *s, const char *fmt, ...)
{
    va_list ap;
    if (s->rc < 0)
        return;
    if (s->fd < 0) {
        va_start(ap, fmt);
        s->rc = ui_lines_vadd(s->lines, s->n, fmt, ap);
        va_end(ap);
        return;
    }
    /* In the child, whose memory is all locked: plain buffers will do. */
    char *buf = NULL;
    va_start(ap, fmt);
    int w = vasprintf(&buf, fmt, ap);
    va_end(ap);
    if (w < 0) {
        s->rc = SCM_E_NOMEM;
        return;
    }
    for (size_t off = 0; off < (size_t)w + 1;) {
        ssize_t r = write(s->fd, buf + off, (size_t)w + 1 - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            s->rc = SCM_E_IO;
            break;
        }
        off += (size_t)r;
    }
    free(buf);
}

/* Long hex values (serial, fingerprints) 16 bytes a line, continuations
 * under the first: every break falls between two bytes. */
static void hex_lines(struct sink *s, const char *what, const uint8_t *b, size_t len)
{
    for (size_t off = 0; off < len || off == 0; off += 16) {
        char hex[16 * 3 + 1] = "";
        size_t k = len - off < 16 ? len - off : 16;
        scm_hex(b + off, k, ":", hex, sizeof(hex));
        emit(s, "%-12s %s", off ? "" : what, len ? hex : "?");
        if (!len)
            break;
    }
}

static void dn_line(struct sink *s, const char *what, gnutls_x509_crt_t crt, bool issuer)
{
    gnutls_datum_t dn = {NULL, 0};
    int rc =
        issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) : gnutls_x509_crt_get_dn3(crt, &dn, 0);
    emit(s, "%-12s %s", what, rc == 0 && dn.data && dn.data[0] ? (const char *)dn.data : "?");
    gnutls_free(dn.data);
}

static void time_line(struct sink *s, const char *what, time_t t)
{
    char buf[64];
    struct tm tm;
    if (t == (time_t)-1 || !gmtime_r(&t, &tm) ||
        !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(buf, sizeof(buf), "?");
    emit(s, "%-12s %s", what, buf);
}

static void key_line(struct sink *s, gnutls_x509_crt_t crt)
{
    unsigned bits = 0;
    int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
    const char *name = pk > 0 ? gnutls_pk_algorithm_get_name((gnutls_pk_algorithm_t)pk) : NULL;
    gnutls_ecc_curve_t curve;
    char extra[64] = "";
    if ((pk == GNUTLS_PK_ECDSA || pk == GNUTLS_PK_EDDSA_ED25519 || pk == GNUTLS_PK_EDDSA_ED448) &&
        gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, NULL, NULL) == 0 &&
        gnutls_ecc_curve_get_name(curve))
        snprintf(extra, sizeof(extra), " (%s)", gnutls_ecc_curve_get_name(curve));
    if (!name)
        emit(s, "%-12s %s", "Key:", "?");
    else if (bits)
        emit(s, "%-12s %s, %u bits%s", "Key:", name, bits, extra);
    else
        emit(s, "%-12s %s%s", "Key:", name, extra);
}

static void usage_line(struct sink *s, gnutls_x509_crt_t crt)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {GNUTLS_KEY_DIGITAL_SIGNATURE, "digital signature"},
        {GNUTLS_KEY_NON_REPUDIATION, "non-repudiation"},
        {GNUTLS_KEY_KEY_ENCIPHERMENT, "key encipherment"},
        {GNUTLS_KEY_DATA_ENCIPHERMENT, "data encipherment"},
        {GNUTLS_KEY_KEY_AGREEMENT, "key agreement"},
        {GNUTLS_KEY_KEY_CERT_SIGN, "certificate signing"},
        {GNUTLS_KEY_CRL_SIGN, "CRL signing"},
        {GNUTLS_KEY_ENCIPHER_ONLY, "encipher only"},
        {GNUTLS_KEY_DECIPHER_ONLY, "decipher only"},
    };
    unsigned usage = 0, critical = 0;
    char buf[256] = "";
    size_t o = 0;
    /* No extension: the key may be used for anything; nothing to show. */
    if (gnutls_x509_crt_get_key_usage(crt, &usage, &critical) < 0)
        return;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (usage & names[i].bit)
            o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? ", " : "", names[i].name);
    emit(s, "%-12s %s%s", "Key usage:", o ? buf : "none", critical ? " (critical)" : "");
}

static void fp_lines(struct sink *s, const char *what, gnutls_x509_crt_t crt,
                     gnutls_digest_algorithm_t alg)
{
    uint8_t fp[64];
    size_t fplen = sizeof(fp);
    if (gnutls_x509_crt_get_fingerprint(crt, alg, fp, &fplen) == 0)
        hex_lines(s, what, fp, fplen);
}

/* The one decoder. 1 decoded, 0 not a certificate. */
static int decode(const uint8_t *data, size_t len, struct sink *s)
{
    gnutls_x509_crt_t crt;
    gnutls_datum_t der = {(unsigned char *)(uintptr_t)data, (unsigned)len};
    uint8_t serial[64];
    size_t slen = sizeof(serial);
    if (len > SCM_OBJ_SIZE_MAX || gnutls_x509_crt_init(&crt) < 0)
        return 0;
    if (gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) < 0 &&
        gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_PEM) < 0) {
        gnutls_x509_crt_deinit(crt);
        return 0;
    }
    emit(s, "%s", "X.509 certificate");
    dn_line(s, "Subject:", crt, false);
    dn_line(s, "Issuer:", crt, true);
    if (gnutls_x509_crt_get_serial(crt, serial, &slen) == 0)
        hex_lines(s, "Serial:", serial, slen);
    time_line(s, "Not before:", gnutls_x509_crt_get_activation_time(crt));
    time_line(s, "Not after:", gnutls_x509_crt_get_expiration_time(crt));
    key_line(s, crt);
    usage_line(s, crt);
    int sig = gnutls_x509_crt_get_signature_algorithm(crt);
    emit(s, "%-12s %s", "Signature:",
         sig > 0 && gnutls_sign_get_name((gnutls_sign_algorithm_t)sig)
             ? gnutls_sign_get_name((gnutls_sign_algorithm_t)sig)
             : "?");
    fp_lines(s, "SHA-256:", crt, GNUTLS_DIG_SHA256);
    fp_lines(s, "SHA-1:", crt, GNUTLS_DIG_SHA1);
    gnutls_x509_crt_deinit(crt);
    return 1;
}

static void tail(char ***lines, size_t *n)
{
    ui_lines_add(lines, n, "%s", "");
    ui_lines_add(lines, n, "%s", "Tab shows the bytes in hex.");
}

int ui_cert_lines(const uint8_t *data, size_t len, char ***lines, size_t *n)
{
    struct sink s = {lines, n, -1, SCM_OK};
    size_t first = *n;
    int r = decode(data, len, &s);
    if (s.rc < 0) {
        for (size_t i = first; i < *n; i++)
            ui_line_free((*lines)[i]);
        *n = first;
        return s.rc;
    }
    if (r == 1)
        tail(lines, n);
    return r;
}

/* ---- in a child process: private certificates -------------------------- */
struct job {
    const uint8_t *data;
    size_t len;
};

/* Exit status 0: decoded, 1: not a certificate, 2: the pipe failed. */
static int child_decode(void *arg, int fd)
{
    struct job *j = arg;
    struct sink s = {NULL, NULL, fd, SCM_OK};
    int r = decode(j->data, j->len, &s);
    if (s.rc < 0)
        return 2;
    return r == 1 ? 0 : 1;
}

/* The decoder's answer is small: the DNs are the longest part. */
#define ANSWER_MAX (256 * 1024)
/* Decoding takes milliseconds; a child stuck longer is killed. */
#define DEADLINE_MS 5000

int ui_cert_lines_isolated(const uint8_t *data, size_t len, char ***lines, size_t *n,
                           struct scm_detail *d)
{
    struct job j = {data, len};
    uint8_t *ans = NULL;
    size_t alen = 0, first = *n;
    /* The child must find GnuTLS ready: its constructor has initialised
     * it unless GNUTLS_NO_IMPLICIT_INIT said not to; a reference of our
     * own makes sure, before the fork. */
    if (gnutls_global_init() < 0)
        return scm_fail(d, SCM_E_CRYPTO, "GnuTLS could not be initialised.");
    int r = scm_isolate_run(child_decode, &j, DEADLINE_MS, ANSWER_MAX, &ans, &alen, d);
    gnutls_global_deinit();
    if (r < 0)
        return r;
    if (r == 0 && alen > 0 && ans[alen - 1] == '\0')
        r = 1; /* decoded */
    else if (r == 0)
        r = scm_fail(d, SCM_E_GENERIC, "The decoder process's answer was cut off.");
    else if (r == 1)
        r = 0; /* not a certificate */
    else if (r == 2)
        r = scm_fail(d, SCM_E_IO, "The decoder process could not send its answer.");
    else
        r = scm_fail(d, SCM_E_GENERIC, "The decoder process failed (status %d).", r);
    /* The lines, NUL-terminated one after the other. */
    for (size_t off = 0; r == 1 && off < alen;) {
        size_t l = strlen((const char *)ans + off);
        if (ui_lines_add_bytes(lines, n, ans + off, l) < 0)
            r = SCM_E_NOMEM;
        off += l + 1;
    }
    scm_secure_free(ans, ANSWER_MAX);
    if (r < 0) {
        for (size_t i = first; i < *n; i++)
            ui_line_free((*lines)[i]);
        *n = first;
        return r;
    }
    if (r == 1)
        tail(lines, n);
    return r;
}
