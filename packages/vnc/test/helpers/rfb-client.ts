/**
 * A small RFB client for end-to-end tests: connects over TCP, reads the server's bytes through
 * an incremental reader that works over arbitrary chunking, performs the handshake and parses
 * FramebufferUpdates (Raw rects at the negotiated bpp, plus zero-body pseudo-rects).
 */
import * as net from 'node:net';
import type { PixelFormat } from '../../src/pixel-format.js';
import { parsePixelFormat } from '../../src/pixel-format.js';
import {
  cutTextMsg,
  keyEventMsg,
  pointerEventMsg,
  qemuKeyEventMsg,
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
  /** Raw pixel bytes (empty for pseudo-rects). */
  data: Uint8Array;
}

export const ENC_RAW = 0;
export const ENC_DESKTOP_SIZE = -223;
export const ENC_QEMU_EXT_KEY = -258;

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An RFB client over a real TCP socket. */
export class RfbTestClient {
  private chunks: Buffer[] = [];
  private available = 0;
  private waiter: (() => void) | undefined;
  private ended = false;
  /** Bytes per pixel of raw rects (from ServerInit, then SetPixelFormat). */
  bytesPerPixel = 4;
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

  /** Reads one FramebufferUpdate: Raw rects at the current bpp, zero-body pseudo-rects. */
  async readUpdate(timeoutMs = 3000): Promise<UpdateRect[]> {
    const head = Buffer.from(await this.readExactly(4, timeoutMs));
    if (head[0] !== 0) throw new Error(`expected FramebufferUpdate (0), got message type ${head[0]}`);
    const count = head.readUInt16BE(2);
    const rects: UpdateRect[] = [];
    for (let i = 0; i < count; i++) {
      const h = Buffer.from(await this.readExactly(12, timeoutMs));
      const rect = { x: h.readUInt16BE(0), y: h.readUInt16BE(2), w: h.readUInt16BE(4), h: h.readUInt16BE(6), encoding: h.readInt32BE(8) };
      let data: Uint8Array = new Uint8Array(0);
      if (rect.encoding === ENC_RAW) data = await this.readExactly(rect.w * rect.h * this.bytesPerPixel, timeoutMs);
      else if (rect.encoding !== ENC_DESKTOP_SIZE && rect.encoding !== ENC_QEMU_EXT_KEY) throw new Error(`unexpected encoding ${rect.encoding}`);
      rects.push({ ...rect, data });
    }
    return rects;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
