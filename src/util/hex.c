/* Bytes as upper-case hex for display (ATRs in messages, JSON, the UI),
 * and hex typed by a user (a management key) back into bytes. */
#include <string.h>

#include "scmgr/util.h"

size_t scm_hex(const uint8_t *b, size_t n, const char *sep, char *out, size_t cap)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t o = 0, sl = sep ? strlen(sep) : 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        size_t need = (i ? sl : 0) + 2;
        if (o + need >= cap)
            break;
        if (i && sl) {
            memcpy(out + o, sep, sl);
            o += sl;
        }
        out[o++] = digits[b[i] >> 4];
        out[o++] = digits[b[i] & 15];
    }
    out[o] = '\0';
    return o;
}

int scm_unhex_inplace(char *s, size_t len, size_t *out)
{
    size_t n = 0;
    int hi = -1;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        int v = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : -1;
        if (v < 0) {
            /* Separators as tools print keys ("01:02 03"), between pairs only. */
            if ((ch == ' ' || ch == ':') && hi < 0)
                continue;
            return SCM_E_BAD_PIN_FORMAT;
        }
        if (hi < 0) {
            hi = v;
        } else {
            s[n++] = (char)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0 || n == 0)
        return SCM_E_BAD_PIN_FORMAT;
    /* The rest of the buffer held hex digits of the secret: wipe them. */
    if (n < len)
        scm_wipe(s + n, len - n);
    *out = n;
    return SCM_OK;
}
