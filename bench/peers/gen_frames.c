/*
 * gen_frames - writes a workload of the `peers` benchmark as a frame stream (framestream.h).
 *
 *   gen_frames WORKLOAD FRAMES [-c CHECKSUM_FILE] [--sums]
 *
 * Writes frame 0 (the whole screen) and frames 1..FRAMES to stdout, as fast as the reader takes
 * them (a pipe paces it). With -c, writes the 64-bit FNV-1a checksum of the final screen
 * (workloads.h wl_checksum) to CHECKSUM_FILE as 16 hex digits. With --sums, writes no stream
 * but one line per frame, "k t_us rects pixels checksum", to check that the generator is
 * deterministic. WORKLOAD: terminal | idle | video | drag. Exit status 0, or 2 on bad usage.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "framestream.h"
#include "workloads.h"

static uint32_t *rowbuf;

static int write_full(const void *buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = write(1, (const char *)buf + done, n - done);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    done += (size_t)r;
  }
  return 0;
}

static int emit_header(uint32_t k, uint32_t t_us, uint32_t n) {
  uint32_t h[4] = {FS_MAGIC, k, t_us, n};
  return write_full(h, sizeof h);
}

static int emit_rect(const workload *w, wl_rect r) {
  uint16_t g[4] = {(uint16_t)r.x, (uint16_t)r.y, (uint16_t)r.w, (uint16_t)r.h};
  if (write_full(g, sizeof g)) return -1;
  if (r.x == 0 && r.w == WL_W) return write_full(w->fb + (size_t)r.y * WL_W, (size_t)r.w * r.h * 4);
  for (int y = 0; y < r.h; y++) memcpy(rowbuf + (size_t)y * r.w, w->fb + (size_t)(r.y + y) * WL_W + r.x, (size_t)r.w * 4);
  return write_full(rowbuf, (size_t)r.w * r.h * 4);
}

int main(int argc, char **argv) {
  const char *sumfile = NULL;
  int sums = 0;
  if (argc < 3) {
    fprintf(stderr, "usage: gen_frames terminal|idle|video|drag FRAMES [-c CHECKSUM_FILE] [--sums]\n");
    return 2;
  }
  for (int i = 3; i < argc; i++) {
    if (!strcmp(argv[i], "-c") && i + 1 < argc) sumfile = argv[++i];
    else if (!strcmp(argv[i], "--sums")) sums = 1;
    else { fprintf(stderr, "gen_frames: unknown argument %s\n", argv[i]); return 2; }
  }
  int kind = wl_kind(argv[1]);
  long frames = strtol(argv[2], NULL, 10);
  if (kind < 0 || frames < 0 || frames > 65535) {
    fprintf(stderr, "gen_frames: bad workload or frame count\n");
    return 2;
  }
  workload w;
  rowbuf = malloc((size_t)WL_W * WL_H * 4);
  if (!rowbuf || wl_init(&w, kind)) { fprintf(stderr, "gen_frames: out of memory\n"); return 1; }
  fcntl(1, F_SETPIPE_SZ, 1 << 20); /* fewer wake-ups; fails harmlessly on a file */
  wl_rect rects[WL_MAX_RECTS];
  if (sums) printf("0 0 1 %d %016llx\n", WL_W * WL_H, (unsigned long long)wl_checksum(w.fb, (size_t)WL_W * WL_H));
  else if (emit_header(0, 0, 1) || emit_rect(&w, (wl_rect){0, 0, WL_W, WL_H})) return 1;
  for (uint32_t k = 1; k <= (uint32_t)frames; k++) {
    int n = wl_step(&w, k, rects);
    long px = 0;
    for (int i = 0; i < n; i++) px += (long)rects[i].w * rects[i].h;
    if (sums) {
      wl_tag(&w, k);
      printf("%u %u %d %ld %016llx\n", k, wl_time_us(&w, k), n, px, (unsigned long long)wl_checksum(w.fb, (size_t)WL_W * WL_H));
      continue;
    }
    if (emit_header(k, wl_time_us(&w, k), (uint32_t)n)) return 1;
    for (int i = 0; i < n - 1; i++)
      if (emit_rect(&w, rects[i])) return 1;
    wl_tag(&w, k); /* the tag last: see wl_step */
    if (emit_rect(&w, rects[n - 1])) return 1;
  }
  if (sumfile) {
    FILE *f = fopen(sumfile, "w");
    if (!f) { perror(sumfile); return 1; }
    fprintf(f, "%016llx\n", (unsigned long long)wl_checksum(w.fb, (size_t)WL_W * WL_H));
    fclose(f);
  }
  return 0;
}
