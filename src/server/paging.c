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
        errors_add(errors, "per_page", "Per page must be an integer from 1 to 200");
        ok = false;
    }
    return ok;
}

int64_t paging_offset(const struct paging *p)
{
    return (p->page - 1) * p->per_page;
}

json_t *paging_meta(const struct paging *p, int64_t total)
{
    return json_pack("{s:I, s:I, s:I, s:I}", "page", (json_int_t)p->page, "per_page",
                     (json_int_t)p->per_page, "total", (json_int_t)total, "total_pages",
                     (json_int_t)((total + p->per_page - 1) / p->per_page));
}
