/* Helpers shared by the unit tests. */
#ifndef SCMGR_TESTUTIL_H
#define SCMGR_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "scmgr/config.h"
#include "scmgr/vsc.h"

/* A fresh private directory under $TMPDIR (or /tmp); the caller frees the
 * string after tu_rmtree. */
char *tu_mkdtemp(void);
/* Remove a directory tree (best effort). */
void tu_rmtree(const char *dir);
/* The test policy: built-in defaults with the floor lowered as in
 * tests/data/test-policy.ini (1,000 iterations, passwords of 4+). */
void tu_test_policy(struct scm_policy *pol);
/* Read a whole file into a malloc'd buffer; NULL on error. */
uint8_t *tu_read_file(const char *path, size_t *len);
/* Write a whole file (0600, truncating); 0 on success. */
int tu_write_file(const char *path, const uint8_t *data, size_t len);
/* Path of a file under tests/data ($SCMGR_TEST_DATA); malloc'd. */
char *tu_data_path(const char *name);

/* The usual fixture: a fresh store in a private directory, under the test
 * policy. cmocka setup/teardown functions; *state is a struct tu_store. */
struct tu_store {
    char *dir;
    struct scm_policy pol;
    struct scm_store *st;
};
int tu_store_setup(void **state);
int tu_store_teardown(void **state);

#endif
