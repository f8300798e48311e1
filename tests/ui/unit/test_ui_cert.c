/* Certificates in the viewer: a private certificate (decoded in a locked
 * child process) gives exactly the lines of the same certificate decoded
 * in this process as a public one, each line in secure memory; what is
 * not a certificate gives none, either way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <gnutls/gnutls.h>

#include "ui_int.h"

static uint8_t *g_der;
static size_t g_len;

static int load(void **state)
{
    (void)state;
    char path[1024];
    const char *dir = getenv("SCMGR_TEST_DATA");
    snprintf(path, sizeof(path), "%s/demo-cert.der", dir ? dir : "tests/data");
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    g_der = malloc(8192);
    g_len = fread(g_der, 1, 8192, f);
    fclose(f);
    return g_len > 0 ? 0 : -1;
}

static int unload(void **state)
{
    (void)state;
    free(g_der);
    return 0;
}

static bool has_line(char **lines, size_t n, const char *prefix, const char *part)
{
    for (size_t i = 0; i < n; i++)
        if (strncmp(lines[i], prefix, strlen(prefix)) == 0 && strstr(lines[i], part))
            return true;
    return false;
}

static void same_lines(const uint8_t *data, size_t len)
{
    struct scm_detail d = {{0}};
    char **pub = NULL, **priv = NULL;
    size_t np = 0, nv = 0;
    assert_int_equal(ui_cert_lines(data, len, &pub, &np), 1);
    assert_int_equal(ui_cert_lines_isolated(data, len, &priv, &nv, &d), 1);
    assert_int_equal(np, nv);
    for (size_t i = 0; i < np; i++) {
        assert_string_equal(pub[i], priv[i]);
        assert_true(ui_lines_secure(priv[i]));
    }
    /* What a user checks, all there. */
    assert_true(has_line(priv, nv, "Subject:", "CN=Mike"));
    assert_true(has_line(priv, nv, "Issuer:", "O=scmgr demo"));
    assert_true(has_line(priv, nv, "Serial:", "5F:E7:C0:E3"));
    assert_true(has_line(priv, nv, "Not before:", "2026-11-25 13:51:59 UTC"));
    assert_true(has_line(priv, nv, "Not after:", "2036-11-22 13:51:59 UTC"));
    assert_true(has_line(priv, nv, "Key:", "256 bits"));
    assert_true(has_line(priv, nv, "Signature:", "ECDSA"));
    assert_true(has_line(priv, nv, "SHA-256:", ":"));
    assert_true(has_line(priv, nv, "SHA-1:", ":"));
    ui_lines_free(pub, np);
    ui_lines_free(priv, nv);
}

static void test_der(void **state)
{
    (void)state;
    same_lines(g_der, g_len);
}

static void test_pem(void **state)
{
    (void)state;
    gnutls_datum_t in = {g_der, (unsigned)g_len}, pem = {NULL, 0};
    assert_int_equal(gnutls_pem_base64_encode2("CERTIFICATE", &in, &pem), 0);
    same_lines(pem.data, pem.size);
    gnutls_free(pem.data);
}

/* Text, a cut certificate, nothing at all: no lines, no error. */
static void test_not_a_cert(void **state)
{
    (void)state;
    static const uint8_t text[] = "user=mike\npass=hunter2\n";
    const struct {
        const uint8_t *d;
        size_t len;
    } cases[] = {{text, sizeof(text) - 1}, {g_der, g_len / 2}, {g_der, 1}, {text, 0}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scm_detail d = {{0}};
        char **lines = NULL;
        size_t n = 0;
        assert_int_equal(ui_cert_lines(cases[i].d, cases[i].len, &lines, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(ui_cert_lines_isolated(cases[i].d, cases[i].len, &lines, &n, &d), 0);
        assert_int_equal(n, 0);
        assert_string_equal(d.text, "");
        ui_lines_free(lines, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_der),
        cmocka_unit_test(test_pem),
        cmocka_unit_test(test_not_a_cert),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
