/* paging.c -- see paging.h. */
#include "server/paging.h"

#include "server/respond.h"
#include "server/router.h"

/* Pages beyond this are refused rather than risking offset overflow. */
#define PAGING_MAX_PAGE 1000000000LL

bool paging_parse(const struct request *req, struct paging *p, json_t *errors)
{
    p->page = 1;
    p->per_page = PAGING_DEFAULT_PER_PAGE;
    bool ok = true;
    const char *page = http_query(req, "page");
    if (page != NULL && (!router_parse_id(page, &p->page) || p->page > PAGING_MAX_PAGE)) {
        errors_add(errors, "page", "Page must be a positive integer");
        ok = false;
    }
    const char *per_page = http_query(req, "per_page");
    if (per_page != NULL &&
        (!router_parse_id(per_page, &p->per_page) || p->per_page > PAGING_MAX_PER_PAGE)) {
        errors_addf(errors, "per_page", "Per page must be an integer from 1 to %d",
                    PAGING_MAX_PER_PAGE);
        ok = false;
    }
    return ok;
}

int64_t paging_offset(const struct paging *p)
{
    return (p->page - 1) * p->per_page;
}

void paging_meta(struct jw *w, const struct paging *p, int64_t total)
{
    jw_object(w);
    jw_key(w, "page");
    jw_int(w, p->page);
    jw_key(w, "per_page");
    jw_int(w, p->per_page);
    jw_key(w, "total");
    jw_int(w, total);
    jw_key(w, "total_pages");
    jw_int(w, (total + p->per_page - 1) / p->per_page);
    jw_object_end(w);
}
