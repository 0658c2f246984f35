/*
 * rfbmeter - the one measuring client of the `peers` benchmark: the same binary against every
 * server. libvncclient does the protocol and the decoding; this program watches.
 *
 *   rfbmeter [-e ENCODINGS] [-c LEVEL] [-n LAST_FRAME] [-w WARM_FRAME] [-t TIMEOUT_S] [-o FRAME_LOG] HOST PORT
 *
 * It connects (shared), asks for the servers' native pixel format (32 bpp, depth 24, little
 * endian, red/green/blue shifts 16/8/0, so no server converts pixels), offers ENCODINGS (a
 * libvncclient list such as "raw", "zlib" or "zrle raw"; default "raw") plus libvncclient's
 * pseudo-encodings and the cursor ones (with zlib or zrle also CompressLevel LEVEL, default 1:
 * the level our server always uses, so that libvncserver's Zlib compresses at the same level;
 * libvncclient sends it with zlib only, so the SetEncodings filter below appends it when the list
 * has ZRLE: none of the three servers lets it set the ZRLE level, the runner sets that on the
 * peers' side), moves the pointer to the bottom-right corner (TigerVNC then keeps the
 * pointer out of the pixels), and keeps one incremental FramebufferUpdateRequest outstanding
 * (libvncclient sends the next as soon as an update is decoded).
 *
 * After every decoded FramebufferUpdate it reads the frame-number tag (workloads.h: a 16x16
 * block at the top-left corner whose colour encodes k) and, when k is new, logs
 * "k t_ns rfb_bytes updates" to FRAME_LOG: t_ns is CLOCK_MONOTONIC, the clock the feeders log
 * their writes with, and rfb_bytes the RFB bytes received so far. It prints "READY" once the
 * first update is decoded, "WARM" when it first sees a frame >= WARM_FRAME, "LAST" when it sees
 * LAST_FRAME (the runner samples the server's CPU time at these two), and exits 300 ms after
 * that (or on SIGTERM, or after TIMEOUT_S, default 120), printing one JSON line: updates, frames seen, RFB bytes,
 * TCP bytes received (TCP_INFO), bad tags, and the checksum of the whole picture it holds
 * (workloads.h wl_checksum), to compare with the generator's final screen. Bad tags are counted
 * only after a first good one (an update that carries no pixels yet, such as a cursor, leaves
 * the block black).
 *
 * RFB bytes are counted by defining ReadFromRFBServer here: libvncclient calls its exported
 * ReadFromRFBServer/WriteToRFBServer through the PLT, so these definitions see every call and
 * forward to the library's own (dlsym RTLD_NEXT). WriteToRFBServer also drops the
 * ExtendedDesktopSize pseudo-encoding from SetEncodings: TigerVNC answers a non-incremental
 * request from a client that has it with that pseudo-rect alone, so without the filter the
 * first picture would never arrive from Xvnc. Every server gets the same filtered list.
 *
 * Exit status: 0 ok, 1 could not connect, 3 timed out before LAST_FRAME, 4 connection lost.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_received */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rfb/rfbclient.h>

#include "framestream.h"
#include "workloads.h"

#ifndef rfbEncodingExtDesktopSize
#define rfbEncodingExtDesktopSize 0xFFFFFECC
#endif
#define ENC_ZRLE 16u
#define ENC_COMPRESS_LEVEL0 0xFFFFFF00u /* CompressLevel 0..9: 0xFFFFFF00..0xFFFFFF09 */

static unsigned long long rfb_bytes;
static unsigned long updates, frames_seen, bad_tags;
static long last_k = -1, want_last = -1, want_warm = -1;
static int warm_printed;
static uint64_t saw_last_ns;
static FILE *frame_log;
static volatile sig_atomic_t stop_flag;
static int ready_printed;
static int compress_level = 1;

typedef rfbBool (*read_fn)(rfbClient *, char *, unsigned int);
typedef rfbBool (*write_fn)(rfbClient *, const char *, unsigned int);

rfbBool ReadFromRFBServer(rfbClient *client, char *out, unsigned int n) {
  static read_fn real;
  if (!real) real = (read_fn)dlsym(RTLD_NEXT, "ReadFromRFBServer");
  rfbBool ok = real(client, out, n);
  if (ok) rfb_bytes += n;
  return ok;
}

rfbBool WriteToRFBServer(rfbClient *client, const char *buf, unsigned int n) {
  static write_fn real;
  if (!real) real = (write_fn)dlsym(RTLD_NEXT, "WriteToRFBServer");
  /* SetEncodings: type 2, pad, u16 count, count x s32 */
  if (n >= 4 && (unsigned char)buf[0] == rfbSetEncodings) {
    unsigned count = ((unsigned char)buf[2] << 8) | (unsigned char)buf[3];
    if (n == 4 + 4 * count) {
      char tmp[4 + 4 * 65];
      unsigned kept = 0;
      int has_zrle = 0, has_level = 0;
      if (count > 64) return real(client, buf, n);
      memcpy(tmp, buf, 4);
      for (unsigned i = 0; i < count; i++) {
        const unsigned char *e = (const unsigned char *)buf + 4 + 4 * i;
        uint32_t enc = ((uint32_t)e[0] << 24) | ((uint32_t)e[1] << 16) | ((uint32_t)e[2] << 8) | e[3];
        if (enc == (uint32_t)rfbEncodingExtDesktopSize) continue;
        if (enc == ENC_ZRLE) has_zrle = 1;
        if (enc >= ENC_COMPRESS_LEVEL0 && enc <= ENC_COMPRESS_LEVEL0 + 9) has_level = 1;
        memcpy(tmp + 4 + 4 * kept++, e, 4);
      }
      /* libvncclient sends CompressLevel with zlib/tight only; with ZRLE the meter adds it */
      if (has_zrle && !has_level && compress_level >= 0 && compress_level <= 9) {
        uint32_t enc = ENC_COMPRESS_LEVEL0 + (uint32_t)compress_level;
        unsigned char *d = (unsigned char *)tmp + 4 + 4 * kept++;
        d[0] = (unsigned char)(enc >> 24);
        d[1] = (unsigned char)(enc >> 16);
        d[2] = (unsigned char)(enc >> 8);
        d[3] = (unsigned char)enc;
      }
      tmp[2] = (char)(kept >> 8);
      tmp[3] = (char)kept;
      return real(client, tmp, 4 + 4 * kept);
    }
  }
  return real(client, buf, n);
}

static void on_update(rfbClient *client) {
  uint64_t t = now_ns();
  updates++;
  if (!ready_printed) {
    ready_printed = 1;
    printf("READY\n");
    fflush(stdout);
  }
  const uint32_t *fb = (const uint32_t *)client->frameBuffer;
  long k = frame_tag_decode(fb[(FRAME_TAG_Y + FRAME_TAG_SIZE / 2) * client->width + FRAME_TAG_X + FRAME_TAG_SIZE / 2]);
  if (k < 0) {
    /* before any pixels (e.g. an update with only the cursor) the block is still black */
    if (last_k >= 0) bad_tags++;
    return;
  }
  if (k == last_k) return;
  last_k = k;
  frames_seen++;
  if (frame_log) fprintf(frame_log, "%ld %llu %llu %lu\n", k, (unsigned long long)t, rfb_bytes, updates);
  if (want_warm >= 0 && k >= want_warm && !warm_printed) {
    warm_printed = 1;
    printf("WARM\n");
    fflush(stdout);
  }
  if (want_last >= 0 && k >= want_last && !saw_last_ns) {
    saw_last_ns = t;
    printf("LAST\n");
    fflush(stdout);
  }
}

static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static void quiet_log(const char *fmt, ...) { (void)fmt; }

static unsigned long long tcp_bytes_received(int sock) {
  struct tcp_info ti;
  socklen_t len = sizeof ti;
  memset(&ti, 0, sizeof ti);
  if (getsockopt(sock, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return 0;
  return (unsigned long long)ti.tcpi_bytes_received;
}

int main(int argc, char **argv) {
  const char *enc = "raw", *log_path = NULL;
  double timeout_s = 120;
  int opt;
  while ((opt = getopt(argc, argv, "e:c:n:w:t:o:v")) != -1) {
    switch (opt) {
    case 'e': enc = optarg; break;
    case 'c': compress_level = atoi(optarg); break;
    case 'n': want_last = strtol(optarg, NULL, 10); break;
    case 'w': want_warm = strtol(optarg, NULL, 10); break;
    case 't': timeout_s = atof(optarg); break;
    case 'o': log_path = optarg; break;
    case 'v': break;
    default:
      fprintf(stderr, "usage: rfbmeter [-e ENCODINGS] [-c LEVEL] [-n LAST_FRAME] [-w WARM_FRAME] [-t TIMEOUT_S] [-o FRAME_LOG] HOST PORT\n");
      return 2;
    }
  }
  if (optind + 2 != argc) {
    fprintf(stderr, "rfbmeter: HOST and PORT required\n");
    return 2;
  }
  if (!getenv("RFBMETER_VERBOSE")) rfbClientLog = rfbClientErr = quiet_log;
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);
  if (log_path && !(frame_log = fopen(log_path, "w"))) {
    perror(log_path);
    return 2;
  }

  rfbClient *client = rfbGetClient(8, 3, 4);
  client->format.bitsPerPixel = 32;
  client->format.depth = 24;
  client->format.bigEndian = 0;
  client->format.trueColour = 1;
  client->format.redMax = client->format.greenMax = client->format.blueMax = 255;
  client->format.redShift = 16;
  client->format.greenShift = 8;
  client->format.blueShift = 0;
  client->appData.encodingsString = enc;
  client->appData.compressLevel = compress_level; /* sent as CompressLevelN with zlib (and, by the filter, zrle; not with raw) */
  client->appData.enableJPEG = FALSE; /* Tight lossless: no quality level (only Tight sends one) */
  client->appData.useRemoteCursor = TRUE;
  client->appData.shareDesktop = TRUE;
  client->FinishedFrameBufferUpdate = on_update;
  client->serverHost = strdup(argv[optind]);
  client->serverPort = atoi(argv[optind + 1]);
  uint64_t t0 = now_ns();
  if (!rfbInitClient(client, NULL, NULL)) { /* frees the client on failure */
    printf("{\"error\":\"connect failed\"}\n");
    return 1;
  }
  uint64_t t_connected = now_ns();
  SendPointerEvent(client, client->width - 1, client->height - 1, 0);

  int status = 0;
  uint64_t deadline = t0 + (uint64_t)(timeout_s * 1e9);
  while (!stop_flag) {
    uint64_t now = now_ns();
    if (saw_last_ns && now - saw_last_ns > 300000000ull) break;
    if (now > deadline) {
      status = 3;
      break;
    }
    int r = WaitForMessage(client, 50000);
    if (r < 0) {
      status = 4;
      break;
    }
    if (r > 0 && !HandleRFBServerMessage(client)) {
      status = 4;
      break;
    }
  }
  if (want_last >= 0 && !saw_last_ns && status == 0) status = 3;
  unsigned long long tcp = tcp_bytes_received(client->sock);
  uint64_t sum = wl_checksum((const uint32_t *)client->frameBuffer, (size_t)client->width * client->height);
  if (frame_log) fclose(frame_log);
  char name[64] = "";
  for (int i = 0; client->desktopName && client->desktopName[i] && i < 63; i++) {
    char c = client->desktopName[i];
    name[i] = (c == '"' || c == '\\' || (unsigned char)c < 32) ? '_' : c;
    name[i + 1] = 0;
  }
  printf("{\"status\":%d,\"width\":%d,\"height\":%d,\"updates\":%lu,\"frames\":%lu,\"lastFrame\":%ld,\"badTags\":%lu,"
         "\"rfbBytes\":%llu,\"tcpBytes\":%llu,\"connectMs\":%.3f,\"checksum\":\"%016llx\",\"desktop\":\"%s\"}\n",
         status, client->width, client->height, updates, frames_seen, last_k, bad_tags, rfb_bytes, tcp,
         (t_connected - t0) / 1e6, (unsigned long long)sum, name);
  fflush(stdout);
  rfbClientCleanup(client);
  return status;
}
