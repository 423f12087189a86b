/* fixture.c -- see fixture.h. */
#include "fixture.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fixture_tmpdir(const char *prefix, char *out, size_t outsz)
{
    const char *root = getenv("GROUPIE_TEST_TMP");
    if (root == NULL || root[0] == '\0')
        root = "/tmp";
    int len = snprintf(out, outsz, "%s/%s-XXXXXX", root, prefix);
    if (len < 0 || (size_t)len >= outsz || mkdtemp(out) == NULL)
        return -1;
    return 0;
}

void fixture_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}
