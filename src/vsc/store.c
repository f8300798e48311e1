/* The store: a directory of UID.vsc files, and the file helpers the VSC
 * layer shares (whole-file and header-only reads, atomic writes, locks).
 *
 * Every file is opened relative to the store's directory descriptor with
 * O_NOFOLLOW, so a symlink planted in the store is never followed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vsc_int.h"

/* ---- File helpers -------------------------------------------------------- */

static int read_full(int fd, uint8_t *buf, size_t len, off_t at)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, buf + got, len - got, at + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static int open_vsc(int dfd, const char *name, const char *path, struct stat *st,
                    struct scm_detail *d)
{
    /* Inside the store a symlink is never followed; a path the user gave
     * (verify, import, open_file) may be one. */
    int nofollow = dfd == AT_FDCWD ? 0 : O_NOFOLLOW;
    struct stat pre;
    /* Look before opening: open() of a FIFO waits for a writer forever, and
     * opening a device may do things (rewind a tape, raise a modem line).
     * O_NONBLOCK covers what is swapped in between; the fstat after the
     * open is the check that counts. */
    if (fstatat(dfd, name, &pre, nofollow ? AT_SYMLINK_NOFOLLOW : 0) == 0 &&
        !S_ISREG(pre.st_mode) && !S_ISLNK(pre.st_mode))
        return scm_fail(d, SCM_E_IO, "%s is not a regular file (%s); a VSC is always one", path,
                        S_ISDIR(pre.st_mode)    ? "a directory"
                        : S_ISFIFO(pre.st_mode) ? "a FIFO"
                        : S_ISSOCK(pre.st_mode) ? "a socket"
                                                : "a device");
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | nofollow);
    if (fd < 0) {
        if (errno == ENOENT)
            return scm_fail(d, SCM_E_VSC_NOT_FOUND, "%s: no such VSC file", path);
        if (errno == ELOOP && nofollow)
            return scm_fail(d, SCM_E_IO, "%s is a symbolic link; the store never follows one",
                            path);
        return scm_fail(d, SCM_E_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return scm_fail(d, SCM_E_IO, "%s is not a regular file; a VSC is always one", path);
    }
    return fd;
}

int vsc_read_all_at(int dfd, const char *name, const char *path, uint8_t **buf, size_t *len,
                    struct scm_detail *d)
{
    struct stat st;
    uint8_t *b = NULL;
    int rc, fd = open_vsc(dfd, name, path, &st, d);
    *buf = NULL;
    if (fd < 0)
        return fd;
    if ((uint64_t)st.st_size > SCM_VSC_FILE_MAX) {
        rc = scm_fail(d, SCM_E_VSC_CORRUPT, "%s: the file is %lld bytes, more than the limit of "
                                            "64 MiB", path, (long long)st.st_size);
        goto out;
    }
    b = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!b) {
        rc = scm_fail(d, SCM_E_NOMEM, "%s: out of memory reading the file", path);
        goto out;
    }
    if (read_full(fd, b, (size_t)st.st_size, 0) < 0) {
        rc = scm_fail(d, SCM_E_IO, "%s: read error: %s", path, strerror(errno ? errno : EIO));
        goto out;
    }
    *buf = b;
    *len = (size_t)st.st_size;
    b = NULL;
    rc = SCM_OK;
out:
    free(b);
    close(fd);
    return rc;
}

static bool peek_fd(void *ctx, uint64_t off, uint8_t out[5])
{
    return read_full(*(const int *)ctx, out, 5, (off_t)off) == 0;
}

int vsc_read_header_at(int dfd, const char *name, const char *path, bool sections,
                       struct vsc_hdr *h, size_t count[SCM_AREA_COUNT], uint64_t *size,
                       struct scm_detail *d)
{
    struct stat st;
    uint64_t body_off[SCM_AREA_COUNT];
    size_t body_len[SCM_AREA_COUNT];
    uint8_t pre[VSC_PREFIX], *b = NULL;
    int rc, fd = open_vsc(dfd, name, path, &st, d);
    if (fd < 0)
        return fd;
    *size = (uint64_t)st.st_size;
    size_t avail = st.st_size < VSC_PREFIX ? (size_t)st.st_size : VSC_PREFIX;
    if (read_full(fd, pre, avail, 0) < 0) {
        rc = scm_fail(d, SCM_E_IO, "%s: read error", path);
        goto out;
    }
    /* Two reads: the fixed prefix, then exactly the header and its checksum. */
    size_t hlen = vsc_prefix_hlen(pre, avail), want = VSC_PREFIX + hlen + VSC_HASH;
    if (hlen == 0 || want > (uint64_t)st.st_size) {
        rc = vsc_parse_header_only(path, pre, avail, *size, h, count, d);
        goto out;
    }
    b = malloc(want);
    if (!b) {
        rc = scm_fail(d, SCM_E_NOMEM, "%s: out of memory", path);
        goto out;
    }
    memcpy(b, pre, VSC_PREFIX);
    if (read_full(fd, b + VSC_PREFIX, want - VSC_PREFIX, VSC_PREFIX) < 0) {
        rc = scm_fail(d, SCM_E_IO, "%s: read error", path);
        goto out;
    }
    rc = vsc_parse_header_only(path, b, want, *size, h, count, d);
    if (rc == SCM_OK && sections)
        rc = vsc_check_sections(path, hlen, *size, peek_fd, &fd, body_off, body_len, d);
out:
    free(b);
    close(fd);
    return rc;
}

int vsc_write_all(int fd, const uint8_t *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    return 0;
}

/* The lock is flock() on ".UID.lock". A process may unlink that file while
 * it holds the lock (vsc rm does), so a lock taken on a file that is no
 * longer the one the name points to is worthless: a newcomer would create
 * a new file and lock it alongside. Hence the check after each flock, and
 * another round when it fails. */
static int lock_uid(int dfd, const char *uid, int how)
{
    char name[SCM_VSC_UID_MAX + 8];
    snprintf(name, sizeof(name), ".%s.lock", uid);
    for (;;) {
        struct stat a, b;
        int fd = openat(dfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return -1;
        while (flock(fd, how) < 0) {
            if (errno != EINTR) {
                close(fd);
                return -1;
            }
        }
        if (fstat(fd, &a) == 0 && fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
            a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return fd;
        close(fd);
    }
}

void vsc_unlock_remove(int dfd, const char *uid, int fd)
{
    char name[SCM_VSC_UID_MAX + 8];
    snprintf(name, sizeof(name), ".%s.lock", uid);
    (void)unlinkat(dfd, name, 0);
    close(fd);
}

int vsc_lock_uid(int dfd, const char *uid) { return lock_uid(dfd, uid, LOCK_EX); }

int vsc_lock_uid_try(int dfd, const char *uid) { return lock_uid(dfd, uid, LOCK_EX | LOCK_NB); }

unsigned vsc_stale_temps(int dfd, const char *uid, bool remove, char *first, size_t firstlen)
{
    char base[SCM_VSC_UID_MAX + 8], bak[SCM_VSC_UID_MAX + 12];
    unsigned n = 0;
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    if (first && firstlen)
        first[0] = '\0';
    if (!dir) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    snprintf(base, sizeof(base), "%s.vsc", uid);
    snprintf(bak, sizeof(bak), "%s.vsc.bak", uid);
    while ((de = readdir(dir)) != NULL) {
        if (!scm_file_temp_stale(de->d_name, base) && !scm_file_temp_stale(de->d_name, bak))
            continue;
        if (remove && unlinkat(dfd, de->d_name, 0) < 0)
            continue;
        if (n++ == 0 && first && firstlen)
            snprintf(first, firstlen, "%s", de->d_name);
    }
    closedir(dir);
    return n;
}

int vsc_check_name(const char *path, const char *name, const char *uid, struct scm_detail *d)
{
    char stem[SCM_VSC_UID_MAX + 1];
    size_t n = strlen(name);
    if (n < 5 || n - 4 > SCM_VSC_UID_MAX || strcmp(name + n - 4, ".vsc") != 0)
        return SCM_OK;
    memcpy(stem, name, n - 4);
    stem[n - 4] = '\0';
    if (!scm_vsc_uid_valid(stem) || strcmp(stem, uid) == 0)
        return SCM_OK;
    return scm_fail(d, SCM_E_VSC_CORRUPT,
                    "%s holds vsc:%s but its name says vsc:%s; a VSC file is named by its UID "
                    "(a damaged store entry, or a renamed copy: rename it %s.vsc)",
                    path, uid, stem, uid);
}

/* ---- The store ------------------------------------------------------------- */

static int mkdir_p(const char *dir)
{
    char *p = strdup(dir);
    int rc = 0;
    if (!p)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
            rc = -1;
        *s = '/';
    }
    if (mkdir(p, 0700) < 0 && errno != EEXIST)
        rc = -1;
    free(p);
    return rc;
}

int scm_store_open(const char *dir, const struct scm_policy *pol, struct scm_store **out,
                   struct scm_detail *d)
{
    struct scm_store *st = NULL;
    struct stat sb;
    int rc;
    *out = NULL;
    if (!dir || !*dir || !pol)
        return scm_fail(d, SCM_E_INVAL, "no store directory given");
    st = calloc(1, sizeof(*st));
    if (!st || !(st->dir = strdup(dir))) {
        rc = scm_fail(d, SCM_E_NOMEM, "%s: out of memory", dir);
        goto out;
    }
    st->dfd = -1;
    st->pol = *pol;
    /* Only what scmgr creates gets its mode; an existing directory is
     * checked and never changed (chmod of a shared directory such as /tmp
     * would break it for everybody else). */
    if (lstat(dir, &sb) < 0 && errno == ENOENT)
        (void)mkdir_p(dir);
    st->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (st->dfd < 0 && (errno == ELOOP || errno == ENOTDIR) && lstat(dir, &sb) == 0 &&
        S_ISLNK(sb.st_mode)) {
        rc = scm_fail(d, SCM_E_IO, "%s: the VSC store is a symbolic link; give the directory "
                      "it points to", dir);
        goto out;
    }
    if (st->dfd < 0 || fstat(st->dfd, &sb) < 0) {
        rc = scm_fail(d, SCM_E_IO, "%s: cannot open the VSC store: %s", dir, strerror(errno));
        goto out;
    }
    /* Whoever may write the directory may swap a VSC for their own file or
     * delete it; whoever owns it may change that at will. */
    if (sb.st_uid != geteuid()) {
        rc = scm_fail(d, SCM_E_IO, "%s: the VSC store belongs to another user (uid %lu); use a "
                      "directory of your own", dir, (unsigned long)sb.st_uid);
        goto out;
    }
    if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
        rc = scm_fail(d, SCM_E_IO, "%s: the VSC store may be written by %s (mode %04o); use a "
                      "directory only you can write (chmod 700)", dir,
                      sb.st_mode & S_IWOTH ? "every user" : "its group",
                      (unsigned)(sb.st_mode & 07777));
        goto out;
    }
    *out = st;
    st = NULL;
    rc = SCM_OK;
out:
    scm_store_close(st);
    return rc;
}

void scm_store_close(struct scm_store *st)
{
    if (!st)
        return;
    if (st->dfd >= 0)
        close(st->dfd);
    free(st->dir);
    free(st);
}

const char *scm_store_dir(const struct scm_store *st) { return st->dir; }

/* "UID.vsc" with a valid UID; temp files (".UID.vsc.XXXXXX"), backups and
 * locks do not match. */
static bool vsc_name(const char *name, char uid[SCM_VSC_UID_MAX + 1])
{
    size_t n = strlen(name);
    if (n < 5 || n - 4 > SCM_VSC_UID_MAX || strcmp(name + n - 4, ".vsc") != 0)
        return false;
    memcpy(uid, name, n - 4);
    uid[n - 4] = '\0';
    return scm_vsc_uid_valid(uid);
}

static int entry_cmp(const void *a, const void *b)
{
    const struct scm_store_entry *x = a, *y = b;
    return strcmp(x->info.uid, y->info.uid);
}

static void list_one(struct scm_store *st, const char *name, const char *uid,
                     struct scm_store_entry *e)
{
    struct vsc_hdr h;
    struct scm_detail d = {{0}};
    size_t count[SCM_AREA_COUNT];
    uint64_t size = 0;
    char path[PATH_MAX];
    memset(e, 0, sizeof(*e));
    snprintf(path, sizeof(path), "%s/%s", st->dir, name);
    /* No KDF and no whole read: the header with its checksum, and the
     * sizes it and the area sections declare against the file's. */
    e->err = vsc_read_header_at(st->dfd, name, path, true, &h, count, &size, &d);
    if (e->err == SCM_OK && strcmp(h.uid, uid) != 0)
        e->err = scm_fail(&d, SCM_E_VSC_CORRUPT,
                          "%s: the file name does not match the UID inside it (%s)", path, h.uid);
    if (e->err < 0) {
        snprintf(e->why, sizeof(e->why), "%s", d.text[0] ? d.text : scm_strerror(e->err));
        snprintf(e->info.uid, sizeof(e->info.uid), "%s", uid);
        e->info.file_size = size;
        return;
    }
    vsc_info_from_hdr(&h, count, size, &e->info);
}

int scm_store_list(struct scm_store *st, struct scm_store_entry **out, size_t *n)
{
    struct scm_store_entry *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc = SCM_OK, fd = openat(st->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    *out = NULL;
    *n = 0;
    if (!dir) {
        if (fd >= 0)
            close(fd);
        return SCM_E_IO;
    }
    while ((de = readdir(dir)) != NULL) {
        char uid[SCM_VSC_UID_MAX + 1];
        if (!vsc_name(de->d_name, uid))
            continue;
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct scm_store_entry *nv = realloc(v, nc * sizeof(*v));
            if (!nv) {
                rc = SCM_E_NOMEM;
                goto out;
            }
            v = nv, cap = nc;
        }
        list_one(st, de->d_name, uid, &v[cnt++]);
    }
    if (cnt)
        qsort(v, cnt, sizeof(*v), entry_cmp);
    *out = v;
    *n = cnt;
    v = NULL;
out:
    free(v);
    closedir(dir);
    return rc;
}

int scm_store_remove(struct scm_store *st, const char *uid, struct scm_detail *d)
{
    char name[SCM_VSC_UID_MAX + 8], bak[SCM_VSC_UID_MAX + 12];
    int rc, lk;
    if (!scm_vsc_uid_valid(uid))
        return scm_fail(d, SCM_E_BAD_UID, "%s: not a valid VSC identifier", uid ? uid : "");
    snprintf(name, sizeof(name), "%s.vsc", uid);
    snprintf(bak, sizeof(bak), "%s.vsc.bak", uid);
    lk = vsc_lock_uid(st->dfd, uid);
    if (lk < 0)
        return scm_fail(d, SCM_E_IO, "%s/%s: cannot take the lock: %s", st->dir, name,
                        strerror(errno));
    if (unlinkat(st->dfd, name, 0) < 0) {
        rc = errno == ENOENT ? scm_fail(d, SCM_E_VSC_NOT_FOUND, "%s/%s: no such VSC", st->dir, name)
                             : scm_fail(d, SCM_E_IO, "%s/%s: cannot remove: %s", st->dir, name,
                                        strerror(errno));
        goto out;
    }
    (void)unlinkat(st->dfd, bak, 0);
    (void)fsync(st->dfd);
    rc = SCM_OK;
out:
    /* The VSC is gone, so is its lock file: still held here, and whoever
     * waits on it sees the name gone and takes a new one (lock_uid). */
    if (rc == SCM_OK)
        vsc_unlock_remove(st->dfd, uid, lk);
    else
        close(lk);
    return rc;
}

/* Is path (last part name) an entry of some store rather than a copy the
 * user named? A store keeps a lock file per UID beside its files (see
 * vsc_lock_uid), so ".STEM.lock" or ".UID.lock" beside it says so. An
 * exported copy may be called anything; a store entry must be called by
 * its UID, or it is a damaged one. */
static bool is_store_entry(const char *path, const char *name, const char *uid)
{
    char stem[SCM_VSC_UID_MAX + 1], lock[PATH_MAX];
    size_t n = strlen(name), dlen = (size_t)(name - path);
    if (n < 5 || n - 4 > SCM_VSC_UID_MAX || strcmp(name + n - 4, ".vsc") != 0)
        return false;
    memcpy(stem, name, n - 4);
    stem[n - 4] = '\0';
    const char *ids[] = {stem, uid};
    for (size_t i = 0; i < 2; i++) {
        snprintf(lock, sizeof(lock), "%.*s.%s.lock", (int)dlen, path, ids[i]);
        if (faccessat(AT_FDCWD, lock, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
            return true;
    }
    return false;
}

int scm_store_discard_new(struct scm_store *st, const char *uid, struct scm_detail *d)
{
    char name[SCM_VSC_UID_MAX + 8], path[PATH_MAX];
    struct vsc_hdr h;
    size_t count[SCM_AREA_COUNT];
    uint64_t size;
    int rc, lk;
    if (!scm_vsc_uid_valid(uid))
        return scm_fail(d, SCM_E_BAD_UID, "%s: not a valid VSC identifier", uid ? uid : "");
    snprintf(name, sizeof(name), "%s.vsc", uid);
    snprintf(path, sizeof(path), "%s/%s", st->dir, name);
    if ((lk = vsc_lock_uid(st->dfd, uid)) < 0)
        return scm_fail(d, SCM_E_IO, "%s: cannot take the lock: %s", path, strerror(errno));
    /* Under the lock: only the file exactly as scm_vsc_create left it (the
     * first generation, no object) goes; anything saved since stays. */
    rc = vsc_read_header_at(st->dfd, name, path, false, &h, count, &size, d);
    if (rc == SCM_OK && (h.generation != 1 || strcmp(h.uid, uid) != 0 ||
                         count[SCM_AREA_PUBLIC] + count[SCM_AREA_PRIVATE] +
                                 count[SCM_AREA_SECRET] != 0))
        rc = scm_fail(d, SCM_E_VSC_CONFLICT, "%s: changed since it was created; it is kept",
                      path);
    if (rc == SCM_OK && unlinkat(st->dfd, name, 0) < 0)
        rc = scm_fail(d, SCM_E_IO, "%s: cannot remove: %s", path, strerror(errno));
    if (rc == SCM_OK) {
        (void)fsync(st->dfd);
        vsc_unlock_remove(st->dfd, uid, lk);
    } else {
        close(lk);
    }
    return rc;
}

unsigned scm_store_stale_temps(struct scm_store *st, const char *uid, char *first,
                               size_t firstlen)
{
    if (first && firstlen)
        first[0] = '\0';
    return scm_vsc_uid_valid(uid) ? vsc_stale_temps(st->dfd, uid, false, first, firstlen) : 0;
}

int scm_store_import(struct scm_store *st, const char *path, char uid_out[SCM_VSC_UID_MAX + 1],
                     struct scm_detail *d)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct vsc_file f;
    char name[SCM_VSC_UID_MAX + 8], dst[PATH_MAX];
    const char *base;
    int lk = -1, rc = vsc_read_all_at(AT_FDCWD, path, path, &buf, &len, d);
    if (rc == SCM_E_VSC_NOT_FOUND)
        rc = scm_fail(d, SCM_E_IO, "%s: no such file", path);
    if (rc < 0)
        goto out;
    /* Steps 1–6 of the consistency check: everything short of the password. */
    rc = vsc_parse_file(path, buf, len, &f, d);
    if (rc < 0)
        goto out;
    base = strrchr(path, '/');
    if (is_store_entry(path, base ? base + 1 : path, f.hdr.uid))
        rc = vsc_check_name(path, base ? base + 1 : path, f.hdr.uid, d);
    if (rc < 0) {
        vsc_file_free(&f);
        goto out;
    }
    snprintf(name, sizeof(name), "%s.vsc", f.hdr.uid);
    snprintf(dst, sizeof(dst), "%s/%s", st->dir, name);
    if (uid_out)
        snprintf(uid_out, SCM_VSC_UID_MAX + 1, "%s", f.hdr.uid);
    lk = vsc_lock_uid(st->dfd, f.hdr.uid);
    vsc_file_free(&f);
    if (lk < 0) {
        rc = scm_fail(d, SCM_E_IO, "%s: cannot take the lock: %s", dst, strerror(errno));
        goto out;
    }
    rc = scm_file_write_atomic(st->dfd, name, buf, len, false, dst, d);
    if (rc == SCM_E_EXISTS)
        rc = scm_fail(d, SCM_E_VSC_EXISTS, "%s: a VSC with the UID of %s already exists in the "
                      "store", dst, path);
out:
    if (lk >= 0)
        close(lk);
    free(buf);
    return rc;
}
