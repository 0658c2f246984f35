/**
 * `VncConnection`: the whole RFB conversation with one client over one socket.
 *
 * Handshake (3.3/3.7/3.8; security None, or VNC Authentication with a password, either also
 * inside VeNCrypt TLS when TLS is configured: `vencrypt.ts`), then the
 * normal phase: the client's pixel format and encodings, its update requests (or continuous
 * updates, paced by fences: `flow-control.ts`), its keyboard and pointer events forwarded to the
 * guest, and its clipboard (plain or extended, typed into the guest on Ctrl+Alt+P). The
 * extensions a client switches on live in `extensions.ts`. What this client has not been sent yet
 * lives in its {@link UpdateBuilder}; whoever knows what changed on screen (the coordinator, from
 * the device's DIRT or a tile diff) marks it with {@link VncConnection.markDirty}. When the
 * client has a request outstanding and something is pending, one FramebufferUpdate leaves in
 * one write. With no request outstanding, or while the socket is backed up by about a frame,
 * dirt simply accumulates: a slow client delays only itself and loses nothing.
 *
 * Multiple connections are the coordinator's business (`vnc-worker`), not this module's.
 */

import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { type InputSink, type Logger, rfbButtonsToHid, silentLogger } from '@openvmm-vnc-ts/video-core';
import { ClientParser, type ClientEvent } from './client-parser.js';
import type { CursorImage } from './encodings/cursor.js';
import type { LedState } from './led-state.js';
import { VncError, VncErrorCode } from './errors.js';
import type { FramebufferSource } from './framebuffer-source.js';
import { Extensions } from './extensions.js';
import { END_OF_CONTINUOUS_UPDATES } from './fence.js';
import { type KeyTranslation, KeyboardTranslator } from './keyboard.js';
import { ClipboardPaste } from './clipboard-paste.js';
import { latin1Text } from './paste.js';
import { hasIrregularMax, pixelFormatProblem } from './pixel-format.js';
import { scaleAxis } from './pointer.js';
import { Encoding, SERVER_VERSION_STRING, SecurityType, type RfbVersion, encodingName } from './rfb.js';
import { pseudoRectUpdate, securityResult, securityType33, securityTypes, serverInit } from './server-messages.js';
import { UpdateBuilder } from './update-builder.js';
import type { Move } from './encodings/copy-rect.js';
import type { BatchRect } from './move-tracker.js';
import type { ShadowFrame } from './shadow-frame.js';
import { newVncAuthChallenge, verifyVncAuth } from './vnc-auth.js';
import { SERVER_PIXEL_FORMAT } from './pixel-format.js';
import {
  type SecurityOffer,
  type VncTlsContexts,
  innerSecurityType,
  isX509Subtype,
  securityOffer,
  startServerTls,
  vencryptServerVersion,
  vencryptSubtypeList,
  vencryptSubtypeName,
} from './vencrypt.js';

/** What a connection needs from its transport: a TCP socket, or a WebSocket stream that acts like one. */
export type RfbTransport = Duplex & {
  /** Turns Nagle's algorithm off (TCP sockets); optional. */
  setNoDelay?(noDelay?: boolean): unknown;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
};

export { PASTE_CHUNK_CHARS, PASTE_WAIT_MS } from './clipboard-paste.js';

/**
 * How long the picture must stay unchanged before areas sent as JPEG are sent again losslessly
 * (TigerVNC waits 50 ms; a little more here keeps a slowly typing user from paying twice).
 */
export const LOSSLESS_REFRESH_MS = 100;

/** Options for a {@link VncConnection}. */
export interface VncConnectionOptions {
  /** The pixels to serve. */
  framebuffer: FramebufferSource;
  /** Where keyboard and mouse events go. */
  input: InputSink;
  /** Desktop name sent in ServerInit. Default `OpenVMM VM`. */
  name?: string;
  /**
   * VNC Authentication password. When set, only security type 2 (VNC Authentication) is
   * offered; when absent, only None.
   */
  password?: string;
  /**
   * Asked before a VNC Authentication response is checked: while it returns true every response
   * fails (an address over its failure budget cannot guess on connections opened earlier).
   */
  isAuthBlocked?: () => boolean;
  /** TLS contexts: when set, VeNCrypt (security type 19) is offered (see `securityOffer`). */
  tls?: VncTlsContexts;
  /**
   * With `tls`: whether None / VNC Authentication may also be offered outside TLS. Default true;
   * the coordinator allows it only to loopback peers (and gives transports that are TLS already,
   * wss:// and RFB over TLS, no `tls` at all: they get the plain type only).
   */
  plainSecurity?: boolean;
  /** Logger; default silent. */
  logger?: Logger;
  /** Close the connection if the handshake is not done within this time (ms). Default 10000. */
  handshakeTimeoutMs?: number;
  /**
   * Hold updates while more than this many bytes wait on the socket. Default: one full frame in
   * the client's format (what QEMU allows), at least 256 KiB.
   */
  maxQueuedBytes?: number;
  /** Disconnect a client whose queue exceeds this multiple of `maxQueuedBytes` (or of a frame, if larger). Default 4. */
  hardQueueMultiple?: number;
}

/**
 * Who found a change: the guest's DIRT (`device`), a framebuffer comparison (`diff`), or a
 * reason to resend everything (`full`: first frame, non-incremental request, resize, new pixel
 * format).
 */
export type DirtSource = 'device' | 'diff' | 'full';

/** Connection lifecycle. */
export type ConnectionState = 'handshake' | 'normal' | 'closed';

/** Events: `ready` (handshake done, with the client's shared flag), `auth` and `close` (with the error, if any). */
export interface VncConnectionEvents {
  ready: [shared: boolean];
  /** The client answered a VNC Authentication challenge, rightly or wrongly. */
  auth: [ok: boolean];
  close: [error: Error | undefined];
}

/** One RFB client connection. */
export class VncConnection extends EventEmitter<VncConnectionEvents> {
  private readonly parser = new ClientParser();
  private readonly log: Logger;
  private readonly keyboard: KeyboardTranslator;
  private readonly updates: UpdateBuilder;
  private readonly ext = new Extensions(this.parser);
  private readonly paste: ClipboardPaste;
  private readonly pendingSources = new Set<DirtSource>();
  private readonly updatesBySource: Record<DirtSource, number> = { device: 0, diff: 0, full: 0 };
  private version: RfbVersion | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private flushScheduled = false;
  private updateRequested = false;
  private backedUp = false;
  /** Largest frame size (bytes) among updates possibly still queued on the socket. */
  private queuedFrameBytes = 0;
  private challenge: Buffer | undefined;
  /** The transport: the accepted socket, then the TLS socket over it once VeNCrypt starts. */
  private transport: RfbTransport;
  /** The VeNCrypt subtype while its TLS handshake runs (undefined before and after). */
  private tlsPending: number | undefined;
  /** The VeNCrypt subtype in use, for diagnostics. */
  private tlsSubtype: number | undefined;
  private readonly onTransportData = (chunk: Buffer): void => this.onData(chunk);
  private readonly onTransportDrain = (): void => {
    this.backedUp = false;
    this.scheduleFlush();
  };
  private readonly onTransportError = (err: NodeJS.ErrnoException): void => {
    if (this.tlsPending !== undefined) this.close(new VncError(VncErrorCode.TLS_HANDSHAKE_FAILED, `TLS handshake failed: ${err.message}`));
    else this.close(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : err);
  };
  private readonly onTransportClose = (): void => {
    if (this.tlsPending !== undefined) this.close(new VncError(VncErrorCode.TLS_HANDSHAKE_FAILED, 'connection closed during the TLS handshake'));
    else this.close();
  };
  private _state: ConnectionState = 'handshake';
  private stats = { updates: 0, rects: 0, bytesSent: 0, bytesReceived: 0, keyEvents: 0, pointerEvents: 0, losslessRefreshes: 0 };

  constructor(socket: RfbTransport, private readonly options: VncConnectionOptions) {
    super();
    this.transport = socket;
    this.log = options.logger ?? silentLogger;
    this.keyboard = new KeyboardTranslator((keysym) =>
      this.log.limited('debug', 'unmapped-keysym', 'keysym has no US scancode; dropped', { keysym: `0x${keysym.toString(16)}` }),
    );
    this.updates = new UpdateBuilder(options.framebuffer, this.desktopName, this.log);
    this.paste = new ClipboardPaste(options.input, () => this.keyboard.shiftState, this.ext.clipboard, this.log);
    socket.setNoDelay?.(true);
    this.listen(socket);
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

  /** The desktop name sent in ServerInit and DesktopName. */
  private get desktopName(): string {
    return this.options.name ?? 'OpenVMM VM';
  }

  /** The client's transport: the accepted socket, or the TLS socket over it after VeNCrypt. */
  get socket(): RfbTransport {
    return this.transport;
  }

  /** What this connection is offered (`securityOffer` in `vencrypt.ts` has the policy). */
  private get offer(): SecurityOffer {
    return securityOffer({ password: this.options.password !== undefined, tls: this.options.tls !== undefined, plain: this.options.plainSecurity ?? true });
  }

  private listen(socket: RfbTransport): void {
    socket.on('data', this.onTransportData);
    socket.on('error', this.onTransportError);
    socket.on('close', this.onTransportClose);
    socket.on('drain', this.onTransportDrain);
  }

  /** Bytes of one full frame in the client's pixel format. */
  private frameBytes(): number {
    const fb = this.options.framebuffer;
    return fb.width * fb.height * this.updates.pixelConverter.bytesPerPixel;
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
    this.updates.dirty.markRect(left, top, right, bottom);
    this.pendingSources.add(source);
    this.scheduleFlush();
  }

  /**
   * One batch of dirt (a device DIRT message, or what a tile diff pass found) with the moves
   * found in it against `shadow` (see `MoveDetector`): a CopyRect client may get the moves as
   * CopyRects, any other client gets the rects.
   */
  markDirtyBatch(rects: readonly BatchRect[], moves: readonly Move[], shadow: ShadowFrame | undefined, source: DirtSource = 'device'): void {
    if (this._state === 'closed') return;
    this.updates.markBatch(rects, moves, shadow);
    this.pendingSources.add(source);
    this.scheduleFlush();
  }

  /** True when the client listed CopyRect in SetEncodings. */
  get takesCopyRect(): boolean {
    return this.updates.clientEncodings.has(Encoding.COPY_RECT);
  }

  /** True when the client should be passed only the pixels that changed (see `UpdateBuilder.takesComparedDirt`). */
  get takesComparedDirt(): boolean {
    return this.updates.takesComparedDirt;
  }

  /** Marks the whole screen as changed. */
  markAllDirty(): void {
    this.updates.markAll();
    this.pendingSources.add('full');
    this.scheduleFlush();
  }

  /** A new pointer shape (sent to the client if it takes the Cursor pseudo-encoding). */
  setCursor(image: CursorImage): void {
    this.updates.setCursor(image);
    this.scheduleFlush();
  }

  /** The guest's keyboard lock LEDs (sent to the client if it takes QEMU LED State, -261). */
  setLeds(leds: LedState): void {
    this.updates.setLeds(leds);
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
    const wasNormal = this._state === 'normal';
    this._state = 'closed';
    clearTimeout(this.handshakeTimer);
    this.paste.stop();
    clearTimeout(this.refreshTimer);
    // No stuck keys in the guest: release whatever this client still holds down.
    if (wasNormal) for (const k of this.keyboard.releaseAll()) this.options.input.send(k);
    this.updates.close();
    if (error) {
      const code = error instanceof VncError ? error.code : (error as NodeJS.ErrnoException).code;
      this.log.info('connection closed with error', { error: error.message, code });
    } else {
      this.log.debug('connection closed');
    }
    // Let a final message (e.g. a failed SecurityResult) leave before the socket goes.
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref?.();
    this.emit('close', error);
  }

  /** A plain snapshot of live state, for diagnostics. */
  inspect(): Record<string, unknown> {
    const conv = this.updates.pixelConverter;
    return {
      state: this._state,
      version: this.version,
      tls: this.tlsSubtype === undefined ? undefined : vencryptSubtypeName(this.tlsSubtype),
      remote: `${this.socket.remoteAddress}:${this.socket.remotePort}`,
      pixelFormat: conv.native ? 'native' : { ...conv.format },
      encodings: [...this.updates.clientEncodings].map(encodingName),
      rectEncoding: encodingName(this.updates.rectEncoding),
      updateRequested: this.updateRequested,
      dirtyTiles: this.updates.dirty.count(),
      ...(this.updates.moveTracker ? { copyRect: { ...this.updates.moveTracker.stats } } : {}),
      queuedBytes: this.socket.writableLength,
      unmappedKeys: this.keyboard.unmappedCount,
      updatesBySource: { ...this.updatesBySource },
      extensions: this.ext.inspect(),
      ...this.stats,
      ...this.paste.stats,
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
      case 'version': {
        this.version = ev.version;
        const offer = this.offer;
        if (ev.version === '3.3') {
          // RFB 3.3: the server decides the security type (and 3.3 has no VeNCrypt).
          if (offer.type33 === undefined) {
            const reason = 'this server requires TLS (VeNCrypt, RFB 3.7 or later)';
            this.write(securityType33(0, reason));
            throw new VncError(VncErrorCode.TLS_REQUIRED, `RFB 3.3 client refused: ${reason}`);
          }
          this.write(securityType33(offer.type33));
          this.startSecurity(offer.type33);
        } else {
          this.write(securityTypes(offer.types));
          this.parser.phase = 'securityType';
        }
        return;
      }
      case 'securityType': {
        if (!this.offer.types.includes(ev.securityType)) {
          if (this.version === '3.8') this.write(securityResult(false, `security type ${ev.securityType} was not offered`));
          throw new VncError(VncErrorCode.UNSUPPORTED_SECURITY_TYPE, `client chose security type ${ev.securityType}`);
        }
        if (ev.securityType === SecurityType.VENCRYPT) {
          this.write(vencryptServerVersion());
          this.parser.phase = 'vencryptVersion';
          return;
        }
        this.startSecurity(ev.securityType);
        return;
      }
      case 'vencryptVersion':
        if (ev.major !== 0 || ev.minor !== 2) {
          this.write(Buffer.from([1]));
          throw new VncError(VncErrorCode.VENCRYPT_VERSION, `unsupported VeNCrypt version ${ev.major}.${ev.minor} (only 0.2)`);
        }
        this.write(vencryptSubtypeList(this.offer.subtypes));
        this.parser.phase = 'vencryptSubtype';
        return;
      case 'vencryptSubtype':
        if (!this.offer.subtypes.includes(ev.subtype)) {
          this.write(Buffer.from([0]));
          throw new VncError(VncErrorCode.UNSUPPORTED_VENCRYPT_SUBTYPE, `client chose VeNCrypt subtype ${ev.subtype}, not offered`);
        }
        this.write(Buffer.from([1]));
        this.startTls(ev.subtype);
        return;
      case 'vncAuthResponse': {
        const ok = !this.options.isAuthBlocked?.() && verifyVncAuth(this.challenge!, ev.response, this.options.password!);
        this.challenge = undefined;
        this.emit('auth', ok);
        if (!ok) {
          // 3.3 and 3.7 have no reason string; 3.8 does.
          this.write(securityResult(false, this.version === '3.8' ? 'authentication failed' : undefined));
          throw new VncError(VncErrorCode.AUTH_FAILED, 'VNC authentication failed');
        }
        this.write(securityResult(true));
        this.parser.phase = 'clientInit';
        return;
      }
      case 'clientInit': {
        const fb = this.options.framebuffer;
        this.updates.reset();
        this.pendingSources.add('full');
        this.write(serverInit(fb.width, fb.height, SERVER_PIXEL_FORMAT, this.desktopName));
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
        this.updates.setPixelFormat(ev.format);
        this.pendingSources.add('full');
        this.scheduleFlush();
        return;
      }
      case 'setEncodings':
        if (ev.declared > ev.encodings.length) {
          this.log.limited('info', 'encodings-capped', 'SetEncodings list capped', { declared: ev.declared, kept: ev.encodings.length });
        }
        this.updates.setEncodings(ev.encodings);
        // The fence and EndOfContinuousUpdates announcements go before any FramebufferUpdate:
        // TigerVNC's viewer decides on continuous updates when its first update ends.
        for (const reply of this.ext.setEncodings(ev.encodings, Date.now())) this.writeReply(reply);
        // Every SetEncodings that has it gets the QEMU extended key acknowledgement (as QEMU).
        if (ev.encodings.includes(Encoding.QEMU_EXTENDED_KEY_EVENT)) this.writeReply(pseudoRectUpdate(0, 0, 0, 0, Encoding.QEMU_EXTENDED_KEY_EVENT));
        this.scheduleFlush();
        return;
      case 'updateRequest':
        // Under continuous updates incremental requests mean nothing (the spec says to ignore
        // them); a non-incremental one still asks for the region right away.
        if (ev.incremental && this.ext.flow.enabled) return;
        this.updateRequested = true;
        if (!ev.incremental) {
          this.updates.dirty.markRect(ev.x, ev.y, ev.x + ev.w, ev.y + ev.h);
          this.updates.requestLayout();
          this.pendingSources.add('full');
        }
        this.scheduleFlush();
        return;
      case 'key':
        this.stats.keyEvents++;
        this.sendKeys(this.keyboard.translateKeysym(ev.keysym, ev.down));
        return;
      case 'qemuKey':
        this.stats.keyEvents++;
        this.sendKeys(this.keyboard.translateExtended(ev.keycode, ev.down));
        return;
      case 'pointer': {
        this.stats.pointerEvents++;
        const fb = this.options.framebuffer;
        const { buttons, wheel } = rfbButtonsToHid(ev.buttons);
        this.options.input.send({ kind: 'mouse', buttons, wheel, x: scaleAxis(ev.x, fb.width), y: scaleAxis(ev.y, fb.height) });
        return;
      }
      case 'cutText':
        this.paste.setText(latin1Text(ev.text));
        this.log.debug('client cut text', { bytes: ev.declared, kept: ev.text.length });
        return;
      case 'extendedClipboard': {
        const outcome = this.ext.clipboard.handle(ev.flags, ev.payload, ev.declared);
        if (outcome.reply) this.writeReply(outcome.reply);
        if (outcome.dropped) this.log.limited('info', 'clipboard-dropped', 'extended clipboard text dropped', { reason: outcome.dropped });
        if (outcome.text !== undefined) {
          this.paste.setText(outcome.text);
          this.log.debug('client clipboard (extended)', { chars: outcome.text.length });
        }
        this.paste.textArrived();
        return;
      }
      case 'enableContinuousUpdates':
        this.log.debug('continuous updates', { enable: ev.enable, x: ev.x, y: ev.y, w: ev.w, h: ev.h });
        if (ev.enable) {
          this.ext.flow.enable({ x: ev.x, y: ev.y, w: ev.w, h: ev.h });
          this.scheduleFlush();
        } else {
          this.ext.flow.disable();
          this.writeReply(END_OF_CONTINUOUS_UPDATES);
        }
        return;
      case 'fence': {
        if (ev.declared !== ev.payload.length) {
          this.log.limited('info', 'fence-oversized', 'fence with an oversized payload ignored', { bytes: ev.declared });
          return;
        }
        this.log.debug('fence', { flags: `0x${ev.flags.toString(16)}`, bytes: ev.payload.length });
        const { reply, ok } = this.ext.fenceMessage(ev.flags, ev.payload, Date.now());
        if (!ok) throw new VncError(VncErrorCode.UNEXPECTED_FENCE, 'fence response answers no fence we sent');
        if (reply) this.writeReply(reply);
        else this.scheduleFlush(); // an answer may reopen the window
        return;
      }
      case 'setDesktopSize':
        this.log.info('client asked for a desktop size; refused (the guest sets its own mode)', { ...ev.request, screens: ev.request.screens.length });
        this.writeReply(this.updates.refuseDesktopSize());
        return;
    }
  }

  /**
   * Moves the connection onto TLS after the VeNCrypt accept byte: the accepted socket's
   * listeners go, bytes the client sent ahead (its ClientHello) go back into that socket for the
   * TLS layer to read first, and once the handshake is done the inner security starts in TLS.
   */
  private startTls(subtype: number): void {
    const raw = this.transport;
    const tlsContexts = this.options.tls!;
    raw.off('data', this.onTransportData);
    raw.off('drain', this.onTransportDrain);
    raw.off('close', this.onTransportClose);
    raw.pause();
    const ahead = this.parser.takeBuffered();
    if (ahead.length > 0) raw.unshift(ahead);
    this.log.debug('VeNCrypt accepted; TLS handshake starts', { subtype: vencryptSubtypeName(subtype), bytesAhead: ahead.length });
    this.parser.phase = 'tls';
    this.tlsPending = subtype;
    const tlsSocket = startServerTls(raw, isX509Subtype(subtype) ? tlsContexts.x509 : tlsContexts.anonymous);
    this.transport = tlsSocket;
    this.listen(tlsSocket);
    tlsSocket.once('secure', () => {
      if (this.isClosed()) return;
      this.tlsPending = undefined;
      this.tlsSubtype = subtype;
      this.log.debug('TLS established', { subtype: vencryptSubtypeName(subtype), protocol: tlsSocket.getProtocol(), cipher: tlsSocket.getCipher().name });
      this.startSecurity(innerSecurityType(subtype));
    });
  }

  /** After the security type is agreed: None goes on to ClientInit, VNC Authentication challenges. */
  private startSecurity(type: number): void {
    if (type === SecurityType.VNC_AUTH) {
      this.challenge = newVncAuthChallenge();
      this.write(this.challenge);
      this.parser.phase = 'vncAuthResponse';
      return;
    }
    // SecurityResult after None exists only in 3.8.
    if (this.version === '3.8') this.write(securityResult(true));
    this.parser.phase = 'clientInit';
  }

  private sendKeys(t: KeyTranslation): void {
    for (const k of t.events) this.options.input.send(k);
    if (t.paste) this.paste.paste();
  }

  /**
   * The queue limits: `soft` (hold updates back; about one frame in the client's format) and
   * `hard` (disconnect). A frame already queued may be larger than today's frame (the screen
   * shrank, or the client switched to fewer bits per pixel), so the hard limit covers it too.
   */
  private limits(): { soft: number; hard: number } {
    const frameBytes = this.frameBytes();
    if (this.socket.writableLength === 0) this.queuedFrameBytes = 0;
    const soft = this.options.maxQueuedBytes ?? Math.max(frameBytes, 256 * 1024);
    const hard = Math.max(soft, frameBytes, this.queuedFrameBytes) * (this.options.hardQueueMultiple ?? 4);
    return { soft, hard };
  }

  /** Closes a client whose queue passed the hard limit; true if it did. */
  private closeIfOverHardLimit(hard: number): boolean {
    const queued = this.socket.writableLength;
    if (queued <= hard) return false;
    this.close(new VncError(VncErrorCode.SLOW_CLIENT, `client is not reading: ${queued} bytes queued (limit ${hard})`));
    return true;
  }

  /**
   * Sends one update if something is pending and the client asked for one, or has continuous
   * updates on and fewer than the window of fences unanswered.
   */
  private flush(): void {
    if (this._state !== 'normal' || !this.updates.hasPending()) return;
    if (!this.updateRequested && !this.ext.flow.canPush(this.ext.fence)) return;
    const { soft, hard } = this.limits();
    if (this.closeIfOverHardLimit(hard)) return;
    const queued = this.socket.writableLength;
    if (queued > soft) {
      if (!this.backedUp) this.log.debug('client backed up; coalescing updates', { queued });
      this.backedUp = true;
      return; // 'drain' retries; dirt keeps accumulating in the bitmap
    }
    const result = this.updates.build();
    switch (result.kind) {
      case 'none':
        return;
      case 'resize-unsupported':
        this.close(new VncError(VncErrorCode.RESIZE_UNSUPPORTED, `screen resized to ${result.width}x${result.height} and the client supports neither DesktopSize nor ExtendedDesktopSize`));
        return;
      case 'resize':
        // The announcement goes alone (as OpenVMM and QEMU send it); the full new frame follows
        // right away in its own message, answering the same request.
        this.pendingSources.add('full');
        this.write(result.data);
        this.flush();
        return;
      case 'update': {
        this.updateRequested = false;
        this.queuedFrameBytes = Math.max(this.queuedFrameBytes, this.frameBytes());
        this.stats.updates++;
        this.stats.rects += result.rects;
        for (const src of this.pendingSources) this.updatesBySource[src]++;
        if (this.log.enabled('debug')) {
          this.log.debug('update', { rects: result.rects, bytes: result.data.length, source: [...this.pendingSources].join('+') || 'pseudo' });
        }
        this.pendingSources.clear();
        const data = result.data;
        this.write(data, () => this.updates.recycle(data));
        this.armLosslessRefresh();
        // Under continuous updates a fence follows each update: its answer says the client
        // has taken everything up to here, which is what paces the next push.
        if (this.ext.flow.enabled && this.ext.fence) this.write(this.ext.flow.fenceRequest(Date.now()));
      }
    }
  }

  /**
   * (Re)starts the lossless-refresh timer after an update while JPEG areas remain: each update
   * pushes it back, so it fires only once the picture has stopped changing.
   */
  private armLosslessRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    if (!this.updates.hasLossy) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      if (!this.updates.refreshLossless()) return;
      this.stats.losslessRefreshes++;
      this.scheduleFlush();
    }, LOSSLESS_REFRESH_MS);
    this.refreshTimer.unref?.();
  }

  /** Writes a reply the client caused (not an update): it counts against the hard limit too. */
  private writeReply(data: Buffer): void {
    this.write(data);
    this.closeIfOverHardLimit(this.limits().hard);
  }

  private write(data: Buffer, flushed?: () => void): void {
    if (this._state === 'closed') return;
    this.stats.bytesSent += data.length;
    if (flushed) this.socket.write(data, (err) => err || flushed());
    else this.socket.write(data);
  }
}
