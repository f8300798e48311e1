/* The object viewer's contents: text, a hex dump, and for certificates
 * what a user checks (subject, issuer, validity, SHA-256 fingerprint),
 * decoded with GnuTLS. Every line is sanitised when drawn. */
#include "ui_int.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

size_t ui_view_hex_per_row(int width)
{
    /* "offset(8)  " + 3 columns per byte + " " + 1 per byte: whole rows of
     * 16, 8 or 4 bytes, so that the ASCII column is never cut. */
    for (size_t per = 16; per > 4; per /= 2)
        if (11 + 4 * (int)per <= width)
            return per;
    return 4;
}

int ui_view_lines(const uint8_t *data, size_t len, bool hex, bool utf8, int width, char ***lines,
                  size_t *n)
{
    *lines = NULL;
    *n = 0;
    if (hex) {
        size_t per = ui_view_hex_per_row(width);
        for (size_t off = 0; off < len; off += per) {
            char h[16 * 3 + 1] = "", t[17] = "";
            for (size_t i = 0; i < per; i++) {
                if (off + i < len) {
                    uint8_t c = data[off + i];
                    snprintf(h + i * 3, 4, "%02x ", c);
                    t[i] = c >= 0x20 && c < 0x7f ? (char)c : '.';
                } else {
                    snprintf(h + i * 3, 4, "   ");
                    t[i] = ' ';
                }
            }
            t[per] = '\0';
            if (ui_lines_add(lines, n, "%08zx  %s %s", off, h, t) < 0)
                return SCM_E_NOMEM;
        }
        if (len == 0)
            ui_lines_add(lines, n, "%s", "(empty)");
        return SCM_OK;
    }
    /* Text: one line per line of the object; sanitising happens at draw
     * time, so control characters show as escapes rather than act. */
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || data[i] == '\n') {
            size_t l = i - start;
            if (l && data[start + l - 1] == '\r')
                l--;
            char *s = malloc(l + 1);
            if (!s)
                return SCM_E_NOMEM;
            memcpy(s, data + start, l);
            s[l] = '\0';
            /* An embedded NUL would cut the line: show it as a dot. */
            for (size_t k = 0; k < l; k++)
                if (!s[k])
                    s[k] = '.';
            int rc = ui_lines_add(lines, n, "%s", s);
            scm_wipe(s, l);
            free(s);
            if (rc < 0)
                return rc;
            start = i + 1;
        }
    }
    (void)utf8;
    return SCM_OK;
}

static void dn_line(char ***lines, size_t *n, const char *what, gnutls_x509_crt_t crt, bool issuer)
{
    gnutls_datum_t dn = {NULL, 0};
    int rc = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) : gnutls_x509_crt_get_dn3(crt, &dn, 0);
    ui_lines_add(lines, n, "%-12s %s", what, rc == 0 && dn.data ? (const char *)dn.data : "?");
    gnutls_free(dn.data);
}

static void time_line(char ***lines, size_t *n, const char *what, time_t t)
{
    char buf[64];
    struct tm tm;
    if (t == (time_t)-1 || !gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(buf, sizeof(buf), "?");
    ui_lines_add(lines, n, "%-12s %s", what, buf);
}

int ui_view_cert(const uint8_t *data, size_t len, bool utf8, char ***lines, size_t *n)
{
    gnutls_x509_crt_t crt;
    gnutls_datum_t der = {(unsigned char *)(uintptr_t)data, (unsigned)len};
    uint8_t fp[32];
    size_t fplen = sizeof(fp);
    char hex[32 * 3 + 1] = "";
    *lines = NULL;
    *n = 0;
    (void)utf8;
    if (gnutls_x509_crt_init(&crt) < 0)
        return 0;
    if (gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) < 0 &&
        gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_PEM) < 0) {
        gnutls_x509_crt_deinit(crt);
        return 0;
    }
    ui_lines_add(lines, n, "%s", "X.509 certificate");
    dn_line(lines, n, "Subject:", crt, false);
    dn_line(lines, n, "Issuer:", crt, true);
    time_line(lines, n, "Not before:", gnutls_x509_crt_get_activation_time(crt));
    time_line(lines, n, "Not after:", gnutls_x509_crt_get_expiration_time(crt));
    if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &fplen) == 0) {
        for (size_t i = 0; i < fplen; i++)
            snprintf(hex + i * 3, 4, "%02X%s", fp[i], i + 1 < fplen ? ":" : "");
        ui_lines_add(lines, n, "%-12s %.48s", "SHA-256:", hex);
        if (strlen(hex) > 48)
            ui_lines_add(lines, n, "%-12s %s", "", hex + 48);
    }
    ui_lines_add(lines, n, "%s", "");
    ui_lines_add(lines, n, "%s", "Tab shows the bytes in hex.");
    gnutls_x509_crt_deinit(crt);
    return 1;
}
