/* GnuTLS wrappers for the VSC control program.
 *
 * The only file of the VSC layer that calls GnuTLS: its error codes are
 * converted here, once, so the rest speaks scm_err. Key material passed in
 * and out lives in the caller's secure memory; temporaries are wiped. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "vsc_int.h"

static int conv(int gerr)
{
    if (gerr >= 0)
        return SCM_OK;
    if (gerr == GNUTLS_E_MEMORY_ERROR)
        return SCM_E_NOMEM;
    if (gerr == GNUTLS_E_DECRYPTION_FAILED)
        return SCM_E_VSC_TAMPERED;
    return SCM_E_CRYPTO;
}

/* GnuTLS takes non-const data pointers in its datums; it never writes
 * through them for inputs. */
static gnutls_datum_t datum(const void *p, size_t len)
{
    gnutls_datum_t dt = {(unsigned char *)(uintptr_t)p, (unsigned int)len};
    return dt;
}

int vsc_sha256(const void *data, size_t len, uint8_t out[VSC_HASH])
{
    return conv(gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, out));
}

int vsc_hmac2(const uint8_t *key, size_t keylen, const void *a, size_t alen, const void *b,
              size_t blen, uint8_t out[VSC_HASH])
{
    gnutls_hmac_hd_t h;
    int rc = conv(gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, key, keylen));
    if (rc < 0)
        return rc;
    rc = conv(gnutls_hmac(h, a, alen));
    if (rc == SCM_OK && blen)
        rc = conv(gnutls_hmac(h, b, blen));
    gnutls_hmac_deinit(h, rc == SCM_OK ? out : NULL);
    return rc;
}

int vsc_pbkdf2(const void *pw, size_t pwlen, const uint8_t *salt, size_t saltlen, uint32_t iter,
               uint8_t *out, size_t outlen)
{
    gnutls_datum_t k = datum(pw, pwlen), s = datum(salt, saltlen);
    if (iter == 0)
        return SCM_E_INVAL;
    return conv(gnutls_pbkdf2(GNUTLS_MAC_SHA256, &k, &s, iter, out, outlen));
}

int vsc_hkdf_extract(const uint8_t *salt, size_t saltlen, const uint8_t *ikm, size_t ikmlen,
                     uint8_t prk[VSC_HASH])
{
    gnutls_datum_t k = datum(ikm, ikmlen), s = datum(salt, saltlen);
    return conv(gnutls_hkdf_extract(GNUTLS_MAC_SHA256, &k, &s, prk));
}

int vsc_hkdf_expand(const uint8_t prk[VSC_HASH], const void *info, size_t infolen, uint8_t *out,
                    size_t outlen)
{
    gnutls_datum_t k = datum(prk, VSC_HASH), i = datum(info, infolen);
    return conv(gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &k, &i, out, outlen));
}

static int gcm(bool seal, const uint8_t key[VSC_KEY], const uint8_t nonce[VSC_NONCE],
               const void *ad, size_t adlen, const void *in, size_t inlen, uint8_t *out)
{
    gnutls_aead_cipher_hd_t h;
    gnutls_datum_t k = datum(key, VSC_KEY);
    int rc = conv(gnutls_aead_cipher_init(&h, GNUTLS_CIPHER_AES_256_GCM, &k));
    if (rc < 0)
        return rc;
    if (seal) {
        size_t outlen = inlen + VSC_TAG;
        rc = conv(gnutls_aead_cipher_encrypt(h, nonce, VSC_NONCE, ad, adlen, VSC_TAG, in, inlen,
                                             out, &outlen));
    } else if (inlen < VSC_TAG) {
        rc = SCM_E_VSC_TAMPERED;
    } else {
        size_t outlen = inlen - VSC_TAG;
        rc = conv(gnutls_aead_cipher_decrypt(h, nonce, VSC_NONCE, ad, adlen, VSC_TAG, in, inlen,
                                             out, &outlen));
    }
    gnutls_aead_cipher_deinit(h);
    return rc;
}

int vsc_gcm_seal(const uint8_t key[VSC_KEY], const uint8_t nonce[VSC_NONCE], const void *ad,
                 size_t adlen, const void *pt, size_t ptlen, uint8_t *out)
{
    return gcm(true, key, nonce, ad, adlen, pt, ptlen, out);
}

int vsc_gcm_open(const uint8_t key[VSC_KEY], const uint8_t nonce[VSC_NONCE], const void *ad,
                 size_t adlen, const uint8_t *ct, size_t ctlen, uint8_t *out)
{
    return gcm(false, key, nonce, ad, adlen, ct, ctlen, out);
}

int vsc_random(void *buf, size_t len, bool key)
{
    return conv(gnutls_rnd(key ? GNUTLS_RND_KEY : GNUTLS_RND_NONCE, buf, len));
}

bool vsc_ct_equal(const void *a, const void *b, size_t len)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t acc = 0;
    for (size_t i = 0; i < len; i++)
        acc |= x[i] ^ y[i];
    return acc == 0;
}

uint32_t vsc_kdf_floor(const struct scm_policy *pol)
{
    /* Only a declared test policy may go below the documented floor. */
    if (pol->test_policy && pol->kdf_min_iterations > 0)
        return pol->kdf_min_iterations;
    return pol->kdf_min_iterations > SCM_KDF_FLOOR ? pol->kdf_min_iterations : SCM_KDF_FLOOR;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

uint32_t vsc_kdf_iterations(const struct scm_policy *pol)
{
    uint32_t floor = vsc_kdf_floor(pol);
    if (pol->kdf_iterations != 0)
        return pol->kdf_iterations > floor ? pol->kdf_iterations : floor;
    /* Time a short run on this machine and scale it to the target. */
    const uint32_t probe = 50000;
    uint8_t out[VSC_KEY], salt[VSC_SALT] = {0};
    double t0 = now_ms();
    int rc = vsc_pbkdf2("calibrate", 9, salt, sizeof(salt), probe, out, sizeof(out));
    double ms = now_ms() - t0;
    scm_wipe(out, sizeof(out));
    if (rc < 0 || ms <= 0.0)
        return floor;
    double want = (double)probe * (double)SCM_KDF_TARGET_MS / ms;
    if (want > 4e9)
        want = 4e9;
    uint32_t it = ((uint32_t)want + 9999u) / 10000u * 10000u;
    return it > floor ? it : floor;
}

int vsc_derive_keys(const uint8_t dk[VSC_KEY], const uint8_t salt[VSC_SALT], struct vsc_keys *k)
{
    static const char *const info[] = {"scmgr-vsc-v1 header-mac", "scmgr-vsc-v1 public-mac",
                                       "scmgr-vsc-v1 private", "scmgr-vsc-v1 secret"};
    uint8_t *outs[] = {k->hdr, k->pub, k->area[SCM_AREA_PRIVATE], k->area[SCM_AREA_SECRET]};
    uint8_t prk[VSC_HASH];
    int rc = vsc_hkdf_extract(salt, VSC_SALT, dk, VSC_KEY, prk);
    for (size_t i = 0; rc == SCM_OK && i < 4; i++)
        rc = vsc_hkdf_expand(prk, info[i], strlen(info[i]), outs[i], VSC_KEY);
    scm_wipe(prk, sizeof(prk));
    return rc;
}

/* Ed25519 signs the message itself; the others sign its SHA-256. */
static gnutls_sign_algorithm_t sign_algo(gnutls_privkey_t k)
{
    int pk = gnutls_privkey_get_pk_algorithm(k, NULL);
    if (pk == GNUTLS_PK_EDDSA_ED25519)
        return GNUTLS_SIGN_EDDSA_ED25519;
    if (pk == GNUTLS_PK_EDDSA_ED448)
        return GNUTLS_SIGN_EDDSA_ED448;
    return gnutls_pk_to_sign((gnutls_pk_algorithm_t)pk, GNUTLS_DIG_SHA256);
}

int vsc_sign_pkcs8(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
                   uint8_t **sig, size_t *siglen)
{
    gnutls_privkey_t pk = NULL;
    gnutls_datum_t kd = datum(key, keylen), md = datum(data, len), sd = {NULL, 0};
    bool pem = keylen >= 11 && memcmp(key, "-----BEGIN ", 11) == 0;
    int rc;

    *sig = NULL;
    *siglen = 0;
    rc = conv(gnutls_privkey_init(&pk));
    if (rc < 0)
        goto out;
    /* GnuTLS keeps its own copy of the key and zeroes it on deinit. */
    rc = conv(gnutls_privkey_import_x509_raw(pk, &kd, pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER,
                                             NULL, 0));
    if (rc < 0)
        goto out;
    gnutls_sign_algorithm_t alg = sign_algo(pk);
    if (alg == GNUTLS_SIGN_UNKNOWN) {
        rc = SCM_E_NOT_SUPPORTED;
        goto out;
    }
    rc = conv(gnutls_privkey_sign_data2(pk, alg, 0, &md, &sd));
    if (rc < 0)
        goto out;
    *sig = malloc(sd.size ? sd.size : 1);
    if (!*sig) {
        rc = SCM_E_NOMEM;
        goto out;
    }
    memcpy(*sig, sd.data, sd.size);
    *siglen = sd.size;
out:
    gnutls_free(sd.data);
    if (pk)
        gnutls_privkey_deinit(pk);
    return rc;
}
