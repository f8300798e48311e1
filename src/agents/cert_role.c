/* What a certificate is for, from its key usage: where a copy onto a card
 * with a slot per purpose (PIV 9A/9C/9D, OpenPGP's AUT/DEC/SIG
 * occurrences) puts it. */
#include <gnutls/x509.h>

#include "iso.h"

enum scm_cert_role scm_cert_role(const uint8_t *der, size_t len)
{
    gnutls_x509_crt_t crt;
    unsigned usage = 0, critical = 0;
    enum scm_cert_role role = SCM_CERT_ANY;
    if (!der || len == 0 || len > 0xFFFFFF || gnutls_x509_crt_init(&crt) < 0)
        return SCM_CERT_ANY;
    gnutls_datum_t d = {(unsigned char *)der, (unsigned)len};
    if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0 &&
        gnutls_x509_crt_get_key_usage(crt, &usage, &critical) >= 0) {
        /* Non-repudiation (content commitment) marks a signature key; a
         * key that only enciphers or agrees is for decryption; one that
         * signs without commitment authenticates. */
        if (usage & GNUTLS_KEY_NON_REPUDIATION)
            role = SCM_CERT_SIGN;
        else if ((usage & (GNUTLS_KEY_KEY_ENCIPHERMENT | GNUTLS_KEY_KEY_AGREEMENT |
                           GNUTLS_KEY_DATA_ENCIPHERMENT)) &&
                 !(usage & GNUTLS_KEY_DIGITAL_SIGNATURE))
            role = SCM_CERT_DECRYPT;
        else if (usage & GNUTLS_KEY_DIGITAL_SIGNATURE)
            role = SCM_CERT_AUTH;
    }
    gnutls_x509_crt_deinit(crt);
    return role;
}
