/*
 * xfeed - feeds a frame stream (framestream.h) to an X server, for the `peers` benchmark's
 * TigerVNC Xvnc run: an ordinary X client drawing the same frames, so Xvnc sees them through
 * its real path (X drawing requests, its damage tracking, its encoders).
 *
 *   xfeed -d DISPLAY -i STREAM -l TIME_LOG [-x]
 *
 * Each changed rect is copied into a MIT-SHM image and drawn on the root window with
 * XShmPutImage (what video players and toolkits do for full-frame content); -x uses plain
 * XPutImage instead. After the rects of a frame, XSync waits until the server has executed
 * them (the shared image is reused for the next frame).
 *
 * Protocol with the runner: draws frame 0 at once, prints "READY", waits for SIGUSR1, then
 * replays frames 1.. at their times (framestream t_us after the signal), logging "k t_ns"
 * (CLOCK_MONOTONIC just before the frame's first drawing request) to TIME_LOG, prints "DONE"
 * at the end of the stream and exits 0.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>

#include "framestream.h"

static Display *dpy;
static Window root;
static GC gc;
static XImage *img;
static XShmSegmentInfo shm;
static int use_shm = 1;

static void draw(const fs_frame *f) {
  for (uint32_t i = 0; i < f->n; i++) {
    const fs_rect *r = &f->r[i];
    const uint32_t *src = f->px + r->off;
    if (use_shm) {
      /* the shared image is the size of the screen; write the rect at its own position */
      for (int y = 0; y < r->h; y++)
        memcpy(img->data + (size_t)(r->y + y) * img->bytes_per_line + (size_t)r->x * 4, src + (size_t)y * r->w, (size_t)r->w * 4);
      XShmPutImage(dpy, root, gc, img, r->x, r->y, r->x, r->y, r->w, r->h, False);
    } else {
      XImage *im = XCreateImage(dpy, DefaultVisual(dpy, DefaultScreen(dpy)), 24, ZPixmap, 0, (char *)src, r->w, r->h, 32, r->w * 4);
      XPutImage(dpy, root, gc, im, 0, 0, r->x, r->y, r->w, r->h);
      im->data = NULL; /* not ours to free */
      XDestroyImage(im);
    }
  }
  XSync(dpy, False);
}

int main(int argc, char **argv) {
  const char *display = NULL, *in = NULL, *log_path = NULL;
  int opt;
  while ((opt = getopt(argc, argv, "d:i:l:x")) != -1) {
    switch (opt) {
    case 'd': display = optarg; break;
    case 'i': in = optarg; break;
    case 'l': log_path = optarg; break;
    case 'x': use_shm = 0; break;
    default: fprintf(stderr, "usage: xfeed -d DISPLAY -i STREAM -l TIME_LOG [-x]\n"); return 2;
    }
  }
  if (!display || !in || !log_path) { fprintf(stderr, "xfeed: -d, -i and -l are required\n"); return 2; }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL); /* taken with sigwait */

  if (!(dpy = XOpenDisplay(display))) { fprintf(stderr, "xfeed: cannot open display %s\n", display); return 1; }
  int scr = DefaultScreen(dpy);
  root = RootWindow(dpy, scr);
  Visual *vis = DefaultVisual(dpy, scr);
  if (DefaultDepth(dpy, scr) != 24 || vis->red_mask != 0xff0000 || vis->green_mask != 0xff00 || vis->blue_mask != 0xff) {
    fprintf(stderr, "xfeed: need a depth-24 0xRRGGBB TrueColor root visual\n");
    return 1;
  }
  gc = XCreateGC(dpy, root, 0, NULL);
  int w = DisplayWidth(dpy, scr), h = DisplayHeight(dpy, scr);
  if (use_shm && !XShmQueryExtension(dpy)) { fprintf(stderr, "xfeed: no MIT-SHM, using XPutImage\n"); use_shm = 0; }
  if (use_shm) {
    img = XShmCreateImage(dpy, vis, 24, ZPixmap, NULL, &shm, (unsigned)w, (unsigned)h);
    shm.shmid = shmget(IPC_PRIVATE, (size_t)img->bytes_per_line * img->height, IPC_CREAT | 0600);
    if (shm.shmid < 0) { perror("shmget"); return 1; }
    shm.shmaddr = img->data = shmat(shm.shmid, NULL, 0);
    shm.readOnly = True;
    if (!XShmAttach(dpy, &shm)) { fprintf(stderr, "xfeed: XShmAttach failed\n"); return 1; }
    XSync(dpy, False);
    shmctl(shm.shmid, IPC_RMID, NULL); /* freed when both sides detach */
    if (img->bits_per_pixel != 32) { fprintf(stderr, "xfeed: need 32 bits per pixel\n"); return 1; }
  }

  int fd = open(in, O_RDONLY);
  if (fd < 0) { perror(in); return 1; }
  FILE *log = fopen(log_path, "w");
  if (!log) { perror(log_path); return 1; }
  fs_frame f = {0};
  if (fs_read_frame(fd, &f) != 1 || f.k != 0) { fprintf(stderr, "xfeed: no frame 0 in the stream\n"); return 1; }
  draw(&f);
  printf("READY\n");
  fflush(stdout);

  int sig;
  sigwait(&set, &sig);
  uint64_t t0 = now_ns();
  int r;
  while ((r = fs_read_frame(fd, &f)) == 1) {
    sleep_until_ns(t0 + (uint64_t)f.t_us * 1000u);
    fprintf(log, "%u %llu\n", f.k, (unsigned long long)now_ns());
    draw(&f);
  }
  fclose(log);
  if (r < 0) { fprintf(stderr, "xfeed: malformed stream\n"); return 1; }
  printf("DONE\n");
  fflush(stdout);
  if (use_shm) XShmDetach(dpy, &shm);
  XCloseDisplay(dpy);
  return 0;
}
