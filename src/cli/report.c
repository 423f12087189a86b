/* report.c -- see report.h. */
#include "cli/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csv.h>
#include <jansson.h>

#include "client/eta.h"
#include "common/clock.h"

static const char *const outcome_names[OUT_N] = {
    "added", "already_member", "invited", "failed", "invalid", "duplicate", "pending",
};

const char *report_outcome_name(enum outcome o)
{
    return (unsigned)o < OUT_N ? outcome_names[o] : "unknown";
}

/* One CSV cell: quoted (by libcsv) only when it has to be. */
static int cell(FILE *f, const char *s, size_t len, bool last)
{
    bool quote = len > 0 && (s[0] == ' ' || s[len - 1] == ' ');
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    int rc = quote ? csv_fwrite(f, s, len) : (fwrite(s, 1, len, f) == len ? 0 : EOF);
    if (rc == 0 && fputs(last ? "\r\n" : ",", f) == EOF)
        rc = EOF;
    return rc;
}

static int cells(FILE *f, const char *const *v, const size_t *len, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (cell(f, v[i], len[i], i + 1 == n) != 0)
            return -1;
    }
    return 0;
}

static void count_code(struct report_totals *t, const char *code)
{
    for (size_t i = 0; i < t->nfailed; i++) {
        if (strcmp(t->failed[i].code, code) == 0) {
            t->failed[i].n++;
            return;
        }
    }
    if (t->nfailed < REPORT_MAX_CODES) {
        snprintf(t->failed[t->nfailed].code, sizeof(t->failed[0].code), "%s", code);
        t->failed[t->nfailed++].n = 1;
    }
}

#define NCOLS 9

/* A row's outcome, its error code and a detail sentence; the journal is
 * asked for the rows that were sent. -1 on a journal error. */
static int outcome_of(const struct input *in, const struct prep_row *pr, struct journal *j,
                      struct jnumber *jn, const char **code, char *detail, size_t dsz,
                      struct report_totals *t)
{
    memset(jn, 0, sizeof(*jn));
    *code = "";
    detail[0] = '\0';
    if (pr->kind == PREP_INVALID) {
        *code = "INVALID_NUMBER";
        snprintf(detail, dsz, "%s", prepare_strerror(pr->status));
        return OUT_INVALID;
    }
    if (pr->kind == PREP_DUPLICATE) {
        snprintf(detail, dsz, "the same number as line %zu, which is the one sent",
                 in->rows[pr->dup_of].line);
        return OUT_DUPLICATE;
    }
    int found = j ? journal_lookup(j, pr->number, jn) : 0;
    if (found < 0)
        return -1;
    switch (found ? jn->state : J_PENDING) {
    case J_ADDED:
        if (jn->via_replay) {
            t->replayed++;
            snprintf(detail, dsz,
                     "added by this run: a send whose answer was lost was applied (not a member "
                     "when the run began; the retry found it already a member)");
        }
        return OUT_ADDED;
    case J_ALREADY:
        *code = jn->error_code;
        if (jn->uncertain) {
            t->uncertain++;
            snprintf(detail, dsz,
                     "a member when a batch was sent again after its answer was lost; whether "
                     "that lost send added it is unknown (the group's members could not be read "
                     "when the run began)");
        }
        return OUT_ALREADY;
    case J_INVITED:
        *code = jn->error_code;
        snprintf(detail, dsz, "%s; a private invitation was sent", jn->error);
        return OUT_INVITED;
    case J_FAILED:
        *code = jn->error_code;
        snprintf(detail, dsz, "%s", jn->error);
        count_code(t, (*code)[0] ? *code : "UNKNOWN");
        return OUT_FAILED;
    default:
        snprintf(detail, dsz, "%s",
                 j ? "not decided yet: rerun the same command to resume"
                   : "dry run: would be sent");
        return OUT_PENDING;
    }
}

int report_scan(const struct input *in, const struct prepared *p, struct journal *j, FILE *csv,
                struct report_totals *t, char *why, size_t whysz)
{
    memset(t, 0, sizeof(*t));
    static const char *const header[NCOLS] = {"line",
                                              "input",
                                              "number",
                                              "outcome",
                                              "error_code",
                                              "invitation_code",
                                              "invitation_expires_at",
                                              "name",
                                              "detail"};
    if (csv != NULL) {
        size_t hl[NCOLS];
        for (size_t i = 0; i < NCOLS; i++)
            hl[i] = strlen(header[i]);
        if (cells(csv, header, hl, NCOLS) != 0)
            goto write_error;
    }
    for (size_t i = 0; i < p->n; i++) {
        const struct input_row *r = &in->rows[i];
        const struct prep_row *pr = &p->rows[i];
        struct jnumber jn;
        const char *code;
        char detail[256];
        int o = outcome_of(in, pr, j, &jn, &code, detail, sizeof(detail), t);
        if (o < 0) {
            snprintf(why, whysz, "reading the journal: %s", journal_error(j));
            return -1;
        }
        t->outcome[o]++;
        t->rows++;
        if (csv == NULL)
            continue;
        char line[32];
        snprintf(line, sizeof(line), "%zu", r->line);
        const char *v[NCOLS] = {line,
                                input_raw(in, r),
                                pr->number,
                                outcome_names[o],
                                code,
                                o == OUT_INVITED ? jn.inv_code : "",
                                o == OUT_INVITED ? jn.inv_expires : "",
                                input_name(in, r),
                                detail};
        size_t len[NCOLS] = {strlen(line), r->raw_len,   strlen(v[2]), strlen(v[3]),  strlen(v[4]),
                             strlen(v[5]), strlen(v[6]), r->name_len,  strlen(detail)};
        if (cells(csv, v, len, NCOLS) != 0)
            goto write_error;
    }
    return 0;

write_error:
    snprintf(why, whysz, "writing the report: %s", strerror(errno));
    return -1;
}

/* A new file next to path (path.tmpPID), for writing; *tmp is its name
 * (free it). NULL with why set when it cannot be made. */
static FILE *open_beside(const char *path, char **tmp, char *why, size_t whysz)
{
    size_t n = strlen(path) + 16;
    *tmp = malloc(n);
    if (*tmp == NULL) {
        snprintf(why, whysz, "out of memory");
        return NULL;
    }
    snprintf(*tmp, n, "%s.tmp%d", path, (int)getpid());
    FILE *f = fopen(*tmp, "w");
    if (f == NULL)
        snprintf(why, whysz, "cannot write the report %s: %s", path, strerror(errno));
    return f;
}

int report_check(const char *path, char *why, size_t whysz)
{
    if (strcmp(path, "-") == 0)
        return 0;
    char *tmp;
    FILE *f = open_beside(path, &tmp, why, whysz);
    int rc = f != NULL ? 0 : -1;
    if (f != NULL) {
        fclose(f);
        unlink(tmp);
    }
    free(tmp);
    if (rc != 0 && strlen(why) + 20 < whysz)
        strcat(why, "; nothing was sent");
    /* The report replaces whatever is at path; a directory it cannot. */
    struct stat st;
    if (rc == 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(why, whysz, "the report %s is a directory; give a file name; nothing was sent",
                 path);
        rc = -1;
    }
    return rc;
}

int report_write(const char *path, const struct input *in, const struct prepared *p,
                 struct journal *j, struct report_totals *t, char *why, size_t whysz)
{
    if (strcmp(path, "-") == 0) {
        int rc = report_scan(in, p, j, stdout, t, why, whysz);
        if (fflush(stdout) != 0 && rc == 0) {
            snprintf(why, whysz, "writing the report to standard output: %s", strerror(errno));
            rc = -1;
        }
        return rc;
    }
    char *tmp;
    FILE *f = open_beside(path, &tmp, why, whysz);
    if (f == NULL) {
        free(tmp);
        return -1;
    }
    int rc = report_scan(in, p, j, f, t, why, whysz);
    if (fclose(f) != 0 && rc == 0) {
        snprintf(why, whysz, "writing %s: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        snprintf(why, whysz, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        rc = -1;
    }
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

void report_summary(FILE *out, const struct report_run *run, const struct report_totals *t)
{
    const size_t *o = t->outcome;
    fprintf(out, "group %lld: %zu row%s from %s\n", run->group_id, t->rows, t->rows == 1 ? "" : "s",
            run->input_label);
    fprintf(out, "  added            %zu", o[OUT_ADDED]);
    if (t->replayed)
        fprintf(out, "  (%zu confirmed after a lost answer)", t->replayed);
    fprintf(out, "\n  already members  %zu", o[OUT_ALREADY]);
    if (t->uncertain)
        fprintf(out, "  (%zu of them perhaps added by a send whose answer was lost)", t->uncertain);
    fprintf(out, "\n");
    fprintf(out, "  invited          %zu", o[OUT_INVITED]);
    if (o[OUT_INVITED])
        fprintf(out, "  (privacy settings: a private invitation was sent instead)");
    fprintf(out, "\n  failed           %zu", o[OUT_FAILED]);
    for (size_t i = 0; i < t->nfailed; i++)
        fprintf(out, "%s%s %zu", i ? ", " : "  (", t->failed[i].code, t->failed[i].n);
    fprintf(out, "%s\n", t->nfailed ? ")" : "");
    fprintf(out, "  invalid          %zu%s\n", o[OUT_INVALID],
            !o[OUT_INVALID] ? ""
            : run->report   ? "  (never sent; the report says why, by line)"
                            : "  (never sent; --report FILE says why, by line)");
    fprintf(out, "  duplicates       %zu%s\n", o[OUT_DUPLICATE],
            o[OUT_DUPLICATE] ? "  (sent once, for their first line)" : "");
    fprintf(out, "  not sent yet     %zu\n", o[OUT_PENDING]);
    if (run->stats != NULL) {
        char d[32];
        eta_format((int64_t)(run->elapsed_s * 1000), d, sizeof(d));
        fprintf(out, "  %zu request%s, %zu answered 429, %zu retr%s, %s\n", run->stats->requests,
                run->stats->requests == 1 ? "" : "s", run->stats->http_429, run->stats->retries,
                run->stats->retries == 1 ? "y" : "ies", d);
    }
    if (run->report)
        fprintf(out, "  report: %s\n", strcmp(run->report, "-") ? run->report : "standard output");
    if (run->journal)
        fprintf(out, "  journal: %s\n", run->journal);
    if (run->fail_on)
        fprintf(out, "  exit status 2: %s\n", run->fail_on);
}

int report_json(FILE *out, const struct report_run *run, const struct report_totals *t)
{
    char gid[32];
    snprintf(gid, sizeof(gid), "%lld", run->group_id);
    json_t *outcomes = json_object();
    for (int i = 0; i < OUT_N; i++)
        json_object_set_new(outcomes, outcome_names[i], json_integer((json_int_t)t->outcome[i]));
    json_t *codes = json_object();
    for (size_t i = 0; i < t->nfailed; i++)
        json_object_set_new(codes, t->failed[i].code, json_integer((json_int_t)t->failed[i].n));
    json_t *requests = json_null();
    if (run->stats != NULL) {
        const struct addrun_stats *s = run->stats;
        double span = s->first_send_us && s->last_answer_us > s->first_send_us
                          ? (double)(s->last_answer_us - s->first_send_us) / 1e6
                          : 0.0;
        requests =
            json_pack("{s:I, s:I, s:I, s:I, s:I, s:f}", "sent", (json_int_t)s->requests, "http_429",
                      (json_int_t)s->http_429, "retries", (json_int_t)s->retries,
                      "replayed_batches", (json_int_t)s->replayed_batches, "replayed_answers",
                      (json_int_t)s->replayed_answers, "span_seconds", span);
    }
    json_t *resume = json_null();
    if (run->resume_at_ms > 0) {
        char iso[CLOCK_ISO_BUFSZ];
        clock_iso8601(run->resume_at_ms, iso);
        resume = json_string(iso);
    }
    json_t *root = json_pack(
        "{s:s, s:s, s:i, s:o, s:s, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:o, s:I, s:o, s:o, s:f}",
        "group_id", gid, "status", run->status, "exit_code", run->exit_code, "message",
        run->message ? json_string(run->message) : json_null(), "input", run->input_label,
        "journal", run->journal ? json_string(run->journal) : json_null(), "report",
        run->report ? json_string(run->report) : json_null(), "rows", "total", (json_int_t)t->rows,
        "valid", (json_int_t)(t->rows - t->outcome[OUT_INVALID] - t->outcome[OUT_DUPLICATE]),
        "invalid", (json_int_t)t->outcome[OUT_INVALID], "duplicates",
        (json_int_t)t->outcome[OUT_DUPLICATE], "outcomes", outcomes, "added_after_lost_answer",
        (json_int_t)t->replayed, "failed_by_code", codes, "requests", requests, "elapsed_seconds",
        run->elapsed_s);
    if (root == NULL)
        return -1;
    json_object_set_new(root, "uncertain_after_lost_answer",
                        json_integer((json_int_t)t->uncertain));
    if (run->stats != NULL) {
        json_t *rq = json_object_get(root, "requests");
        json_object_set_new(rq, "in_flight_seconds",
                            json_real((double)run->stats->in_flight_us / 1e6));
        json_object_set_new(rq, "paced_seconds", json_real((double)run->stats->paced_us / 1e6));
        json_object_set_new(rq, "member_checks",
                            json_integer((json_int_t)run->stats->member_checks));
    }
    json_object_set_new(root, "resume_at", resume);
    json_object_set_new(root, "fail_on", run->fail_on ? json_string(run->fail_on) : json_null());
    if (run->diagnostics != NULL)
        json_object_set(root, "diagnostics", run->diagnostics);
    int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    fputc('\n', out);
    json_decref(root);
    return rc;
}
