/* Unit tests of configuration and policy loading. Every test runs in a
 * fresh directory that serves as HOME, with the environment cleared of
 * scmgr's variables and the system policy pointed into that directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scmgr/config.h"
#include "testutil.h"

struct fx {
    char *dir;
    char sys_policy[512];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (!f || !(f->dir = tu_mkdtemp()))
        return -1;
    setenv("HOME", f->dir, 1);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("XDG_DATA_HOME");
    unsetenv("SCMGR_POLICY");
    unsetenv("SCMGR_STORE");
    snprintf(f->sys_policy, sizeof(f->sys_policy), "%s/etc-policy.ini", f->dir);
    scm_config_test_set_system_policy(f->sys_policy);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    scm_config_test_set_system_policy(NULL);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Write text to DIR/name (creating DIR/sub directories as needed) and
 * return the path in a static buffer. */
static const char *put(struct fx *f, const char *name, const char *text)
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, 512, "%s/%s", f->dir, name);
    for (char *s = strchr(p + strlen(f->dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0700);
        *s = '/';
    }
    assert_int_equal(tu_write_file(p, (const uint8_t *)text, strlen(text)), 0);
    return p;
}

static int load(struct scm_config *cfg, const char *config, const char *policy, const char *store,
                struct scm_detail *d)
{
    struct scm_config_args a = {.config_path = config, .policy_path = policy, .store_dir = store};
    memset(d, 0, sizeof(*d));
    return scm_config_load(cfg, &a, d);
}

static void test_defaults(void **state)
{
    struct fx *f = *state;
    struct scm_policy pol;
    struct scm_config cfg;
    struct scm_detail d;
    char want[600];

    scm_policy_defaults(&pol);
    assert_int_equal(pol.min_password_len, 8);
    assert_int_equal(pol.kdf_min_iterations, SCM_KDF_FLOOR);
    assert_int_equal(pol.kdf_iterations, 0);
    assert_true(pol.allow_private_export);
    assert_true(pol.allow_export);
    assert_true(pol.allow_override);
    assert_false(pol.test_policy);
    assert_int_equal(pol.idle_timeout, 0);

    /* No files at all: defaults, store under ~/.local/share. */
    assert_int_equal(load(&cfg, NULL, NULL, NULL, &d), SCM_OK);
    snprintf(want, sizeof(want), "%s/.local/share/scmgr/vsc", f->dir);
    assert_string_equal(cfg.store_dir, want);
    assert_null(cfg.config_path);
    assert_null(cfg.policy_path);
    assert_null(cfg.theme);
    assert_false(cfg.store_fixed);
    assert_memory_equal(&cfg.policy, &pol, sizeof(pol));
    scm_config_free(&cfg);

    /* XDG_DATA_HOME moves it; a relative one is ignored (XDG spec). */
    setenv("XDG_DATA_HOME", "/xdg/data", 1);
    assert_int_equal(load(&cfg, NULL, NULL, NULL, &d), SCM_OK);
    assert_string_equal(cfg.store_dir, "/xdg/data/scmgr/vsc");
    scm_config_free(&cfg);
    setenv("XDG_DATA_HOME", "relative", 1);
    assert_int_equal(load(&cfg, NULL, NULL, NULL, &d), SCM_OK);
    assert_string_equal(cfg.store_dir, want);
    scm_config_free(&cfg);
}

static void test_user_file(void **state)
{
    struct fx *f = *state;
    struct scm_config cfg;
    struct scm_detail d;
    char want[600];

    /* The default place: ~/.config/scmgr/scmgr.ini. */
    put(f, ".config/scmgr/scmgr.ini", "[store]\npath = /srv/cards\n[ui]\ntheme = dark\n");
    assert_int_equal(load(&cfg, NULL, NULL, NULL, &d), SCM_OK);
    assert_string_equal(cfg.store_dir, "/srv/cards");
    assert_string_equal(cfg.theme, "dark");
    assert_non_null(cfg.config_path);
    assert_int_equal(cfg.io_timeout, 0); /* not given: the reader layer's default */
    scm_config_free(&cfg);

    /* [card] io_timeout: whole seconds from 1 to SCM_IO_TIMEOUT_MAX. */
    static const struct {
        const char *value;
        int rc;
        unsigned want;
    } tmo[] = {
        {"1", SCM_OK, 1},
        {"30", SCM_OK, 30},
        {"3600", SCM_OK, 3600},
        {"0", SCM_E_CONFIG, 0},
        {"3601", SCM_E_CONFIG, 0},
        {"-5", SCM_E_CONFIG, 0},
        {"2s", SCM_E_CONFIG, 0},
        {"", SCM_E_CONFIG, 0},
        {"99999999999999999999", SCM_E_CONFIG, 0},
    };
    for (size_t i = 0; i < sizeof(tmo) / sizeof(tmo[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), "[card]\nio_timeout = %s\n", tmo[i].value);
        const char *tp = put(f, "tmo.ini", text);
        assert_int_equal(load(&cfg, tp, NULL, NULL, &d), tmo[i].rc);
        if (tmo[i].rc == SCM_OK)
            assert_int_equal(cfg.io_timeout, tmo[i].want);
        else
            assert_non_null(strstr(d.text, "io_timeout must be a whole number from 1 to 3600"));
        scm_config_free(&cfg);
    }

    /* --config FILE instead; "~/" means HOME. */
    const char *p = put(f, "mine.ini", "; comment\n[store]\npath = ~/cards\n");
    assert_int_equal(load(&cfg, p, NULL, NULL, &d), SCM_OK);
    snprintf(want, sizeof(want), "%s/cards", f->dir);
    assert_string_equal(cfg.store_dir, want);
    assert_string_equal(cfg.config_path, p);
    assert_null(cfg.theme);
    scm_config_free(&cfg);

    /* An explicit file that does not exist is an error; the default one
     * missing is not. */
    snprintf(want, sizeof(want), "%s/nope.ini", f->dir);
    assert_int_equal(load(&cfg, want, NULL, NULL, &d), SCM_E_CONFIG);
    assert_non_null(strstr(d.text, want));
    assert_null(cfg.store_dir);
}

struct bad_case {
    const char *name;
    const char *text;
    bool policy;       /* load as --policy instead of --config */
    const char *words; /* must appear in the detail */
};

static const struct bad_case bad_cases[] = {
    {"syntax", "[store]\nthis is not ini\n", false, "line 2"},
    {"open section", "[store\npath=/x\n", false, "line 1"},
    {"unknown key", "[store]\npth = /x\n", false, "'pth'"},
    {"unknown section", "[stor]\npath = /x\n", false, "[stor]"},
    {"key outside section", "path = /x\n", false, "outside"},
    {"policy key in user file", "[policy]\nallow_export = no\n", false, "[policy]"},
    {"relative store", "[store]\npath = cards\n", false, "absolute"},
    {"bad boolean", "[policy]\nallow_export = maybe\n", true, "allow_export"},
    {"boolean prefix", "[policy]\nallow_export = yesss\n", true, "allow_export"},
    {"bad number", "[policy]\nmin_password_length = eight\n", true, "min_password_length"},
    {"negative number", "[policy]\nidle_timeout = -5\n", true, "idle_timeout"},
    {"number with junk", "[policy]\nkdf_iterations = 700000x\n", true, "kdf_iterations"},
    {"number too big", "[policy]\nkdf_iterations = 99999999999\n", true, "kdf_iterations"},
    {"zero length password", "[policy]\nmin_password_length = 0\n", true, "min_password_length"},
    {"unknown policy key", "[policy]\nkdf_iteration = 700000\n", true, "'kdf_iteration'"},
    {"floor without test policy", "[policy]\nkdf_min_iterations = 1000\n", true,
     "kdf_min_iterations below 600000 needs test_policy = yes"},
    {"floor with test_policy = no", "[policy]\ntest_policy = no\nkdf_min_iterations = 1000\n", true,
     "needs test_policy = yes"},
    {"iterations below floor", "[policy]\nkdf_iterations = 1000\n", true, "below the floor"},
    {"iterations below raised floor",
     "[policy]\nkdf_min_iterations = 900000\nkdf_iterations = 800000\n", true, "below the floor"},
    {"relative policy store", "[policy]\nstore = cards\n", true, "absolute"},
};

static void test_malformed(void **state)
{
    struct fx *f = *state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *t = &bad_cases[i];
        struct scm_config cfg;
        struct scm_detail d;
        const char *p = put(f, "bad.ini", t->text);
        int rc = t->policy ? load(&cfg, NULL, p, NULL, &d) : load(&cfg, p, NULL, NULL, &d);
        if (rc != SCM_E_CONFIG)
            fail_msg("case '%s': rc %d, want SCM_E_CONFIG", t->name, rc);
        if (!strstr(d.text, p) || !strstr(d.text, t->words))
            fail_msg("case '%s': detail '%s' lacks the file or '%s'", t->name, d.text, t->words);
        if (strchr(d.text, '\n'))
            fail_msg("case '%s': detail is not one line", t->name);
        assert_null(cfg.store_dir);
    }
}

static void test_policy(void **state)
{
    struct fx *f = *state;
    struct scm_config cfg;
    struct scm_detail d;

    /* The documented test policy, through SCMGR_POLICY. */
    char *tp = tu_data_path("test-policy.ini");
    setenv("SCMGR_POLICY", tp, 1);
    assert_int_equal(load(&cfg, NULL, NULL, NULL, &d), SCM_OK);
    assert_true(cfg.policy.test_policy);
    assert_int_equal(cfg.policy.kdf_min_iterations, 1000);
    assert_int_equal(cfg.policy.kdf_iterations, 1000);
    assert_int_equal(cfg.policy.min_password_len, 4);
    assert_string_equal(cfg.policy_path, tp);
    scm_config_free(&cfg);
    unsetenv("SCMGR_POLICY");
    free(tp);

    /* Every key; --policy; keys are case-insensitive (iniparser). */
    const char *p = put(f, "pol.ini",
                        "[Policy]\nmin_password_length = 12\nkdf_min_iterations = 700000\n"
                        "KDF_ITERATIONS = 800000\nallow_private_export = no\n"
                        "allow_export = false\nallow_override = off\nidle_timeout = 300\n");
    assert_int_equal(load(&cfg, NULL, p, NULL, &d), SCM_OK);
    assert_int_equal(cfg.policy.min_password_len, 12);
    assert_int_equal(cfg.policy.kdf_min_iterations, 700000);
    assert_int_equal(cfg.policy.kdf_iterations, 800000);
    assert_false(cfg.policy.allow_private_export);
    assert_false(cfg.policy.allow_export);
    assert_false(cfg.policy.allow_override);
    assert_false(cfg.policy.test_policy);
    assert_int_equal(cfg.policy.idle_timeout, 300);
    scm_config_free(&cfg);

    /* The system policy is read when nothing replaces it. */
    put(f, "etc-policy.ini", "[policy]\nmin_password_length = 10\n");
    assert_int_equal(load(&cfg, NULL, NULL, NULL, &d), SCM_OK);
    assert_int_equal(cfg.policy.min_password_len, 10);
    assert_string_equal(cfg.policy_path, f->sys_policy);
    scm_config_free(&cfg);

    /* --policy replaces it as a whole (allowed by default). */
    p = put(f, "other.ini", "[policy]\nidle_timeout = 5\n");
    assert_int_equal(load(&cfg, NULL, p, NULL, &d), SCM_OK);
    assert_int_equal(cfg.policy.min_password_len, 8);
    assert_int_equal(cfg.policy.idle_timeout, 5);
    scm_config_free(&cfg);
}

static void test_allow_override_no(void **state)
{
    struct fx *f = *state;
    struct scm_config cfg;
    struct scm_detail d;
    put(f, "etc-policy.ini", "[policy]\nallow_override = no\nmin_password_length = 10\n");
    const char *p = put(f, "weak.ini", "[policy]\nmin_password_length = 1\n");

    assert_int_equal(load(&cfg, NULL, p, NULL, &d), SCM_E_POLICY);
    assert_non_null(strstr(d.text, f->sys_policy));
    assert_non_null(strstr(d.text, "--policy"));

    setenv("SCMGR_POLICY", p, 1);
    assert_int_equal(load(&cfg, NULL, NULL, NULL, &d), SCM_E_POLICY);
    assert_non_null(strstr(d.text, "SCMGR_POLICY"));
    unsetenv("SCMGR_POLICY");

    /* Without a replacement the system policy applies. */
    assert_int_equal(load(&cfg, NULL, NULL, NULL, &d), SCM_OK);
    assert_int_equal(cfg.policy.min_password_len, 10);
    assert_false(cfg.policy.allow_override);
    scm_config_free(&cfg);

    /* A broken system policy is reported even when --policy is given. */
    put(f, "etc-policy.ini", "[policy]\nallow_override = perhaps\n");
    assert_int_equal(load(&cfg, NULL, p, NULL, &d), SCM_E_CONFIG);
    assert_non_null(strstr(d.text, f->sys_policy));
}

static void test_store_precedence(void **state)
{
    struct fx *f = *state;
    struct scm_config cfg;
    struct scm_detail d;

    put(f, ".config/scmgr/scmgr.ini", "[store]\npath = /from/user\n");
    assert_int_equal(load(&cfg, NULL, NULL, NULL, &d), SCM_OK);
    assert_string_equal(cfg.store_dir, "/from/user");
    scm_config_free(&cfg);

    setenv("SCMGR_STORE", "/from/env", 1);
    assert_int_equal(load(&cfg, NULL, NULL, NULL, &d), SCM_OK);
    assert_string_equal(cfg.store_dir, "/from/env");
    scm_config_free(&cfg);

    assert_int_equal(load(&cfg, NULL, NULL, "/from/arg", &d), SCM_OK);
    assert_string_equal(cfg.store_dir, "/from/arg");
    scm_config_free(&cfg);

    /* A policy that fixes the store wins over the user's file, and refuses
     * a different one from the environment or the command line. */
    unsetenv("SCMGR_STORE");
    const char *p = put(f, "fixed.ini", "[policy]\nstore = /fixed\n");
    assert_int_equal(load(&cfg, NULL, p, NULL, &d), SCM_OK);
    assert_string_equal(cfg.store_dir, "/fixed");
    assert_true(cfg.store_fixed);
    scm_config_free(&cfg);

    assert_int_equal(load(&cfg, NULL, p, "/fixed", &d), SCM_OK);
    scm_config_free(&cfg);

    assert_int_equal(load(&cfg, NULL, p, "/elsewhere", &d), SCM_E_POLICY);
    assert_non_null(strstr(d.text, "--store"));
    setenv("SCMGR_STORE", "/from/env", 1);
    assert_int_equal(load(&cfg, NULL, p, NULL, &d), SCM_E_POLICY);
    assert_non_null(strstr(d.text, "SCMGR_STORE"));
    unsetenv("SCMGR_STORE");
}

static void test_free_twice(void **state)
{
    (void)state;
    struct scm_config cfg;
    struct scm_detail d;
    assert_int_equal(load(&cfg, NULL, NULL, NULL, &d), SCM_OK);
    scm_config_free(&cfg);
    scm_config_free(&cfg);
    scm_config_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allow_override_no, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_twice, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
