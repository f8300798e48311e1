/* Unit tests of the card API over a VSC: the same calls the CLI makes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scmgr/card.h"
#include "testutil.h"

#define PW "test-pw-1"

struct fx {
    char *dir;
    struct scm_policy pol;
    struct scm_store *st;
    struct scm_card_ctx ctx;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct scm_vsc *v = NULL;
    if (!f || !(f->dir = tu_mkdtemp()))
        return -1;
    tu_test_policy(&f->pol);
    if (scm_store_open(f->dir, &f->pol, &f->st, NULL) < 0)
        return -1;
    if (scm_vsc_create(f->st, "00001079", NULL, NULL, PW, strlen(PW), &v, NULL) < 0)
        return -1;
    scm_vsc_close(v);
    f->ctx.store = f->st;
    f->ctx.policy = &f->pol;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    scm_store_close(f->st);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static struct scm_card *open_card(struct fx *f, bool unlock)
{
    struct scm_card *c = NULL;
    assert_int_equal(scm_card_open(&f->ctx, "vsc:00001079", &c, NULL), SCM_OK);
    if (unlock)
        assert_int_equal(scm_card_unlock(c, PW, strlen(PW), NULL), SCM_OK);
    return c;
}

static void add(struct scm_card *c, const char *label, enum scm_area area, const char *data)
{
    struct scm_obj_new o = {
        .label = label,
        .type = area == SCM_AREA_SECRET ? SCM_OBJ_SECRETKEY : SCM_OBJ_DATA,
        .area = area,
        .data = (const uint8_t *)data,
        .len = strlen(data),
    };
    assert_int_equal(scm_card_write(c, &o, false, NULL, NULL), SCM_OK);
}

static void test_bad_names(void **state)
{
    struct fx *f = *state;
    struct scm_card *c = (struct scm_card *)1;
    struct scm_detail d = {{0}};

    assert_int_equal(scm_card_open(&f->ctx, "0", &c, &d), SCM_E_USAGE);
    assert_null(c);
    assert_non_null(strstr(d.text, "is not a VSC name"));
    assert_int_equal(scm_card_open(&f->ctx, "VSC:00001079", &c, NULL), SCM_E_USAGE);
    assert_int_equal(scm_card_open(&f->ctx, "vsc:", &c, NULL), SCM_E_BAD_UID);
    assert_int_equal(scm_card_open(&f->ctx, "vsc:../x", &c, NULL), SCM_E_BAD_UID);
    assert_int_equal(scm_card_open(&f->ctx, "vsc:.hidden", &c, NULL), SCM_E_BAD_UID);
    assert_int_equal(scm_card_open(&f->ctx, "vsc:00009999", &c, NULL), SCM_E_VSC_NOT_FOUND);
    assert_null(c);
}

static void test_info(void **state)
{
    struct fx *f = *state;
    struct scm_card_info ci;
    struct scm_card *c = open_card(f, false);
    scm_card_get_info(c, &ci);
    assert_int_equal(ci.kind, SCM_CARD_VSC);
    assert_string_equal(ci.name, "vsc:00001079");
    assert_string_equal(ci.label, "VSC 00001079");
    assert_string_equal(ci.serial, "00001079");
    assert_true(ci.locked);
    assert_true(scm_card_needs_unlock(c));
    assert_false(ci.disabled);

    assert_int_equal(scm_card_unlock(c, "wrong-pw", 8, NULL), SCM_E_BAD_PASSWORD);
    assert_true(scm_card_needs_unlock(c));
    assert_int_equal(scm_card_unlock(c, PW, strlen(PW), NULL), SCM_OK);
    assert_false(scm_card_needs_unlock(c));
    scm_card_close(c);
    scm_card_close(NULL);
}

static void test_roundtrip(void **state)
{
    struct fx *f = *state;
    struct scm_card *c = open_card(f, true);
    const struct scm_obj_info *o;
    struct scm_card_info ci;
    uint8_t *data;
    size_t n, len;
    uint32_t id;

    add(c, "pub", SCM_AREA_PUBLIC, "public bytes");
    add(c, "priv", SCM_AREA_PRIVATE, "private bytes");
    add(c, "sec", SCM_AREA_SECRET, "secret bytes");
    assert_int_equal(scm_card_commit(c, NULL), SCM_OK);
    scm_card_close(c);

    /* Locked: the public area only, but counts for all. */
    c = open_card(f, false);
    scm_card_get_info(c, &ci);
    assert_int_equal(ci.count[SCM_AREA_PUBLIC], 1);
    assert_int_equal(ci.count[SCM_AREA_PRIVATE], 1);
    assert_int_equal(ci.count[SCM_AREA_SECRET], 1);
    assert_int_equal(scm_card_list(c, &o, &n), SCM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(o[0].label, "pub");
    assert_int_equal(scm_card_find(c, "priv", &id), SCM_E_NOT_FOUND);

    /* Unlocked: all three, in area order. */
    assert_int_equal(scm_card_unlock(c, PW, strlen(PW), NULL), SCM_OK);
    assert_int_equal(scm_card_list(c, &o, &n), SCM_OK);
    assert_int_equal(n, 3);
    assert_string_equal(o[0].label, "pub");
    assert_int_equal(o[0].area, SCM_AREA_PUBLIC);
    assert_string_equal(o[1].label, "priv");
    assert_int_equal(o[1].area, SCM_AREA_PRIVATE);
    assert_string_equal(o[2].label, "sec");
    assert_int_equal(o[2].area, SCM_AREA_SECRET);
    assert_int_equal(o[2].size, strlen("secret bytes"));

    assert_int_equal(scm_card_find(c, "priv", &id), SCM_OK);
    assert_int_equal(scm_card_read(c, id, &data, &len, NULL), SCM_OK);
    assert_int_equal(len, strlen("private bytes"));
    assert_memory_equal(data, "private bytes", len);
    scm_secure_free(data, len);

    /* Never the secret area. */
    assert_int_equal(scm_card_find(c, "sec", &id), SCM_OK);
    assert_int_equal(scm_card_read(c, id, &data, &len, NULL), SCM_E_SECRET_AREA);
    scm_card_close(c);
}

static void test_write_rules(void **state)
{
    struct fx *f = *state;
    struct scm_card *c = open_card(f, false);
    struct scm_detail d = {{0}};
    struct scm_obj_new o = {.label = "x",
                            .type = SCM_OBJ_NOTE,
                            .area = SCM_AREA_PRIVATE,
                            .data = (const uint8_t *)"one",
                            .len = 3};
    uint8_t *data;
    size_t len;
    uint32_t id, id2;

    /* Writing needs the password. */
    assert_int_equal(scm_card_write(c, &o, false, NULL, &d), SCM_E_VSC_LOCKED);
    assert_int_equal(scm_card_unlock(c, PW, strlen(PW), NULL), SCM_OK);
    assert_int_equal(scm_card_write(c, &o, false, &id, &d), SCM_OK);

    /* Same label again: refused, unless replacing in the same area. */
    assert_int_equal(scm_card_write(c, &o, false, NULL, &d), SCM_E_EXISTS);
    assert_non_null(strstr(d.text, "--replace"));
    o.data = (const uint8_t *)"two!";
    o.len = 4;
    assert_int_equal(scm_card_write(c, &o, true, &id2, &d), SCM_OK);
    assert_int_equal(id2, id);
    assert_int_equal(scm_card_read(c, id, &data, &len, NULL), SCM_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(data, "two!", 4);
    scm_secure_free(data, len);

    o.area = SCM_AREA_PUBLIC;
    assert_int_equal(scm_card_write(c, &o, true, NULL, &d), SCM_E_EXISTS);
    assert_non_null(strstr(d.text, "private area"));

    /* --replace of a new label simply adds. */
    o.label = "fresh";
    assert_int_equal(scm_card_write(c, &o, true, &id2, &d), SCM_OK);
    assert_int_not_equal(id2, id);

    /* Bad labels come back as such. */
    o.label = "";
    assert_int_equal(scm_card_write(c, &o, false, NULL, &d), SCM_E_BAD_LABEL);
    o.label = "bad\xFF";
    assert_int_equal(scm_card_write(c, &o, false, NULL, &d), SCM_E_BAD_LABEL);

    /* Delete, commit, and the changes are on disk. */
    assert_int_equal(scm_card_delete(c, id, NULL), SCM_OK);
    assert_int_equal(scm_card_find(c, "x", &id), SCM_E_NOT_FOUND);
    assert_int_equal(scm_card_commit(c, NULL), SCM_OK);
    scm_card_close(c);

    c = open_card(f, true);
    assert_int_equal(scm_card_find(c, "x", &id), SCM_E_NOT_FOUND);
    assert_int_equal(scm_card_find(c, "fresh", &id), SCM_OK);
    scm_card_close(c);
}

static void test_uncommitted_lost(void **state)
{
    struct fx *f = *state;
    struct scm_card *c = open_card(f, true);
    struct scm_card_info ci;
    uint32_t id;
    add(c, "temp", SCM_AREA_PUBLIC, "x");
    scm_card_get_info(c, &ci);
    assert_true(ci.dirty);
    scm_card_close(c);
    c = open_card(f, false);
    assert_int_equal(scm_card_find(c, "temp", &id), SCM_E_NOT_FOUND);
    scm_card_close(c);
}

/* A second VSC for copies. */
static struct scm_card *open_second(struct fx *f, const char *uid)
{
    struct scm_vsc *v = NULL;
    struct scm_card *c = NULL;
    char name[40];
    assert_int_equal(scm_vsc_create(f->st, uid, NULL, NULL, PW, strlen(PW), &v, NULL), SCM_OK);
    scm_vsc_close(v);
    snprintf(name, sizeof(name), "vsc:%s", uid);
    assert_int_equal(scm_card_open(&f->ctx, name, &c, NULL), SCM_OK);
    assert_int_equal(scm_card_unlock(c, PW, strlen(PW), NULL), SCM_OK);
    return c;
}

static void fill(struct scm_card *c)
{
    add(c, "pub", SCM_AREA_PUBLIC, "public bytes");
    add(c, "priv", SCM_AREA_PRIVATE, "private bytes");
    add(c, "key", SCM_AREA_SECRET, "secret key bytes");
    assert_int_equal(scm_card_commit(c, NULL), SCM_OK);
}

static const struct scm_copy_item *item(const struct scm_copy_report *r, const char *label)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->items[i].label, label) == 0)
            return &r->items[i];
    fail_msg("no report item '%s'", label);
    return NULL;
}

static bool count_progress(void *arg, size_t done, size_t total, const char *label)
{
    size_t *calls = arg;
    (*calls)++;
    assert_true(done <= total);
    return true;
}

static void test_copy_all(void **state)
{
    struct fx *f = *state;
    struct scm_card *src = open_card(f, true), *dst = open_second(f, "B2");
    struct scm_copy_report r;
    uint8_t *data;
    size_t len, calls = 0;
    uint32_t id;
    fill(src);

    assert_int_equal(scm_card_copy(src, dst, NULL, 0, NULL, count_progress, &calls, &r, NULL), SCM_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.done, 2);
    assert_int_equal(r.skipped, 1);
    assert_int_equal(item(&r, "key")->result, SCM_COPY_SKIPPED);
    assert_non_null(strstr(item(&r, "key")->why, "never leave the VSC"));
    /* Before each object read (3) and written (2), and once after each phase. */
    assert_int_equal(calls, 7);
    scm_copy_report_free(&r);
    scm_card_close(dst);

    /* Saved: a fresh handle sees the copies with their bytes and areas. */
    dst = NULL;
    assert_int_equal(scm_card_open(&f->ctx, "vsc:B2", &dst, NULL), SCM_OK);
    assert_int_equal(scm_card_unlock(dst, PW, strlen(PW), NULL), SCM_OK);
    assert_int_equal(scm_card_find(dst, "priv", &id), SCM_OK);
    assert_int_equal(scm_card_read(dst, id, &data, &len, NULL), SCM_OK);
    assert_memory_equal(data, "private bytes", len);
    scm_secure_free(data, len);
    assert_int_equal(scm_card_find(dst, "key", &id), SCM_E_NOT_FOUND);

    /* A second copy replaces, it does not duplicate or fail. */
    assert_int_equal(scm_card_copy(src, dst, NULL, 0, NULL, NULL, NULL, &r, NULL), SCM_OK);
    assert_int_equal(r.done, 2);
    scm_copy_report_free(&r);
    scm_card_close(dst);
    scm_card_close(src);
}

static void test_copy_labels(void **state)
{
    struct fx *f = *state;
    struct scm_card *src = open_card(f, true), *dst = open_second(f, "B3");
    struct scm_copy_report r;
    const char *want[] = {"priv"};
    uint32_t id;
    fill(src);
    assert_int_equal(scm_card_copy(src, dst, want, 1, NULL, NULL, NULL, &r, NULL), SCM_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.done, 1);
    scm_copy_report_free(&r);
    assert_int_equal(scm_card_find(dst, "priv", &id), SCM_OK);
    assert_int_equal(scm_card_find(dst, "pub", &id), SCM_E_NOT_FOUND);
    scm_card_close(dst);
    scm_card_close(src);
}

static bool cancel_at_one(void *arg, size_t done, size_t total, const char *label)
{
    return done < 1;
}

static void test_copy_failures(void **state)
{
    struct fx *f = *state;
    struct scm_card *src = open_card(f, true), *dst = open_second(f, "B4");
    struct scm_copy_report r;
    struct scm_detail d = {{0}};
    const char *missing[] = {"pub", "nope"};
    uint32_t id;
    fill(src);

    /* A label that is not there: nothing is copied, one sentence says so. */
    assert_int_equal(scm_card_copy(src, dst, missing, 2, NULL, NULL, NULL, &r, &d), SCM_E_NOT_FOUND);
    assert_non_null(strstr(d.text, "'nope'"));
    assert_int_equal(scm_card_find(dst, "pub", &id), SCM_E_NOT_FOUND);
    scm_copy_report_free(&r);

    /* A destination that refuses one object: the others still go, the
     * report names the one that failed and why. */
    struct scm_obj_new clash = {.label = "priv", .type = SCM_OBJ_NOTE, .area = SCM_AREA_PUBLIC,
                                .data = (const uint8_t *)"x", .len = 1};
    assert_int_equal(scm_card_write(dst, &clash, false, NULL, NULL), SCM_OK);
    assert_int_equal(scm_card_copy(src, dst, NULL, 0, NULL, NULL, NULL, &r, &d), SCM_E_EXISTS);
    assert_int_equal(item(&r, "priv")->result, SCM_COPY_FAILED);
    assert_non_null(strstr(item(&r, "priv")->why, "public area"));
    assert_int_equal(item(&r, "pub")->result, SCM_COPY_DONE);
    assert_int_equal(r.failed, 1);
    scm_copy_report_free(&r);

    /* Cancelled after reading the first object: nothing is written. */
    struct scm_card *dst2 = open_second(f, "B5");
    assert_int_equal(scm_card_copy(src, dst2, NULL, 0, NULL, cancel_at_one, NULL, &r, &d),
                     SCM_E_CANCELLED);
    assert_int_equal(r.done, 0);
    assert_int_equal(r.not_tried, 3);
    assert_int_equal(scm_card_find(dst2, "pub", &id), SCM_E_NOT_FOUND);
    scm_copy_report_free(&r);
    scm_card_close(dst2);
    scm_card_close(dst);
    scm_card_close(src);
}

/* The clipboard outlives its source card; paste leaves a VSC unsaved. */
static void test_clipboard(void **state)
{
    struct fx *f = *state;
    struct scm_card *src = open_card(f, true), *dst;
    struct scm_clip *clip;
    struct scm_copy_report r;
    const char *one[] = {"pub"};
    uint8_t *data;
    size_t len;
    uint32_t id;
    fill(src);

    assert_int_equal(scm_clip_new(&clip), SCM_OK);
    assert_int_equal(scm_clip_copy(clip, src, one, 1, NULL, NULL, NULL, NULL), SCM_OK);
    assert_int_equal(scm_clip_count(clip), 1);
    /* Copying all adds the rest, replaces "pub", and skips the sealed key. */
    assert_int_equal(scm_clip_copy(clip, src, NULL, 0, NULL, NULL, &r, NULL), SCM_OK);
    assert_int_equal(r.skipped, 1);
    scm_copy_report_free(&r);
    assert_int_equal(scm_clip_count(clip), 2);
    assert_string_equal(scm_clip_item(clip, 0)->label, "pub");
    assert_string_equal(scm_clip_item(clip, 0)->source, "vsc:00001079");
    assert_int_equal(scm_clip_item(clip, 1)->area, SCM_AREA_PRIVATE);
    assert_null(scm_clip_item(clip, 2));
    scm_card_close(src); /* the clipboard keeps its copies */

    dst = open_second(f, "C1");
    assert_int_equal(scm_clip_paste(clip, dst, NULL, 0, -1, NULL, NULL, NULL, &r, NULL), SCM_OK);
    assert_int_equal(r.done, 2);
    scm_copy_report_free(&r);
    struct scm_card_info ci;
    scm_card_get_info(dst, &ci);
    assert_true(ci.dirty); /* saved only by an explicit commit */
    assert_int_equal(scm_card_find(dst, "priv", &id), SCM_OK);
    assert_int_equal(scm_card_read(dst, id, &data, &len, NULL), SCM_OK);
    assert_memory_equal(data, "private bytes", len);
    scm_secure_free(data, len);
    assert_int_equal(scm_card_commit(dst, NULL), SCM_OK);
    scm_card_close(dst);

    /* Paste into a chosen area: "pub" lands in the private area of C2. */
    dst = open_second(f, "C2");
    assert_int_equal(scm_clip_paste(clip, dst, one, 1, SCM_AREA_PRIVATE, NULL, NULL, NULL, &r, NULL),
                     SCM_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.items[0].area, SCM_AREA_PRIVATE);
    scm_copy_report_free(&r);
    const struct scm_obj_info *o;
    size_t n;
    assert_int_equal(scm_card_list(dst, &o, &n), SCM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(o[0].area, SCM_AREA_PRIVATE);
    scm_card_close(dst);

    /* One item out, then all. */
    assert_int_equal(scm_clip_remove(clip, 0), SCM_OK);
    assert_int_equal(scm_clip_count(clip), 1);
    assert_string_equal(scm_clip_item(clip, 0)->label, "priv");
    assert_int_equal(scm_clip_remove(clip, 1), SCM_E_NOT_FOUND);
    scm_clip_clear(clip);
    assert_int_equal(scm_clip_count(clip), 0);
    scm_clip_free(clip);
    scm_clip_free(NULL);
}

/* "Not verified" is never gained by copying: the clipboard keeps the
 * flag of a locked VSC's public object, a copy leaves such objects behind. */
static void test_copy_unverified(void **state)
{
    struct fx *f = *state;
    struct scm_card *src = open_card(f, true), *dst = open_second(f, "D1");
    struct scm_clip *clip;
    struct scm_copy_report r;
    uint32_t id;
    fill(src);
    scm_card_close(src);

    src = open_card(f, false); /* locked: its public objects are not verified */
    assert_int_equal(scm_clip_new(&clip), SCM_OK);
    assert_int_equal(scm_clip_copy(clip, src, NULL, 0, NULL, NULL, NULL, NULL), SCM_OK);
    assert_int_equal(scm_clip_count(clip), 1);
    assert_false(scm_clip_item(clip, 0)->verified);
    scm_clip_free(clip);

    assert_int_equal(scm_card_copy(src, dst, NULL, 0, NULL, NULL, NULL, &r, NULL), SCM_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.done, 0);
    assert_int_equal(item(&r, "pub")->result, SCM_COPY_SKIPPED);
    assert_non_null(strstr(item(&r, "pub")->why, "not verified"));
    scm_copy_report_free(&r);
    assert_int_equal(scm_card_find(dst, "pub", &id), SCM_E_NOT_FOUND);
    scm_card_close(src);

    /* With the password the same objects are verified, and copied. */
    src = open_card(f, true);
    assert_int_equal(scm_clip_new(&clip), SCM_OK);
    assert_int_equal(scm_clip_copy(clip, src, NULL, 0, NULL, NULL, NULL, NULL), SCM_OK);
    for (size_t i = 0; i < scm_clip_count(clip); i++)
        assert_true(scm_clip_item(clip, i)->verified);
    scm_clip_free(clip);
    assert_int_equal(scm_card_copy(src, dst, NULL, 0, NULL, NULL, NULL, &r, NULL), SCM_OK);
    assert_int_equal(item(&r, "pub")->result, SCM_COPY_DONE);
    scm_copy_report_free(&r);
    assert_int_equal(scm_card_find(dst, "pub", &id), SCM_OK);
    scm_card_close(dst);
    scm_card_close(src);
}

/* What the conflict callback saw, and what it answers. */
struct clash {
    enum scm_conflict answer;
    size_t calls, n;
    char first[32];
};

static enum scm_conflict on_clash(void *arg, const char *const *labels, size_t n)
{
    struct clash *c = arg;
    c->calls++;
    c->n = n;
    snprintf(c->first, sizeof(c->first), "%s", n ? labels[0] : "");
    return c->answer;
}

static bool clash_progress(void *arg, size_t done, size_t total, const char *label)
{
    return true;
}

/* Labels the destination has already: the callback is asked once, before
 * anything is written, and its answer is kept to. */
static void test_paste_conflicts(void **state)
{
    struct fx *f = *state;
    struct scm_card *src = open_card(f, true), *dst = open_second(f, "D1");
    struct scm_clip *clip;
    struct scm_copy_report r;
    struct scm_detail d = {{0}};
    uint8_t *data;
    size_t len;
    uint32_t id;
    fill(src);
    add(dst, "pub", SCM_AREA_PUBLIC, "old bytes");
    assert_int_equal(scm_clip_new(&clip), SCM_OK);
    assert_int_equal(scm_clip_copy(clip, src, NULL, 0, NULL, NULL, NULL, NULL), SCM_OK);

    /* Cancel: nothing at all is written, the sentence names the label. */
    struct clash c = {SCM_CONFLICT_CANCEL, 0, 0, ""};
    assert_int_equal(scm_clip_paste(clip, dst, NULL, 0, -1, on_clash, clash_progress, &c, &r, &d),
                     SCM_E_EXISTS);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.first, "pub");
    assert_non_null(strstr(d.text, "'pub'"));
    assert_int_equal(r.done, 0);
    assert_int_equal(r.not_tried, 2);
    assert_int_equal(scm_card_find(dst, "priv", &id), SCM_E_NOT_FOUND);
    scm_copy_report_free(&r);

    /* Skip: the others go, the one there keeps its bytes. */
    c = (struct clash){SCM_CONFLICT_SKIP, 0, 0, ""};
    assert_int_equal(scm_clip_paste(clip, dst, NULL, 0, -1, on_clash, NULL, &c, &r, NULL), SCM_OK);
    assert_int_equal(c.calls, 1);
    assert_int_equal(item(&r, "pub")->result, SCM_COPY_SKIPPED);
    assert_int_equal(item(&r, "priv")->result, SCM_COPY_DONE);
    scm_copy_report_free(&r);
    assert_int_equal(scm_card_find(dst, "pub", &id), SCM_OK);
    assert_int_equal(scm_card_read(dst, id, &data, &len, NULL), SCM_OK);
    assert_memory_equal(data, "old bytes", len);
    scm_secure_free(data, len);

    /* Replace: both are there now, and both are overwritten (a paste the
     * user asked for asks about identical ones too). */
    c = (struct clash){SCM_CONFLICT_REPLACE, 0, 0, ""};
    assert_int_equal(scm_clip_paste(clip, dst, NULL, 0, -1, on_clash, NULL, &c, &r, NULL), SCM_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(r.done, 2);
    scm_copy_report_free(&r);
    assert_int_equal(scm_card_find(dst, "pub", &id), SCM_OK);
    assert_int_equal(scm_card_read(dst, id, &data, &len, NULL), SCM_OK);
    assert_memory_equal(data, "public bytes", len);
    scm_secure_free(data, len);

    /* The copy (backup, restore) asks the same way, once dst's copy of
     * "pub" differs again. */
    assert_int_equal(scm_card_find(dst, "pub", &id), SCM_OK);
    assert_int_equal(scm_card_delete(dst, id, NULL), SCM_OK);
    add(dst, "pub", SCM_AREA_PUBLIC, "other bytes");
    c = (struct clash){SCM_CONFLICT_CANCEL, 0, 0, ""};
    assert_int_equal(scm_card_copy(src, dst, NULL, 0, on_clash, NULL, &c, &r, &d), SCM_E_EXISTS);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.n, 1); /* only "pub": "priv" is there as it is */
    assert_string_equal(c.first, "pub");
    assert_int_equal(r.done, 0);
    scm_copy_report_free(&r);
    /* Replace: "pub" is written, "priv" is neither asked about nor written. */
    c = (struct clash){SCM_CONFLICT_REPLACE, 0, 0, ""};
    assert_int_equal(scm_card_copy(src, dst, NULL, 0, on_clash, NULL, &c, &r, &d), SCM_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(item(&r, "pub")->result, SCM_COPY_DONE);
    assert_int_equal(item(&r, "priv")->result, SCM_COPY_SKIPPED);
    assert_non_null(strstr(item(&r, "priv")->why, "same content"));
    scm_copy_report_free(&r);

    scm_clip_free(clip);
    scm_card_close(dst);
    scm_card_close(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uncommitted_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clipboard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_unverified, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paste_conflicts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
