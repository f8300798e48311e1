/* Fuzz target for the PKCS#15 DER codec (src/agents/p15_asn1.c): the
 * first byte picks the decoder (0-8 a directory file of that ODF kind, 9
 * EF.DIR, 10 ODF, 11 TokenInfo and an OID), the rest is the file as a card would
 * return it. Besides not crashing, two properties must hold: whatever
 * scm_p15_der_check accepts, the directory-file decoder frames the same
 * way, and a certificate or data-object entry that decodes re-encodes to
 * an entry that decodes to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p15_asn1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Labels and names with a NUL inside or cut at the limit cannot come back
 * from a C string: only the others are re-encoded. */
static bool plain(const struct p15_text *t)
{
    return !t->truncated && strlen(t->s) == t->len;
}

static void reencode(const struct p15_obj *o)
{
    uint8_t out[1024];
    size_t len;
    int rc;
    if (!o->has_path || !plain(&o->label))
        return;
    if (o->df == P15_CDF && o->id.len) {
        struct p15_cert_new c = {.label = o->label.s,
                                 .flags = o->flags,
                                 .auth_id = o->auth_id.v,
                                 .auth_id_len = o->auth_id.len,
                                 .id = o->id.v,
                                 .id_len = o->id.len,
                                 .authority = o->authority,
                                 .path = o->path.v,
                                 .path_len = o->path.len};
        rc = scm_p15_cdf_entry_encode(&c, out, sizeof(out), &len);
    } else if (o->df == P15_DODF && plain(&o->app_name)) {
        struct p15_data_new dn = {.label = o->label.s,
                                  .flags = o->flags,
                                  .auth_id = o->auth_id.v,
                                  .auth_id_len = o->auth_id.len,
                                  .app_name = o->app_name.s,
                                  .app_oid = o->app_oid,
                                  .app_oid_len = o->app_oid_len,
                                  .path = o->path.v,
                                  .path_len = o->path.len};
        rc = scm_p15_dodf_entry_encode(&dn, out, sizeof(out), &len);
    } else {
        return;
    }
    if (rc != SCM_OK)
        abort();
    struct p15_der r = scm_p15_der(out, len);
    struct p15_tlv t;
    struct p15_obj back;
    if (scm_p15_der_next(&r, &t, NULL) != SCM_OK || r.n != 0 ||
        scm_p15_obj_decode(o->df, &t, &back, NULL) != SCM_OK)
        abort();
    if (strcmp(back.label.s, o->label.s) != 0 || back.flags != o->flags ||
        back.id.len != o->id.len || memcmp(back.id.v, o->id.v, o->id.len) != 0 ||
        back.auth_id.len != o->auth_id.len ||
        memcmp(back.auth_id.v, o->auth_id.v, o->auth_id.len) != 0 || back.path.len != o->path.len ||
        memcmp(back.path.v, o->path.v, o->path.len) != 0 ||
        strcmp(back.app_name.s, o->app_name.s) != 0 || back.app_oid_len != o->app_oid_len ||
        memcmp(back.app_oid, o->app_oid, o->app_oid_len) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    unsigned which = data[0] % 12;
    const uint8_t *buf = data + 1;
    size_t len = size - 1, used;
    bool framed = scm_p15_der_check(buf, len, &used, NULL) == SCM_OK;
    if (which <= P15_AODF) {
        struct p15_obj *o;
        size_t n;
        if (scm_p15_df_decode((enum p15_df_kind)which, buf, len, &o, &n, NULL) == SCM_OK) {
            for (size_t i = 0; i < n; i++) {
                if (o[i].direct && (o[i].direct < buf || o[i].direct + o[i].direct_len > buf + len))
                    abort();
                reencode(&o[i]);
                static const struct p15_path app = {.v = {0x3F, 0x00, 0x50, 0x15}, .len = 4};
                uint16_t fids[P15_PATH_MAX / 2];
                size_t nf;
                if (o[i].has_path &&
                    scm_p15_path_fids(&app, &o[i].path, fids, P15_PATH_MAX / 2, &nf) == SCM_OK &&
                    nf > P15_PATH_MAX / 2)
                    abort();
            }
            free(o);
        }
        size_t off;
        int rc = scm_p15_df_append_at(buf, len, 0, &off, NULL);
        if (framed && (rc != SCM_OK || off != used))
            abort();
    } else if (which == 9) {
        struct p15_app apps[P15_DIR_APPS_MAX];
        size_t n;
        (void)scm_p15_dir_decode(buf, len, apps, P15_DIR_APPS_MAX, &n, NULL);
    } else if (which == 10) {
        struct p15_odf_entry odf[P15_ODF_MAX];
        size_t n;
        (void)scm_p15_odf_decode(buf, len, odf, P15_ODF_MAX, &n, NULL);
    } else {
        struct p15_tokeninfo ti;
        char s[128];
        (void)scm_p15_tokeninfo_decode(buf, len, &ti, NULL);
        (void)scm_p15_oid_str(buf, len, s, sizeof(s));
    }
    return 0;
}
