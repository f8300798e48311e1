/* Backup: where a real card's copy goes. The patent names the VSC by the
 * card's serial and records the card it came from. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "card_int.h"

int scm_card_backup_target(struct scm_card *real, char uid[SCM_VSC_UID_MAX + 1],
                           struct scm_vsc_source *src, struct scm_detail *d)
{
    struct scm_card_info ci;
    size_t k = 0;

    if (real->kind != SCM_CARD_REAL)
        return scm_fail(d, SCM_E_USAGE, "%s is not a real card.", real->name);
    scm_card_get_info(real, &ci);
    *src = ci.source;
    /* The UID is the card's serial; characters a file name should not
     * carry become '_'. */
    for (const char *p = ci.serial; *p && k < SCM_VSC_UID_MAX; p++) {
        unsigned char ch = (unsigned char)*p;
        bool ok = isalnum(ch) || ch == '-' || ch == '_' || (ch == '.' && k > 0);
        uid[k++] = ok ? (char)ch : '_';
    }
    uid[k] = '\0';
    if (!scm_vsc_uid_valid(uid))
        return scm_fail(d, SCM_E_BAD_UID,
                        "The card in '%s' has no usable serial number: give the VSC's "
                        "identifier with --to UID.",
                        real->name);
    return SCM_OK;
}
