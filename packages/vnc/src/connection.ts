/**
 * `VncConnection`: the whole RFB conversation with one client over one socket.
 *
 * Handshake (3.3/3.7/3.8, security None), then the normal phase: the client's pixel format and
 * encodings, its update requests, and its keyboard and pointer events forwarded to the guest.
 * The connection owns a {@link DirtyBitmap} of what this client has not yet been sent; whoever
 * knows what changed on screen (the coordinator, from the device's DIRT or a tile diff) marks
 * it with {@link VncConnection.markDirty}. When the client has a request outstanding and
 * something is dirty, one FramebufferUpdate is built in one buffer and written once. With no
 * request outstanding, dirt simply accumulates: a slow client delays only itself and loses
 * nothing.
 *
 * Multiple connections are the coordinator's business (`vnc-worker`), not this module's.
 */

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { type InputSink, type Logger, silentLogger } from '@openvmm-vnc-ts/video-core';
import { ByteWriter } from './byte-writer.js';
import { ClientParser, type ClientEvent } from './client-parser.js';
import { DirtyBitmap, type Rect } from './dirty-bitmap.js';
import { RawEncoder } from './encodings/raw.js';
import type { RectEncoder } from './encodings/encoder.js';
import { VncError, VncErrorCode } from './errors.js';
import type { FramebufferSource } from './framebuffer-source.js';
import { KeyboardTranslator } from './keyboard.js';
import { PixelConverter } from './pixel-convert.js';
import { SERVER_PIXEL_FORMAT, hasIrregularMax, pixelFormatProblem } from './pixel-format.js';
import { scaleAxis } from './pointer.js';
import { Encoding, MAX_RECTS_PER_UPDATE, SERVER_VERSION_STRING, SecurityType, type RfbVersion, encodingName } from './rfb.js';
import { pseudoRectUpdate, securityResult, securityType33, securityTypes, serverInit } from './server-messages.js';

/** Options for a {@link VncConnection}. */
export interface VncConnectionOptions {
  /** The pixels to serve. */
  framebuffer: FramebufferSource;
  /** Where keyboard and mouse events go. */
  input: InputSink;
  /** Desktop name sent in ServerInit. Default `OpenVMM VM`. */
  name?: string;
  /** Logger; default silent. */
  logger?: Logger;
  /** Close the connection if the handshake is not done within this time (ms). Default 10000. */
  handshakeTimeoutMs?: number;
  /** Do not write updates while more than this many bytes are queued on the socket. Default 8 MiB. */
  maxQueuedBytes?: number;
}

/**
 * Who found a change: the guest's DIRT (`device`), a framebuffer comparison (`diff`), or a
 * reason to resend everything (`full`: first frame, non-incremental request, resize, new pixel
 * format).
 */
export type DirtSource = 'device' | 'diff' | 'full';

/** Connection lifecycle. */
export type ConnectionState = 'handshake' | 'normal' | 'closed';

/** Events: `ready` (handshake done, with the client's shared flag) and `close` (with the error, if any). */
export interface VncConnectionEvents {
  ready: [shared: boolean];
  close: [error: Error | undefined];
}

/** Encodings the server can emit, by preference when the client lists several. */
const RECT_ENCODERS: Record<number, () => RectEncoder> = {
  [Encoding.RAW]: () => new RawEncoder(),
};

/** One RFB client connection. */
export class VncConnection extends EventEmitter<VncConnectionEvents> {
  private readonly parser = new ClientParser();
  private readonly log: Logger;
  private readonly keyboard: KeyboardTranslator;
  private readonly out = new ByteWriter();
  private readonly rects: Rect[] = [];
  private readonly dirty: DirtyBitmap;
  private readonly pendingSources = new Set<DirtSource>();
  private readonly updatesBySource: Record<DirtSource, number> = { device: 0, diff: 0, full: 0 };
  private converter = new PixelConverter(SERVER_PIXEL_FORMAT);
  private encoder: RectEncoder = new RawEncoder();
  private encodings = new Set<number>();
  private version: RfbVersion | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private flushScheduled = false;
  private updateRequested = false;
  /** Size the client currently believes the framebuffer has. */
  private clientWidth: number;
  private clientHeight: number;
  private _state: ConnectionState = 'handshake';
  /** Counters for {@link VncConnection.inspect}. */
  private stats = { updates: 0, rects: 0, bytesSent: 0, bytesReceived: 0, keyEvents: 0, pointerEvents: 0 };

  constructor(
    /** The client's socket. */
    readonly socket: Socket,
    private readonly options: VncConnectionOptions,
  ) {
    super();
    this.log = options.logger ?? silentLogger;
    this.keyboard = new KeyboardTranslator((keysym) =>
      this.log.limited('debug', 'unmapped-keysym', 'keysym has no US scancode; dropped', { keysym: `0x${keysym.toString(16)}` }),
    );
    const fb = options.framebuffer;
    this.clientWidth = fb.width;
    this.clientHeight = fb.height;
    this.dirty = new DirtyBitmap(fb.width, fb.height);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.close(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : err));
    socket.on('close', () => this.close());
    socket.on('drain', () => this.scheduleFlush());
    this.handshakeTimer = setTimeout(
      () => this.close(new VncError(VncErrorCode.HANDSHAKE_TIMEOUT, 'handshake not completed in time')),
      options.handshakeTimeoutMs ?? 10_000,
    );
    this.handshakeTimer.unref?.();
    this.write(Buffer.from(SERVER_VERSION_STRING, 'latin1'));
  }

  /** Current lifecycle state. */
  get state(): ConnectionState {
    return this._state;
  }

  private isClosed(): boolean {
    return this._state === 'closed';
  }

  /**
   * Marks a region (clamped to the screen) as changed; it is sent with the next update.
   * `source` says who found the change, for logs and {@link VncConnection.inspect}.
   */
  markDirty(left: number, top: number, right: number, bottom: number, source: DirtSource = 'device'): void {
    if (this._state === 'closed') return;
    this.dirty.markRect(left, top, right, bottom);
    this.pendingSources.add(source);
    this.scheduleFlush();
  }

  /** Marks the whole screen as changed. */
  markAllDirty(): void {
    this.dirty.markAll();
    this.pendingSources.add('full');
    this.scheduleFlush();
  }

  /** Sends an update soon if the client is waiting for one (coalesced to one per turn). */
  scheduleFlush(): void {
    if (this.flushScheduled || this._state !== 'normal') return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Closes the connection; `error` says why (undefined for a normal end). Idempotent. */
  close(error?: Error): void {
    if (this._state === 'closed') return;
    this._state = 'closed';
    clearTimeout(this.handshakeTimer);
    if (error) {
      const code = error instanceof VncError ? error.code : (error as NodeJS.ErrnoException).code;
      this.log.info('connection closed with error', { error: error.message, code });
    } else {
      this.log.debug('connection closed');
    }
    this.socket.destroy();
    this.emit('close', error);
  }

  /** A plain snapshot of live state, for diagnostics. */
  inspect(): Record<string, unknown> {
    return {
      state: this._state,
      version: this.version,
      remote: `${this.socket.remoteAddress}:${this.socket.remotePort}`,
      pixelFormat: this.converter.native ? 'native' : { ...this.converter.format },
      encodings: [...this.encodings].map(encodingName),
      updateRequested: this.updateRequested,
      dirtyTiles: this.dirty.count(),
      queuedBytes: this.socket.writableLength,
      updatesBySource: { ...this.updatesBySource },
      ...this.stats,
    };
  }

  private onData(chunk: Buffer): void {
    if (this._state === 'closed') return;
    this.stats.bytesReceived += chunk.length;
    try {
      this.parser.push(chunk);
      for (let ev = this.parser.next(); ev; ev = this.isClosed() ? undefined : this.parser.next()) this.handle(ev);
    } catch (err) {
      this.close(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private handle(ev: ClientEvent): void {
    switch (ev.type) {
      case 'version':
        this.version = ev.version;
        if (ev.version === '3.3') {
          this.write(securityType33(SecurityType.NONE));
          this.parser.phase = 'clientInit';
        } else {
          this.write(securityTypes([SecurityType.NONE]));
          this.parser.phase = 'securityType';
        }
        return;
      case 'securityType':
        if (ev.securityType !== SecurityType.NONE) {
          if (this.version === '3.8') this.write(securityResult(false, `security type ${ev.securityType} was not offered`));
          throw new VncError(VncErrorCode.UNSUPPORTED_SECURITY_TYPE, `client chose security type ${ev.securityType}`);
        }
        if (this.version === '3.8') this.write(securityResult(true));
        this.parser.phase = 'clientInit';
        return;
      case 'clientInit': {
        const fb = this.options.framebuffer;
        this.clientWidth = fb.width;
        this.clientHeight = fb.height;
        this.dirty.resize(fb.width, fb.height);
        this.pendingSources.add('full');
        this.write(serverInit(fb.width, fb.height, SERVER_PIXEL_FORMAT, this.options.name ?? 'OpenVMM VM'));
        this.parser.phase = 'normal';
        this._state = 'normal';
        clearTimeout(this.handshakeTimer);
        this.log.debug('handshake complete', { version: this.version, shared: ev.shared });
        this.emit('ready', ev.shared);
        return;
      }
      case 'setPixelFormat': {
        const problem = pixelFormatProblem(ev.format);
        if (problem) throw new VncError(VncErrorCode.UNSUPPORTED_PIXEL_FORMAT, `unsupported pixel format: ${problem}`);
        if (hasIrregularMax(ev.format)) this.log.debug('pixel format has a channel max that is not 2^N-1', { ...ev.format });
        this.converter = new PixelConverter(ev.format);
        this.dirty.markAll();
        this.pendingSources.add('full');
        this.scheduleFlush();
        return;
      }
      case 'setEncodings':
        this.setEncodings(ev.encodings, ev.declared);
        return;
      case 'updateRequest':
        this.updateRequested = true;
        if (!ev.incremental) {
          this.dirty.markRect(ev.x, ev.y, ev.x + ev.w, ev.y + ev.h);
          this.pendingSources.add('full');
        }
        this.scheduleFlush();
        return;
      case 'key':
        this.stats.keyEvents++;
        for (const k of this.keyboard.keysym(ev.keysym, ev.down)) this.options.input.send(k);
        return;
      case 'qemuKey':
        this.stats.keyEvents++;
        for (const k of this.keyboard.extended(ev.keycode, ev.down)) this.options.input.send(k);
        return;
      case 'pointer': {
        this.stats.pointerEvents++;
        const fb = this.options.framebuffer;
        this.options.input.send({ kind: 'mouse', buttons: ev.buttons, x: scaleAxis(ev.x, fb.width), y: scaleAxis(ev.y, fb.height) });
        return;
      }
      case 'cutText':
        this.log.debug('client cut text', { bytes: ev.declared });
        return;
    }
  }

  private setEncodings(list: readonly number[], declared: number): void {
    if (declared > list.length) this.log.limited('info', 'encodings-capped', 'SetEncodings list capped', { declared, kept: list.length });
    this.encodings = new Set(list);
    const chosen = list.find((e) => RECT_ENCODERS[e] !== undefined) ?? Encoding.RAW;
    if (chosen !== this.encoder.encoding) this.encoder = RECT_ENCODERS[chosen]!();
    if (this.encodings.has(Encoding.QEMU_EXTENDED_KEY_EVENT)) {
      this.write(pseudoRectUpdate(0, 0, 0, 0, Encoding.QEMU_EXTENDED_KEY_EVENT));
    }
    this.log.debug('encodings', { list: list.map(encodingName).join(','), using: encodingName(chosen) });
  }

  /** Sends one update if the client asked for one and something is pending. */
  private flush(): void {
    if (this._state !== 'normal' || !this.updateRequested) return;
    if (this.socket.writableLength > (this.options.maxQueuedBytes ?? 8 * 1024 * 1024)) return; // 'drain' retries
    const fb = this.options.framebuffer;
    if (fb.width !== this.clientWidth || fb.height !== this.clientHeight) {
      if (!this.encodings.has(Encoding.DESKTOP_SIZE)) {
        this.close(new VncError(VncErrorCode.RESIZE_UNSUPPORTED, `screen resized to ${fb.width}x${fb.height} and the client does not support DesktopSize`));
        return;
      }
      this.clientWidth = fb.width;
      this.clientHeight = fb.height;
      this.dirty.resize(fb.width, fb.height);
      this.pendingSources.add('full');
      this.write(pseudoRectUpdate(0, 0, fb.width, fb.height, Encoding.DESKTOP_SIZE));
    }
    if (this.dirty.isEmpty()) return;
    let rects = this.dirty.toRects(this.rects);
    if (rects.length > MAX_RECTS_PER_UPDATE) rects = [{ x: 0, y: 0, w: fb.width, h: fb.height }];
    this.out.reset();
    this.out.u8(0);
    this.out.u8(0);
    this.out.u16(rects.length);
    const ctx = { framebuffer: fb, converter: this.converter, out: this.out };
    for (const r of rects) this.encoder.encodeRect(r, ctx);
    this.dirty.clear();
    this.updateRequested = false;
    this.stats.updates++;
    this.stats.rects += rects.length;
    for (const src of this.pendingSources) this.updatesBySource[src]++;
    if (this.log.enabled('debug')) {
      this.log.debug('update', { rects: rects.length, bytes: this.out.length, source: [...this.pendingSources].join('+') || 'none' });
    }
    this.pendingSources.clear();
    this.write(this.out.toBuffer());
  }

  private write(data: Buffer): void {
    if (this._state === 'closed') return;
    this.stats.bytesSent += data.length;
    this.socket.write(data);
  }
}
