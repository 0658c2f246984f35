/*
 * workloads.h - the deterministic 1920x1080 workloads of the `peers` benchmark, written once.
 *
 * Every server under test is fed the same frames: `gen_frames` (gen_frames.c, the only program
 * that includes this generator) writes them as a frame stream (framestream.h) and each feeder
 * (our TypeScript replay guest, the Xlib client for Xvnc, the libvncserver harness) replays that
 * stream. So the pixels are generated once, by this code, for every server.
 *
 * A workload keeps the whole screen in `fb` (32-bit 0x00RRGGBB, bytes B,G,R,0 in memory, the
 * native format of all three servers) and, for frame k >= 1, changes it and lists the rectangles
 * that changed. Frame 0 is the whole screen. The last rectangle of every frame is the
 * frame-number block (FRAME_TAG_*): it is drawn after everything else, so a client that sees
 * frame k's tag has been sent a screen on which all of frame k had already been written.
 *
 * Workloads:
 *   terminal  a shell: a command typed one character per frame, then its output printed three
 *             lines per frame, every new line scrolling the full screen (30 frames/s)
 *   idle      a desktop with a blinking caret (every 500 ms) and a seconds clock (2 frames/s)
 *   video     full-screen changing content, a moving plasma (30 frames/s)
 *   drag      a 640x420 window dragged across a busy background (30 frames/s)
 *
 * Glyphs are procedural (segments picked by a hash of the character), not a real font: what
 * matters here is text-like pixels (two colours, thin strokes), not legibility.
 */
#ifndef PEERS_WORKLOADS_H
#define PEERS_WORKLOADS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WL_W 1920
#define WL_H 1080
#define WL_MAX_RECTS 8

/* The frame-number block: a solid 16x16 square at the top-left corner. */
#define FRAME_TAG_X 0
#define FRAME_TAG_Y 0
#define FRAME_TAG_SIZE 16

/* Colour of frame k's tag: R = k >> 8, G = k & 255, B = R ^ G ^ 0xA5 (a check byte). */
static inline uint32_t frame_tag_colour(uint32_t k) {
  uint32_t r = (k >> 8) & 0xff, g = k & 0xff, b = r ^ g ^ 0xa5;
  return (r << 16) | (g << 8) | b;
}

/* Inverse of frame_tag_colour: the frame number, or -1 if the check byte does not match. */
static inline long frame_tag_decode(uint32_t px) {
  uint32_t r = (px >> 16) & 0xff, g = (px >> 8) & 0xff, b = px & 0xff;
  if ((r ^ g ^ 0xa5) != b) return -1;
  return (long)((r << 8) | g);
}

typedef struct { int x, y, w, h; } wl_rect;

/* 64-bit FNV-1a over the screen, 4 bytes per pixel with the unused top byte taken as 0. */
static inline uint64_t wl_checksum(const uint32_t *px, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) {
    uint32_t v = px[i] & 0xffffff;
    for (int b = 0; b < 4; b++) {
      h ^= (v >> (8 * b)) & 0xff;
      h *= 1099511628211ULL;
    }
  }
  return h;
}

/* ---- PRNG and small helpers ------------------------------------------------------------ */

typedef struct { uint32_t s; } wl_rng;

static inline uint32_t wl_next(wl_rng *r) { /* mulberry32 */
  uint32_t t = (r->s += 0x6d2b79f5u);
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  return t ^ (t >> 14);
}
static inline int wl_int(wl_rng *r, int lo, int hi) { return lo + (int)(wl_next(r) % (uint32_t)(hi - lo + 1)); }

static inline uint32_t wl_hash(uint32_t x) {
  x ^= x >> 16; x *= 0x7feb352du; x ^= x >> 15; x *= 0x846ca68bu; x ^= x >> 16;
  return x;
}

static inline void wl_fill(uint32_t *fb, int x, int y, int w, int h, uint32_t c) {
  for (int j = y; j < y + h; j++)
    for (int i = x; i < x + w; i++) fb[j * WL_W + i] = c;
}

/* Glyph cells are 10x20; a glyph is 2..5 of 14 segments inside an 8x14 box at (1,3). */
#define CELL_W 10
#define CELL_H 20

static void wl_glyph(uint32_t *fb, int x, int y, unsigned char ch, uint32_t fg, uint32_t bg) {
  wl_fill(fb, x, y, CELL_W, CELL_H, bg);
  if (ch == ' ') return;
  /* segment: x0,y0,x1,y1 in the 8x14 box (inclusive), a 1- or 2-px stroke */
  static const int seg[14][4] = {
      {1, 0, 6, 0},  {1, 6, 6, 6},  {1, 13, 6, 13}, {0, 1, 0, 5}, {7, 1, 7, 5}, {0, 7, 0, 12}, {7, 7, 7, 12},
      {3, 1, 3, 5},  {4, 7, 4, 12}, {1, 3, 6, 3},   {1, 10, 6, 10}, {2, 9, 5, 12}, {5, 1, 2, 5}, {6, 8, 6, 12}};
  uint32_t h = wl_hash(ch * 2654435761u + 17);
  int n = 2 + (int)(h % 4);
  for (int s = 0; s < n; s++) {
    const int *g = seg[(h >> (4 + 4 * s)) % 14];
    int dx = g[2] > g[0] ? 1 : g[2] < g[0] ? -1 : 0, dy = g[3] > g[1] ? 1 : g[3] < g[1] ? -1 : 0;
    int px = g[0], py = g[1];
    for (;;) {
      fb[(y + 3 + py) * WL_W + x + 1 + px] = fg;
      if (px == g[2] && py == g[3]) break;
      if (px != g[2]) px += dx;
      if (py != g[3]) py += dy;
    }
  }
}

static void wl_text(uint32_t *fb, int x, int y, const char *s, uint32_t fg, uint32_t bg) {
  for (; *s; s++, x += CELL_W) wl_glyph(fb, x, y, (unsigned char)*s, fg, bg);
}

/* ---- the workload state ------------------------------------------------------------------ */

enum { WL_TERMINAL, WL_IDLE, WL_VIDEO, WL_DRAG };

#define TERM_COLS (WL_W / CELL_W) /* 192 */
#define TERM_ROWS (WL_H / CELL_H) /* 54 */

typedef struct {
  int kind;
  uint32_t *fb;   /* the screen */
  uint32_t *bg;   /* drag: the static background */
  wl_rng rng;
  /* terminal */
  int row, col;         /* cursor cell */
  int typing_left;      /* characters of the command still to type */
  int output_left;      /* output lines still to print */
  /* idle */
  int clock_s;
  /* drag */
  int win_x, win_y;
} workload;

/* Frame k's intended time, microseconds after the first replayed frame (frame 1 at 0). */
static inline uint32_t wl_time_us(const workload *w, uint32_t k) {
  uint32_t period = w->kind == WL_IDLE ? 500000u : 33333u;
  return k == 0 ? 0 : (k - 1) * period + (w->kind == WL_IDLE ? 0 : (k - 1) / 3); /* 30 fps: 33333.33 us */
}

static int wl_kind(const char *name) {
  if (!strcmp(name, "terminal")) return WL_TERMINAL;
  if (!strcmp(name, "idle")) return WL_IDLE;
  if (!strcmp(name, "video")) return WL_VIDEO;
  if (!strcmp(name, "drag")) return WL_DRAG;
  return -1;
}

/* terminal ---------------------------------------------------------------------------------- */

#define TERM_FG 0xc8c8c8u
#define TERM_BG 0x101418u
#define TERM_PROMPT 0x5fd75fu
static const char TERM_PROMPT_TEXT[] = "user@vm:~/src/project$ ";

static void term_scroll(workload *w) {
  memmove(w->fb, w->fb + CELL_H * WL_W, (size_t)(WL_H - CELL_H) * WL_W * 4);
  wl_fill(w->fb, 0, WL_H - CELL_H, WL_W, CELL_H, TERM_BG);
}

static void term_cursor(workload *w, int on) {
  int x = w->col * CELL_W, y = w->row * CELL_H;
  wl_fill(w->fb, x, y, CELL_W, CELL_H, on ? TERM_FG : TERM_BG);
}

/* Moves to the start of the next line; returns 1 if the screen scrolled. */
static int term_newline(workload *w) {
  w->col = 0;
  if (w->row + 1 < TERM_ROWS) { w->row++; return 0; }
  term_scroll(w);
  return 1;
}

static char term_char(workload *w, int word_pos) {
  static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789_-./";
  return word_pos < 0 ? ' ' : alpha[wl_next(&w->rng) % (sizeof alpha - 1)];
}

/* Prints one output line of random words at the cursor row. */
static void term_output_line(workload *w) {
  int len = wl_int(&w->rng, 10, 150), word = wl_int(&w->rng, 2, 12);
  for (int i = 0; i < len && w->col < TERM_COLS; i++) {
    char c = word-- > 0 ? term_char(w, 1) : (word = wl_int(&w->rng, 2, 12), ' ');
    wl_glyph(w->fb, w->col * CELL_W, w->row * CELL_H, (unsigned char)c, TERM_FG, TERM_BG);
    w->col++;
  }
}

static void term_prompt(workload *w) {
  wl_text(w->fb, 0, w->row * CELL_H, TERM_PROMPT_TEXT, TERM_PROMPT, TERM_BG);
  w->col = (int)sizeof TERM_PROMPT_TEXT - 1;
  w->typing_left = wl_int(&w->rng, 8, 40);
}

static void term_init(workload *w) {
  wl_fill(w->fb, 0, 0, WL_W, WL_H, TERM_BG);
  w->row = 0;
  w->col = 0;
  for (int r = 0; r < TERM_ROWS - 1; r++) { /* a screenful of earlier output */
    term_output_line(w);
    term_newline(w);
  }
  term_prompt(w);
  term_cursor(w, 1);
}

static int term_step(workload *w, wl_rect *rects) {
  int x0 = w->col * CELL_W, y0 = w->row * CELL_H, x1 = x0 + CELL_W, scrolled = 0;
  term_cursor(w, 0);
  if (w->typing_left > 0) {
    char c = w->typing_left % 7 == 0 ? ' ' : term_char(w, 1);
    wl_glyph(w->fb, w->col * CELL_W, w->row * CELL_H, (unsigned char)c, TERM_FG, TERM_BG);
    w->col++;
    if (--w->typing_left == 0) w->output_left = -1; /* Enter on the next frame */
  } else if (w->output_left == -1) {
    scrolled |= term_newline(w);
    w->output_left = wl_int(&w->rng, 5, 40);
  } else {
    for (int i = 0; i < 3 && w->output_left > 0; i++, w->output_left--) {
      term_output_line(w);
      scrolled |= term_newline(w);
    }
    if (w->output_left == 0) term_prompt(w);
  }
  term_cursor(w, 1);
  if (scrolled) {
    rects[0] = (wl_rect){0, 0, WL_W, WL_H};
    return 1;
  }
  /* no scroll: the cells between the old and the new cursor (same or following rows) */
  int nx0 = 0, ny0 = y0, nx1 = WL_W, ny1 = (w->row + 1) * CELL_H;
  if (w->row * CELL_H == y0) { nx0 = x0; nx1 = (w->col + 1) * CELL_W; if (nx1 < x1) nx1 = x1; }
  rects[0] = (wl_rect){nx0, ny0, nx1 - nx0, ny1 - ny0};
  return 1;
}

/* idle -------------------------------------------------------------------------------------- */

#define IDLE_CARET_X 700
#define IDLE_CARET_Y 400
#define IDLE_CLOCK_X (WL_W - 100)
#define IDLE_CLOCK_Y (WL_H - 30)

static void idle_clock(workload *w) {
  char s[16];
  int t = w->clock_s;
  s[0] = (char)('0' + (t / 36000) % 10); s[1] = (char)('0' + (t / 3600) % 10); s[2] = ':';
  s[3] = (char)('0' + (t / 600) % 6);    s[4] = (char)('0' + (t / 60) % 10);   s[5] = ':';
  s[6] = (char)('0' + (t / 10) % 6);     s[7] = (char)('0' + t % 10);          s[8] = 0;
  wl_text(w->fb, IDLE_CLOCK_X, IDLE_CLOCK_Y, s, 0xffffffu, 0x202a3au);
}

static void idle_init(workload *w) {
  for (int y = 0; y < WL_H; y++) /* a soft diagonal gradient wallpaper */
    for (int x = 0; x < WL_W; x++) {
      uint32_t r = 30 + (uint32_t)(x * 40 / WL_W), g = 60 + (uint32_t)(y * 60 / WL_H), b = 110 + (uint32_t)((x + y) * 60 / (WL_W + WL_H));
      w->fb[y * WL_W + x] = (r << 16) | (g << 8) | b;
    }
  wl_fill(w->fb, 0, WL_H - 40, WL_W, 40, 0x202a3au);                 /* taskbar */
  for (int i = 0; i < 6; i++) wl_fill(w->fb, 10 + i * 50, WL_H - 34, 28, 28, 0x4060a0u + (uint32_t)i * 0x101010u);
  wl_fill(w->fb, 560, 300, 800, 500, 0xf0f0f0u);                       /* a window with a form */
  wl_fill(w->fb, 560, 300, 800, 30, 0x3050a0u);
  wl_text(w->fb, 570, 305, "Settings - Network", 0xffffffu, 0x3050a0u);
  wl_text(w->fb, 590, 360, "Host name:", 0x202020u, 0xf0f0f0u);
  wl_fill(w->fb, 690, 395, 400, 30, 0xffffffu);
  wl_text(w->fb, 590, 440, "The machine is idle; only the caret blinks and the clock ticks.", 0x202020u, 0xf0f0f0u);
  w->clock_s = 12 * 3600 + 34 * 60 + 56;
  idle_clock(w);
}

static int idle_step(workload *w, uint32_t k, wl_rect *rects) {
  int n = 0;
  wl_fill(w->fb, IDLE_CARET_X, IDLE_CARET_Y, 2, 20, (k & 1) ? 0x000000u : 0xffffffu);
  rects[n++] = (wl_rect){IDLE_CARET_X, IDLE_CARET_Y, 2, 20};
  if ((k & 1) == 0) {
    w->clock_s++;
    idle_clock(w);
    rects[n++] = (wl_rect){IDLE_CLOCK_X, IDLE_CLOCK_Y, 8 * CELL_W, CELL_H};
  }
  return n;
}

/* video ------------------------------------------------------------------------------------- */

static int16_t wl_sin[1024];

static void video_init(workload *w) {
  /* integer sine table without libm: a parabola per half period is close enough for a plasma */
  for (int i = 0; i < 1024; i++) {
    int p = i % 512, v = (p * (512 - p)) >> 8; /* 0..256 */
    wl_sin[i] = (int16_t)(i < 512 ? v : -v);
  }
  (void)w;
}

static void video_draw(workload *w, uint32_t k) {
  static int sx[WL_W], sd[WL_W + WL_H];
  int t = (int)k;
  for (int x = 0; x < WL_W; x++) sx[x] = wl_sin[(x * 3 + t * 11) & 1023];
  for (int d = 0; d < WL_W + WL_H; d++) sd[d] = wl_sin[(d + t * 5) & 1023];
  for (int y = 0; y < WL_H; y++) {
    int sy = wl_sin[(y * 2 + t * 7) & 1023] + wl_sin[(y + t * 3) * 3 & 1023];
    const int *dd = sd + y;
    uint32_t *row = w->fb + y * WL_W;
    for (int x = 0; x < WL_W; x++) {
      int v = sy + sx[x] + dd[x]; /* -1024..1024 */
      uint32_t r = (uint32_t)(128 + ((v * 57) >> 9)) & 0xff, g = (uint32_t)(128 + (v >> 3) + (x >> 5)) & 0xff,
               b = (uint32_t)(128 - ((v * 51) >> 9) + (y >> 4)) & 0xff;
      row[x] = (r << 16) | (g << 8) | b;
    }
  }
}

static int video_step(workload *w, uint32_t k, wl_rect *rects) {
  video_draw(w, k);
  rects[0] = (wl_rect){0, 0, WL_W, WL_H};
  return 1;
}

/* drag -------------------------------------------------------------------------------------- */

#define DRAG_W 640
#define DRAG_H 420

static void drag_background(workload *w) {
  for (int y = 0; y < WL_H; y++)
    for (int x = 0; x < WL_W; x++) { /* coloured 8x8 blocks with a pattern inside: a busy picture */
      uint32_t h = wl_hash((uint32_t)((y >> 3) * 512 + (x >> 3)));
      uint32_t c = h & 0x7f7f7fu;
      if (((x ^ y) & 7) == 0) c |= 0x808080u;
      w->bg[y * WL_W + x] = c;
    }
  for (int i = 0; i < 60; i++) { /* icons with labels */
    int ix = 40 + (i % 12) * 150, iy = 40 + (i / 12) * 200;
    wl_fill(w->bg, ix, iy, 64, 64, 0xe0c040u ^ (uint32_t)(i * 0x050a10));
    char label[12];
    for (int j = 0; j < 10; j++) label[j] = (char)('a' + (wl_hash((uint32_t)(i * 16 + j)) % 26));
    label[10] = 0;
    wl_text(w->bg, ix - 10, iy + 70, label, 0xffffffu, 0x000000u);
  }
}

static void drag_window(workload *w) {
  int x = w->win_x, y = w->win_y;
  wl_fill(w->fb, x, y, DRAG_W, DRAG_H, 0xfafafau);
  wl_fill(w->fb, x, y, DRAG_W, 28, 0x2a5db0u);
  wl_text(w->fb, x + 8, y + 4, "Document.txt - Editor", 0xffffffu, 0x2a5db0u);
  for (int l = 0; l < 18; l++) {
    char line[64];
    for (int j = 0; j < 60; j++) {
      uint32_t h = wl_hash((uint32_t)(l * 64 + j));
      line[j] = h % 6 == 0 ? ' ' : (char)('a' + h % 26);
    }
    line[60] = 0;
    wl_text(w->fb, x + 10, y + 36 + l * CELL_H, line, 0x202020u, 0xfafafau);
  }
}

static void drag_pos(uint32_t k, int *x, int *y) {
  /* a slow figure of eight over the screen, 10 to 20 px per frame */
  int a = (int)(k * 5) & 1023, b = (int)(k * 10 + 256) & 1023;
  *x = (WL_W - DRAG_W) / 2 + wl_sin[a] * ((WL_W - DRAG_W) / 2) / 257;
  *y = (WL_H - DRAG_H) / 2 + wl_sin[b] * ((WL_H - DRAG_H) / 2 - 20) / 257;
}

static void drag_init(workload *w) {
  video_init(w); /* the sine table */
  drag_background(w);
  memcpy(w->fb, w->bg, (size_t)WL_W * WL_H * 4);
  drag_pos(0, &w->win_x, &w->win_y);
  drag_window(w);
}

static int drag_step(workload *w, uint32_t k, wl_rect *rects) {
  int ox = w->win_x, oy = w->win_y;
  for (int j = oy; j < oy + DRAG_H; j++) memcpy(w->fb + j * WL_W + ox, w->bg + j * WL_W + ox, DRAG_W * 4);
  drag_pos(k, &w->win_x, &w->win_y);
  drag_window(w);
  rects[0] = (wl_rect){ox, oy, DRAG_W, DRAG_H};
  rects[1] = (wl_rect){w->win_x, w->win_y, DRAG_W, DRAG_H};
  return 2;
}

/* ---- the interface -------------------------------------------------------------------------- */

/* Sets up workload `kind` and draws frame 0 (the whole screen, tag 0). Returns 0 or -1. */
static int wl_init(workload *w, int kind) {
  memset(w, 0, sizeof *w);
  w->kind = kind;
  w->rng.s = 0x5eed0000u + (uint32_t)kind;
  w->fb = (uint32_t *)calloc((size_t)WL_W * WL_H, 4);
  if (!w->fb) return -1;
  switch (kind) {
  case WL_TERMINAL: term_init(w); break;
  case WL_IDLE: idle_init(w); break;
  case WL_VIDEO: video_init(w); video_draw(w, 0); break;
  case WL_DRAG:
    w->bg = (uint32_t *)malloc((size_t)WL_W * WL_H * 4);
    if (!w->bg) return -1;
    drag_init(w);
    break;
  default: return -1;
  }
  wl_fill(w->fb, FRAME_TAG_X, FRAME_TAG_Y, FRAME_TAG_SIZE, FRAME_TAG_SIZE, frame_tag_colour(0));
  return 0;
}

/*
 * Makes frame k (k >= 1) in w->fb and fills `rects` (room for WL_MAX_RECTS) with what changed,
 * the tag block last. Returns the number of rects. The tag's new colour is drawn last, after the
 * other rects' pixels were final, so a rect that covers the tag carries the previous frame's tag.
 */
static int wl_step(workload *w, uint32_t k, wl_rect *rects) {
  int n;
  /* the old tag stays under the content, as the last frame left it */
  switch (w->kind) {
  case WL_TERMINAL: n = term_step(w, rects); break;
  case WL_IDLE: n = idle_step(w, k, rects); break;
  case WL_VIDEO: n = video_step(w, k, rects); break;
  default: n = drag_step(w, k, rects); break;
  }
  wl_fill(w->fb, FRAME_TAG_X, FRAME_TAG_Y, FRAME_TAG_SIZE, FRAME_TAG_SIZE, frame_tag_colour(k - 1));
  rects[n++] = (wl_rect){FRAME_TAG_X, FRAME_TAG_Y, FRAME_TAG_SIZE, FRAME_TAG_SIZE};
  return n;
}

/* Writes frame k's tag colour into the screen (call after the other rects were emitted). */
static inline void wl_tag(workload *w, uint32_t k) {
  wl_fill(w->fb, FRAME_TAG_X, FRAME_TAG_Y, FRAME_TAG_SIZE, FRAME_TAG_SIZE, frame_tag_colour(k));
}

#endif
