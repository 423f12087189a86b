/* diag.c -- see diag.h. */
#include "cli/diag.h"

#include <string.h>

/* How many invalid rows are shown by line when no report was asked for. */
#define EXAMPLES 3

static const char *delimiter_name(char c, char buf[8])
{
    if (c == '\t')
        return "tab";
    buf[0] = '\'', buf[1] = c, buf[2] = '\'', buf[3] = '\0';
    return buf;
}

/* "+62 800, +60 3, +81 2" (the largest first, at most 6). */
static void countries(const struct prepared *p, char *out, size_t outsz)
{
    size_t used = 0;
    bool shown[1000] = {false};
    out[0] = '\0';
    for (int k = 0; k < 6; k++) {
        int best = 0;
        for (int c = 1; c < 1000; c++) {
            if (!shown[c] && p->stats.by_cc[c] > p->stats.by_cc[best])
                best = c;
        }
        if (best == 0 || used >= outsz)
            break;
        shown[best] = true;
        int n = snprintf(out + used, outsz - used, "%s+%d %zu", k ? ", " : "", best,
                         p->stats.by_cc[best]);
        if (n > 0)
            used += (size_t)n;
    }
    size_t rest = 0;
    for (int c = 1; c < 1000; c++)
        rest += shown[c] ? 0 : p->stats.by_cc[c];
    if (rest > 0 && used < outsz)
        snprintf(out + used, outsz - used, ", others %zu", rest);
}

static void how_read(FILE *out, const struct diag_input *d, const struct input *in)
{
    if (strcmp(d->format, "arguments") == 0)
        return;
    char enc[96], del[64] = "", cols[200] = "", buf[8];
    snprintf(enc, sizeof(enc), "%s%s%s", textenc_name(in->encoding),
             in->bom ? " with a byte order mark" : "",
             in->encoding_detected ? " (detected; --encoding names another)" : "");
    if (strcmp(d->format, "csv") == 0) {
        snprintf(del, sizeof(del), ", separated by %s%s", delimiter_name(in->delimiter, buf),
                 in->delimiter_detected ? " (detected)" : "");
        if (in->had_header)
            snprintf(cols, sizeof(cols), ", phone column \"%s\"%s%s%s", in->phone_header,
                     in->name_col >= 0 ? ", name column \"" : "",
                     in->name_col >= 0 ? in->name_header : "", in->name_col >= 0 ? "\"" : "");
        else
            snprintf(cols, sizeof(cols), ", phone column %d (no header row)", in->phone_col + 1);
    }
    fprintf(out, "groupie: %s: %s, %s%s%s\n", d->label,
            strcmp(d->format, "csv") == 0 ? "CSV" : "one number per line", enc, del, cols);
    if (in->undecodable > 0)
        fprintf(out,
                "groupie: %zu bytes could not be read as %s and were replaced; if names look "
                "wrong, name the file's encoding with --encoding\n",
                in->undecodable, textenc_name(in->encoding));
}

/* The first few invalid rows, for a person who asked for no report. */
static void examples(FILE *out, const struct input *in, const struct prepared *p)
{
    size_t shown = 0;
    for (size_t i = 0; i < p->n && shown < EXAMPLES; i++) {
        if (p->rows[i].kind != PREP_INVALID)
            continue;
        const struct input_row *r = &in->rows[i];
        fprintf(out, "groupie:   line %zu \"%.*s\": %s\n", r->line, (int)r->raw_len,
                input_raw(in, r), prepare_strerror(p->rows[i].status));
        shown++;
    }
}

void diag_print(FILE *out, const struct diag_input *d, const struct input *in,
                const struct prepared *p)
{
    how_read(out, d, in);
    char by[256];
    countries(p, by, sizeof(by));
    fprintf(out, "groupie: %zu row%s: %zu to send%s%s%s, %zu invalid, %zu duplicate%s\n", in->n,
            in->n == 1 ? "" : "s", p->valid, by[0] ? " (" : "", by, by[0] ? ")" : "", p->invalid,
            p->duplicates, p->duplicates == 1 ? "" : "s");
    const struct prep_stats *s = &p->stats;
    int common = prepare_common_cc(p);
    if (s->national > 0) {
        char hint[96] = "";
        if (common > 0)
            snprintf(hint, sizeof(hint), " (most numbers here are +%d: --default-country %d?)",
                     common, common);
        fprintf(out,
                "groupie: %zu national number%s (a leading 0) and no --default-country: they are "
                "invalid and will not be sent; give --default-country CC%s\n",
                s->national, s->national == 1 ? "" : "s", hint);
    }
    if (s->ambiguous > 0)
        fprintf(out,
                "groupie: %zu number%s without a leading 0, + or 00 that do%s not begin with +%s: "
                "held back, since they may be national numbers whose leading 0 a spreadsheet "
                "dropped (8123456789 for 08123456789 reads as Japan's +81); write them with "
                "their 0 or with +, or give --bare-numbers national (or international)\n",
                s->ambiguous, s->ambiguous == 1 ? "" : "s", s->ambiguous == 1 ? "es" : "",
                d->default_cc);
    if (s->read_as_national > 0)
        fprintf(out,
                "groupie: %zu number%s without a leading 0, + or 00 read as +%s's "
                "(--bare-numbers national)\n",
                s->read_as_national, s->read_as_national == 1 ? "" : "s", d->default_cc);
    if (d->default_cc != NULL && s->outside_default > 0)
        fprintf(out, "groupie: %zu number%s outside the default country +%s, sent as written\n",
                s->outside_default, s->outside_default == 1 ? "" : "s", d->default_cc);
    if (p->invalid > 0) {
        fprintf(out, "groupie: %zu row%s will not be sent%s\n", p->invalid,
                p->invalid == 1 ? "" : "s",
                d->report ? "; the report lists them with their lines and why"
                          : "; --report FILE lists them all with their lines and why:");
        if (!d->report)
            examples(out, in, p);
    }
}

json_t *diag_json(const struct diag_input *d, const struct input *in, const struct prepared *p)
{
    json_t *by = json_object();
    char key[16];
    for (int c = 1; c < 1000; c++) {
        if (p->stats.by_cc[c] == 0)
            continue;
        snprintf(key, sizeof(key), "%d", c);
        json_object_set_new(by, key, json_integer((json_int_t)p->stats.by_cc[c]));
    }
    bool csv = strcmp(d->format, "csv") == 0, file = strcmp(d->format, "arguments") != 0;
    char delim[2] = {in->delimiter, '\0'}, common[16];
    int cc = prepare_common_cc(p);
    snprintf(common, sizeof(common), "%d", cc);
    json_t *o = json_object();
    json_object_set_new(o, "format", json_string(d->format));
    json_object_set_new(o, "encoding",
                        file ? json_string(textenc_name(in->encoding)) : json_null());
    json_object_set_new(o, "encoding_detected",
                        file ? json_boolean(in->encoding_detected) : json_null());
    json_object_set_new(o, "delimiter", csv ? json_string(delim) : json_null());
    json_object_set_new(o, "delimiter_detected",
                        csv ? json_boolean(in->delimiter_detected) : json_null());
    json_object_set_new(o, "phone_column",
                        csv && in->had_header ? json_string(in->phone_header) : json_null());
    json_object_set_new(o, "name_column",
                        csv && in->had_header && in->name_col >= 0 ? json_string(in->name_header)
                                                                   : json_null());
    json_object_set_new(o, "default_country",
                        d->default_cc ? json_string(d->default_cc) : json_null());
    json_object_set_new(o, "by_country", by);
    json_object_set_new(o, "national_without_default_country",
                        json_integer((json_int_t)p->stats.national));
    json_object_set_new(o, "ambiguous", json_integer((json_int_t)p->stats.ambiguous));
    json_object_set_new(o, "read_as_national", json_integer((json_int_t)p->stats.read_as_national));
    json_object_set_new(o, "outside_default_country",
                        json_integer((json_int_t)p->stats.outside_default));
    json_object_set_new(o, "most_common_country", cc > 0 ? json_string(common) : json_null());
    return o;
}
