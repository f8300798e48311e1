/* Known-answer tests of the VSC layer's GnuTLS wrappers (src/vsc/crypto.c),
 * with the published vectors: RFC 7914 section 11 (PBKDF2-HMAC-SHA-256),
 * RFC 5869 test case 1 (HKDF), the GCM specification's test cases 14 and
 * 16 (AES-256-GCM) and RFC 4231 test case 2 (HMAC-SHA-256). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/vsc/vsc_int.h"
#include "testutil.h"

/* Hex to bytes; returns the length. */
static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

struct pbkdf2_vec {
    const char *pw, *salt;
    uint32_t iter;
    const char *dk;
};

static const struct pbkdf2_vec pbkdf2_vecs[] = {
    {"passwd", "salt", 1,
     "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
     "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"},
    {"Password", "NaCl", 80000,
     "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
     "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"},
};

static void test_pbkdf2(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(pbkdf2_vecs) / sizeof(pbkdf2_vecs[0]); i++) {
        const struct pbkdf2_vec *t = &pbkdf2_vecs[i];
        uint8_t want[64], got[64];
        size_t n = unhex(t->dk, want);
        assert_int_equal(vsc_pbkdf2(t->pw, strlen(t->pw), (const uint8_t *)t->salt,
                                    strlen(t->salt), t->iter, got, n),
                         SCM_OK);
        assert_memory_equal(got, want, n);
    }
}

static void test_hkdf(void **state)
{
    (void)state;
    uint8_t ikm[22], salt[13], info[10], prk[32], okm[42], want_prk[32], want_okm[42];
    memset(ikm, 0x0b, sizeof(ikm));
    for (size_t i = 0; i < 13; i++)
        salt[i] = (uint8_t)i;
    for (size_t i = 0; i < 10; i++)
        info[i] = (uint8_t)(0xf0 + i);
    unhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", want_prk);
    unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
          "34007208d5b887185865",
          want_okm);
    assert_int_equal(vsc_hkdf_extract(salt, sizeof(salt), ikm, sizeof(ikm), prk), SCM_OK);
    assert_memory_equal(prk, want_prk, 32);
    assert_int_equal(vsc_hkdf_expand(prk, info, sizeof(info), okm, sizeof(okm)), SCM_OK);
    assert_memory_equal(okm, want_okm, 42);
}

struct gcm_vec {
    const char *name, *key, *iv, *pt, *ad, *ct, *tag;
};

static const struct gcm_vec gcm_vecs[] = {
    {"GCM test case 14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"GCM test case 16", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

static void test_gcm(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(gcm_vecs) / sizeof(gcm_vecs[0]); i++) {
        const struct gcm_vec *t = &gcm_vecs[i];
        uint8_t key[32], iv[12], pt[64], ad[32], want[80], out[80], back[64];
        unhex(t->key, key);
        unhex(t->iv, iv);
        size_t pl = unhex(t->pt, pt), al = unhex(t->ad, ad);
        unhex(t->ct, want);
        unhex(t->tag, want + pl);
        assert_int_equal(vsc_gcm_seal(key, iv, ad, al, pt, pl, out), SCM_OK);
        assert_memory_equal(out, want, pl + 16);
        assert_int_equal(vsc_gcm_open(key, iv, ad, al, out, pl + 16, back), SCM_OK);
        assert_memory_equal(back, pt, pl);
        /* A flipped tag bit must not authenticate. */
        out[pl] ^= 1;
        assert_int_equal(vsc_gcm_open(key, iv, ad, al, out, pl + 16, back), SCM_E_VSC_TAMPERED);
    }
}

static void test_hmac(void **state)
{
    (void)state;
    uint8_t mac[32], want[32];
    const char *data = "what do ya want for nothing?";
    unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want);
    assert_int_equal(vsc_hmac2((const uint8_t *)"Jefe", 4, data, strlen(data), NULL, 0, mac), SCM_OK);
    assert_memory_equal(mac, want, 32);
    /* Split input gives the same MAC. */
    assert_int_equal(vsc_hmac2((const uint8_t *)"Jefe", 4, data, 10, data + 10, strlen(data) - 10,
                               mac),
                     SCM_OK);
    assert_memory_equal(mac, want, 32);
}

static void test_sha256_and_ct(void **state)
{
    (void)state;
    uint8_t h[32], want[32];
    unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want);
    assert_int_equal(vsc_sha256("abc", 3, h), SCM_OK);
    assert_memory_equal(h, want, 32);
    assert_true(vsc_ct_equal(h, want, 32));
    h[31] ^= 0x80;
    assert_false(vsc_ct_equal(h, want, 32));
}

static void test_kdf_iterations(void **state)
{
    (void)state;
    struct scm_policy pol;
    tu_test_policy(&pol);
    assert_int_equal(vsc_kdf_iterations(&pol), 1000);
    assert_int_equal(vsc_kdf_floor(&pol), 1000);
    scm_policy_defaults(&pol);
    assert_int_equal(vsc_kdf_floor(&pol), SCM_KDF_FLOOR);
    /* A policy that is not a test policy cannot go below the floor. */
    pol.kdf_min_iterations = 10;
    pol.kdf_iterations = 10;
    assert_int_equal(vsc_kdf_floor(&pol), SCM_KDF_FLOOR);
    assert_int_equal(vsc_kdf_iterations(&pol), SCM_KDF_FLOOR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pbkdf2),     cmocka_unit_test(test_hkdf),
        cmocka_unit_test(test_gcm),        cmocka_unit_test(test_hmac),
        cmocka_unit_test(test_sha256_and_ct), cmocka_unit_test(test_kdf_iterations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
