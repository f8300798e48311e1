/* The object viewer's contents: text or a hex dump (certificates:
 * cert.c). Every line is sanitised when drawn, and lives in secure memory
 * until the viewer closes (lines.c). */
#include "ui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t ui_view_hex_per_row(int width)
{
    /* "offset(8)  " + 3 columns per byte + " " + 1 per byte: whole rows of
     * 16, 8 or 4 bytes, so that the ASCII column is never cut. */
    for (size_t per = 16; per > 4; per /= 2)
        if (11 + 4 * (int)per <= width)
            return per;
    return 4;
}

int ui_view_lines(const uint8_t *data, size_t len, bool hex, bool utf8, int width, char ***lines,
                  size_t *n)
{
    *lines = NULL;
    *n = 0;
    if (hex) {
        size_t per = ui_view_hex_per_row(width);
        for (size_t off = 0; off < len; off += per) {
            char h[16 * 3 + 1] = "", t[17] = "";
            for (size_t i = 0; i < per; i++) {
                if (off + i < len) {
                    uint8_t c = data[off + i];
                    snprintf(h + i * 3, 4, "%02x ", c);
                    t[i] = c >= 0x20 && c < 0x7f ? (char)c : '.';
                } else {
                    snprintf(h + i * 3, 4, "   ");
                    t[i] = ' ';
                }
            }
            t[per] = '\0';
            int rc = ui_lines_add(lines, n, "%08zx  %s %s", off, h, t);
            /* The object's bytes, on the stack: not left behind. */
            scm_wipe(h, sizeof(h));
            scm_wipe(t, sizeof(t));
            if (rc < 0)
                return SCM_E_NOMEM;
        }
        if (len == 0)
            ui_lines_add(lines, n, "%s", "(empty)");
        return SCM_OK;
    }
    /* Text: one line per line of the object; sanitising happens at draw
     * time, so control characters show as escapes rather than act. */
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || data[i] == '\n') {
            size_t l = i - start;
            if (l && data[start + l - 1] == '\r')
                l--;
            int rc = ui_lines_add_bytes(lines, n, data + start, l);
            if (rc < 0)
                return rc;
            start = i + 1;
        }
    }
    (void)utf8;
    return SCM_OK;
}
