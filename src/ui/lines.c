/* The text lines of the scrolling dialogs (help, reports, the object
 * viewer). The viewer's lines are a private object's content, so every
 * line lives in secure memory and is wiped when its array is freed.
 *
 * One page per line would lock far too much (a 1 MiB object is 65536 hex
 * lines), so lines come from a pool: secure chunks filled front to back,
 * each counting its live lines and released, wiped, when the last goes. */
#include "ui_int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN (64 * 1024)

struct chunk {
    struct chunk *next;
    size_t cap, used, live;
    /* the lines follow */
};

/* The pool is the process's, like the terminal; the mutex only guards
 * against a future caller off the UI thread. */
static struct chunk *pool;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

static char *chunk_data(struct chunk *c)
{
    return (char *)(c + 1);
}

static char *pool_alloc(size_t len)
{
    char *p = NULL;
    pthread_mutex_lock(&pool_lock);
    struct chunk *c = pool;
    if (!c || c->cap - c->used < len) {
        size_t cap = len > CHUNK_MIN ? len : CHUNK_MIN;
        c = scm_secure_alloc(sizeof(*c) + cap);
        if (!c)
            goto out;
        c->cap = cap;
        c->used = c->live = 0;
        c->next = pool;
        pool = c;
    }
    p = chunk_data(c) + c->used;
    c->used += len;
    c->live++;
out:
    pthread_mutex_unlock(&pool_lock);
    return p;
}

/* Wipe one line and release its chunk with the last line in it. A line
 * that is not the pool's (none should be) is wiped and freed. */
static void pool_free(char *p)
{
    if (!p)
        return;
    scm_wipe(p, strlen(p));
    pthread_mutex_lock(&pool_lock);
    for (struct chunk **pc = &pool; *pc; pc = &(*pc)->next) {
        struct chunk *c = *pc;
        if (p >= chunk_data(c) && p < chunk_data(c) + c->used) {
            if (--c->live == 0) {
                *pc = c->next;
                scm_secure_free(c, sizeof(*c) + c->cap);
            }
            pthread_mutex_unlock(&pool_lock);
            return;
        }
    }
    pthread_mutex_unlock(&pool_lock);
    free(p);
}

bool ui_lines_secure(const char *line)
{
    bool found = false;
    pthread_mutex_lock(&pool_lock);
    for (struct chunk *c = pool; c && !found; c = c->next)
        found = line >= chunk_data(c) && line < chunk_data(c) + c->used;
    pthread_mutex_unlock(&pool_lock);
    return found;
}

static int append(char ***lines, size_t *n, char *s)
{
    char **nl = realloc(*lines, (*n + 1) * sizeof(*nl));
    if (!nl) {
        pool_free(s);
        return SCM_E_NOMEM;
    }
    nl[(*n)++] = s;
    *lines = nl;
    return SCM_OK;
}

/* glibc's vsnprintf measures into a 64-byte buffer on its own stack frame
 * and leaves there the tail of what it formatted (a private object's
 * line): wiped from the dead stack below the caller once it returned. */
__attribute__((noinline)) static void scrub_stack(void)
{
    char below[4096];
    scm_wipe(below, sizeof(below));
}

/* Measured first, then written straight into the pool: vasprintf would
 * leave its growing buffers in the ordinary heap. */
static char *line_vprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int w = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    scrub_stack();
    if (w < 0)
        return NULL;
    char *s = pool_alloc((size_t)w + 1);
    if (s)
        vsnprintf(s, (size_t)w + 1, fmt, ap);
    return s;
}

char *ui_line_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = line_vprintf(fmt, ap);
    va_end(ap);
    return s;
}

void ui_line_free(char *line)
{
    pool_free(line);
}

int ui_lines_vadd(char ***lines, size_t *n, const char *fmt, va_list ap)
{
    char *s = line_vprintf(fmt, ap);
    if (!s)
        return SCM_E_NOMEM;
    return append(lines, n, s);
}

int ui_lines_add(char ***lines, size_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = line_vprintf(fmt, ap);
    va_end(ap);
    if (!s)
        return SCM_E_NOMEM;
    return append(lines, n, s);
}

int ui_lines_add_bytes(char ***lines, size_t *n, const void *data, size_t len)
{
    char *s = pool_alloc(len + 1);
    if (!s)
        return SCM_E_NOMEM;
    memcpy(s, data, len);
    /* An embedded NUL would cut the line: show it as a dot. */
    for (size_t k = 0; k < len; k++)
        if (!s[k])
            s[k] = '.';
    s[len] = '\0';
    return append(lines, n, s);
}

void ui_lines_free(char **lines, size_t n)
{
    for (size_t i = 0; lines && i < n; i++)
        pool_free(lines[i]);
    free(lines);
}
