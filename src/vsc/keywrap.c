/* The password area: the data key wrapped (AES-256-GCM) under the key
 * derived from the password, bound to the file's identity and KDF
 * parameters (doc/vsc-format.md section 4). */
#include <string.h>

#include "vsc_int.h"

static size_t wrap_ad(const struct vsc_hdr *h, uint8_t *ad)
{
    size_t n = 0, ul = strlen(h->uid);
    memcpy(ad + n, vsc_magic, VSC_MAGIC_LEN), n += VSC_MAGIC_LEN;
    memcpy(ad + n, "wrap", 4), n += 4;
    memcpy(ad + n, h->uid, ul), n += ul;
    ad[n++] = (uint8_t)(h->iterations >> 24);
    ad[n++] = (uint8_t)(h->iterations >> 16);
    ad[n++] = (uint8_t)(h->iterations >> 8);
    ad[n++] = (uint8_t)h->iterations;
    memcpy(ad + n, h->kdf_salt, VSC_SALT), n += VSC_SALT;
    return n;
}

#define WRAP_AD_MAX (VSC_MAGIC_LEN + 4 + SCM_VSC_UID_MAX + 4 + VSC_SALT)

int vsc_wrap_dk(const struct vsc_hdr *h, const uint8_t kek[VSC_KEY], const uint8_t dk[VSC_KEY],
                uint8_t wrap[VSC_WRAP_LEN])
{
    uint8_t ad[WRAP_AD_MAX];
    size_t adlen = wrap_ad(h, ad);
    int rc = vsc_random(wrap, VSC_NONCE, false);
    if (rc < 0)
        return rc;
    return vsc_gcm_seal(kek, wrap, ad, adlen, dk, VSC_KEY, wrap + VSC_NONCE);
}

int vsc_unwrap_dk(const struct vsc_hdr *h, const uint8_t kek[VSC_KEY], uint8_t dk[VSC_KEY])
{
    uint8_t ad[WRAP_AD_MAX];
    size_t adlen = wrap_ad(h, ad);
    int rc = vsc_gcm_open(kek, h->wrap, ad, adlen, h->wrap + VSC_NONCE, VSC_KEY + VSC_TAG, dk);
    if (rc < 0)
        scm_wipe(dk, VSC_KEY);
    return rc == SCM_E_VSC_TAMPERED ? SCM_E_BAD_PASSWORD : rc;
}
