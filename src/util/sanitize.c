/* Make text from a card or a file safe for a terminal (CWE-150). */
#include <stdio.h>
#include <string.h>

#include "scmgr/util.h"

size_t scm_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/* Characters that must never reach a terminal as themselves: they move
 * the cursor, start escape sequences or reorder what is shown. */
static int is_dangerous(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
           cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

size_t scm_sanitize(const char *in, size_t in_len, char *out, size_t max_out)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t o = 0;
    if (max_out == 0)
        return 0;
    for (size_t i = 0; i < in_len;) {
        uint32_t cp = 0;
        size_t n = scm_utf8_decode(s + i, in_len - i, &cp);
        char esc[16];
        const char *piece;
        size_t plen;
        if (n == 0) {
            snprintf(esc, sizeof(esc), "\\x%02X", s[i]);
            piece = esc, plen = 4, n = 1;
        } else if (is_dangerous(cp)) {
            if (cp < 0x100)
                plen = (size_t)snprintf(esc, sizeof(esc), "\\x%02X", (unsigned)cp);
            else
                plen = (size_t)snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)cp);
            piece = esc;
        } else if (cp == '\\') {
            /* Escape the escape character itself, so "\x1B" typed literally
             * cannot pass for a sanitised ESC. */
            piece = "\\\\", plen = 2;
        } else {
            piece = (const char *)s + i, plen = n;
        }
        if (o + plen >= max_out)
            break;
        memcpy(out + o, piece, plen);
        o += plen;
        i += n;
    }
    out[o] = '\0';
    return o;
}

bool scm_text_is_clean(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = scm_utf8_decode(u + i, len - i, &cp);
        if (n == 0 || is_dangerous(cp))
            return false;
        i += n;
    }
    return true;
}
