/* p15_dump KIND FILE: one PKCS#15 file, as read from a card, decoded by
 * scmgr's codec (src/agents/p15_asn1.c) and printed one line per entry, so
 * that tests/rig/p15_clients.sh can compare scmgr's reading with what
 * pkcs15-tool prints for the same card. KIND: dir, odf, tokeninfo, or a
 * directory file (prkdf, pukdf, skdf, cdf, dodf, aodf). Text from the card
 * passes the sanitiser. Exit 0, or 1 with scmgr's sentence on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p15_asn1.h"

static void text(const char *key, const struct p15_text *t)
{
    char out[4 * P15_LABEL_MAX + 8];
    scm_sanitize(t->s, t->len, out, sizeof(out));
    printf(" %s=%s", key, out);
}

static void hex(const char *key, const uint8_t *v, size_t n)
{
    char out[4 * P15_ID_MAX + 8];
    scm_hex(v, n, NULL, out, sizeof(out));
    printf(" %s=%s", key, out);
}

static int fail(int rc, const struct scm_detail *d)
{
    char out[2 * SCM_DETAIL_MAX];
    scm_sanitize(d->text, strlen(d->text), out, sizeof(out));
    fprintf(stderr, "p15_dump: %s (%s)\n", out, scm_strerror(rc));
    return 1;
}

static const char *const kinds[] = {"prkdf", "pukdf", "tpukdf", "skdf", "cdf",
                                    "tcdf",  "ucdf",  "dodf",   "aodf"};

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: p15_dump dir|odf|tokeninfo|cdf|dodf|aodf|prkdf|pukdf FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[2], "rb");
    static uint8_t buf[65536];
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    struct scm_detail d = {{0}};
    size_t n;
    int rc;
    if (strcmp(argv[1], "dir") == 0) {
        struct p15_app apps[P15_DIR_APPS_MAX];
        if ((rc = scm_p15_dir_decode(buf, len, apps, P15_DIR_APPS_MAX, &n, &d)) != SCM_OK)
            return fail(rc, &d);
        for (size_t i = 0; i < n; i++) {
            printf("app");
            hex("aid", apps[i].aid, apps[i].aid_len);
            text("label", &apps[i].label);
            hex("path", apps[i].path.v, apps[i].path.len);
            printf("\n");
        }
        return 0;
    }
    if (strcmp(argv[1], "odf") == 0) {
        struct p15_odf_entry odf[P15_ODF_MAX];
        if ((rc = scm_p15_odf_decode(buf, len, odf, P15_ODF_MAX, &n, &d)) != SCM_OK)
            return fail(rc, &d);
        for (size_t i = 0; i < n; i++) {
            printf("%s", kinds[odf[i].kind]);
            hex("path", odf[i].path.v, odf[i].path.len);
            printf("\n");
        }
        return 0;
    }
    if (strcmp(argv[1], "tokeninfo") == 0) {
        struct p15_tokeninfo ti;
        if ((rc = scm_p15_tokeninfo_decode(buf, len, &ti, &d)) != SCM_OK)
            return fail(rc, &d);
        printf("token version=%d", (int)ti.version);
        hex("serial", ti.serial, ti.serial_len);
        text("manufacturer", &ti.manufacturer);
        text("label", &ti.label);
        printf(" flags=0x%02X\n", (unsigned)ti.flags);
        return 0;
    }
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        if (strcmp(argv[1], kinds[k]) != 0)
            continue;
        struct p15_obj *o;
        if ((rc = scm_p15_df_decode((enum p15_df_kind)k, buf, len, &o, &n, &d)) != SCM_OK)
            return fail(rc, &d);
        for (size_t i = 0; i < n; i++) {
            printf("%s", kinds[k]);
            text("label", &o[i].label);
            printf(" flags=0x%02X", (unsigned)o[i].flags);
            hex("id", o[i].id.v, o[i].id.len);
            hex("path", o[i].path.v, o[i].path.len);
            if (k == P15_DODF) {
                char oid[128] = "";
                if (o[i].app_oid_len &&
                    scm_p15_oid_str(o[i].app_oid, o[i].app_oid_len, oid, sizeof(oid)) != SCM_OK)
                    snprintf(oid, sizeof(oid), "?");
                text("app", &o[i].app_name);
                printf(" oid=%s", oid);
            }
            printf("\n");
        }
        free(o);
        return 0;
    }
    fprintf(stderr, "p15_dump: unknown kind '%s'\n", argv[1]);
    return 2;
}
