/* Fuzz target for the VSC parser: the consistency check and, when the
 * structure survives, the unlock path.
 *
 * Random bytes almost never carry valid SHA-256 checksums, so a fuzzer
 * would only ever exercise the first few checks. When the input is long
 * enough, the target rewrites both checksums (header and file, layout in
 * doc/vsc-format.md) before parsing, so the TLV, structure and area
 * parsers behind them get fuzzed too. The MACs still need the key: those
 * paths are reached with the corpus files made under the test password. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "scmgr/vsc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fix_checksums(uint8_t *b, size_t n)
{
    if (n < 16 + 64 + 32)
        return;
    uint32_t h = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
    if (h <= n - 16 - 64 - 32)
        gnutls_hash_fast(GNUTLS_DIG_SHA256, b, 16 + (size_t)h, b + 16 + h);
    gnutls_hash_fast(GNUTLS_DIG_SHA256, b, n - 32, b + n - 32);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scm_policy pol;
    struct scm_vsc *v = NULL;
    struct scm_detail d;
    char path[64];

    if (size > (4u << 20))
        return 0;
    scm_policy_defaults(&pol);
    pol.test_policy = true;
    pol.kdf_min_iterations = 1000;
    pol.kdf_iterations = 1000;

    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    /* Half of the inputs as they are, half with checksums repaired. */
    if (size && (data[size - 1] & 1))
        fix_checksums(buf, size);

    int fd = memfd_create("fuzz-vsc", MFD_CLOEXEC);
    if (fd < 0)
        goto out;
    if (size && write(fd, buf, size) != (ssize_t)size)
        goto out;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

    if (scm_vsc_open_file(path, &pol, &v, &d) == SCM_OK) {
        const struct scm_obj_info *objs;
        size_t n;
        scm_vsc_list(v, SCM_AREA_PUBLIC, &objs, &n);
        if (scm_vsc_unlock(v, "golden-password", 15, &d) == SCM_OK) {
            for (int a = 0; a < SCM_AREA_COUNT; a++) {
                if (scm_vsc_list(v, (enum scm_area)a, &objs, &n) != SCM_OK)
                    continue;
                for (size_t i = 0; i < n; i++) {
                    uint8_t *bytes;
                    size_t len;
                    if (scm_vsc_read(v, objs[i].id, &bytes, &len) == SCM_OK)
                        scm_secure_free(bytes, len);
                }
            }
        }
        scm_vsc_close(v);
    }
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    return 0;
}
