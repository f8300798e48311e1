/* scmgr — configuration and policy (iniparser).
 *
 * Sources, later ones winning:
 *   1. built-in defaults;
 *   2. the user's file: --config FILE, else $XDG_CONFIG_HOME/scmgr/scmgr.ini
 *      (default ~/.config/scmgr/scmgr.ini); missing is fine;
 *   3. the policy: --policy FILE, else $SCMGR_POLICY, else /etc/scmgr/policy.ini;
 *      missing is fine. Policy keys win over the user's.
 * The store directory is then overridden by $SCMGR_STORE and --store DIR,
 * unless the policy fixes it (policy key `store`).
 * A malformed file is an error (SCM_E_CONFIG) with a sentence naming it. */
#ifndef SCMGR_CONFIG_H
#define SCMGR_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "scmgr/util.h"

/* The PBKDF2 iteration floor. Only a policy file that declares
 * `test_policy = yes` may go below it (documented in doc/vsc-format.md). */
#define SCM_KDF_FLOOR 600000u
/* Target time of the calibrated PBKDF2 default on the creating machine. */
#define SCM_KDF_TARGET_MS 500u

/* The longest [card] io_timeout; the default is SCM_IO_TIMEOUT_DEFAULT. */
#define SCM_IO_TIMEOUT_DEFAULT 30u
#define SCM_IO_TIMEOUT_MAX 3600u

struct scm_policy {
    unsigned min_password_len;   /* default 8 */
    uint32_t kdf_min_iterations; /* refused below this when creating AND opening */
    uint32_t kdf_iterations;     /* 0: calibrate to SCM_KDF_TARGET_MS */
    bool allow_private_export;   /* default true */
    bool allow_export;           /* default true; false hides Export */
    bool allow_override;         /* may --policy / SCMGR_POLICY replace /etc's? */
    bool test_policy;            /* declared test policy: may lower the floor */
    unsigned idle_timeout;       /* seconds, 0 = none (UI) */
};

struct scm_config {
    char *store_dir;   /* owned */
    char *theme;       /* owned, may be NULL */
    bool no_mouse;     /* [ui] mouse = no: the UI leaves the mouse to the terminal */
    char *config_path; /* the user file that was read, or NULL */
    char *policy_path; /* the policy file that was read, or NULL */
    bool store_fixed;  /* the policy fixed the store path */
    /* [card] io_timeout: seconds a card may take to answer one command
     * before it is given up (1 .. SCM_IO_TIMEOUT_MAX); 0 = the default. */
    unsigned io_timeout;
    struct scm_policy policy;
};

/* Command-line overrides; any member may be NULL. */
struct scm_config_args {
    const char *config_path;
    const char *policy_path;
    const char *store_dir;
};

/* Built-in defaults only (no files read). */
void scm_policy_defaults(struct scm_policy *pol);

/* Load configuration as described above. Reads the environment for
 * XDG_CONFIG_HOME, XDG_DATA_HOME, HOME, SCMGR_POLICY and SCMGR_STORE.
 * On error, cfg is left empty and d says which file and what is wrong. */
int scm_config_load(struct scm_config *cfg, const struct scm_config_args *args,
                    struct scm_detail *d);
void scm_config_free(struct scm_config *cfg);

/* ---- For tests only ------------------------------------------------------
 * Read the system policy from path instead of /etc/scmgr/policy.ini (NULL
 * restores it). Not an environment variable on purpose: whoever can set
 * the environment could otherwise escape `allow_override = no`. */
void scm_config_test_set_system_policy(const char *path);

#endif
