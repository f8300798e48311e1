/* The PKCS#15 card agent (ISO/IEC 7816-15, as OpenSC's pkcs15-init lays
 * it out): the application found by its AID or through EF.DIR, its ODF,
 * TokenInfo and directory files (AODF, CDF, DODF, PrKDF, PuKDF) read with
 * the codec of p15_asn1.h; certificates, data objects and public keys
 * read from the EFs their entries name; private keys listed, never read;
 * the AODF's PIN objects as credentials, asked for their tries with an
 * empty VERIFY.
 *
 * Writes go into the layout the card has, never a new one: a new object
 * is a new EF under the application's DF (data), then its entry after the
 * last one of its directory file (index). The entry is written tail
 * first and its first byte last: until that byte turns the padding (00)
 * into a tag, every reader (OpenSC's too) sees the old list, so a card
 * pulled at any APDU shows the old objects or the new one, never a torn
 * index. A replace points the entry at a new EF by rewriting the two
 * bytes of its file ID in one APDU. doc/card-types.md maps the objects to
 * VSC objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "iso.h"
#include "p15_asn1.h"

static const uint8_t p15_aid[P15_AID_LEN] = {P15_AID_BYTES};

#define FILE_MAX SCM_ISO_OFFSET_MAX /* 15-bit offsets: the largest EF READ BINARY reaches */
#define FID_CERT 0x3400             /* pkcs15-init's first certificate EF */
#define FID_DATA 0x3200             /* ... and data-object EF */
#define FID_CDF 0x4404              /* pkcs15-init's CDF and DODF, and their sizes */
#define FID_DODF 0x4405
#define CDF_SIZE 512
#define DODF_SIZE 256
#define FIDS_MAX 8

/* One directory file as the card holds it: its bytes (for appending and
 * for `changed`) and its decoded entries, whose direct values point into
 * raw. */
struct p15_blob {
    uint8_t *b; /* secure memory */
    size_t len;
    bool have;
};

struct p15_dfile {
    enum p15_df_kind kind;
    struct p15_path path;
    uint8_t *raw;
    size_t len;
    struct p15_obj *ents;
    size_t n;
    struct p15_blob *got; /* n: each entry's bytes once read */
};

struct p15_pin {
    struct p15_obj o;
    enum scm_cred_kind kind;
    bool verified;
};

struct p15_state {
    struct scm_tx *tx;
    struct p15_path app; /* the application DF, absolute (3F005015) */
    struct p15_text app_label;
    uint8_t *odf;
    size_t odf_len;
    struct p15_tokeninfo ti;
    bool have_ti;
    struct p15_dfile df[P15_ODF_MAX];
    size_t n_df;
    struct p15_pin pins[SCM_CRED_MAX];
    size_t n_pins;
};

static const struct scm_sw_map p15_sw[] = {
    {0x6985, 0xFFFF, SCM_E_CARD_LOCKED}, /* conditions of use: a PIN not verified */
    {0, 0, 0},
};

/* ---- Files -------------------------------------------------------------------------- */

static int step(struct scm_detail *d, int rc, uint16_t sw, const char *cmd, const char *what)
{
    char why[160];
    int err = scm_iso_step_err(rc, sw, cmd, why, sizeof(why));
    return scm_fail(d, err, "Reading the PKCS#15 card's %s failed (%s).", what, why);
}

/* SELECT by path from the MF asking for the FCP: *size the EF's size
 * (80 or 81), 0 when the card does not say. */
static int select_fids(struct scm_tx *tx, const uint16_t *fids, size_t n, size_t *size,
                       uint16_t *sw)
{
    uint8_t path[2 * FIDS_MAX], fcp[256];
    size_t got = 0;
    const uint8_t *t, *v;
    size_t tl, vl;
    *size = 0;
    if (n == 0 || n > FIDS_MAX)
        return SCM_E_INVAL;
    for (size_t i = 0; i < n; i++) {
        path[2 * i] = (uint8_t)(fids[i] >> 8);
        path[2 * i + 1] = (uint8_t)fids[i];
    }
    struct scm_apdu a = {
        .cla = 0x00, .ins = 0xA4, .p1 = 0x08, .p2 = 0x04, .data = path, .lc = 2 * n, .le = 256};
    int rc = scm_tx_apdu(tx, &a, fcp, sizeof(fcp), &got, sw);
    if (rc < 0)
        return rc;
    if (*sw == 0x6A86 || *sw == 0x6A87 || *sw == 0x6D00) /* no FCP on this card: plain */
        return scm_iso_select_path(tx, fids, n, sw);
    if (*sw == 0x9000 && scm_tlv_find(fcp, got, 0x62, &t, &tl) == SCM_OK &&
        (scm_tlv_find(t, tl, 0x80, &v, &vl) == SCM_OK ||
         scm_tlv_find(t, tl, 0x81, &v, &vl) == SCM_OK) &&
        vl >= 1 && vl <= 3) {
        for (size_t i = 0; i < vl; i++)
            *size = *size << 8 | v[i];
    }
    return SCM_OK;
}

static int path_fids(const struct p15_state *st, const struct p15_path *p, uint16_t *fids,
                     size_t *n)
{
    return scm_p15_path_fids(&st->app, p, fids, FIDS_MAX, n);
}

static void path_of(struct p15_path *p, const uint8_t *v, size_t len)
{
    memset(p, 0, sizeof(*p));
    memcpy(p->v, v, len);
    p->len = len;
    p->count = -1;
}

/* The app DF's child fid as an absolute path. */
static void child_path(const struct p15_state *st, uint16_t fid, struct p15_path *p)
{
    uint8_t v[P15_PATH_MAX];
    memcpy(v, st->app.v, st->app.len);
    v[st->app.len] = (uint8_t)(fid >> 8);
    v[st->app.len + 1] = (uint8_t)fid;
    path_of(p, v, st->app.len + 2);
}

/* The bytes of the EF at path p (its part, for a path with index and
 * length), malloc'd (secure memory: data objects may be private).
 * SCM_E_NOT_FOUND when the card has no such file. */
static int read_path(struct p15_state *st, const struct p15_path *p, const char *what,
                     uint8_t **out, size_t *len, struct scm_detail *d)
{
    uint16_t fids[FIDS_MAX], sw;
    size_t n, size, off = 0, want, got = 0;
    int rc;
    *out = NULL;
    *len = 0;
    if (path_fids(st, p, fids, &n) < 0)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "The PKCS#15 card's %s has a path scmgr cannot use.",
                        what);
    if ((rc = select_fids(st->tx, fids, n, &size, &sw)) < 0)
        return step(d, rc, sw, "SELECT", what);
    if (sw == 0x6A82)
        return scm_fail(d, SCM_E_NOT_FOUND, "The PKCS#15 card has no file for its %s.", what);
    if (sw != 0x9000)
        return step(d, rc, sw, "SELECT", what);
    want = size ? size : FILE_MAX;
    if (p->has_range && p->count > 0) {
        off = (size_t)(p->index > 0 ? p->index : 0);
        want = (size_t)p->count;
    }
    if (want > FILE_MAX || off > FILE_MAX)
        return scm_fail(d, SCM_E_CARD_LAYOUT, "The PKCS#15 card's %s is larger than %d bytes.",
                        what, FILE_MAX);
    uint8_t *buf = scm_secure_alloc(want ? want : 1);
    if (!buf)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    rc = scm_iso_read_all(st->tx, off, buf, want, &got, &sw);
    /* Without a size from the FCP the file ends where the card stops. */
    if (rc == SCM_OK && sw != 0x9000 && !(size == 0 && got > 0) && sw != 0x6282)
        rc = step(d, rc, sw, "READ BINARY", what);
    else if (rc < 0)
        rc = step(d, rc, sw, "READ BINARY", what);
    if (rc < 0) {
        scm_secure_free(buf, want ? want : 1);
        return rc;
    }
    if (got < want) { /* shrink into an exact allocation */
        uint8_t *b2 = scm_secure_alloc(got ? got : 1);
        if (b2)
            memcpy(b2, buf, got);
        scm_secure_free(buf, want ? want : 1);
        if (!b2)
            return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
        buf = b2;
    }
    *out = buf;
    *len = got;
    return SCM_OK;
}

static void free_bytes(uint8_t **b, size_t *len)
{
    if (*b)
        scm_secure_free(*b, *len ? *len : 1);
    *b = NULL;
    *len = 0;
}

/* ---- The application and its directory files --------------------------------------- */

static const char *df_word(enum p15_df_kind k)
{
    switch (k) {
    case P15_PRKDF:
        return "private keys";
    case P15_PUKDF:
    case P15_PUKDF_TRUSTED:
        return "public keys";
    case P15_SKDF:
        return "secret keys";
    case P15_CDF:
    case P15_CDF_TRUSTED:
    case P15_CDF_USEFUL:
        return "certificates";
    case P15_DODF:
        return "data objects";
    default:
        return "PINs";
    }
}

/* The short name of a directory file, for references without a path. */
static const char *df_tag(enum p15_df_kind k)
{
    static const char *const tag[] = {"prkdf",       "pukdf",      "pukdf-trusted", "skdf", "cdf",
                                      "cdf-trusted", "cdf-useful", "dodf",          "aodf"};
    return (unsigned)k < sizeof(tag) / sizeof(tag[0]) ? tag[k] : "df";
}

static void blobs_drop(struct p15_blob *g, size_t n)
{
    for (size_t i = 0; g && i < n; i++)
        if (g[i].have)
            free_bytes(&g[i].b, &g[i].len);
    free(g);
}

static void df_drop(struct p15_dfile *f)
{
    free_bytes(&f->raw, &f->len);
    blobs_drop(f->got, f->n);
    free(f->ents);
    f->got = NULL;
    f->ents = NULL;
    f->n = 0;
}

/* Decode a directory file's bytes, with room for its entries' bytes. */
static int df_decode(struct p15_dfile *f, struct scm_detail *d)
{
    int rc = scm_p15_df_decode(f->kind, f->raw, f->len, &f->ents, &f->n, d);
    if (rc == SCM_OK && f->n && !(f->got = calloc(f->n, sizeof(*f->got))))
        rc = scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    return rc;
}

static void unload(struct p15_state *st)
{
    for (size_t i = 0; i < st->n_df; i++)
        df_drop(&st->df[i]);
    memset(st->df, 0, sizeof(st->df));
    st->n_df = 0;
    free_bytes(&st->odf, &st->odf_len);
    st->n_pins = 0;
}

/* The application DF: the AID answers, EF.DIR says where; else 3F005015. */
static int find_app(struct p15_state *st, bool *found, struct scm_detail *d)
{
    struct p15_app apps[P15_DIR_APPS_MAX];
    struct p15_path dir;
    uint8_t *buf = NULL;
    size_t len = 0, n = 0;
    uint16_t sw;
    static const uint8_t dir_path[] = {0x3F, 0x00, 0x2F, 0x00};
    static const uint8_t def_app[] = {0x3F, 0x00, 0x50, 0x15};
    bool by_aid;
    int rc = scm_iso_select_aid(st->tx, p15_aid, sizeof(p15_aid), 0x0C, NULL, 0, NULL, &sw);
    if (rc < 0)
        return rc;
    by_aid = sw == 0x9000;
    *found = by_aid;
    path_of(&st->app, def_app, sizeof(def_app));
    path_of(&dir, dir_path, sizeof(dir_path));
    rc = read_path(st, &dir, "EF.DIR", &buf, &len, NULL);
    /* A card that refuses the SELECT or the READ is not ours; a card that
     * went away is an error. */
    if (rc <= SCM_E_NO_SERVICE && rc >= SCM_E_CARD_TIMEOUT)
        return rc;
    if (rc == SCM_OK && scm_p15_dir_decode(buf, len, apps, P15_DIR_APPS_MAX, &n, NULL) == SCM_OK) {
        for (size_t i = 0; i < n; i++) {
            if (apps[i].aid_len != sizeof(p15_aid) || memcmp(apps[i].aid, p15_aid, P15_AID_LEN))
                continue;
            /* An absolute path, with room for a child's FID after it. */
            if (apps[i].path.len >= 4 && apps[i].path.len <= P15_PATH_MAX - 2 &&
                apps[i].path.v[0] == 0x3F && apps[i].path.v[1] == 0x00)
                path_of(&st->app, apps[i].path.v, apps[i].path.len);
            st->app_label = apps[i].label;
            *found = true;
            break;
        }
    }
    free_bytes(&buf, &len);
    (void)d;
    return SCM_OK;
}

static int pin_rank(const struct p15_obj *o)
{
    if (o->pin_flags & P15_PIN_UNBLOCKING_PIN)
        return 2;
    return o->pin_flags & P15_PIN_SO_PIN ? 1 : 0;
}

/* The ODF, TokenInfo and every directory file, decoded. */
static int load(struct p15_state *st, struct scm_detail *d)
{
    struct p15_odf_entry odfe[P15_ODF_MAX];
    struct p15_path p;
    size_t n = 0;
    uint8_t *ti = NULL;
    size_t tl = 0;
    int rc;
    unload(st);
    child_path(st, 0x5031, &p);
    if ((rc = read_path(st, &p, "ODF", &st->odf, &st->odf_len, d)) < 0)
        return rc;
    if ((rc = scm_p15_odf_decode(st->odf, st->odf_len, odfe, P15_ODF_MAX, &n, d)) < 0)
        return rc;
    child_path(st, 0x5032, &p);
    st->have_ti = false;
    if (read_path(st, &p, "TokenInfo", &ti, &tl, NULL) == SCM_OK)
        st->have_ti = scm_p15_tokeninfo_decode(ti, tl, &st->ti, NULL) == SCM_OK;
    free_bytes(&ti, &tl);
    for (size_t i = 0; i < n; i++) {
        struct p15_dfile *f = &st->df[st->n_df];
        f->kind = odfe[i].kind;
        f->path = odfe[i].path;
        rc = read_path(st, &f->path, df_word(f->kind), &f->raw, &f->len, d);
        if (rc == SCM_E_NOT_FOUND)
            continue; /* listed, never created: nothing in it */
        if (rc < 0)
            return rc;
        st->n_df++;
        if (f->kind == P15_SKDF)
            continue; /* kept for `changed`, nothing scmgr shows */
        if ((rc = df_decode(f, d)) < 0)
            return rc;
    }
    /* The PINs, the user PIN first (credential 0), then SO PIN, PUK. A
     * pin's `verified` is left as it was: it is the card's state, which a
     * new reading of the layout does not change. */
    for (int rank = 0; rank < 3; rank++)
        for (size_t i = 0; i < st->n_df; i++) {
            if (st->df[i].kind != P15_AODF)
                continue;
            for (size_t k = 0; k < st->df[i].n && st->n_pins < SCM_CRED_MAX; k++) {
                const struct p15_obj *o = &st->df[i].ents[k];
                if (o->choice != 0x30 || pin_rank(o) != rank)
                    continue;
                struct p15_pin *pin = &st->pins[st->n_pins++];
                pin->o = *o;
                pin->o.direct = NULL;
                pin->kind = rank == 0 ? SCM_CRED_PIN : rank == 1 ? SCM_CRED_ADMIN : SCM_CRED_PUK;
            }
        }
    return SCM_OK;
}

static bool same_path(const struct p15_obj *a, const struct p15_obj *b)
{
    return a->has_path && b->has_path && !a->direct && !b->direct && a->path.len == b->path.len &&
           memcmp(a->path.v, b->path.v, a->path.len) == 0 &&
           a->path.has_range == b->path.has_range && a->path.index == b->path.index &&
           a->path.count == b->path.count;
}

/* After a change of directory file i: its bytes and entries again (the
 * PINs come from the AODF, which scmgr never writes). What was read of an
 * entry whose file is the same is kept: scmgr's writes make new files. */
static int reload_df(struct p15_state *st, size_t i, struct scm_detail *d)
{
    struct p15_dfile *f = &st->df[i], old = *f;
    f->raw = NULL;
    f->len = 0;
    f->ents = NULL;
    f->got = NULL;
    f->n = 0;
    int rc = read_path(st, &f->path, df_word(f->kind), &f->raw, &f->len, d);
    if (rc == SCM_OK)
        rc = df_decode(f, d);
    for (size_t k = 0; rc == SCM_OK && k < f->n; k++)
        for (size_t j = 0; j < old.n; j++)
            if (old.got && old.got[j].have && same_path(&f->ents[k], &old.ents[j])) {
                f->got[k] = old.got[j];
                old.got[j].have = false;
                break;
            }
    df_drop(&old);
    return rc;
}

/* ---- Binding ------------------------------------------------------------------------- */

static int p15_probe(struct scm_tx *tx)
{
    struct p15_state st = {.tx = tx};
    bool found = false;
    int rc = scm_tx_begin(tx);
    if (rc < 0)
        return rc;
    rc = find_app(&st, &found, NULL);
    if (rc == SCM_OK && found) {
        /* An application must have its ODF to be one. */
        struct p15_path p;
        uint16_t fids[FIDS_MAX], sw;
        size_t n, size;
        child_path(&st, 0x5031, &p);
        if (path_fids(&st, &p, fids, &n) < 0)
            found = false;
        else if ((rc = select_fids(tx, fids, n, &size, &sw)) == SCM_OK)
            found = sw == 0x9000;
    }
    scm_tx_end(tx);
    if (rc < 0)
        return rc;
    return found ? 1 : 0;
}

static int p15_attach(struct scm_tx *tx, void **state, struct scm_detail *d)
{
    struct p15_state *st = calloc(1, sizeof(*st));
    bool found = false;
    int rc;
    if (!st)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    st->tx = tx;
    if ((rc = scm_tx_begin(tx)) < 0) {
        free(st);
        return scm_fail_because(d, rc, "The card could not be reserved for scmgr");
    }
    rc = find_app(st, &found, d);
    if (rc == SCM_OK && !found)
        rc = scm_fail(d, SCM_E_NO_AGENT, "The card has no PKCS#15 application.");
    if (rc == SCM_OK)
        rc = load(st, d);
    scm_tx_end(tx);
    if (rc < 0) {
        unload(st);
        free(st);
        return rc;
    }
    *state = st;
    return SCM_OK;
}

static void p15_detach(void *state)
{
    struct p15_state *st = state;
    if (!st)
        return;
    unload(st);
    free(st);
}

/* Another program's change shows in the ODF or a directory file: their
 * bytes are read again and compared, not the objects. */
static int p15_changed(void *state, struct scm_detail *d)
{
    struct p15_state *st = state;
    struct p15_path p;
    uint8_t *b = NULL;
    size_t len = 0;
    bool changed = false;
    int rc;
    child_path(st, 0x5031, &p);
    if ((rc = read_path(st, &p, "ODF", &b, &len, d)) < 0)
        return rc;
    changed = len != st->odf_len || memcmp(b, st->odf, len) != 0;
    free_bytes(&b, &len);
    for (size_t i = 0; i < st->n_df && !changed; i++) {
        rc = read_path(st, &st->df[i].path, df_word(st->df[i].kind), &b, &len, d);
        if (rc < 0)
            return rc;
        changed = len != st->df[i].len || memcmp(b, st->df[i].raw, len) != 0;
        free_bytes(&b, &len);
    }
    if (!changed)
        return 0;
    bool verified[SCM_CRED_MAX];
    size_t was = st->n_pins;
    for (size_t i = 0; i < was; i++)
        verified[i] = st->pins[i].verified;
    if ((rc = load(st, d)) < 0)
        return rc;
    for (size_t i = 0; i < was && i < st->n_pins; i++)
        st->pins[i].verified = verified[i];
    return 1;
}

/* A card's text cut to cap (a label longer than scmgr keeps). */
static void cut(char *out, size_t cap, const char *s)
{
    size_t n = strnlen(s, cap - 1);
    memcpy(out, s, n);
    out[n] = '\0';
}

static void text_copy(char *out, size_t cap, const struct p15_text *t)
{
    cut(out, cap, t->s);
}

static int p15_info(void *state, struct scm_agent_info *out, struct scm_detail *d)
{
    struct p15_state *st = state;
    (void)d;
    memset(out, 0, sizeof(*out));
    if (st->have_ti && st->ti.label.len)
        text_copy(out->label, sizeof(out->label), &st->ti.label);
    else if (st->app_label.len)
        text_copy(out->label, sizeof(out->label), &st->app_label);
    else
        snprintf(out->label, sizeof(out->label), "PKCS#15 card");
    if (st->have_ti && st->ti.serial_len)
        scm_hex(st->ti.serial, st->ti.serial_len, "", out->serial, sizeof(out->serial));
    if (st->have_ti && st->ti.manufacturer.len)
        snprintf(out->type, sizeof(out->type), "PKCS#15 card (%.40s)", st->ti.manufacturer.s);
    else
        snprintf(out->type, sizeof(out->type), "PKCS#15 card");
    out->pin_tries = -1;
    /* pkcs15-init's profiles guard the application's files with the user
     * PIN when there is one; without one (--no-so-pin, no PIN) anyone may. */
    out->write_cred = st->n_pins > 0 && st->pins[0].kind == SCM_CRED_PIN ? 0 : -1;
    return SCM_OK;
}

/* ---- Credentials ---------------------------------------------------------------------- */

/* Select the PIN's DF (its path, else the application) before VERIFY. */
static int select_pin_df(struct p15_state *st, const struct p15_pin *pin, uint16_t *sw)
{
    uint16_t fids[FIDS_MAX];
    size_t n, size;
    const struct p15_path *p = pin->o.has_path && pin->o.path.len ? &pin->o.path : &st->app;
    if (path_fids(st, p, fids, &n) < 0 && path_fids(st, &st->app, fids, &n) < 0)
        return SCM_E_CARD_LAYOUT;
    return select_fids(st->tx, fids, n, &size, sw);
}

static uint8_t pin_ref(const struct p15_pin *pin)
{
    return pin->o.pin_ref >= 0 ? (uint8_t)pin->o.pin_ref : 0x00;
}

static int p15_creds(void *state, struct scm_cred *out, size_t cap, size_t *n, struct scm_detail *d)
{
    struct p15_state *st = state;
    uint16_t sw;
    int rc;
    *n = 0;
    for (size_t i = 0; i < st->n_pins && *n < cap; i++) {
        const struct p15_pin *pin = &st->pins[i];
        struct scm_cred *c = &out[(*n)++];
        memset(c, 0, sizeof(*c));
        c->kind = pin->kind;
        if (pin->o.label.len)
            snprintf(c->label, sizeof(c->label), "%.40s", pin->o.label.s);
        else
            snprintf(c->label, sizeof(c->label), "%s", scm_cred_kind_name(pin->kind));
        c->min_len = pin->o.min_len > 0 ? (unsigned)pin->o.min_len : 0;
        c->max_len = pin->o.max_len > 0 ? (unsigned)pin->o.max_len : 0;
        c->tries_left = -1;
        c->tries_max = -1;
        c->unblock_by = -1;
        c->verified = pin->verified;
        for (size_t k = 0; k < st->n_pins; k++)
            if (pin->kind == SCM_CRED_PIN && st->pins[k].kind == SCM_CRED_PUK)
                c->unblock_by = (int)k;
        /* The empty VERIFY: 9000 verified, 63Cx tries left, 6983 blocked. */
        if ((rc = select_pin_df(st, pin, &sw)) < 0)
            return step(d, rc, sw, "SELECT", "PIN's directory");
        if ((rc = scm_iso_verify(st->tx, pin_ref(pin), NULL, 0, &sw)) < 0)
            return step(d, rc, sw, "VERIFY", c->label);
        if (sw == 0x9000)
            c->verified = true;
        else if (scm_iso_sw_tries(sw) >= 0)
            c->tries_left = scm_iso_sw_tries(sw);
        else if (sw == 0x6983)
            c->tries_left = 0;
    }
    return SCM_OK;
}

static int p15_verify(void *state, unsigned cred, const uint8_t *secret, size_t len,
                      int *tries_left, struct scm_detail *d)
{
    struct p15_state *st = state;
    uint8_t buf[SCM_ISO_SECRET_MAX];
    uint16_t sw;
    int rc, t;
    if (tries_left)
        *tries_left = -1;
    if (cred >= st->n_pins)
        return scm_fail(d, SCM_E_NOT_SUPPORTED, "The PKCS#15 card has %zu PIN%s, not %u.",
                        st->n_pins, st->n_pins == 1 ? "" : "s", cred + 1);
    struct p15_pin *pin = &st->pins[cred];
    size_t n = len;
    if (!secret || len == 0 || len > sizeof(buf) ||
        (pin->o.max_len > 0 && len > (size_t)pin->o.max_len) ||
        (pin->o.min_len > 0 && len < (size_t)pin->o.min_len))
        return scm_fail(d, SCM_E_BAD_PIN_FORMAT, "The PKCS#15 card's PIN is %d to %d characters.",
                        pin->o.min_len > 0 ? pin->o.min_len : 1,
                        pin->o.max_len > 0 ? pin->o.max_len : SCM_ISO_SECRET_MAX);
    memcpy(buf, secret, len);
    if ((pin->o.pin_flags & P15_PIN_NEEDS_PADDING) && pin->o.stored_len > 0 &&
        (size_t)pin->o.stored_len <= sizeof(buf)) {
        for (; n < (size_t)pin->o.stored_len; n++)
            buf[n] = pin->o.has_pad ? pin->o.pad_char : 0xFF;
    }
    if ((rc = select_pin_df(st, pin, &sw)) == SCM_OK && sw == 0x9000)
        rc = scm_iso_verify(st->tx, pin_ref(pin), buf, n, &sw);
    scm_wipe(buf, sizeof(buf));
    if (rc < 0)
        return scm_fail_because(d, rc, "Sending the PIN to the PKCS#15 card failed");
    pin->verified = sw == 0x9000;
    if (sw == 0x9000)
        return SCM_OK;
    t = scm_iso_sw_tries(sw);
    if (t == 0 || sw == 0x6983) {
        if (tries_left)
            *tries_left = 0;
        return scm_fail(d, SCM_E_PIN_BLOCKED, "The PKCS#15 card's PIN is blocked.");
    }
    if (tries_left)
        *tries_left = t;
    if (t > 0)
        return scm_fail(d, SCM_E_BAD_PIN, "Wrong PIN; %d %s left.", t, t == 1 ? "try" : "tries");
    return scm_fail(d, scm_iso_sw_err(sw, p15_sw), "The PKCS#15 card answered %04X to the PIN.",
                    sw);
}

/* The card keeps a verified PIN across programs while powered. */
static void p15_logout(void *state)
{
    struct p15_state *st = state;
    uint16_t sw;
    if (!st)
        return;
    for (size_t i = 0; i < st->n_pins; i++) {
        if (st->pins[i].verified && select_pin_df(st, &st->pins[i], &sw) == SCM_OK)
            (void)scm_iso_unverify(st->tx, pin_ref(&st->pins[i]), &sw);
        st->pins[i].verified = false;
    }
}

/* ---- Objects ----------------------------------------------------------------------------- */

/* The credential guarding a private object: the PIN with its authId. */
static int cred_of(const struct p15_state *st, const struct p15_obj *o)
{
    if (!(o->flags & P15_OBJ_PRIVATE))
        return SCM_CRED_NONE;
    for (size_t i = 0; i < st->n_pins; i++)
        if (st->pins[i].o.id.len == o->auth_id.len &&
            memcmp(st->pins[i].o.id.v, o->auth_id.v, o->auth_id.len) == 0)
            return (int)i;
    return st->n_pins ? 0 : SCM_CRED_NONE;
}

/* A reference: the path in hex ("3F0050153400"), with ":INDEX+COUNT" for
 * a part of an EF; an entry without a path (a direct value, a key known
 * only by its reference) is "<DF kind>#<entry number>". */
static void make_ref(const struct p15_dfile *f, size_t k, struct scm_obj_ref *r)
{
    const struct p15_obj *o = &f->ents[k];
    char hex[2 * P15_PATH_MAX + 1];
    if (o->has_path && o->path.len && !o->direct) {
        scm_hex(o->path.v, o->path.len, "", hex, sizeof(hex));
        if (o->path.has_range)
            snprintf(r->s, sizeof(r->s), "%s:%d+%d", hex, o->path.index, o->path.count);
        else
            snprintf(r->s, sizeof(r->s), "%s", hex);
    } else {
        snprintf(r->s, sizeof(r->s), "%s#%zu", df_tag(f->kind), k);
    }
}

static bool is_cdf(enum p15_df_kind k)
{
    return k == P15_CDF || k == P15_CDF_TRUSTED || k == P15_CDF_USEFUL;
}

static bool is_pukdf(enum p15_df_kind k)
{
    return k == P15_PUKDF || k == P15_PUKDF_TRUSTED;
}

/* The agent's attributes of an object, kept in a VSC so that a restore
 * writes the same entry: 04 the iD (certificates), 0C the application
 * name and 06 its OID (data objects). */
static size_t put_attr(uint8_t *out, size_t n, size_t cap, uint8_t tag, const void *v, size_t l)
{
    if (l == 0 || l > 0x7F || n + 2 + l > cap)
        return n;
    out[n] = tag;
    out[n + 1] = (uint8_t)l;
    memcpy(out + n + 2, v, l);
    return n + 2 + l;
}

static size_t obj_attrs(const struct p15_dfile *f, const struct p15_obj *o, uint8_t *out,
                        size_t cap)
{
    size_t n = 0;
    if (is_cdf(f->kind))
        n = put_attr(out, n, cap, 0x04, o->id.v, o->id.len);
    if (f->kind == P15_DODF) {
        n = put_attr(out, n, cap, 0x0C, o->app_name.s, o->app_name.len <= 40 ? o->app_name.len : 0);
        n = put_attr(out, n, cap, 0x06, o->app_oid, o->app_oid_len);
    }
    return n;
}

/* One attribute of a put's source attributes: its value, or NULL. */
static const uint8_t *get_attr(const struct scm_obj_new *o, uint8_t tag, size_t *len)
{
    for (size_t i = 0; o->src_attrs && i + 2 <= o->src_attrs_len;) {
        uint8_t t = o->src_attrs[i], l = o->src_attrs[i + 1];
        if (i + 2 + l > o->src_attrs_len)
            break;
        if (t == tag) {
            *len = l;
            return o->src_attrs + i + 2;
        }
        i += 2 + (size_t)l;
    }
    *len = 0;
    return NULL;
}

static void key_alg(const struct p15_obj *o, bool private_key, struct scm_key_facts *k)
{
    k->bits = o->key_bits > 0 ? (unsigned)o->key_bits : 0;
    k->alg = SCM_KEY_NONE;
    if (o->choice == 0x30)
        k->alg = SCM_KEY_RSA;
    else if (o->choice == 0xA0)
        k->alg = k->bits == 384   ? SCM_KEY_EC_P384
                 : k->bits == 521 ? SCM_KEY_EC_P521
                                  : SCM_KEY_EC_P256;
    if (o->usage & (P15_USAGE_SIGN | P15_USAGE_NONREPUDIATION | P15_USAGE_SIGNRECOVER))
        k->usage |= SCM_KEY_USE_SIGN;
    if (o->usage & (P15_USAGE_DECRYPT | P15_USAGE_UNWRAP))
        k->usage |= SCM_KEY_USE_DECRYPT;
    if (o->usage & P15_USAGE_DERIVE)
        k->usage |= SCM_KEY_USE_DERIVE;
    /* A card never gives a private key out through READ BINARY, whatever
     * its entry's extractable flag says (that is for wrapped export). */
    k->extractable = !private_key;
    k->generated = (o->access & P15_ACCESS_LOCAL) != 0;
}

static void fill(const struct p15_state *st, const struct p15_dfile *f, size_t k,
                 struct scm_object *out)
{
    const struct p15_obj *o = &f->ents[k];
    char app[SCM_OBJ_GROUP_MAX / 2];
    memset(out, 0, sizeof(*out));
    make_ref(f, k, &out->ref);
    cut(out->label, sizeof(out->label), o->label.s);
    cut(app, sizeof(app), st->app_label.len ? st->app_label.s : "PKCS#15");
    snprintf(out->group, sizeof(out->group), "%s: %s", app, df_word(f->kind));
    out->present = true;
    out->read_cred = cred_of(st, o);
    out->write_cred =
        (o->flags & P15_OBJ_MODIFIABLE) ? (st->n_pins ? 0 : SCM_CRED_NONE) : SCM_CRED_NEVER;
    if (o->id.len && o->id.len <= SCM_OBJ_ID_MAX) {
        memcpy(out->id, o->id.v, o->id.len);
        out->id_len = o->id.len;
    }
    if (is_cdf(f->kind)) {
        out->cls = SCM_CLASS_CERT;
        out->type = SCM_OBJ_CERT;
        out->read_cred = SCM_CRED_NONE;
    } else if (f->kind == P15_DODF) {
        out->cls = SCM_CLASS_DATA;
        out->type = SCM_OBJ_DATA;
    } else if (f->kind == P15_PRKDF) {
        out->cls = SCM_CLASS_PRIVKEY;
        out->type = SCM_OBJ_PRIVKEY;
        out->read_cred = SCM_CRED_NEVER;
        out->write_cred = SCM_CRED_NEVER;
        key_alg(o, true, &out->key);
    } else {
        out->cls = SCM_CLASS_PUBKEY;
        out->type = SCM_OBJ_PUBKEY;
        out->read_cred = SCM_CRED_NONE;
        out->write_cred = SCM_CRED_NEVER;
        key_alg(o, false, &out->key);
    }
    out->attrs_len = obj_attrs(f, o, out->attrs, sizeof(out->attrs));
    out->size = f->got && f->got[k].have ? f->got[k].len : 0;
    if (!out->label[0])
        snprintf(out->label, sizeof(out->label), "%s %s", df_word(f->kind), out->ref.s);
}

static bool shown(const struct p15_dfile *f)
{
    return is_cdf(f->kind) || f->kind == P15_DODF || f->kind == P15_PRKDF || is_pukdf(f->kind);
}

/* A certificate's EF may be longer than its DER (pkcs15-tool reads the
 * certificate, not the file): the DER TLV's own length. */
static size_t der_len(const uint8_t *b, size_t len)
{
    struct p15_der r = scm_p15_der(b, len);
    struct p15_tlv t;
    if (scm_p15_der_next(&r, &t, NULL) != SCM_OK || t.tag != 0x30)
        return len;
    return t.raw_len;
}

/* Entry k of f may be read now (a private data object: with its PIN). */
static int may_read(const struct p15_state *st, const struct p15_dfile *f, size_t k)
{
    int cred = cred_of(st, &f->ents[k]);
    if (f->kind == P15_PRKDF)
        return SCM_E_NOT_EXPORTABLE;
    if (f->kind == P15_DODF && cred >= 0 && !st->pins[cred].verified)
        return SCM_E_CARD_LOCKED;
    return SCM_OK;
}

/* The bytes of entry k of f into f->got[k]. */
static int fetch(struct p15_state *st, struct p15_dfile *f, size_t k, struct scm_detail *d)
{
    const struct p15_obj *e = &f->ents[k];
    struct p15_blob *g = &f->got[k];
    const char *label = e->label.len ? e->label.s : df_word(f->kind);
    int cred = cred_of(st, e), rc;
    if (e->direct) {
        if (!(g->b = scm_secure_alloc(e->direct_len ? e->direct_len : 1)))
            return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
        memcpy(g->b, e->direct, e->direct_len);
        g->len = e->direct_len;
        g->have = true;
        return SCM_OK;
    }
    if (!e->has_path)
        return scm_fail(d, SCM_E_NOT_SUPPORTED, "The PKCS#15 card's '%s' has no file to read.",
                        label);
    rc = read_path(st, &e->path, label, &g->b, &g->len, d);
    if (rc == SCM_E_CARD_LOCKED && cred >= 0)
        return scm_fail(d, rc, "Reading the PKCS#15 card's '%s' needs its %s.", label,
                        scm_cred_kind_name(st->pins[cred].kind));
    if (rc < 0)
        return rc;
    size_t want;
    if (is_cdf(f->kind) && (want = der_len(g->b, g->len)) < g->len) {
        uint8_t *b = scm_secure_alloc(want);
        if (b)
            memcpy(b, g->b, want);
        free_bytes(&g->b, &g->len);
        if (!b)
            return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
        g->b = b;
        g->len = want;
    }
    g->have = true;
    return SCM_OK;
}

static int p15_list(void *state, struct scm_object **objs, size_t *n, struct scm_detail *d)
{
    struct p15_state *st = state;
    size_t total = 0, k = 0;
    *objs = NULL;
    *n = 0;
    /* Every object that may be read is read now, as pkcs15-tool does,
     * so that the listing has sizes; a copy reads it from here. One that
     * cannot be read is listed without a size (its read says why). */
    for (size_t i = 0; i < st->n_df; i++) {
        struct p15_dfile *f = &st->df[i];
        if (!shown(f))
            continue;
        total += f->n;
        for (size_t e = 0; e < f->n; e++) {
            if (f->got[e].have || may_read(st, f, e) < 0)
                continue;
            int rc = fetch(st, f, e, d);
            if (rc <= SCM_E_NO_SERVICE && rc >= SCM_E_CARD_TIMEOUT)
                return rc; /* the card went away */
        }
    }
    if (total == 0)
        return SCM_OK;
    struct scm_object *out = calloc(total, sizeof(*out));
    if (!out)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    for (size_t i = 0; i < st->n_df; i++) {
        if (!shown(&st->df[i]))
            continue;
        for (size_t e = 0; e < st->df[i].n; e++)
            fill(st, &st->df[i], e, &out[k++]);
    }
    *objs = out;
    *n = k;
    return SCM_OK;
}

/* The entry with this reference: *f and *k. */
static bool find_ref(struct p15_state *st, const char *ref, struct p15_dfile **f, size_t *k)
{
    struct scm_obj_ref r;
    for (size_t i = 0; i < st->n_df; i++) {
        if (!shown(&st->df[i]))
            continue;
        for (size_t e = 0; e < st->df[i].n; e++) {
            make_ref(&st->df[i], e, &r);
            if (strcmp(r.s, ref) == 0) {
                *f = &st->df[i];
                *k = e;
                return true;
            }
        }
    }
    return false;
}

static int p15_read(void *state, const struct scm_object *o, uint8_t **data, size_t *len,
                    struct scm_detail *d)
{
    struct p15_state *st = state;
    struct p15_dfile *f;
    size_t k;
    int rc;
    *data = NULL;
    *len = 0;
    if (!find_ref(st, o->ref.s, &f, &k))
        return scm_fail(d, SCM_E_NOT_FOUND, "The PKCS#15 card has no object at '%s'.", o->ref.s);
    if ((rc = may_read(st, f, k)) == SCM_E_NOT_EXPORTABLE)
        return scm_fail(d, rc, "'%s' cannot be copied: the card never releases private keys.",
                        o->label);
    if (rc < 0) {
        int cred = cred_of(st, &f->ents[k]);
        return scm_fail(d, rc, "Reading the PKCS#15 card's '%s' needs its %s.", o->label,
                        scm_cred_kind_name(st->pins[cred].kind));
    }
    if (!f->got[k].have && (rc = fetch(st, f, k, d)) < 0)
        return rc;
    uint8_t *b = scm_secure_alloc(f->got[k].len ? f->got[k].len : 1);
    if (!b)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    memcpy(b, f->got[k].b, f->got[k].len);
    *data = b;
    *len = f->got[k].len;
    return SCM_OK;
}

/* ---- Writing -------------------------------------------------------------------------- */

static int wfail(struct scm_detail *d, int rc, uint16_t sw, const char *cmd, const char *what)
{
    char why[160];
    int err = scm_iso_step_err(rc, sw, cmd, why, sizeof(why));
    if (rc == SCM_OK && sw == 0x6982)
        err = SCM_E_CARD_LOCKED;
    return scm_fail(d, err, "Writing %s to the PKCS#15 card failed (%s).", what, why);
}

/* UPDATE BINARY of the current EF at off, in short chunks. */
static int update_at(struct scm_tx *tx, size_t off, const uint8_t *b, size_t len, bool sensitive,
                     uint16_t *sw)
{
    size_t done = 0;
    *sw = 0x9000;
    while (done < len) {
        size_t n = len - done < 255 ? len - done : 255;
        size_t pos = off + done, got;
        if (pos > SCM_ISO_OFFSET_MAX)
            return SCM_E_LIMIT;
        struct scm_apdu a = {.cla = 0x00,
                             .ins = 0xD6,
                             .p1 = (uint8_t)(pos >> 8),
                             .p2 = (uint8_t)pos,
                             .data = b + done,
                             .lc = n,
                             .sensitive = sensitive};
        int rc = scm_tx_apdu(tx, &a, NULL, 0, &got, sw);
        if (rc < 0 || *sw != 0x9000)
            return rc;
        done += n;
    }
    return SCM_OK;
}

static int select_path_of(struct p15_state *st, const struct p15_path *p, uint16_t *sw)
{
    uint16_t fids[FIDS_MAX];
    size_t n, size;
    if (path_fids(st, p, fids, &n) < 0)
        return SCM_E_CARD_LAYOUT;
    return select_fids(st->tx, fids, n, &size, sw);
}

/* Is fid named by any entry (or the DFs themselves)? */
static bool fid_used(const struct p15_state *st, uint16_t fid)
{
    if (fid == 0x5031 || fid == 0x5032 || fid == 0x5033)
        return true;
    for (size_t i = 0; i < st->n_df; i++) {
        const struct p15_path *p = &st->df[i].path;
        if (p->len >= 2 && (p->v[p->len - 2] << 8 | p->v[p->len - 1]) == fid)
            return true;
        for (size_t e = 0; e < st->df[i].n; e++) {
            const struct p15_path *q = &st->df[i].ents[e].path;
            if (st->df[i].ents[e].has_path && q->len >= 2 &&
                (q->v[q->len - 2] << 8 | q->v[q->len - 1]) == fid)
                return true;
        }
    }
    return false;
}

/* A new EF of size bytes under the application DF holding data, read
 * back; *fid its FID: want when free, else the next free one from base.
 * A file no entry names yet may be left by an interrupted write: it is
 * taken over (deleted and created again). */
static int new_ef(struct p15_state *st, uint16_t want, uint16_t base, const uint8_t *data,
                  size_t len, bool sensitive, uint16_t *fid, struct scm_detail *d)
{
    uint16_t sw, f = 0;
    uint8_t fcp[32];
    int rc;
    if (want && !fid_used(st, want))
        f = want;
    for (uint16_t c = base; !f && c < base + 0x100; c++)
        if (!fid_used(st, c))
            f = c;
    if (!f)
        return scm_fail(d, SCM_E_CARD_FULL, "The PKCS#15 card has no free file ID for '%04X'.",
                        base);
    if ((rc = select_path_of(st, &st->app, &sw)) < 0 || sw != 0x9000)
        return wfail(d, rc, sw, "SELECT of the application", "a new file");
    size_t n = 0;
    fcp[n++] = 0x62;
    fcp[n++] = 0;
    fcp[n++] = 0x80;
    fcp[n++] = 2;
    fcp[n++] = (uint8_t)(len >> 8);
    fcp[n++] = (uint8_t)len;
    fcp[n++] = 0x82;
    fcp[n++] = 1;
    fcp[n++] = 0x01;
    fcp[n++] = 0x83;
    fcp[n++] = 2;
    fcp[n++] = (uint8_t)(f >> 8);
    fcp[n++] = (uint8_t)f;
    if (st->n_pins > 0) {
        /* The user PIN guards the new file as the layout's PIN guards the
         * rest (compact security attributes: delete, write, update, read;
         * 10 = user authentication): a private object's bytes too. */
        static const uint8_t sa[] = {0x8C, 0x05, 0x47, 0x10, 0x10, 0x10};
        memcpy(fcp + n, sa, sizeof(sa));
        n += sizeof(sa);
        fcp[n++] = sensitive ? 0x10 : 0x00;
    }
    fcp[1] = (uint8_t)(n - 2);
    rc = scm_iso_create(st->tx, fcp, n, &sw);
    if (rc == SCM_OK && (sw == 0x6A89 || sw == 0x6A8A)) {
        rc = scm_iso_delete(st->tx, f, &sw);
        if (rc == SCM_OK && sw == 0x9000)
            rc = scm_iso_create(st->tx, fcp, n, &sw);
    }
    if (rc < 0 || sw != 0x9000)
        return wfail(d, rc, sw, "CREATE FILE", "a new file");
    /* CREATE leaves the new EF selected. */
    if ((rc = update_at(st->tx, 0, data, len, sensitive, &sw)) < 0 || sw != 0x9000)
        return wfail(d, rc, sw, "UPDATE BINARY", "the object");
    uint8_t *back = scm_secure_alloc(len ? len : 1);
    size_t got = 0;
    if (!back)
        return scm_fail(d, SCM_E_NOMEM, "Out of memory.");
    rc = scm_iso_read_all(st->tx, 0, back, len, &got, &sw);
    bool same = rc == SCM_OK && sw == 0x9000 && got == len && memcmp(back, data, len) == 0;
    scm_secure_free(back, len ? len : 1);
    if (rc < 0)
        return wfail(d, rc, sw, "READ BINARY", "the object");
    if (!same)
        return scm_fail(d, SCM_E_CARD_REFUSED,
                        "The PKCS#15 card gave back other bytes for the new file %04X than were "
                        "written.",
                        f);
    *fid = f;
    return SCM_OK;
}

/* Append an entry to a directory file (or the ODF) at path whose bytes
 * are raw: its tail first, its first byte last, then read back. */
static int append_entry(struct p15_state *st, const struct p15_path *path, const uint8_t *raw,
                        size_t rlen, const uint8_t *ent, size_t elen, const char *what,
                        struct scm_detail *d)
{
    size_t off;
    uint16_t sw;
    int rc = scm_p15_df_append_at(raw, rlen, elen, &off, d);
    if (rc == SCM_E_CARD_FULL)
        return scm_fail(d, rc, "The PKCS#15 card's %s has no room for another entry (%zu bytes).",
                        what, elen);
    if (rc < 0)
        return rc;
    if ((rc = select_path_of(st, path, &sw)) < 0 || sw != 0x9000)
        return wfail(d, rc, sw, "SELECT", what);
    if ((rc = update_at(st->tx, off + 1, ent + 1, elen - 1, false, &sw)) < 0 || sw != 0x9000)
        return wfail(d, rc, sw, "UPDATE BINARY", what);
    if ((rc = update_at(st->tx, off, ent, 1, false, &sw)) < 0 || sw != 0x9000)
        return wfail(d, rc, sw, "UPDATE BINARY", what);
    uint8_t back[1024];
    size_t got = 0;
    if (elen > sizeof(back))
        return SCM_OK;
    rc = scm_iso_read_all(st->tx, off, back, elen, &got, &sw);
    if (rc < 0)
        return wfail(d, rc, sw, "READ BINARY", what);
    if (got != elen || memcmp(back, ent, elen) != 0)
        return scm_fail(d, SCM_E_CARD_REFUSED,
                        "The PKCS#15 card gave back another %s entry than was written.", what);
    return SCM_OK;
}

static struct p15_dfile *df_of(struct p15_state *st, bool cert)
{
    for (size_t i = 0; i < st->n_df; i++)
        if (cert ? st->df[i].kind == P15_CDF : st->df[i].kind == P15_DODF)
            return &st->df[i];
    return NULL;
}

/* The entry a put replaces or collides with: by ref, else by class and label. */
static bool find_put(struct p15_state *st, const struct scm_agent_put *p, bool cert,
                     struct p15_dfile **f, size_t *k)
{
    /* The place a restore asks for, if it holds an object of the same class. */
    if (p->ref.s[0] && find_ref(st, p->ref.s, f, k) &&
        (cert ? is_cdf((*f)->kind) : (*f)->kind == P15_DODF))
        return true;
    for (size_t i = 0; i < st->n_df; i++) {
        if (cert ? !is_cdf(st->df[i].kind) : st->df[i].kind != P15_DODF)
            continue;
        for (size_t e = 0; e < st->df[i].n; e++)
            if (strcmp(st->df[i].ents[e].label.s, p->obj->label) == 0) {
                *f = &st->df[i];
                *k = e;
                return true;
            }
    }
    return false;
}

static int what_put(const struct p15_state *st, const struct scm_agent_put *p, bool *cert,
                    struct scm_detail *why)
{
    enum scm_obj_class c = scm_obj_type_class(p->obj->type);
    if (st->have_ti && (st->ti.flags & P15_TOKEN_READONLY))
        return scm_fail(why, SCM_E_NOT_SUPPORTED, "The PKCS#15 card says it is read-only.");
    if (c == SCM_CLASS_PRIVKEY || c == SCM_CLASS_SECRETKEY || c == SCM_CLASS_PUBKEY)
        return scm_fail(why, SCM_E_NOT_SUPPORTED,
                        "A PKCS#15 card's keys cannot be written: they are generated on the card "
                        "or imported, never restored from a copy.");
    *cert = c == SCM_CLASS_CERT;
    if (p->obj->area != SCM_AREA_PUBLIC && st->n_pins == 0)
        return scm_fail(why, SCM_E_NOT_SUPPORTED,
                        "The PKCS#15 card has no PIN: '%s' (private) would be readable by anyone "
                        "there.",
                        p->obj->label);
    if (p->obj->len > FILE_MAX)
        return scm_fail(why, SCM_E_CARD_FULL,
                        "The PKCS#15 card has no room for '%s' (%zu bytes): a file takes at most "
                        "%d.",
                        p->obj->label, p->obj->len, FILE_MAX);
    if (strlen(p->obj->label) > P15_LABEL_MAX)
        return scm_fail(why, SCM_E_BAD_LABEL, "A PKCS#15 label is at most %d bytes.",
                        P15_LABEL_MAX);
    return SCM_OK;
}

/* The FID a reference asks for ("3F0050153400" → 3400), 0 for none. */
static uint16_t ref_fid(const struct p15_state *st, const char *ref)
{
    size_t n = strlen(ref);
    unsigned v;
    if (n != 2 * st->app.len + 4 || strspn(ref, "0123456789ABCDEF") != n)
        return 0;
    char app[2 * P15_PATH_MAX + 1];
    scm_hex(st->app.v, st->app.len, "", app, sizeof(app));
    if (strncmp(ref, app, strlen(app)) != 0 || sscanf(ref + n - 4, "%4x", &v) != 1)
        return 0;
    return (uint16_t)v;
}

static int p15_place(void *state, const struct scm_agent_put *p, struct scm_obj_ref *ref,
                     struct scm_detail *why)
{
    struct p15_state *st = state;
    struct p15_dfile *f;
    size_t k;
    bool cert;
    int rc = what_put(st, p, &cert, why);
    if (rc < 0)
        return rc;
    if (find_put(st, p, cert, &f, &k)) {
        make_ref(f, k, ref);
        return SCM_E_EXISTS;
    }
    uint16_t fid = ref_fid(st, p->ref.s);
    if (!fid || fid_used(st, fid)) {
        fid = 0;
        for (uint16_t c = cert ? FID_CERT : FID_DATA;
             !fid && c < (cert ? FID_CERT : FID_DATA) + 0x100; c++)
            if (!fid_used(st, c))
                fid = c;
    }
    char app[2 * P15_PATH_MAX + 1];
    scm_hex(st->app.v, st->app.len, "", app, sizeof(app));
    snprintf(ref->s, sizeof(ref->s), "%s%04X", app, fid);
    return SCM_OK;
}

/* The CKA_ID of a certificate without one: the SHA-1 of its public key. */
static size_t cert_id(const uint8_t *der, size_t len, uint8_t *id, size_t cap)
{
    gnutls_x509_crt_t crt;
    gnutls_datum_t dt = {(unsigned char *)der, (unsigned)len};
    size_t n = cap;
    if (gnutls_x509_crt_init(&crt) < 0)
        return 0;
    if (gnutls_x509_crt_import(crt, &dt, GNUTLS_X509_FMT_DER) < 0 ||
        gnutls_x509_crt_get_key_id(crt, 0, id, &n) < 0)
        n = 0;
    gnutls_x509_crt_deinit(crt);
    return n;
}

/* A first CDF or DODF, as pkcs15-init makes one on first use: its EF
 * (zeros, pkcs15-init's FID and size), then its ODF entry, last. */
static int make_df(struct p15_state *st, bool cert, struct scm_detail *d)
{
    uint8_t zeros[CDF_SIZE] = {0}, ent[64];
    size_t elen, size = cert ? CDF_SIZE : DODF_SIZE;
    uint16_t fid;
    struct p15_path p;
    int rc = new_ef(st, cert ? FID_CDF : FID_DODF, 0x4410, zeros, size, false, &fid, d);
    if (rc < 0)
        return rc;
    child_path(st, fid, &p);
    if ((rc = scm_p15_odf_entry_encode(cert ? P15_CDF : P15_DODF, p.v, p.len, ent, sizeof(ent),
                                       &elen)) < 0)
        return scm_fail(d, rc, "The ODF entry of a new %s could not be made.",
                        cert ? "CDF" : "DODF");
    child_path(st, 0x5031, &p);
    if ((rc = append_entry(st, &p, st->odf, st->odf_len, ent, elen, "ODF", d)) < 0)
        return rc;
    return load(st, d);
}

/* Point entry k of f at a new file: the two bytes of its FID, in place. */
static int repoint(struct p15_state *st, struct p15_dfile *f, size_t k, uint16_t fid,
                   struct scm_detail *d)
{
    const struct p15_obj *o = &f->ents[k];
    const uint8_t *pv = NULL;
    struct p15_der r = scm_p15_der(f->raw, f->len);
    struct p15_tlv t;
    size_t e = 0;
    uint16_t sw;
    int rc;
    /* Find the entry's bytes, then its path's last two bytes in them. */
    while (scm_p15_der_next(&r, &t, NULL) == SCM_OK) {
        if (e++ != k)
            continue;
        /* The path's OCTET STRING (04 len path): the last one in the entry. */
        for (size_t i = 0; i + 2 + o->path.len <= t.raw_len; i++)
            if (t.raw[i] == 0x04 && t.raw[i + 1] == o->path.len &&
                memcmp(t.raw + i + 2, o->path.v, o->path.len) == 0)
                pv = t.raw + i + 2 + o->path.len - 2;
        break;
    }
    if (!pv || o->path.len < 2 || o->path.has_range)
        return scm_fail(d, SCM_E_NOT_SUPPORTED,
                        "The PKCS#15 card's entry of '%s' cannot be pointed at a new file.",
                        o->label.s);
    uint8_t nf[2] = {(uint8_t)(fid >> 8), (uint8_t)fid};
    if ((rc = select_path_of(st, &f->path, &sw)) < 0 || sw != 0x9000)
        return wfail(d, rc, sw, "SELECT", df_word(f->kind));
    if ((rc = update_at(st->tx, (size_t)(pv - f->raw), nf, 2, false, &sw)) < 0 || sw != 0x9000)
        return wfail(d, rc, sw, "UPDATE BINARY", df_word(f->kind));
    return SCM_OK;
}

static int delete_ef(struct p15_state *st, uint16_t fid)
{
    uint16_t sw;
    int rc = select_path_of(st, &st->app, &sw);
    if (rc == SCM_OK && sw == 0x9000)
        rc = scm_iso_delete(st->tx, fid, &sw);
    return rc;
}

static uint16_t last_fid(const struct p15_path *p)
{
    return p->len >= 2 ? (uint16_t)(p->v[p->len - 2] << 8 | p->v[p->len - 1]) : 0;
}

static int p15_write(void *state, const struct scm_agent_put *p, bool replace, struct scm_detail *d)
{
    struct p15_state *st = state;
    const struct scm_obj_new *o = p->obj;
    struct p15_dfile *f;
    size_t k, elen = 0;
    bool cert;
    uint8_t ent[512], id[SCM_OBJ_ID_MAX];
    size_t id_len = 0;
    uint16_t fid;
    struct p15_path path;
    int rc = what_put(st, p, &cert, d);
    if (rc < 0)
        return rc;
    bool exists = find_put(st, p, cert, &f, &k);
    if (exists && !replace)
        return scm_fail(d, SCM_E_EXISTS, "The PKCS#15 card already holds '%s'.", o->label);
    if (exists) {
        if (!(f->ents[k].flags & P15_OBJ_MODIFIABLE) || !f->ents[k].has_path || f->ents[k].direct)
            return scm_fail(d, SCM_E_NOT_SUPPORTED, "The PKCS#15 card's '%s' is not modifiable.",
                            o->label);
        uint16_t old = last_fid(&f->ents[k].path);
        size_t fi = (size_t)(f - st->df);
        if ((rc = new_ef(st, 0, cert ? FID_CERT : FID_DATA, o->data, o->len,
                         o->area != SCM_AREA_PUBLIC, &fid, d)) < 0)
            return rc;
        if ((rc = repoint(st, &st->df[fi], k, fid, d)) < 0)
            return rc;
        (void)delete_ef(st, old); /* an orphan left is harmless */
        return reload_df(st, fi, d);
    }
    if (!df_of(st, cert) && (rc = make_df(st, cert, d)) < 0)
        return rc;
    /* Data first: its EF, written and read back. */
    if ((rc = new_ef(st, ref_fid(st, p->ref.s), cert ? FID_CERT : FID_DATA, o->data, o->len,
                     o->area != SCM_AREA_PUBLIC, &fid, d)) < 0)
        return rc;
    child_path(st, fid, &path);
    if (cert) {
        size_t kl;
        const uint8_t *kept = get_attr(o, 0x04, &kl);
        if (p->id && p->id_len && p->id_len <= sizeof(id)) {
            memcpy(id, p->id, p->id_len);
            id_len = p->id_len;
        } else if (kept && kl <= sizeof(id)) {
            memcpy(id, kept, kl);
            id_len = kl;
        } else {
            id_len = cert_id(o->data, o->len, id, sizeof(id));
        }
        if (id_len == 0)
            return scm_fail(d, SCM_E_INVAL, "'%s' is not an X.509 certificate in DER.", o->label);
        struct p15_cert_new c = {.label = o->label,
                                 .flags = P15_OBJ_MODIFIABLE,
                                 .id = id,
                                 .id_len = id_len,
                                 .path = path.v,
                                 .path_len = path.len};
        rc = scm_p15_cdf_entry_encode(&c, ent, sizeof(ent), &elen);
    } else {
        /* The application name and OID a backup kept (obj_attrs). */
        char app[48] = "";
        size_t oid_len, al;
        const uint8_t *oid = get_attr(o, 0x06, &oid_len);
        const uint8_t *an = get_attr(o, 0x0C, &al);
        if (an && al < sizeof(app)) {
            memcpy(app, an, al);
            app[al] = '\0';
        }
        bool priv = o->area != SCM_AREA_PUBLIC && st->n_pins > 0;
        struct p15_data_new dn = {.label = o->label,
                                  .flags = P15_OBJ_MODIFIABLE | (priv ? P15_OBJ_PRIVATE : 0),
                                  .auth_id = priv ? st->pins[0].o.id.v : NULL,
                                  .auth_id_len = priv ? st->pins[0].o.id.len : 0,
                                  .app_name = app,
                                  .app_oid = oid,
                                  .app_oid_len = oid_len,
                                  .path = path.v,
                                  .path_len = path.len};
        rc = scm_p15_dodf_entry_encode(&dn, ent, sizeof(ent), &elen);
    }
    if (rc < 0) {
        (void)delete_ef(st, fid);
        return scm_fail(d, rc, "The PKCS#15 entry of '%s' could not be made.", o->label);
    }
    /* Then the index: the entry after the last one. */
    f = df_of(st, cert);
    if ((rc = append_entry(st, &f->path, f->raw, f->len, ent, elen, cert ? "CDF" : "DODF", d)) <
        0) {
        if (rc == SCM_E_CARD_FULL)
            (void)delete_ef(st, fid);
        return rc;
    }
    return reload_df(st, (size_t)(f - st->df), d);
}

/* Remove entry k of f: the entries after it move up one place and the
 * freed bytes become padding, in one UPDATE when they fit one APDU; the
 * EF goes after. */
static int p15_remove(void *state, const struct scm_object *obj, struct scm_detail *d)
{
    struct p15_state *st = state;
    struct p15_dfile *f;
    size_t k, e = 0, start = 0, end = 0, used = 0;
    struct p15_der r;
    struct p15_tlv t;
    uint16_t sw;
    int rc;
    if (!find_ref(st, obj->ref.s, &f, &k))
        return scm_fail(d, SCM_E_NOT_FOUND, "The PKCS#15 card has no object at '%s'.", obj->ref.s);
    const struct p15_obj *o = &f->ents[k];
    if (!(is_cdf(f->kind) || f->kind == P15_DODF) || !(o->flags & P15_OBJ_MODIFIABLE))
        return scm_fail(d, SCM_E_NOT_SUPPORTED, "scmgr does not remove the PKCS#15 card's '%s'.",
                        obj->label);
    r = scm_p15_der(f->raw, f->len);
    while (scm_p15_der_next(&r, &t, NULL) == SCM_OK) {
        size_t at = (size_t)(t.raw - f->raw);
        if (e++ == k) {
            start = at;
            end = at + t.raw_len;
        }
        used = at + t.raw_len;
    }
    if (end <= start || used - start > 255)
        return scm_fail(d, SCM_E_NOT_SUPPORTED,
                        "The PKCS#15 card's %s is too long after '%s' to remove it in one step.",
                        df_word(f->kind), obj->label);
    uint8_t tail[255];
    size_t tl = used - start;
    memset(tail, 0, sizeof(tail));
    memcpy(tail, f->raw + end, used - end);
    uint16_t fid = o->has_path && !o->direct ? last_fid(&o->path) : 0;
    if ((rc = select_path_of(st, &f->path, &sw)) < 0 || sw != 0x9000)
        return wfail(d, rc, sw, "SELECT", df_word(f->kind));
    if ((rc = update_at(st->tx, start, tail, tl, false, &sw)) < 0 || sw != 0x9000)
        return wfail(d, rc, sw, "UPDATE BINARY", df_word(f->kind));
    if (fid)
        (void)delete_ef(st, fid);
    return reload_df(st, (size_t)(f - st->df), d);
}

const struct scm_agent_ops scm_agent_pkcs15 = {
    .name = "pkcs15",
    .description = "PKCS#15 (ISO/IEC 7816-15) cards: OpenSC pkcs15-init layouts, eIDs",
    .probe = p15_probe,
    .attach = p15_attach,
    .detach = p15_detach,
    .info = p15_info,
    .changed = p15_changed,
    .creds = p15_creds,
    .verify = p15_verify,
    .logout = p15_logout,
    .list = p15_list,
    .read = p15_read,
    .write = p15_write,
    .remove = p15_remove,
    .place = p15_place,
    .sw = p15_sw,
};
