/* The VSC half of the slot listing: every VSC as a "VSC <UID>" slot after
 * the readers, disabled ones as empty slots, broken files with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "scmgr/card.h"

static char dir[] = "/tmp/scmgr-slots-XXXXXX";

static void test_vsc_slots(void **state)
{
    struct scm_policy pol;
    struct scm_store *st;
    struct scm_vsc *v;
    struct scm_slots *s;
    const struct scm_slot *sl;
    size_t n;
    int pe;
    char path[256];
    (void)state;
    scm_policy_defaults(&pol);
    pol.kdf_min_iterations = pol.kdf_iterations = 1000;
    pol.min_password_len = 4;
    pol.test_policy = true;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(scm_store_open(dir, &pol, &st, NULL), SCM_OK);
    struct scm_card_ctx ctx = {.store = st, .policy = &pol, .readers = NULL};
    assert_int_equal(scm_slots_new(&s), SCM_OK);

    assert_int_equal(scm_slots_list(s, &ctx, &sl, &n, &pe, NULL), SCM_OK);
    assert_int_equal(n, 0);

    assert_int_equal(scm_vsc_create(st, "00001079", NULL, NULL, "pass", 4, &v, NULL), SCM_OK);
    scm_vsc_close(v);
    assert_int_equal(scm_vsc_create(st, "42", "Old card", NULL, "pass", 4, &v, NULL), SCM_OK);
    assert_int_equal(scm_vsc_disable(v, NULL), SCM_OK);
    scm_vsc_close(v);
    snprintf(path, sizeof(path), "%s/77.vsc", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a VSC", f);
    fclose(f);
    /* An intact header on a file cut short: the Readers pane shows it broken,
     * with the sentence, without reading it whole. */
    assert_int_equal(scm_vsc_create(st, "55", NULL, NULL, "pass", 4, &v, NULL), SCM_OK);
    scm_vsc_close(v);
    snprintf(path, sizeof(path), "%s/55.vsc", dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(truncate(path, sb.st_size - 1), 0);

    assert_int_equal(scm_slots_list(s, &ctx, &sl, &n, &pe, NULL), SCM_OK);
    assert_int_equal(pe, SCM_OK);
    assert_int_equal(n, 4);
    /* sorted by UID */
    assert_string_equal(sl[0].name, "vsc:00001079");
    assert_string_equal(sl[0].title, "VSC 00001079");
    assert_int_equal(sl[0].kind, SCM_CARD_VSC);
    assert_int_equal(sl[0].state, SCM_SLOT_CARD);
    assert_false(sl[0].disabled);
    assert_string_equal(sl[0].label, "VSC 00001079");
    assert_string_equal(sl[1].name, "vsc:42");
    assert_true(sl[1].disabled);
    assert_int_equal(sl[1].state, SCM_SLOT_EMPTY);
    assert_string_equal(sl[1].label, "Old card");
    assert_string_equal(sl[2].name, "vsc:55");
    assert_int_equal(sl[2].state, SCM_SLOT_BROKEN);
    char want[600];
    snprintf(want, sizeof(want), "%s: the file is truncated (expected %lld bytes, found %lld)",
             path, (long long)sb.st_size, (long long)sb.st_size - 1);
    assert_string_equal(sl[2].why, want);
    assert_string_equal(sl[3].name, "vsc:77");
    assert_int_equal(sl[3].state, SCM_SLOT_BROKEN);
    assert_true(sl[3].why[0] != '\0');

    scm_slots_free(s);
    scm_store_close(st);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_vsc_slots)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
