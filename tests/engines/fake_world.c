/* fake_world.c -- the fakes' WhatsApp: see fake.h. Small on purpose:
 * linear searches over a few hundred entries, freed only by fk_reset(). */
#include "fake.h"

#include "common/token.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t world_mu = PTHREAD_MUTEX_INITIALIZER;

static struct fk_session *sessions;
static size_t n_sessions;
static struct fk_person *people;
static size_t n_people;
static struct fk_group *groups;
static size_t n_groups;
static json_t *messages;

void fk_lock(void)
{
    pthread_mutex_lock(&world_mu);
}

void fk_unlock(void)
{
    pthread_mutex_unlock(&world_mu);
}

void fk_reset(void)
{
    for (size_t i = 0; i < n_people; i++) {
        free(people[i].contacts);
        free(people[i].blocks);
    }
    for (size_t i = 0; i < n_groups; i++) {
        free(groups[i].members);
        free(groups[i].left);
    }
    free(sessions);
    free(people);
    free(groups);
    json_decref(messages);
    sessions = NULL;
    people = NULL;
    groups = NULL;
    messages = NULL;
    n_sessions = n_people = n_groups = 0;
}

/* Grows *arr (of *n items of size sz) by one zeroed item. */
static void *push(void *arrp, size_t *n, size_t sz)
{
    void **arr = arrp;
    void *grown = realloc(*arr, (*n + 1) * sz);
    if (grown == NULL) {
        fprintf(stderr, "fake: out of memory\n");
        abort();
    }
    *arr = grown;
    memset((char *)grown + *n * sz, 0, sz);
    return (char *)grown + (*n)++ * sz;
}

struct fk_session *fk_session(const char *name)
{
    for (size_t i = 0; name != NULL && i < n_sessions; i++)
        if (strcmp(sessions[i].name, name) == 0)
            return &sessions[i];
    return NULL;
}

struct fk_session *fk_session_put(const char *name)
{
    struct fk_session *s = fk_session(name);
    if (s == NULL) {
        s = push(&sessions, &n_sessions, sizeof(*s));
        snprintf(s->name, sizeof(s->name), "%s", name);
    }
    return s;
}

bool fk_jid_digits(const char *jid, char out[FK_PHONE])
{
    size_t n = 0;
    while (jid != NULL && jid[n] >= '0' && jid[n] <= '9')
        n++;
    if (n == 0 || n >= FK_PHONE)
        return false;
    const char *rest = jid + n;
    if (*rest != '\0' && strcmp(rest, "@c.us") != 0 && strcmp(rest, "@s.whatsapp.net") != 0)
        return false;
    memcpy(out, jid, n);
    out[n] = '\0';
    return true;
}

struct fk_person *fk_person(const char *id)
{
    char d[FK_PHONE];
    bool is_phone = fk_jid_digits(id, d);
    for (size_t i = 0; id != NULL && i < n_people; i++) {
        struct fk_person *p = &people[i];
        if (is_phone && (strcmp(p->phone, d) == 0 || strcmp(p->canonical, d) == 0))
            return p;
        if (!is_phone && p->lid[0] != '\0' && strcmp(p->lid, id) == 0)
            return p;
    }
    return NULL;
}

struct fk_person *fk_person_put(const char *phone)
{
    for (size_t i = 0; i < n_people; i++)
        if (strcmp(people[i].phone, phone) == 0)
            return &people[i];
    struct fk_person *p = push(&people, &n_people, sizeof(*p));
    snprintf(p->phone, sizeof(p->phone), "%s", phone);
    snprintf(p->canonical, sizeof(p->canonical), "%s", phone);
    p->registered = true;
    return p;
}

struct fk_group *fk_group(const char *jid)
{
    for (size_t i = 0; jid != NULL && i < n_groups; i++)
        if (strcmp(groups[i].jid, jid) == 0)
            return &groups[i];
    return NULL;
}

struct fk_group *fk_group_put(const char *jid)
{
    struct fk_group *g = fk_group(jid);
    if (g == NULL) {
        g = push(&groups, &n_groups, sizeof(*g));
        snprintf(g->jid, sizeof(g->jid), "%s", jid);
        g->capacity = 1024;
        fk_random_code(g->invite, 22);
    }
    return g;
}

static int by_jid(const void *a, const void *b)
{
    return strcmp((*(struct fk_group *const *)a)->jid, (*(struct fk_group *const *)b)->jid);
}

size_t fk_groups_of(const struct fk_session *s, struct fk_group ***out)
{
    *out = calloc(n_groups + 1, sizeof(**out));
    size_t n = 0;
    for (size_t i = 0; *out != NULL && i < n_groups; i++)
        if (strcmp(groups[i].session, s->name) == 0 && fk_member(&groups[i], s->phone) != NULL)
            (*out)[n++] = &groups[i];
    if (n > 1)
        qsort(*out, n, sizeof(**out), by_jid);
    return n;
}

struct fk_member *fk_member(struct fk_group *g, const char *phone)
{
    for (size_t i = 0; i < g->n_members; i++)
        if (strcmp(g->members[i].phone, phone) == 0)
            return &g->members[i];
    return NULL;
}

bool fk_member_put(struct fk_group *g, const char *phone, enum fk_role role)
{
    struct fk_member *m = fk_member(g, phone);
    if (m != NULL) {
        m->role = role;
        return false;
    }
    m = push(&g->members, &g->n_members, sizeof(*m));
    snprintf(m->phone, sizeof(m->phone), "%s", phone);
    m->role = role;
    return true;
}

bool fk_member_remove(struct fk_group *g, const char *phone)
{
    struct fk_member *m = fk_member(g, phone);
    if (m == NULL)
        return false;
    size_t i = (size_t)(m - g->members);
    memmove(&g->members[i], &g->members[i + 1], (g->n_members - i - 1) * sizeof(*m));
    g->n_members--;
    return true;
}

void fk_random_code(char *out, size_t len)
{
    if (token_code(out, len) != 0) {
        fprintf(stderr, "fake: no randomness\n");
        abort();
    }
}

void fk_new_group_jid(char out[64])
{
    char digits[13];
    unsigned char r[12];
    if (token_random(r, sizeof(r)) != 0)
        abort();
    for (int i = 0; i < 12; i++)
        digits[i] = (char)('0' + r[i] % 10);
    digits[12] = '\0';
    snprintf(out, 64, "120363%s@g.us", digits);
}

bool fk_is_admin(const struct fk_group *g, const struct fk_session *s)
{
    for (size_t i = 0; i < g->n_members; i++)
        if (strcmp(g->members[i].phone, s->phone) == 0)
            return g->members[i].role != FK_MEMBER;
    return false;
}

static bool listed(char (*list)[FK_PHONE], size_t n, const char *phone)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], phone) == 0)
            return true;
    return false;
}

int fk_add(struct fk_group *g, const struct fk_session *s, const struct fk_person *p,
           char invite[24], int64_t *expires_s)
{
    invite[0] = '\0';
    *expires_s = 0;
    if (p == NULL || !p->registered)
        return 404;
    if (fk_member(g, p->canonical) != NULL)
        return 409;
    if (listed(p->blocks, p->n_blocks, s->phone))
        return 403; /* no add_request: nothing can be offered */
    if (p->privacy == FK_NOBODY ||
        (p->privacy == FK_CONTACTS && !listed(p->contacts, p->n_contacts, s->phone))) {
        fk_random_code(invite, 16); /* like Evolution #2011's "cV0oyyBsD49e6Plw" */
        *expires_s = fk_now_ms() / 1000 + 3 * 86400;
        return 403;
    }
    if (listed(g->left, g->n_left, p->canonical))
        return 408;
    if (g->community)
        return 417;
    if (g->approval)
        return 421;
    if ((int)g->n_members >= g->capacity)
        return 419;
    fk_member_put(g, p->canonical, FK_MEMBER);
    return 200;
}

int fk_change(struct fk_group *g, const char *action, const struct fk_person *p)
{
    struct fk_member *m = p != NULL ? fk_member(g, p->canonical) : NULL;
    if (m == NULL)
        return 404;
    if (strcmp(action, "remove") == 0)
        fk_member_remove(g, p->canonical);
    else if (strcmp(action, "promote") == 0)
        m->role = m->role == FK_SUPERADMIN ? FK_SUPERADMIN : FK_ADMIN;
    else if (strcmp(action, "demote") == 0)
        m->role = FK_MEMBER;
    return 200;
}

void fk_message_add(const char *session, const char *to, const char *kind, const char *text)
{
    if (messages == NULL)
        messages = json_array();
    json_array_append_new(messages, json_pack("{s:s,s:s,s:s,s:s}", "session", session, "to", to,
                                              "kind", kind, "text", text));
}

json_t *fk_messages(void)
{
    return messages != NULL ? json_deep_copy(messages) : json_array();
}

void fk_pn_jid(const struct fk_person *p, const char *id, const char *suffix, char out[64])
{
    char d[FK_PHONE] = "";
    if (p == NULL && !fk_jid_digits(id, d))
        snprintf(d, sizeof(d), "0");
    snprintf(out, 64, "%s@%s", p != NULL ? p->canonical : d, suffix);
}

json_t *fk_baileys_result(const char *id, const struct fk_person *p, int code, const char *invite,
                          int64_t expires_s)
{
    char pn[64], status[8];
    fk_pn_jid(p, id, "s.whatsapp.net", pn);
    bool by_lid = p != NULL && p->lid_only && p->lid[0] != '\0';
    const char *jid = by_lid ? p->lid : pn;
    snprintf(status, sizeof(status), "%d", code);
    json_t *attrs = json_pack("{s:s}", "jid", jid);
    if (by_lid)
        json_object_set_new(attrs, "phone_number", json_string(pn));
    if (code != 200)
        json_object_set_new(attrs, "error", json_string(status));
    json_t *node = json_pack("{s:s,s:o}", "tag", "participant", "attrs", attrs);
    if (invite != NULL && invite[0] != '\0') {
        char exp[24];
        snprintf(exp, sizeof(exp), "%lld", (long long)expires_s);
        json_object_set_new(node, "content",
                            json_pack("[{s:s,s:{s:s,s:s}}]", "tag", "add_request", "attrs", "code",
                                      invite, "expiration", exp));
    }
    return json_pack("{s:s,s:s,s:o}", "status", status, "jid", jid, "content", node);
}

json_t *fk_baileys_participant(const struct fk_member *m)
{
    static const char *const admin[] = {NULL, "admin", "superadmin"};
    const struct fk_person *p = fk_person(m->phone);
    char pn[64];
    snprintf(pn, sizeof(pn), "%s@s.whatsapp.net", m->phone);
    bool by_lid = p != NULL && p->lid_only && p->lid[0] != '\0';
    json_t *e =
        json_pack("{s:s,s:o}", "id", by_lid ? p->lid : pn, "admin", fk_str_or_null(admin[m->role]));
    if (by_lid)
        json_object_set_new(e, "phoneNumber", json_string(pn));
    return e;
}

json_t *fk_baileys_group(const struct fk_group *g)
{
    json_t *list = json_array();
    const char *owner = NULL;
    for (size_t i = 0; i < g->n_members; i++) {
        json_array_append_new(list, fk_baileys_participant(&g->members[i]));
        if (g->members[i].role == FK_SUPERADMIN)
            owner = g->members[i].phone;
    }
    char owner_jid[64] = "";
    if (owner != NULL)
        snprintf(owner_jid, sizeof(owner_jid), "%s@s.whatsapp.net", owner);
    return json_pack("{s:s,s:s,s:o,s:s,s:i,s:o,s:b,s:b,s:o}", "id", g->jid, "subject", g->subject,
                     "owner", fk_str_or_null(owner_jid), "desc", g->desc, "size", (int)g->n_members,
                     "creation", json_integer(fk_now_ms() / 1000), "restrict", false, "announce",
                     false, "participants", list);
}

json_t *fk_group_json(const struct fk_group *g)
{
    static const char *const roles[] = {"member", "admin", "superadmin"};
    json_t *list = json_array();
    for (size_t i = 0; i < g->n_members; i++)
        json_array_append_new(list, json_pack("{s:s,s:s}", "phone", g->members[i].phone, "role",
                                              roles[g->members[i].role]));
    return json_pack("{s:s,s:s,s:s,s:s,s:o}", "jid", g->jid, "session", g->session, "subject",
                     g->subject, "invite", g->invite, "participants", list);
}

json_t *fk_str_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

int64_t fk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
