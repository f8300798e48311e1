/* The last status messages, kept whole: the status line has two rows, a
 * message longer than that ends with an ellipsis there, and Ctrl-O (View >
 * Messages) shows every kept message in full, as mc's and htop's users
 * expect a "last messages" screen to. Pure: no curses. */
#include "ui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ui_msglog_add(struct ui_msglog *m, const char *msg, bool err, time_t when)
{
    if (m->count > 0) {
        size_t last = (m->next + UI_MSGLOG_MAX - 1) % UI_MSGLOG_MAX;
        if (m->err[last] == err && strcmp(m->text[last], msg) == 0) {
            m->when[last] = when;
            return SCM_OK;
        }
    }
    char *copy = strdup(msg);
    if (!copy)
        return SCM_E_NOMEM;
    free(m->text[m->next]);
    m->text[m->next] = copy;
    m->err[m->next] = err;
    m->when[m->next] = when;
    m->next = (m->next + 1) % UI_MSGLOG_MAX;
    if (m->count < UI_MSGLOG_MAX)
        m->count++;
    return SCM_OK;
}

size_t ui_msglog_count(const struct ui_msglog *m)
{
    return m->count;
}

const char *ui_msglog_at(const struct ui_msglog *m, size_t i, bool *err, time_t *when)
{
    if (i >= m->count)
        return NULL;
    size_t k = (m->next + UI_MSGLOG_MAX - m->count + i) % UI_MSGLOG_MAX;
    if (err)
        *err = m->err[k];
    if (when)
        *when = m->when[k];
    return m->text[k];
}

void ui_msglog_free(struct ui_msglog *m)
{
    for (size_t i = 0; i < UI_MSGLOG_MAX; i++)
        free(m->text[i]);
    memset(m, 0, sizeof(*m));
}

int ui_msglog_raw(const struct ui_msglog *m, char ***lines, size_t *n)
{
    *lines = NULL;
    *n = 0;
    if (m->count == 0)
        return ui_lines_add(lines, n, "%s", "(no messages yet)");
    /* Newest first: the message just missed is on top, no scrolling. */
    for (size_t i = m->count; i-- > 0;) {
        bool err;
        time_t when;
        struct tm tm;
        char ts[16] = "--:--:--";
        const char *t = ui_msglog_at(m, i, &err, &when);
        if (localtime_r(&when, &tm))
            strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
        /* The time, then "!" for an error (seen without colours). */
        int rc = ui_lines_add(lines, n, "%s %c %s", ts, err ? '!' : ' ', t);
        if (rc != SCM_OK)
            return rc;
    }
    return SCM_OK;
}

int ui_msglog_lines(const struct ui_msglog *m, bool utf8, int width, char ***lines, size_t *n)
{
    char **raw = NULL, clean[UI_TEXT_LINE_MAX + 32];
    size_t nraw = 0;
    int rc = ui_msglog_raw(m, &raw, &nraw);
    *lines = NULL;
    *n = 0;
    for (size_t i = 0; rc == SCM_OK && i < nraw; i++) {
        ui_text_clean(raw[i], utf8, clean, sizeof(clean));
        rc = ui_text_wrap(clean, utf8, width, UI_MSGLOG_INDENT, 0, NULL, lines, n, NULL);
    }
    ui_lines_free(raw, nraw);
    return rc;
}
