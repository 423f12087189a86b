/* openapi.h -- the OpenAPI 3 document of the whole API, docs/openapi.json,
 * embedded in the binary at build time (mk/openapi.mk generates its
 * definition), so the server serves exactly the committed file. */
#ifndef GROUPIE_OPENAPI_H
#define GROUPIE_OPENAPI_H

#include <stddef.h>

extern const char openapi_json[]; /* NUL-terminated */
extern const size_t openapi_json_len;

#endif
