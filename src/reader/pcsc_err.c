/* PC/SC return codes and status words as scmgr errors: the one place
 * where either is translated (reader.h). */
#include <stdio.h>
#include <string.h>

#include "pcsc_int.h"

struct pcsc_row {
    LONG rv;
    int err;
    /* A sentence the user can act on; %s is the reader ('name' or "the
     * reader"). */
    const char *text;
};

static const struct pcsc_row pcsc_rows[] = {
    {SCARD_S_SUCCESS, SCM_OK, "Success."},

    /* pcscd gone, stopping or restarted: the context is re-established by
     * the next call (scm_rd__ctx_ensure). */
    {SCARD_E_NO_SERVICE, SCM_E_NO_SERVICE,
     "The PC/SC service (pcscd) is not running: start it (systemctl start pcscd.socket)."},
    {SCARD_E_SERVICE_STOPPED, SCM_E_NO_SERVICE,
     "The PC/SC service (pcscd) stopped: start it again and retry."},
    {SCARD_P_SHUTDOWN, SCM_E_NO_SERVICE,
     "The PC/SC service (pcscd) is shutting down: start it again and retry."},
    {SCARD_E_INVALID_HANDLE, SCM_E_NO_SERVICE,
     "The PC/SC service (pcscd) was restarted while %s was in use: retry."},

    {SCARD_E_NO_READERS_AVAILABLE, SCM_E_NO_READER, "No smart card reader is connected."},
    {SCARD_E_UNKNOWN_READER, SCM_E_NO_READER,
     "The reader %s is not connected (any more): check it and list the readers again."},
    {SCARD_E_READER_UNAVAILABLE, SCM_E_NO_READER,
     "The reader %s is not available: unplug it and plug it in again."},
    {SCARD_E_READER_UNSUPPORTED, SCM_E_NO_READER, "The reader %s is not supported by pcscd."},
    {SCARD_E_DUPLICATE_READER, SCM_E_NO_READER, "The reader %s is listed twice by pcscd."},

    {SCARD_E_NO_SMARTCARD, SCM_E_NO_CARD, "There is no card in %s: insert one."},
    {SCARD_W_REMOVED_CARD, SCM_E_CARD_REMOVED,
     "The card was taken out of %s: insert it and repeat the operation."},
    {SCARD_W_RESET_CARD, SCM_E_CARD_RESET,
     "Another program reset the card in %s during the operation: repeat it."},
    {SCARD_E_SHARING_VIOLATION, SCM_E_CARD_BUSY,
     "Another program has exclusive use of the card in %s: close that program or wait, then "
     "retry."},

    {SCARD_W_UNRESPONSIVE_CARD, SCM_E_CARD_MUTE,
     "The card in %s does not answer: take it out and insert it again, the right way round."},
    {SCARD_W_UNPOWERED_CARD, SCM_E_CARD_MUTE,
     "The card in %s is not powered: take it out and insert it again."},
    {SCARD_E_INVALID_ATR, SCM_E_CARD_MUTE,
     "The card in %s answered with an invalid ATR: clean its contacts and insert it again."},
    {SCARD_W_UNSUPPORTED_CARD, SCM_E_CARD_MUTE,
     "The card in %s is not supported by the reader (wrong voltage or protocol)."},
    {SCARD_E_PROTO_MISMATCH, SCM_E_CARD_MUTE,
     "The card in %s speaks neither T=0 nor T=1: scmgr cannot talk to it."},
    {SCARD_E_CARD_UNSUPPORTED, SCM_E_CARD_MUTE, "The card in %s is not supported by the reader."},

    /* The exchange itself failed; after a removal pcscd may report these
     * before it notices the card is gone. */
    {SCARD_E_NOT_TRANSACTED, SCM_E_TRANSMIT,
     "The exchange with the card in %s failed: check that the card is still in the reader and "
     "retry."},
    {SCARD_F_COMM_ERROR, SCM_E_TRANSMIT,
     "Communication with %s failed: check its cable and retry."},
    {SCARD_E_COMM_DATA_LOST, SCM_E_TRANSMIT, "Data was lost on the way to the card in %s: retry."},
    {SCARD_F_WAITED_TOO_LONG, SCM_E_TRANSMIT, "The card in %s took too long to answer: retry."},
    {SCARD_E_TIMEOUT, SCM_E_TRANSMIT, "The reader %s did not answer in time: retry."},
    {SCARD_E_INSUFFICIENT_BUFFER, SCM_E_TRANSMIT,
     "The card in %s sent a longer answer than scmgr expected."},
    {SCARD_E_NOT_READY, SCM_E_TRANSMIT, "The reader %s is not ready: retry in a moment."},

    {SCARD_E_CANCELLED, SCM_E_CANCELLED, "Cancelled."},
    {SCARD_W_CANCELLED_BY_USER, SCM_E_CANCELLED, "Cancelled at the reader."},
    {SCARD_E_SYSTEM_CANCELLED, SCM_E_CANCELLED, "Cancelled by the system (logging off?)."},

    {SCARD_E_NO_MEMORY, SCM_E_NOMEM, "Out of memory."},
    {SCARD_E_SERVER_TOO_BUSY, SCM_E_PCSC,
     "The PC/SC service (pcscd) is too busy: close other smart card programs and retry."},
    {SCARD_E_NO_ACCESS, SCM_E_PCSC,
     "The PC/SC service (pcscd) denied access to %s: check its polkit rules."},
};

static const struct pcsc_row *pcsc_row(LONG rv)
{
    for (size_t i = 0; i < sizeof(pcsc_rows) / sizeof(pcsc_rows[0]); i++)
        if (pcsc_rows[i].rv == rv)
            return &pcsc_rows[i];
    return NULL;
}

int scm_rd_pcsc_err(long rv)
{
    const struct pcsc_row *r = pcsc_row((LONG)rv);
    return r ? r->err : SCM_E_PCSC;
}

bool scm_rd__service_lost(LONG rv)
{
    return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
           rv == SCARD_E_INVALID_HANDLE || rv == SCARD_P_SHUTDOWN;
}

int scm_rd__fail(struct scm_detail *d, LONG rv, const char *call, const char *reader)
{
    const struct pcsc_row *r = pcsc_row(rv);
    int err = r ? r->err : SCM_E_PCSC;
    scm_log(SCM_LOG_DEBUG, "pcsc: %s(%s) failed: %s (0x%08lX)", call, reader ? reader : "-",
            pcsc_stringify_error(rv), (unsigned long)rv);
    if (!d)
        return err;
    /* Reader names come from drivers: kept as they are here, like every
     * detail, and sanitised by whatever shows them. */
    char name[SCM_RD_NAME_MAX + 3] = "the reader";
    if (reader)
        snprintf(name, sizeof(name), "'%s'", reader);
    if (r) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(d->text, sizeof(d->text), r->text, name);
#pragma GCC diagnostic pop
    } else {
        snprintf(d->text, sizeof(d->text),
                 "The PC/SC service reported an error for %s: %s (0x%08lX).", name,
                 pcsc_stringify_error(rv), (unsigned long)rv);
    }
    return err;
}

/* ---- status words ---------------------------------------------------- */

int scm_sw_err(uint16_t sw)
{
    if (sw == 0x9000 || (sw & 0xFF00) == 0x6100)
        return SCM_OK;
    if ((sw & 0xFFF0) == 0x63C0)
        return SCM_E_BAD_PIN; /* x tries left */
    switch (sw) {
    case 0x6300: /* VERIFY: wrong, the card does not say how many tries are left */
        return SCM_E_BAD_PIN;
    case 0x6983: /* authentication method blocked */
        return SCM_E_PIN_BLOCKED;
    case 0x6982: /* security status not satisfied */
    case 0x6985: /* conditions of use not satisfied */
        return SCM_E_CARD_LOCKED;
    case 0x6A82: /* file or application not found */
        return SCM_E_NOT_FOUND;
    case 0x6A84: /* not enough memory space in the file */
        return SCM_E_CARD_FULL;
    default:
        return SCM_E_CARD_REFUSED;
    }
}
