/*
 * floor: the socket work of an idle VNC server and nothing else, in C (the `idle-floor`
 * benchmark; its Node twin is bench/src/floor-server.ts).
 *
 *   floor PORT UPDATE_BYTES INTERVAL_MS
 *
 * Listens on 127.0.0.1:PORT and prints "ready". Each client sends requests (any bytes: a
 * request is outstanding once something arrived since the last update). Every INTERVAL_MS, each
 * client with a request outstanding gets UPDATE_BYTES bytes in one write(). One thread, one
 * epoll loop with a timerfd: what Xvnc's select loop does for an idle screen, without encoding
 * anything. Runs until killed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define MAX_FDS 1024

static char pending[MAX_FDS];

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: floor PORT UPDATE_BYTES INTERVAL_MS\n");
    return 2;
  }
  int port = atoi(argv[1]);
  size_t update_bytes = (size_t)atol(argv[2]);
  int interval_ms = atoi(argv[3]);
  char *update = calloc(1, update_bytes);
  char buf[4096];
  signal(SIGPIPE, SIG_IGN); /* a client gone between its reset and our read: write fails, we go on */

  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 128) < 0) {
    perror("floor: listen");
    return 1;
  }
  int ep = epoll_create1(0);
  int tf = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec its = {
      .it_interval = {.tv_sec = interval_ms / 1000, .tv_nsec = (interval_ms % 1000) * 1000000L},
      .it_value = {.tv_sec = interval_ms / 1000, .tv_nsec = (interval_ms % 1000) * 1000000L},
  };
  timerfd_settime(tf, 0, &its, NULL);
  struct epoll_event ev = {.events = EPOLLIN};
  ev.data.fd = ls;
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  ev.data.fd = tf;
  epoll_ctl(ep, EPOLL_CTL_ADD, tf, &ev);
  printf("ready\n");
  fflush(stdout);

  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(ep, events, 64, -1);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == ls) {
        int c = accept(ls, NULL, NULL);
        if (c < 0) continue;
        if (c >= MAX_FDS) {
          close(c);
          continue;
        }
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pending[c] = 0;
        ev.data.fd = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
      } else if (fd == tf) {
        unsigned long long ticks;
        if (read(tf, &ticks, sizeof ticks) < 0) continue;
        for (int c = 0; c < MAX_FDS; c++) {
          if (!pending[c]) continue;
          pending[c] = 0;
          ssize_t w = write(c, update, update_bytes); /* blocking; a client that left is closed by its read */
          (void)w;
        }
      } else {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0) {
          pending[fd] = 0;
          close(fd);
        } else {
          pending[fd] = 1;
        }
      }
    }
  }
}
