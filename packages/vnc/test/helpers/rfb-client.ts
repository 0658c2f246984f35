/**
 * A small RFB client for end-to-end tests: connects over TCP, reads the server's bytes through
 * an incremental reader that works over arbitrary chunking, performs the handshake and parses
 * FramebufferUpdates: Raw and Zlib rects at the negotiated bpp (Zlib through ONE persistent
 * inflater per client, as real clients keep), the Cursor, ExtendedDesktopSize and DesktopName
 * pseudo-rects with their bodies, LastRect, and the zero-body DesktopSize / QEMU ext-key rects.
 */
import * as net from 'node:net';
import type { PixelFormat } from '../../src/pixel-format.js';
import { parsePixelFormat } from '../../src/pixel-format.js';
import { PersistentInflater } from './inflater.js';
import {
  type ScreenLayout,
  cutTextMsg,
  keyEventMsg,
  pointerEventMsg,
  qemuKeyEventMsg,
  setDesktopSizeMsg,
  setEncodingsMsg,
  setPixelFormatMsg,
  updateRequestMsg,
} from './rfb-messages.js';

export type ClientVersion = '3.3' | '3.7' | '3.8';

const VERSION_STRINGS: Record<ClientVersion, string> = {
  '3.3': 'RFB 003.003\n',
  '3.7': 'RFB 003.007\n',
  '3.8': 'RFB 003.008\n',
};

export interface ServerInitInfo {
  width: number;
  height: number;
  pixelFormat: PixelFormat;
  /** The 16 raw PIXEL_FORMAT bytes. */
  pixelFormatBytes: Uint8Array;
  name: string;
}

export interface HandshakeResult {
  serverVersion: string;
  /** 3.3: the u32 the server chose; 3.7/3.8: the offered list. */
  securityTypes: number[];
  /** 3.8 only. */
  securityResult: number | undefined;
  init: ServerInitInfo;
}

export interface UpdateRect {
  x: number;
  y: number;
  w: number;
  h: number;
  encoding: number;
  /**
   * Pixel bytes in the client's format: Raw as received, Zlib after inflating, Cursor the
   * w*h pixels (the mask is in `mask`). ExtendedDesktopSize: its body (count, padding,
   * screens); DesktopName: the UTF-8 name bytes. Empty for body-less pseudo-rects.
   */
  data: Uint8Array;
  /** Zlib only: the compressed bytes as received (the u32 length field excluded). */
  compressed?: Uint8Array;
  /** Cursor only: the transparency bitmask, ceil(w/8) bytes per row, MSB = leftmost. */
  mask?: Uint8Array;
  /** ExtendedDesktopSize only: the screens of the layout. */
  screens?: ScreenLayout[];
  /** DesktopName only: the name, decoded as UTF-8. */
  name?: string;
  /** CopyRect only: where the client copies the rect from. */
  src?: { x: number; y: number };
}

export type { ScreenLayout } from './rfb-messages.js';

export const ENC_RAW = 0;
export const ENC_COPY_RECT = 1;
export const ENC_ZLIB = 6;
export const ENC_DESKTOP_SIZE = -223;
export const ENC_LAST_RECT = -224;
/** QEMU LED State pseudo-encoding: one byte (bit 0 scroll, bit 1 num, bit 2 caps). */
export const ENC_LED_STATE = -261;
export const ENC_CURSOR = -239;
export const ENC_QEMU_EXT_KEY = -258;
export const ENC_DESKTOP_NAME = -307;
export const ENC_EXT_DESKTOP_SIZE = -308;
export const ENC_FENCE = -312;
export const ENC_CONTINUOUS_UPDATES = -313;
export const ENC_CURSOR_WITH_ALPHA = -314;
export const ENC_EXT_MOUSE_BUTTONS = -316;
export const ENC_EXT_CLIPBOARD = 0xc0a1e5ce | 0;

/** One server-to-client message, as {@link RfbTestClient.readMessage} returns it. */
export type ServerMessageRead =
  | { kind: 'update'; rects: UpdateRect[] }
  | { kind: 'endOfContinuousUpdates' }
  | { kind: 'fence'; flags: number; payload: Uint8Array }
  /** `length` is the signed length field: negative for the extended clipboard form. */
  | { kind: 'cutText'; length: number; data: Uint8Array };

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An RFB client over a real TCP socket. */
export class RfbTestClient {
  private chunks: Buffer[] = [];
  private available = 0;
  private waiter: (() => void) | undefined;
  private ended = false;
  /** Bytes per pixel of raw rects (from ServerInit, then SetPixelFormat). */
  bytesPerPixel = 4;
  /** The session's one zlib stream (Zlib rects), created on the first Zlib rect. */
  private inflater: PersistentInflater | undefined;
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.available += c.length;
      this.wake();
    });
    socket.on('error', () => {
      /* resets are expected when the server closes on us */
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      });
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
  }

  /** A client over an already connected socket (e.g. a TLS socket after VeNCrypt). */
  static adopt(socket: net.Socket): RfbTestClient {
    return new RfbTestClient(socket);
  }

  /**
   * Stops reading `socket` and hands it back (for a switch to TLS). Throws if bytes were
   * received but not read: they would be lost.
   */
  release(): net.Socket {
    if (this.available > 0) throw new Error(`${this.available} unread bytes at release`);
    for (const ev of ['data', 'end', 'close', 'error']) this.socket.removeAllListeners(ev);
    this.socket.on('error', () => {});
    return this.socket;
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RfbTestClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host);
      s.once('connect', () => resolve(new RfbTestClient(s)));
      s.once('error', reject);
    });
  }

  /** Bytes received but not yet read. */
  get pending(): number {
    return this.available;
  }

  /** True once the server closed the connection (or the socket closed). */
  get isEnded(): boolean {
    return this.ended;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Reads exactly `n` bytes, waiting as long as needed (up to `timeoutMs`). */
  async readExactly(n: number, timeoutMs = 3000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.available < n) {
      if (this.ended) throw new Error(`connection closed after ${this.available} of ${n} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out reading ${n} bytes (have ${this.available})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const take = Math.min(n - filled, c.length);
      out.set(c.subarray(0, take), filled);
      filled += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    this.available -= n;
    return out;
  }

  /** Puts bytes back in front of the unread data. */
  unread(bytes: Uint8Array): void {
    this.chunks.unshift(Buffer.from(bytes));
    this.available += bytes.length;
  }

  /** Reads the next server message of any type this server sends in the normal phase. */
  async readMessage(timeoutMs = 3000): Promise<ServerMessageRead> {
    const type = (await this.readExactly(1, timeoutMs))[0]!;
    switch (type) {
      case 0:
        this.unread(new Uint8Array([0]));
        return { kind: 'update', rects: await this.readUpdate(timeoutMs) };
      case 150:
        return { kind: 'endOfContinuousUpdates' };
      case 248: {
        const head = Buffer.from(await this.readExactly(8, timeoutMs));
        return { kind: 'fence', flags: head.readUInt32BE(3), payload: await this.readExactly(head[7]!, timeoutMs) };
      }
      case 3: {
        const head = Buffer.from(await this.readExactly(7, timeoutMs));
        const length = head.readInt32BE(3);
        return { kind: 'cutText', length, data: await this.readExactly(Math.abs(length), timeoutMs) };
      }
      default:
        throw new Error(`unexpected server message type ${type}`);
    }
  }

  async readU8(): Promise<number> {
    return (await this.readExactly(1))[0]!;
  }

  async readU16(): Promise<number> {
    return Buffer.from(await this.readExactly(2)).readUInt16BE(0);
  }

  async readU32(): Promise<number> {
    return Buffer.from(await this.readExactly(4)).readUInt32BE(0);
  }

  /** Resolves once the socket closes; rejects after `timeoutMs`. */
  async waitClose(timeoutMs = 3000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closed,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out waiting for the server to close the connection')), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Waits `ms` and returns how many unread bytes arrived meanwhile. */
  async bytesArrivingWithin(ms: number): Promise<number> {
    const before = this.available;
    await delay(ms);
    return this.available - before;
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Writes `bytes` one byte per write, pausing `pauseMs` between writes. */
  async writeSlowly(bytes: Uint8Array, pauseMs = 2): Promise<void> {
    for (const b of bytes) {
      this.socket.write(new Uint8Array([b]));
      await delay(pauseMs);
    }
  }

  /** Reads ServerInit (24 bytes plus the name). */
  async readServerInit(): Promise<ServerInitInfo> {
    const head = Buffer.from(await this.readExactly(24));
    const nameLen = head.readUInt32BE(20);
    const name = Buffer.from(await this.readExactly(nameLen)).toString('utf8');
    const pixelFormatBytes = new Uint8Array(head.subarray(4, 20));
    const pixelFormat = parsePixelFormat(pixelFormatBytes);
    this.bytesPerPixel = pixelFormat.bitsPerPixel >> 3;
    return { width: head.readUInt16BE(0), height: head.readUInt16BE(2), pixelFormat, pixelFormatBytes, name };
  }

  /** The whole handshake with security None. */
  async handshake(version: ClientVersion, shared = true): Promise<HandshakeResult> {
    const serverVersion = Buffer.from(await this.readExactly(12)).toString('latin1');
    this.write(Buffer.from(VERSION_STRINGS[version], 'latin1'));
    let securityTypes: number[];
    let securityResult: number | undefined;
    if (version === '3.3') {
      securityTypes = [await this.readU32()];
    } else {
      const count = await this.readU8();
      securityTypes = [...(await this.readExactly(count))];
      this.write(new Uint8Array([1]));
      if (version === '3.8') securityResult = await this.readU32();
    }
    this.write(new Uint8Array([shared ? 1 : 0]));
    const init = await this.readServerInit();
    return { serverVersion, securityTypes, securityResult, init };
  }

  setPixelFormat(pf: PixelFormat): void {
    this.write(setPixelFormatMsg(pf));
    this.bytesPerPixel = pf.bitsPerPixel >> 3;
  }

  setEncodings(encodings: readonly number[]): void {
    this.write(setEncodingsMsg(encodings));
  }

  requestUpdate(incremental: boolean, x: number, y: number, w: number, h: number): void {
    this.write(updateRequestMsg(incremental, x, y, w, h));
  }

  key(down: boolean, keysym: number): void {
    this.write(keyEventMsg(down, keysym));
  }

  qemuKey(down: boolean, keysym: number, keycode: number): void {
    this.write(qemuKeyEventMsg(down, keysym, keycode));
  }

  pointer(buttons: number, x: number, y: number): void {
    this.write(pointerEventMsg(buttons, x, y));
  }

  cutText(text: Uint8Array): void {
    this.write(cutTextMsg(text));
  }

  setDesktopSize(width: number, height: number, screens: readonly ScreenLayout[]): void {
    this.write(setDesktopSizeMsg(width, height, screens));
  }

  /** The persistent Zlib inflater (for its counters); undefined before the first Zlib rect. */
  get zlibInflater(): PersistentInflater | undefined {
    return this.inflater;
  }

  /**
   * Reads one FramebufferUpdate. Raw and Zlib rects at the current bpp (Zlib through the
   * client's one persistent inflater; its output must be exactly w*h*bpp bytes), Cursor,
   * ExtendedDesktopSize and DesktopName with their bodies, zero-body DesktopSize / QEMU ext-key
   * acknowledgement rects, and LastRect (which ends the update; it is included in the result).
   * Throws on any other encoding.
   */
  async readUpdate(timeoutMs = 3000): Promise<UpdateRect[]> {
    const head = Buffer.from(await this.readExactly(4, timeoutMs));
    if (head[0] !== 0) throw new Error(`expected FramebufferUpdate (0), got message type ${head[0]}`);
    const count = head.readUInt16BE(2);
    const rects: UpdateRect[] = [];
    for (let i = 0; i < count; i++) {
      const h = Buffer.from(await this.readExactly(12, timeoutMs));
      const rect = { x: h.readUInt16BE(0), y: h.readUInt16BE(2), w: h.readUInt16BE(4), h: h.readUInt16BE(6), encoding: h.readInt32BE(8) };
      const pixelBytes = rect.w * rect.h * this.bytesPerPixel;
      switch (rect.encoding) {
        case ENC_RAW:
          rects.push({ ...rect, data: await this.readExactly(pixelBytes, timeoutMs) });
          break;
        case ENC_ZLIB: {
          const len = Buffer.from(await this.readExactly(4, timeoutMs)).readUInt32BE(0);
          const compressed = await this.readExactly(len, timeoutMs);
          this.inflater ??= new PersistentInflater();
          const data = this.inflater.push(compressed);
          if (data.length !== pixelBytes) {
            throw new Error(`zlib rect ${rect.w}x${rect.h} inflated to ${data.length} bytes, expected ${pixelBytes}`);
          }
          rects.push({ ...rect, data, compressed });
          break;
        }
        case ENC_CURSOR: {
          const data = await this.readExactly(pixelBytes, timeoutMs);
          const mask = await this.readExactly(((rect.w + 7) >> 3) * rect.h, timeoutMs);
          rects.push({ ...rect, data, mask });
          break;
        }
        case ENC_EXT_DESKTOP_SIZE: {
          const top = await this.readExactly(4, timeoutMs);
          const n = top[0]!;
          const list = Buffer.from(await this.readExactly(16 * n, timeoutMs));
          const screens: ScreenLayout[] = [];
          for (let o = 0; o < list.length; o += 16) {
            screens.push({
              id: list.readUInt32BE(o),
              x: list.readUInt16BE(o + 4),
              y: list.readUInt16BE(o + 6),
              width: list.readUInt16BE(o + 8),
              height: list.readUInt16BE(o + 10),
              flags: list.readUInt32BE(o + 12),
            });
          }
          const data = new Uint8Array(4 + list.length);
          data.set(top, 0);
          data.set(list, 4);
          rects.push({ ...rect, data, screens });
          break;
        }
        case ENC_DESKTOP_NAME: {
          const len = Buffer.from(await this.readExactly(4, timeoutMs)).readUInt32BE(0);
          const data = await this.readExactly(len, timeoutMs);
          rects.push({ ...rect, data, name: Buffer.from(data).toString('utf8') });
          break;
        }
        case ENC_CURSOR_WITH_ALPHA: {
          const head = Buffer.from(await this.readExactly(4, timeoutMs));
          if (head.readInt32BE(0) !== ENC_RAW) throw new Error(`cursor with alpha in encoding ${head.readInt32BE(0)}`);
          rects.push({ ...rect, data: await this.readExactly(rect.w * rect.h * 4, timeoutMs) });
          break;
        }
        case ENC_COPY_RECT: {
          const data = await this.readExactly(4, timeoutMs);
          const b = Buffer.from(data);
          rects.push({ ...rect, data, src: { x: b.readUInt16BE(0), y: b.readUInt16BE(2) } });
          break;
        }
        case ENC_LAST_RECT:
          rects.push({ ...rect, data: new Uint8Array(0) });
          return rects;
        case ENC_LED_STATE:
          rects.push({ ...rect, data: await this.readExactly(1, timeoutMs) });
          break;
        case ENC_DESKTOP_SIZE:
        case ENC_QEMU_EXT_KEY:
        case ENC_EXT_MOUSE_BUTTONS:
          rects.push({ ...rect, data: new Uint8Array(0) });
          break;
        default:
          throw new Error(`unexpected encoding ${rect.encoding}`);
      }
    }
    return rects;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
