/* The flows of the open card: open, unlock, close, save, copy, paste,
 * backup, and the dispatcher from actions to flows. Every flow ends with
 * a status line message. */
#include "ui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ui_menu_help(char ***lines, size_t *n);

/* Say what is going on before a call that blocks (PBKDF2, card I/O). */
static void busy(struct ui *ui, const char *msg)
{
    ui_status(ui, false, "%s", msg);
    ui_draw(ui);
}

static bool card_gone(int rc)
{
    return rc == SCM_E_CARD_REMOVED || rc == SCM_E_NO_CARD || rc == SCM_E_NO_READER;
}

/* An error of the open card; a card that went away is closed. */
static void card_error(struct ui *ui, int rc, const struct scm_detail *d, const char *what)
{
    if (ui->card && ui->ci.kind == SCM_CARD_REAL && card_gone(rc)) {
        char name[160];
        memcpy(name, ui->ci.name, sizeof(name));
        ui_card_drop(ui);
        ui_slots_refresh(ui);
        ui_status(ui, true, "Card removed from %s: closed; the clipboard is kept.", name);
        return;
    }
    ui_status_err(ui, rc, d, what);
}

bool ui_close_card(struct ui *ui, bool asking)
{
    struct scm_detail d = {{0}};
    char q[400];
    if (!ui->card)
        return true;
    scm_card_get_info(ui->card, &ui->ci);
    if (ui->ci.dirty && asking && !ui->hangup) {
        snprintf(q, sizeof(q), "VSC %s has unsaved changes. Save them?", ui->ci.serial);
        int r = ui_yesnocancel(ui, "Unsaved changes", q);
        if (r < 0) {
            ui_status(ui, false, "Nothing closed: %s is still open.", ui->ci.name);
            return false;
        }
        if (r == 1) {
            int rc = scm_card_commit(ui->card, &d);
            if (rc < 0) {
                ui_status_err(ui, rc, &d, "Saving failed; the card stays open");
                return false;
            }
        }
    }
    ui_card_drop(ui);
    return true;
}

static void pin_blocked(struct ui *ui)
{
    char msg[400];
    snprintf(msg, sizeof(msg),
             "The PIN of the card in %s is blocked: scmgr asks for no PIN. Unblock it with the "
             "card's PUK or admin PIN (with the card's own tools), or ask the card's issuer. Its "
             "public area can still be read and copied.",
             ui->ci.name);
    ui_msg(ui, "PIN blocked", msg);
    ui_status(ui, true, "The PIN of %s is blocked: unblock it with the PUK or admin PIN.",
              ui->ci.name);
    ui_dirty(ui, UI_W_CARD);
}

int ui_unlock(struct ui *ui)
{
    struct scm_detail d = {{0}};
    struct ui_secret s = {0};
    char prompt[400];
    int rc;
    if (!ui->card) {
        ui_status(ui, true, "No card is open: select a reader and press Enter.");
        return SCM_E_NOT_FOUND;
    }
    if (!scm_card_needs_unlock(ui->card))
        return SCM_OK;
    scm_card_get_info(ui->card, &ui->ci);
    bool real = ui->ci.kind == SCM_CARD_REAL;
    if (real && ui->ci.pin_tries == 0) {
        /* No dialog for a PIN that cannot be tried: say what can be done. */
        pin_blocked(ui);
        return SCM_E_PIN_BLOCKED;
    }
    if (real && ui->ci.pin_tries >= 0)
        snprintf(prompt, sizeof(prompt), "PIN for %s (%d %s left):", ui->ci.name, ui->ci.pin_tries,
                 ui->ci.pin_tries == 1 ? "try" : "tries");
    else if (real)
        snprintf(prompt, sizeof(prompt), "PIN for %s:", ui->ci.name);
    else
        snprintf(prompt, sizeof(prompt), "Password for %s:", ui->ci.name);
    if (ui_secret_ask(ui, real ? "PIN" : "Password", prompt, &s) != 1) {
        ui_status(ui, false, "Unlocking cancelled; %s stays locked.", ui->ci.name);
        return SCM_E_CANCELLED;
    }
    busy(ui, real ? "Checking the PIN..." : "Checking the password...");
    scm_card_allow_last_try(ui->card, false);
    rc = scm_card_unlock(ui->card, s.buf, s.len, &d);
    if (rc == SCM_E_PIN_LAST_TRY) {
        int yes = ui_yesno(ui, "Last PIN try",
                           "Only one PIN try is left: a wrong PIN blocks the card. Use it?");
        if (yes == 1) {
            scm_card_allow_last_try(ui->card, true);
            d.text[0] = '\0';
            rc = scm_card_unlock(ui->card, s.buf, s.len, &d);
            scm_card_allow_last_try(ui->card, false);
        } else {
            rc = SCM_E_CANCELLED;
        }
    }
    ui_secret_free(&s);
    /* Whatever happened, draw from a fresh listing: never keep pointers
     * into one the API may have replaced. */
    ui_card_reload(ui);
    if (rc == SCM_E_CANCELLED) {
        ui_status(ui, false, "The last PIN try was not used; %s stays locked.", ui->ci.name);
        return rc;
    }
    if (rc < 0) {
        scm_card_get_info(ui->card, &ui->ci);
        if (rc == SCM_E_PIN_BLOCKED)
            pin_blocked(ui);
        else if (rc == SCM_E_BAD_PIN && ui->ci.pin_tries >= 0)
            ui_status(ui, true, "Wrong PIN: %d %s left.", ui->ci.pin_tries,
                      ui->ci.pin_tries == 1 ? "try" : "tries");
        else if (rc == SCM_E_BAD_PASSWORD)
            ui_status(ui, true, "Wrong password for %s.", ui->ci.name);
        else
            card_error(ui, rc, &d, "Unlocking failed");
        ui_dirty(ui, UI_W_CARD);
        return rc;
    }
    size_t cnt[SCM_AREA_COUNT] = {0};
    for (size_t i = 0; i < ui->n_objs; i++)
        cnt[ui->objs[i].area]++;
    ui_status(ui, false, "Unlocked %s: %zu private %s, %zu secret %s.", ui->ci.name,
              cnt[SCM_AREA_PRIVATE], ui_plural(cnt[SCM_AREA_PRIVATE], "object", "objects"),
              cnt[SCM_AREA_SECRET], ui_plural(cnt[SCM_AREA_SECRET], "key", "keys"));
    return SCM_OK;
}

/* Before a change of the open card: the PIN (ui_unlock), and the
 * credential the card's agent names for changes when it is another one
 * (a PIV card's management key, typed as hex). */
int ui_unlock_write(struct ui *ui)
{
    struct scm_detail d = {{0}};
    struct ui_secret s = {0};
    char prompt[400];
    size_t len;
    int rc = ui_unlock(ui);
    if (rc < 0)
        return rc;
    scm_card_get_info(ui->card, &ui->ci);
    int w = ui->ci.write_cred;
    if (ui->ci.kind != SCM_CARD_REAL || w <= 0 || (size_t)w >= ui->ci.n_creds ||
        ui->ci.creds[w].verified)
        return SCM_OK;
    const struct scm_cred *cr = &ui->ci.creds[w];
    char label[SCM_CRED_LABEL_MAX * 4];
    ui_text_clean(cr->label, ui->utf8, label, sizeof(label));
    snprintf(prompt, sizeof(prompt), "%s for %s%s:", label, ui->ci.name,
             cr->hex ? " (hex digits)" : "");
    if (ui_secret_ask(ui, label, prompt, &s) != 1) {
        ui_status(ui, false, "Cancelled: changing %s needs its %s.", ui->ci.name,
                  scm_cred_kind_name(cr->kind));
        return SCM_E_CANCELLED;
    }
    len = s.len;
    if (cr->hex && scm_unhex_inplace(s.buf, s.len, &len) < 0) {
        ui_secret_free(&s);
        ui_status(ui, true, "The %s is hex digits (48 for the 3DES default); nothing was changed.",
                  scm_cred_kind_name(cr->kind));
        return SCM_E_BAD_PIN_FORMAT;
    }
    busy(ui, "Checking the key...");
    rc = scm_card_verify(ui->card, (unsigned)w, (const uint8_t *)s.buf, len, &d);
    ui_secret_free(&s);
    scm_card_get_info(ui->card, &ui->ci);
    if (rc < 0) {
        card_error(ui, rc, &d, "Checking the key failed");
        ui_dirty(ui, UI_W_CARD);
    }
    return rc;
}

/* The patent's emergency backup of the open real card: every object it
 * releases as plain files in a new or empty directory, with a manifest,
 * and the report of what was not copied and why. */
void ui_act_emergency(struct ui *ui)
{
    struct scm_detail d = {{0}};
    struct scm_copy_report rep;
    char dir[1024];
    if (!ui->card || ui->ci.kind != SCM_CARD_REAL) {
        ui_status(ui, true,
                  "Open a real card first: the emergency backup writes its objects "
                  "to plain files.");
        return;
    }
    snprintf(dir, sizeof(dir), "scmgr-emergency-%s", ui->ci.serial[0] ? ui->ci.serial : "card");
    if (ui_input(ui, "Emergency backup", "Directory for the plain files (new or empty):", dir,
                 sizeof(dir)) != 1 ||
        !dir[0]) {
        ui_status(ui, false, "Emergency backup cancelled.");
        return;
    }
    /* The private objects too, when the PIN is given; without it the
     * public ones still go. */
    int rc = ui_unlock(ui);
    if (rc < 0 && rc != SCM_E_CANCELLED && rc != SCM_E_PIN_BLOCKED)
        return;
    busy(ui, "Writing the emergency backup...");
    rc = scm_card_dump(ui->card, dir, ui->cctx.policy, &rep, &d);
    ui_card_reload(ui);
    if (rep.n)
        ui_report(ui, "Emergency backup", &rep);
    if (rc < 0)
        ui_status_err(ui, rc, &d, "Emergency backup failed");
    else
        ui_status(ui, false,
                  "Wrote %zu %s of %s as plain files into %s; %zu not copied (see the "
                  "report).",
                  rep.done, ui_plural(rep.done, "object", "objects"), ui->ci.name, dir,
                  rep.skipped + rep.failed);
    scm_copy_report_free(&rep);
}

void ui_act_open(struct ui *ui)
{
    struct scm_detail d = {{0}};
    struct scm_card *card = NULL;
    const struct scm_slot *s = ui_slot_selected(ui);
    char name[160], q[400];
    if (!s) {
        ui_status(ui, true, "No reader or VSC to open.");
        return;
    }
    memcpy(name, s->name, sizeof(name));
    if (ui->card && strcmp(ui->card_slot, name) == 0) {
        ui->focus = UI_PANE_CARD;
        ui->dirty = UI_DIRTY_ALL;
        ui_status(ui, false, "%s is already open.", ui->ci.name);
        return;
    }
    if (s->kind == SCM_CARD_VSC && s->disabled) {
        ui_status(ui, true, "%s is disabled; enable it in Tools > VSC Manager.", s->title);
        return;
    }
    if (s->kind == SCM_CARD_REAL && s->state == SCM_SLOT_EMPTY) {
        ui_status(ui, true, "There is no card in %s.", s->title);
        return;
    }
    if (!ui_close_card(ui, true))
        return;
    busy(ui, "Opening the card...");
    int rc = scm_card_open(&ui->cctx, name, &card, &d);
    if (rc == SCM_E_NO_AGENT || rc == SCM_E_CARD_BLANK) {
        snprintf(q, sizeof(q),
                 "The card in %s %s. Initialise it with scmgr's layout now? Its current PIN "
                 "stays the PIN.",
                 name, rc == SCM_E_CARD_BLANK ? "is blank" : "is not known to any card agent");
        ui_status_err(ui, rc, &d, "Opening failed");
        if (ui_yesno(ui, "Initialise card", q) == 1)
            ui_act_init_card(ui, name);
        return;
    }
    if (rc < 0) {
        ui_status_err(ui, rc, &d, "Opening failed");
        return;
    }
    ui->card = card;
    memcpy(ui->card_slot, name, sizeof(ui->card_slot));
    ui->card_sel = ui->card_top = 0;
    ui_marks_clear(ui);
    ui_card_reload(ui);
    ui->focus = UI_PANE_CARD;
    ui->dirty = UI_DIRTY_ALL;
    size_t pub = 0;
    for (size_t i = 0; i < ui->n_objs; i++)
        pub += ui->objs[i].area == SCM_AREA_PUBLIC;
    if (ui->ci.kind == SCM_CARD_REAL && ui->ci.pin_tries == 0)
        ui_status(ui, true, "Opened %s: %zu public %s; its PIN is blocked.", ui->ci.name, pub,
                  ui_plural(pub, "object", "objects"));
    else
        ui_status(ui, false, "Opened %s: %zu public %s. Enter on Private unlocks.", ui->ci.name,
                  pub, ui_plural(pub, "object", "objects"));
}

static void report_if_needed(struct ui *ui, const char *title, const struct scm_copy_report *r,
                             bool always)
{
    if (always || r->skipped || r->failed || r->not_tried)
        ui_report(ui, title, r);
}

void ui_act_copy(struct ui *ui, bool all)
{
    struct scm_detail d = {{0}};
    struct scm_copy_report rep = {0};
    struct ui_progress p;
    const char **labels = NULL;
    size_t n = 0;
    if (!ui->card) {
        ui_status(ui, true, "No card is open: select a reader and press Enter.");
        return;
    }
    if (!all) {
        labels = calloc(ui->n_marks + 1, sizeof(*labels));
        if (!labels)
            return;
        /* Copies: the labels point into the card's listing, which the
         * copy itself renews. */
        for (size_t i = 0; i < ui->n_objs; i++)
            if (ui_marked(ui, ui->objs[i].id) && (labels[n] = strdup(ui->objs[i].label)))
                n++;
        const struct scm_obj_info *o = ui_obj_selected(ui);
        if (n == 0 && o && (labels[n] = strdup(o->label)))
            n++;
        if (n == 0) {
            free(labels);
            ui_status(ui, true,
                      "Select or mark objects first (Space marks), or use Edit > Copy all.");
            return;
        }
    }
    bool locked = scm_card_needs_unlock(ui->card);
    size_t before = scm_clip_count(ui->clip);
    ui_progress_open(ui, &p, "Copying");
    int rc = scm_clip_copy(ui->clip, ui->card, labels, n, ui_progress_cb, &p, &rep, &d);
    ui_progress_close(&p);
    for (size_t i = 0; i < n; i++)
        free((char *)labels[i]);
    free(labels);
    /* Copying lists the card again: the rows point into the old listing. */
    ui_card_reload(ui);
    ui_dirty(ui, UI_W_CLIP);
    if (rc < 0) {
        report_if_needed(ui, "Result", &rep, false);
        card_error(ui, rc, &d, "Copying failed, nothing was added to the clipboard");
    } else {
        report_if_needed(ui, "Result", &rep, false);
        ui_marks_clear(ui);
        ui_clip_marks_clear(ui);
        ui_dirty(ui, UI_W_CARD);
        /* The clipboard's rule: a copy adds to it; an item with the same
         * label is replaced. Say which, and what it holds now. */
        size_t now = scm_clip_count(ui->clip);
        size_t added = now - before, replaced = rep.done - added;
        char how[64];
        if (replaced == 0)
            snprintf(how, sizeof(how), "added");
        else if (added == 0)
            snprintf(how, sizeof(how), "replacing the same %s",
                     ui_plural(replaced, "label", "labels"));
        else
            snprintf(how, sizeof(how), "%zu added, %zu replaced", added, replaced);
        /* Copies of objects the VSC's password has not checked stay
         * "not verified" in the clipboard: say how many came in so. */
        size_t unverified = 0;
        for (size_t i = 0; i < rep.n; i++)
            for (size_t j = 0; rep.items[i].result == SCM_COPY_DONE && j < now; j++) {
                const struct scm_clip_item *it = scm_clip_item(ui->clip, j);
                if (strcmp(it->label, rep.items[i].label) == 0)
                    unverified += !it->verified;
            }
        char unv[96] = "";
        if (unverified)
            snprintf(unv, sizeof(unv), "; %zu not verified (?: the password has not checked %s)",
                     unverified, ui_plural(unverified, "it", "them"));
        ui_status(ui, unverified > 0, "Copied %zu %s (%s); the clipboard holds %zu%s%s%s.",
                  rep.done, ui_plural(rep.done, "object", "objects"), how, now, unv,
                  rep.skipped ? "; keys the card keeps were skipped" : "",
                  all && locked ? "; unlock to copy private objects too" : "");
    }
    scm_copy_report_free(&rep);
}

/* A paste's progress dialog opens with its first object, so that the
 * conflict question, asked before anything is written, is not drawn over
 * an empty progress box. */
struct paste_run {
    struct ui *ui;
    const char *title;
    struct ui_progress p;
    bool open;
    bool planned; /* the user saw the plan and said replace: nothing more to ask */
};

static bool paste_progress(void *arg, size_t done, size_t total, const char *label)
{
    struct paste_run *x = arg;
    if (!x->open) {
        ui_progress_open(x->ui, &x->p, x->title);
        x->open = true;
    }
    return ui_progress_cb(&x->p, done, total, label);
}

static void paste_run_close(struct paste_run *x)
{
    if (x->open)
        ui_progress_close(&x->p);
    x->open = false;
}

/* Objects with labels the card already has: replace, skip or cancel. */
static enum scm_conflict paste_conflict(void *arg, const char *const *labels, size_t n)
{
    struct paste_run *x = arg;
    struct ui *ui = x->ui;
    char q[1000], names[640] = "", clean[SCM_OBJ_LABEL_MAX * 4 + 1], fit[124];
    size_t used = 0;
    if (x->planned)
        return SCM_CONFLICT_REPLACE;
    /* At most four names, each cut to 30 columns: the question must fit. */
    for (size_t i = 0; i < n && i < 4; i++) {
        ui_text_clean(labels[i], ui->utf8, clean, sizeof(clean));
        ui_text_fit(clean, ui->utf8, 30, fit, sizeof(fit));
        used += (size_t)snprintf(names + used, sizeof(names) - used, "%s '%s'", i ? "," : "", fit);
    }
    if (n > 4)
        snprintf(names + used, sizeof(names) - used, " and %zu more", n - 4);
    snprintf(q, sizeof(q),
             "%s already has %s labelled%s. Replace them? (Yes: replace, No: keep them and paste "
             "the rest, Cancel: paste nothing)",
             ui->ci.name, n == 1 ? "an object" : "objects", names);
    int r = ui_yesnocancel(ui, "Labels already there", q);
    return r == 1 ? SCM_CONFLICT_REPLACE : r == 0 ? SCM_CONFLICT_SKIP : SCM_CONFLICT_CANCEL;
}

/* Items to paste that were copied without their VSC's password: written,
 * they would look verified on the destination (a VSC MACs them, a card
 * guards them). Asked once, naming them: 1 paste them too, 0 only the
 * verified ones (the labels array then holds just those), -1 nothing. */
static int ask_unverified(struct ui *ui, const char **labels, size_t *nlab)
{
    size_t nclip = scm_clip_count(ui->clip), n = 0, used = 0;
    char names[640] = "", clean[SCM_OBJ_LABEL_MAX * 4 + 1], fit[124], q[1000];
    for (size_t i = 0; i < nclip; i++) {
        const struct scm_clip_item *it = scm_clip_item(ui->clip, i);
        if (it->verified || (*nlab && !ui_clip_marked(ui, i)))
            continue;
        /* At most four names, each cut to 30 columns: the question must fit. */
        if (n < 4) {
            ui_text_clean(it->label, ui->utf8, clean, sizeof(clean));
            ui_text_fit(clean, ui->utf8, 30, fit, sizeof(fit));
            used +=
                (size_t)snprintf(names + used, sizeof(names) - used, "%s '%s'", n ? "," : "", fit);
        }
        n++;
    }
    if (n == 0)
        return 1;
    if (n > 4)
        snprintf(names + used, sizeof(names) - used, " and %zu more", n - 4);
    snprintf(q, sizeof(q),
             "%zu %s to paste %s not verified:%s. %s copied from a VSC opened without its "
             "password, and could be forged; on %s %s would look verified. Paste %s too? (Yes: "
             "paste them, No: paste only the verified ones, Cancel: paste nothing)",
             n, ui_plural(n, "object", "objects"), n == 1 ? "is" : "are", names,
             n == 1 ? "It was" : "They were", ui->ci.name, n == 1 ? "it" : "they",
             n == 1 ? "it" : "them");
    int r = ui_yesnocancel_no(ui, "Not verified", q);
    if (r != 0)
        return r == 1 ? 1 : -1;
    /* No: the verified ones among those picked. */
    size_t k = 0;
    for (size_t i = 0; i < nclip; i++) {
        const struct scm_clip_item *it = scm_clip_item(ui->clip, i);
        if (it->verified && (*nlab == 0 || ui_clip_marked(ui, i)))
            labels[k++] = it->label;
    }
    *nlab = k;
    return k ? 0 : -1;
}

/* Before a paste onto a real card: the plan, then the question. labels
 * (nclip long) then names what is to be written, pointing into plan.
 * 1 go on, 0 nothing to write or not wanted (said), -1 failed (said). */
static int paste_plan(struct ui *ui, const char **labels, size_t *nlab, int area,
                      struct scm_copy_plan *plan)
{
    struct scm_detail d = {{0}};
    busy(ui, "Comparing with the card...");
    int rc = scm_clip_plan(ui->clip, ui->card, *nlab ? labels : NULL, *nlab, area, plan, &d);
    /* Comparing read the card, which renews its listing: the rows point
     * into the old one. */
    ui_card_reload(ui);
    if (rc < 0) {
        card_error(ui, rc, &d, "Comparing with the card failed, nothing was written");
        return -1;
    }
    ui_plan_show(ui, "Plan", plan);
    if (plan->write + plan->replace == 0) {
        ui_status(ui, false, "Nothing to write: %s already holds what can go there.", ui->ci.name);
        return 0;
    }
    char q[400];
    int yes;
    if (plan->replace > 0) {
        snprintf(q, sizeof(q),
                 "Write %zu new %s and replace %zu on %s? (Yes: all of them, No: only the new "
                 "ones, Cancel: nothing)",
                 plan->write, ui_plural(plan->write, "object", "objects"), plan->replace,
                 ui->ci.name);
        yes = ui_yesnocancel(ui, "Write to the card", q);
    } else {
        snprintf(q, sizeof(q), "Write %zu %s to %s?", plan->write,
                 ui_plural(plan->write, "object", "objects"), ui->ci.name);
        yes = ui_yesno(ui, "Write to the card", q) == 1 ? 1 : -1;
    }
    size_t k = 0;
    for (size_t i = 0; yes >= 0 && i < plan->n; i++)
        if (plan->items[i].plan == SCM_PLAN_WRITE ||
            (yes == 1 && plan->items[i].plan == SCM_PLAN_REPLACE))
            labels[k++] = plan->items[i].label;
    if (yes < 0 || k == 0) {
        ui_status(ui, false, "Nothing was written to %s.", ui->ci.name);
        return 0;
    }
    *nlab = k;
    return 1;
}

void ui_act_paste(struct ui *ui)
{
    struct scm_detail d = {{0}};
    struct scm_copy_report rep = {0};
    if (!ui->card) {
        ui_status(ui, true, "Open the card to paste into first (select it in Readers, Enter).");
        return;
    }
    if (scm_clip_count(ui->clip) == 0) {
        ui_status(ui, true, "The clipboard is empty: mark objects and press F5 first.");
        return;
    }
    if (ui_unlock_write(ui) < 0)
        return;
    bool real = ui->ci.kind == SCM_CARD_REAL;
    /* Into the area selected in the Card pane (the patent's 3O/3P); from
     * any other pane each object goes back to the area it came from. */
    const struct ui_row *r = ui->focus == UI_PANE_CARD ? ui_row_selected(ui) : NULL;
    int area = r ? (int)r->area : -1;
    /* The items marked in the Clipboard pane, or all of them. */
    size_t nclip = scm_clip_count(ui->clip), nlab = 0;
    const char **labels = calloc(nclip ? nclip : 1, sizeof(*labels));
    if (!labels)
        return;
    for (size_t i = 0; i < nclip; i++)
        if (ui_clip_marked(ui, i))
            labels[nlab++] = scm_clip_item(ui->clip, i)->label;
    /* Private objects never land in the readable area by accident. */
    size_t priv = 0;
    for (size_t i = 0; i < nclip; i++)
        priv += scm_clip_item(ui->clip, i)->area != SCM_AREA_PUBLIC &&
                (nlab == 0 || ui_clip_marked(ui, i));
    if (area == SCM_AREA_PUBLIC && priv > 0) {
        char q[200];
        snprintf(q, sizeof(q),
                 "%zu private object%s would become readable without a PIN or password. "
                 "Paste into the public area anyway? (No: each goes to its own area)",
                 priv, priv == 1 ? "" : "s");
        int yes = ui_yesno(ui, "Public area", q);
        if (yes < 0) {
            free(labels);
            ui_status(ui, false, "Nothing was pasted.");
            return;
        }
        if (yes != 1)
            area = -1;
    }
    int vr = ask_unverified(ui, labels, &nlab);
    if (vr < 0) {
        free(labels);
        ui_status(ui, false, "Nothing was pasted: the objects not verified stay in the clipboard.");
        return;
    }
    struct paste_run x = {ui, "Pasting", {0}, false, false};
    struct scm_copy_plan plan = {0};
    if (real) {
        /* A real card is written through: what will happen is shown, and
         * agreed to, first. */
        int pr = paste_plan(ui, labels, &nlab, area, &plan);
        if (pr <= 0) {
            free(labels);
            scm_copy_plan_free(&plan);
            return;
        }
        x.planned = true;
    }
    int rc = scm_clip_paste(ui->clip, ui->card, nlab ? labels : NULL, nlab, area, paste_conflict,
                            paste_progress, &x, &rep, &d);
    paste_run_close(&x);
    free(labels);
    scm_copy_plan_free(&plan);
    ui_card_reload(ui);
    char where[64];
    if (area >= 0)
        snprintf(where, sizeof(where), "the %s area of", scm_area_name((enum scm_area)area));
    else
        snprintf(where, sizeof(where), "%s", rep.n == 1 ? "its own area of" : "their own areas of");
    if (rc == SCM_E_EXISTS && rep.done == 0 && rep.failed == 0) {
        ui_status(ui, false, "Nothing was pasted: %s", d.text);
        scm_copy_report_free(&rep);
        return;
    }
    /* Writing onto a real card is a restore: always say what got there. */
    report_if_needed(ui, "Result", &rep, real);
    if (rc < 0 && !(ui->card && rep.done)) {
        card_error(ui, rc, &d, "Pasting failed");
    } else if (rc < 0) {
        ui_status(ui, true, "Pasted %zu of %zu %s into %s %s; %zu failed, %zu not tried.", rep.done,
                  rep.n, ui_plural(rep.n, "object", "objects"), where, ui->ci.name, rep.failed,
                  rep.not_tried);
    } else {
        char kept[64] = "";
        if (rep.skipped)
            snprintf(kept, sizeof(kept), ", kept %zu already there", rep.skipped);
        ui_status(ui, false, "Pasted %zu %s into %s %s%s%s.", rep.done,
                  ui_plural(rep.done, "object", "objects"), where, ui->ci.name, kept,
                  ui->ci.dirty ? " (unsaved: F2 saves)" : "");
    }
    scm_copy_report_free(&rep);
}

void ui_act_save(struct ui *ui)
{
    struct scm_detail d = {{0}};
    if (!ui->card) {
        ui_status(ui, true, "No card is open.");
        return;
    }
    if (ui->ci.kind == SCM_CARD_REAL) {
        ui_status(ui, false, "A real card is written at once; there is nothing to save.");
        return;
    }
    scm_card_get_info(ui->card, &ui->ci);
    if (!ui->ci.dirty) {
        ui_status(ui, false, "%s has no unsaved changes.", ui->ci.name);
        return;
    }
    busy(ui, "Saving...");
    int rc = scm_card_commit(ui->card, &d);
    ui_card_reload(ui);
    if (rc < 0)
        ui_status_err(ui, rc, &d, "Saving failed");
    else
        ui_status(ui, false, "Saved %s (generation %llu).", ui->ci.name,
                  (unsigned long long)ui->ci.generation);
    ui_slots_refresh(ui);
}

/* Open (or create) the VSC a backup of the open real card goes into,
 * unlocked; created names it when this made it (else ""). */
static int backup_target(struct ui *ui, struct scm_card **out, char created[SCM_VSC_UID_MAX + 1],
                         struct scm_detail *d)
{
    char uid[SCM_VSC_UID_MAX + 1], name[SCM_VSC_UID_MAX + 8];
    struct scm_vsc_source src;
    struct ui_secret pw = {0};
    struct scm_vsc *v = NULL;
    int rc = scm_card_backup_target(ui->card, uid, &src, d);
    if (rc < 0)
        return rc;
    snprintf(name, sizeof(name), "vsc:%s", uid);
    rc = scm_card_open(&ui->cctx, name, out, d);
    if (rc == SCM_E_VSC_NOT_FOUND) {
        d->text[0] = '\0';
        rc = ui_new_password(ui, name, &pw);
        if (rc != 1)
            return rc == 0 ? SCM_E_CANCELLED : rc;
        busy(ui, "Creating the VSC...");
        rc = scm_vsc_create(ui->cctx.store, uid, NULL, &src, pw.buf, pw.len, &v, d);
        scm_vsc_close(v);
        if (rc == SCM_OK)
            snprintf(created, SCM_VSC_UID_MAX + 1, "%s", uid);
        if (rc == SCM_OK && (rc = scm_card_open(&ui->cctx, name, out, d)) == SCM_OK)
            rc = scm_card_unlock(*out, pw.buf, pw.len, d);
    } else if (rc == SCM_OK) {
        char prompt[128];
        snprintf(prompt, sizeof(prompt), "Password for %s:", name);
        if (ui_secret_ask(ui, "Password", prompt, &pw) != 1)
            rc = SCM_E_CANCELLED;
        else {
            busy(ui, "Checking the password...");
            rc = scm_card_unlock(*out, pw.buf, pw.len, d);
        }
    }
    ui_secret_free(&pw);
    if (rc < 0) {
        scm_card_close(*out);
        *out = NULL;
    }
    return rc;
}

/* The card a backup is of: the one selected in Readers, else the open
 * real card, else the only card present, else the user picks. -1: none. */
static int backup_source(struct ui *ui)
{
    const struct scm_slot *s = ui_slot_selected(ui);
    const char *items[64];
    int at[64], n = 0;
    if (s && s->kind == SCM_CARD_REAL && s->state == SCM_SLOT_CARD)
        return ui->rd_sel;
    for (size_t i = 0; i < ui->n_slots; i++)
        if (ui->card && ui->ci.kind == SCM_CARD_REAL &&
            strcmp(ui->slots[i].name, ui->card_slot) == 0)
            return (int)i;
    for (size_t i = 0; i < ui->n_slots && n < 64; i++)
        if (ui->slots[i].kind == SCM_CARD_REAL && ui->slots[i].state == SCM_SLOT_CARD) {
            at[n] = (int)i;
            items[n++] = ui->slots[i].title;
        }
    if (n <= 1)
        return n ? at[0] : -1;
    int k = ui_pick(ui, "Back up which card?", items, (size_t)n, 0);
    return k < 0 ? -2 : at[k];
}

void ui_act_backup(struct ui *ui)
{
    struct scm_detail d = {{0}};
    struct scm_copy_report rep = {0};
    struct scm_card *vsc = NULL;
    struct scm_vsc_source src;
    struct ui_progress p;
    char uid[SCM_VSC_UID_MAX + 1], name[SCM_VSC_UID_MAX + 8], q[700];
    char created[SCM_VSC_UID_MAX + 1] = "";
    int at = backup_source(ui);
    if (at == -2) {
        ui_status(ui, false, "Backup cancelled.");
        return;
    }
    if (at < 0) {
        ui_status(ui, true, "There is no real card to back up: insert one into a reader.");
        return;
    }
    if (!ui->card || strcmp(ui->card_slot, ui->slots[at].name) != 0) {
        ui->rd_sel = at;
        ui_act_open(ui);
        if (!ui->card || strcmp(ui->card_slot, ui->slots[at].name) != 0)
            return; /* ui_act_open said why */
    }
    int rc = scm_card_backup_target(ui->card, uid, &src, &d);
    if (rc < 0) {
        ui_status_err(ui, rc, &d, "Backup impossible");
        return;
    }
    /* Name both sides before anything is asked or written. */
    snprintf(name, sizeof(name), "vsc:%s", uid);
    bool exists = false;
    for (size_t i = 0; i < ui->n_slots; i++)
        exists = exists || strcmp(ui->slots[i].name, name) == 0;
    char label[SCM_VSC_LABEL_MAX * 4 + 1];
    ui_text_clean(ui->ci.label, ui->utf8, label, sizeof(label));
    snprintf(q, sizeof(q), "Back up the card '%s' (serial %s) in %s into %s%s?", label,
             ui->ci.serial, ui->ci.name, name,
             exists ? " (objects with the same labels are replaced)"
                    : ", which will be created (you choose its password)");
    if (ui_yesno(ui, "Back up card to VSC", q) != 1) {
        ui_status(ui, false, "Backup cancelled.");
        return;
    }
    rc = ui_unlock(ui);
    if (rc < 0)
        return;
    rc = backup_target(ui, &vsc, created, &d);
    if (rc == SCM_E_CANCELLED) {
        ui_status(ui, false, "Backup cancelled.");
        return;
    }
    if (rc == SCM_E_PW_MISMATCH) {
        ui_status(ui, true, "The two passwords differ; nothing was created.");
        return;
    }
    if (rc < 0) {
        if (created[0])
            (void)scm_store_discard_new(ui->cctx.store, created, NULL);
        ui_status_err(ui, rc, &d, "Backup failed");
        ui_slots_refresh(ui);
        return;
    }
    ui_progress_open(ui, &p, "Backing up");
    rc = scm_card_copy(ui->card, vsc, NULL, 0, NULL, ui_progress_cb, &p, &rep, &d);
    ui_progress_close(&p);
    ui_card_reload(ui);
    struct scm_card_info vi;
    scm_card_get_info(vsc, &vi);
    scm_card_close(vsc);
    ui_report(ui, "Result", &rep);
    /* A failed first backup leaves nothing: the VSC made for it goes again
     * unless the copy saved something into it. */
    if (rc < 0 && created[0])
        (void)scm_store_discard_new(ui->cctx.store, created, NULL);
    if (rc < 0)
        card_error(ui, rc, &d, "Backup incomplete");
    else
        ui_status(ui, false, "Backed up %zu %s of %s into %s (saved).", rep.done,
                  ui_plural(rep.done, "object", "objects"), ui->ci.name, vi.name);
    scm_copy_report_free(&rep);
    ui_slots_refresh(ui);
}

void ui_act_help(struct ui *ui)
{
    char **lines = NULL;
    size_t n = 0;
    char **wrapped = NULL;
    size_t nw = 0;
    if (ui_keys_help(&lines, &n) == SCM_OK) {
        ui_lines_add(&lines, &n, "%s", "");
        ui_lines_add(&lines, &n, "%s", "Menus (F9, then the menu's first letter; or Alt+letter):");
        ui_menu_help(&lines, &n);
        ui_lines_add(&lines, &n, "%s", "");
        ui_lines_add(&lines, &n, "%s",
                     "Marks in the Card and Clipboard panes: * marked (Space); ? not verified:");
        ui_lines_add(&lines, &n, "%s",
                     "  a VSC's public object, until the password checks its MAC");
    }
    /* Wrapped to the viewer's width, continuations under the descriptions. */
    if (ui_text_help(lines, n, ui->utf8, UI_LINES_WIDTH(COLS), UI_HELP_INDENT, &wrapped, &nw) ==
        SCM_OK)
        ui_lines(ui, "Help", wrapped, nw, NULL, NULL);
    else
        ui_lines(ui, "Help", lines, n, NULL, NULL);
    ui_lines_free(wrapped, nw);
    ui_lines_free(lines, n);
    ui_status(ui, false, "Help closed.");
}

/* The open VSC as it is on disk now, when another process saved it: its
 * public area at once, the rest after unlocking again. */
static void reopen_vsc(struct ui *ui, uint64_t gen)
{
    struct scm_detail d = {{0}};
    struct scm_card *card = NULL;
    char name[160];
    int sel = ui->card_sel;
    bool was_unlocked = !scm_card_needs_unlock(ui->card);
    memcpy(name, ui->card_slot, sizeof(name));
    ui_card_drop(ui);
    int rc = scm_card_open(&ui->cctx, name, &card, &d);
    if (rc < 0) {
        ui_status_err(ui, rc, &d,
                      "Another process changed the open VSC, and opening it again failed");
        return;
    }
    ui->card = card;
    memcpy(ui->card_slot, name, sizeof(ui->card_slot));
    ui->card_sel = sel;
    ui_card_reload(ui);
    ui->dirty = UI_DIRTY_ALL;
    ui_status(ui, false, "%s was saved by another process (generation %llu): shown as it is now%s.",
              name, (unsigned long long)gen,
              was_unlocked ? "; Enter on Private unlocks it again" : "");
}

/* The marks and the selection by label: a check that found changes renews
 * the object ids. */
struct keep {
    char sel[SCM_OBJ_LABEL_MAX + 1];
    int sel_area; /* the selected row's area (its header when the object went), or -1 */
    char (*marks)[SCM_OBJ_LABEL_MAX + 1];
    size_t n_marks;
};

static void keep_take(struct ui *ui, struct keep *k)
{
    const struct ui_row *r = ui_row_selected(ui);
    const struct scm_obj_info *o = ui_obj_selected(ui);
    memset(k, 0, sizeof(*k));
    k->sel_area = r ? (int)r->area : -1;
    if (o)
        snprintf(k->sel, sizeof(k->sel), "%s", o->label);
    k->marks = ui->n_marks ? calloc(ui->n_marks, sizeof(*k->marks)) : NULL;
    for (size_t m = 0; k->marks && m < ui->n_marks; m++)
        for (size_t i = 0; i < ui->n_objs; i++)
            if (ui->objs[i].id == ui->marks[m])
                snprintf(k->marks[k->n_marks++], sizeof(*k->marks), "%s", ui->objs[i].label);
}

static void keep_give(struct ui *ui, struct keep *k)
{
    ui_marks_clear(ui);
    for (size_t m = 0; m < k->n_marks; m++)
        for (size_t i = 0; i < ui->n_objs; i++)
            if (strcmp(ui->objs[i].label, k->marks[m]) == 0)
                ui_mark_toggle(ui, ui->objs[i].id);
    for (size_t i = 0; k->sel_area >= 0 && i < ui->n_rows; i++)
        if (ui->rows[i].kind == UI_ROW_AREA && (int)ui->rows[i].area == k->sel_area)
            ui->card_sel = (int)i;
    if (k->sel[0])
        ui_card_select_label(ui, k->sel);
    free(k->marks);
}

void ui_card_check(struct ui *ui)
{
    struct scm_detail d = {{0}};
    unsigned what = 0;
    struct keep k;
    if (!ui->card || ui->ci.kind != SCM_CARD_REAL)
        return;
    /* Taken before the check: a change frees the listing ui->objs points into. */
    keep_take(ui, &k);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = scm_card_check(ui->card, &what, &d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
    ui->check_every = (time_t)(ms / 10 + 1); /* 100 times the check, in seconds */
    if (rc < 0 || !what)
        free(k.marks);
    if (rc == SCM_E_CARD_REMOVED || rc == SCM_E_NO_CARD) {
        /* The watcher's event closes it (ui_check_removed) with its sentence. */
        ui->slots_pending = true;
        return;
    }
    if (rc < 0) {
        /* Said once a minute at most, not at every idle check. */
        ui->check_every = 60;
        ui_status_err(ui, rc, &d, "Checking the card for changes made by other programs failed");
        return;
    }
    if (!what)
        return;
    ui_card_reload(ui);
    keep_give(ui, &k);
    ui->dirty = UI_DIRTY_ALL;
    size_t n = 0;
    for (int a = 0; a < SCM_AREA_COUNT; a++)
        n += ui->ci.count[a];
    char changed[256] = "";
    if (what & SCM_CARD_CHANGED)
        snprintf(changed, sizeof(changed),
                 "Another program changed the card in %s: listed again (%zu %s).", ui->ci.name, n,
                 ui_plural(n, "object", "objects"));
    const char *sep = changed[0] ? " " : "";
    if (what & SCM_CARD_WAS_RESET)
        ui_status(ui, true,
                  "%s%sAnother program reset the card in %s, which ended its PIN verification: "
                  "Enter on Private gives the PIN again.",
                  changed, sep, ui->ci.name);
    else if (what & SCM_CARD_PIN_LOST)
        ui_status(ui, true,
                  "%s%sThe card in %s no longer holds the verified PIN (another program used it): "
                  "Enter on Private gives it again.",
                  changed, sep, ui->ci.name);
    else
        ui_status(ui, false, "%s", changed);
}

void ui_rescan(struct ui *ui)
{
    struct scm_store_entry *e = NULL;
    size_t n = 0;
    ui_slots_refresh(ui);
    ui_card_check(ui);
    if (!ui->card || ui->ci.kind != SCM_CARD_VSC || !ui->cctx.store ||
        scm_store_list(ui->cctx.store, &e, &n) < 0)
        return;
    scm_card_get_info(ui->card, &ui->ci);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(e[i].info.uid, ui->ci.serial) != 0 || e[i].err < 0 ||
            e[i].info.generation == ui->ci.generation)
            continue;
        if (ui->ci.dirty)
            /* Our changes are not thrown away; saving them will say conflict. */
            ui_status(ui, true,
                      "%s was saved by another process (generation %llu); your changes here are "
                      "not saved.",
                      ui->ci.name, (unsigned long long)e[i].info.generation);
        else
            reopen_vsc(ui, e[i].info.generation);
        break;
    }
    free(e);
}

void ui_act_messages(struct ui *ui)
{
    char **lines = NULL;
    size_t n = 0;
    /* Raw: the viewer cleans and wraps them once (cleaned twice, every
     * backslash the sanitiser wrote would be doubled). */
    ui_msglog_raw(&ui->msgs, &lines, &n);
    ui_lines_wrap(ui, "Messages", lines, n, UI_MSGLOG_INDENT, NULL, NULL);
    ui_lines_free(lines, n);
}

void ui_check_removed(struct ui *ui)
{
    if (!ui->card || ui->ci.kind != SCM_CARD_REAL)
        return;
    const struct scm_slot *s = NULL;
    for (size_t i = 0; i < ui->n_slots; i++)
        if (strcmp(ui->slots[i].name, ui->card_slot) == 0)
            s = &ui->slots[i];
    if (s && s->state == SCM_SLOT_CARD && strcmp(s->serial, ui->ci.serial) == 0)
        return;
    if (s && s->state == SCM_SLOT_IN_USE)
        return;
    char name[160];
    memcpy(name, ui->ci.name, sizeof(name));
    ui_card_drop(ui);
    ui_status(ui, true, "Card removed from %s: closed; the clipboard is kept.", name);
}

void ui_idle_expired(struct ui *ui)
{
    if (!ui->card && scm_clip_count(ui->clip) == 0)
        return;
    /* The policy wants nothing unlocked left on an unattended screen. */
    ui_card_drop(ui);
    scm_clip_clear(ui->clip);
    ui_clip_marks_clear(ui);
    ui->clip_sel = 0;
    ui->dirty = UI_DIRTY_ALL;
    ui_status(ui, true, "Idle for %u s: the card was closed and the clipboard wiped (policy).",
              ui->pol->idle_timeout);
}

/* A key in the Card pane with no card open: say how to get one. */
static void no_card_here(struct ui *ui)
{
    ui_status(ui, false, "No card open: Tab to Readers, select a reader or VSC, press Enter.");
}

static void act_enter(struct ui *ui)
{
    if (ui->focus == UI_PANE_READERS) {
        ui_act_open(ui);
    } else if (ui->focus == UI_PANE_CARD) {
        const struct ui_row *r = ui_row_selected(ui);
        if (!ui->card) {
            no_card_here(ui);
            return;
        }
        if (!r)
            return;
        if (r->kind == UI_ROW_AREA) {
            if (r->area != SCM_AREA_PUBLIC && scm_card_needs_unlock(ui->card))
                ui_unlock(ui);
            else
                ui_status(ui, false, "%s area: %zu %s.%s", scm_area_name(r->area),
                          ui->ci.count[r->area],
                          ui_plural(ui->ci.count[r->area], "object", "objects"),
                          scm_clip_count(ui->clip) ? " F6 pastes the clipboard here." : "");
        } else if (r->kind == UI_ROW_GROUP) {
            size_t n = 0;
            for (size_t i = 0; i < ui->n_objs; i++)
                n += ui->objs[i].area == r->area &&
                     strcmp(ui_obj_group(ui, i), ui_obj_group(ui, r->obj)) == 0;
            /* ui_status cleans what it shows. */
            ui_status(ui, false, "%s: %zu %s in the %s area.", ui_obj_group(ui, r->obj), n,
                      ui_plural(n, "object", "objects"), scm_area_name(r->area));
        } else {
            ui_act_view(ui);
        }
    }
}

/* Space in the Clipboard pane: the marked items are what F6 pastes. */
static void act_mark_clip(struct ui *ui)
{
    if (scm_clip_count(ui->clip) == 0) {
        ui_status(ui, false, "The clipboard is empty: F5 in the Card pane copies objects into it.");
        return;
    }
    ui_clip_mark_toggle(ui, (size_t)ui->clip_sel);
    ui_move(ui, 1);
    size_t k = ui_clip_marks_count(ui);
    if (k)
        ui_status(ui, false, "%zu clipboard %s marked; F6 pastes only %s.", k,
                  ui_plural(k, "item", "items"), ui_plural(k, "it", "them"));
    else
        ui_status(ui, false, "No clipboard item marked; F6 pastes all %zu.",
                  scm_clip_count(ui->clip));
}

static void act_mark(struct ui *ui)
{
    if (ui->focus == UI_PANE_CLIP) {
        act_mark_clip(ui);
        return;
    }
    const struct scm_obj_info *o = ui->focus == UI_PANE_CARD ? ui_obj_selected(ui) : NULL;
    if (!o) {
        ui_status(ui, false,
                  "Space marks objects in the Card pane and items in the Clipboard pane.");
        return;
    }
    ui_mark_toggle(ui, o->id);
    ui_move(ui, 1);
    ui_dirty(ui, UI_W_CARD);
    ui_status(ui, false, "%zu %s marked; F5 copies %s to the clipboard.", ui->n_marks,
              ui_plural(ui->n_marks, "object", "objects"), ui_plural(ui->n_marks, "it", "them"));
}

/* F8 in the Clipboard pane: the selected item goes (wiped). */
static void act_remove_clip(struct ui *ui)
{
    const struct scm_clip_item *it = scm_clip_item(ui->clip, (size_t)ui->clip_sel);
    char label[SCM_OBJ_LABEL_MAX * 4 + 1];
    if (!it) {
        ui_status(ui, false, "The clipboard is empty.");
        return;
    }
    ui_text_clean(it->label, ui->utf8, label, sizeof(label));
    scm_clip_remove(ui->clip, (size_t)ui->clip_sel);
    ui_clip_marks_clear(ui);
    if (ui->clip_sel > 0 && (size_t)ui->clip_sel >= scm_clip_count(ui->clip))
        ui->clip_sel--;
    ui_dirty(ui, UI_W_CLIP);
    ui_status(ui, false, "Removed '%s' from the clipboard (wiped).", label);
}

static void act_clear_clip(struct ui *ui)
{
    if (scm_clip_count(ui->clip) == 0) {
        ui_status(ui, false, "The clipboard is already empty.");
        return;
    }
    if (ui_yesno(ui, "Confirm", "Empty the clipboard? Its objects are wiped from memory.") != 1) {
        ui_status(ui, false, "The clipboard was kept.");
        return;
    }
    scm_clip_clear(ui->clip);
    ui_clip_marks_clear(ui);
    ui->clip_sel = 0;
    ui_dirty(ui, UI_W_CLIP);
    ui_status(ui, false, "The clipboard is empty.");
}

static void act_pane(struct ui *ui, int delta)
{
    ui->focus = (enum ui_pane)(((int)ui->focus + UI_PANE_COUNT + delta) % UI_PANE_COUNT);
    /* Another scmgr may have made, removed or saved VSCs, or changed the
     * open card, meanwhile: look again whenever the focus moves. */
    ui_rescan(ui);
    ui_dirty(ui, UI_W_READERS), ui_dirty(ui, UI_W_CARD), ui_dirty(ui, UI_W_CLIP);
}

void ui_act(struct ui *ui, enum ui_action a)
{
    switch (a) {
    case UI_ACT_NONE:
        break;
    case UI_ACT_HELP:
        ui_act_help(ui);
        break;
    case UI_ACT_MESSAGES:
        ui_act_messages(ui);
        break;
    case UI_ACT_SAVE:
        ui_act_save(ui);
        break;
    case UI_ACT_VIEW:
        ui_act_view(ui);
        break;
    case UI_ACT_COPY:
        ui_act_copy(ui, false);
        break;
    case UI_ACT_COPY_ALL:
        ui_act_copy(ui, true);
        break;
    case UI_ACT_PASTE:
        ui_act_paste(ui);
        break;
    case UI_ACT_NEW_VSC:
        ui_act_new_vsc(ui, false);
        break;
    case UI_ACT_DELETE:
        if (ui->focus == UI_PANE_CLIP)
            act_remove_clip(ui);
        else
            ui_act_delete(ui);
        break;
    case UI_ACT_MENU:
        ui_act(ui, ui_menu_run(ui, -1));
        break;
    case UI_ACT_MENU_FILE:
        ui_act(ui, ui_menu_run(ui, 0));
        break;
    case UI_ACT_MENU_EDIT:
        ui_act(ui, ui_menu_run(ui, 1));
        break;
    case UI_ACT_MENU_VIEW:
        ui_act(ui, ui_menu_run(ui, 2));
        break;
    case UI_ACT_MENU_TOOLS:
        ui_act(ui, ui_menu_run(ui, 3));
        break;
    case UI_ACT_MENU_HELP:
        ui_act(ui, ui_menu_run(ui, 4));
        break;
    case UI_ACT_QUIT:
        if (ui_close_card(ui, true))
            ui->quit = true;
        break;
    case UI_ACT_NEXT_PANE:
        act_pane(ui, 1);
        break;
    case UI_ACT_PREV_PANE:
        act_pane(ui, -1);
        break;
    case UI_ACT_UP:
    case UI_ACT_DOWN:
    case UI_ACT_PGUP:
    case UI_ACT_PGDN:
    case UI_ACT_HOME:
    case UI_ACT_END:
        if (ui->focus == UI_PANE_CARD && !ui->card)
            no_card_here(ui);
        else
            ui_pane_nav(ui, a);
        break;
    case UI_ACT_OPEN:
        act_enter(ui);
        break;
    case UI_ACT_MARK:
        act_mark(ui);
        break;
    case UI_ACT_REDRAW:
        clearok(curscr, TRUE);
        ui->dirty = UI_DIRTY_ALL;
        ui_status(ui, false, "Screen redrawn; readers and VSCs listed again.");
        ui_rescan(ui);
        break;
    case UI_ACT_CLOSE:
        if (!ui->card)
            ui_status(ui, false, "No card is open.");
        else {
            char name[160];
            memcpy(name, ui->ci.name, sizeof(name));
            if (ui_close_card(ui, true)) {
                /* Nothing is left to do in the Card pane: back to the card's reader. */
                ui->focus = UI_PANE_READERS;
                ui->dirty = UI_DIRTY_ALL;
                ui_status(ui, false, "Closed %s. The clipboard is kept.", name);
            }
        }
        break;
    case UI_ACT_RENAME:
        ui_act_rename(ui);
        break;
    case UI_ACT_IMPORT:
        ui_act_import(ui);
        break;
    case UI_ACT_EXPORT:
        ui_act_export(ui);
        break;
    case UI_ACT_BACKUP:
        ui_act_backup(ui);
        break;
    case UI_ACT_EMERGENCY:
        ui_act_emergency(ui);
        break;
    case UI_ACT_VSC_MANAGER:
        ui_act_vsc_manager(ui);
        break;
    case UI_ACT_INIT_CARD:
        ui_act_init_card(ui, NULL);
        break;
    case UI_ACT_UNLOCK:
        if (ui->card && !scm_card_needs_unlock(ui->card))
            ui_status(ui, false, "%s is already unlocked.", ui->ci.name);
        else
            ui_unlock(ui);
        break;
    case UI_ACT_CLEAR_CLIP:
        act_clear_clip(ui);
        break;
    case UI_ACT_ABOUT:
        ui_msg(ui, "About",
               "scmgr " SCMGR_VERSION " - a smart-card manager: virtual smart cards (VSC) for "
               "your smart cards, backup and restore through a clipboard. MIT licence.");
        ui_status(ui, false, "scmgr %s", SCMGR_VERSION);
        break;
    case UI_ACT_COUNT:
        break;
    }
}
