/* The state behind the panes: the slot listing, the open card's rows and
 * marks, and moving the selection. No drawing here; changes mark windows
 * dirty. */
#include "ui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ui_slots_refresh(struct ui *ui)
{
    const struct scm_slot *sl;
    size_t n = 0;
    struct scm_detail d = {{0}};
    char keep[160] = "";
    const struct scm_slot *cur = ui_slot_selected(ui);
    if (cur)
        memcpy(keep, cur->name, sizeof(keep));
    int rc = scm_slots_list(ui->slotstate, &ui->cctx, &sl, &n, &ui->pcsc_err, &d);
    if (rc < 0) {
        ui_status_err(ui, rc, &d, "Listing the readers failed");
        return;
    }
    struct scm_slot *copy = malloc((n ? n : 1) * sizeof(*copy));
    if (!copy)
        return;
    memcpy(copy, sl, n * sizeof(*copy));
    free(ui->slots);
    ui->slots = copy;
    ui->n_slots = n;
    /* The selection follows its entry when others come and go. */
    ui->rd_sel = ui->rd_sel < (int)n ? ui->rd_sel : (int)n - 1;
    for (size_t i = 0; i < n && keep[0]; i++)
        if (strcmp(copy[i].name, keep) == 0)
            ui->rd_sel = (int)i;
    if (ui->rd_sel < 0)
        ui->rd_sel = 0;
    ui_dirty(ui, UI_W_READERS);
}

const struct scm_slot *ui_slot_selected(const struct ui *ui)
{
    if (ui->rd_sel < 0 || (size_t)ui->rd_sel >= ui->n_slots)
        return NULL;
    return &ui->slots[ui->rd_sel];
}

static int add_row(struct ui *ui, size_t *cap, enum ui_row_kind k, enum scm_area a, size_t obj)
{
    if (ui->n_rows == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct ui_row *nr = realloc(ui->rows, nc * sizeof(*nr));
        if (!nr)
            return SCM_E_NOMEM;
        ui->rows = nr;
        *cap = nc;
    }
    ui->rows[ui->n_rows++] = (struct ui_row){k, a, obj};
    return SCM_OK;
}

const char *ui_obj_group(const struct ui *ui, size_t i)
{
    return ui->objs[i].group ? ui->objs[i].group : "";
}

/* Is object i the first of its group in its area? */
static bool first_of_group(const struct ui *ui, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (ui->objs[j].area == ui->objs[i].area &&
            strcmp(ui_obj_group(ui, j), ui_obj_group(ui, i)) == 0)
            return false;
    return true;
}

static size_t groups_in(const struct ui *ui, enum scm_area a)
{
    size_t n = 0;
    for (size_t i = 0; i < ui->n_objs; i++)
        n += ui->objs[i].area == a && first_of_group(ui, i);
    return n;
}

void ui_card_reload(struct ui *ui)
{
    size_t cap = 0;
    free(ui->rows);
    ui->rows = NULL;
    ui->n_rows = 0;
    ui->objs = NULL;
    ui->n_objs = 0;
    ui_dirty(ui, UI_W_CARD);
    if (!ui->card)
        return;
    scm_card_get_info(ui->card, &ui->ci);
    if (scm_card_list(ui->card, &ui->objs, &ui->n_objs) < 0) {
        ui->objs = NULL;
        ui->n_objs = 0;
    }
    /* An area header, then its objects, for each area; grouped by the
     * card's own structure where the area holds more than one group. */
    for (int a = 0; a < SCM_AREA_COUNT; a++) {
        add_row(ui, &cap, UI_ROW_AREA, (enum scm_area)a, 0);
        if (groups_in(ui, (enum scm_area)a) < 2) {
            for (size_t i = 0; i < ui->n_objs; i++)
                if ((int)ui->objs[i].area == a)
                    add_row(ui, &cap, UI_ROW_OBJ, (enum scm_area)a, i);
            continue;
        }
        /* Each group where its first object is, its objects below it. */
        for (size_t g = 0; g < ui->n_objs; g++) {
            if ((int)ui->objs[g].area != a || !first_of_group(ui, g))
                continue;
            add_row(ui, &cap, UI_ROW_GROUP, (enum scm_area)a, g);
            for (size_t i = g; i < ui->n_objs; i++)
                if ((int)ui->objs[i].area == a &&
                    strcmp(ui_obj_group(ui, i), ui_obj_group(ui, g)) == 0)
                    add_row(ui, &cap, UI_ROW_OBJ, (enum scm_area)a, i);
        }
    }
    /* Marks of objects that are gone are dropped. */
    size_t k = 0;
    for (size_t m = 0; m < ui->n_marks; m++) {
        bool found = false;
        for (size_t i = 0; i < ui->n_objs && !found; i++)
            found = ui->objs[i].id == ui->marks[m];
        if (found)
            ui->marks[k++] = ui->marks[m];
    }
    ui->n_marks = k;
    if (ui->card_sel >= (int)ui->n_rows)
        ui->card_sel = (int)ui->n_rows - 1;
    if (ui->card_sel < 0)
        ui->card_sel = 0;
}

void ui_card_drop(struct ui *ui)
{
    scm_card_close(ui->card); /* unsaved VSC changes are dropped and wiped */
    ui->card = NULL;
    ui->card_slot[0] = '\0';
    memset(&ui->ci, 0, sizeof(ui->ci));
    ui_marks_clear(ui);
    ui->card_sel = ui->card_top = 0;
    ui_card_reload(ui);
    ui_dirty(ui, UI_W_READERS);
}

const struct ui_row *ui_row_selected(const struct ui *ui)
{
    if (!ui->card || ui->card_sel < 0 || (size_t)ui->card_sel >= ui->n_rows)
        return NULL;
    return &ui->rows[ui->card_sel];
}

const struct scm_obj_info *ui_obj_selected(const struct ui *ui)
{
    const struct ui_row *r = ui_row_selected(ui);
    return r && r->kind == UI_ROW_OBJ ? &ui->objs[r->obj] : NULL;
}

bool ui_marked(const struct ui *ui, uint32_t id)
{
    for (size_t i = 0; i < ui->n_marks; i++)
        if (ui->marks[i] == id)
            return true;
    return false;
}

void ui_mark_toggle(struct ui *ui, uint32_t id)
{
    for (size_t i = 0; i < ui->n_marks; i++)
        if (ui->marks[i] == id) {
            ui->marks[i] = ui->marks[--ui->n_marks];
            return;
        }
    if (ui->n_marks == ui->cap_marks) {
        size_t nc = ui->cap_marks ? ui->cap_marks * 2 : 16;
        uint32_t *nm = realloc(ui->marks, nc * sizeof(*nm));
        if (!nm)
            return;
        ui->marks = nm;
        ui->cap_marks = nc;
    }
    ui->marks[ui->n_marks++] = id;
}

void ui_marks_clear(struct ui *ui)
{
    ui->n_marks = 0;
}

static const char *slot_label(void *arg, int i, char *buf, size_t cap)
{
    const struct ui *ui = arg;
    const struct scm_slot *s = &ui->slots[i];
    snprintf(buf, cap, "%s %s %s", s->title, s->label, s->serial);
    return buf;
}

static const char *row_label(void *arg, int i, char *buf, size_t cap)
{
    const struct ui *ui = arg;
    const struct ui_row *r = &ui->rows[i];
    if (r->kind == UI_ROW_AREA)
        return scm_area_name(r->area);
    if (r->kind == UI_ROW_GROUP) {
        snprintf(buf, cap, "%s", ui_obj_group(ui, r->obj));
        return buf;
    }
    snprintf(buf, cap, "%s", ui->objs[r->obj].label);
    return buf;
}

static const char *clip_label(void *arg, int i, char *buf, size_t cap)
{
    const struct ui *ui = arg;
    const struct scm_clip_item *it = scm_clip_item(ui->clip, (size_t)i);
    if (!it)
        return NULL;
    snprintf(buf, cap, "%s", it->label);
    return buf;
}

static const enum ui_win pane_win[UI_PANE_COUNT] = {UI_W_READERS, UI_W_CARD, UI_W_CLIP};

struct ui_list *ui_pane_list(struct ui *ui, enum ui_pane p)
{
    struct ui_list *l = &ui->pane_list[p];
    if (!l->sel) {
        static const ui_list_label_fn labels[UI_PANE_COUNT] = {slot_label, row_label, clip_label};
        int *sel[UI_PANE_COUNT] = {&ui->rd_sel, &ui->card_sel, &ui->clip_sel};
        int *top[UI_PANE_COUNT] = {&ui->rd_top, &ui->card_top, &ui->clip_top};
        *l = (struct ui_list){.sel = sel[p], .top = top[p], .label = labels[p], .arg = ui};
        ui_list_forget(l);
    }
    switch (p) {
    case UI_PANE_READERS:
        l->n = (int)ui->n_slots;
        break;
    case UI_PANE_CARD:
        l->n = ui->card ? (int)ui->n_rows : 0;
        break;
    default:
        l->n = ui->clip ? (int)scm_clip_count(ui->clip) : 0;
        break;
    }
    return l;
}

void ui_pane_changed(struct ui *ui, enum ui_pane p, int res)
{
    if (res == UI_LIST_MOVED)
        ui->moved |= 1u << pane_win[p];
    else if (res == UI_LIST_SCROLLED)
        ui_dirty(ui, pane_win[p]);
}

void ui_pane_nav(struct ui *ui, enum ui_action a)
{
    ui_pane_changed(ui, ui->focus, ui_list_act(ui_pane_list(ui, ui->focus), a));
}

bool ui_pane_key(struct ui *ui, int k)
{
    struct ui_list *l = ui_pane_list(ui, ui->focus);
    if (!l->finding && k != '/')
        return false;
    bool was = l->finding;
    int r = ui_list_key(l, k);
    if (r == UI_LIST_IGNORED) {
        /* Any other key ends the search and does what it always does. */
        ui_list_find_end(l);
        ui_status_find(ui, l);
        return false;
    }
    ui_pane_changed(ui, ui->focus, r);
    if (l->finding || was)
        ui_status_find(ui, l);
    return true;
}

void ui_move(struct ui *ui, int delta)
{
    struct ui_list *l = ui_pane_list(ui, ui->focus);
    ui_pane_changed(ui, ui->focus, ui_list_set(l, *l->sel + delta));
}

bool ui_clip_marked(const struct ui *ui, size_t i)
{
    return i < ui->n_clip_marks && ui->clip_marks[i];
}

void ui_clip_mark_toggle(struct ui *ui, size_t i)
{
    size_t n = scm_clip_count(ui->clip);
    if (i >= n)
        return;
    if (ui->n_clip_marks < n) {
        bool *m = realloc(ui->clip_marks, n * sizeof(*m));
        if (!m)
            return;
        memset(m + ui->n_clip_marks, 0, (n - ui->n_clip_marks) * sizeof(*m));
        ui->clip_marks = m;
        ui->n_clip_marks = n;
    }
    ui->clip_marks[i] = !ui->clip_marks[i];
    ui_dirty(ui, UI_W_CLIP);
}

size_t ui_clip_marks_count(const struct ui *ui)
{
    size_t k = 0;
    for (size_t i = 0; i < ui->n_clip_marks; i++)
        k += ui->clip_marks[i];
    return k;
}

void ui_clip_marks_clear(struct ui *ui)
{
    free(ui->clip_marks);
    ui->clip_marks = NULL;
    ui->n_clip_marks = 0;
    ui_dirty(ui, UI_W_CLIP);
}

void ui_card_select_label(struct ui *ui, const char *label)
{
    for (size_t i = 0; i < ui->n_rows; i++)
        if (ui->rows[i].kind == UI_ROW_OBJ && strcmp(ui->objs[ui->rows[i].obj].label, label) == 0) {
            ui->card_sel = (int)i;
            ui_dirty(ui, UI_W_CARD);
            return;
        }
}
