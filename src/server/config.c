/* config.c -- see config.h. One table describes every setting: its flag,
 * its variable, its range and where it lands, so --help, the environment
 * and the flags can never disagree. */
#include "server/config.h"

#include "engine/engine.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef GROUPIE_VERSION
#define GROUPIE_VERSION "0.1.0"
#endif

enum kind { K_STRING, K_BOOL, K_INT, K_SECONDS };

struct setting {
    const char *flag; /* long option name */
    const char *env;
    enum kind kind;
    const char *arg; /* shown in --help */
    const char *help;
    long long min, max;
    size_t offset;     /* where in struct config */
    bool show_default; /* --help appends the default from defaults() */
};

#define AT(field) offsetof(struct config, field), false
/* A limit: its default is the contract's (common/contract.h), shown by --help. */
#define LIMIT(field) offsetof(struct config, limits.field), true

/* Certificates and keys are a few KiB; anything this large is a mistake. */
#define CONFIG_FILE_MAX (1024 * 1024)

static enum config_result load_admin_key(struct config *cfg);

static const struct setting settings[] = {
    {"listen", "GROUPIE_LISTEN", K_STRING, "ADDR:PORT",
     "address to serve on (default 127.0.0.1:8080; port 0 picks a free one)", 0, 0, AT(listen)},
    {"db", "GROUPIE_DB", K_STRING, "URL",
     "database: sqlite:PATH (default sqlite:groupie.db) or postgres://...", 0, 0, AT(db)},
    {"admin-key", "GROUPIE_ADMIN_KEY", K_STRING, "KEY",
     "operator key for /admin (without one, /admin does not exist); visible in ps: prefer the "
     "variable or --admin-key-file",
     0, 0, AT(admin_key)},
    {"admin-key-file", "GROUPIE_ADMIN_KEY_FILE", K_STRING, "FILE",
     "read the operator key from FILE (its first line)", 0, 0, AT(admin_key_file)},
    {"sandbox", "GROUPIE_SANDBOX", K_BOOL, NULL,
     "test mode: POST /admin/clock/advance moves the server's clock", 0, 0, AT(sandbox)},
    {"ephemeral", "GROUPIE_EPHEMERAL", K_BOOL, NULL,
     "serve a private temporary SQLite database, removed when the server stops (also "
     "--db sqlite::memory:)",
     0, 0, AT(ephemeral)},
    {"demo", "GROUPIE_DEMO", K_BOOL, NULL,
     "fill an empty database with the demo world of docs/API.md's examples and print how to use it",
     0, 0, AT(demo)},
    {"seed", "GROUPIE_SEED", K_STRING, "FILE",
     "load the world in FILE (docs/API.md, \"Seeds\") into a database empty at start; "
     "POST /admin/reset puts it back",
     0, 0, AT(seed)},
    {"demo-token", "GROUPIE_DEMO_TOKEN", K_STRING, "TOKEN",
     "with --demo: the demo device's API token (16-256 of A-Z a-z 0-9 . _ -) instead of a "
     "random one",
     0, 0, AT(demo_token)},
    {"max-batch", "GROUPIE_MAX_BATCH", K_INT, "N", "participants per add request", 1, 100000,
     LIMIT(max_batch)},
    {"rate-limit", "GROUPIE_RATE_LIMIT", K_INT, "N", "add requests per group per rate window", 1,
     100000000, LIMIT(rate_limit)},
    {"rate-window", "GROUPIE_RATE_WINDOW", K_SECONDS, "SECONDS", "the sliding rate window", 1,
     86400, LIMIT(rate_window_ms)},
    {"daily-limit", "GROUPIE_DAILY_LIMIT", K_INT, "N", "direct additions per group per UTC day", 1,
     100000000, LIMIT(daily_limit)},
    {"capacity", "GROUPIE_CAPACITY", K_INT, "N", "participants per group", 1, 10000000,
     LIMIT(capacity)},
    {"invite-ttl", "GROUPIE_INVITE_TTL", K_SECONDS, "SECONDS", "lifetime of a private invitation",
     1, 315360000, LIMIT(invite_ttl_ms)},
    {"threads", "GROUPIE_THREADS", K_INT, "N",
     "HTTP worker threads (default 16 per CPU, at least 32)", 1, 1024, AT(threads)},
    {"max-connections", "GROUPIE_MAX_CONNECTIONS", K_INT, "N",
     "simultaneous connections (default 16384)", 1, 1000000, AT(max_connections)},
    {"timeout", "GROUPIE_TIMEOUT", K_INT, "SECONDS",
     "close a connection idle this long (default 30)", 1, 3600, AT(timeout_s)},
    {"header-timeout", "GROUPIE_HEADER_TIMEOUT", K_INT, "SECONDS",
     "time for a request's line and headers, however slowly they trickle "
     "(default: --timeout)",
     1, 3600, AT(header_timeout_s)},
    {"max-per-address", "GROUPIE_MAX_PER_ADDRESS", K_INT, "N",
     "simultaneous connections from one client address; 0: no cap (default 256; behind a "
     "proxy, 0)",
     0, 1000000, AT(max_per_address)},
    {"body-memory", "GROUPIE_BODY_MEMORY", K_INT, "MIB",
     "memory all request bodies being read may hold together (default 64)", 9, 65536,
     AT(body_memory_mib)},
    {"send-bytes-per-minute", "GROUPIE_SEND_BYTES_PER_MINUTE", K_INT, "N",
     "message bytes one device may store per minute (default 1048576)", 1024, 1073741824,
     AT(send_bytes_per_minute)},
    {"tls-cert", "GROUPIE_TLS_CERT", K_STRING, "FILE",
     "serve HTTPS with this PEM certificate chain (with --tls-key)", 0, 0, AT(tls_cert)},
    {"tls-key", "GROUPIE_TLS_KEY", K_STRING, "FILE", "the PEM private key for --tls-cert", 0, 0,
     AT(tls_key)},
    {"db-pool", "GROUPIE_DB_POOL", K_INT, "N",
     "database connections (PostgreSQL) or idle readers kept (SQLite); default 8", 1, 1024,
     AT(db_pool)},
    {"db-shared", "GROUPIE_DB_SHARED", K_BOOL, NULL,
     "let several groupied serve one SQLite file (each then keeps no state in memory); "
     "without it a second one is refused. PostgreSQL is always shared",
     0, 0, AT(db_shared)},
    {"engine", "GROUPIE_ENGINE", K_STRING, "SPEC",
     "the WhatsApp engine: builtin (the sandbox's directory; default), waha:URL or "
     "evolution:URL (docs/ENGINES.md)",
     0, 0, AT(engine)},
    {"engine-key", "GROUPIE_ENGINE_KEY", K_STRING, "KEY",
     "the engine's API key (WAHA's X-Api-Key, Evolution's apikey); visible in ps: prefer the "
     "variable",
     0, 0, AT(engine_key)},
    {"engine-timeout", "GROUPIE_ENGINE_TIMEOUT", K_INT, "SECONDS",
     "bound on each call to the engine, connecting included (default 30)", 1, 3600,
     AT(engine_timeout_s)},
    {"engine-webhook-secret", "GROUPIE_ENGINE_WEBHOOK_SECRET", K_STRING, "SECRET",
     "POST /engine/events accepts only events signed with it (WAHA's HMAC key, Evolution's "
     "jwt_key)",
     0, 0, AT(engine_webhook_secret)},
    {"quiet", "GROUPIE_QUIET", K_BOOL, NULL, "no access log (errors are still logged)", 0, 0,
     AT(quiet)},
    {"request-log", "GROUPIE_REQUEST_LOG", K_INT, "N",
     "requests kept in memory, with their bodies (secrets masked), for GET /admin/requests and "
     "the console (default 200; 0 keeps none)",
     0, 100000, AT(request_log)},
    {"webhook-allow-private", "GROUPIE_WEBHOOK_ALLOW_PRIVATE", K_BOOL, NULL,
     "accept and deliver to webhook URLs on loopback, private and other non-public addresses "
     "(tests, the demo; never where users are not trusted with the operator's network)",
     0, 0, AT(webhook_allow_private)},
    {"webhook-retry-schedule", "GROUPIE_WEBHOOK_RETRY_SCHEDULE", K_STRING, "S1,S2,...",
     "seconds between a failed webhook delivery's attempts (default 5,300,1800,7200,18000,"
     "36000,36000); for tests",
     0, 0, AT(webhook_retry_schedule)},
    {"webhook-timeout", "GROUPIE_WEBHOOK_TIMEOUT", K_INT, "SECONDS",
     "time one webhook delivery attempt may take, connection included (default 15)", 1, 60,
     AT(webhook_timeout_s)},
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static const char default_db[] = "sqlite:groupie.db";

/* SQLite's own name for an in-memory database. Each of the store's
 * connections would get a private, empty one, so it is served as an
 * ephemeral file instead (WAL needs a file). */
static const char memory_db[] = "sqlite::memory:";

/* What the server runs with when neither a flag nor a variable says. */
static struct config defaults(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return (struct config){
        .listen = "127.0.0.1:8080",
        .db = default_db,
        .engine = "builtin",
        .engine_timeout_s = ENGINE_DEFAULT_TIMEOUT_MS / 1000,
        .limits = limits_default,
        /* Requests wait for the database on these threads: reads for
         * their pages, PostgreSQL's writes for a connection (SQLite's
         * writes do not: their connections are suspended until the
         * writer's commit). Measured on 2 CPUs (PERFORMANCE.md): 32
         * threads added 2.1x the adds/s of 8 when writes waited too; with
         * them suspended, 32 still served 25% more than 4 or 8. */
        .threads = cpus > 2 ? (int)cpus * 16 : 32,
        .max_connections = 16384,
        .timeout_s = 30,
        .max_per_address = 256,
        .body_memory_mib = 64,
        .send_bytes_per_minute = 1024 * 1024,
        .db_pool = 8,
        .request_log = 200,
        .webhook_timeout_s = 15,
    };
}

/* " (default 60)", or " (default 259200, 72 hours)" for whole hours. */
static void default_text(const struct setting *s, char *out, size_t outsz)
{
    const struct config d = defaults();
    const char *field = (const char *)&d + s->offset;
    long long v = s->kind == K_SECONDS ? *(const int64_t *)field / 1000 : *(const int *)field;
    if (s->kind == K_SECONDS && v > 3600 && v % 3600 == 0)
        snprintf(out, outsz, " (default %lld, %lld hours)", v, v / 3600);
    else
        snprintf(out, outsz, " (default %lld)", v);
}

/* A token given for the demo must survive a shell and a header unquoted. */
#define DEMO_TOKEN_MIN 16
#define DEMO_TOKEN_MAX 256

static void usage(FILE *f)
{
    fprintf(f, "usage: groupied [OPTION]...\n"
               "Serves the Whatspie group API (see docs/API.md).\n\n");
    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        char left[48], dflt[80] = "";
        snprintf(left, sizeof(left), "--%s%s%s", s->flag, s->arg ? " " : "", s->arg ? s->arg : "");
        if (s->show_default)
            default_text(s, dflt, sizeof(dflt));
        fprintf(f, "  %-26s %s%s\n  %-26s [%s]\n", left, s->help, dflt, "", s->env);
    }
    fprintf(f, "  %-26s %s\n  %-26s %s\n", "--help", "show this and exit", "--version",
            "show the version and exit");
}

static bool parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off", ""};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return true;
        }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return true;
        }
    return false;
}

/* Stores value into the setting's field; prints why not and returns false. */
static bool apply(struct config *cfg, const struct setting *s, const char *value, bool from_env)
{
    char *field = (char *)cfg + s->offset;
    char who[64];
    if (from_env)
        snprintf(who, sizeof(who), "%s", s->env);
    else
        snprintf(who, sizeof(who), "--%s", s->flag);

    switch (s->kind) {
    case K_STRING:
        if (value[0] == '\0') {
            fprintf(stderr, "groupied: %s must not be empty\n", who);
            return false;
        }
        *(const char **)field = value;
        return true;
    case K_BOOL:
        if (!parse_bool(value, (bool *)field)) {
            fprintf(stderr, "groupied: %s must be true or false (got '%s')\n", who, value);
            return false;
        }
        return true;
    case K_INT:
    case K_SECONDS: {
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || v < s->min || v > s->max) {
            fprintf(stderr, "groupied: %s must be a whole number from %lld to %lld (got '%s')\n",
                    who, s->min, s->max, value);
            return false;
        }
        if (s->kind == K_SECONDS)
            *(int64_t *)field = v * 1000;
        else
            *(int *)field = (int)v;
        return true;
    }
    }
    return false;
}

static bool demo_token_ok(const char *t)
{
    size_t n = strlen(t);
    if (n < DEMO_TOKEN_MIN || n > DEMO_TOKEN_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* The rules that tie settings together, once every source was read. */
static bool check(struct config *cfg)
{
    if (strcmp(cfg->db, memory_db) == 0) {
        cfg->ephemeral = true;
    } else if (cfg->ephemeral && cfg->db != default_db) {
        fprintf(stderr,
                "groupied: --ephemeral makes a temporary database of its own; drop --db "
                "(or GROUPIE_DB), or drop --ephemeral to serve %s\n",
                cfg->db);
        return false;
    }
    enum engine_kind kind;
    const char *url;
    char engine_why[256];
    if (!engine_spec_parse(cfg->engine, &kind, &url, engine_why, sizeof(engine_why))) {
        fprintf(stderr, "groupied: %s\n", engine_why);
        return false;
    }
    cfg->webhook_schedule = retry_default;
    if (cfg->webhook_retry_schedule != NULL) {
        char why[256];
        if (retry_schedule_parse(cfg->webhook_retry_schedule, &cfg->webhook_schedule, why,
                                 sizeof(why)) != 0) {
            fprintf(stderr, "groupied: --webhook-retry-schedule: %s\n", why);
            return false;
        }
    }
    if (cfg->demo)
        cfg->webhook_allow_private = true; /* the demo's listeners are on this machine */
    if (cfg->demo_token != NULL && !cfg->demo) {
        fprintf(stderr, "groupied: --demo-token only makes sense with --demo\n");
        return false;
    }
    if (cfg->demo_token != NULL && !demo_token_ok(cfg->demo_token)) {
        fprintf(stderr,
                "groupied: --demo-token must be %d to %d characters from A-Z, a-z, 0-9, '.', '_' "
                "and '-' (so that a shell and an HTTP header take it as it is)\n",
                DEMO_TOKEN_MIN, DEMO_TOKEN_MAX);
        return false;
    }
    return true;
}

enum config_result config_load(struct config *cfg, int argc, char **argv)
{
    *cfg = defaults();

    for (size_t i = 0; i < NSETTINGS; i++) {
        const char *v = getenv(settings[i].env);
        if (v != NULL && !apply(cfg, &settings[i], v, true))
            return CONFIG_ERROR;
    }

    struct option opts[NSETTINGS + 3];
    for (size_t i = 0; i < NSETTINGS; i++)
        opts[i] = (struct option){settings[i].flag,
                                  settings[i].kind == K_BOOL ? no_argument : required_argument,
                                  NULL, (int)(i + 1000)};
    opts[NSETTINGS] = (struct option){"help", no_argument, NULL, 'h'};
    opts[NSETTINGS + 1] = (struct option){"version", no_argument, NULL, 'V'};
    opts[NSETTINGS + 2] = (struct option){NULL, 0, NULL, 0};

    optind = 1;
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, "hV", opts, NULL);
        if (c == -1)
            break;
        if (c == 'h') {
            usage(stdout);
            return CONFIG_EXIT_OK;
        }
        if (c == 'V') {
            printf("groupied %s\n", GROUPIE_VERSION);
            return CONFIG_EXIT_OK;
        }
        if (c >= 1000 && c < 1000 + (int)NSETTINGS) {
            const struct setting *s = &settings[c - 1000];
            if (!apply(cfg, s, s->kind == K_BOOL ? "true" : optarg, false))
                return CONFIG_ERROR;
            continue;
        }
        if (optopt >= 1000 && optopt < 1000 + (int)NSETTINGS)
            fprintf(stderr, "groupied: --%s needs a value\n", settings[optopt - 1000].flag);
        else
            fprintf(stderr, "groupied: unknown option '%s'\n", argv[optind - 1]);
        fprintf(stderr, "groupied: see groupied --help\n");
        return CONFIG_ERROR;
    }
    if (optind < argc) {
        fprintf(stderr, "groupied: unexpected argument '%s'; see groupied --help\n", argv[optind]);
        return CONFIG_ERROR;
    }
    if (cfg->header_timeout_s == 0)
        cfg->header_timeout_s = cfg->timeout_s;
    if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
        fprintf(stderr, "groupied: --tls-cert and --tls-key go together: give both, or neither\n");
        return CONFIG_ERROR;
    }
    if (!check(cfg))
        return CONFIG_ERROR;
    if (cfg->admin_key_file != NULL)
        return load_admin_key(cfg);
    return CONFIG_OK;
}

void config_free(struct config *cfg)
{
    if (cfg->admin_key_file != NULL)
        free((char *)cfg->admin_key);
    cfg->admin_key = NULL;
}

char *config_read_file(const char *path, const char *who, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "groupied: %s %s: %s\n", who, path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1 || ferror(f))
            break;
        char *bigger = cap < CONFIG_FILE_MAX ? realloc(buf, cap * 2) : NULL;
        if (bigger == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (buf == NULL || failed) {
        fprintf(stderr, "groupied: %s %s: %s\n", who, path,
                buf == NULL ? "too large, or out of memory" : "read error");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The key is the file's first line, without its line ending; the file
 * stays what an operator wrote (echo KEY > file works). */
static enum config_result load_admin_key(struct config *cfg)
{
    if (cfg->admin_key != NULL) {
        fprintf(stderr, "groupied: give --admin-key or --admin-key-file, not both\n");
        return CONFIG_ERROR;
    }
    size_t len;
    char *key = config_read_file(cfg->admin_key_file, "--admin-key-file", &len);
    if (key == NULL)
        return CONFIG_ERROR;
    key[strcspn(key, "\r\n")] = '\0';
    if (key[0] == '\0') {
        fprintf(stderr, "groupied: --admin-key-file %s: the first line is empty\n",
                cfg->admin_key_file);
        free(key);
        return CONFIG_ERROR;
    }
    /* Kept for the process's lifetime, like the strings of argv. */
    cfg->admin_key = key;
    return CONFIG_OK;
}
