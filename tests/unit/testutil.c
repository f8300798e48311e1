#include "testutil.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tu_mkdtemp(void)
{
    const char *tmp = getenv("TMPDIR");
    char *p;
    if (!tmp || !*tmp)
        tmp = "/tmp";
    if (asprintf(&p, "%s/scmgr-test-XXXXXX", tmp) < 0)
        return NULL;
    if (!mkdtemp(p)) {
        free(p);
        return NULL;
    }
    return p;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void tu_rmtree(const char *dir)
{
    if (dir)
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void tu_test_policy(struct scm_policy *pol)
{
    scm_policy_defaults(pol);
    pol->test_policy = true;
    pol->kdf_min_iterations = 1000;
    pol->kdf_iterations = 1000;
    pol->min_password_len = 4;
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(fp);
                return NULL;
            }
            buf = nb;
        }
        r = fread(buf + n, 1, cap - n, fp);
        n += r;
    } while (r > 0);
    fclose(fp);
    *len = n;
    return buf;
}

int tu_write_file(const char *path, const uint8_t *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    return close(fd);
}

char *tu_data_path(const char *name)
{
    const char *d = getenv("SCMGR_TEST_DATA");
    char *p;
    if (!d)
        d = "tests/data";
    if (asprintf(&p, "%s/%s", d, name) < 0)
        return NULL;
    return p;
}

int tu_store_setup(void **state)
{
    struct tu_store *f = calloc(1, sizeof(*f));
    if (!f || !(f->dir = tu_mkdtemp())) {
        free(f);
        return -1;
    }
    tu_test_policy(&f->pol);
    if (scm_store_open(f->dir, &f->pol, &f->st, NULL) != SCM_OK)
        return -1;
    *state = f;
    return 0;
}

int tu_store_teardown(void **state)
{
    struct tu_store *f = *state;
    scm_store_close(f->st);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}
