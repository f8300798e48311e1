/* p15_tool: scmgr's PKCS#15 codec (src/agents/p15_asn1.c) on files read
 * from a card, for tests/rig/p15_clients.sh, which compares its reading
 * with pkcs15-tool's and has OpenSC read back the entries it builds.
 *   p15_tool KIND FILE    decode one file, one line per entry. KIND: dir,
 *                         odf, tokeninfo, or a directory file (prkdf, pukdf,
 *                         skdf, cdf, dodf, aodf). Text passes the sanitiser.
 *   p15_tool add-cert FILE LABEL ID PATH
 *   p15_tool add-data FILE LABEL APP OID PATH
 *   p15_tool add-odf FILE KIND PATH
 *                         the entry for a new certificate (CDF FILE), data
 *                         object (DODF FILE; APP and OID may be "") or
 *                         directory file (ODF FILE): prints "OFFSET HEX",
 *                         where it goes in FILE and its bytes. ID and PATH
 *                         in hex, OFFSET in decimal.
 * Exit 0, or 1 with scmgr's sentence on stderr. */
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
    fprintf(stderr, "p15_tool: %s (%s)\n", out, scm_strerror(rc));
    return 1;
}

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    unsigned v;
    for (; h[0] && h[1] && n < cap; h += 2) {
        if (sscanf(h, "%2x", &v) != 1)
            return 0;
        out[n++] = (uint8_t)v;
    }
    return h[0] ? 0 : n;
}

static const char *const kinds[] = {"prkdf", "pukdf", "tpukdf", "skdf", "cdf",
                                    "tcdf",  "ucdf",  "dodf",   "aodf"};

static int usage_add(void)
{
    fprintf(stderr, "p15_tool: bad arguments for add-cert/add-data/add-odf\n");
    return 2;
}

/* The new entry, and where it goes in the file's content. */
static int add(int argc, char **argv, const uint8_t *buf, size_t len)
{
    uint8_t id[P15_ID_MAX], path[P15_PATH_MAX], oid[P15_OID_MAX], e[1024];
    size_t idn, pathn, oidn = 0, en, off;
    struct scm_detail d = {{0}};
    int rc;
    if (strcmp(argv[1], "add-cert") == 0 && argc == 6) {
        idn = unhex(argv[4], id, sizeof(id));
        pathn = unhex(argv[5], path, sizeof(path));
        struct p15_cert_new c = {.label = argv[3],
                                 .flags = P15_OBJ_MODIFIABLE,
                                 .id = id,
                                 .id_len = idn,
                                 .path = path,
                                 .path_len = pathn};
        rc = scm_p15_cdf_entry_encode(&c, e, sizeof(e), &en);
    } else if (strcmp(argv[1], "add-data") == 0 && argc == 7) {
        if (argv[5][0] && scm_p15_oid_parse(argv[5], oid, sizeof(oid), &oidn) != SCM_OK)
            return usage_add();
        pathn = unhex(argv[6], path, sizeof(path));
        struct p15_data_new o = {.label = argv[3],
                                 .flags = P15_OBJ_MODIFIABLE,
                                 .app_name = argv[4],
                                 .app_oid = oid,
                                 .app_oid_len = oidn,
                                 .path = path,
                                 .path_len = pathn};
        rc = scm_p15_dodf_entry_encode(&o, e, sizeof(e), &en);
    } else if (strcmp(argv[1], "add-odf") == 0 && argc == 5) {
        size_t k = 0;
        while (k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(argv[3], kinds[k]) != 0)
            k++;
        pathn = unhex(argv[4], path, sizeof(path));
        rc = scm_p15_odf_entry_encode((enum p15_df_kind)k, path, pathn, e, sizeof(e), &en);
    } else {
        return usage_add();
    }
    if (rc != SCM_OK)
        return fail(rc, &d);
    if ((rc = scm_p15_df_append_at(buf, len, en, &off, &d)) != SCM_OK)
        return fail(rc, &d);
    char h[2 * sizeof(e) + 1];
    scm_hex(e, en, NULL, h, sizeof(h));
    printf("%zu %s\n", off, h);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: p15_tool KIND FILE | add-cert FILE LABEL ID PATH | "
                        "add-data FILE LABEL APP OID PATH | add-odf FILE KIND PATH\n");
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
    if (strncmp(argv[1], "add-", 4) == 0)
        return add(argc, argv, buf, len);
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
    fprintf(stderr, "p15_tool: unknown kind '%s'\n", argv[1]);
    return 2;
}
