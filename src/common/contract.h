/* contract.h -- the limits Whatspie documents, as numbers.
 *
 * The one place they are written: groupied runs with them unless a flag
 * says otherwise (core/limits.c, and config.c's --help quotes them), and
 * the groupie CLI paces itself by them unless told the server's own. Both
 * halves include this header; nothing here needs a library. */
#ifndef GROUPIE_CONTRACT_H
#define GROUPIE_CONTRACT_H

#define CONTRACT_MAX_BATCH     20          /* participants per add request */
#define CONTRACT_RATE_LIMIT    10          /* add requests per group per window */
#define CONTRACT_RATE_WINDOW_S 60          /* the sliding window */
#define CONTRACT_DAILY_LIMIT   500         /* direct additions per group per UTC day */
#define CONTRACT_CAPACITY      1024        /* participants per group, admins included */
#define CONTRACT_INVITE_TTL_S  (72 * 3600) /* a private invitation's lifetime */

/* A plain number above as a string literal, for help texts:
 * CONTRACT_STR(CONTRACT_RATE_LIMIT) is "10". */
#define CONTRACT_STR(x)  CONTRACT_STR_(x)
#define CONTRACT_STR_(x) #x

#endif
