/* urlpolicy.c -- see urlpolicy.h. */
#include "webhook/urlpolicy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

/* IPv4 blocks that are not globally reachable (the IANA special-purpose
 * registry, RFC 6890 and its updates), most specific first where they
 * nest. */
static const struct {
    uint32_t net;
    int bits;
    const char *what;
} v4_blocks[] = {
    {0x00000000, 8, "reserved (\"this network\")"},
    {0x0a000000, 8, "private"},
    {0x64400000, 10, "shared (carrier-grade NAT)"},
    {0x7f000000, 8, "loopback"},
    {0xa9fe0000, 16, "link-local"},
    {0xac100000, 12, "private"},
    {0xc0000000, 24, "reserved (IETF protocol assignments)"},
    {0xc0000200, 24, "reserved (documentation)"},
    {0xc0586300, 24, "reserved (6to4 relay)"},
    {0xc0a80000, 16, "private"},
    {0xc6120000, 15, "reserved (benchmarking)"},
    {0xc6336400, 24, "reserved (documentation)"},
    {0xcb007100, 24, "reserved (documentation)"},
    {0xe0000000, 4, "multicast"},
    {0xf0000000, 4, "reserved"},
};

static const char *v4_class(uint32_t a)
{
    for (size_t i = 0; i < sizeof(v4_blocks) / sizeof(*v4_blocks); i++) {
        uint32_t mask = 0xffffffffu << (32 - v4_blocks[i].bits);
        if ((a & mask) == v4_blocks[i].net)
            return v4_blocks[i].what;
    }
    return NULL;
}

static uint32_t v4_at(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool v6_prefix(const uint8_t *a, const uint8_t *prefix, int bits)
{
    int bytes = bits / 8;
    if (memcmp(a, prefix, (size_t)bytes) != 0)
        return false;
    int rest = bits % 8;
    return rest == 0 || (a[bytes] >> (8 - rest)) == (prefix[bytes] >> (8 - rest));
}

static const char *v6_class(const uint8_t *a)
{
    static const uint8_t zero[16] = {0};
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
    static const uint8_t nat64_local[6] = {0, 0x64, 0xff, 0x9b, 0, 1};
    static const uint8_t six_to_four[2] = {0x20, 0x02};
    static const uint8_t discard[8] = {0x01, 0x00};
    static const uint8_t ietf[4] = {0x20, 0x01, 0x00, 0x00};
    static const uint8_t doc[4] = {0x20, 0x01, 0x0d, 0xb8};
    static const uint8_t unique_local[1] = {0xfc};
    static const uint8_t link_local[2] = {0xfe, 0x80};
    static const uint8_t site_local[2] = {0xfe, 0xc0};
    static const uint8_t multicast[1] = {0xff};
    static const uint8_t global[1] = {0x20};

    if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
        return a[15] == 1 ? "loopback" : "reserved (unspecified)";
    /* IPv4 carried in IPv6 reaches an IPv4 host: judge that host. */
    if (v6_prefix(a, mapped, 96) || v6_prefix(a, nat64, 96))
        return v4_class(v4_at(a + 12));
    if (v6_prefix(a, six_to_four, 16))
        return v4_class(v4_at(a + 2));
    if (v6_prefix(a, zero, 96))
        return "reserved (IPv4-compatible)";
    if (v6_prefix(a, nat64_local, 48))
        return "reserved (local NAT64)";
    if (v6_prefix(a, discard, 64))
        return "reserved (discard)";
    if (v6_prefix(a, doc, 32))
        return "reserved (documentation)";
    if (v6_prefix(a, ietf, 23))
        return "reserved (IETF protocol assignments)";
    if (v6_prefix(a, unique_local, 7))
        return "private (unique local)";
    if (v6_prefix(a, link_local, 10))
        return "link-local";
    if (v6_prefix(a, site_local, 10))
        return "private (site-local)";
    if (v6_prefix(a, multicast, 8))
        return "multicast";
    /* Global unicast is 2000::/3; everything else is unassigned. */
    if (!v6_prefix(a, global, 3))
        return "reserved";
    return NULL;
}

const char *urlpolicy_addr_class(const struct sockaddr *addr)
{
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)addr;
        return v4_class(ntohl(in->sin_addr.s_addr));
    }
    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)addr;
        return v6_class(in6->sin6_addr.s6_addr);
    }
    return "not IP";
}

void urlpolicy_addr_text(const struct sockaddr *addr, char *out, size_t outsz)
{
    const void *raw = NULL;
    if (addr->sa_family == AF_INET)
        raw = &((const struct sockaddr_in *)(const void *)addr)->sin_addr;
    else if (addr->sa_family == AF_INET6)
        raw = &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr;
    if (raw == NULL || inet_ntop(addr->sa_family, raw, out, (socklen_t)outsz) == NULL)
        snprintf(out, outsz, "(an address of family %d)", addr->sa_family);
}

/* The URL's scheme, host (without IPv6 brackets) and port, or a status. */
static int parse(const char *url, char *scheme, size_t scheme_sz, char *host, size_t host_sz,
                 char *port, size_t port_sz)
{
    if (strlen(url) > URLPOLICY_URL_MAX)
        return URLPOLICY_MALFORMED;
    CURLU *u = curl_url();
    if (u == NULL)
        return URLPOLICY_MALFORMED;
    int rc = URLPOLICY_MALFORMED;
    char *s = NULL, *h = NULL, *p = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && h[0] != '\0') {
        rc = URLPOLICY_SCHEME;
        if ((strcmp(s, "http") == 0 || strcmp(s, "https") == 0) &&
            curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK) {
            size_t hn = strlen(h);
            const char *hs = h;
            if (hn >= 2 && h[0] == '[' && h[hn - 1] == ']')
                hs++, hn -= 2;
            snprintf(scheme, scheme_sz, "%s", s);
            snprintf(host, host_sz, "%.*s", (int)hn, hs);
            snprintf(port, port_sz, "%s", p);
            rc = URLPOLICY_OK;
        }
    }
    curl_free(s);
    curl_free(h);
    curl_free(p);
    curl_url_cleanup(u);
    return rc;
}

#define PUBLIC_ONLY \
    "webhooks go only to public addresses unless the server runs with --webhook-allow-private"

int urlpolicy_check(const char *url, bool allow_private, char *why, size_t whysz)
{
    char scheme[16], host[URLPOLICY_URL_MAX + 1], port[8];
    int rc = parse(url, scheme, sizeof(scheme), host, sizeof(host), port, sizeof(port));
    if (rc == URLPOLICY_MALFORMED) {
        snprintf(why, whysz,
                 "URL must be an absolute http or https URL with a host, at most %d characters",
                 URLPOLICY_URL_MAX);
        return rc;
    }
    if (rc == URLPOLICY_SCHEME) {
        snprintf(why, whysz, "URL must be an http or https URL");
        return rc;
    }
    if (allow_private)
        return URLPOLICY_OK;

    /* Every address of every family: one that is not public refuses the
     * URL, whichever the connection would have used. */
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai == EAI_NONAME || gai == EAI_NODATA || gai == EAI_AGAIN || gai == EAI_FAIL ||
        (gai == 0 && res == NULL)) {
        snprintf(why, whysz, "URL's host %s does not resolve", host);
        return URLPOLICY_UNRESOLVED;
    }
    if (gai != 0) {
        snprintf(why, whysz, "URL's host %s could not be looked up: %s", host, gai_strerror(gai));
        return URLPOLICY_UNRESOLVED;
    }
    rc = URLPOLICY_OK;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        const char *what = urlpolicy_addr_class(ai->ai_addr);
        if (what != NULL) {
            char text[INET6_ADDRSTRLEN];
            urlpolicy_addr_text(ai->ai_addr, text, sizeof(text));
            if (strcmp(host, text) == 0)
                snprintf(why, whysz, "URL's host %s is a %s address; %s", host, what, PUBLIC_ONLY);
            else
                snprintf(why, whysz, "URL's host %s resolves to %s, a %s address; %s", host, text,
                         what, PUBLIC_ONLY);
            rc = URLPOLICY_NOT_PUBLIC;
            break;
        }
    }
    freeaddrinfo(res);
    return rc;
}
