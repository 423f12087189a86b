/* urlpolicy.h -- which URLs an endpoint may have, and which addresses a
 * delivery may connect to.
 *
 * A webhook makes groupied send requests to URLs its users choose, from
 * inside the operator's network: without a policy, an endpoint of
 * http://169.254.169.254/ or http://10.0.0.5:5432/ turns groupied into a
 * way in (server-side request forgery). So a URL must be http or https,
 * and every address its host has must be public: not loopback, private,
 * shared (carrier-grade NAT), link-local, multicast, documentation or
 * otherwise reserved. The URL is checked when an endpoint is registered,
 * and each address again when a delivery connects to it, because a name
 * may resolve elsewhere by then (DNS rebinding). --webhook-allow-private
 * lifts the address rule (the demo and the tests receive on loopback). */
#ifndef GROUPIE_WEBHOOK_URLPOLICY_H
#define GROUPIE_WEBHOOK_URLPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define URLPOLICY_URL_MAX 2048

enum urlpolicy_status {
    URLPOLICY_OK = 0,
    URLPOLICY_MALFORMED,  /* not a URL with a host, or longer than URLPOLICY_URL_MAX */
    URLPOLICY_SCHEME,     /* not http or https */
    URLPOLICY_NOT_PUBLIC, /* the host is, or resolves to, an address that is not public */
    URLPOLICY_UNRESOLVED  /* the host name does not resolve */
};

/* Checks an endpoint's URL. Unless allow_private, the host is resolved
 * (a blocking lookup) and every address must be public. On refusal, why
 * receives a sentence for the API's answer. */
int urlpolicy_check(const char *url, bool allow_private, char *why, size_t whysz);

/* NULL when addr is a public IPv4 or IPv6 address; otherwise what it is:
 * "loopback", "private", "link-local", "multicast", "reserved", ... An
 * IPv4 address inside IPv6 (mapped, NAT64, 6to4) is judged as IPv4. Any
 * other family is "not IP". */
const char *urlpolicy_addr_class(const struct sockaddr *addr);

/* addr as text ("10.0.0.5", "::1") into out. */
void urlpolicy_addr_text(const struct sockaddr *addr, char *out, size_t outsz);

#endif
