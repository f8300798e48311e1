/* Flows on single objects of the open card: view, import from a file,
 * export to a file, rename, delete; and laying out a blank card. */
#include "ui_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool need_card(struct ui *ui)
{
    if (ui->card)
        return true;
    ui_status(ui, true, "No card is open: select a reader and press Enter.");
    return false;
}

static const struct scm_obj_info *need_obj(struct ui *ui, const char *what)
{
    const struct scm_obj_info *o;
    if (!need_card(ui))
        return NULL;
    o = ui->focus == UI_PANE_CARD ? ui_obj_selected(ui) : NULL;
    if (!o)
        ui_status(ui, true, "Select an object in the Card pane to %s.", what);
    return o;
}

struct view_arg {
    const uint8_t *data;
    size_t len;
    bool utf8;
    bool hex; /* the first rendering is the hex dump: Tab shows text */
    const char *label;
};

/* A label too long for the viewer's title is shown whole above the bytes. */
static void view_head(const struct view_arg *v, char ***lines, size_t *n)
{
    char clean[SCM_OBJ_LABEL_MAX * 4 + 16], head[SCM_OBJ_LABEL_MAX * 4 + 32];
    char **body = *lines;
    size_t nb = *n;
    ui_text_clean(v->label, v->utf8, clean, sizeof(clean));
    /* The title is " View: <label> " in the box's top border. */
    if (ui_text_cols(clean, v->utf8) + 8 <= UI_LINES_WIDTH(COLS))
        return;
    snprintf(head, sizeof(head), "Label: %s", clean);
    *lines = NULL;
    *n = 0;
    ui_text_wrap(head, v->utf8, UI_LINES_WIDTH(COLS), 7, 0, NULL, lines, n, NULL);
    ui_lines_add(lines, n, "%s", "");
    for (size_t i = 0; i < nb; i++)
        ui_lines_add(lines, n, "%s", body[i]);
    ui_lines_free(body, nb);
}

/* Tab: the hex dump after text or a certificate, the text after hex. */
static void view_alt(void *arg, bool alt, char ***lines, size_t *n, int *indent)
{
    struct view_arg *v = arg;
    bool hex = alt ? !v->hex : v->hex;
    ui_view_lines(v->data, v->len, hex, v->utf8, UI_LINES_WIDTH(COLS), lines, n);
    *indent = hex ? UI_LINES_NOWRAP : 0;
    view_head(v, lines, n);
}

/* Worth decoding as a certificate in a child process: typed so, or DER
 * (a SEQUENCE) or PEM. A public object is simply tried. */
static bool may_be_cert(enum scm_obj_type type, const uint8_t *d, size_t len)
{
    return type == SCM_OBJ_CERT || (len > 0 && d[0] == 0x30) ||
           (len >= 11 && memcmp(d, "-----BEGIN ", 11) == 0);
}

static bool looks_binary(const uint8_t *d, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (d[i] < 0x20 && d[i] != '\n' && d[i] != '\r' && d[i] != '\t')
            return true;
    return false;
}

void ui_act_view(struct ui *ui)
{
    struct scm_detail d = {{0}};
    uint8_t *data = NULL;
    size_t len = 0;
    char **lines = NULL, title[SCM_OBJ_LABEL_MAX + 16];
    size_t n = 0;
    const struct scm_obj_info *o = need_obj(ui, "view it");
    if (!o)
        return;
    if (o->sealed) {
        if (ui->ci.kind == SCM_CARD_REAL)
            ui_status(ui, false,
                      "'%s' cannot be copied: the card never releases private keys; only its "
                      "name is shown.",
                      o->label);
        else
            ui_status(ui, false,
                      "'%s' is a key of the secret area: it never leaves the VSC; only its name "
                      "is shown.",
                      o->label);
        return;
    }
    snprintf(title, sizeof(title), "View: %s", o->label);
    /* o may not survive the read */
    enum scm_area area = o->area;
    enum scm_obj_type type = o->type;
    bool unverified = !o->verified;
    int rc = scm_card_read(ui->card, o->id, &data, &len, &d);
    if (rc < 0) {
        ui_status_err(ui, rc, &d, "Reading the object failed");
        return;
    }
    bool hex = looks_binary(data, len), cert = false;
    struct view_arg va = {data, len, ui->utf8, hex, title + 6};
    struct scm_detail cd = {{0}};
    int cr = 0;
    /* GnuTLS's parser copies its input into ordinary memory (and frees it
     * unwiped): a private object is decoded in a locked child process. */
    if (area == SCM_AREA_PUBLIC)
        cr = ui_cert_lines(data, len, &lines, &n);
    else if (may_be_cert(type, data, len))
        cr = ui_cert_lines_isolated(data, len, &lines, &n, &cd);
    if (cr == 1) {
        cert = true;
        va.hex = false;
    } else {
        ui_view_lines(data, len, hex, ui->utf8, UI_LINES_WIDTH(COLS), &lines, &n);
    }
    if (cr < 0) {
        /* One sentence above the bytes, which are all still there. */
        char why[SCM_DETAIL_MAX + 96], **body = lines;
        size_t nb = n;
        snprintf(why, sizeof(why), "The certificate could not be decoded: %s Its bytes follow.",
                 cd.text[0] ? cd.text : scm_strerror(cr));
        lines = NULL;
        n = 0;
        ui_text_wrap(why, ui->utf8, UI_LINES_WIDTH(COLS), 0, 0, NULL, &lines, &n, NULL);
        ui_lines_add(&lines, &n, "%s", "");
        for (size_t i = 0; i < nb; i++)
            ui_lines_add(&lines, &n, "%s", body[i]);
        ui_lines_free(body, nb);
    }
    view_head(&va, &lines, &n);
    int indent = cert ? UI_CERT_INDENT : va.hex ? UI_LINES_NOWRAP : 0;
    ui_lines_wrap(ui, title, lines, n, indent, view_alt, &va);
    ui_lines_free(lines, n);
    scm_secure_free(data, len);
    ui_card_reload(ui); /* o pointed into a listing a read may renew */
    ui_status(ui, false, "Viewed '%s' (%zu bytes%s).", title + 6, len,
              unverified ? "; not verified until the password checks it" : "");
}

/* A whole file into secure memory (it may be a private object). */
static int read_file(const char *path, uint8_t **out, size_t *len, struct scm_detail *d)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return scm_fail(d, SCM_E_IO, "%s cannot be opened: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)SCM_OBJ_SIZE_MAX) {
        close(fd);
        return scm_fail(d, SCM_E_LIMIT, "%s is not a regular file of at most 1 MiB.", path);
    }
    size_t n = (size_t)st.st_size, got = 0;
    uint8_t *buf = scm_secure_alloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return SCM_E_NOMEM;
    }
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (got != n) {
        scm_secure_free(buf, n ? n : 1);
        return scm_fail(d, SCM_E_IO, "%s could not be read completely.", path);
    }
    *out = buf;
    *len = n;
    return SCM_OK;
}

static const char *const type_items[] = {"data", "certificate", "private-key", "public-key",
                                         "secret-key", "business-card", "url", "login", "note"};

void ui_act_import(struct ui *ui)
{
    struct scm_detail d = {{0}};
    char path[1024] = "", label[SCM_OBJ_LABEL_MAX + 1];
    uint8_t *data = NULL;
    size_t len = 0;
    if (!need_card(ui))
        return;
    const struct ui_row *r = ui_row_selected(ui);
    enum scm_area area = r ? r->area : SCM_AREA_PUBLIC;
    if (ui_input(ui, "Import object", "File to import:", path, sizeof(path)) != 1 || !path[0]) {
        ui_status(ui, false, "Import cancelled.");
        return;
    }
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    snprintf(label, sizeof(label), "%s", base);
    if (ui_input(ui, "Import object", "Label:", label, sizeof(label)) != 1 || !label[0]) {
        ui_status(ui, false, "Import cancelled.");
        return;
    }
    int t = ui_pick(ui, "Type", type_items, sizeof(type_items) / sizeof(type_items[0]), 0);
    if (t < 0) {
        ui_status(ui, false, "Import cancelled.");
        return;
    }
    if (area != SCM_AREA_PUBLIC || scm_card_needs_unlock(ui->card)) {
        if (ui_unlock_write(ui) < 0)
            return;
    }
    int rc = read_file(path, &data, &len, &d);
    if (rc < 0) {
        ui_status_err(ui, rc, &d, "Import failed");
        return;
    }
    struct scm_obj_new o = {.label = label, .type = (enum scm_obj_type)scm_obj_type_parse(type_items[t]),
                            .area = area, .data = data, .len = len};
    rc = scm_card_write(ui->card, &o, false, NULL, &d);
    if (rc == SCM_E_EXISTS &&
        ui_yesno(ui, "Confirm", "An object with this label exists. Replace it?") == 1) {
        d.text[0] = '\0';
        rc = scm_card_write(ui->card, &o, true, NULL, &d);
    }
    scm_secure_free(data, len ? len : 1);
    ui_card_reload(ui);
    if (rc < 0)
        ui_status_err(ui, rc, &d, "Import failed");
    else
        ui_status(ui, false, "Imported '%s' into the %s area of %s%s.", label, scm_area_name(area),
                  ui->ci.name, ui->ci.dirty ? " (unsaved: F2 saves)" : "");
}

void ui_act_export(struct ui *ui)
{
    struct scm_detail d = {{0}};
    char path[1024];
    uint8_t *data = NULL;
    size_t len = 0;
    const struct scm_obj_info *o = need_obj(ui, "export it");
    if (!o)
        return;
    if (!ui->pol->allow_export || (o->area != SCM_AREA_PUBLIC && !ui->pol->allow_private_export)) {
        ui_status(ui, true, "Exporting this object is not allowed by the policy.");
        return;
    }
    if (o->sealed) {
        ui_status(ui, true, "'%s' is a key that never leaves the card.", o->label);
        return;
    }
    if (o->area != SCM_AREA_PUBLIC) {
        /* The card (or the VSC's encryption) protects it; the file will not. */
        char q[SCM_OBJ_LABEL_MAX * 4 + 200], clean[SCM_OBJ_LABEL_MAX * 4 + 1];
        ui_text_clean(o->label, ui->utf8, clean, sizeof(clean));
        snprintf(q, sizeof(q),
                 "'%s' is a private object: the file will hold its bytes in clear, readable by "
                 "whoever can read the file. Export it in clear?",
                 clean);
        if (ui_yesno(ui, "Export in clear", q) != 1) {
            ui_status(ui, false, "Export cancelled: nothing was written.");
            return;
        }
        o = ui_obj_selected(ui); /* a nested dialog may have redrawn; the listing is unchanged */
        if (!o)
            return;
    }
    uint32_t id = o->id;
    /* A file name from the label: only safe characters. */
    size_t k = 0;
    for (const char *s = o->label; *s && k < 64; s++)
        path[k++] = (char)((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
                                   (*s >= '0' && *s <= '9') || *s == '.' || *s == '-'
                               ? *s
                               : '_');
    path[k] = '\0';
    if (ui_input(ui, "Export object", "Write to file:", path, sizeof(path)) != 1 || !path[0]) {
        ui_status(ui, false, "Export cancelled.");
        return;
    }
    bool force = false;
    if (ui_outfile_ask(ui, path, sizeof(path), &force) != 1)
        return;
    int rc = scm_card_read(ui->card, id, &data, &len, &d);
    if (rc < 0) {
        ui_status_err(ui, rc, &d, "Export failed");
        return;
    }
    ui_card_reload(ui);
    rc = scm_outfile_write(path, data, len, force, &d);
    scm_secure_free(data, len);
    if (rc < 0)
        ui_status_err(ui, rc, &d, "Export failed");
    else
        ui_status(ui, false, "Exported %zu bytes to %s.", len, path);
}

int ui_outfile_ask(struct ui *ui, char *path, size_t cap, bool *force)
{
    struct scm_detail d = {{0}};
    *force = false;
    /* "-" is standard output for the CLI; here it is the curses screen. */
    if (strcmp(path, "-") == 0)
        snprintf(path, cap, "./-");
    int rc = scm_outfile_check(path, false, &d);
    if (rc == SCM_E_EXISTS) {
        if (ui_yesno(ui, "Confirm", "The file exists. Overwrite it?") != 1) {
            ui_status(ui, false, "Export cancelled.");
            return 0;
        }
        *force = true;
        d.text[0] = '\0';
        rc = scm_outfile_check(path, true, &d);
    }
    if (rc < 0) {
        ui_status_err(ui, rc, &d, "Export refused");
        return 0;
    }
    return 1;
}

void ui_act_rename(struct ui *ui)
{
    struct scm_detail d = {{0}};
    char label[SCM_OBJ_LABEL_MAX + 1];
    uint8_t *data = NULL;
    size_t len = 0;
    const struct scm_obj_info *o = need_obj(ui, "rename it");
    if (!o)
        return;
    if (o->sealed) {
        ui_status(ui, true, "'%s' is a key that never leaves the card: it cannot be renamed here.",
                  o->label);
        return;
    }
    struct scm_obj_info keep = *o;
    /* keep.label points into the listing, which the rename replaces. */
    char old_label[SCM_OBJ_LABEL_MAX + 1];
    snprintf(old_label, sizeof(old_label), "%s", o->label);
    char src_path[SCM_SRC_PATH_MAX];
    snprintf(src_path, sizeof(src_path), "%s", o->src_path ? o->src_path : "");
    snprintf(label, sizeof(label), "%s", o->label);
    if (ui_input(ui, "Rename", "New label:", label, sizeof(label)) != 1 || !label[0] ||
        strcmp(label, keep.label) == 0) {
        ui_status(ui, false, "Rename cancelled.");
        return;
    }
    if (ui_unlock_write(ui) < 0)
        return;
    /* The API renames by writing the object under its new label, then
     * deleting the old one: a failure in between leaves both, never none. */
    int rc = scm_card_read(ui->card, keep.id, &data, &len, &d);
    if (rc == SCM_OK) {
        struct scm_obj_new no = {.label = label, .type = keep.type, .area = keep.area,
                                 .data = data, .len = len, .src_path = src_path[0] ? src_path : NULL};
        rc = scm_card_write(ui->card, &no, false, NULL, &d);
        scm_secure_free(data, len);
        if (rc == SCM_OK)
            rc = scm_card_delete(ui->card, keep.id, &d);
    }
    ui_card_reload(ui);
    /* The cursor follows the object to its new place in the list. */
    ui_card_select_label(ui, rc == SCM_OK ? label : old_label);
    if (rc < 0)
        ui_status_err(ui, rc, &d, "Rename failed");
    else
        ui_status(ui, false, "Renamed to '%s'%s.", label, ui->ci.dirty ? " (unsaved: F2 saves)" : "");
}

void ui_act_delete(struct ui *ui)
{
    struct scm_detail d = {{0}};
    char q[SCM_OBJ_LABEL_MAX * 4 + 200], clean[SCM_OBJ_LABEL_MAX * 4 + 1];
    const struct scm_obj_info *o = need_obj(ui, "delete it");
    if (!o)
        return;
    uint32_t id = o->id;
    ui_text_clean(o->label, ui->utf8, clean, sizeof(clean));
    snprintf(q, sizeof(q), "Delete object '%s' from %s?", clean, ui->ci.name);
    if (ui_yesno(ui, "Confirm", q) != 1) {
        ui_status(ui, false, "Nothing deleted.");
        return;
    }
    if (ui_unlock_write(ui) < 0)
        return;
    int rc = scm_card_delete(ui->card, id, &d);
    ui_card_reload(ui);
    if (rc < 0)
        ui_status_err(ui, rc, &d, "Delete failed");
    else
        ui_status(ui, false, "Deleted '%s'%s.", clean, ui->ci.dirty ? " (unsaved: F2 saves)" : "");
}

void ui_act_init_card(struct ui *ui, const char *reader)
{
    struct scm_detail d = {{0}};
    struct ui_secret pin = {0};
    char name[160], label[SCM_VSC_LABEL_MAX + 1] = "";
    if (!reader) {
        const struct scm_slot *s = ui_slot_selected(ui);
        if (!s || s->kind != SCM_CARD_REAL || s->state == SCM_SLOT_EMPTY) {
            ui_status(ui, true, "Select a reader with a blank card in Readers first.");
            return;
        }
        reader = s->name;
    }
    snprintf(name, sizeof(name), "%s", reader);
    if (ui->card && strcmp(ui->card_slot, name) == 0 && !ui_close_card(ui, true))
        return;
    if (ui_input(ui, "Initialise card", "Label for the card:", label, sizeof(label)) != 1) {
        ui_status(ui, false, "Initialising cancelled.");
        return;
    }
    if (ui_secret_ask(ui, "PIN", "Current PIN of the card (it stays the PIN):", &pin) != 1) {
        ui_status(ui, false, "Initialising cancelled.");
        return;
    }
    ui_status(ui, false, "Initialising the card in %s...", name);
    ui_draw(ui);
    struct scm_card_init p = {.label = label[0] ? label : NULL, .pin = pin.buf, .pin_len = pin.len};
    int rc = scm_card_init(&ui->cctx, name, &p, &d);
    ui_secret_free(&pin);
    /* The probe cache knows the card as blank: start a fresh listing. */
    scm_slots_free(ui->slotstate);
    ui->slotstate = NULL;
    scm_slots_new(&ui->slotstate);
    ui_slots_refresh(ui);
    if (rc < 0)
        ui_status_err(ui, rc, &d, "Initialising failed");
    else
        ui_status(ui, false, "Initialised the card in %s; press Enter to open it.", name);
}
