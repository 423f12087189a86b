/* main.c -- groupied: read the settings, open the database, serve until
 * SIGTERM or SIGINT, then stop accepting, finish what is in flight, and
 * close the database.
 *
 * Exit status: 0 after a clean shutdown, 1 when the server cannot start
 * (busy port, unusable database), 2 for a bad flag. */
#include "common/log.h"
#include "directory/directory.h"
#include "engine/engine.h"
#include "server/app.h"
#include "server/auth.h"
#include "server/cache.h"
#include "server/config.h"
#include "server/delivery.h"
#include "server/demo.h"
#include "server/ephemeral.h"
#include "server/faults.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/quota.h"
#include "server/reqlog.h"
#include "server/routes_engine.h"
#include "server/seed.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How long requests in flight may take to finish at shutdown. */
#define SHUTDOWN_GRACE_S 20

/* Memory a connection may use for its request line and headers (about
 * 7,500 bytes of them fit); libmicrohttpd answers 431 beyond. Each idle
 * keep-alive connection holds this much, so it is what 10,000 of them cost:
 * measured, 32 KiB gave 333 MB of RSS for 10,000 idle connections, 8 KiB
 * 93 MB. */
#define HEADER_LIMIT (8 * 1024)

/* Rendered participants and group lists kept between requests
 * (server/cache.h): the benchmark's 256-member group takes 28 KB. */
#define ANSWER_CACHE_BYTES (32 * 1024 * 1024)

/* Many idle keep-alive connections each hold a descriptor: use what the
 * system allows rather than the conservative default soft limit. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    struct config cfg;
    switch (config_load(&cfg, argc, argv)) {
    case CONFIG_OK:
        break;
    case CONFIG_EXIT_OK:
        return 0;
    case CONFIG_ERROR:
        return 2;
    }
    log_set_quiet(cfg.quiet);
    raise_fd_limit();
    /* Everything groupied creates (the SQLite database, its WAL and shared
     * memory, the demo's secrets) holds tokens' hashes, invitation codes or
     * messages: readable by its owner only. */
    umask(077);

    /* Signals are taken by sigwait() below, never by a worker thread: block
     * them before any thread starts. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    quota_init(cfg.send_bytes_per_minute);
    /* Everything below is undone on the one way out at the end, whatever
     * step failed: each resource starts empty and is released only if it
     * was made. */
    int exit_status = 1;
    char err[512];
    static struct ephemeral eph;
    struct app app = {.dir = &directory_builtin,
                      .limits = cfg.limits,
                      .sandbox = cfg.sandbox,
                      .webhook_allow_private = cfg.webhook_allow_private};
    struct http_server *srv = NULL;
    char *tls_cert = NULL, *tls_key = NULL;
    size_t tls_len = 0;
    char *seed_text = NULL; /* --seed's file, kept for POST /admin/reset */

    const char *db_url = cfg.db;
    if (cfg.ephemeral) {
        if (ephemeral_create(&eph, err, sizeof(err)) != 0) {
            log_error("%s", err);
            goto out;
        }
        db_url = eph.url;
    }
    if (cfg.sandbox) {
        /* Faults armed with POST /admin/faults: the directory answers for
         * an armed number through them. */
        if ((app.faults = faults_new()) == NULL) {
            log_error("out of memory for the sandbox's faults");
            goto out;
        }
        app.dir = faults_directory(app.faults, &directory_builtin);
    }
    struct engine_config ecfg = {
        .spec = cfg.engine, .key = cfg.engine_key, .timeout_ms = cfg.engine_timeout_s * 1000L};
    if (!engine_open(&ecfg, &app.engine, err, sizeof(err))) {
        log_error("%s", err);
        goto out;
    }
    app.engine_timeout_ms = ecfg.timeout_ms;
    app.engine_webhook_secret = cfg.engine_webhook_secret;
    if (app.engine != NULL)
        app.engine->observe = metrics_engine_call;
    /* Documented (ENGINES.md), but worth saying where an operator looks:
     * without the secret anyone who reaches the port can edit rosters. */
    if (app.engine != NULL &&
        (app.engine_webhook_secret == NULL || app.engine_webhook_secret[0] == '\0'))
        log_error("warning: POST /engine/events accepts unsigned events: anyone who can reach "
                  "this port can change a group's roster; set --engine-webhook-secret and "
                  "give the engine's webhook the same key");
    /* Requests in doubt name the process that made them (settleable
     * by others once it is gone: routes_engine.h). */
    if (getrandom(&app.engine_owner, sizeof(app.engine_owner), 0) !=
        (ssize_t)sizeof(app.engine_owner))
        app.engine_owner = (int64_t)getpid() << 32 ^ (int64_t)time(NULL);
    app.reqlog = reqlog_new((size_t)cfg.request_log);
    if (app.reqlog == NULL) {
        log_error("out of memory for the request log (--request-log %d)", cfg.request_log);
        goto out;
    }
    struct store_options sopt = {
        .pool_size = cfg.db_pool, .synchronous = true, .exclusive = !cfg.db_shared};
    if (store_open(db_url, &sopt, &app.store, err, sizeof(err)) != STORE_OK) {
        log_error("%s", err);
        goto out;
    }
    app.engine_sole = sopt.exclusive && strncmp(db_url, "sqlite:", 7) == 0;
    if (app.engine != NULL)
        engine_settle_startup(&app);

    /* Read (and parsed, below) before anything is written, so that a bad
     * file changes nothing. */
    if (cfg.seed != NULL && (seed_text = seed_read_file(cfg.seed, err, sizeof(err))) == NULL) {
        log_error("%s", err);
        goto out;
    }

    struct demo demo;
    const char *admin_key = cfg.admin_key;
    if (cfg.demo) {
        struct demo_options dopt = {.admin_key = cfg.admin_key,
                                    .token = cfg.demo_token,
                                    .ephemeral = cfg.ephemeral,
                                    .console = true};
        if (demo_prepare(&app, db_url, &dopt, &demo, err, sizeof(err)) != 0) {
            log_error("%s", err);
            goto out;
        }
        admin_key = demo.admin_key;
    }
    /* The seed goes into a database that was empty at start: the one the
     * demo has just filled, or one found empty now. */
    bool seeded = false;
    struct world_result seed_counts;
    if (seed_text != NULL && (!cfg.demo || demo.created) &&
        seed_load_start(&app, cfg.seed, seed_text, !cfg.demo, &seeded, &seed_counts, err,
                        sizeof(err)) != 0) {
        log_error("%s", err);
        goto out;
    }
    /* What POST /admin/reset puts back. */
    static struct app_start start;
    start = (struct app_start){
        .demo = cfg.demo,
        .demo_token = cfg.demo_token,
        .seed = seed_text,
        .seed_path = cfg.seed,
        .secrets_path = cfg.demo ? demo.secrets_path : NULL,
        .key_generated = cfg.demo && demo.admin_key == demo.key_buf,
    };
    app.start = &start;
    if (admin_key != NULL) {
        app.have_admin_key = true;
        sha256(admin_key, strlen(admin_key), app.admin_key_hash);
    }

    /* Deliveries left pending by an earlier run (or another process) start
     * going out now. */
    const struct delivery_options wopt = {.allow_private = cfg.webhook_allow_private,
                                          .schedule = &cfg.webhook_schedule,
                                          .timeout_ms = cfg.webhook_timeout_s * 1000LL,
                                          .sole_owner =
                                              sopt.exclusive && strncmp(db_url, "sqlite:", 7) == 0};
    if (delivery_start(app.store, &wopt, &app.delivery, err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto out;
    }

    struct http_options hopt = {
        .listen = cfg.listen,
        .threads = cfg.threads,
        .max_connections = cfg.max_connections,
        .timeout_s = cfg.timeout_s,
        .header_timeout_s = cfg.header_timeout_s,
        .max_per_address = cfg.max_per_address,
        .header_limit = HEADER_LIMIT,
        .body_memory = (size_t)cfg.body_memory_mib * 1024 * 1024,
    };
    if (cfg.tls_cert != NULL &&
        ((tls_cert = config_read_file(cfg.tls_cert, "--tls-cert", &tls_len)) == NULL ||
         (tls_key = config_read_file(cfg.tls_key, "--tls-key", &tls_len)) == NULL))
        goto out;
    hopt.tls_cert = tls_cert;
    hopt.tls_key = tls_key;
    char bound[128];
    app.cache = cache_new(ANSWER_CACHE_BYTES); /* NULL: every answer is read afresh */
    app.auth_memo = auth_memo_new();           /* NULL: every token is looked up */
    if (http_start(&app, &hopt, &srv, bound, sizeof(bound), err, sizeof(err)) != 0) {
        srv = NULL;
        log_error("%s", err);
        goto out;
    }
    char base_url[160];
    snprintf(base_url, sizeof(base_url), "%s://%s", cfg.tls_cert != NULL ? "https" : "http", bound);
    /* Scripts and tests wait for this line. */
    log_info("listening on %s", base_url);
    if (cfg.ephemeral)
        log_info("the database is temporary (%s): it is removed when the server stops", eph.dir);
    if (seeded)
        log_info(
            "loaded the world in %s (users: %zu, devices: %zu, groups: %zu, participants: %zu)",
            cfg.seed, seed_counts.users, seed_counts.devices, seed_counts.groups,
            seed_counts.participants);
    else if (seed_text != NULL)
        log_info("the database already holds a world: %s was not loaded (POST /admin/reset "
                 "replaces the world with the initial one)",
                 cfg.seed);
    if (cfg.demo)
        demo_print(&demo, base_url);

    int sig = 0;
    sigwait(&stop, &sig);
    log_info("%s received: finishing requests in flight, then stopping",
             sig == SIGINT ? "SIGINT" : "SIGTERM");
    exit_status = 0;

out:
    faults_shutdown(app.faults); /* answers held back go at once */
    if (srv != NULL)
        http_stop(srv, SHUTDOWN_GRACE_S);
    /* libmicrohttpd keeps its own copy of the certificate and key. */
    free(tls_cert);
    if (tls_key != NULL)
        explicit_bzero(tls_key, tls_len);
    free(tls_key);
    /* After the last request (which may notify it), before the store. */
    delivery_stop(app.delivery);
    if (app.store != NULL)
        store_close(app.store);
    cache_free(app.cache);
    auth_memo_free(app.auth_memo);
    reqlog_free(app.reqlog);
    ephemeral_remove(&eph);
    config_free(&cfg);
    quota_free();
    faults_free(app.faults);
    engine_free(app.engine);
    free(seed_text);
    if (exit_status == 0)
        log_info("stopped");
    return exit_status;
}
