/* quota.h -- how many bytes of messages one device may store per minute.
 *
 * Every message is kept (its params verbatim, up to the send route's 1 MiB
 * body), so a device that sends without pause fills the disk. Each device
 * has a bucket that holds one minute's allowance and refills continuously;
 * a send takes its size from it. A send larger than what is left waits
 * until the bucket is full again, then may take more than it holds (the
 * debt is repaid before the next), so a message as large as the allowance
 * is never refused for good. Time is the server's clock (app_now), so the
 * sandbox clock moves it too.
 *
 * The buckets live in this process's memory: a device served by N
 * processes (PostgreSQL) may store up to N allowances per minute, and a
 * restart forgets them. */
#ifndef GROUPIE_QUOTA_H
#define GROUPIE_QUOTA_H

#include <stdbool.h>
#include <stdint.h>

/* Sets the allowance (bytes per minute). Called once, before serving. */
void quota_init(int64_t bytes_per_minute);
int64_t quota_per_minute(void);

/* Takes n bytes from the device's bucket at now_ms. False when they do not
 * fit yet: *retry_after_s then says when they will. */
bool quota_take(int64_t device_id, int64_t n, int64_t now_ms, int64_t *retry_after_s);

/* Gives back what a send took and did not keep (its commit failed). */
void quota_refund(int64_t device_id, int64_t n);

/* Frees every bucket (at shutdown). */
void quota_free(void);

#endif
