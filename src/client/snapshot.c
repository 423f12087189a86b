/* snapshot.c -- see snapshot.h. */
#include "client/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_phone(const void *a, const void *b)
{
    return strcmp(a, b);
}

enum groupie_status snapshot_read(groupie_client *c, long long group_id, struct snapshot *s,
                                  struct groupie_error *err)
{
    memset(s, 0, sizeof(*s));
    s->can_add_members = -1;
    struct groupie_group *g;
    enum groupie_status st = groupie_get_group(c, group_id, &g, err);
    if (st != GROUPIE_OK)
        return st;
    s->listed = g->participants_listed;
    s->can_add_members = g->can_add_members;
    s->participant_count = g->participant_count;
    s->phones = calloc(g->participant_total ? g->participant_total : 1, sizeof(*s->phones));
    if (s->phones == NULL) {
        groupie_group_free(g);
        memset(s, 0, sizeof(*s));
        if (err != NULL) {
            memset(err, 0, sizeof(*err));
            err->kind = GROUPIE_E_NOMEM;
            snprintf(err->message, sizeof(err->message), "out of memory");
        }
        return GROUPIE_E_NOMEM;
    }
    for (size_t i = 0; i < g->participant_total; i++) {
        /* A phone that does not fit is no number of ours: left out. */
        if (g->participants[i].phone != NULL &&
            strlen(g->participants[i].phone) < GROUPIE_PHONE_BUFSZ)
            snprintf(s->phones[s->n++], GROUPIE_PHONE_BUFSZ, "%s", g->participants[i].phone);
    }
    groupie_group_free(g);
    qsort(s->phones, s->n, sizeof(*s->phones), by_phone);
    return GROUPIE_OK;
}

int snapshot_has(const struct snapshot *s, const char *phone)
{
    if (!s->listed)
        return -1;
    return bsearch(phone, s->phones, s->n, sizeof(*s->phones), by_phone) != NULL;
}

void snapshot_free(struct snapshot *s)
{
    free(s->phones);
    memset(s, 0, sizeof(*s));
}
