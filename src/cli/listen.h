/* listen.h -- `groupie listen`: a device's webhooks, live, in a terminal.
 *
 *   groupie listen [--forward-to URL] [--events LIST] [--json]
 *                  [--listen HOST:PORT] [--public-url URL]
 *
 * Like `stripe listen`: it receives deliveries on a local port, registers
 * that address as a temporary endpoint of the device (POST /api/webhooks),
 * checks every delivery's signature with the secret the server returned,
 * prints one line per event (or the event's JSON with --json), forwards
 * each to --forward-to with its headers unchanged (so the application
 * there verifies it with the same secret) and answers the server with the
 * application's status, and removes the endpoint when it stops (Ctrl-C,
 * SIGTERM, SIGHUP). docs/WEBHOOKS.md describes it for users.
 *
 * The CLI lends the listener its way of reading the token, so that both
 * take it from the same places with the same checks. */
#ifndef GROUPIE_CLI_LISTEN_H
#define GROUPIE_CLI_LISTEN_H

#include <stdbool.h>
#include <stdio.h>

#include "webhook/event.h"

struct listen_cli {
    /* The token from token_file, or from $GROUPIE_TOKEN when it is NULL.
     * Returns an exit status (0 when *out is set; free it). */
    int (*read_token)(const char *token_file, char **out);
    const char *default_base_url;
};

/* Runs the command; argv[0] is "listen". Returns an exit status. */
int listen_main(int argc, char **argv, const struct listen_cli *cli);

/* --- the parts, for tests ----------------------------------------------------- */

struct listen_opts {
    const char *forward_to;
    const char *events; /* the list as given; NULL for every type */
    event_set event_set;
    bool json;
    char listen_host[48];   /* an IPv4 or IPv6 address; default 127.0.0.1 */
    unsigned listen_port;   /* default 0: any free port */
    const char *public_url; /* the URL to register; default http://HOST:PORT/ */
    const char *base_url, *token_file, *ca_file;
    bool help;
};

/* Reads the options after "listen". 0, or -1 with a sentence in err. */
int listen_parse_args(int argc, char **argv, struct listen_opts *o, char *err, size_t errsz);

struct listener_config {
    const char *host;
    unsigned port;
    const char *forward_to; /* NULL: answer 200 to every verified delivery */
    const char *ca_file;    /* for an https --forward-to */
    bool json;
    FILE *out; /* one line per event */
    FILE *err; /* rejected deliveries, forwarding failures */
};

struct listener;

/* Starts receiving on host:port. Until listen_arm() gives it the secret,
 * every delivery is answered 503 (it cannot be checked yet). */
int listen_start(const struct listener_config *c, struct listener **out, char *err, size_t errsz);
/* "http://127.0.0.1:PORT/" */
const char *listen_url(const struct listener *l);
void listen_arm(struct listener *l, const char *secret);
/* Deliveries verified so far, and refused (bad or missing signature). */
unsigned long listen_verified(struct listener *l);
unsigned long listen_rejected(struct listener *l);
void listen_stop(struct listener *l);

#endif
