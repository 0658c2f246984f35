/**
 * Test fixtures for the coordinator: real 8 MiB shared VRAM with a FramebufferView (as OpenVMM's
 * worker tests use real shared memory), a recording input sink, and the RFB test client shared
 * with the `vnc` package's tests.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FramebufferView, type InputEvent, Vram } from '@openvmm-vnc-ts/video-core';
import { defaultVncParameters, type VncParameters } from '@openvmm-vnc-ts/vnc-worker-defs';
import { VncCoordinator } from '../src/coordinator.js';

export { RfbTestClient, ENC_DESKTOP_SIZE, ENC_LED_STATE, ENC_RAW } from '../../vnc/test/helpers/rfb-client.js';

/** A running coordinator over a fresh VRAM. */
export interface Fixture {
  readonly vram: Vram;
  readonly view: FramebufferView;
  readonly input: InputEvent[];
  readonly vnc: VncCoordinator;
  readonly port: number;
  /** Writes one pixel (0x00RRGGBB) into VRAM at the current format. */
  setPixel(x: number, y: number, rgb: number): void;
}

const started: Fixture[] = [];

/** Clients a test opened; {@link stopAll} destroys them. */
export const clients: import('../../vnc/test/helpers/rfb-client.js').RfbTestClient[] = [];

/** Destroys every tracked client and stops every fixture started (register with `afterEach`). */
export async function stopAll(): Promise<void> {
  for (const c of clients.splice(0)) c.destroy();
  for (const f of started.splice(0)) await f.vnc.stop();
}

/** Starts a coordinator on 127.0.0.1 (free port) over a `width` x `height` surface; {@link stopAll} stops it. */
export async function startFixture(overrides: Partial<VncParameters> = {}, width = 64, height = 32): Promise<Fixture> {
  const vram = new Vram();
  const view = new FramebufferView(vram, { width, height, stride: width * 4, offset: 0 });
  const input: InputEvent[] = [];
  const params = defaultVncParameters({ listener: { host: '127.0.0.1', port: 0 }, updateIntervalMs: 5, ...overrides });
  const vnc = await VncCoordinator.start(params, { framebuffer: view, input: { send: (e) => input.push(e) } });
  const fixture: Fixture = {
    vram,
    view,
    input,
    vnc,
    port: vnc.address().port,
    setPixel(x, y, rgb) {
      const f = view.format;
      const o = f.offset + y * f.stride + x * 4;
      vram.bytes[o] = rgb & 0xff;
      vram.bytes[o + 1] = (rgb >>> 8) & 0xff;
      vram.bytes[o + 2] = (rgb >>> 16) & 0xff;
    },
  };
  started.push(fixture);
  return fixture;
}

/** Waits until `cond` holds (polling), or throws after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One WebSocket frame as a test client reads it from the server (see {@link takeServerFrame}). */
export interface ServerFrame {
  /** Opcode (low 4 bits of the first byte). */
  readonly op: number;
  readonly payload: Buffer;
  /** Set when the frame carried a mask (a server must not). */
  readonly masked: boolean;
  /** The RSV bits (a server sends none). */
  readonly rsv: number;
  /** Bytes the whole frame takes in `wire`. */
  readonly size: number;
}

/**
 * The first whole frame at the start of `wire` (bytes from the server after the upgrade
 * response), or `undefined` while it is incomplete. The test clients' own reader, independent of
 * the server's frame code.
 */
export function takeServerFrame(wire: Buffer): ServerFrame | undefined {
  if (wire.length < 2) return undefined;
  let len = wire[1]! & 0x7f;
  let off = 2;
  if (len === 126) {
    if (wire.length < 4) return undefined;
    [len, off] = [wire.readUInt16BE(2), 4];
  } else if (len === 127) {
    if (wire.length < 10) return undefined;
    [len, off] = [Number(wire.readBigUInt64BE(2)), 10];
  }
  const masked = (wire[1]! & 0x80) !== 0;
  if (masked) off += 4;
  if (wire.length < off + len) return undefined;
  let payload = wire.subarray(off, off + len);
  if (masked) {
    const key = wire.subarray(off - 4, off);
    payload = Buffer.from(payload.map((b, i) => b ^ key[i & 3]!));
  }
  return { op: wire[0]! & 0x0f, payload, masked, rsv: wire[0]! & 0x70, size: off + len };
}

let gc: (() => void) | undefined;

/**
 * Live memory after a full collection (`gc()` is exposed at run time, so node needs no
 * --expose-gc): the JS heap plus what native objects report (`external`: zlib streams, socket and
 * TLS buffers), and RSS for reference. RSS is not a leak measure: glibc keeps freed arenas
 * resident, so it moves by tens of MB under load without any leak.
 */
export function liveMemory(): { live: number; rss: number } {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
  const m = process.memoryUsage();
  return { live: m.heapUsed + m.external, rss: m.rss };
}
