/* Files written atomically, and the output paths users give.
 *
 * Every file scmgr writes goes through scm_file_write_atomic: the VSC
 * store's imports and backups, `get -o`, `vsc export` and the UI's
 * exports. An output path is only ever a new file or a regular file the
 * user agreed to replace: rename() replaces a directory entry whatever it
 * is, so a device node, a FIFO or a symlink at the path must be refused
 * before, or it would silently stop being one (issue 7, A1). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scmgr/util.h"

/* ---- Temporary names ------------------------------------------------------ */

int scm_file_temp_name(const char *base, char *out, size_t outlen)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static unsigned counter;
    unsigned char r[6];
    char suf[7];
    /* The name only has to be unlikely to exist (O_EXCL catches the rest),
     * so a clock will do when the kernel has no random bytes yet. */
    if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        unsigned long v = (unsigned long)ts.tv_nsec ^ ((unsigned long)++counter << 20);
        for (size_t i = 0; i < sizeof(r); i++, v >>= 5)
            r[i] = (unsigned char)v;
    }
    for (size_t i = 0; i < 6; i++)
        suf[i] = al[r[i] % (sizeof(al) - 1)];
    suf[6] = '\0';
    int n = snprintf(out, outlen, ".%s.%ld.%s", base, (long)getpid(), suf);
    if (n < 0 || (size_t)n >= outlen || (size_t)n > NAME_MAX)
        return SCM_E_INVAL;
    return SCM_OK;
}

bool scm_file_temp_stale(const char *name, const char *base)
{
    size_t bl = strlen(base);
    const char *p = name, *q;
    if (p[0] != '.' || strncmp(p + 1, base, bl) != 0 || p[1 + bl] != '.')
        return false;
    p += 2 + bl;
    long pid = 0;
    for (q = p; *q >= '0' && *q <= '9' && q - p < 10; q++)
        pid = pid * 10 + (*q - '0');
    if (q == p || *q != '.' || strlen(q + 1) != 6 || pid <= 0 || pid == (long)getpid())
        return false;
    for (const char *s = q + 1; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
            return false;
    /* EPERM: the process exists (another user's): not ours to judge. A
     * recycled PID keeps a dead one's file; verify still reports it. */
    return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* ---- Atomic writes --------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* What a directory entry is, for the sentence that refuses it; NULL for a
 * regular file. */
static const char *kind_of(mode_t m)
{
    if (S_ISREG(m))
        return NULL;
    if (S_ISLNK(m))
        return "a symbolic link";
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISFIFO(m))
        return "a FIFO (named pipe)";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a regular file";
}

static int refuse_kind(struct scm_detail *d, const char *path, const char *kind)
{
    return scm_fail(d, SCM_E_IO,
                    "%s is %s; scmgr writes only a new file or replaces a regular "
                    "file, and leaves anything else as it is",
                    path, kind);
}

int scm_file_write_atomic(int dfd, const char *name, const void *buf, size_t len, bool replace,
                          const char *path, struct scm_detail *d)
{
    char tmp[NAME_MAX + 1];
    struct stat sb;
    int fd = -1, rc = SCM_OK;
    bool made = false;
    for (int tries = 0; fd < 0 && tries < 8; tries++) {
        if ((rc = scm_file_temp_name(name, tmp, sizeof(tmp))) < 0) {
            scm_fail(d, rc, "%s: the file name is too long", path);
            goto out;
        }
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        rc = scm_fail(d, SCM_E_IO, "%s: cannot create a temporary file beside it: %s", path,
                      strerror(errno));
        goto out;
    }
    made = true;
    /* 0600 whatever the umask: the content may be a private object. */
    if (fchmod(fd, 0600) < 0 || write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
        rc = scm_fail(d, SCM_E_IO, "%s: write error: %s", path, strerror(errno));
        goto out;
    }
    if (close(fd) < 0) {
        fd = -1;
        rc = scm_fail(d, SCM_E_IO, "%s: write error: %s", path, strerror(errno));
        goto out;
    }
    fd = -1;
    /* link() refuses an existing name, which makes "only if it does not
     * exist yet" atomic. rename() replaces whatever the name is, so look
     * again right before it: what was checked may have been swapped. */
    if (!replace) {
        if (linkat(dfd, tmp, dfd, name, 0) < 0) {
            rc = errno == EEXIST
                     ? scm_fail(d, SCM_E_EXISTS, "%s already exists", path)
                     : scm_fail(d, SCM_E_IO, "%s: cannot create: %s", path, strerror(errno));
            goto out;
        }
    } else {
        const char *kind;
        if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && (kind = kind_of(sb.st_mode))) {
            rc = refuse_kind(d, path, kind);
            goto out;
        }
        if (renameat(dfd, tmp, dfd, name) < 0) {
            rc = scm_fail(d, SCM_E_IO, "%s: cannot replace: %s", path, strerror(errno));
            goto out;
        }
        made = false;
    }
    (void)fsync(dfd);
    rc = SCM_OK;
out:
    if (fd >= 0)
        close(fd);
    if (made)
        unlinkat(dfd, tmp, 0);
    return rc;
}

/* ---- Output paths ------------------------------------------------------------ */

/* Split path into its directory (malloc'd) and its last name (in path). */
static int split(const char *path, char **dir, const char **name, struct scm_detail *d)
{
    const char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    if (!**name || strcmp(*name, ".") == 0 || strcmp(*name, "..") == 0)
        return scm_fail(d, SCM_E_IO, "%s names a directory; give the name of a file", path);
    if (!slash)
        *dir = strdup(".");
    else if (slash == path)
        *dir = strdup("/");
    else
        *dir = strndup(path, (size_t)(slash - path));
    return *dir ? SCM_OK : SCM_E_NOMEM;
}

/* The directory of path, opened; the name in it. */
static int open_parent(const char *path, const char **name, struct scm_detail *d)
{
    char *dir = NULL;
    int rc = split(path, &dir, name, d);
    if (rc < 0)
        return rc;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        rc = scm_fail(d, SCM_E_IO, "%s: cannot open its directory %s: %s", path, dir,
                      strerror(errno));
    free(dir);
    return dfd < 0 ? rc : dfd;
}

static int check_at(int dfd, const char *name, const char *path, bool force, struct scm_detail *d)
{
    struct stat sb;
    const char *kind;
    if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return SCM_OK;
        return scm_fail(d, SCM_E_IO, "%s: %s", path, strerror(errno));
    }
    if ((kind = kind_of(sb.st_mode)) != NULL)
        return refuse_kind(d, path, kind);
    if (!force)
        return scm_fail(d, SCM_E_EXISTS, "%s already exists; give --force to replace it", path);
    return SCM_OK;
}

int scm_outfile_check(const char *path, bool force, struct scm_detail *d)
{
    const char *name;
    if (!path || !*path)
        return scm_fail(d, SCM_E_USAGE, "no output file given");
    if (strcmp(path, "-") == 0)
        return SCM_OK;
    int dfd = open_parent(path, &name, d);
    if (dfd < 0)
        return dfd;
    int rc = check_at(dfd, name, path, force, d);
    close(dfd);
    return rc;
}

int scm_outfile_write(const char *path, const void *data, size_t len, bool force,
                      struct scm_detail *d)
{
    const char *name;
    if (!path || !*path)
        return scm_fail(d, SCM_E_USAGE, "no output file given");
    if (strcmp(path, "-") == 0) {
        if (write_all(STDOUT_FILENO, data, len) < 0)
            return scm_fail(d, SCM_E_IO, "standard output could not be written: %s",
                            strerror(errno));
        return SCM_OK;
    }
    int dfd = open_parent(path, &name, d);
    if (dfd < 0)
        return dfd;
    int rc = check_at(dfd, name, path, force, d);
    if (rc == SCM_OK)
        rc = scm_file_write_atomic(dfd, name, data, len, force, path, d);
    /* Created by someone else since the check. */
    if (rc == SCM_E_EXISTS)
        scm_fail(d, rc, "%s already exists; give --force to replace it", path);
    close(dfd);
    return rc;
}
