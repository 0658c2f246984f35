/*
 * framestream.h - the frame stream gen_frames writes and every C feeder reads, plus the clock.
 *
 * Little-endian, one frame after another until end of file:
 *   u32 magic 'PFRM' (0x4d524650), u32 frame number k, u32 time (us after frame 1), u32 rect count
 *   then per rect: u16 x, u16 y, u16 w, u16 h, and w*h*4 bytes of pixels (B,G,R,0), rows top down.
 * The last rect of a frame is its frame-number tag (workloads.h). The TypeScript replay guest
 * (bench/src/peers/stream.ts) reads the same format.
 *
 * Feeders log "k t_ns" per frame, t_ns being CLOCK_MONOTONIC just before frame k's first pixel
 * is written to the server's framebuffer; the meter logs its own CLOCK_MONOTONIC times.
 */
#ifndef PEERS_FRAMESTREAM_H
#define PEERS_FRAMESTREAM_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FS_MAGIC 0x4d524650u
#define FS_MAX_RECTS 64

typedef struct { uint16_t x, y, w, h; uint32_t off; } fs_rect; /* off: pixel offset in fs_frame.px */

typedef struct {
  uint32_t k, t_us, n;
  fs_rect r[FS_MAX_RECTS];
  uint32_t *px;   /* all rects' pixels, one after another */
  size_t cap;     /* pixels px can hold */
} fs_frame;

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void sleep_until_ns(uint64_t t) {
  struct timespec ts = {(time_t)(t / 1000000000ull), (long)(t % 1000000000ull)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

/* Reads exactly n bytes (blocking); 1 on success, 0 on end of file, -1 on error. */
static int fs_read_full(int fd, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *)buf + got, n - got);
    if (r == 0) return got == 0 ? 0 : -1;
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    got += (size_t)r;
  }
  return 1;
}

/* Reads the next frame; 1 ok, 0 end of stream, -1 malformed or read error. */
static int fs_read_frame(int fd, fs_frame *f) {
  uint32_t h[4];
  int r = fs_read_full(fd, h, sizeof h);
  if (r <= 0) return r;
  if (h[0] != FS_MAGIC || h[3] == 0 || h[3] > FS_MAX_RECTS) return -1;
  f->k = h[1];
  f->t_us = h[2];
  f->n = h[3];
  size_t off = 0;
  for (uint32_t i = 0; i < f->n; i++) {
    uint16_t g[4];
    if (fs_read_full(fd, g, sizeof g) != 1) return -1;
    size_t npx = (size_t)g[2] * g[3];
    if (off + npx > f->cap) {
      size_t cap = (off + npx) * 2;
      uint32_t *p = (uint32_t *)realloc(f->px, cap * 4);
      if (!p) return -1;
      f->px = p;
      f->cap = cap;
    }
    f->r[i] = (fs_rect){g[0], g[1], g[2], g[3], (uint32_t)off};
    if (npx && fs_read_full(fd, f->px + off, npx * 4) != 1) return -1;
    off += npx;
  }
  return 1;
}

/* Copies frame f's rects into a 32-bpp framebuffer with `stride` pixels per row. */
static inline void fs_apply(const fs_frame *f, uint32_t *fb, size_t stride) {
  for (uint32_t i = 0; i < f->n; i++) {
    const fs_rect *r = &f->r[i];
    const uint32_t *src = f->px + r->off;
    for (int y = 0; y < r->h; y++) memcpy(fb + (size_t)(r->y + y) * stride + r->x, src + (size_t)y * r->w, (size_t)r->w * 4);
  }
}

#endif
