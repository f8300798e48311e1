/* A small streaming JSON writer for --json output (format: doc/json.md). */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

void cli_json_init(struct cli_json *j, FILE *fp)
{
    memset(j, 0, sizeof(*j));
    j->fp = fp;
}

/* scmgr never nests this deep; past the limit, levels share one slot and
 * commas may be lost, which is better than writing out of bounds. */
static bool *items(struct cli_json *j)
{
    return &j->has_items[j->depth < CLI_JSON_DEPTH ? j->depth : CLI_JSON_DEPTH - 1];
}

static void indent(struct cli_json *j)
{
    fputc('\n', j->fp);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->fp);
}

/* Before any value or key: the comma and line break its container needs.
 * A value right after its key stays on the key's line. */
static void before_item(struct cli_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth == 0)
        return;
    if (*items(j))
        fputc(',', j->fp);
    *items(j) = true;
    indent(j);
}

static void open_container(struct cli_json *j, char ch)
{
    before_item(j);
    fputc(ch, j->fp);
    j->depth++;
    *items(j) = false;
}

static void close_container(struct cli_json *j, char ch)
{
    bool had = *items(j);
    if (j->depth > 0)
        j->depth--;
    if (had)
        indent(j);
    fputc(ch, j->fp);
}

void cli_json_begin_object(struct cli_json *j)
{
    open_container(j, '{');
}

void cli_json_end_object(struct cli_json *j)
{
    close_container(j, '}');
}

void cli_json_begin_array(struct cli_json *j)
{
    open_container(j, '[');
}

void cli_json_end_array(struct cli_json *j)
{
    close_container(j, ']');
}

/* JSON needs only C0, '"' and '\\' escaped. We also escape what a terminal
 * would act on (DEL, C1, bidi overrides) and U+2028/2029, which break
 * JavaScript string literals; a JSON reader gets the same text back. */
static bool needs_u_escape(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
           cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static void write_string(struct cli_json *j, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', j->fp);
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        size_t n = scm_utf8_decode(s + i, len - i, &cp);
        if (n == 0) {
            fputs("\\uFFFD", j->fp);
            i++;
            continue;
        }
        switch (cp) {
        case '"':
            fputs("\\\"", j->fp);
            break;
        case '\\':
            fputs("\\\\", j->fp);
            break;
        case '\b':
            fputs("\\b", j->fp);
            break;
        case '\f':
            fputs("\\f", j->fp);
            break;
        case '\n':
            fputs("\\n", j->fp);
            break;
        case '\r':
            fputs("\\r", j->fp);
            break;
        case '\t':
            fputs("\\t", j->fp);
            break;
        default:
            if (needs_u_escape(cp))
                fprintf(j->fp, "\\u%04" PRIX32, cp);
            else
                fwrite(s + i, 1, n, j->fp);
        }
        i += n;
    }
    fputc('"', j->fp);
}

void cli_json_key(struct cli_json *j, const char *key)
{
    before_item(j);
    write_string(j, key, strlen(key));
    fputs(": ", j->fp);
    j->after_key = true;
}

void cli_json_string_n(struct cli_json *j, const char *s, size_t len)
{
    before_item(j);
    write_string(j, s, len);
}

void cli_json_string(struct cli_json *j, const char *s)
{
    cli_json_string_n(j, s ? s : "", s ? strlen(s) : 0);
}

void cli_json_uint(struct cli_json *j, uint64_t v)
{
    before_item(j);
    fprintf(j->fp, "%" PRIu64, v);
}

void cli_json_int(struct cli_json *j, int64_t v)
{
    before_item(j);
    fprintf(j->fp, "%" PRId64, v);
}

void cli_json_bool(struct cli_json *j, bool v)
{
    before_item(j);
    fputs(v ? "true" : "false", j->fp);
}

void cli_json_end(struct cli_json *j)
{
    fputc('\n', j->fp);
}
