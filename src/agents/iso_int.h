/* Private to the ISO 7816-4 agent (src/agents/iso*.c): the layout's
 * constants (doc/card-layout.md), the index and card-info codecs
 * (iso_index.c, fuzzable alone) and the standard commands (iso_cmd.c). */
#ifndef SCMGR_ISO_INT_H
#define SCMGR_ISO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iso.h"
#include "scmgr/agent.h"

/* ---- Layout version 1 ---------------------------------------------------- */
#define ISO_AID_BYTES 0xF0, 0x53, 0x43, 0x4D, 0x47, 0x52, 0x01
#define ISO_AID_LEN 7
#define ISO_FID_MF 0x3F00
#define ISO_FID_APP 0x5C00
#define ISO_FID_PUB 0x5C01
#define ISO_FID_PRIV 0x5C02
#define ISO_FID_INFO 0x5C10
#define ISO_FID_INDEX_A 0x5C11 /* slot 0 */
#define ISO_FID_INDEX_B 0x5C12 /* slot 1 */
#define ISO_SFI_INDEX_A 1
#define ISO_SFI_INDEX_B 2
#define ISO_SFI_INFO 3
#define ISO_INFO_SIZE 256
#define ISO_INDEX_SIZE 4096
#define ISO_FID_OBJ_FIRST 0x6001
#define ISO_FID_OBJ_LAST 0x6FFE
/* READ/UPDATE BINARY carry a 15-bit offset in P1-P2. */
#define ISO_OBJ_SIZE_MAX 0x7FFF
#define ISO_PIN_REF 0x81
#define ISO_PIN_MIN 4
#define ISO_PIN_MAX 16
#define ISO_LAYOUT_VERSION 1

#define ISO_FLAG_NOT_EXPORTABLE 0x01
#define ISO_TYPE_TRASH 0

/* ---- The object index ---------------------------------------------------- */
struct iso_entry {
    uint8_t type; /* enum scm_obj_type, or ISO_TYPE_TRASH */
    uint8_t area; /* enum scm_area */
    uint8_t flags;
    uint16_t fid;
    uint32_t size;
    uint32_t crc;
    char label[SCM_OBJ_LABEL_MAX + 1];
    bool gone; /* trash already deleted in this session (not encoded) */
};

struct iso_index {
    uint32_t generation;
    size_t n;
    size_t cap;
    struct iso_entry *e;
};

uint32_t scm_iso_crc32(const uint8_t *p, size_t n);

/* The DF (5C01 or 5C02) holding an area's EFs. */
uint16_t scm_iso_area_df(uint8_t area);

/* The total length an index in buf claims (header only): SCM_OK,
 * SCM_E_NOT_FOUND for an empty slot (no magic), SCM_E_CARD_LAYOUT for a
 * header that cannot be right. Needs 8 bytes. */
int scm_iso_index_peek(const uint8_t *buf, size_t len, size_t *total);
/* Decode and check a whole index: SCM_E_NOT_FOUND (empty slot),
 * SCM_E_CARD_LAYOUT (damaged; d says how), SCM_E_NOMEM. On success *out
 * owns its entries (scm_iso_index_free). */
int scm_iso_index_decode(const uint8_t *buf, size_t len, struct iso_index *out,
                         struct scm_detail *d);
/* Encode into buf (cap bytes). SCM_E_CARD_FULL when it does not fit. */
int scm_iso_index_encode(const struct iso_index *ix, uint8_t *buf, size_t cap, size_t *len);
void scm_iso_index_free(struct iso_index *ix);
int scm_iso_index_copy(struct iso_index *dst, const struct iso_index *src);
int scm_iso_index_append(struct iso_index *ix, const struct iso_entry *e);
void scm_iso_index_drop(struct iso_index *ix, size_t i);
/* The live entry with this label, or -1. */
long scm_iso_index_find(const struct iso_index *ix, const char *label);

/* ---- Card info ----------------------------------------------------------- */
struct iso_cardinfo {
    char label[SCM_VSC_LABEL_MAX + 1];
    char serial[64];
    uint8_t version;
};
int scm_iso_info_decode(const uint8_t *buf, size_t len, struct iso_cardinfo *out);
int scm_iso_info_encode(const struct iso_cardinfo *ci, uint8_t *buf, size_t cap, size_t *len);

/* ---- The layout's commands (iso_cmd.c; the rest is iso.h) ----------------- */
int scm_iso_select_scm(struct scm_tx *tx, uint16_t *sw);

/* FCP templates of layout version 1 (doc/card-layout.md). */
enum iso_fcp_kind { ISO_FCP_APP, ISO_FCP_AREA_DF, ISO_FCP_META_EF, ISO_FCP_OBJ };
size_t scm_iso_fcp(enum iso_fcp_kind kind, uint16_t fid, uint8_t sfi, size_t size, uint8_t area,
                   uint8_t *out, size_t cap);


/* ---- The agent's state (iso7816.c, iso_write.c, iso_init.c) -------------- */
struct iso_state {
    struct scm_tx *tx;
    bool blank;    /* no application, or one whose index was never written */
    bool stale;    /* an interrupted write: reload the index before using it */
    bool verified; /* the PIN was verified on this connection */
    int tries;     /* PIN tries left as last reported, -1 unknown */
    int slot;      /* index slot (0 = A, 1 = B) holding ix */
    struct iso_index ix;
    struct iso_cardinfo ci;
    bool ci_ok;
};

/* With the application selected: read the card info and both index slots
 * into st (blank when both slots are empty). */
int scm_iso_load(struct iso_state *st, struct scm_detail *d);
/* Before an operation: reload after an interrupted write; SCM_E_CARD_BLANK
 * on a card without a layout. */
int scm_iso_fresh(struct iso_state *st, struct scm_detail *d);
/* "3F00/5C00/5C01/6003" */
void scm_iso_obj_path(uint8_t area, uint16_t fid, char *out, size_t cap);
/* Validate a PIN's format (4..16 bytes, no NUL). */
int scm_iso_pin_ok(const char *pin, size_t len, struct scm_detail *d);

int scm_iso_write(void *state, const struct scm_obj_new *o, bool replace, struct scm_detail *d);
int scm_iso_remove(void *state, const char *label, struct scm_detail *d);
int scm_iso_init_card(struct scm_tx *tx, const struct scm_agent_init *p, struct scm_detail *d);

#endif
