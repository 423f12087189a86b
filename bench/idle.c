/* idle.c -- opens N keep-alive connections to a server, makes one request
 * on each so the server has really accepted and served it, then holds them
 * all open and idle until its standard input closes.
 *
 *   bench-idle HOST PORT N
 *
 * Prints "ready N" once every connection has had its answer; the caller
 * reads the server's memory then, and closes our stdin to finish. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static const char request[] =
    "GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: keep-alive\r\n\r\n";

/* Reads until the end of one small response's headers and body; the
 * server's /healthz answer fits in one read almost always. */
static int read_answer(int fd)
{
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return strstr(buf, " 200 ") != NULL ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench-idle HOST PORT N\n");
        return 2;
    }
    int n = atoi(argv[3]);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
        fprintf(stderr, "bench-idle: bad address %s\n", argv[1]);
        return 2;
    }
    int *fds = calloc((size_t)n, sizeof(*fds));
    if (fds == NULL)
        return 1;
    for (int i = 0; i < n; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
            write(fds[i], request, sizeof(request) - 1) != (ssize_t)(sizeof(request) - 1) ||
            read_answer(fds[i]) != 0) {
            fprintf(stderr, "bench-idle: connection %d: %s\n", i, strerror(errno));
            return 1;
        }
    }
    printf("ready %d\n", n);
    fflush(stdout);
    char c;
    while (read(STDIN_FILENO, &c, 1) > 0)
        ;
    for (int i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    return 0;
}
