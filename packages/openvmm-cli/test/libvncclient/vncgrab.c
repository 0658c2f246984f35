/*
 * vncgrab: grab one full frame from a VNC server with libvncclient (LibVNCServer 0.9.x) and
 * write it as a binary PPM. Used by the end-to-end tests as an independent client.
 *
 *   vncgrab [-e "zlib raw"] [-b 8|16|32] [-s PRESET] [-B] [-q none|0-9] [-z 0-9] [-t SECS] [-w MS] [-p PASSWORD] [-c CA.pem] -o out.ppm HOST PORT
 *
 *   -e  encodings to advertise, in preference order (libvncclient's appData.encodingsString)
 *   -b  bits per pixel: without -s, picks the preset for that size (32 rgb888, 16 rgb565,
 *       8 bgr233); with -s, must match the preset
 *   -s  pixel format preset: rgb888 bgr888 (32 bpp), rgb565 rgb555 (16 bpp), bgr233 (8 bpp).
 *       The name lists channels from the most significant bits down, e.g. rgb565 is red at
 *       shift 11, green at 5, blue at 0; bgr888 is red at shift 0 (what noVNC asks for).
 *   -B  big-endian pixels (default: little-endian)
 *   -q  JPEG quality level 0..9 sent with Tight (pseudo-encoding -32 + level), or "none" to
 *       turn JPEG off (no quality level sent: Tight stays lossless). Default: libvncclient's.
 *   -z  compression level 0..9 sent with Tight/Zlib (pseudo-encoding -256 + level).
 *   -t  give up after SECS seconds (default 10)
 *   -p  password for VNC Authentication (also inside VeNCrypt TLSVnc/X509Vnc)
 *   -c  CA certificate file (PEM) for VeNCrypt's X509 subtypes: without it libvncclient cannot
 *       take an X509 subtype (it asks GetCredential for the CA; this program answers only then)
 *   -w  once a full frame has arrived, keep following updates (asking for more, as a viewer
 *       does) until the server has sent nothing for MS milliseconds, then write the picture:
 *       for tests that change the screen while the client watches
 *
 * The requested format is written into client->format before rfbInitClient, which sends it to
 * the server as SetPixelFormat. libvncclient stores received pixels untouched (in that format,
 * with that byte order), so this program decodes each pixel itself and expands every channel
 * value v with maximum m to 8 bits as
 *
 *     out = (v * 255 + m / 2) / m        (integer division: v*255/m rounded half up)
 *
 * The test computes its expected picture with the same formula.
 *
 * It stops after the first FramebufferUpdate at the end of which every pixel has been received
 * at least once. The encoding of each pixel rect is found through the GotBitmap hook: in
 * libvncclient 0.9.14 a Raw rect is handed over from client->buffer and a Zlib rect from
 * client->raw_buffer (the inflate output). Those are the only two encodings this program is
 * meant to be used with; any other pixel-carrying rect is counted as "other".
 *
 * CopyRect rects are applied by libvncclient's own copy (chained from the GotCopyRect hook,
 * which only counts them).
 *
 * Output: one JSON line on stdout, e.g.
 *   {"width":1024,"height":768,"bpp":16,"updates":2,"rects":{"raw":0,"zlib":1,"other":0,"pseudo":1,"copyrect":0}}
 * "pseudo" counts rects that carried no pixels (e.g. the QEMU extended key event marker).
 * Exit codes: 0 ok, 1 usage or output file error, 2 connect/handshake failed (or timed out),
 * 3 timeout waiting for the frame, 4 connection lost or protocol error.
 */

#include <rfb/rfbclient.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Per-run state, reachable from the libvncclient callbacks. */
static uint8_t *covered;          /* one flag per framebuffer pixel: received yet? */
static long coveredCount;         /* number of flags set */
static int bitmapKind = -1;       /* kind of the GotBitmap calls since the last rect ended */
static long rects[5];             /* rects per kind, see KIND_* */
static GotCopyRectProc libCopyRect; /* libvncclient's own CopyRect handler */
static long updates;              /* FramebufferUpdate messages handled */
static int complete;              /* set when an update ends with every pixel covered */

enum { KIND_RAW, KIND_ZLIB, KIND_OTHER, KIND_PSEUDO, KIND_COPY };

static void die(int code, const char *msg) {
  fprintf(stderr, "vncgrab: %s\n", msg);
  exit(code);
}

static void onAlarm(int sig) {
  static const char msg[] = "vncgrab: timed out (hard limit)\n";
  (void)sig;
  if (write(2, msg, sizeof msg - 1) < 0) { /* nothing more to do */ }
  _exit(3);
}

/* Allocates (or reallocates, on a size change) the coverage map with the framebuffer. */
static rfbBool mallocFrameBuffer(rfbClient *cl) {
  size_t n = (size_t)cl->width * cl->height;
  free(cl->frameBuffer);
  free(covered);
  cl->frameBuffer = malloc(n * (cl->format.bitsPerPixel / 8));
  covered = calloc(n, 1);
  coveredCount = 0;
  return cl->frameBuffer && covered ? TRUE : FALSE;
}

/* Copies a decoded block into the framebuffer (replacing libvncclient's own copy) and notes
 * which encoding delivered it and which pixels it covered. */
static void gotBitmap(rfbClient *cl, const uint8_t *buf, int x, int y, int w, int h) {
  int bpp = cl->format.bitsPerPixel / 8;
  if (x < 0 || y < 0 || w < 0 || h < 0 || x + w > cl->width || y + h > cl->height) {
    fprintf(stderr, "vncgrab: rect out of bounds %dx%d at %d,%d\n", w, h, x, y);
    return;
  }
  if (buf == (const uint8_t *)cl->buffer) bitmapKind = KIND_RAW;
  else if (buf == (const uint8_t *)cl->raw_buffer) bitmapKind = KIND_ZLIB;
  else bitmapKind = KIND_OTHER;
  for (int row = 0; row < h; row++) {
    memcpy(cl->frameBuffer + ((size_t)(y + row) * cl->width + x) * bpp, buf + (size_t)row * w * bpp,
           (size_t)w * bpp);
    uint8_t *c = covered + (size_t)(y + row) * cl->width + x;
    for (int i = 0; i < w; i++)
      if (!c[i]) { c[i] = 1; coveredCount++; }
  }
}

/* A CopyRect: counted, then applied by libvncclient's own copy. Its pixels come from the
 * client's picture, so it covers nothing new. */
static void gotCopyRect(rfbClient *cl, int sx, int sy, int w, int h, int dx, int dy) {
  bitmapKind = KIND_COPY;
  libCopyRect(cl, sx, sy, w, h, dx, dy);
}

/* Called once per rect after it was handled: attribute it to the encoding seen. Tile decoders
 * (ZRLE) write most tiles straight into client->frameBuffer (solid tiles through GotFillRect,
 * palette and RLE tiles directly), so GotBitmap sees only some of their pixels, or none: a rect
 * with pixels that did not come in through a Raw or Zlib GotBitmap is counted as "other" and
 * covered as a whole. Pseudo rects that reach this callback have no area. */
static void gotRect(rfbClient *cl, int x, int y, int w, int h) {
  if (bitmapKind != KIND_RAW && bitmapKind != KIND_ZLIB && bitmapKind != KIND_COPY && w > 0 && h > 0 && x >= 0 && y >= 0 &&
      x + w <= cl->width && y + h <= cl->height) {
    for (int row = 0; row < h; row++) {
      uint8_t *c = covered + (size_t)(y + row) * cl->width + x;
      for (int i = 0; i < w; i++)
        if (!c[i]) { c[i] = 1; coveredCount++; }
    }
    bitmapKind = KIND_OTHER;
  }
  rects[bitmapKind < 0 ? KIND_PSEUDO : bitmapKind]++;
  bitmapKind = -1;
}

/* Called once per FramebufferUpdate message. */
static void finishedUpdate(rfbClient *cl) {
  updates++;
  if (coveredCount == (long)cl->width * cl->height) complete = 1;
}

/* Reads pixel i of the framebuffer as an unsigned value, honouring size and byte order. */
static uint32_t pixelValue(const rfbClient *cl, size_t i) {
  const uint8_t *p = cl->frameBuffer + i * (cl->format.bitsPerPixel / 8);
  switch (cl->format.bitsPerPixel) {
  case 8: return p[0];
  case 16: return cl->format.bigEndian ? (uint32_t)(p[0] << 8 | p[1]) : (uint32_t)(p[1] << 8 | p[0]);
  default:
    return cl->format.bigEndian ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                                : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
  }
}

/* One channel expanded to 8 bits: (v * 255 + m / 2) / m, see the top of the file. */
static uint8_t expand(uint32_t pixel, int shift, int max) {
  uint32_t v = (pixel >> shift) & (uint32_t)max;
  return max ? (uint8_t)((v * 255 + (uint32_t)max / 2) / (uint32_t)max) : 0;
}

static void writePpm(const rfbClient *cl, const char *path) {
  const rfbPixelFormat *f = &cl->format;
  FILE *out = fopen(path, "wb");
  if (!out) die(1, "cannot open the output file");
  fprintf(out, "P6\n%d %d\n255\n", cl->width, cl->height);
  for (size_t i = 0; i < (size_t)cl->width * cl->height; i++) {
    uint32_t px = pixelValue(cl, i);
    uint8_t rgb[3] = {expand(px, f->redShift, f->redMax), expand(px, f->greenShift, f->greenMax),
                      expand(px, f->blueShift, f->blueMax)};
    fwrite(rgb, 1, 3, out);
  }
  if (fclose(out) != 0) die(1, "cannot write the output file");
}

/* Sets bpp, depth, maxes and shifts for a preset name; returns 0 for an unknown name. */
static int applyPreset(rfbPixelFormat *f, const char *name) {
  static const struct { const char *name; int bpp, depth, rmax, gmax, bmax, rs, gs, bs; } presets[] = {
      {"rgb888", 32, 24, 255, 255, 255, 16, 8, 0},
      {"bgr888", 32, 24, 255, 255, 255, 0, 8, 16},
      {"rgb565", 16, 16, 31, 63, 31, 11, 5, 0},
      {"rgb555", 16, 15, 31, 31, 31, 10, 5, 0},
      {"bgr233", 8, 8, 7, 7, 3, 0, 3, 6},
  };
  for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
    if (strcmp(presets[i].name, name) != 0) continue;
    f->bitsPerPixel = presets[i].bpp;
    f->depth = presets[i].depth;
    f->redMax = presets[i].rmax;
    f->greenMax = presets[i].gmax;
    f->blueMax = presets[i].bmax;
    f->redShift = presets[i].rs;
    f->greenShift = presets[i].gs;
    f->blueShift = presets[i].bs;
    return 1;
  }
  return 0;
}

/* The password for VNC Authentication (-p), handed to libvncclient when the server asks. */
static const char *password = NULL;

static char *getPassword(rfbClient *cl) {
  (void)cl;
  return strdup(password ? password : ""); /* libvncclient frees it */
}

/* The CA file for VeNCrypt X509 subtypes (-c), handed over when libvncclient asks. */
static const char *caFile = NULL;

static rfbCredential *getCredential(rfbClient *cl, int type) {
  (void)cl;
  if (type != rfbCredentialTypeX509 || !caFile) return NULL;
  rfbCredential *c = calloc(1, sizeof *c); /* libvncclient frees it and its strings */
  if (!c) return NULL;
  c->x509Credential.x509CACertFile = strdup(caFile);
  c->x509Credential.x509CrlVerifyMode = rfbX509CrlVerifyNone;
  return c;
}

int main(int argc, char **argv) {
  const char *encodings = "raw", *preset = NULL, *outPath = NULL;
  const char *quality = NULL;
  int bpp = 0, bigEndian = 0, compress = -1, opt;
  double timeout = 10, quietMs = 0;
  while ((opt = getopt(argc, argv, "e:b:s:Bq:z:t:o:p:c:w:")) != -1) {
    switch (opt) {
    case 'e': encodings = optarg; break;
    case 'b': bpp = atoi(optarg); break;
    case 's': preset = optarg; break;
    case 'B': bigEndian = 1; break;
    case 'q': quality = optarg; break;
    case 'z': compress = atoi(optarg); break;
    case 't': timeout = atof(optarg); break;
    case 'w': quietMs = atof(optarg); break;
    case 'o': outPath = optarg; break;
    case 'p': password = optarg; break;
    case 'c': caFile = optarg; break;
    default: die(1, "usage: vncgrab [-e ENCS] [-b 8|16|32] [-s PRESET] [-B] [-q none|0-9] [-z 0-9] [-t SECS] [-w MS] [-p PASSWORD] [-c CA.pem] -o OUT.ppm HOST PORT");
    }
  }
  if (!outPath || optind + 2 != argc) die(1, "usage: vncgrab [-e ENCS] [-b 8|16|32] [-s PRESET] [-B] [-q none|0-9] [-z 0-9] [-t SECS] [-w MS] [-p PASSWORD] [-c CA.pem] -o OUT.ppm HOST PORT");
  if (!preset) preset = bpp == 8 ? "bgr233" : bpp == 16 ? "rgb565" : "rgb888";

  /* 8 bits per sample, 3 samples, 4 bytes per pixel; the format is then replaced below. */
  rfbClient *cl = rfbGetClient(8, 3, 4);
  if (!cl) die(2, "rfbGetClient failed");
  if (!applyPreset(&cl->format, preset)) die(1, "unknown pixel format preset");
  if (bpp && bpp != cl->format.bitsPerPixel) die(1, "-b does not match the preset's bits per pixel");
  cl->format.bigEndian = bigEndian ? TRUE : FALSE;
  cl->format.trueColour = TRUE;
  cl->appData.encodingsString = encodings;
  cl->appData.shareDesktop = TRUE;
  if (quality && strcmp(quality, "none") == 0) {
    cl->appData.enableJPEG = FALSE;
  } else if (quality) {
    cl->appData.enableJPEG = TRUE;
    cl->appData.qualityLevel = atoi(quality);
  }
  if (compress >= 0) cl->appData.compressLevel = compress;
  cl->GetPassword = getPassword;
  if (caFile) cl->GetCredential = getCredential;
  cl->MallocFrameBuffer = mallocFrameBuffer;
  cl->GotBitmap = gotBitmap;
  libCopyRect = cl->GotCopyRect;
  cl->GotCopyRect = gotCopyRect;
  cl->GotFrameBufferUpdate = gotRect;
  cl->FinishedFrameBufferUpdate = finishedUpdate;
  free(cl->serverHost);
  cl->serverHost = strdup(argv[optind]);
  cl->serverPort = atoi(argv[optind + 1]);
  cl->connectTimeout = (unsigned)timeout + 1;
  cl->readTimeout = (unsigned)timeout + 1; /* a read stalled mid-message fails after this */
  signal(SIGALRM, onAlarm);                /* and a hard limit on the whole run */
  alarm((unsigned)timeout + 2);

  /* Connects, handshakes (security None), sends SetPixelFormat, SetEncodings and a full
   * non-incremental FramebufferUpdateRequest. On failure it frees the client. */
  if (!rfbInitClient(cl, NULL, NULL)) die(2, "could not connect to the VNC server");

  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (!complete) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    double left = timeout - ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9);
    if (left <= 0) die(3, "timed out before a full frame arrived");
    /* WaitForMessage only looks at the socket: a message already in libvncclient's read
     * buffer (cl->buffered) must be handled without waiting for more bytes. */
    int ready = cl->buffered > 0 ? 1 : WaitForMessage(cl, left < 0.1 ? (unsigned)(left * 1e6) + 1 : 100000);
    if (ready < 0) die(4, "connection lost");
    if (ready > 0 && !HandleRFBServerMessage(cl)) die(4, "connection lost or protocol error");
  }

  /* -w: follow the screen until it has been quiet for quietMs. libvncclient asks for the next
   * incremental update after each one it handles. */
  while (quietMs > 0) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    double left = timeout - ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9);
    if (left <= 0) die(3, "timed out before the screen went quiet");
    double wait = quietMs / 1e3 < left ? quietMs / 1e3 : left;
    int ready = cl->buffered > 0 ? 1 : WaitForMessage(cl, (unsigned)(wait * 1e6) + 1);
    if (ready < 0) die(4, "connection lost");
    if (ready == 0) break; /* quiet */
    if (!HandleRFBServerMessage(cl)) die(4, "connection lost or protocol error");
  }

  writePpm(cl, outPath);
  printf("{\"width\":%d,\"height\":%d,\"bpp\":%d,\"updates\":%ld,"
         "\"rects\":{\"raw\":%ld,\"zlib\":%ld,\"other\":%ld,\"pseudo\":%ld,\"copyrect\":%ld}}\n",
         cl->width, cl->height, cl->format.bitsPerPixel, updates, rects[KIND_RAW], rects[KIND_ZLIB],
         rects[KIND_OTHER], rects[KIND_PSEUDO], rects[KIND_COPY]);
  rfbClientCleanup(cl);
  free(covered);
  return 0;
}
