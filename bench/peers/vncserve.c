/*
 * vncserve - a libvncserver server fed by a frame stream (framestream.h), for the `peers`
 * benchmark: the library's ordinary path, a framebuffer in memory, rfbMarkRectAsModified for
 * every changed rect, and the single-threaded rfbProcessEvents loop (what rfbRunEventLoop(s, -1,
 * FALSE) runs: 5 ms select timeouts, deferUpdateTime 5 ms).
 *
 *   vncserve -p PORT -i STREAM -l TIME_LOG [-z ZRLE_LEVEL]
 *
 * Listens on 127.0.0.1:PORT (no IPv6), always shared, native format 32 bpp depth 24 with
 * red/green/blue at 16/8/0 (the same as Xvnc and our server). A reader thread reads the stream
 * (one frame buffer, handed to the main thread and read again only after it was applied, as a
 * guest would), so the event loop never waits on the pipe. The reader thread is named "fsreader":
 * the runner leaves its CPU out of the server's, as it leaves out Xvnc's feeder process. Protocol with the runner: frame 0 is
 * applied before listening; prints "READY"; on SIGUSR1 replays frames 1.. at their times,
 * logging "k t_ns" (CLOCK_MONOTONIC just before the frame's first pixel is copied); prints "DONE"
 * at the end of the stream and keeps serving until SIGTERM.
 *
 * -z sets the zlib level of libvncserver's ZRLE streams. The library has no knob for it: its
 * ZRLE stream (zrleoutstream.c) calls deflateInit(Z_DEFAULT_COMPRESSION), i.e. level 6, and
 * ignores the client's CompressLevel (which its Zlib and Tight encoders honour). So this program
 * defines deflateInit_, which the library calls through its PLT, and turns a
 * Z_DEFAULT_COMPRESSION request into ZRLE_LEVEL before calling zlib's own; in 0.9.14 ZRLE is the
 * only caller of deflateInit_ (Zlib and Tight use deflateInit2_ with the client's level). Without
 * -z the library's default stands.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rfb/rfb.h>
#include <zlib.h>

#include "framestream.h"

/* -z: the level libvncserver's ZRLE streams get (see the header comment). */
static int zrle_level = Z_DEFAULT_COMPRESSION;

int deflateInit_(z_streamp strm, int level, const char *version, int stream_size) {
  static int (*real)(z_streamp, int, const char *, int);
  if (!real) real = (int (*)(z_streamp, int, const char *, int))dlsym(RTLD_NEXT, "deflateInit_");
  if (level == Z_DEFAULT_COMPRESSION && zrle_level != Z_DEFAULT_COMPRESSION) {
    if (getenv("VNCSERVE_VERBOSE")) fprintf(stderr, "vncserve: deflateInit level %d -> %d\n", level, zrle_level);
    level = zrle_level;
  }
  return real(strm, level, version, stream_size);
}

static volatile sig_atomic_t go, stop;
static fs_frame frame;
static int stream_fd;
static atomic_int slot_full;     /* 1: `frame` holds the next frame, not yet applied */
static atomic_int reader_done;   /* 1: end of stream (or error) */
static atomic_int reader_failed;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t consumed = PTHREAD_COND_INITIALIZER;

static void on_usr1(int s) { (void)s; go = 1; }
static void on_term(int s) { (void)s; stop = 1; }

static void *reader(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (atomic_load(&slot_full)) pthread_cond_wait(&consumed, &mu);
    pthread_mutex_unlock(&mu);
    int r = fs_read_frame(stream_fd, &frame);
    if (r != 1) {
      if (r < 0) atomic_store(&reader_failed, 1);
      atomic_store(&reader_done, 1);
      for (;;) pause(); /* stays, so the runner can still read its CPU time after the last frame */
    }
    atomic_store(&slot_full, 1);
  }
}

static void mark(rfbScreenInfoPtr s, const fs_frame *f) {
  for (uint32_t i = 0; i < f->n; i++) rfbMarkRectAsModified(s, f->r[i].x, f->r[i].y, f->r[i].x + f->r[i].w, f->r[i].y + f->r[i].h);
}

int main(int argc, char **argv) {
  int port = 0, opt;
  const char *in = NULL, *log_path = NULL;
  while ((opt = getopt(argc, argv, "p:i:l:z:")) != -1) {
    switch (opt) {
    case 'p': port = atoi(optarg); break;
    case 'i': in = optarg; break;
    case 'l': log_path = optarg; break;
    case 'z':
      zrle_level = atoi(optarg);
      if (zrle_level < 0 || zrle_level > 9) { fprintf(stderr, "vncserve: -z takes 0..9\n"); return 2; }
      break;
    default: fprintf(stderr, "usage: vncserve -p PORT -i STREAM -l TIME_LOG [-z ZRLE_LEVEL]\n"); return 2;
    }
  }
  if (port <= 0 || !in || !log_path) { fprintf(stderr, "vncserve: -p, -i and -l are required\n"); return 2; }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  if (!getenv("VNCSERVE_VERBOSE")) rfbLogEnable(0);

  stream_fd = open(in, O_RDONLY);
  if (stream_fd < 0) { perror(in); return 1; }
  FILE *log = fopen(log_path, "w");
  if (!log) { perror(log_path); return 1; }
  if (fs_read_frame(stream_fd, &frame) != 1 || frame.k != 0) { fprintf(stderr, "vncserve: no frame 0 in the stream\n"); return 1; }
  const int w = frame.r[0].w, h = frame.r[0].h;

  int fake_argc = 1;
  char *fake_argv[] = {argv[0], NULL};
  rfbScreenInfoPtr s = rfbGetScreen(&fake_argc, fake_argv, w, h, 8, 3, 4);
  if (!s) return 1;
  uint32_t *fb = calloc((size_t)w * h, 4);
  if (!fb) return 1;
  s->frameBuffer = (char *)fb;
  s->serverFormat.redShift = 16;
  s->serverFormat.greenShift = 8;
  s->serverFormat.blueShift = 0;
  s->desktopName = "libvncserver";
  s->alwaysShared = TRUE;
  s->port = port;
  s->ipv6port = 0;
  s->listenInterface = htonl(INADDR_LOOPBACK);
  fs_apply(&frame, fb, (size_t)w);
  rfbInitServer(s);
  if (s->listenSock == RFB_INVALID_SOCKET) { fprintf(stderr, "vncserve: cannot listen on port %d\n", port); return 1; }
  printf("READY\n");
  fflush(stdout);

  while (!go && !stop) rfbProcessEvents(s, -1);
  pthread_t th;
  pthread_create(&th, NULL, reader, NULL);
  pthread_setname_np(th, "fsreader"); /* the runner counts this thread's CPU apart (stream delivery) */
  uint64_t t0 = now_ns();
  int done_printed = 0;
  while (!stop) {
    long timeout_us = s->deferUpdateTime * 1000L;
    if (atomic_load(&slot_full)) {
      uint64_t due = t0 + (uint64_t)frame.t_us * 1000u, now = now_ns();
      if (now >= due) {
        fprintf(log, "%u %llu\n", frame.k, (unsigned long long)now);
        fs_apply(&frame, fb, (size_t)w);
        mark(s, &frame);
        pthread_mutex_lock(&mu);
        atomic_store(&slot_full, 0);
        pthread_cond_signal(&consumed);
        pthread_mutex_unlock(&mu);
        rfbProcessEvents(s, 0); /* starts each client's deferUpdateTime clock now, not after a 5 ms select */
      } else if ((long)((due - now) / 1000) < timeout_us) {
        timeout_us = (long)((due - now) / 1000);
      }
    } else if (atomic_load(&reader_done) && !done_printed) {
      done_printed = 1;
      fclose(log);
      log = NULL;
      if (atomic_load(&reader_failed)) fprintf(stderr, "vncserve: malformed stream\n");
      printf("DONE\n");
      fflush(stdout);
    }
    rfbProcessEvents(s, timeout_us);
  }
  if (log) fclose(log);
  rfbShutdownServer(s, TRUE);
  return 0;
}
