/**
 * The hostile-input harness: a coordinator over real VRAM with its log captured, a well-behaved
 * "witness" client that stays connected through every hostile case, and raw sockets that send
 * hostile bytes and report how the server ended them.
 *
 * The witness keeps a mirror of the screen. {@link Hostile.checkWitness} changes one pixel in
 * VRAM, reports it as device dirt, and reads updates until the witness's mirror equals the whole
 * framebuffer again: a hung event loop, a crashed server, a corrupted update stream or a region
 * that was lost for good (dirt that never reached this client) all fail it.
 *
 * Timeouts here are hang guards only; no test asserts a speed unless it says so.
 */

import * as net from 'node:net';
import { type DirtyRect, FramebufferView, type InputEvent, type LogRecord, type MouseInput, Vram, createLogger } from '@openvmm-vnc-ts/video-core';
import { vncAuthResponse } from '@openvmm-vnc-ts/vnc';
import { defaultVncParameters, type VncParameters } from '@openvmm-vnc-ts/vnc-worker-defs';
import { expect } from 'vitest';
import { type CoordinatorFramebuffer, VncCoordinator } from '../../src/coordinator.js';
import { ENC_DESKTOP_SIZE, ENC_RAW, RfbTestClient } from '../helpers.js';
import type { UpdateRect } from '../../../vnc/test/helpers/rfb-client.js';

export { Prng } from '../../../vnc/test/helpers/prng.js';

/** Hang guard for one wait (ms). */
export const HANG_GUARD_MS = 5000;

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it holds; throws after `timeoutMs` (a hang guard). */
export async function until(cond: () => boolean, what: string, timeoutMs = HANG_GUARD_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(2);
  }
}

/** Runs `fn` over `items` with at most `concurrency` at once; results in input order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/** Big-endian helpers for building hostile messages. */
export function u8(...bytes: number[]): Buffer {
  return Buffer.from(bytes);
}
export function be16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
}
export function be32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

// ---------------------------------------------------------------------------------------------
// The witness

/** A well-behaved 3.8 client that mirrors the screen (Raw, DesktopSize) and always has a request outstanding. */
export class Witness {
  width: number;
  height: number;
  /** The screen as this client has received it, 4 bytes per pixel in the server's format. */
  mirror: Uint8Array;
  /** FramebufferUpdates read so far. */
  updates = 0;
  /** DesktopSize announcements read so far. */
  resizes = 0;

  private constructor(
    readonly client: RfbTestClient,
    width: number,
    height: number,
  ) {
    this.width = width;
    this.height = height;
    this.mirror = new Uint8Array(width * height * 4);
  }

  /**
   * Connects, handshakes (3.8, shared; None, or VNC Authentication when `password` is given),
   * asks for Raw + DesktopSize and the whole frame.
   */
  static async connect(port: number, password?: string): Promise<Witness> {
    const c = await RfbTestClient.connect(port);
    let init: { width: number; height: number };
    if (password === undefined) init = (await c.handshake('3.8')).init;
    else {
      await c.readExactly(12);
      c.write(Buffer.from('RFB 003.008\n', 'latin1'));
      const types = await c.readExactly(await c.readU8());
      if (!types.includes(2)) throw new Error(`VNC Authentication not offered: ${[...types]}`);
      c.write(u8(2));
      c.write(vncAuthResponse(await c.readExactly(16), password));
      const result = await c.readU32();
      if (result !== 0) throw new Error(`witness authentication failed (${result})`);
      c.write(u8(1));
      init = await c.readServerInit();
    }
    const w = new Witness(c, init.width, init.height);
    c.setEncodings([ENC_RAW, ENC_DESKTOP_SIZE]);
    c.requestUpdate(false, 0, 0, 0xffff, 0xffff);
    return w;
  }

  /** Applies one update's rects to the mirror. */
  apply(rects: readonly UpdateRect[]): void {
    for (const r of rects) {
      if (r.encoding === ENC_DESKTOP_SIZE) {
        this.width = r.w;
        this.height = r.h;
        this.mirror = new Uint8Array(r.w * r.h * 4);
        this.resizes++;
        continue;
      }
      if (r.encoding !== ENC_RAW) throw new Error(`witness got unexpected encoding ${r.encoding}`);
      if (r.x + r.w > this.width || r.y + r.h > this.height) {
        throw new Error(`witness got rect ${r.w}x${r.h}+${r.x}+${r.y} past its ${this.width}x${this.height} screen`);
      }
      for (let row = 0; row < r.h; row++) {
        this.mirror.set(r.data.subarray(row * r.w * 4, (row + 1) * r.w * 4), ((r.y + row) * this.width + r.x) * 4);
      }
    }
  }

  /** True when the mirror has `view`'s size and every pixel. */
  matches(view: FramebufferView): boolean {
    if (view.width !== this.width || view.height !== this.height) return false;
    const row = new Uint8Array(this.width * 4);
    for (let y = 0; y < this.height; y++) {
      view.readRow(y, 0, this.width, row, 0);
      const m = this.mirror.subarray(y * this.width * 4, (y + 1) * this.width * 4);
      if (Buffer.compare(row, m) !== 0) return false;
    }
    return true;
  }

  /** The mirrored pixel at (`x`, `y`) as 0x00RRGGBB. */
  pixel(x: number, y: number): number {
    const o = (y * this.width + x) * 4;
    return (this.mirror[o]! | (this.mirror[o + 1]! << 8) | (this.mirror[o + 2]! << 16)) >>> 0;
  }

  /**
   * Reads updates (answering each with an incremental request, so one stays outstanding) until
   * at least `minUpdates` were read and the mirror equals `view`.
   */
  async syncTo(view: FramebufferView, minUpdates = 1, timeoutMs = HANG_GUARD_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let read = 0;
    while (read < minUpdates || !this.matches(view)) {
      const left = deadline - Date.now();
      if (left <= 0 || this.client.isEnded) {
        throw new Error(
          `witness out of sync: ${this.client.isEnded ? 'connection closed' : 'no matching update in time'} ` +
            `(mirror ${this.width}x${this.height}, screen ${view.width}x${view.height}, ${read} updates read)`,
        );
      }
      let rects: UpdateRect[];
      try {
        rects = await this.client.readUpdate(left);
      } catch (err) {
        throw new Error(`witness out of sync: ${(err as Error).message} (${read} updates read)`);
      }
      this.apply(rects);
      this.updates++;
      read++;
      this.client.requestUpdate(true, 0, 0, this.width, this.height);
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Raw hostile connections

/** A raw TCP connection to the server, recording everything it receives and how it ended. */
export class RawConn {
  private readonly chunks: Buffer[] = [];
  private cursor = 0;
  /** Bytes received in total. */
  received = 0;
  /** The server ended its side (FIN) or reset the connection. */
  serverEnded = false;
  /** The socket has closed. */
  closed = false;
  /** When the server ended (ms since epoch). */
  endedAt: number | undefined;
  /** True once this side ended or destroyed the connection. */
  clientEnded = false;
  /**
   * Index into the harness's log at the time this connection was opened: its records come
   * after it (ports are reused, so an older record may name the same address and port).
   */
  logMark = 0;
  private wake: (() => void) | undefined;
  readonly whenClosed: Promise<void>;

  /** The local port (what the server logs as the remote port); kept after the socket closes. */
  readonly localPort: number;
  /** The local address (what the server logs as the remote address). */
  readonly localAddress: string;

  private constructor(readonly socket: net.Socket) {
    this.localPort = socket.localPort!;
    this.localAddress = socket.localAddress!;
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.received += c.length;
      this.poke();
    });
    socket.on('error', () => {
      if (!this.clientEnded) this.markServerEnd();
    });
    socket.on('end', () => this.markServerEnd());
    this.whenClosed = new Promise((resolve) =>
      socket.on('close', () => {
        if (!this.clientEnded) this.markServerEnd();
        this.closed = true;
        this.poke();
        resolve();
      }),
    );
  }

  static open(port: number, localAddress?: string): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
      s.once('connect', () => resolve(new RawConn(s)));
      s.once('error', reject);
    });
  }

  private markServerEnd(): void {
    if (this.serverEnded) return;
    this.serverEnded = true;
    this.endedAt = Date.now();
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Everything received so far. */
  all(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Bytes received but not yet consumed by {@link RawConn.read}. */
  get unread(): number {
    return this.received - this.cursor;
  }

  /** Waits for and consumes exactly `n` bytes. */
  async read(n: number, timeoutMs = HANG_GUARD_MS): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.unread < n) {
      if (this.closed) throw new Error(`connection closed with ${this.unread} of ${n} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out reading ${n} bytes (have ${this.unread})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    const out = this.all().subarray(this.cursor, this.cursor + n);
    this.cursor += n;
    return Buffer.from(out);
  }

  write(bytes: Uint8Array | string): void {
    if (!this.socket.writable) return;
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Writes and resolves once the bytes are handed to the kernel (back-pressure respected). */
  writeAndDrain(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (!this.socket.writable) return resolve();
      this.socket.write(bytes, () => resolve());
    });
  }

  /**
   * The 3.8 handshake with security None, shared; returns the ServerInit's width and height.
   * `greetingRead`: the server's version was already consumed.
   */
  async handshake38(greetingRead = false): Promise<{ width: number; height: number }> {
    if (!greetingRead) await this.read(12);
    this.write('RFB 003.008\n');
    await this.read(2);
    this.write(u8(1));
    await this.read(4);
    this.write(u8(1));
    const init = await this.read(24);
    await this.read(init.readUInt32BE(20));
    return { width: init.readUInt16BE(0), height: init.readUInt16BE(2) };
  }

  /** Half-closes (FIN) from this side. */
  end(): void {
    this.clientEnded = true;
    this.socket.end();
  }

  destroy(): void {
    this.clientEnded = true;
    this.socket.destroy();
  }

  /** Resolves true once the server ended the connection, false after `timeoutMs`. */
  async waitServerEnd(timeoutMs = HANG_GUARD_MS): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.serverEnded) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return true;
  }
}

/** What a hostile case sends and how it ends. */
export interface HostileCase {
  /**
   * What happens before the hostile bytes: `none` sends them at once (before the server's
   * greeting, so they also go through protocol detection), `greeting` waits for the server's
   * 12-byte version first, `3.8` completes a 3.8 / None handshake through ServerInit. Default `3.8`.
   */
  before?: 'none' | 'greeting' | '3.8';
  /** The hostile bytes; an array is written as separate writes. */
  bytes: Uint8Array | readonly Uint8Array[];
  /**
   * After sending: `wait` waits for the server to end the connection (hang guard, then the client
   * gives up and ends it); `end` waits until the server has consumed every byte (or closed),
   * then half-closes from the client side. Default `wait`.
   */
  then?: 'wait' | 'end';
  /** Connect from this local address (another loopback address, for per-address state). */
  localAddress?: string;
  /** Hang guard for the server's close in `wait` (ms). Default {@link HANG_GUARD_MS}. */
  hangGuardMs?: number;
}

/** How the server ended a hostile connection. */
export interface Outcome {
  /** The server ended the connection on its own (before the client did). */
  serverClosed: boolean;
  /** Milliseconds from the last hostile write to the server's end (undefined if it did not end it). */
  ms: number | undefined;
  /** Bytes the server sent after the hostile bytes were written. */
  back: Buffer;
  /** The server's client id for this connection (undefined when it was refused before RFB). */
  id: number | undefined;
  /** `code` of the logged 'connection closed with error' record; undefined for a clean close. */
  code: string | undefined;
  /** The logged error message, if any. */
  error: string | undefined;
  /** The connection was still open after the server consumed every byte (only for `then: 'end'`). */
  openAfterBytes: boolean | undefined;
  /** The server's `inspect()` of this client just before the client ended it (only for `then: 'end'`). */
  stateBeforeEnd: Record<string, unknown> | undefined;
}

/** Options for {@link Hostile.start}. */
export interface HostileOptions {
  /** Parameter overrides (listener, update interval and client limit have test defaults). */
  params?: Partial<VncParameters>;
  width?: number;
  height?: number;
  /** Connect the witness at start (default true). */
  witness?: boolean;
  /**
   * How {@link Hostile.checkWitness} reports its change: `device` as device dirt (the default;
   * the first dirt turns the coordinator's tile diff off for good), `diff` not at all, leaving it
   * to the coordinator's tile diff.
   */
  dirtMode?: 'device' | 'diff';
  /** Wraps the view before the coordinator gets it (e.g. to act in the middle of a frame read). */
  framebuffer?: (view: FramebufferView) => CoordinatorFramebuffer;
}

const started = new Set<Hostile>();

/** A coordinator under hostile input, with a witness and captured logs. */
export class Hostile {
  /** Keyboard events that reached the guest. */
  keyEvents = 0;
  /** Mouse events that reached the guest. */
  mouseEvents = 0;
  /** The most recent mouse events that reached the guest (last 64). */
  readonly mouse: MouseInput[] = [];
  /** Every hostile socket opened (destroyed on stop). */
  readonly sockets = new Set<RawConn>();
  witness: Witness | undefined;
  /** How {@link Hostile.checkWitness} reports its change (see {@link HostileOptions.dirtMode}). */
  dirtMode: 'device' | 'diff' = 'device';
  /** The server's id for the witness. */
  witnessId: number | undefined;
  /** The VNC Authentication password the server runs with, if any. */
  password: string | undefined;
  private probe = 0;

  private constructor(
    readonly vram: Vram,
    readonly view: FramebufferView,
    readonly vnc: VncCoordinator,
    /** Every record the coordinator logged (debug and up; per-update records left out). */
    readonly logs: LogRecord[],
  ) {}

  private onInput(e: InputEvent): void {
    if (e.kind === 'keyboard') this.keyEvents++;
    else {
      this.mouseEvents++;
      this.mouse.push(e);
      if (this.mouse.length > 64) this.mouse.shift();
    }
  }

  /** Starts a coordinator on 127.0.0.1 (free port) over real VRAM, with a debug log and (by default) a synced witness. */
  static async start(options: HostileOptions = {}): Promise<Hostile> {
    const width = options.width ?? 64;
    const height = options.height ?? 32;
    const vram = new Vram();
    const view = new FramebufferView(vram, { width, height, stride: width * 4, offset: 0 });
    // A recognisable picture, so a wrong rect or offset shows.
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) writePixel(vram, view, x, y, ((x * 4) << 16) | ((y * 8) << 8) | ((x ^ y) & 0xff));
    const params = defaultVncParameters({ listener: { host: '127.0.0.1', port: 0 }, updateIntervalMs: 5, maxClients: 64, ...options.params });
    let h: Hostile | undefined;
    const logs: LogRecord[] = [];
    const logger = createLogger('vnc-test', {
      level: 'debug',
      sink: (r) => {
        if (r.message !== 'update') logs.push(r);
      },
    });
    const vnc = await VncCoordinator.start(
      params,
      {
        framebuffer: options.framebuffer ? options.framebuffer(view) : view,
        input: { send: (e) => h?.onInput(e) },
      },
      logger,
    );
    h = new Hostile(vram, view, vnc, logs);
    started.add(h);
    h.password = params.password;
    h.dirtMode = options.dirtMode ?? 'device';
    if (options.witness ?? true) await h.addWitness();
    return h;
  }

  /** The listening port. */
  get port(): number {
    return this.vnc.address().port;
  }

  /** Connects a witness and syncs it to the whole frame. */
  async addWitness(): Promise<Witness> {
    const w = await Witness.connect(this.port, this.password);
    this.witness = w;
    this.witnessId = this.idFor(w.client.socket.localPort!);
    if (this.witnessId === undefined) throw new Error('witness not found in the log');
    await w.syncTo(this.view, 1);
    return w;
  }

  /** Writes one pixel (0x00RRGGBB) into VRAM at the current format. */
  setPixel(x: number, y: number, rgb: number): void {
    writePixel(this.vram, this.view, x, y, rgb);
  }

  /** The VRAM pixel at (`x`, `y`) as 0x00RRGGBB. */
  pixel(x: number, y: number): number {
    const f = this.view.format;
    const o = f.offset + y * f.stride + x * 4;
    const b = this.vram.bytes;
    return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) >>> 0;
  }

  /** Device dirt, as the synthvid DIRT channel would report it. */
  dirt(...rects: DirtyRect[]): void {
    this.vnc.dirt(rects);
  }

  /**
   * The key property: changes a pixel, reports it as device dirt (unless `dirtMode` is `diff`:
   * then the coordinator's tile diff must find it), and waits until the witness
   * has the new pixel and a mirror equal to the whole framebuffer. Returns the latency (ms).
   */
  async checkWitness(timeoutMs = HANG_GUARD_MS): Promise<number> {
    const w = this.witness;
    if (!w) throw new Error('no witness connected');
    const { width, height } = this.view;
    const i = this.probe++;
    const x = (i * 7 + 3) % width;
    const y = (i * 5 + 1) % height;
    let rgb = (0x3b5f1d * (i + 1) + 0x102030) & 0xffffff;
    if (rgb === this.pixel(x, y)) rgb ^= 0x010101;
    this.setPixel(x, y, rgb);
    const t0 = Date.now();
    if (this.dirtMode === 'device') this.dirt({ left: x, top: y, right: x + 1, bottom: y + 1 });
    await w.syncTo(this.view, 1, timeoutMs);
    expect(w.pixel(x, y), `witness pixel (${x},${y})`).toBe(rgb);
    expect(this.vnc.clientCount, 'the witness is still a client').toBeGreaterThanOrEqual(1);
    return Date.now() - t0;
  }

  /**
   * The server's id for the connection from `address`:`port` (`ws`: over WebSocket), looking at
   * records from index `from` on (ports are reused: pass the connection's {@link RawConn.logMark}).
   */
  idFor(port: number, ws = false, address = '127.0.0.1', from = 0): number | undefined {
    const remote = `${address}:${port}${ws ? ' (websocket)' : ''}`;
    for (let i = this.logs.length - 1; i >= from; i--) {
      const l = this.logs[i]!;
      if (l.message === 'client connected' && l.fields.remote === remote) return l.fields.id as number;
    }
    return undefined;
  }

  /** The server's id for raw connection `c` (`ws`: over WebSocket), once known. */
  idOfConn(c: RawConn, ws = false): number | undefined {
    return this.idFor(c.localPort, ws, c.localAddress, c.logMark);
  }

  /** True once the coordinator logged that client `id` disconnected. */
  disconnected(id: number): boolean {
    return this.logs.some((l) => l.message === 'client disconnected' && l.fields.id === id);
  }

  /** The error record of client `id`'s close, if it closed with an error. */
  closeError(id: number): LogRecord | undefined {
    return this.logs.find((l) => l.message === 'connection closed with error' && l.fields.client === id);
  }

  /** Records logged for client `id` by its connection (component `vnc`). */
  recordsFor(id: number): LogRecord[] {
    return this.logs.filter((l) => l.fields.client === id);
  }

  /** Client `id`'s `inspect()` entry, while connected. */
  client(id: number): Record<string, unknown> | undefined {
    const list = this.vnc.inspect().clients as Record<string, unknown>[];
    return list.find((c) => c.id === id);
  }

  /** Opens a raw connection (tracked; destroyed on stop). */
  async open(localAddress?: string): Promise<RawConn> {
    const mark = this.logs.length;
    const c = await RawConn.open(this.port, localAddress);
    c.logMark = mark;
    this.sockets.add(c);
    void c.whenClosed.then(() => this.sockets.delete(c));
    return c;
  }

  /** Waits until the server knows the connection from `c` as a client; returns its id. */
  async idOf(c: RawConn, ws = false): Promise<number> {
    let id: number | undefined;
    await until(() => (id = this.idOfConn(c, ws)) !== undefined, `client id for port ${c.localPort}`);
    return id!;
  }

  /** Runs one hostile byte sequence on a fresh socket and reports how the server ended it. */
  async run(hc: HostileCase): Promise<Outcome> {
    const c = await this.open(hc.localAddress);
    const before = hc.before ?? '3.8';
    let handshakeBytes = 0;
    if (before === 'greeting') await c.read(12);
    if (before === '3.8') {
      await c.handshake38();
      handshakeBytes = 14;
    }
    const chunks = hc.bytes instanceof Uint8Array ? [hc.bytes] : hc.bytes;
    let sent = 0;
    for (const chunk of chunks) {
      await c.writeAndDrain(chunk);
      sent += chunk.length;
    }
    const mark = c.received;
    const t0 = Date.now();
    let openAfterBytes: boolean | undefined;
    let stateBeforeEnd: Record<string, unknown> | undefined;
    if ((hc.then ?? 'wait') === 'wait') {
      await c.waitServerEnd(hc.hangGuardMs ?? HANG_GUARD_MS);
      if (!c.serverEnded) c.end();
    } else {
      const id = await this.idOf(c);
      const need = handshakeBytes + sent;
      await until(() => c.serverEnded || this.disconnected(id) || ((this.client(id)?.bytesReceived as number | undefined) ?? 0) >= need, 'server consumed the bytes');
      // Let any reply the bytes caused arrive.
      await delay(20);
      openAfterBytes = !c.serverEnded && !this.disconnected(id);
      stateBeforeEnd = this.client(id);
      if (!c.serverEnded) c.end();
    }
    const serverClosed = c.serverEnded && !c.clientEnded;
    await c.whenClosed;
    const id = this.idOfConn(c);
    if (id !== undefined) await until(() => this.disconnected(id), `client ${id} disconnected`);
    const rec = id === undefined ? undefined : this.closeError(id);
    return {
      serverClosed,
      ms: serverClosed ? c.endedAt! - t0 : undefined,
      back: c.all().subarray(mark),
      id,
      code: rec?.fields.code as string | undefined,
      error: rec?.fields.error as string | undefined,
      openAfterBytes,
      stateBeforeEnd,
    };
  }

  /** Stops the coordinator and destroys the witness and every hostile socket. */
  async stop(): Promise<void> {
    started.delete(this);
    this.witness?.destroy();
    for (const s of this.sockets) s.destroy();
    await this.vnc.stop();
  }
}

/** Stops every harness still running (for `afterAll`). */
export async function stopAllHostile(): Promise<void> {
  for (const h of [...started]) await h.stop();
}

function writePixel(vram: Vram, view: FramebufferView, x: number, y: number, rgb: number): void {
  const f = view.format;
  const o = f.offset + y * f.stride + x * 4;
  vram.bytes[o] = rgb & 0xff;
  vram.bytes[o + 1] = (rgb >>> 8) & 0xff;
  vram.bytes[o + 2] = (rgb >>> 16) & 0xff;
}

/** Expects `o` to be a close by the server with error `code`. */
export function expectClosedWith(o: Outcome, code: string): void {
  expect({ serverClosed: o.serverClosed, code: o.code }).toEqual({ serverClosed: true, code });
}

/** Expects `o` to be a clean close (no error logged) after the client ended it. */
export function expectCleanClientEnd(o: Outcome): void {
  expect({ serverClosed: o.serverClosed, code: o.code, error: o.error }).toEqual({ serverClosed: false, code: undefined, error: undefined });
}
