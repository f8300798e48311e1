/* Names of areas and object types, and the small text rules of the format. */
#include <string.h>

#include "vsc_int.h"

static const char *const area_names[SCM_AREA_COUNT] = {"public", "private", "secret"};

/* Indexed by enum scm_obj_type; 0 is not a type. */
static const char *const type_names[] = {
    NULL,   "certificate", "private-key", "public-key", "secret-key",
    "data", "business-card", "url",       "login",      "note",
};
#define TYPE_COUNT (sizeof(type_names) / sizeof(type_names[0]))

const char *scm_area_name(enum scm_area a)
{
    if ((unsigned)a < SCM_AREA_COUNT)
        return area_names[a];
    return "unknown";
}

int scm_area_parse(const char *name)
{
    if (!name)
        return SCM_E_INVAL;
    for (int i = 0; i < SCM_AREA_COUNT; i++)
        if (strcmp(name, area_names[i]) == 0)
            return i;
    return SCM_E_INVAL;
}

const char *scm_obj_type_name(enum scm_obj_type t)
{
    if ((unsigned)t > 0 && (unsigned)t < TYPE_COUNT)
        return type_names[t];
    return "unknown";
}

int scm_obj_type_parse(const char *name)
{
    if (!name)
        return SCM_E_INVAL;
    for (size_t i = 1; i < TYPE_COUNT; i++)
        if (strcmp(name, type_names[i]) == 0)
            return (int)i;
    return SCM_E_INVAL;
}

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
