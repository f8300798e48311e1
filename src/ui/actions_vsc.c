/* VSC management (Tools > VSC Manager, Fig. 3G-3J, 3U-3X): the store's
 * list with New, Import, Export, Disable, Enable, Delete, Close. */
#include "ui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void select_slot(struct ui *ui, const char *name)
{
    for (size_t i = 0; i < ui->n_slots; i++)
        if (strcmp(ui->slots[i].name, name) == 0)
            ui->rd_sel = (int)i;
    ui_dirty(ui, UI_W_READERS);
}

int ui_new_password(struct ui *ui, const char *what, struct ui_secret *s)
{
    struct ui_secret again = {0};
    unsigned min = ui->pol->min_password_len ? ui->pol->min_password_len : 1;
    char prompt[320];
    snprintf(prompt, sizeof(prompt), "New password for %s (at least %u characters):", what, min);
    /* The policy is checked at the first entry: a short password is asked
     * again at once, not after the repeat and the whole flow. */
    for (;;) {
        int r = ui_secret_ask(ui, "New password", prompt, s);
        if (r != 1)
            return r;
        if (s->len >= min)
            break;
        snprintf(prompt, sizeof(prompt),
                 "Too short (%zu): the policy wants at least %u characters. New password for %s:",
                 s->len, min, what);
        ui_secret_free(s);
    }
    int r = ui_secret_ask(ui, "New password", "Repeat the new password:", &again);
    if (r != 1) {
        ui_secret_free(s);
        return r;
    }
    if (s->len != again.len || memcmp(s->buf, again.buf, s->len) != 0) {
        ui_secret_free(s);
        r = SCM_E_PW_MISMATCH;
    }
    ui_secret_free(&again);
    return r;
}

void ui_act_new_vsc(struct ui *ui, bool quiet)
{
    struct scm_detail d = {{0}};
    struct ui_secret pw = {0};
    struct scm_vsc_source src, *srcp = NULL;
    struct scm_vsc *v = NULL;
    char uid[SCM_VSC_UID_MAX + 1] = "", name[SCM_VSC_UID_MAX + 8];
    /* Prefilled with the serial of the card selected in Readers (Fig. 3I). */
    const struct scm_slot *s = ui_slot_selected(ui);
    if (s && s->kind == SCM_CARD_REAL && s->serial[0] && scm_vsc_uid_valid(s->serial))
        snprintf(uid, sizeof(uid), "%.32s", s->serial);
    else if (ui->card && ui->ci.kind == SCM_CARD_REAL && scm_vsc_uid_valid(ui->ci.serial))
        snprintf(uid, sizeof(uid), "%.32s", ui->ci.serial);
    if (ui_input(ui, "New VSC", "Identifier (UID):", uid, sizeof(uid)) != 1 || !uid[0]) {
        ui_status(ui, false, "No VSC created.");
        return;
    }
    if (!scm_vsc_uid_valid(uid)) {
        ui_status(ui, true, "'%s' is not a valid identifier: letters, digits, '.', '_' and '-'.",
                  uid);
        return;
    }
    snprintf(name, sizeof(name), "vsc:%s", uid);
    int rc = ui_new_password(ui, name, &pw);
    if (rc == SCM_E_PW_MISMATCH) {
        ui_status(ui, true, "The two passwords differ; no VSC was created.");
        return;
    }
    if (rc != 1) {
        ui_status(ui, false, "No VSC created.");
        return;
    }
    /* The VSC of the open card records where it came from. */
    if (ui->card && ui->ci.kind == SCM_CARD_REAL) {
        char tuid[SCM_VSC_UID_MAX + 1];
        if (scm_card_backup_target(ui->card, tuid, &src, NULL) == SCM_OK && strcmp(tuid, uid) == 0)
            srcp = &src;
    }
    ui_status(ui, false, "Creating %s...", name);
    ui_draw(ui);
    rc = scm_vsc_create(ui->cctx.store, uid, NULL, srcp, pw.buf, pw.len, &v, &d);
    ui_secret_free(&pw);
    scm_vsc_close(v);
    ui_slots_refresh(ui);
    if (rc < 0) {
        ui_status_err(ui, rc, &d, "Creating the VSC failed");
        return;
    }
    select_slot(ui, name);
    if (!quiet)
        ui->focus = UI_PANE_READERS;
    ui->dirty = UI_DIRTY_ALL;
    ui_status(ui, false, "Created %s: Virtual Smart Card / VSC %s in Readers.", name, uid);
}

/* Open a VSC of the store and check its password (for disable). */
static int open_unlocked(struct ui *ui, const char *uid, struct scm_vsc **v, struct scm_detail *d)
{
    struct ui_secret pw = {0};
    char prompt[128];
    int rc = scm_vsc_open(ui->cctx.store, uid, v, d);
    if (rc < 0)
        return rc;
    snprintf(prompt, sizeof(prompt), "Password for vsc:%s:", uid);
    if (ui_secret_ask(ui, "Password", prompt, &pw) != 1) {
        scm_vsc_close(*v);
        *v = NULL;
        return SCM_E_CANCELLED;
    }
    ui_status(ui, false, "Checking the password...");
    ui_draw(ui);
    rc = scm_vsc_unlock(*v, pw.buf, pw.len, d);
    ui_secret_free(&pw);
    if (rc < 0) {
        scm_vsc_close(*v);
        *v = NULL;
    }
    return rc;
}

/* The VSC is open in the Card pane: close it first (asking about changes). */
static bool release(struct ui *ui, const char *uid)
{
    char name[SCM_VSC_UID_MAX + 8];
    snprintf(name, sizeof(name), "vsc:%s", uid);
    if (ui->card && strcmp(ui->card_slot, name) == 0)
        return ui_close_card(ui, true);
    return true;
}

static void vsc_disable(struct ui *ui, const struct scm_store_entry *e)
{
    struct scm_detail d = {{0}};
    struct scm_vsc *v = NULL;
    char q[256];
    if (e->info.disabled) {
        ui_status(ui, false, "vsc:%s is already disabled.", e->info.uid);
        return;
    }
    snprintf(q, sizeof(q), "Disable VSC %s? It stays in the store but cannot be used until enabled.",
             e->info.uid);
    if (ui_yesno(ui, "Confirm", q) != 1) {
        ui_status(ui, false, "vsc:%s stays enabled.", e->info.uid);
        return;
    }
    if (!release(ui, e->info.uid))
        return;
    int rc = open_unlocked(ui, e->info.uid, &v, &d);
    if (rc == SCM_OK)
        rc = scm_vsc_disable(v, &d);
    scm_vsc_close(v);
    if (rc == SCM_E_CANCELLED)
        ui_status(ui, false, "vsc:%s stays enabled.", e->info.uid);
    else if (rc < 0)
        ui_status_err(ui, rc, &d, "Disabling failed");
    else
        ui_status(ui, false, "Disabled vsc:%s.", e->info.uid);
}

static void vsc_enable(struct ui *ui, const struct scm_store_entry *e)
{
    struct scm_detail d = {{0}};
    struct scm_vsc *v = NULL;
    struct ui_secret pw = {0};
    char prompt[128];
    if (!e->info.disabled) {
        ui_status(ui, false, "vsc:%s is already enabled.", e->info.uid);
        return;
    }
    int rc = scm_vsc_open(ui->cctx.store, e->info.uid, &v, &d);
    if (rc == SCM_OK) {
        snprintf(prompt, sizeof(prompt), "Password for vsc:%s:", e->info.uid);
        if (ui_secret_ask(ui, "Password", prompt, &pw) != 1) {
            rc = SCM_E_CANCELLED;
        } else {
            ui_status(ui, false, "Checking the password...");
            ui_draw(ui);
            rc = scm_vsc_enable(v, pw.buf, pw.len, &d);
        }
    }
    ui_secret_free(&pw);
    scm_vsc_close(v);
    if (rc == SCM_E_CANCELLED)
        ui_status(ui, false, "vsc:%s stays disabled.", e->info.uid);
    else if (rc < 0)
        ui_status_err(ui, rc, &d, "Enabling failed");
    else
        ui_status(ui, false, "Enabled vsc:%s.", e->info.uid);
}

static void vsc_delete(struct ui *ui, const struct scm_store_entry *e)
{
    struct scm_detail d = {{0}};
    char q[256];
    snprintf(q, sizeof(q), "Delete VSC %s and its backup copy? This cannot be undone.", e->info.uid);
    if (ui_yesno(ui, "Confirm", q) != 1) {
        ui_status(ui, false, "vsc:%s was kept.", e->info.uid);
        return;
    }
    if (!release(ui, e->info.uid))
        return;
    int rc = scm_store_remove(ui->cctx.store, e->info.uid, &d);
    if (rc < 0)
        ui_status_err(ui, rc, &d, "Deleting failed");
    else
        ui_status(ui, false, "Deleted vsc:%s.", e->info.uid);
}

static void vsc_export(struct ui *ui, const struct scm_store_entry *e)
{
    struct scm_detail d = {{0}};
    struct scm_vsc *v = NULL;
    char path[1024];
    snprintf(path, sizeof(path), "%s.vsc", e->info.uid);
    bool force = false;
    if (ui_input(ui, "Export VSC", "Write to file:", path, sizeof(path)) != 1 || !path[0]) {
        ui_status(ui, false, "Export cancelled.");
        return;
    }
    if (ui_outfile_ask(ui, path, sizeof(path), &force) != 1)
        return;
    int rc = scm_vsc_open(ui->cctx.store, e->info.uid, &v, &d);
    if (rc == SCM_OK)
        rc = scm_vsc_export(v, path, force, &d);
    scm_vsc_close(v);
    if (rc < 0)
        ui_status_err(ui, rc, &d, "Export failed");
    else
        ui_status(ui, false, "Exported vsc:%s to %s.", e->info.uid, path);
}

static void vsc_import(struct ui *ui)
{
    struct scm_detail d = {{0}};
    char path[1024] = "", uid[SCM_VSC_UID_MAX + 1];
    if (ui_input(ui, "Import VSC", "File to import:", path, sizeof(path)) != 1 || !path[0]) {
        ui_status(ui, false, "Import cancelled.");
        return;
    }
    int rc = scm_store_import(ui->cctx.store, path, uid, &d);
    if (rc < 0)
        ui_status_err(ui, rc, &d, "Import failed");
    else
        ui_status(ui, false, "Imported vsc:%s.", uid);
}

/* The VSC Manager: the store's VSCs in the one list widget, '/' finds a
 * UID or label, letters act on the selected VSC. */
struct mgr {
    struct scm_store_entry *e;
    size_t n;
    int sel, top;
    struct ui_list list;
};

static const char *mgr_label(void *arg, int i, char *buf, size_t cap)
{
    const struct mgr *m = arg;
    snprintf(buf, cap, "%s %s", m->e[i].info.uid, m->e[i].info.label);
    return buf;
}

struct mgr_row {
    struct ui *ui;
    struct ui_dlg *d;
    const struct mgr *m;
};

static void mgr_row(void *arg, int i, int row, bool sel)
{
    struct mgr_row *r = arg;
    struct ui *ui = r->ui;
    WINDOW *w = r->d->w;
    const struct scm_store_entry *e = &r->m->e[i];
    char line[512];
    attr_t a = sel ? ui_attr(ui, UI_ROLE_SELECTION) : A_NORMAL;
    if (a == A_NORMAL && (e->err < 0 || e->info.disabled))
        a = ui_attr(ui, UI_ROLE_DISABLED);
    snprintf(line, sizeof(line), "%-20s %-24.24s %-9s %zu/%zu/%zu", e->info.uid, e->info.label,
             e->err < 0 ? "broken" : e->info.disabled ? "disabled" : "enabled",
             e->info.count[0], e->info.count[1], e->info.count[2]);
    wattron(w, a);
    mvwhline(w, 2 + row, 1, ' ', r->d->wd - 2);
    ui_put(ui, w, 2 + row, 2, r->d->wd - 4, line);
    wattroff(w, a);
}

static void mgr_draw(struct ui *ui, struct ui_dlg *d, void *arg)
{
    struct mgr *m = arg;
    struct mgr_row r = {ui, d, m};
    char line[512];
    snprintf(line, sizeof(line), "%-20s %-24s %-9s %s", "UID", "Label", "State", "Objects");
    wattron(d->w, A_BOLD);
    ui_put(ui, d->w, 1, 2, d->wd - 4, line);
    wattroff(d->w, A_BOLD);
    if (m->n == 0)
        ui_put(ui, d->w, 2, 2, d->wd - 4, "(no VSC yet: N creates one)");
    m->list.w = d->wd - 2;
    ui_list_draw(&m->list, d->h - 5, true, mgr_row, &r);
    wattron(d->w, A_BOLD);
    mvwaddstr(d->w, d->h - 2, 2,
              ui->pol->allow_export
                  ? "[N]ew [I]mport E[x]port [D]isable [E]nable De[l]ete [C]lose  / find"
                  : "[N]ew [I]mport [D]isable [E]nable De[l]ete [C]lose  / find");
    wattroff(d->w, A_BOLD);
}

static void mgr_load(struct ui *ui, struct mgr *m)
{
    free(m->e);
    m->e = NULL;
    m->n = 0;
    if (scm_store_list(ui->cctx.store, &m->e, &m->n) < 0)
        m->n = 0;
    if (m->sel >= (int)m->n)
        m->sel = (int)m->n - 1;
    if (m->sel < 0)
        m->sel = 0;
    m->list.n = (int)m->n;
    ui_slots_refresh(ui);
}

static int mgr_key(struct ui *ui, struct ui_dlg *d, void *arg, int k)
{
    struct mgr *m = arg;
    (void)d;
    if (k == 'c' || k == 'C')
        return 0;
    const struct scm_store_entry *e = m->n ? &m->e[m->sel] : NULL;
    struct scm_store_entry copy;
    if (e)
        copy = *e; /* the list is reloaded by the actions */
    switch (k | 0x20) {
    case 'n': ui_act_new_vsc(ui, true); break;
    case 'i': vsc_import(ui); break;
    case 'x':
        if (e && ui->pol->allow_export)
            vsc_export(ui, &copy);
        else if (!ui->pol->allow_export)
            ui_status(ui, true, "Export is not allowed by the policy.");
        break;
    case 'd': if (e) vsc_disable(ui, &copy); break;
    case 'e': if (e) vsc_enable(ui, &copy); break;
    case 'l': if (e) vsc_delete(ui, &copy); break;
    default:
        if (k == KEY_DC || k == KEY_F(8)) {
            if (e)
                vsc_delete(ui, &copy);
        } else if (k == KEY_F(7)) {
            ui_act_new_vsc(ui, true);
        } else {
            return UI_DLG_GOON;
        }
    }
    mgr_load(ui, m);
    return UI_DLG_GOON;
}

static int mgr_layout(struct ui *ui, struct ui_dlg *d, void *arg)
{
    (void)arg;
    ui_dlg_restage(ui, d, UI_BIG_DIALOG_H(LINES), COLS - 8);
    return UI_DLG_GOON;
}

void ui_act_vsc_manager(struct ui *ui)
{
    static const struct ui_dlg_ops ops = {
        .draw = mgr_draw, .key = mgr_key, .layout = mgr_layout, .cancel = 0};
    struct mgr m = {0};
    struct ui_dlg d = {.list = &m.list};
    m.list = (struct ui_list){
        .sel = &m.sel, .top = &m.top, .label = mgr_label, .arg = &m, .y = 2, .x = 1};
    ui_list_forget(&m.list);
    mgr_load(ui, &m);
    ui_dlg_open(ui, &d, UI_BIG_DIALOG_H(LINES), COLS - 8, "VSC Manager");
    ui_status(ui, false, "VSC Manager: %zu %s in the store.", m.n,
              ui_plural(m.n, "VSC", "VSCs"));
    ui_dlg_run(ui, &d, &ops, &m);
    free(m.e);
    ui_dlg_close(ui, &d);
    ui_slots_refresh(ui);
    /* What comes next is opening a VSC, which lives in Readers. */
    ui->focus = UI_PANE_READERS;
    ui->dirty = UI_DIRTY_ALL;
}
