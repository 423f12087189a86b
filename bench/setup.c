/* setup.c -- fills a running groupied with the benchmark's world, through
 * the operator API and the group API only (the same doors a user has).
 *
 *   bench-setup BASE_URL ADMIN_KEY OUT_FILE
 *
 * The world (numbers are derived from an index, so the wrk scripts can
 * produce them without a list):
 *   - user i, 0 <= i < 1,000,000, is "62811" followed by i in 8 digits;
 *     i % 10 == 9 has blocked device A, i % 10 == 8 lets nobody add them,
 *     everyone else lets everyone add them;
 *   - device A ("6281000000001") creates groups 1..10,000; group g starts
 *     with users g*100 .. g*100+7 (all addable) besides A;
 *   - group 10,001 has 256 participants (the get workload);
 *   - device B ("6281000000002") is a participant of 500 groups (the list
 *     workload).
 * OUT_FILE receives TOKEN_A, TOKEN_B, BIG_GROUP and GROUP_COUNT lines (not
 * GROUPS: bash keeps its own array by that name). */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USERS       1000000
#define USERS_BATCH 10000
#define GROUPS      10000
#define BIG_MEMBERS 256
#define LIST_GROUPS 500
#define DEVICE_A    "6281000000001"
#define DEVICE_B    "6281000000002"

struct buf {
    char *data;
    size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    size_t add = size * n;
    char *bigger = realloc(b->data, b->len + add + 1);
    if (bigger == NULL)
        return 0;
    b->data = bigger;
    memcpy(b->data + b->len, p, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

static CURL *curl;
static const char *base;

/* POSTs body to path with a bearer secret; returns the parsed answer, or
 * NULL after printing why (any status other than want). */
static json_t *post(const char *path, const char *secret, json_t *body, long want)
{
    char url[512], auth[256];
    snprintf(url, sizeof(url), "%s%s", base, path);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", secret);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text == NULL)
        return NULL;
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    struct buf b = {0};
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    free(text);
    json_t *answer = NULL;
    if (rc != CURLE_OK)
        fprintf(stderr, "bench-setup: POST %s: %s\n", path, curl_easy_strerror(rc));
    else if (status != want)
        fprintf(stderr, "bench-setup: POST %s: status %ld: %s\n", path, status,
                b.data != NULL ? b.data : "");
    else
        answer = json_loads(b.data != NULL ? b.data : "", 0, NULL);
    free(b.data);
    return answer;
}

static void user_phone(long i, char out[16])
{
    snprintf(out, 16, "62811%08ld", i);
}

static const char *new_device(const char *key, const char *phone, char *token, size_t tokensz)
{
    json_t *a = post("/admin/devices", key, json_pack("{s:s}", "phone", phone), 201);
    const char *t = json_string_value(json_object_get(json_object_get(a, "data"), "token"));
    if (t != NULL)
        snprintf(token, tokensz, "%s", t);
    json_decref(a);
    return t != NULL ? token : NULL;
}

static int add_users(const char *key)
{
    for (long start = 0; start < USERS; start += USERS_BATCH) {
        json_t *users = json_array();
        for (long i = start; i < start + USERS_BATCH; i++) {
            char phone[16];
            user_phone(i, phone);
            json_t *u = json_pack("{s:s, s:s}", "phone", phone, "privacy",
                                  i % 10 == 8 ? "nobody" : "everyone");
            if (i % 10 == 9)
                json_object_set_new(u, "blocked", json_pack("[s]", DEVICE_A));
            json_array_append_new(users, u);
        }
        json_t *a = post("/admin/directory", key, json_pack("{s:o}", "users", users), 200);
        if (a == NULL)
            return -1;
        json_decref(a);
    }
    return 0;
}

/* Creates a group as device A and returns its id, or -1. */
static long new_group(const char *token, const char *subject)
{
    json_t *a = post("/groups", token, json_pack("{s:s}", "subject", subject), 201);
    const char *id = json_string_value(json_object_get(json_object_get(a, "data"), "group_id"));
    long g = id != NULL ? atol(id) : -1;
    json_decref(a);
    return g;
}

static int fixture(const char *key, long group, json_t *phones)
{
    char path[96];
    snprintf(path, sizeof(path), "/admin/groups/%ld/participants", group);
    json_t *a = post(path, key, json_pack("{s:o}", "participants", phones), 200);
    json_decref(a);
    return a != NULL ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench-setup BASE_URL ADMIN_KEY OUT_FILE\n");
        return 2;
    }
    base = argv[1];
    const char *key = argv[2];
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl = curl_easy_init();
    char token_a[128], token_b[128];
    if (curl == NULL || new_device(key, DEVICE_A, token_a, sizeof(token_a)) == NULL ||
        new_device(key, DEVICE_B, token_b, sizeof(token_b)) == NULL || add_users(key) != 0)
        return 1;

    for (long g = 1; g <= GROUPS; g++) {
        char subject[32];
        snprintf(subject, sizeof(subject), "Bench group %ld", g);
        if (new_group(token_a, subject) != g) {
            fprintf(stderr, "bench-setup: expected a fresh database (group %ld)\n", g);
            return 1;
        }
        json_t *phones = json_array();
        for (long k = 0; k < 8; k++) {
            char phone[16];
            user_phone((g * 100 + k) % USERS, phone);
            json_array_append_new(phones, json_string(phone));
        }
        if (g <= LIST_GROUPS)
            json_array_append_new(phones, json_string(DEVICE_B));
        if (fixture(key, g, phones) != 0)
            return 1;
    }

    long big = new_group(token_a, "Bench get: 256 participants");
    json_t *phones = json_array();
    for (long k = 0; k < BIG_MEMBERS - 1; k++) {
        char phone[16];
        user_phone(k * 10, phone); /* i % 10 == 0: registered, addable */
        json_array_append_new(phones, json_string(phone));
    }
    if (big < 0 || fixture(key, big, phones) != 0)
        return 1;

    FILE *f = fopen(argv[3], "w");
    if (f == NULL) {
        perror(argv[3]);
        return 1;
    }
    fprintf(f, "TOKEN_A=%s\nTOKEN_B=%s\nBIG_GROUP=%ld\nGROUP_COUNT=%d\n", token_a, token_b, big,
            GROUPS);
    fclose(f);
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    return 0;
}
