/* test_engine_events.c -- unit tests for the engines' participant webhooks
 * (engine_events.h): WAHA's HMAC-SHA512 signature, checked against the
 * example in WAHA's own documentation; group.v2.participants in the shapes
 * WAHA's NOWEB and GOWS code emit; Evolution's group-participants.update
 * before and after Baileys 7 changed its participants; Evolution's HS256
 * JWT; and de-duplication keys that survive an engine's retries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine_events.h"

static struct arena A = ARENA_INIT;

static int teardown(void **state)
{
    (void)state;
    arena_free(&A);
    return 0;
}

static enum engine_event_verdict waha(const char *body, struct engine_event *ev)
{
    char why[200] = "";
    return engine_events_waha_parse(body, strlen(body), &A, ev, why, sizeof(why));
}

static enum engine_event_verdict evolution(const char *body, struct engine_event *ev)
{
    char why[200] = "";
    return engine_events_evolution_parse(body, strlen(body), &A, ev, why, sizeof(why));
}

static void test_waha_hmac(void **state)
{
    (void)state;
    /* The example in WAHA's docs (how-to/events, "HMAC authentication"). */
    const char *body = "{\"event\":\"message\",\"session\":\"default\",\"engine\":\"WEBJS\"}";
    const char *sig = "208f8a55dde9e05519e898b10b89bf0d0b3b0fdf11fdbf09b6b90476301b98d8097c462b2b"
                      "17a6ce93b6b47a136cf2e78a33a63f6752c2c1631777076153fa89";
    size_t len = strlen(body);
    assert_true(engine_events_waha_verify(body, len, "my-secret-key", sig, "sha512"));
    assert_true(engine_events_waha_verify(body, len, "my-secret-key", sig, NULL));
    char upper[160];
    snprintf(upper, sizeof(upper), "%s", sig);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    assert_true(engine_events_waha_verify(body, len, "my-secret-key", upper, "SHA512"));
    assert_false(engine_events_waha_verify(body, len, "other-key", sig, "sha512"));
    assert_false(engine_events_waha_verify(body, len - 1, "my-secret-key", sig, "sha512"));
    assert_false(engine_events_waha_verify(body, len, "my-secret-key", sig, "sha256"));
    assert_false(engine_events_waha_verify(body, len, "my-secret-key", "", NULL));
    assert_false(engine_events_waha_verify(body, len, "my-secret-key", NULL, NULL));
    char shortened[160];
    snprintf(shortened, sizeof(shortened), "%.126s", sig);
    assert_false(engine_events_waha_verify(body, len, "my-secret-key", shortened, NULL));
    char flipped[160];
    snprintf(flipped, sizeof(flipped), "%s", sig);
    flipped[0] = '3';
    assert_false(engine_events_waha_verify(body, len, "my-secret-key", flipped, NULL));
    flipped[0] = 'x';
    assert_false(engine_events_waha_verify(body, len, "my-secret-key", flipped, NULL));
}

static void test_waha_participants(void **state)
{
    (void)state;
    struct engine_event ev;
    /* The docs' example, with the envelope's id. */
    const char *join =
        "{\"id\":\"evt_01jnk9q3w8z5r2v6x7y8z9a0b1\",\"timestamp\":1741249702485,"
        "\"event\":\"group.v2.participants\",\"session\":\"default\",\"payload\":{\"type\":"
        "\"join\","
        "\"timestamp\":1666943582,\"group\":{\"id\":\"123456789@g.us\"},\"participants\":"
        "[{\"id\":\"6281234567890@c.us\",\"role\":\"participant\"}],\"_data\":{}}}";
    assert_int_equal(waha(join, &ev), ENGINE_EVENT_OK);
    assert_int_equal(ev.source, ENGINE_WAHA);
    assert_int_equal(ev.type, ENGINE_EV_JOIN);
    assert_string_equal(ev.session, "default");
    assert_string_equal(ev.group_jid, "123456789@g.us");
    assert_int_equal(ev.n_people, 1);
    assert_string_equal(ev.people[0].phone, "6281234567890");
    assert_null(ev.people[0].lid);
    assert_int_equal(ev.at_ms, 1741249702485LL);
    assert_string_equal(ev.key, "waha:evt_01jnk9q3w8z5r2v6x7y8z9a0b1");

    /* GOWS: a LID with no phone number, and one resolved by pn; leave. */
    const char *leave =
        "{\"event\":\"group.v2.participants\",\"session\":\"sales\",\"payload\":{\"type\":"
        "\"leave\","
        "\"timestamp\":1741249702485,\"group\":{\"id\":\"120363000000000001@g.us\"},"
        "\"participants\":[{\"id\":\"98712345678901@lid\",\"pn\":null,\"role\":\"left\"},"
        "{\"id\":\"55555@lid\",\"pn\":\"6289876543210@c.us\",\"role\":\"left\"}],\"_data\":{}}}";
    assert_int_equal(waha(leave, &ev), ENGINE_EVENT_OK);
    assert_int_equal(ev.type, ENGINE_EV_LEAVE);
    assert_int_equal(ev.n_people, 2);
    assert_null(ev.people[0].phone);
    assert_string_equal(ev.people[0].lid, "98712345678901@lid");
    assert_string_equal(ev.people[1].phone, "6289876543210");
    assert_string_equal(ev.people[1].lid, "55555@lid");
    assert_int_equal(ev.at_ms, 1741249702485LL); /* payload's ms (GOWS uses Date.now()) */
    /* Without an id the key is the event's content: the same twice,
     * different for a different event. */
    char first[ENGINE_EVENT_KEY_MAX];
    snprintf(first, sizeof(first), "%s", ev.key);
    assert_memory_equal(first, "waha:sha256:", 12);
    assert_int_equal(strlen(first), 12 + 64);
    assert_int_equal(waha(leave, &ev), ENGINE_EVENT_OK);
    assert_string_equal(ev.key, first);
    const char *promote =
        "{\"event\":\"group.v2.participants\",\"session\":\"sales\",\"payload\":{\"type\":"
        "\"promote\","
        "\"timestamp\":1741249702485,\"group\":{\"id\":\"120363000000000001@g.us\"},"
        "\"participants\":[{\"id\":\"55555@lid\",\"pn\":\"6289876543210@c.us\",\"role\":"
        "\"admin\"}]}}";
    assert_int_equal(waha(promote, &ev), ENGINE_EVENT_OK);
    assert_int_equal(ev.type, ENGINE_EV_PROMOTE);
    assert_string_not_equal(ev.key, first);
    const char *demote =
        "{\"event\":\"group.v2.participants\",\"payload\":{\"type\":\"demote\",\"group\":{\"id\":"
        "\"1@g.us\"},\"participants\":[{\"id\":\"6289876543210@c.us\",\"role\":\"participant\"}]}}";
    assert_int_equal(waha(demote, &ev), ENGINE_EVENT_OK);
    assert_int_equal(ev.type, ENGINE_EV_DEMOTE);
    assert_null(ev.session);
    assert_int_equal(ev.at_ms, 0);

    assert_int_equal(waha("{\"event\":\"message\",\"payload\":{}}", &ev), ENGINE_EVENT_IGNORED);
    assert_int_equal(waha("[]", &ev), ENGINE_EVENT_MALFORMED);
    assert_int_equal(waha("not json", &ev), ENGINE_EVENT_MALFORMED);
    assert_int_equal(waha("{\"event\":\"group.v2.participants\",\"payload\":{\"type\":\"kick\","
                          "\"group\":{\"id\":\"1@g.us\"},\"participants\":[]}}",
                          &ev),
                     ENGINE_EVENT_MALFORMED);
    assert_int_equal(waha("{\"event\":\"group.v2.participants\",\"payload\":{\"type\":\"join\","
                          "\"participants\":[]}}",
                          &ev),
                     ENGINE_EVENT_MALFORMED);
    assert_int_equal(waha("{\"event\":\"group.v2.participants\",\"payload\":{\"type\":\"join\","
                          "\"group\":{\"id\":\"1@g.us\"},\"participants\":[{\"role\":\"x\"}]}}",
                          &ev),
                     ENGINE_EVENT_MALFORMED);
}

static void test_evolution_participants(void **state)
{
    (void)state;
    struct engine_event ev;
    /* Baileys 7 (Evolution 2.3.6 and later): participant objects. */
    const char *added =
        "{\"event\":\"group-participants.update\",\"instance\":\"sales\",\"data\":{\"id\":"
        "\"120363000000000001@g.us\",\"author\":\"6281111111111@s.whatsapp.net\","
        "\"participants\":[{\"id\":\"162122214428868@lid\",\"phoneNumber\":"
        "\"556195536737@s.whatsapp.net\",\"admin\":null},{\"id\":\"6282222222222@s.whatsapp.net\","
        "\"admin\":null}],\"action\":\"add\"},\"destination\":\"http://x/hook\",\"date_time\":"
        "\"2026-05-14T22:11:48.123Z\",\"sender\":\"6281111111111@s.whatsapp.net\","
        "\"server_url\":\"http://evo\",\"apikey\":\"k\"}";
    assert_int_equal(evolution(added, &ev), ENGINE_EVENT_OK);
    assert_int_equal(ev.source, ENGINE_EVOLUTION);
    assert_int_equal(ev.type, ENGINE_EV_JOIN);
    assert_string_equal(ev.session, "sales");
    assert_string_equal(ev.group_jid, "120363000000000001@g.us");
    assert_int_equal(ev.n_people, 2);
    assert_string_equal(ev.people[0].phone, "556195536737");
    assert_string_equal(ev.people[0].lid, "162122214428868@lid");
    assert_string_equal(ev.people[1].phone, "6282222222222");
    assert_int_equal(ev.at_ms, 0);
    char key[ENGINE_EVENT_KEY_MAX];
    snprintf(key, sizeof(key), "%s", ev.key);
    assert_memory_equal(key, "evolution:sha256:", 17);
    /* The same event again, re-serialised with other spacing and key
     * order: the same key. */
    const char *again =
        "{\"instance\": \"sales\", \"event\": \"group-participants.update\", \"date_time\": "
        "\"2026-05-14T22:11:48.123Z\", \"data\": {\"action\": \"add\", \"author\": "
        "\"6281111111111@s.whatsapp.net\", \"id\": \"120363000000000001@g.us\", "
        "\"participants\": [{\"admin\": null, \"phoneNumber\": \"556195536737@s.whatsapp.net\", "
        "\"id\": \"162122214428868@lid\"}, {\"admin\": null, \"id\": "
        "\"6282222222222@s.whatsapp.net\"}]}}";
    assert_int_equal(evolution(again, &ev), ENGINE_EVENT_OK);
    assert_string_equal(ev.key, key);

    /* Before Baileys 7: JIDs, resolved through participantsData (PR
     * #2025); a LID whose phoneNumber is only its own digits is not
     * believed. */
    const char *removed =
        "{\"event\":\"group-participants.update\",\"instance\":\"sales\",\"data\":{\"id\":"
        "\"120363000000000001@g.us\",\"participants\":[\"131159895875721@lid\","
        "\"777@lid\",\"6283333333333@s.whatsapp.net\"],\"action\":\"remove\","
        "\"participantsData\":[{\"jid\":\"131159895875721@lid\",\"phoneNumber\":"
        "\"5511965525438@s.whatsapp.net\"},{\"jid\":\"777@lid\",\"phoneNumber\":\"777\"}]},"
        "\"date_time\":\"2026-05-14T22:12:00.000Z\"}";
    assert_int_equal(evolution(removed, &ev), ENGINE_EVENT_OK);
    assert_int_equal(ev.type, ENGINE_EV_LEAVE);
    assert_int_equal(ev.n_people, 3);
    assert_string_equal(ev.people[0].phone, "5511965525438");
    assert_null(ev.people[1].phone);
    assert_string_equal(ev.people[1].lid, "777@lid");
    assert_string_equal(ev.people[2].phone, "6283333333333");
    assert_string_not_equal(ev.key, key);

    const char *promote =
        "{\"event\":\"GROUP_PARTICIPANTS_UPDATE\",\"instance\":\"sales\",\"data\":{\"id\":"
        "\"1@g.us\",\"participants\":[\"6283333333333@s.whatsapp.net\"],\"action\":\"promote\"}}";
    assert_int_equal(evolution(promote, &ev), ENGINE_EVENT_OK);
    assert_int_equal(ev.type, ENGINE_EV_PROMOTE);
    const char *demote =
        "{\"event\":\"group-participants.update\",\"data\":{\"id\":\"1@g.us\",\"participants\":"
        "[\"6283333333333@s.whatsapp.net\"],\"action\":\"demote\"}}";
    assert_int_equal(evolution(demote, &ev), ENGINE_EVENT_OK);
    assert_int_equal(ev.type, ENGINE_EV_DEMOTE);

    const char *modify =
        "{\"event\":\"group-participants.update\",\"data\":{\"id\":\"1@g.us\",\"participants\":"
        "[\"6283333333333@s.whatsapp.net\"],\"action\":\"modify\"}}";
    assert_int_equal(evolution(modify, &ev), ENGINE_EVENT_IGNORED);
    assert_int_equal(evolution("{\"event\":\"messages.upsert\",\"data\":{}}", &ev),
                     ENGINE_EVENT_IGNORED);
    assert_int_equal(evolution("{\"event\":\"group-participants.updates\",\"data\":{}}", &ev),
                     ENGINE_EVENT_IGNORED);
    assert_int_equal(evolution("{\"event\":\"group-participants.update\",\"data\":{\"id\":"
                               "\"1@g.us\",\"action\":\"add\"}}",
                               &ev),
                     ENGINE_EVENT_MALFORMED);
    assert_int_equal(evolution("{\"event\":\"group-participants.update\",\"data\":{\"id\":"
                               "\"1@g.us\",\"action\":\"add\",\"participants\":[{}]}}",
                               &ev),
                     ENGINE_EVENT_MALFORMED);
    assert_int_equal(evolution("", &ev), ENGINE_EVENT_MALFORMED);
}

/* --- JWT, made here the way Evolution's jsonwebtoken makes it ---------------------------- */

static void b64url(const unsigned char *in, size_t n, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[k++] = t[v >> 18 & 63];
        out[k++] = t[v >> 12 & 63];
        if (i + 1 < n)
            out[k++] = t[v >> 6 & 63];
        if (i + 2 < n)
            out[k++] = t[v & 63];
    }
    out[k] = '\0';
}

static void jwt(const char *header, const char *payload, const char *secret, char *out)
{
    char h[256], p[256], sig[128];
    b64url((const unsigned char *)header, strlen(header), h);
    b64url((const unsigned char *)payload, strlen(payload), p);
    char signing[600];
    snprintf(signing, sizeof(signing), "%s.%s", h, p);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)signing, strlen(signing),
         mac, &maclen);
    b64url(mac, maclen, sig);
    sprintf(out, "Bearer %s.%s", signing, sig);
}

static void test_evolution_jwt(void **state)
{
    (void)state;
    const char *hs256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    const char *claims = "{\"iat\":1800000000,\"exp\":1800000600,\"app\":\"evolution\","
                         "\"action\":\"webhook\"}";
    char tok[900];
    jwt(hs256, claims, "jwt-secret", tok);
    assert_true(engine_events_evolution_verify(tok, "jwt-secret", 1800000000));
    assert_true(engine_events_evolution_verify(tok, "jwt-secret", 1800000650));  /* skew */
    assert_false(engine_events_evolution_verify(tok, "jwt-secret", 1800000700)); /* expired */
    assert_false(engine_events_evolution_verify(tok, "other", 1800000000));
    assert_false(engine_events_evolution_verify(tok + 7, "jwt-secret", 1800000000));
    assert_false(engine_events_evolution_verify(NULL, "jwt-secret", 1800000000));
    /* A payload swapped under the old signature. */
    char forged[900], tail[900];
    jwt(hs256, "{\"exp\":9999999999}", "jwt-secret", forged);
    const char *sig = strrchr(tok, '.');
    snprintf(tail, sizeof(tail), "%.*s%s", (int)(strrchr(forged, '.') - forged), forged, sig);
    assert_false(engine_events_evolution_verify(tail, "jwt-secret", 1800000000));
    /* "alg":"none" and other algorithms are refused whatever the signature. */
    jwt("{\"alg\":\"none\"}", claims, "jwt-secret", forged);
    assert_false(engine_events_evolution_verify(forged, "jwt-secret", 1800000000));
    jwt("{\"alg\":\"HS512\"}", claims, "jwt-secret", forged);
    assert_false(engine_events_evolution_verify(forged, "jwt-secret", 1800000000));
    jwt(hs256, "{\"iat\":1800000000}", "jwt-secret", forged); /* no exp */
    assert_false(engine_events_evolution_verify(forged, "jwt-secret", 1800000000));
    assert_false(engine_events_evolution_verify("Bearer a.b", "jwt-secret", 0));
    assert_false(engine_events_evolution_verify("Bearer a.b.c.d", "jwt-secret", 0));
    assert_false(engine_events_evolution_verify("Bearer !!.??.**", "jwt-secret", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_waha_hmac, teardown),
        cmocka_unit_test_teardown(test_waha_participants, teardown),
        cmocka_unit_test_teardown(test_evolution_participants, teardown),
        cmocka_unit_test_teardown(test_evolution_jwt, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
