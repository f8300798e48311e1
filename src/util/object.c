/* The object model's names and derived views (include/scmgr/object.h). */
#include <string.h>

#include "scmgr/object.h"
#include "scmgr/util.h"

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

enum scm_obj_class scm_obj_type_class(enum scm_obj_type t)
{
    switch (t) {
    case SCM_OBJ_CERT:
        return SCM_CLASS_CERT;
    case SCM_OBJ_PRIVKEY:
        return SCM_CLASS_PRIVKEY;
    case SCM_OBJ_PUBKEY:
        return SCM_CLASS_PUBKEY;
    case SCM_OBJ_SECRETKEY:
        return SCM_CLASS_SECRETKEY;
    default:
        return SCM_CLASS_DATA;
    }
}

const char *scm_obj_class_name(enum scm_obj_class c)
{
    static const char *const names[] = {"data", "certificate", "public-key", "private-key",
                                        "secret-key"};
    if ((unsigned)c < sizeof(names) / sizeof(names[0]))
        return names[c];
    return "unknown";
}

const char *scm_key_alg_name(enum scm_key_alg a)
{
    static const char *const names[] = {"none",    "RSA",    "EC P-256", "EC P-384", "EC P-521",
                                        "Ed25519", "X25519", "3DES",     "AES"};
    if ((unsigned)a < sizeof(names) / sizeof(names[0]))
        return names[a];
    return "unknown";
}

const char *scm_cred_kind_name(enum scm_cred_kind k)
{
    switch (k) {
    case SCM_CRED_PIN:
        return "PIN";
    case SCM_CRED_PUK:
        return "PUK";
    case SCM_CRED_ADMIN:
        return "admin PIN";
    case SCM_CRED_MGMT_KEY:
        return "management key";
    case SCM_CRED_PASSWORD:
        return "password";
    }
    return "credential";
}

bool scm_obj_sealed(const struct scm_object *o)
{
    if (o->cls == SCM_CLASS_PRIVKEY || o->cls == SCM_CLASS_SECRETKEY)
        return !o->key.extractable || o->read_cred == SCM_CRED_NEVER;
    return o->read_cred == SCM_CRED_NEVER;
}

enum scm_area scm_obj_area(const struct scm_object *o)
{
    if (scm_obj_sealed(o))
        return SCM_AREA_SECRET;
    return o->read_cred == SCM_CRED_NONE ? SCM_AREA_PUBLIC : SCM_AREA_PRIVATE;
}
