/* Bytes as upper-case hex for display (ATRs in messages, JSON, the UI). */
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
