/* The small text rules of the format (names of areas and types: util/object.c). */
#include <string.h>

#include "vsc_int.h"

bool scm_vsc_uid_valid(const char *uid)
{
    if (!uid || !uid[0] || uid[0] == '.')
        return false;
    size_t n = 0;
    for (const char *p = uid; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok || n >= SCM_VSC_UID_MAX)
            return false;
    }
    return true;
}

/* Strict UTF-8: labels come back to C strings, so NUL is refused too. */
bool vsc_utf8_valid(const uint8_t *s, size_t len)
{
    for (size_t i = 0, n; i < len; i += n) {
        uint32_t cp;
        if (s[i] == 0 || (n = scm_utf8_decode(s + i, len - i, &cp)) == 0)
            return false;
    }
    return true;
}

/* Card paths are printable ASCII ("3F00/5C00/5C02/6003"). */
bool vsc_path_valid(const char *p, size_t len)
{
    if (len > SCM_SRC_PATH_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7E)
            return false;
    return true;
}
