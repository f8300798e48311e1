/* No sentence is cut without a sign: every error sentence, every help
 * line and long composed messages (long labels, long reader names) go
 * through the renderers the screen uses, at 80 columns, and each comes out
 * either whole (every word, in order, no line wider than the screen) or
 * ending with the ellipsis while the message history keeps it whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>

#include <cmocka.h>

#include "ui_int.h"

int ui_menu_help(char ***lines, size_t *n); /* menu.c, for F1 */

#define COLS80 80
#define STATUS_W (COLS80 - 2) /* draw_status: one column of margin each side */

/* The next non-space position of s at or after p. */
static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\n')
        p++;
    return p;
}

/* Check rendered lines against the text they came from. Complete: the
 * lines, read in order with the spaces at the breaks restored, are the
 * text. Cut: the same holds for a prefix of the text ending between two
 * words, and the last line then ends with the ellipsis (plus more). Every
 * line fits in width columns. Breaks fall between words, unless a word is
 * longer than a whole line. */
static void check_lines(const char *text, char **lines, size_t n, bool cut, bool utf8, int width,
                        int indent, const char *more)
{
    char tail[64];
    snprintf(tail, sizeof(tail), "%s%s", ui_text_ellipsis(utf8), more ? more : "");
    const char *p = skip_spaces(text);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        char line[UI_TEXT_LINE_MAX];
        snprintf(line, sizeof(line), "%s", lines[i]);
        if (ui_text_cols(line, utf8) > width)
            fail_msg("line %zu of \"%s\" is %d columns wide (max %d): \"%s\"", i, text,
                     ui_text_cols(line, utf8), width, line);
        if (cut && i + 1 == n) {
            size_t ll = strlen(line), tl = strlen(tail);
            if (ll < tl || strcmp(line + ll - tl, tail) != 0)
                fail_msg("\"%s\" was cut without the ellipsis: \"%s\"", text, line);
            line[ll - tl] = '\0';
        }
        const char *q = line;
        if (i > 0)
            for (int k = 0; k < indent && *q == ' '; k++)
                q++;
        size_t ql = strlen(q);
        if (i > 0 || text[0] != ' ')
            p = skip_spaces(p);
        if (strncmp(p, q, ql) != 0)
            fail_msg("line %zu of \"%s\" is not the text that follows: \"%s\"", i, text, q);
        p += ql;
        bool whole_word = *p == ' ' || *p == '\n' || *p == '\0';
        /* Only a word wider than a line may be split. */
        if (!whole_word && strchr(q, ' ') != NULL)
            fail_msg("\"%s\" is cut mid-word after \"%s\"", text, q);
    }
    if (!cut && *skip_spaces(p) != '\0')
        fail_msg("\"%s\" lost \"%s\" without an ellipsis", text, p);
    if (cut)
        assert_true(*skip_spaces(p) != '\0');
}

/* The status line, the way draw.c gets there: ui_status keeps the whole
 * message in the history; the rows show it wrapped. */
static void check_status(const char *msg, bool utf8)
{
    struct ui ui;
    char **lines = NULL;
    size_t n = 0;
    bool cut = false;
    memset(&ui, 0, sizeof(ui));
    ui.utf8 = utf8;
    ui_status(&ui, true, "%s", msg);
    size_t k = ui_msglog_count(&ui.msgs);
    assert_true(k > 0);
    /* The history holds every byte, whatever the length. */
    assert_string_equal(ui_msglog_at(&ui.msgs, k - 1, NULL, NULL), msg);
    assert_int_equal(ui_status_wrap(ui.status, utf8, STATUS_W, &lines, &n, &cut), SCM_OK);
    assert_true(n <= UI_STATUS_ROWS);
    check_lines(msg, lines, n, cut, utf8, STATUS_W, 0, UI_STATUS_MORE);
    ui_lines_free(lines, n);
    ui_msglog_free(&ui.msgs);
}

static char long_label[SCM_OBJ_LABEL_MAX + 1];

/* Messages as the flows compose them, at their longest. */
static void composed(char (*out)[1200], size_t *n)
{
    static const char reader[] = "Alcor Micro Corp. AU9540 Smartcard Reader [CCID Interface] 01 00";
    size_t k = 0;
    snprintf(out[k++], 1200,
             "Creating the VSC failed: the password is 5 characters; the security policy needs at "
             "least 12.");
    snprintf(out[k++], 1200,
             "Rename failed: Virtual PCD 00 00 already has an object labelled 'Please read': use "
             "--replace.");
    snprintf(out[k++], 1200,
             "Rename failed: %s already has an object labelled '%s': use --replace.", reader,
             long_label);
    snprintf(out[k++], 1200, "Viewed '%s' (1048576 bytes).", long_label);
    snprintf(out[k++], 1200, "Card removed from %s: closed; the clipboard is kept.", reader);
    snprintf(out[k++], 1200, "Opening failed: %s", scm_strerror(SCM_E_NO_SERVICE));
    snprintf(out[k++], 1200,
             "Import failed: "
             "/home/someone/a/rather/deep/directory/with/a/very/long/name/and/more/of/it/"
             "certificate-for-the-office.pem is not a regular file of at most 1 MiB.");
    snprintf(out[k++], 1200, "%s", long_label);
    *n = k;
}

static void test_status_every_error(void **state)
{
    (void)state;
    const char *unknown = scm_strerror(-99999);
    size_t seen = 0;
    for (int e = -1; e > -1000; e--) {
        const char *s = scm_strerror(e);
        if (strcmp(s, unknown) == 0)
            continue;
        char msg[1200];
        seen++;
        check_status(s, true);
        check_status(s, false);
        /* As ui_status_err shows it after the action's name. */
        snprintf(msg, sizeof(msg), "Creating the VSC failed: %s", s);
        check_status(msg, true);
        check_status(msg, false);
    }
    assert_true(seen > 40); /* every code of util.h was tried */
}

static void test_status_composed(void **state)
{
    (void)state;
    char msgs[16][1200];
    size_t n;
    composed(msgs, &n);
    for (size_t i = 0; i < n; i++) {
        check_status(msgs[i], true);
        check_status(msgs[i], false);
    }
    /* The example is whole on the two rows. */
    char **lines = NULL;
    size_t nl = 0;
    bool cut = true;
    ui_status_wrap(msgs[0], true, STATUS_W, &lines, &nl, &cut);
    assert_false(cut);
    assert_int_equal(nl, 2);
    ui_lines_free(lines, nl);
    /* A message three rows long ends with the ellipsis and the key. */
    ui_status_wrap(msgs[2], true, STATUS_W, &lines, &nl, &cut);
    assert_true(cut);
    assert_non_null(strstr(lines[1], "\xe2\x80\xa6" UI_STATUS_MORE));
    ui_lines_free(lines, nl);
}

static void check_help(char **in, size_t n, bool utf8)
{
    char **out = NULL;
    size_t no = 0;
    int width = UI_LINES_WIDTH(COLS80);
    assert_int_equal(ui_text_help(in, n, utf8, width, UI_HELP_INDENT, &out, &no), SCM_OK);
    /* Each input line is a run of output lines: find it and check it. */
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char **run = NULL;
        size_t nr = 0;
        ui_text_wrap(in[i], utf8, width, UI_HELP_INDENT, 0, NULL, &run, &nr, NULL);
        assert_true(o + nr <= no);
        for (size_t k = 0; k < nr; k++)
            assert_string_equal(out[o + k], run[k]);
        check_lines(in[i], out + o, nr, false, utf8, width, UI_HELP_INDENT, NULL);
        o += nr;
        ui_lines_free(run, nr);
    }
    assert_int_equal(o, no);
    ui_lines_free(out, no);
}

static void test_help_every_line(void **state)
{
    (void)state;
    char **lines = NULL;
    size_t n = 0;
    int longest = 0;
    assert_int_equal(ui_keys_help(&lines, &n), SCM_OK);
    assert_int_equal(ui_menu_help(&lines, &n), SCM_OK);
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(lines[i]) > longest)
            longest = (int)strlen(lines[i]);
    /* Some lines are wider than the viewer at 80 columns: wrapping matters. */
    assert_true(longest > UI_LINES_WIDTH(COLS80));
    check_help(lines, n, true);
    check_help(lines, n, false);
    /* Every menu item and every action's help sentence is in it. */
    bool found_messages = false;
    for (size_t i = 0; i < n; i++)
        if (strstr(lines[i], "Ctrl-O") && strstr(lines[i], "messages"))
            found_messages = true;
    assert_true(found_messages);
    ui_lines_free(lines, n);
}

static void test_dialog_sized_to_text(void **state)
{
    (void)state;
    char msgs[16][1200];
    size_t n;
    composed(msgs, &n);
    for (size_t i = 0; i < n; i++) {
        char **lines = NULL;
        size_t nl = 0;
        int h, w;
        assert_int_equal(ui_text_dialog(msgs[i], true, COLS80, 24, 14, &lines, &nl, &h, &w),
                         SCM_OK);
        assert_true(w <= COLS80 - 2);
        assert_true(h <= 24 - 2);
        assert_int_equal(h, (int)nl + 4);
        check_lines(msgs[i], lines, nl, false, true, w - 4, 0, NULL);
        ui_lines_free(lines, nl);
    }
    /* A short question gets a small box, never narrower than its buttons. */
    char **lines = NULL;
    size_t nl = 0;
    int h, w;
    ui_text_dialog("Delete object 'X'?", true, COLS80, 24, 24, &lines, &nl, &h, &w);
    assert_int_equal(nl, 1);
    assert_int_equal(w, 24);
    assert_int_equal(h, 5);
    ui_lines_free(lines, nl);
    /* Too much text for the screen: the ellipsis, within the screen. */
    char big[4000] = "";
    for (int i = 0; i < 80; i++)
        strcat(big, "word word word word ");
    ui_text_dialog(big, false, COLS80, 24, 10, &lines, &nl, &h, &w);
    assert_true(h <= 22);
    assert_non_null(strstr(lines[nl - 1], "..."));
    ui_lines_free(lines, nl);
}

static void test_label_ellipsis(void **state)
{
    (void)state;
    char out[600];
    int c = ui_text_fit_ell(long_label, true, 20, out, sizeof(out));
    assert_true(c <= 20);
    assert_non_null(strstr(out, "\xe2\x80\xa6"));
    assert_int_equal(strncmp(out, long_label, strlen(out) - 3), 0);
    c = ui_text_fit_ell(long_label, false, 20, out, sizeof(out));
    assert_int_equal(c, 20);
    assert_string_equal(out + strlen(out) - 3, "...");
    /* What fits is left alone. */
    c = ui_text_fit_ell("Please read", true, 11, out, sizeof(out));
    assert_string_equal(out, "Please read");
    /* Never inside a character: a UTF-8 label in a UTF-8 locale. */
    c = ui_text_fit_ell("\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc", true, 3, out, sizeof(out));
    assert_int_equal(c, 3);
    assert_string_equal(out, "\xc3\xbc\xc3\xbc\xe2\x80\xa6");
}

static void test_hex_rows_fit(void **state)
{
    (void)state;
    uint8_t data[100];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)('A' + i % 26);
    int widths[] = {UI_LINES_WIDTH(COLS80), UI_LINES_WIDTH(132), 40};
    for (size_t k = 0; k < sizeof(widths) / sizeof(widths[0]); k++) {
        char **lines = NULL;
        size_t n = 0;
        size_t per = ui_view_hex_per_row(widths[k]);
        assert_int_equal(ui_view_lines(data, sizeof(data), true, true, widths[k], &lines, &n),
                         SCM_OK);
        assert_int_equal(n, (sizeof(data) + per - 1) / per);
        for (size_t i = 0; i < n; i++) {
            assert_true((int)strlen(lines[i]) <= widths[k]);
            /* The ASCII column holds the row's bytes, whole. */
            char ascii[17];
            for (size_t b = 0; b < per && i * per + b < sizeof(data); b++)
                ascii[b] = (char)data[i * per + b];
            ascii[per < sizeof(data) - i * per ? per : sizeof(data) - i * per] = '\0';
            assert_non_null(strstr(lines[i], ascii));
        }
        ui_lines_free(lines, n);
    }
    assert_int_equal(ui_view_hex_per_row(UI_LINES_WIDTH(COLS80)), 8);
    assert_int_equal(ui_view_hex_per_row(UI_LINES_WIDTH(132)), 16);
}

static void test_msglog(void **state)
{
    (void)state;
    struct ui_msglog m;
    char buf[64];
    memset(&m, 0, sizeof(m));
    assert_null(ui_msglog_at(&m, 0, NULL, NULL));
    for (int i = 0; i < UI_MSGLOG_MAX + 5; i++) {
        snprintf(buf, sizeof(buf), "message %d", i);
        assert_int_equal(ui_msglog_add(&m, buf, i % 2, (time_t)i), SCM_OK);
    }
    assert_int_equal(ui_msglog_count(&m), UI_MSGLOG_MAX);
    assert_string_equal(ui_msglog_at(&m, 0, NULL, NULL), "message 5"); /* the oldest dropped */
    bool err;
    snprintf(buf, sizeof(buf), "message %d", UI_MSGLOG_MAX + 4);
    assert_string_equal(ui_msglog_at(&m, UI_MSGLOG_MAX - 1, &err, NULL), buf);
    assert_false(err);
    /* A repeat is kept once. */
    ui_msglog_add(&m, buf, false, 1000);
    assert_int_equal(ui_msglog_count(&m), UI_MSGLOG_MAX);
    /* The viewer's lines hold every word of a long message. */
    ui_msglog_free(&m);
    memset(&m, 0, sizeof(m));
    char msgs[16][1200];
    size_t n;
    composed(msgs, &n);
    ui_msglog_add(&m, "an older message", false, 0);
    ui_msglog_add(&m, msgs[2], true, 0);
    char **lines = NULL;
    size_t nl = 0;
    assert_int_equal(ui_msglog_lines(&m, true, UI_LINES_WIDTH(COLS80), &lines, &nl), SCM_OK);
    assert_true(nl >= 3);
    assert_non_null(strstr(lines[0], " ! Rename failed:"));
    char expect[1300];
    snprintf(expect, sizeof(expect), "%.11s%s", lines[0], msgs[2]); /* after "HH:MM:SS ! " */
    /* Newest first: the long message's lines, then the older one's. */
    assert_non_null(strstr(lines[nl - 1], "an older message"));
    check_lines(expect, lines, nl - 1, false, true, UI_LINES_WIDTH(COLS80), 11, NULL);
    ui_lines_free(lines, nl);
    ui_msglog_free(&m);
}

/* ui_text_wrap's edges, one row each: the text and how it is wrapped
 * (width, indent of the lines after the first, lines kept: 0 = all), and
 * the lines and cut flag that must come out. */
static const struct wrap_case {
    const char *what, *text;
    bool utf8;
    int width, indent, keep;
    bool cut;
    const char *want[4]; /* NULL-terminated */
} wrap_cases[] = {
    /* what, text, utf8, width, indent, keep, cut, want */
    {"spaces inside a line are kept (aligned tables)",
     "F1, ?                  This help",
     false,
     40,
     23,
     0,
     false,
     {"F1, ?                  This help"}},
    {"spaces dropped at a break, the next line indented",
     "aaaa bbbb cccc",
     false,
     9,
     2,
     0,
     false,
     {"aaaa bbbb", "  cccc"}},
    {"a word longer than the line is split, as the terminal would",
     "0123456789abcdef",
     false,
     6,
     0,
     0,
     false,
     {"012345", "6789ab", "cdef"}},
    {"empty text is one empty line", "", true, 10, 0, 2, false, {""}},
    {"one line kept: whole words, then the ellipsis",
     "the security policy needs at least twelve",
     false,
     24,
     0,
     1,
     true,
     {"the security policy..."}},
};

static void test_wrap_edges(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(wrap_cases) / sizeof(wrap_cases[0]); i++) {
        const struct wrap_case *c = &wrap_cases[i];
        char **lines = NULL;
        size_t n = 0, want_n = 0;
        bool cut = !c->cut;
        assert_int_equal(
            ui_text_wrap(c->text, c->utf8, c->width, c->indent, c->keep, NULL, &lines, &n, &cut),
            SCM_OK);
        while (c->want[want_n])
            want_n++;
        if (n != want_n)
            fail_msg("%s: %zu lines, not %zu", c->what, n, want_n);
        for (size_t k = 0; k < n; k++)
            if (strcmp(lines[k], c->want[k]) != 0)
                fail_msg("%s: line %zu is \"%s\", not \"%s\"", c->what, k, lines[k], c->want[k]);
        if (cut != c->cut)
            fail_msg("%s: cut is %d", c->what, cut);
        ui_lines_free(lines, n);
    }
}

int main(void)
{
    if (!setlocale(LC_CTYPE, "C.UTF-8"))
        setlocale(LC_CTYPE, "en_US.UTF-8");
    /* A label of the longest allowed length, in words. */
    memset(long_label, 0, sizeof(long_label));
    while (strlen(long_label) + 12 < SCM_OBJ_LABEL_MAX)
        strcat(long_label, "Quarterly ");
    strcat(long_label, "report");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_every_error),
        cmocka_unit_test(test_status_composed),
        cmocka_unit_test(test_help_every_line),
        cmocka_unit_test(test_dialog_sized_to_text),
        cmocka_unit_test(test_label_ellipsis),
        cmocka_unit_test(test_hex_rows_fit),
        cmocka_unit_test(test_msglog),
        cmocka_unit_test(test_wrap_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
