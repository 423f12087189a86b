/* sign.h -- Standard Webhooks signatures: the secret, the header, the check.
 *
 * A delivery carries three headers: webhook-id (the event id, the same on
 * every attempt), webhook-timestamp (unix seconds of this attempt) and
 * webhook-signature, a space-separated list of "v1,<base64>" where each
 * signature is HMAC-SHA256 over "<id>.<timestamp>.<raw body>", keyed with
 * the decoded bytes of one secret. Several signatures are sent while a
 * secret is being rotated; a receiver accepts the delivery when any one of
 * them matches a secret it holds.
 *
 * A secret is shown as "whsec_" + base64 of its bytes. groupie makes them
 * from 32 random bytes; it accepts any secret of 24 to 64 bytes, with or
 * without the prefix (the spec's reference libraries accept both). */
#ifndef GROUPIE_WEBHOOK_SIGN_H
#define GROUPIE_WEBHOOK_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGN_SECRET_PREFIX    "whsec_"
#define SIGN_SECRET_BYTES     32 /* what groupie makes */
#define SIGN_SECRET_MIN_BYTES 24 /* the spec's lower bound */
#define SIGN_SECRET_MAX_BYTES 64
#define SIGN_SECRET_BUFSZ     (6 + 88 + 1) /* prefix, base64 of the largest, NUL */

#define SIGN_SIG_LEN   47 /* "v1," and 44 base64 characters */
#define SIGN_SIG_BUFSZ (SIGN_SIG_LEN + 1)

/* At most this many signatures are made for, or read from, one header. */
#define SIGN_MAX_SIGS 8

/* Receivers accept timestamps this far from their own clock, either way. */
#define SIGN_DEFAULT_TOLERANCE_S 300

enum sign_status {
    SIGN_OK = 0,
    SIGN_BAD_SECRET,    /* not "whsec_" + base64 of 24 to 64 bytes */
    SIGN_BAD_ID,        /* empty, too long, or holds a '.' or a character a header cannot carry */
    SIGN_NO_HEADER,     /* webhook-id, -timestamp or -signature is missing */
    SIGN_BAD_TIMESTAMP, /* not a whole number of seconds */
    SIGN_TOO_OLD,       /* older than the tolerance allows */
    SIGN_TOO_NEW,       /* further in the future than the tolerance allows */
    SIGN_NO_MATCH,      /* no v1 signature in the header matches the secret */
    SIGN_NO_SPACE,      /* the output buffer is too small */
    SIGN_NO_RANDOM,     /* the kernel gave no random bytes */
    SIGN_NO_MAC         /* libcrypto could not compute the HMAC (out of memory) */
};

/* A sentence for a status, e.g. for a listener's log line. */
const char *sign_strerror(int status);

/* A new secret, "whsec_" + base64 of SIGN_SECRET_BYTES random bytes. */
int sign_secret_new(char out[SIGN_SECRET_BUFSZ]);

/* The HMAC key a secret stands for: its base64 decoded, after the prefix
 * if there is one. key holds SIGN_SECRET_MAX_BYTES. */
int sign_secret_key(const char *secret, uint8_t key[SIGN_SECRET_MAX_BYTES], size_t *key_len);

/* The one signature "v1,<base64>" of a delivery under one secret. */
int sign_one(const char *secret, const char *id, int64_t timestamp, const void *body,
             size_t body_len, char out[SIGN_SIG_BUFSZ]);

/* The webhook-signature header: one signature per secret, in the order
 * given, separated by single spaces. n is 1 to SIGN_MAX_SIGS. */
int sign_header(const char *const *secrets, size_t n, const char *id, int64_t timestamp,
                const void *body, size_t body_len, char *out, size_t outsz);

/* Checks a delivery as a receiver must: the three header values as they
 * arrived (NULL when absent), the raw body, the receiver's clock (unix
 * seconds) and tolerance. SIGN_OK when a v1 signature in sig matches the
 * secret; entries of other versions are skipped. The comparison takes the
 * same time wherever the signatures differ. */
int sign_verify(const char *secret, const char *id, const char *timestamp, const char *sig,
                const void *body, size_t body_len, int64_t now_s, int64_t tolerance_s);

#endif
