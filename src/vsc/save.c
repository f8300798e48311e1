/* Saving a VSC atomically (doc/vsc-format.md section 7), and exporting it.
 *
 * The rule: at every instant UID.vsc is either the old file or the new,
 * complete one. The new file is written beside it under a temp name,
 * flushed, and renamed over it; the old one is kept as UID.vsc.bak. If
 * anything fails after the rename, the old file is put back, so a failed
 * save leaves the store byte-identical. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vsc_int.h"

/* Steps of scm_vsc_test_fail_at. */
enum { FAIL_OPEN = 1, FAIL_WRITE, FAIL_FSYNC, FAIL_RENAME, FAIL_FSYNC_DIR, FAIL_READBACK };

static bool inject(const struct scm_vsc *v, int step)
{
    if (v->fail_at != step)
        return false;
    errno = EIO;
    return true;
}

/* UID.vsc.bak := the current UID.vsc: a hard link, or a copy where the file
 * system has none. */
static int make_backup(struct scm_vsc *v, const char *name, const char *bak, struct scm_detail *d)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc;
    if (unlinkat(v->dfd, bak, 0) < 0 && errno != ENOENT)
        return scm_fail(d, SCM_E_IO, "%s.bak: cannot replace the backup: %s", v->path,
                        strerror(errno));
    if (linkat(v->dfd, name, v->dfd, bak, 0) == 0)
        return SCM_OK;
    rc = vsc_read_all_at(v->dfd, name, v->path, &buf, &len, d);
    if (rc == SCM_OK)
        rc = scm_file_write_atomic(v->dfd, bak, buf, len, true, v->path, d);
    free(buf);
    return rc;
}

/* Step 7: the file on disk is exactly what was written and passes the
 * whole check with the data key. */
int vsc_verify_raw(const struct scm_vsc *v, const uint8_t *buf, size_t len, struct scm_detail *d)
{
    struct vsc_file f;
    struct vsc_plain pl;
    int rc = vsc_parse_file(v->path, buf, len, &f, d);
    if (rc < 0)
        return rc;
    rc = vsc_verify_keyed(v->path, &f, v->dk, &pl, d);
    vsc_plain_free(&pl);
    vsc_file_free(&f);
    return rc;
}

static int read_back(struct scm_vsc *v, const char *name, const uint8_t *want, size_t wlen,
                     struct scm_detail *d)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = inject(v, FAIL_READBACK) ? SCM_E_IO : vsc_read_all_at(v->dfd, name, v->path, &buf,
                                                                     &len, d);
    if (rc == SCM_OK && (len != wlen || memcmp(buf, want, len) != 0))
        rc = SCM_E_VSC_READBACK;
    if (rc == SCM_OK)
        rc = vsc_verify_raw(v, buf, len, d) < 0 ? SCM_E_VSC_READBACK : SCM_OK;
    if (rc < 0)
        rc = scm_fail(d, rc == SCM_E_IO ? rc : SCM_E_VSC_READBACK,
                      "%s: the saved file did not read back correctly; the previous version is "
                      "kept", v->path);
    free(buf);
    return rc;
}

/* Steps 4–7 for a built file. On failure the old file is in place again. */
static int commit(struct scm_vsc *v, const char *name, const char *bak, const uint8_t *buf,
                  size_t len, struct scm_detail *d)
{
    char tmp[SCM_VSC_UID_MAX + 40];
    bool have_old = v->hdr.generation != 0, renamed = false;
    int fd = -1, rc = scm_file_temp_name(name, tmp, sizeof(tmp));
    if (rc < 0) {
        scm_fail(d, rc, "%s: cannot make a temporary name", v->path);
        goto out;
    }
    fd = inject(v, FAIL_OPEN) ? -1 : openat(v->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                                          O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = scm_fail(d, SCM_E_IO, "%s: cannot create a temporary file: %s", v->path,
                      strerror(errno));
        goto out;
    }
    if (inject(v, FAIL_WRITE) ? (vsc_write_all(fd, buf, len / 2), errno = EIO, 1)
                              : vsc_write_all(fd, buf, len) < 0) {
        rc = scm_fail(d, SCM_E_IO, "%s: write error: %s", v->path, strerror(errno));
        goto out;
    }
    if (inject(v, FAIL_FSYNC) || fsync(fd) < 0) {
        rc = scm_fail(d, SCM_E_IO, "%s: cannot flush to disk: %s", v->path, strerror(errno));
        goto out;
    }
    if (have_old && (rc = make_backup(v, name, bak, d)) < 0)
        goto out;
    if (inject(v, FAIL_RENAME) || renameat(v->dfd, tmp, v->dfd, name) < 0) {
        rc = scm_fail(d, SCM_E_IO, "%s: cannot replace the file: %s", v->path, strerror(errno));
        goto out;
    }
    renamed = true;
    if (inject(v, FAIL_FSYNC_DIR) || fsync(v->dfd) < 0) {
        rc = scm_fail(d, SCM_E_IO, "%s: cannot flush the directory: %s", v->path,
                      strerror(errno));
        goto out;
    }
    rc = read_back(v, name, buf, len, d);
out:
    if (fd >= 0)
        close(fd);
    if (rc < 0 && !renamed)
        unlinkat(v->dfd, tmp, 0);
    if (rc < 0 && renamed) {
        /* Put the previous version back (the backup is the same inode or a
         * byte-exact copy) and keep it as the backup too. */
        if (have_old && renameat(v->dfd, bak, v->dfd, name) == 0)
            (void)linkat(v->dfd, name, v->dfd, bak, 0);
        else if (!have_old)
            unlinkat(v->dfd, name, 0);
        (void)fsync(v->dfd);
    }
    return rc;
}

int scm_vsc_save(struct scm_vsc *v, struct scm_detail *d)
{
    char name[SCM_VSC_UID_MAX + 8], bak[SCM_VSC_UID_MAX + 12];
    struct vsc_hdr disk, nh;
    struct scm_detail dd;
    size_t count[SCM_AREA_COUNT], len = 0;
    uint64_t size;
    uint8_t *buf = NULL;
    int lk = -1, rc;
    if (v->dfd < 0)
        return scm_fail(d, SCM_E_INVAL, "%s: opened as a file outside the store; it cannot be "
                        "saved", v->path);
    if (!v->dk)
        return scm_fail(d, SCM_E_VSC_LOCKED, "%s: unlock the VSC first", v->path);
    snprintf(name, sizeof(name), "%s.vsc", v->hdr.uid);
    snprintf(bak, sizeof(bak), "%s.vsc.bak", v->hdr.uid);
    /* Step 1: one saver at a time. */
    lk = vsc_lock_uid(v->dfd, v->hdr.uid);
    if (lk < 0) {
        rc = scm_fail(d, SCM_E_VSC_BUSY, "%s: cannot take the lock: %s", v->path, strerror(errno));
        goto out;
    }
    /* A save killed with SIGKILL left its full-size temp file: with the
     * lock held, those of processes that are gone can go. */
    vsc_stale_temps(v->dfd, v->hdr.uid, true, NULL, 0);
    /* Step 2: nobody saved since this handle loaded its generation. */
    rc = vsc_read_header_at(v->dfd, name, v->path, false, &disk, count, &size, &dd);
    if (v->hdr.generation == 0 && rc != SCM_E_VSC_NOT_FOUND) {
        rc = scm_fail(d, SCM_E_VSC_EXISTS, "%s: a VSC with this UID already exists", v->path);
        goto out;
    }
    if (v->hdr.generation != 0 && rc == SCM_E_VSC_NOT_FOUND) {
        rc = scm_fail(d, SCM_E_VSC_CONFLICT, "%s: another program removed the file", v->path);
        goto out;
    }
    if (v->hdr.generation != 0 && rc < 0) {
        if (d)
            *d = dd;
        goto out;
    }
    if (v->hdr.generation != 0 && disk.generation != v->hdr.generation) {
        rc = scm_fail(d, SCM_E_VSC_CONFLICT, "%s: another program saved generation %llu after "
                      "this one loaded generation %llu", v->path,
                      (unsigned long long)disk.generation, (unsigned long long)v->hdr.generation);
        goto out;
    }
    /* Step 3: the new file, with fresh salt and nonces. */
    nh = v->hdr;
    nh.generation++;
    nh.modified = (int64_t)time(NULL);
    rc = vsc_random(nh.save_salt, VSC_SALT, false);
    if (rc < 0) {
        scm_fail(d, rc, "%s: no random numbers", v->path);
        goto out;
    }
    rc = vsc_serialise(v->path, &nh, v->objs, v->nobj, v->dk, &buf, &len, d);
    if (rc < 0)
        goto out;
    rc = commit(v, name, bak, buf, len, d);
    if (rc < 0)
        goto out;
    free(v->raw);
    v->raw = buf;
    v->raw_len = len;
    buf = NULL;
    v->hdr = nh;
    v->dirty = false;
out:
    if (lk >= 0)
        close(lk);
    free(buf);
    return rc;
}

int scm_vsc_export(struct scm_vsc *v, const char *path, bool force, struct scm_detail *d)
{
    size_t priv = 0;
    for (size_t i = 0; i < v->nobj; i++)
        priv += v->objs[i].s.area != SCM_AREA_PUBLIC;
    if (v->dirty)
        return scm_fail(d, SCM_E_VSC_UNSAVED, "%s: save the changes before exporting", v->path);
    if (!v->pol.allow_export)
        return scm_fail(d, SCM_E_POLICY, "%s: the security policy does not allow exporting",
                        v->path);
    if (!v->pol.allow_private_export && priv)
        return scm_fail(d, SCM_E_POLICY, "%s: the security policy does not allow exporting a "
                        "VSC with private or secret objects", v->path);
    /* v->raw is the saved file exactly: no second read, no race. */
    return scm_outfile_write(path, v->raw, v->raw_len, force, d);
}
