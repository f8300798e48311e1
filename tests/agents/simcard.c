/* The simulated ISO 7816-4 card (simcard.h). */
#include <stdlib.h>
#include <string.h>

#include "simcard.h"

#define PIN_TRIES 3
#define SC_ALWAYS 0x00
#define SC_NEVER 0xFF

struct sfile {
    uint16_t fid;
    bool df;
    uint8_t name[16];
    size_t name_len;
    uint8_t sfi;
    uint8_t *data;
    size_t size;
    /* EF: read, update, delete (self). DF: create DF, create EF, delete child, delete self. */
    uint8_t sc_read, sc_update, sc_delete, sc_create_df, sc_create_ef, sc_delchild;
    struct sfile *parent, *child, *next;
};

struct simcard {
    struct scm_tx tx;
    struct sfile mf;
    struct sfile *cur_df, *cur_ef;
    size_t capacity, used;
    char pin[17];
    size_t pin_len;
    int tries;
    bool verified;
    long fail_in; /* APDUs until the card is pulled, -1: never */
    enum sim_fault how;
    bool removed;
    unsigned long apdus;
};

struct cmd {
    uint8_t cla, ins, p1, p2;
    const uint8_t *data;
    size_t lc;
    size_t le; /* 0: no Le */
    bool has_le;
};

static uint16_t parse(const struct simcard *s, const uint8_t *c, size_t n, struct cmd *o)
{
    memset(o, 0, sizeof(*o));
    if (n < 4)
        return 0x6700;
    o->cla = c[0];
    o->ins = c[1];
    o->p1 = c[2];
    o->p2 = c[3];
    if (n == 4)
        return 0;
    if (n == 5) {
        o->has_le = true;
        o->le = c[4] ? c[4] : 256;
        return 0;
    }
    if (c[4] != 0) {
        o->lc = c[4];
        o->data = c + 5;
        if (n == 5 + o->lc)
            return 0;
        if (n == 6 + o->lc) {
            o->has_le = true;
            o->le = c[5 + o->lc] ? c[5 + o->lc] : 256;
            return 0;
        }
        return 0x6700;
    }
    if (!s->tx.extended || n < 7)
        return 0x6700;
    size_t v = (size_t)c[5] << 8 | c[6];
    if (n == 7) {
        o->has_le = true;
        o->le = v ? v : 65536;
        return 0;
    }
    o->lc = v;
    o->data = c + 7;
    if (v == 0)
        return 0x6700;
    if (n == 7 + v)
        return 0;
    if (n == 9 + v) {
        size_t le = (size_t)c[7 + v] << 8 | c[8 + v];
        o->has_le = true;
        o->le = le ? le : 65536;
        return 0;
    }
    return 0x6700;
}

static bool allowed(const struct simcard *s, uint8_t sc)
{
    if (sc == SC_ALWAYS)
        return true;
    if (sc == SC_NEVER)
        return false;
    return s->verified;
}

static struct sfile *child(struct sfile *df, uint16_t fid)
{
    for (struct sfile *f = df->child; f; f = f->next)
        if (f->fid == fid)
            return f;
    return NULL;
}

static struct sfile *by_name(struct sfile *df, const uint8_t *name, size_t len)
{
    for (struct sfile *f = df->child; f; f = f->next) {
        if (!f->df)
            continue;
        if (f->name_len == len && memcmp(f->name, name, len) == 0)
            return f;
        struct sfile *g = by_name(f, name, len);
        if (g)
            return g;
    }
    return NULL;
}

static void select_file(struct simcard *s, struct sfile *f)
{
    if (f->df) {
        s->cur_df = f;
        s->cur_ef = NULL;
    } else {
        s->cur_df = f->parent;
        s->cur_ef = f;
    }
}

static size_t put_fcp(const struct sfile *f, uint8_t *r)
{
    size_t n = 2;
    r[n++] = 0x82;
    r[n++] = 1;
    r[n++] = f->df ? 0x38 : 0x01;
    r[n++] = 0x83;
    r[n++] = 2;
    r[n++] = (uint8_t)(f->fid >> 8);
    r[n++] = (uint8_t)f->fid;
    if (!f->df) {
        r[n++] = 0x80;
        r[n++] = 2;
        r[n++] = (uint8_t)(f->size >> 8);
        r[n++] = (uint8_t)f->size;
    }
    r[0] = 0x62;
    r[1] = (uint8_t)(n - 2);
    return n;
}

static uint16_t do_select(struct simcard *s, const struct cmd *c, uint8_t *r, size_t *rn)
{
    if (c->p2 != 0x0C && c->p2 != 0x04)
        return 0x6A86;
    struct sfile *f = NULL;
    uint16_t fid = c->lc >= 2 ? (uint16_t)(c->data[0] << 8 | c->data[1]) : 0;
    switch (c->p1) {
    case 0x00:
        if (c->lc == 0 || (c->lc == 2 && fid == 0x3F00))
            f = &s->mf;
        else if (c->lc == 2)
            f = child(s->cur_df, fid);
        if (!f && c->lc == 2 && s->cur_df->parent && s->cur_df->parent->fid == fid)
            f = s->cur_df->parent;
        break;
    case 0x01:
    case 0x02:
        if (c->lc != 2)
            return 0x6A80;
        f = child(s->cur_df, fid);
        if (f && f->df != (c->p1 == 0x01))
            f = NULL;
        break;
    case 0x03:
        f = s->cur_df->parent;
        break;
    case 0x04:
        f = c->lc ? by_name(&s->mf, c->data, c->lc) : NULL;
        break;
    case 0x08:
    case 0x09:
        if (c->lc == 0 || c->lc % 2)
            return 0x6A80;
        f = c->p1 == 0x08 ? &s->mf : s->cur_df;
        for (size_t i = 0; i < c->lc && f; i += 2) {
            uint16_t x = (uint16_t)(c->data[i] << 8 | c->data[i + 1]);
            if (i == 0 && c->p1 == 0x08 && x == 0x3F00)
                continue;
            f = f->df ? child(f, x) : NULL;
        }
        break;
    default:
        return 0x6A86;
    }
    if (!f)
        return 0x6A82;
    select_file(s, f);
    if (c->p2 == 0x04)
        *rn = put_fcp(f, r);
    return 0x9000;
}

static uint16_t do_read(struct simcard *s, const struct cmd *c, uint8_t *r, size_t *rn)
{
    size_t off;
    if (c->p1 & 0x80) {
        struct sfile *f = NULL;
        for (struct sfile *g = s->cur_df->child; g; g = g->next)
            if (!g->df && g->sfi && g->sfi == (c->p1 & 0x1F))
                f = g;
        if (!f)
            return 0x6A82;
        s->cur_ef = f;
        off = c->p2;
    } else {
        off = (size_t)(c->p1 & 0x7F) << 8 | c->p2;
    }
    if (!c->has_le || c->lc)
        return 0x6700;
    if (!s->cur_ef)
        return 0x6986;
    if (!allowed(s, s->cur_ef->sc_read))
        return 0x6982;
    if (off >= s->cur_ef->size)
        return 0x6B00;
    size_t n = s->cur_ef->size - off < c->le ? s->cur_ef->size - off : c->le;
    memcpy(r, s->cur_ef->data + off, n);
    *rn = n;
    return n < c->le ? 0x6282 : 0x9000;
}

static uint16_t do_update(struct simcard *s, const struct cmd *c, bool tear)
{
    if (c->p1 & 0x80)
        return 0x6A81;
    size_t off = (size_t)c->p1 << 8 | c->p2;
    if (c->has_le || c->lc == 0)
        return 0x6700;
    if (!s->cur_ef)
        return 0x6986;
    if (!allowed(s, s->cur_ef->sc_update))
        return 0x6982;
    if (off + c->lc > s->cur_ef->size)
        return 0x6B00;
    memcpy(s->cur_ef->data + off, c->data, tear ? c->lc / 2 : c->lc);
    return 0x9000;
}

static void parse_sa(struct sfile *f, const uint8_t *v, size_t len)
{
    if (len < 1)
        return;
    uint8_t am = v[0];
    size_t k = 1;
    for (int bit = 6; bit >= 0; bit--) {
        if (!(am & (1u << bit)))
            continue;
        uint8_t sc = k < len ? v[k] : SC_NEVER;
        k++;
        if (f->df) {
            if (bit == 6)
                f->sc_delete = sc;
            else if (bit == 2)
                f->sc_create_df = sc;
            else if (bit == 1)
                f->sc_create_ef = sc;
            else if (bit == 0)
                f->sc_delchild = sc;
        } else {
            if (bit == 6)
                f->sc_delete = sc;
            else if (bit == 1)
                f->sc_update = sc;
            else if (bit == 0)
                f->sc_read = sc;
        }
    }
}

static uint16_t do_create(struct simcard *s, const struct cmd *c)
{
    if (c->p1 || c->p2)
        return 0x6A86;
    if (c->lc < 2 || c->data[0] != 0x62 || c->data[1] != c->lc - 2)
        return 0x6A80;
    struct sfile nf = {0};
    bool has82 = false, has83 = false, has80 = false;
    for (size_t i = 2; i < c->lc;) {
        if (i + 2 > c->lc || i + 2 + c->data[i + 1] > c->lc)
            return 0x6A80;
        uint8_t tag = c->data[i], l = c->data[i + 1];
        const uint8_t *v = c->data + i + 2;
        if (tag == 0x82 && l >= 1) {
            has82 = true;
            nf.df = v[0] == 0x38;
            if (!nf.df && v[0] != 0x01)
                return 0x6A80;
        } else if (tag == 0x83 && l == 2) {
            has83 = true;
            nf.fid = (uint16_t)(v[0] << 8 | v[1]);
        } else if (tag == 0x80 && l >= 1 && l <= 2) {
            has80 = true;
            nf.size = l == 2 ? (size_t)v[0] << 8 | v[1] : v[0];
        } else if (tag == 0x84 && l <= sizeof(nf.name)) {
            memcpy(nf.name, v, l);
            nf.name_len = l;
        } else if (tag == 0x88 && l == 1) {
            nf.sfi = v[0];
        } else if (tag == 0x8C) {
            parse_sa(&nf, v, l);
        }
        i += 2u + l;
    }
    if (!has82 || !has83 || (!nf.df && !has80) || nf.fid == 0x3F00 || nf.fid == 0xFFFF)
        return 0x6A80;
    struct sfile *df = s->cur_df;
    if (!allowed(s, nf.df ? df->sc_create_df : df->sc_create_ef))
        return 0x6982;
    if (child(df, nf.fid))
        return 0x6A89;
    if (nf.name_len && by_name(&s->mf, nf.name, nf.name_len))
        return 0x6A8A;
    if (!nf.df && nf.size > s->capacity - s->used)
        return 0x6A84;
    struct sfile *f = malloc(sizeof(*f));
    if (!f)
        return 0x6F00;
    *f = nf;
    f->data = calloc(1, f->size ? f->size : 1);
    if (!f->data) {
        free(f);
        return 0x6F00;
    }
    s->used += f->size;
    f->parent = df;
    f->next = df->child;
    df->child = f;
    select_file(s, f);
    return 0x9000;
}

static void free_tree(struct simcard *s, struct sfile *f)
{
    while (f->child) {
        struct sfile *c = f->child;
        f->child = c->next;
        free_tree(s, c);
        free(c);
    }
    s->used -= f->size;
    free(f->data);
    f->data = NULL;
    f->size = 0;
}

static bool contains(const struct sfile *root, const struct sfile *f)
{
    for (; f; f = f->parent)
        if (f == root)
            return true;
    return false;
}

static uint16_t do_delete(struct simcard *s, const struct cmd *c)
{
    if (c->p1 != 0 || c->p2 != 0 || c->lc != 2)
        return 0x6A86;
    uint16_t fid = (uint16_t)(c->data[0] << 8 | c->data[1]);
    struct sfile *f = child(s->cur_df, fid);
    if (!f)
        return 0x6A82;
    if (!allowed(s, f->sc_delete) || !allowed(s, s->cur_df->sc_delchild))
        return 0x6982;
    if (s->cur_ef == f || (s->cur_ef && contains(f, s->cur_ef)))
        s->cur_ef = NULL;
    struct sfile **pp = &s->cur_df->child;
    while (*pp != f)
        pp = &(*pp)->next;
    *pp = f->next;
    free_tree(s, f);
    free(f);
    return 0x9000;
}

static uint16_t wrong_pin(struct simcard *s)
{
    s->verified = false;
    if (s->tries > 0)
        s->tries--;
    return (uint16_t)(0x63C0 | s->tries);
}

static uint16_t do_verify(struct simcard *s, const struct cmd *c)
{
    if (c->p1 != 0 || c->p2 != 0x81)
        return 0x6A88;
    if (s->tries == 0)
        return 0x6983;
    if (c->lc == 0)
        return s->verified ? 0x9000 : (uint16_t)(0x63C0 | s->tries);
    if (c->lc != s->pin_len || memcmp(c->data, s->pin, c->lc) != 0)
        return wrong_pin(s);
    s->tries = PIN_TRIES;
    s->verified = true;
    return 0x9000;
}

static uint16_t do_change(struct simcard *s, const struct cmd *c)
{
    if (c->p1 != 0 || c->p2 != 0x81)
        return 0x6A86;
    if (s->tries == 0)
        return 0x6983;
    if (c->lc <= s->pin_len)
        return 0x6A80;
    if (memcmp(c->data, s->pin, s->pin_len) != 0)
        return wrong_pin(s);
    size_t nl = c->lc - s->pin_len;
    if (nl < 4 || nl > 16)
        return 0x6A80;
    memcpy(s->pin, c->data + s->pin_len, nl);
    s->pin_len = nl;
    s->tries = PIN_TRIES;
    s->verified = true;
    return 0x9000;
}

static int sim_transmit(void *impl, const uint8_t *c, size_t clen, uint8_t *r, size_t *rlen)
{
    struct simcard *s = impl;
    if (s->removed)
        return SCM_E_CARD_REMOVED;
    bool tear = false, lost = false;
    if (s->fail_in == 0) {
        s->removed = true;
        if (s->how == SIM_FAULT_DROP)
            return SCM_E_CARD_REMOVED;
        tear = s->how == SIM_FAULT_TEAR;
        lost = true;
    } else if (s->fail_in > 0) {
        s->fail_in--;
    }
    s->apdus++;
    struct cmd cmd;
    uint8_t *out = malloc(65536 + 2);
    if (!out)
        return SCM_E_NOMEM;
    size_t n = 0;
    uint16_t sw = parse(s, c, clen, &cmd);
    if (sw == 0 && cmd.cla != 0x00)
        sw = 0x6E00;
    if (sw == 0) {
        switch (cmd.ins) {
        case 0xA4:
            sw = do_select(s, &cmd, out, &n);
            break;
        case 0xB0:
            sw = do_read(s, &cmd, out, &n);
            break;
        case 0xD6:
            sw = do_update(s, &cmd, tear);
            break;
        case 0xE0:
            sw = do_create(s, &cmd);
            break;
        case 0xE4:
            sw = do_delete(s, &cmd);
            break;
        case 0x20:
            sw = do_verify(s, &cmd);
            break;
        case 0x24:
            sw = do_change(s, &cmd);
            break;
        default:
            sw = 0x6D00;
        }
    }
    if (lost || n + 2 > *rlen) {
        free(out);
        return lost ? SCM_E_CARD_REMOVED : SCM_E_TRANSMIT;
    }
    memcpy(r, out, n);
    r[n] = (uint8_t)(sw >> 8);
    r[n + 1] = (uint8_t)sw;
    *rlen = n + 2;
    free(out);
    return SCM_OK;
}

static const struct scm_tx_ops sim_ops = {.transmit = sim_transmit};

struct simcard *sim_new(size_t capacity, bool extended)
{
    struct simcard *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->tx.ops = &sim_ops;
    s->tx.impl = s;
    s->tx.extended = extended;
    s->mf.fid = 0x3F00;
    s->mf.df = true;
    s->capacity = capacity;
    memcpy(s->pin, "1234", 4);
    s->pin_len = 4;
    s->tries = PIN_TRIES;
    s->fail_in = -1;
    s->cur_df = &s->mf;
    return s;
}

void sim_free(struct simcard *s)
{
    if (!s)
        return;
    free_tree(s, &s->mf);
    free(s);
}

struct scm_tx *sim_tx(struct simcard *s)
{
    return &s->tx;
}

void sim_fail_after(struct simcard *s, long n, enum sim_fault how)
{
    s->fail_in = n;
    s->how = how;
}

void sim_reinsert(struct simcard *s)
{
    s->removed = false;
    s->fail_in = -1;
    s->verified = false;
    s->cur_df = &s->mf;
    s->cur_ef = NULL;
}

unsigned long sim_apdus(const struct simcard *s)
{
    return s->apdus;
}

bool sim_pulled(const struct simcard *s)
{
    return s->removed;
}

uint8_t *sim_file(struct simcard *s, const uint16_t *path, size_t n, size_t *size)
{
    struct sfile *f = &s->mf;
    for (size_t i = 0; i < n && f; i++)
        f = f->df ? child(f, path[i]) : NULL;
    if (!f || f->df)
        return NULL;
    *size = f->size;
    return f->data;
}

static size_t count(const struct sfile *f)
{
    size_t n = 0;
    for (const struct sfile *c = f->child; c; c = c->next)
        n += 1 + count(c);
    return n;
}

size_t sim_file_count(const struct simcard *s)
{
    return count(&s->mf);
}
