/* Memory for secrets: locked, out of core dumps, wiped on release. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "scmgr/util.h"

/* Secrets get their own pages: mlock works on pages, and MADV_DONTDUMP
 * must not catch ordinary data by accident. A small header before the
 * user's bytes remembers the mapping size. */
struct sec_hdr {
    size_t map_len;
    size_t locked;
};

#define HDR_SIZE 16

/* Set once an mlock has failed: from then on some secret may be swapped
 * out. Process-wide like RLIMIT_MEMLOCK itself; the warning is logged once. */
static bool unlocked_seen;

static void note_unlocked(void)
{
    if (unlocked_seen)
        return;
    unlocked_seen = true;
    char why[160];
    scm_secure_explain(why, sizeof(why));
    scm_log(SCM_LOG_WARN, "secure memory: %s", why);
}

void *scm_secure_alloc(size_t len)
{
    long pg = sysconf(_SC_PAGESIZE);
    if (pg <= 0)
        pg = 4096;
    if (len > SIZE_MAX - HDR_SIZE - (size_t)pg)
        return NULL;
    size_t map_len = (len + HDR_SIZE + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
    void *m = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    struct sec_hdr *h = m;
    h->map_len = map_len;
    /* Best effort: past RLIMIT_MEMLOCK the memory still works, it may
     * only be swapped. */
    h->locked = mlock(m, map_len) == 0;
    if (!h->locked)
        note_unlocked();
#ifdef MADV_DONTDUMP
    (void)madvise(m, map_len, MADV_DONTDUMP);
#endif
    return (unsigned char *)m + HDR_SIZE;
}

void scm_secure_free(void *p, size_t len)
{
    (void)len;
    if (!p)
        return;
    struct sec_hdr *h = (struct sec_hdr *)((unsigned char *)p - HDR_SIZE);
    size_t map_len = h->map_len;
    int locked = (int)h->locked;
    gnutls_memset(h, 0, map_len);
    if (locked)
        munlock(h, map_len);
    munmap(h, map_len);
}

bool scm_secure_locked(void)
{
    if (!unlocked_seen)
        scm_secure_free(scm_secure_alloc(1), 1); /* a probe: is one page allowed? */
    return !unlocked_seen;
}

void scm_secure_explain(char *buf, size_t cap)
{
    struct rlimit rl;
    char lim[48] = "unknown";
    bool locked = scm_secure_locked();
    if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
        if (rl.rlim_cur == RLIM_INFINITY)
            snprintf(lim, sizeof(lim), "unlimited");
        else
            snprintf(lim, sizeof(lim), "%llu KiB", (unsigned long long)rl.rlim_cur / 1024);
    }
    if (locked)
        snprintf(buf, cap, "locked (RLIMIT_MEMLOCK %s)", lim);
    else
        snprintf(buf, cap,
                 "NOT locked (RLIMIT_MEMLOCK %s): secrets may be swapped to disk; "
                 "raise it with ulimit -l",
                 lim);
}

void scm_wipe(void *p, size_t len)
{
    if (p && len)
        gnutls_memset(p, 0, len);
}

void scm_harden_process(void)
{
    struct rlimit rl = {0, 0};
    (void)setrlimit(RLIMIT_CORE, &rl);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    umask(077);
}
