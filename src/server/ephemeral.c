/* ephemeral.c -- see ephemeral.h. */
#include "server/ephemeral.h"

#include "common/log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ephemeral_create(struct ephemeral *e, char *err, size_t errsz)
{
    memset(e, 0, sizeof(*e));
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    int n = snprintf(e->dir, sizeof(e->dir), "%s/groupied-ephemeral.XXXXXX", tmp);
    if (n < 0 || (size_t)n >= sizeof(e->dir)) {
        snprintf(err, errsz, "TMPDIR is too long for a temporary database");
        e->dir[0] = '\0';
        return -1;
    }
    /* mkdtemp makes it mode 0700: the database holds tokens' hashes,
     * invitation codes and messages. */
    if (mkdtemp(e->dir) == NULL) {
        snprintf(err, errsz, "cannot make a directory for the temporary database in %s: %s", tmp,
                 strerror(errno));
        e->dir[0] = '\0';
        return -1;
    }
    snprintf(e->url, sizeof(e->url), "sqlite:%s/groupie.db", e->dir);
    return 0;
}

void ephemeral_remove(struct ephemeral *e)
{
    if (e->dir[0] == '\0')
        return;
    /* Only files are made in it (the database, its WAL and shared memory,
     * the demo's secrets and their temporary copy), so one level is all. */
    DIR *d = opendir(e->dir);
    if (d != NULL) {
        struct dirent *ent;
        while ((ent = readdir(d)) != NULL) {
            if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
                continue;
            char path[4400];
            snprintf(path, sizeof(path), "%s/%s", e->dir, ent->d_name);
            if (unlink(path) != 0)
                log_error("cannot remove %s: %s", path, strerror(errno));
        }
        closedir(d);
    }
    if (rmdir(e->dir) != 0)
        log_error("cannot remove the temporary database's directory %s: %s", e->dir,
                  strerror(errno));
    e->dir[0] = '\0';
}
