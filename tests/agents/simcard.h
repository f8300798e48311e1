/* A small in-process ISO 7816-4 card behind a struct scm_tx, standard
 * behaviour only: an MF/DF/EF tree, SELECT (FID, DF name, path), READ and
 * UPDATE BINARY (offset or SFI), CREATE/DELETE FILE with FCP templates,
 * VERIFY / CHANGE REFERENCE DATA on PIN 81 with a try counter, and access
 * conditions from compact security attributes (8C): 6982 until VERIFY.
 *
 * Fault hook: after N more APDUs the card is "pulled out": the (N+1)th
 * and every later APDU gets SCM_E_CARD_REMOVED until sim_reinsert. The
 * interrupted APDU itself is not executed, half-executed (an UPDATE
 * writes the first half of its data) or fully executed with the answer
 * lost, as chosen. The card's files survive, as on a real card. */
#ifndef SCMGR_TEST_SIMCARD_H
#define SCMGR_TEST_SIMCARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scmgr/reader.h"

enum sim_fault { SIM_FAULT_DROP, SIM_FAULT_TEAR, SIM_FAULT_LOST };

struct simcard;

/* A blank card: only the MF, PIN "1234" with 3 tries, capacity bytes of
 * EF space. */
struct simcard *sim_new(size_t capacity, bool extended);
void sim_free(struct simcard *s);
struct scm_tx *sim_tx(struct simcard *s);
void sim_fail_after(struct simcard *s, long n, enum sim_fault how);
/* Power cycle: security status cleared, MF selected, the fault cleared. */
void sim_reinsert(struct simcard *s);
unsigned long sim_apdus(const struct simcard *s);
/* Was the card pulled out (by the fault hook) since the last reinsert? */
bool sim_pulled(const struct simcard *s);
/* The bytes of a file by path from the MF (FIDs, MF left out), for tests
 * that damage a card; NULL if there is no such EF. */
uint8_t *sim_file(struct simcard *s, const uint16_t *path, size_t n, size_t *size);
/* Number of files (DFs and EFs, the MF excluded). */
size_t sim_file_count(const struct simcard *s);

#endif
