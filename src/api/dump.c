/* The patent's emergency backup as plain files (card.h, scm_card_dump):
 * every object the card releases into a new directory, certificates as
 * DER and PEM, data as their bytes, and a manifest (JSON) naming each
 * file with its SHA-256 and saying what was not copied and why. The
 * manifest is written last: a directory with one is complete. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "card_int.h"

/* A growing text buffer for the manifest (no secrets in it: names, sizes,
 * hashes). */
struct buf {
    char *p;
    size_t n, cap;
    bool oom;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        if (b->oom)
            return;
        va_start(ap, fmt);
        int w = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->oom = true;
            return;
        }
        if ((size_t)w < b->cap - b->n) {
            b->n += (size_t)w;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)w + 64;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

/* A JSON string of text from a card: sanitised first (the one sanitiser),
 * then escaped. */
static void put_str(struct buf *b, const char *s)
{
    size_t len = strlen(s), cap = len * 4 + 1;
    char *clean = malloc(cap);
    if (!clean) {
        b->oom = true;
        return;
    }
    scm_sanitize(s, len, clean, cap);
    put(b, "\"");
    for (const char *p = clean; *p; p++) {
        if (*p == '"' || *p == '\\')
            put(b, "\\%c", *p);
        else if ((unsigned char)*p < 0x20)
            put(b, "\\u%04x", (unsigned char)*p);
        else
            put(b, "%c", *p);
    }
    put(b, "\"");
    free(clean);
}

/* A file name from a label: letters, digits, '.', '-', '_' kept, the rest
 * '_', at most 48 bytes, numbered so that two labels never collide. */
static void file_base(size_t i, const char *label, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "%02zu-", i + 1);
    for (const char *p = label; *p && n + 1 < cap && n < 52; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_';
        out[n++] = ok ? c : '_';
    }
    out[n] = '\0';
}

static int write_one(int dfd, const char *dir, const char *name, const void *data, size_t len,
                     struct buf *m, bool first, struct scm_detail *d)
{
    char path[4096];
    uint8_t h[32];
    char hex[65];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int rc = scm_file_write_atomic(dfd, name, data, len, false, path, d);
    if (rc < 0)
        return rc;
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, h) < 0)
        return SCM_E_CRYPTO;
    scm_hex(h, sizeof(h), "", hex, sizeof(hex));
    put(m, "%s{\"name\": ", first ? "" : ", ");
    put_str(m, name);
    put(m, ", \"sha256\": \"%s\", \"size\": %zu}", hex, len);
    return SCM_OK;
}

/* The certificate as PEM, in ordinary memory (certificates are public). */
static int pem_of(const uint8_t *der, size_t len, gnutls_datum_t *out)
{
    gnutls_datum_t in = {(unsigned char *)der, (unsigned)len};
    return gnutls_pem_base64_encode2("CERTIFICATE", &in, out) < 0 ? SCM_E_CRYPTO : SCM_OK;
}

/* The directory: made 0700, or an existing empty one (left as it is). */
static int open_dir(const char *dir, int *dfd, struct scm_detail *d)
{
    struct stat st;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return scm_fail(d, SCM_E_IO, "Cannot make the directory %s: %s.", dir, strerror(errno));
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return scm_fail(d, SCM_E_IO, "%s is not a directory scmgr can write into (%s).", dir,
                        strerror(errno));
    if (fstat(fd, &st) < 0 || st.st_uid != geteuid()) {
        close(fd);
        return scm_fail(d, SCM_E_IO, "%s belongs to another user.", dir);
    }
    int probe = dup(fd);
    DIR *ds = probe >= 0 ? fdopendir(probe) : NULL;
    struct dirent *e;
    bool empty = ds != NULL;
    while (ds && (e = readdir(ds)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            empty = false;
    if (ds)
        closedir(ds);
    if (!empty) {
        close(fd);
        return scm_fail(d, SCM_E_EXISTS,
                        "%s is not empty: an emergency backup goes into a new or empty directory.",
                        dir);
    }
    *dfd = fd;
    return SCM_OK;
}

int scm_card_dump(struct scm_card *src, const char *dir, const struct scm_policy *pol,
                  struct scm_copy_report *rep, struct scm_detail *d)
{
    const struct scm_obj_info *list;
    struct scm_card_info ci;
    struct buf m = {0};
    size_t n;
    int dfd = -1, rc;
    char atr[SCM_ATR_MAX * 2 + 1];

    memset(rep, 0, sizeof(*rep));
    if ((rc = scm_card_list(src, &list, &n)) < 0)
        return rc;
    /* The listing changes as objects are read: work from a copy. */
    struct scm_obj_info *objs = calloc(n ? n : 1, sizeof(*objs));
    char(*labels)[SCM_OBJ_LABEL_MAX + 1] = calloc(n ? n : 1, sizeof(*labels));
    char(*refs)[SCM_SRC_PATH_MAX] = calloc(n ? n : 1, sizeof(*refs));
    rep->items = calloc(n ? n : 1, sizeof(*rep->items));
    if (!objs || !labels || !refs || !rep->items) {
        rc = scm_fail(d, SCM_E_NOMEM, "Out of memory.");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        objs[i] = list[i];
        snprintf(labels[i], sizeof(labels[i]), "%s", list[i].label);
        snprintf(refs[i], sizeof(refs[i]), "%s", list[i].src_path ? list[i].src_path : "");
    }
    if ((rc = open_dir(dir, &dfd, d)) < 0)
        goto out;
    scm_card_get_info(src, &ci);
    scm_hex(ci.source.atr, ci.source.atr_len, "", atr, sizeof(atr));
    put(&m, "{\n  \"card\": {\"name\": ");
    put_str(&m, ci.name);
    put(&m, ", \"label\": ");
    put_str(&m, ci.label);
    put(&m, ", \"serial\": ");
    put_str(&m, ci.serial);
    put(&m, ", \"agent\": ");
    put_str(&m, ci.agent);
    put(&m, ", \"type\": ");
    put_str(&m, ci.type);
    put(&m, ", \"atr\": \"%s\"},\n  \"objects\": [", atr);

    bool first_obj = true;
    for (size_t i = 0; i < n; i++) {
        const struct scm_obj_info *o = &objs[i];
        struct scm_copy_item *it = &rep->items[rep->n++];
        struct scm_detail od = {{0}};
        uint8_t *data = NULL;
        size_t len = 0;
        char base[64], name[80];
        snprintf(it->label, sizeof(it->label), "%s", labels[i]);
        it->area = o->area;
        it->size = o->size;
        put(&m, "%s\n    {\"label\": ", first_obj ? "" : ",");
        first_obj = false;
        put_str(&m, labels[i]);
        put(&m, ", \"type\": \"%s\", \"area\": \"%s\", \"ref\": ", scm_obj_type_name(o->type),
            scm_area_name(o->area));
        put_str(&m, refs[i]);
        if (o->sealed) {
            it->result = SCM_COPY_SKIPPED;
            snprintf(it->why, sizeof(it->why), "%s",
                     src->kind == SCM_CARD_VSC
                         ? "Keys in the secret key area never leave the VSC."
                         : "Cannot be copied: the card never releases private keys.");
        } else if (o->area != SCM_AREA_PUBLIC && pol && !pol->allow_private_export) {
            it->result = SCM_COPY_SKIPPED;
            snprintf(it->why, sizeof(it->why),
                     "The security policy keeps private objects out of plain files.");
        } else if ((rc = scm_card_read(src, o->id, &data, &len, &od)) < 0) {
            it->result = SCM_COPY_FAILED;
            snprintf(it->why, sizeof(it->why), "%s", od.text[0] ? od.text : scm_strerror(rc));
        } else {
            file_base(i, labels[i], base, sizeof(base));
            put(&m, ", \"files\": [");
            bool cert = o->type == SCM_OBJ_CERT;
            snprintf(name, sizeof(name), "%s.%s", base, cert ? "der" : "bin");
            rc = write_one(dfd, dir, name, data, len, &m, true, &od);
            if (rc == SCM_OK && cert) {
                gnutls_datum_t pem = {NULL, 0};
                if (pem_of(data, len, &pem) == SCM_OK) {
                    snprintf(name, sizeof(name), "%s.pem", base);
                    rc = write_one(dfd, dir, name, pem.data, pem.size, &m, false, &od);
                    gnutls_free(pem.data);
                }
            }
            put(&m, "]");
            scm_secure_free(data, len);
            if (rc < 0) {
                it->result = SCM_COPY_FAILED;
                snprintf(it->why, sizeof(it->why), "%s", od.text[0] ? od.text : scm_strerror(rc));
                if (d)
                    *d = od;
                put(&m, "}");
                goto out; /* the disk refuses: no manifest, the sentence says why */
            }
            it->result = SCM_COPY_DONE;
        }
        if (it->result != SCM_COPY_DONE) {
            put(&m, ", \"copied\": false, \"why\": ");
            put_str(&m, it->why);
        }
        put(&m, "}");
    }
    put(&m, "\n  ]\n}\n");
    if (m.oom) {
        rc = scm_fail(d, SCM_E_NOMEM, "Out of memory.");
        goto out;
    }
    {
        char path[4096];
        snprintf(path, sizeof(path), "%s/manifest.json", dir);
        if ((rc = scm_file_write_atomic(dfd, "manifest.json", m.p, m.n, false, path, d)) < 0)
            goto out;
    }
    rc = SCM_OK;
out:
    for (size_t i = 0; i < rep->n; i++) {
        switch (rep->items[i].result) {
        case SCM_COPY_DONE:
            rep->done++;
            break;
        case SCM_COPY_SKIPPED:
            rep->skipped++;
            break;
        case SCM_COPY_FAILED:
            rep->failed++;
            break;
        case SCM_COPY_NOT_TRIED:
            rep->not_tried++;
            break;
        }
    }
    if (rc == SCM_OK && rep->failed)
        rc = scm_fail(d, SCM_E_CARD_REFUSED, "%zu %s could not be read; the manifest says which.",
                      rep->failed, rep->failed == 1 ? "object" : "objects");
    if (dfd >= 0)
        close(dfd);
    free(m.p);
    free(objs);
    free(labels);
    free(refs);
    return rc;
}
