/* listen.h -- `groupie listen`: a device's webhooks, live, in a terminal.
 *
 *   groupie listen [--forward-to URL] [--events LIST] [--listen HOST:PORT]
 *                  [--public-url URL] [--table] [--json]
 *
 * Like `stripe listen`: it receives deliveries on a local port, registers
 * that address as a temporary endpoint of the device (POST /api/webhooks,
 * through libgroupie and the token every command reads), checks every
 * delivery's signature with the secret the server returned, prints one
 * line per event (a table on a terminal, tab-separated lines in a pipe,
 * the event's JSON with --json), forwards each to --forward-to with its
 * headers unchanged (so the application there verifies it with the same
 * secret) and answers the server with the application's status, and
 * removes the endpoint when it stops (Ctrl-C, SIGTERM, SIGHUP).
 * docs/WEBHOOKS.md describes it for users; the command itself is
 * cli_cmd_listen (command.h). */
#ifndef GROUPIE_CLI_LISTEN_H
#define GROUPIE_CLI_LISTEN_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/command.h"
#include "webhook/event.h"

/* The command's own options (cli_cmd_listen's state). */
struct listen_opts {
    const char *forward_to;
    const char *events; /* the list as given; NULL for every type */
    event_set event_set;
    char listen_host[48];   /* an IPv4 or IPv6 address; default 127.0.0.1 */
    unsigned listen_port;   /* default 0: any free port */
    const char *public_url; /* the URL to register; default http://HOST:PORT/ */
    bool table;
};

/* --- the receiving side, for tests ----------------------------------------------- */

struct listener_config {
    const char *host;
    unsigned port;
    const char *forward_to; /* NULL: answer 200 to every verified delivery */
    const char *ca_file;    /* for an https --forward-to */
    enum cli_output mode;   /* how each event is printed */
    FILE *out;              /* one line per event */
    FILE *err;              /* rejected deliveries, forwarding failures */
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
