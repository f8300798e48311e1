/* The log file (--log FILE). Secrets never reach it: callers pass none,
 * and APDU traces mask PINs before they get here. */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "scmgr/util.h"

/* The one process-wide state outside the UI loop: a log is a property of
 * the process, like its stderr, and every layer writes to it. */
static FILE *log_fp;
static enum scm_log_level log_level = SCM_LOG_WARN;

int scm_log_open(const char *path, enum scm_log_level level)
{
    FILE *fp = fopen(path, "ae");
    if (!fp)
        return SCM_E_IO;
    setvbuf(fp, NULL, _IOLBF, 0);
    scm_log_close();
    log_fp = fp;
    log_level = level;
    return SCM_OK;
}

void scm_log_close(void)
{
    if (log_fp)
        fclose(log_fp);
    log_fp = NULL;
}

static const char *level_name(enum scm_log_level l)
{
    static const char *names[] = {"error", "warn", "info", "debug", "trace"};
    return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "?";
}

void scm_log(enum scm_log_level level, const char *fmt, ...)
{
    if (!log_fp || level > log_level)
        return;
    struct timeval tv;
    struct tm tm;
    char ts[32];
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    char msg[1024], clean[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* Messages quote labels and file names: keep the log one line per entry. */
    scm_sanitize(msg, strlen(msg), clean, sizeof(clean));
    fprintf(log_fp, "%s.%03ldZ %s %s\n", ts, (long)(tv.tv_usec / 1000), level_name(level), clean);
}
