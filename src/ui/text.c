/* Text from a card or a file on its way to the screen: sanitised (no
 * control or bidi characters can reach the terminal), reduced to ASCII
 * when the locale cannot show more, and cut to the columns available. */
#include "ui_int.h"

#include <stdio.h>
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
