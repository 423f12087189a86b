/* paging.h -- ?page= and ?per_page= on the list endpoints, and the meta
 * object that describes the page. */
#ifndef GROUPIE_PAGING_H
#define GROUPIE_PAGING_H

#include "server/http.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define PAGING_DEFAULT_PER_PAGE 50
#define PAGING_MAX_PER_PAGE     200

struct paging {
    int64_t page;     /* from 1 */
    int64_t per_page; /* 1 to PAGING_MAX_PER_PAGE */
};

/* Reads the query into p (defaults: page 1, per_page 50). A bad value adds
 * a sentence under "page" or "per_page" to errors and returns false. */
bool paging_parse(const struct request *req, struct paging *p, json_t *errors);

int64_t paging_offset(const struct paging *p);

/* {"page","per_page","total","total_pages"} */
json_t *paging_meta(const struct paging *p, int64_t total);

#endif
