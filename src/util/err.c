/* One error space for the whole program, and its sentences. */
#include <stdio.h>
#include <string.h>

#include "scmgr/util.h"

struct err_row {
    int code;
    int exit_code;
    const char *text;
};

/* Exit codes (README, "Exit codes"): 0 ok, 1 other, 2 usage, 3 wrong
 * password or PIN, 4 corrupt or invalid file, 5 no such card/VSC/reader,
 * 6 VSC disabled. */
static const struct err_row rows[] = {
    {SCM_OK, 0, "Success."},
    {SCM_E_GENERIC, 1, "Something went wrong."},
    {SCM_E_NOMEM, 1, "Out of memory."},
    {SCM_E_INVAL, 2, "Invalid argument."},
    {SCM_E_IO, 1, "A file could not be read or written."},
    {SCM_E_NOT_SUPPORTED, 1, "This card does not support that operation."},
    {SCM_E_CANCELLED, 1, "Cancelled."},
    {SCM_E_CONFIG, 1, "A configuration file is not valid."},
    {SCM_E_POLICY, 1, "The security policy does not allow this."},
    {SCM_E_LIMIT, 1, "A limit of the VSC format was exceeded."},
    {SCM_E_EXISTS, 1, "An object with this label already exists."},
    {SCM_E_NOT_FOUND, 5, "No such object."},
    {SCM_E_PW_MISMATCH, 2, "The two passwords do not match."},
    {SCM_E_PW_WEAK, 2, "The password is too short for the security policy."},
    {SCM_E_CRYPTO, 1, "The cryptographic library reported an error."},
    {SCM_E_USAGE, 2, "Invalid command line."},
    {SCM_E_NO_TTY, 2, "No terminal to ask for the secret: use --password-fd, --pin-fd or --admin-fd."},
    {SCM_E_BAD_LABEL, 2, "The label is empty, too long or not valid UTF-8."},
    {SCM_E_AMBIGUOUS, 2, "The name matches more than one item."},
    {SCM_E_TIMEOUT, 1, "Nothing arrived in time."},

    {SCM_E_VSC_NOT_FOUND, 5, "No such virtual smart card."},
    {SCM_E_VSC_EXISTS, 1, "A virtual smart card with this identifier already exists."},
    {SCM_E_BAD_PASSWORD, 3, "Wrong password."},
    {SCM_E_VSC_CORRUPT, 4, "The VSC file is damaged."},
    {SCM_E_VSC_VERSION, 4, "The VSC file was written by a newer, incompatible version of scmgr."},
    {SCM_E_VSC_TAMPERED, 4, "The VSC file was changed by someone without the password."},
    {SCM_E_VSC_DISABLED, 6, "The virtual smart card is disabled: enable it first."},
    {SCM_E_VSC_LOCKED, 3, "The private area is locked: the password is needed."},
    {SCM_E_VSC_BUSY, 1, "The virtual smart card is in use by another scmgr."},
    {SCM_E_VSC_CONFLICT, 1,
     "Another program saved this virtual smart card in the meantime: open it again and repeat."},
    {SCM_E_KDF_TOO_WEAK, 4,
     "The VSC file was made with too few PBKDF2 iterations for the security policy."},
    {SCM_E_SECRET_AREA, 1, "Keys in the secret key area are never released."},
    {SCM_E_BAD_UID, 2,
     "The identifier must be 1 to 32 letters, digits, dots, dashes or underscores."},
    {SCM_E_VSC_READBACK, 1, "The saved file did not read back correctly; the previous version is kept."},
    {SCM_E_VSC_UNSAVED, 1, "The virtual smart card has unsaved changes: save it first."},

    {SCM_E_NO_SERVICE, 1, "No PC/SC service is running (pcscd)."},
    {SCM_E_NO_READER, 5, "No such smart card reader."},
    {SCM_E_NO_CARD, 5, "There is no card in the reader."},
    {SCM_E_CARD_REMOVED, 1, "The card was removed."},
    {SCM_E_CARD_RESET, 1, "The card was reset by another program: try again."},
    {SCM_E_CARD_BUSY, 1, "The card is in exclusive use by another program."},
    {SCM_E_CARD_MUTE, 1, "The card does not answer: take it out and insert it again."},
    {SCM_E_TRANSMIT, 1, "Communication with the card failed; it may have been taken out."},
    {SCM_E_PCSC, 1, "The PC/SC service reported an error."},
    {SCM_E_CARD_TIMEOUT, 1, "The card did not answer in time; the command was cancelled."},

    {SCM_E_NO_AGENT, 1, "No card agent knows this card."},
    {SCM_E_BAD_PIN, 3, "Wrong PIN."},
    {SCM_E_PIN_BLOCKED, 3, "The PIN is blocked."},
    {SCM_E_PIN_LAST_TRY, 3,
     "Only one PIN try is left: confirm to use it (--force-last-try on the command line)."},
    {SCM_E_CARD_LOCKED, 3, "The private area of the card is locked: the PIN is needed."},
    {SCM_E_CARD_FULL, 1, "The card has no room left for this object."},
    {SCM_E_CARD_REFUSED, 1, "The card refused the command."},
    {SCM_E_CARD_LAYOUT, 4, "The card's object index is damaged."},
    {SCM_E_CARD_BLANK, 1, "The card carries no scmgr objects yet: initialise it with 'scmgr card init'."},
    {SCM_E_NOT_EXPORTABLE, 1, "This key cannot be copied: the card never releases private keys."},
    {SCM_E_BAD_PIN_FORMAT, 2, "The PIN must be 4 to 16 characters."},
};

static const struct err_row *find_row(int err)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].code == err)
            return &rows[i];
    return NULL;
}

const char *scm_strerror(int err)
{
    const struct err_row *r = find_row(err);
    if (r)
        return r->text;
    return err > 0 ? "Success." : "Unknown error.";
}

int scm_exit_code(int err)
{
    const struct err_row *r = find_row(err);
    if (r)
        return r->exit_code;
    return err >= 0 ? 0 : 1;
}

int scm_fail(struct scm_detail *d, int err, const char *fmt, ...)
{
    if (d) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->text, sizeof(d->text), fmt, ap);
        va_end(ap);
    }
    return err;
}

int scm_fail_because(struct scm_detail *d, int err, const char *what)
{
    const char *why = scm_strerror(err);
    if (d) {
        /* "Sending the PIN failed: the card was removed." - the error's
         * sentence becomes the clause after the colon. */
        int n = snprintf(d->text, sizeof(d->text), "%s: %s", what, why);
        size_t at = strlen(what) + 2;
        if (n > 0 && at < sizeof(d->text) && d->text[at] >= 'A' && d->text[at] <= 'Z' &&
            !(d->text[at + 1] >= 'A' && d->text[at + 1] <= 'Z'))
            d->text[at] = (char)(d->text[at] - 'A' + 'a');
    }
    return err;
}
