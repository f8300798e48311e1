/* Text from a card or a file on its way to the screen: sanitised (no
 * control or bidi characters can reach the terminal), reduced to ASCII
 * when the locale cannot show more, and fitted to the columns available:
 * word-wrapped, and where it still does not fit, ended with an ellipsis,
 * so that no sentence is ever cut without a sign that it was. */
#include "ui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

size_t ui_text_clean(const char *in, bool utf8, char *out, size_t cap)
{
    size_t n = scm_sanitize(in ? in : "", in ? strlen(in) : 0, out, cap);
    if (utf8)
        return n;
    /* The sanitiser leaves valid UTF-8; a C locale would print its bytes
     * as M-x sequences: one '?' per character instead. */
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c < 0x80)
            out[o++] = (char)c;
        else if ((c & 0xC0) != 0x80)
            out[o++] = '?';
    }
    out[o] = '\0';
    return o;
}

/* The length and columns of the character at s (a lone bad byte is one
 * column, as the terminal would show it after ui_text_clean). */
static size_t char_at(const char *s, bool utf8, int *cols)
{
    *cols = 1;
    if (!utf8 || (unsigned char)s[0] < 0x80)
        return 1;
    mbstate_t st;
    wchar_t wc;
    memset(&st, 0, sizeof(st));
    size_t len = mbrtowc(&wc, s, strlen(s), &st);
    if (len == (size_t)-1 || len == (size_t)-2 || len == 0)
        return 1;
    int w = wcwidth(wc);
    *cols = w < 0 ? 1 : w;
    return len;
}

int ui_text_cols(const char *s, bool utf8)
{
    int cols = 0, w;
    for (size_t i = 0; s[i];) {
        i += char_at(s + i, utf8, &w);
        cols += w;
    }
    return cols;
}

const char *ui_text_ellipsis(bool utf8)
{
    return utf8 ? "\xe2\x80\xa6" : "...";
}

int ui_text_fit_ell(const char *in, bool utf8, int width, char *out, size_t cap)
{
    int cols = ui_text_fit(in, utf8, width, out, cap);
    size_t n = strlen(out);
    if (in[n] == '\0' || width <= 0)
        return cols;
    /* Cut: make room for the ellipsis, character by character from the end. */
    const char *ell = ui_text_ellipsis(utf8);
    int ew = utf8 ? 1 : 3;
    if (width < ew) {
        out[0] = '\0';
        return 0;
    }
    while (n > 0 && (cols + ew > width || n + strlen(ell) >= cap)) {
        size_t k = n - 1;
        while (utf8 && k > 0 && ((unsigned char)out[k] & 0xC0) == 0x80)
            k--;
        int w;
        char_at(out + k, utf8, &w);
        cols -= w;
        n = k;
    }
    /* A cut word loses its tail: no space before the ellipsis. */
    while (n > 0 && out[n - 1] == ' ') {
        n--;
        cols--;
    }
    if (n + strlen(ell) >= cap) {
        out[n] = '\0';
        return cols;
    }
    memcpy(out + n, ell, strlen(ell) + 1);
    return cols + ew;
}

/* One line being built by ui_text_wrap. */
struct line {
    char buf[UI_TEXT_LINE_MAX];
    size_t len;
    int cols;
    bool words; /* more than the indent */
};

static int flush(struct line *l, char ***lines, size_t *n)
{
    while (l->len > 0 && l->buf[l->len - 1] == ' ') {
        l->len--;
        l->cols--;
    }
    l->buf[l->len] = '\0';
    /* Copied as bytes: the text may be a private object's (lines.c). */
    int rc = ui_lines_add_bytes(lines, n, l->buf, l->len);
    l->len = 0;
    l->cols = 0;
    l->words = false;
    return rc;
}

static void append(struct line *l, const char *s, size_t len, int cols)
{
    if (l->len + len >= sizeof(l->buf))
        return; /* longer than any screen: cannot happen at width <= 1000 */
    memcpy(l->buf + l->len, s, len);
    l->len += len;
    l->cols += cols;
}

static void indent_to(struct line *l, int indent)
{
    while (l->cols < indent && l->len + 1 < sizeof(l->buf))
        append(l, " ", 1, 1);
}

/* End the last kept line with the ellipsis (and the hint): drop whole
 * words from its end until they fit; a single word too long is cut. */
static int end_with_ellipsis(char **line, bool utf8, int width, int start, const char *more)
{
    char tail[160];
    snprintf(tail, sizeof(tail), "%s%s", ui_text_ellipsis(utf8), more ? more : "");
    int tw = ui_text_cols(tail, utf8);
    char *s = *line;
    size_t len = strlen(s);
    while (len > (size_t)start && ui_text_cols(s, utf8) + tw > width) {
        char *sp = strrchr(s + start, ' ');
        if (!sp)
            break;
        while (sp > s + start && sp[-1] == ' ')
            sp--;
        *sp = '\0';
        len = strlen(s);
    }
    if (ui_text_cols(s, utf8) + tw > width) {
        char fit[UI_TEXT_LINE_MAX];
        int room = width - tw > 0 ? width - tw : 0;
        ui_text_fit(s, utf8, room, fit, sizeof(fit));
        len = strlen(fit);
        memcpy(s, fit, len + 1);
        scm_wipe(fit, sizeof(fit));
    }
    /* Lines live in secure memory (lines.c): a new one, not a realloc. */
    char *nl = ui_line_printf("%.*s%s", (int)len, s, tail);
    if (!nl)
        return SCM_E_NOMEM;
    ui_line_free(s);
    *line = nl;
    return SCM_OK;
}

int ui_text_wrap(const char *in, bool utf8, int width, int indent, size_t max, const char *more,
                 char ***lines, size_t *n, bool *cut)
{
    struct line l = {.len = 0};
    size_t first = *n;
    int rc = SCM_OK;
    if (cut)
        *cut = false;
    if (width < 1)
        width = 1;
    if (indent >= width)
        indent = 0;
    const char *p = in;
    bool cont = false; /* the line being built continues a wrapped one */
    while (*p && rc == SCM_OK) {
        if (*p == '\n') {
            rc = flush(&l, lines, n);
            cont = false;
            p++;
            continue;
        }
        /* The gap before the next word is kept inside a line (tables are
         * aligned with spaces) and dropped where the line breaks. */
        const char *gap = p;
        while (*p == ' ')
            p++;
        size_t gap_len = (size_t)(p - gap);
        if (!*p || *p == '\n')
            continue;
        const char *word = p;
        int wcols = 0, w;
        while (*p && *p != ' ' && *p != '\n') {
            p += char_at(p, utf8, &w);
            wcols += w;
        }
        size_t wlen = (size_t)(p - word);
        int gcols = (int)gap_len;
        if (l.words && l.cols + gcols + wcols > width) {
            rc = flush(&l, lines, n);
            cont = true;
            gcols = 0;
            gap_len = 0;
        }
        if (l.len == 0 && cont)
            indent_to(&l, indent);
        if (l.cols + gcols + wcols <= width) {
            append(&l, gap, gap_len, gcols);
            append(&l, word, wlen, wcols);
            l.words = true;
            continue;
        }
        /* A word longer than a whole line (a path, a hex string): split it
         * where the line ends, as a terminal would. */
        append(&l, gap, gap_len, gcols);
        for (const char *q = word; q < p && rc == SCM_OK;) {
            size_t cl = char_at(q, utf8, &w);
            if (l.words && l.cols + w > width) {
                rc = flush(&l, lines, n);
                cont = true;
                indent_to(&l, indent);
            }
            append(&l, q, cl, w);
            l.words = true;
            q += cl;
        }
    }
    if (rc == SCM_OK && (l.words || *n == first))
        rc = flush(&l, lines, n);
    /* The text may be a private object's (the viewer wraps it): no copy
     * stays on the stack. */
    scm_wipe(&l, sizeof(l));
    if (rc != SCM_OK || max == 0 || *n - first <= max)
        return rc;
    /* Too many lines: keep max, the last one ending with the ellipsis. */
    for (size_t i = first + max; i < *n; i++)
        ui_line_free((*lines)[i]);
    *n = first + max;
    if (cut)
        *cut = true;
    return end_with_ellipsis(&(*lines)[*n - 1], utf8, width, max > 1 ? indent : 0, more);
}

int ui_text_fit(const char *in, bool utf8, int width, char *out, size_t cap)
{
    size_t o = 0;
    int cols = 0;
    mbstate_t st;
    memset(&st, 0, sizeof(st));
    if (cap == 0)
        return 0;
    for (size_t i = 0; in[i] && width > cols;) {
        size_t len = 1;
        int w = 1;
        if (utf8 && (unsigned char)in[i] >= 0x80) {
            wchar_t wc;
            len = mbrtowc(&wc, in + i, strlen(in + i), &st);
            if (len == (size_t)-1 || len == (size_t)-2 || len == 0) {
                memset(&st, 0, sizeof(st));
                len = 1;
            } else {
                w = wcwidth(wc);
                if (w < 0)
                    w = 1;
            }
        }
        if (cols + w > width || o + len >= cap)
            break;
        memcpy(out + o, in + i, len);
        o += len;
        i += len;
        cols += w;
    }
    out[o] = '\0';
    return cols;
}

void ui_fmt_size(size_t n, char *out, size_t cap)
{
    if (n < 1024)
        snprintf(out, cap, "%zu B", n);
    else if (n < 1024 * 1024)
        snprintf(out, cap, "%.1f KiB", (double)n / 1024.0);
    else
        snprintf(out, cap, "%.1f MiB", (double)n / (1024.0 * 1024.0));
}

const char *ui_plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int ui_status_wrap(const char *msg, bool utf8, int width, char ***lines, size_t *n, bool *cut)
{
    *lines = NULL;
    *n = 0;
    return ui_text_wrap(msg, utf8, width, 0, UI_STATUS_ROWS, UI_STATUS_MORE, lines, n, cut);
}

/* Wider lines are hard to read; at 80 columns a dialog stays inside the
 * panes' borders. */
#define DIALOG_TEXT_MAX 64

int ui_text_dialog(const char *text, bool utf8, int cols, int rows, int min_w, char ***lines,
                   size_t *n, int *h, int *w)
{
    int tw = cols - 8 < DIALOG_TEXT_MAX ? cols - 8 : DIALOG_TEXT_MAX;
    /* Borders, the blank row and the buttons, a row of screen each side. */
    int max_lines = rows - 6;
    if (tw < 1)
        tw = 1;
    if (max_lines < 1)
        max_lines = 1;
    *lines = NULL;
    *n = 0;
    int rc = ui_text_wrap(text, utf8, tw, 0, (size_t)max_lines, NULL, lines, n, NULL);
    if (rc != SCM_OK)
        return rc;
    int need = min_w - 4;
    for (size_t i = 0; i < *n; i++) {
        int c = ui_text_cols((*lines)[i], utf8);
        if (c > need)
            need = c;
    }
    if (need > cols - 8 && cols - 8 > 0)
        need = cols - 8; /* buttons wider than the screen: they are clipped */
    *w = need + 4;
    *h = (int)*n + 4;
    return SCM_OK;
}

int ui_text_help(char **in, size_t n_in, bool utf8, int width, int indent, char ***lines, size_t *n)
{
    *lines = NULL;
    *n = 0;
    for (size_t i = 0; i < n_in; i++) {
        int rc = ui_text_wrap(in[i] ? in[i] : "", utf8, width, indent, 0, NULL, lines, n, NULL);
        if (rc != SCM_OK)
            return rc;
    }
    return SCM_OK;
}

size_t ui_text_backspace(char *buf, size_t len)
{
    size_t keep = len;
    while (keep > 0 && ((unsigned char)buf[keep - 1] & 0xC0) == 0x80)
        keep--;
    if (keep > 0)
        keep--;
    /* The field may hold a secret: what is dropped is wiped at once, not
     * left behind the new end until the buffer is freed. */
    scm_wipe(buf + keep, len - keep);
    buf[keep] = '\0';
    return keep;
}
