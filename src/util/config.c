/* Configuration and policy files (iniparser); rules in scmgr/config.h. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iniparser.h>

#include "scmgr/config.h"

#define SYSTEM_POLICY "/etc/scmgr/policy.ini"

/* Test hook (config.h): where the system policy lives. */
static const char *system_policy_path = SYSTEM_POLICY;

void scm_config_test_set_system_policy(const char *path)
{
    system_policy_path = path ? path : SYSTEM_POLICY;
}

/* The keys each kind of file may hold, as "section:key" the way iniparser
 * stores them (lower case). Anything else is a mistake worth reporting:
 * a misspelt policy key silently ignored would weaken the policy. */
static const char *const user_keys[] = {"store:path", "ui:theme", "ui:mouse", "card:io_timeout",
                                         NULL};
static const char *const policy_keys[] = {
    "policy:min_password_length",
    "policy:kdf_min_iterations",
    "policy:kdf_iterations",
    "policy:allow_private_export",
    "policy:allow_export",
    "policy:allow_override",
    "policy:test_policy",
    "policy:idle_timeout",
    "policy:store",
    NULL,
};

void scm_policy_defaults(struct scm_policy *pol)
{
    memset(pol, 0, sizeof(*pol));
    pol->min_password_len = 8;
    pol->kdf_min_iterations = SCM_KDF_FLOOR;
    pol->kdf_iterations = 0;
    pol->allow_private_export = true;
    pol->allow_export = true;
    pol->allow_override = true;
    pol->test_policy = false;
    pol->idle_timeout = 0;
}

void scm_config_free(struct scm_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->store_dir);
    free(cfg->theme);
    free(cfg->config_path);
    free(cfg->policy_path);
    memset(cfg, 0, sizeof(*cfg));
    scm_policy_defaults(&cfg->policy);
}

/* ---- Loading one file ---------------------------------------------------- */

/* iniparser reports syntax errors through a global callback (stderr by
 * default). We keep the first message to turn it into our own sentence;
 * a static is the only channel that callback offers. */
static char ini_error[256];

__attribute__((format(printf, 1, 2))) static int ini_capture(const char *fmt, ...)
{
    if (ini_error[0])
        return 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ini_error, sizeof(ini_error), fmt, ap);
    va_end(ap);
    return 0;
}

/* Load path into *out. Returns 1 when loaded, 0 when missing and
 * missing_ok, or a negative error with d filled in. */
static int ini_load(const char *path, bool missing_ok, dictionary **out, struct scm_detail *d)
{
    struct stat st;
    *out = NULL;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT && missing_ok)
            return 0;
        return scm_fail(d, SCM_E_CONFIG, "%s: the file cannot be read (%s).", path,
                        strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return scm_fail(d, SCM_E_CONFIG, "%s: not a regular file.", path);
    if (access(path, R_OK) != 0)
        return scm_fail(d, SCM_E_CONFIG, "%s: the file cannot be read (%s).", path,
                        strerror(errno));

    ini_error[0] = '\0';
    iniparser_set_error_callback(ini_capture);
    *out = iniparser_load(path);
    iniparser_set_error_callback(NULL);
    if (*out)
        return 1;
    /* "iniparser: syntax error in FILE (LINE):" - only the line is useful. */
    const char *lp = strrchr(ini_error, '(');
    int line = 0;
    if (strstr(ini_error, "syntax error") && lp && sscanf(lp, "(%d)", &line) == 1 && line > 0)
        return scm_fail(d, SCM_E_CONFIG, "%s: line %d is not valid INI syntax.", path, line);
    if (strstr(ini_error, "too long"))
        return scm_fail(d, SCM_E_CONFIG, "%s: a line is too long.", path);
    return scm_fail(d, SCM_E_CONFIG, "%s: the file is not a valid INI file.", path);
}

/* Every entry must be a known section or a known key. */
static int check_keys(const dictionary *ini, const char *path, const char *const *allowed,
                      struct scm_detail *d)
{
    for (ssize_t i = 0; i < ini->size; i++) {
        const char *key = ini->key[i];
        if (!key)
            continue;
        const char *colon = strchr(key, ':');
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++) {
            if (colon)
                ok = strcmp(*a, key) == 0;
            else /* a section header: fine if some allowed key lives in it */
                ok = strncmp(*a, key, strlen(key)) == 0 && (*a)[strlen(key)] == ':';
        }
        if (ok)
            continue;
        if (!colon)
            return scm_fail(d, SCM_E_CONFIG, "%s: unknown section [%s].", path, key);
        if (colon == key)
            return scm_fail(d, SCM_E_CONFIG, "%s: key '%s' is outside any section.", path,
                            colon + 1);
        return scm_fail(d, SCM_E_CONFIG, "%s: unknown key '%s' in section [%.*s].", path, colon + 1,
                        (int)(colon - key), key);
    }
    return SCM_OK;
}

static const char *ini_get(const dictionary *ini, const char *key)
{
    return iniparser_getstring(ini, key, NULL);
}

/* Strict parsers: iniparser_getboolean takes any word starting with 'y'
 * or 't', and getint silently gives 0 for garbage. */
static int get_bool(const dictionary *ini, const char *path, const char *key, bool *out,
                    struct scm_detail *d)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    const char *v = ini_get(ini, key);
    if (!v)
        return SCM_OK;
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return SCM_OK;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return SCM_OK;
        }
    }
    return scm_fail(d, SCM_E_CONFIG, "%s: %s must be yes or no, not '%s'.", path,
                    strchr(key, ':') + 1, v);
}

static int get_uint(const dictionary *ini, const char *path, const char *key, unsigned long min,
                    unsigned long max, unsigned long *out, struct scm_detail *d)
{
    const char *v = ini_get(ini, key);
    char *end;
    if (!v)
        return SCM_OK;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    /* strtoul accepts a sign and leading blanks: we want digits only. */
    if (*v < '0' || *v > '9' || *end || errno == ERANGE || n < min || n > max)
        return scm_fail(d, SCM_E_CONFIG, "%s: %s must be a whole number from %lu to %lu, not '%s'.",
                        path, strchr(key, ':') + 1, min, max, v);
    *out = n;
    return 1;
}

/* "~/x" means $HOME/x; anything else must be absolute, since a relative
 * store path would depend on the directory scmgr happens to run in. */
static int expand_path(const char *path, const char *value, const char *key, char **out,
                       struct scm_detail *d)
{
    *out = NULL;
    if (value[0] == '~' && value[1] == '/') {
        const char *home = getenv("HOME");
        if (!home || home[0] != '/')
            return scm_fail(d, SCM_E_CONFIG, "%s: %s starts with ~/ but HOME is not set.", path,
                            key);
        if (asprintf(out, "%s%s", home, value + 1) < 0) {
            *out = NULL;
            return SCM_E_NOMEM;
        }
        return SCM_OK;
    }
    if (value[0] != '/')
        return scm_fail(d, SCM_E_CONFIG, "%s: %s must be an absolute path, not '%s'.", path, key,
                        value);
    *out = strdup(value);
    return *out ? SCM_OK : SCM_E_NOMEM;
}

/* ---- The user's file ----------------------------------------------------- */

static int apply_user(struct scm_config *cfg, const dictionary *ini, const char *path,
                      struct scm_detail *d)
{
    int rc = check_keys(ini, path, user_keys, d);
    const char *v;
    if (rc < 0)
        return rc;
    if ((v = ini_get(ini, "store:path")) != NULL) {
        char *p;
        if ((rc = expand_path(path, v, "path", &p, d)) < 0)
            return rc;
        free(cfg->store_dir);
        cfg->store_dir = p;
    }
    if ((v = ini_get(ini, "ui:theme")) != NULL && *v) {
        free(cfg->theme);
        if (!(cfg->theme = strdup(v)))
            return SCM_E_NOMEM;
    }
    bool mouse = !cfg->no_mouse;
    if ((rc = get_bool(ini, path, "ui:mouse", &mouse, d)) < 0)
        return rc;
    cfg->no_mouse = !mouse;
    unsigned long n;
    if ((rc = get_uint(ini, path, "card:io_timeout", 1, SCM_IO_TIMEOUT_MAX, &n, d)) < 0)
        return rc;
    if (rc > 0)
        cfg->io_timeout = (unsigned)n;
    return SCM_OK;
}

/* ---- The policy ---------------------------------------------------------- */

static int apply_policy(struct scm_config *cfg, const dictionary *ini, const char *path,
                        struct scm_detail *d)
{
    struct scm_policy *pol = &cfg->policy;
    unsigned long n;
    int rc = check_keys(ini, path, policy_keys, d);
    if (rc < 0)
        return rc;

    /* Booleans first: test_policy decides what the numbers may be. */
    if ((rc = get_bool(ini, path, "policy:test_policy", &pol->test_policy, d)) < 0 ||
        (rc = get_bool(ini, path, "policy:allow_private_export", &pol->allow_private_export, d)) <
            0 ||
        (rc = get_bool(ini, path, "policy:allow_export", &pol->allow_export, d)) < 0 ||
        (rc = get_bool(ini, path, "policy:allow_override", &pol->allow_override, d)) < 0)
        return rc;

    if ((rc = get_uint(ini, path, "policy:min_password_length", 1, SCM_SECRET_MAX, &n, d)) < 0)
        return rc;
    if (rc > 0)
        pol->min_password_len = (unsigned)n;
    if ((rc = get_uint(ini, path, "policy:idle_timeout", 0, UINT_MAX, &n, d)) < 0)
        return rc;
    if (rc > 0)
        pol->idle_timeout = (unsigned)n;

    if ((rc = get_uint(ini, path, "policy:kdf_min_iterations", 1, UINT32_MAX, &n, d)) < 0)
        return rc;
    if (rc > 0) {
        if (n < SCM_KDF_FLOOR && !pol->test_policy)
            return scm_fail(d, SCM_E_CONFIG,
                            "%s: kdf_min_iterations below %u needs test_policy = yes.", path,
                            SCM_KDF_FLOOR);
        pol->kdf_min_iterations = (uint32_t)n;
    }
    if ((rc = get_uint(ini, path, "policy:kdf_iterations", 0, UINT32_MAX, &n, d)) < 0)
        return rc;
    if (rc > 0) {
        /* 0 keeps calibration, which never goes below the floor. */
        if (n != 0 && n < pol->kdf_min_iterations)
            return scm_fail(d, SCM_E_CONFIG,
                            "%s: kdf_iterations (%lu) is below the floor of %lu iterations.", path,
                            n, (unsigned long)pol->kdf_min_iterations);
        pol->kdf_iterations = (uint32_t)n;
    }

    const char *v = ini_get(ini, "policy:store");
    if (v) {
        char *p;
        if ((rc = expand_path(path, v, "store", &p, d)) < 0)
            return rc;
        free(cfg->store_dir);
        cfg->store_dir = p;
        cfg->store_fixed = true;
    }
    return SCM_OK;
}

/* Does the system policy forbid replacing it? Read on its own: this answer
 * must not depend on anything the user controls. */
static int system_forbids_override(const char *sys, bool *forbids, struct scm_detail *d)
{
    dictionary *ini = NULL;
    struct scm_config tmp;
    int rc;
    *forbids = false;
    memset(&tmp, 0, sizeof(tmp));
    scm_policy_defaults(&tmp.policy);
    rc = ini_load(sys, true, &ini, d);
    if (rc <= 0)
        goto out;
    rc = apply_policy(&tmp, ini, sys, d);
    if (rc < 0)
        goto out;
    *forbids = !tmp.policy.allow_override;
out:
    if (ini)
        iniparser_freedict(ini);
    scm_config_free(&tmp);
    return rc < 0 ? rc : SCM_OK;
}

/* ---- Putting it together --------------------------------------------------- */

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static const char *home_dir(void)
{
    const char *home = env_nonempty("HOME");
    if (home)
        return home;
    struct passwd *pw = getpwuid(getuid());
    return pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : NULL;
}

/* $XDG_x/scmgr/leaf, or ~/fallback/scmgr/leaf. The XDG spec says relative
 * values are to be ignored. */
static int xdg_path(const char *var, const char *fallback, const char *leaf, char **out,
                    struct scm_detail *d)
{
    const char *base = env_nonempty(var);
    int n;
    if (base && base[0] == '/') {
        n = asprintf(out, "%s/scmgr/%s", base, leaf);
    } else {
        const char *home = home_dir();
        if (!home)
            return scm_fail(d, SCM_E_CONFIG, "Neither %s nor HOME is set: use --store DIR.", var);
        n = asprintf(out, "%s/%s/scmgr/%s", home, fallback, leaf);
    }
    if (n < 0) {
        *out = NULL;
        return SCM_E_NOMEM;
    }
    return SCM_OK;
}

/* A store given by SCMGR_STORE or --store while the policy fixes the store:
 * refused rather than ignored, so that nobody believes data went where it
 * did not. */
static int store_override(struct scm_config *cfg, const char *dir, const char *what,
                          struct scm_detail *d)
{
    if (cfg->store_fixed) {
        if (strcmp(dir, cfg->store_dir) == 0)
            return SCM_OK;
        return scm_fail(d, SCM_E_POLICY,
                        "%s: the policy fixes the store at %s, so %s is not allowed.",
                        cfg->policy_path, cfg->store_dir, what);
    }
    char *p = strdup(dir);
    if (!p)
        return SCM_E_NOMEM;
    free(cfg->store_dir);
    cfg->store_dir = p;
    return SCM_OK;
}

int scm_config_load(struct scm_config *cfg, const struct scm_config_args *args,
                    struct scm_detail *d)
{
    static const struct scm_config_args no_args;
    dictionary *ini = NULL;
    char *user_path = NULL;
    const char *policy = NULL;
    const char *env_store;
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    scm_policy_defaults(&cfg->policy);
    if (!args)
        args = &no_args;

    rc = xdg_path("XDG_DATA_HOME", ".local/share", "vsc", &cfg->store_dir, d);
    if (rc < 0)
        goto out;

    /* 2. The user's file: an explicit one must exist. */
    if (args->config_path) {
        user_path = strdup(args->config_path);
        rc = user_path ? SCM_OK : SCM_E_NOMEM;
    } else {
        rc = xdg_path("XDG_CONFIG_HOME", ".config", "scmgr.ini", &user_path, d);
    }
    if (rc < 0)
        goto out;
    rc = ini_load(user_path, args->config_path == NULL, &ini, d);
    if (rc < 0)
        goto out;
    if (rc > 0) {
        if ((rc = apply_user(cfg, ini, user_path, d)) < 0)
            goto out;
        cfg->config_path = user_path;
        user_path = NULL;
        iniparser_freedict(ini);
        ini = NULL;
    }

    /* 3. The policy: a replacement needs the system's consent. */
    policy = args->policy_path ? args->policy_path : env_nonempty("SCMGR_POLICY");
    if (policy) {
        bool forbids;
        if ((rc = system_forbids_override(system_policy_path, &forbids, d)) < 0)
            goto out;
        if (forbids) {
            rc = scm_fail(d, SCM_E_POLICY,
                          "%s: the system policy does not allow another policy (%s from %s).",
                          system_policy_path, policy,
                          args->policy_path ? "--policy" : "SCMGR_POLICY");
            goto out;
        }
    }
    rc = ini_load(policy ? policy : system_policy_path, policy == NULL, &ini, d);
    if (rc < 0)
        goto out;
    if (rc > 0) {
        cfg->policy_path = strdup(policy ? policy : system_policy_path);
        if (!cfg->policy_path) {
            rc = SCM_E_NOMEM;
            goto out;
        }
        if ((rc = apply_policy(cfg, ini, cfg->policy_path, d)) < 0)
            goto out;
    }

    /* 4. The store from the environment, then the command line. */
    env_store = env_nonempty("SCMGR_STORE");
    if (env_store && (rc = store_override(cfg, env_store, "SCMGR_STORE", d)) < 0)
        goto out;
    if (args->store_dir && (rc = store_override(cfg, args->store_dir, "--store", d)) < 0)
        goto out;
    rc = SCM_OK;
out:
    if (ini)
        iniparser_freedict(ini);
    free(user_path);
    if (rc < 0)
        scm_config_free(cfg);
    return rc;
}
