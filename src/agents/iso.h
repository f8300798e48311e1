/* The ISO 7816-4/-9 commands every card agent starts from, built once
 * here as OpenSC's iso7816.c does for its drivers: SELECT, READ/UPDATE
 * BINARY with chunking, CREATE/DELETE FILE, GET/PUT DATA, VERIFY, CHANGE
 * REFERENCE DATA, RESET RETRY COUNTER, GENERAL AUTHENTICATE, and one
 * status-word table with a per-agent override.
 *
 * Each command returns SCM_OK when the card answered (the SW in *sw), or
 * the transport's error. Decisions on the SW are the caller's. Commands
 * whose data may exceed one short APDU are sent with extended length when
 * the card takes it, else as a command chain (the APDU layer does both).
 * Internal to src/agents. */
#ifndef SCMGR_AGENTS_ISO_H
#define SCMGR_AGENTS_ISO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scmgr/agent.h"

/* What a certificate's key is for, from its key usage extension
 * (cert_role.c): ANY when it has none or cannot be parsed. */
enum scm_cert_role { SCM_CERT_ANY = 0, SCM_CERT_AUTH, SCM_CERT_SIGN, SCM_CERT_DECRYPT };
enum scm_cert_role scm_cert_role(const uint8_t *der, size_t len);

/* The largest secret VERIFY, CHANGE and RESET RETRY COUNTER carry. */
#define SCM_ISO_SECRET_MAX 64
/* READ/UPDATE BINARY carry a 15-bit offset in P1-P2. */
#define SCM_ISO_OFFSET_MAX 0x7FFF

/* SELECT by DF name (P1=04). p2: 0x00 FCI, 0x04 FCP, 0x0C nothing. The
 * answer (FCI, an application template) goes to resp (may be NULL). */
int scm_iso_select_aid(struct scm_tx *tx, const uint8_t *aid, size_t len, uint8_t p2, uint8_t *resp,
                       size_t cap, size_t *got, uint16_t *sw);
int scm_iso_select_mf(struct scm_tx *tx, uint16_t *sw);
/* SELECT P1=08 (path from the MF, the MF itself left out), no answer. */
int scm_iso_select_path(struct scm_tx *tx, const uint16_t *fids, size_t n, uint16_t *sw);
/* One READ BINARY by SFI at offset 0 (an EF of the current DF). */
int scm_iso_read_sfi(struct scm_tx *tx, uint8_t sfi, uint8_t *buf, size_t want, size_t *got,
                     uint16_t *sw);
/* READ BINARY of the current EF from off until want bytes or a non-9000
 * SW (6282 with data counts as progress). */
int scm_iso_read_all(struct scm_tx *tx, size_t off, uint8_t *buf, size_t want, size_t *got,
                     uint16_t *sw);
/* UPDATE BINARY of the current EF from offset 0 in chunks; *done: bytes
 * confirmed with 9000 (for the caller's "what was written" sentence). */
int scm_iso_update_all(struct scm_tx *tx, const uint8_t *data, size_t len, bool sensitive,
                       size_t *done, uint16_t *sw);
int scm_iso_create(struct scm_tx *tx, const uint8_t *fcp, size_t len, uint16_t *sw);
/* DELETE FILE P1=00 of a child of the current DF. */
int scm_iso_delete(struct scm_tx *tx, uint16_t fid, uint16_t *sw);

/* GET DATA: INS CA with P1-P2 = tag (no data), or, with data (a tag list
 * such as PIV's 5C), the odd INS CB. The whole answer, 61xx followed. */
int scm_iso_get_data(struct scm_tx *tx, uint16_t p1p2, const uint8_t *data, size_t lc,
                     uint8_t *resp, size_t cap, size_t *got, uint16_t *sw);
/* PUT DATA: INS DA with P1-P2 = tag, or odd INS DB (odd true) whose data
 * carries the tag. sensitive: masked in the trace (a key, a private DO). */
int scm_iso_put_data(struct scm_tx *tx, bool odd, uint16_t p1p2, const uint8_t *data, size_t lc,
                     bool sensitive, uint16_t *sw);

/* VERIFY of reference ref (P1=00); secret NULL: the empty form that asks
 * for the tries left without spending one. The secret is never copied:
 * it goes into the APDU layer's command buffer, which wipes it. */
int scm_iso_verify(struct scm_tx *tx, uint8_t ref, const uint8_t *secret, size_t len,
                   uint16_t *sw);
/* VERIFY with P1=FF: forget a verification (OpenPGP 3.x, PIV). */
int scm_iso_unverify(struct scm_tx *tx, uint8_t ref, uint16_t *sw);
/* CHANGE REFERENCE DATA P1=00: old || new. */
int scm_iso_change(struct scm_tx *tx, uint8_t ref, const uint8_t *old, size_t oldlen,
                   const uint8_t *new_secret, size_t newlen, uint16_t *sw);
/* RESET RETRY COUNTER: P1 00 = unblock || new, 01 = unblock only, 02 = new
 * only (the admin verified before). */
int scm_iso_reset_retry(struct scm_tx *tx, uint8_t p1, uint8_t ref, const uint8_t *unblock,
                        size_t ulen, const uint8_t *new_secret, size_t newlen, uint16_t *sw);
/* GENERAL AUTHENTICATE (INS 87) with algorithm alg and key reference ref:
 * data a dynamic authentication template (7C), the answer likewise. */
int scm_iso_general_auth(struct scm_tx *tx, uint8_t alg, uint8_t ref, const uint8_t *data,
                         size_t lc, bool sensitive, uint8_t *resp, size_t cap, size_t *got,
                         uint16_t *sw);

/* A status word as an error: the agent's own map first (may be NULL),
 * then ISO 7816-4's meaning. 9000 is SCM_OK. */
int scm_iso_sw_err(uint16_t sw, const struct scm_sw_map *agent);
/* Tries left in a 63Cx answer, -1 if sw is not one. */
int scm_iso_sw_tries(uint16_t sw);
/* A failed step as a phrase for a detail sentence ("CREATE FILE answered
 * 6A84", "UPDATE BINARY: the card was removed"), and its error code. */
int scm_iso_step_err(int rc, uint16_t sw, const char *cmd, char *why, size_t cap);

/* ---- BER-TLV, as the data objects of PIV and OpenPGP cards use ------------- */
/* Find tag (1-3 bytes, e.g. 0x5FC1, 0x7F49, 0x53) among the TLVs of
 * buf[0..len) at this level; *val and *vlen: its value. SCM_E_NOT_FOUND,
 * SCM_E_CARD_LAYOUT when the encoding is broken. */
int scm_tlv_find(const uint8_t *buf, size_t len, uint32_t tag, const uint8_t **val, size_t *vlen);
/* Walk: the TLV at *pos; *pos moves past it. 0 at the end, 1 for one TLV,
 * SCM_E_CARD_LAYOUT when broken. */
int scm_tlv_next(const uint8_t *buf, size_t len, size_t *pos, uint32_t *tag, const uint8_t **val,
                 size_t *vlen);
/* Encode tag and length (DER lengths) at out; returns the header's
 * length, 0 if it does not fit in cap. */
size_t scm_tlv_head(uint32_t tag, size_t len, uint8_t *out, size_t cap);

#endif
