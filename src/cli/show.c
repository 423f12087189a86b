/* show.c -- see show.h. Column widths are measured in bytes; names in
 * other scripts may line up less well, which a table can live with. */
#include "cli/show.h"

#include <string.h>

#include <jansson.h>

static const char *or_dash(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : "-";
}

static int width(const char *s, int w)
{
    int n = (int)strlen(or_dash(s));
    return n > w ? n : w;
}

void show_groups_table(FILE *out, const struct groupie_group_list *l)
{
    int wid = 2, wtitle = 5, wjid = 3;
    for (size_t i = 0; i < l->count; i++) {
        wid = width(l->groups[i].id, wid);
        wtitle = width(l->groups[i].title, wtitle);
        wjid = width(l->groups[i].jid, wjid);
    }
    if (wtitle > 48)
        wtitle = 48;
    fprintf(out, "%-*s  %-*s  %-*s  %s\n", wid, "ID", wtitle, "TITLE", wjid, "JID", "CREATED");
    for (size_t i = 0; i < l->count; i++) {
        const struct groupie_group_summary *g = &l->groups[i];
        fprintf(out, "%-*s  %-*.*s  %-*s  %s\n", wid, or_dash(g->id), wtitle, wtitle,
                or_dash(g->title), wjid, or_dash(g->jid), or_dash(g->created_at));
    }
    fprintf(out, "%zu group%s\n", l->count, l->count == 1 ? "" : "s");
}

int show_line(FILE *out, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && fputc('\t', out) == EOF)
            return -1;
        for (const char *p = fields[i] ? fields[i] : ""; *p; p++) {
            /* A tab or a line break inside a value would split it. */
            char c = *p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p;
            if (fputc(c, out) == EOF)
                return -1;
        }
    }
    return fputc('\n', out) == EOF ? -1 : 0;
}

int show_groups_lines(FILE *out, const struct groupie_group_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        const struct groupie_group_summary *g = &l->groups[i];
        const char *f[] = {g->id, g->title, g->jid, g->created_at};
        if (show_line(out, f, 4) != 0)
            return -1;
    }
    return fflush(out) == 0 ? 0 : -1;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

int show_groups_json(FILE *out, const struct groupie_group_list *l)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < l->count; i++) {
        const struct groupie_group_summary *g = &l->groups[i];
        json_array_append_new(
            arr, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:b, s:o, s:o, s:o}", "id",
                           str_or_null(g->id), "device_id", str_or_null(g->device_id), "jid",
                           str_or_null(g->jid), "title", str_or_null(g->title), "description",
                           str_or_null(g->description), "image_url", str_or_null(g->image_url),
                           "muted", g->muted, "spam", g->spam, "group_created_at",
                           str_or_null(g->group_created_at), "created_at",
                           str_or_null(g->created_at), "updated_at", str_or_null(g->updated_at)));
    }
    int rc = json_dumpf(arr, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(arr);
    return rc;
}

static const char *role_of(const struct groupie_participant *p)
{
    return p->is_creator ? "creator" : p->is_admin ? "admin" : "member";
}

void show_group_table(FILE *out, const struct groupie_group *g)
{
    fprintf(out, "%s (group %s)\n", or_dash(g->title), g->id);
    if (g->description != NULL && g->description[0] != '\0')
        fprintf(out, "%s\n", g->description);
    fprintf(out, "%ld participant%s; this device is %san admin\n\n", g->participant_count,
            g->participant_count == 1 ? "" : "s", g->is_admin ? "" : "not ");
    int wphone = 5, wname = 4;
    for (size_t i = 0; i < g->participant_total; i++) {
        wphone = width(g->participants[i].phone, wphone);
        wname = width(g->participants[i].name, wname);
    }
    if (wname > 32)
        wname = 32;
    fprintf(out, "%-*s  %-*s  %-7s  %s\n", wphone, "PHONE", wname, "NAME", "ROLE", "JOINED");
    for (size_t i = 0; i < g->participant_total; i++) {
        const struct groupie_participant *p = &g->participants[i];
        fprintf(out, "%-*s  %-*.*s  %-7s  %s\n", wphone, p->phone, wname, wname, or_dash(p->name),
                role_of(p), or_dash(p->joined_at));
    }
}

int show_group_lines(FILE *out, const struct groupie_group *g)
{
    for (size_t i = 0; i < g->participant_total; i++) {
        const struct groupie_participant *p = &g->participants[i];
        const char *f[] = {p->phone, role_of(p), p->name, p->joined_at};
        if (show_line(out, f, 4) != 0)
            return -1;
    }
    return fflush(out) == 0 ? 0 : -1;
}

int show_group_json(FILE *out, const struct groupie_group *g)
{
    json_t *parts = json_array();
    for (size_t i = 0; i < g->participant_total; i++) {
        const struct groupie_participant *p = &g->participants[i];
        json_array_append_new(parts, json_pack("{s:s, s:o, s:s, s:b, s:o}", "phone", p->phone,
                                               "name", str_or_null(p->name), "role", role_of(p),
                                               "is_admin", p->is_admin || p->is_creator,
                                               "joined_at", str_or_null(p->joined_at)));
    }
    json_t *root = json_pack(
        "{s:s, s:o, s:o, s:o, s:I, s:b, s:o}", "id", g->id, "title", str_or_null(g->title),
        "description", str_or_null(g->description), "jid", str_or_null(g->jid), "participant_count",
        (json_int_t)g->participant_count, "is_admin", g->is_admin, "participants", parts);
    if (root == NULL)
        return -1;
    int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(root);
    return rc;
}
