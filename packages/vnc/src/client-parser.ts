/**
 * The client-to-server half of RFB as an incremental state machine.
 *
 * Bytes go in with {@link ClientParser.push} in whatever pieces TCP delivers; {@link
 * ClientParser.next} returns one complete message at a time, or `undefined` until enough bytes
 * have arrived. The connection tells the parser which handshake phase comes next (it owns the
 * decisions: which version was agreed, which security type), so the parser stays a pure
 * framing layer.
 *
 * Limits: SetEncodings keeps the first {@link MAX_ENCODINGS} entries and ClientCutText the first
 * {@link MAX_CUT_TEXT} bytes (for an Extended Clipboard message: of its compressed payload); a
 * fence payload over {@link MAX_FENCE_PAYLOAD} bytes is dropped whole. The rest is read and
 * thrown away as it arrives, keeping the stream in sync without buffering it.
 *
 * Some messages change shape once an extension is negotiated (the connection sets
 * {@link ClientParser.extensions} from the client's SetEncodings): a PointerEvent with bit 7 set
 * carries one more byte of buttons (ExtendedMouseButtons), a ClientCutText with a negative
 * length is an Extended Clipboard message, and EnableContinuousUpdates (150) and ClientFence
 * (248) exist only once their pseudo-encodings were seen; before that they are unknown messages.
 */

import { ClientMessage, QemuClientMessage, RFB_VERSIONS, type RfbVersion } from './rfb.js';
import { VncError, VncErrorCode } from './errors.js';
import { type PixelFormat, parsePixelFormat } from './pixel-format.js';
import { ReceiveBuffer } from './receive-buffer.js';
import { type SetDesktopSizeRequest, parseSetDesktopSize, SET_DESKTOP_SIZE_HEADER_LENGTH, SCREEN_LENGTH } from './desktop-size.js';

/** Most SetEncodings entries kept (the rest are drained). */
export const MAX_ENCODINGS = 4096;
/** Most ClientCutText bytes kept (the rest are drained). */
export const MAX_CUT_TEXT = 1024 * 1024;
/** Largest fence payload the protocol allows; a longer one is drained and ignored. */
export const MAX_FENCE_PAYLOAD = 64;

/** Extensions the client negotiated that change how its messages are framed. */
export interface ParserExtensions {
  /** ExtendedMouseButtons (-316): a PointerEvent with bit 7 set is 7 bytes long. */
  extendedMouseButtons: boolean;
  /** Extended Clipboard (0xc0a1e5ce): a negative ClientCutText length means an extended message. */
  extendedClipboard: boolean;
  /** ContinuousUpdates (-313): EnableContinuousUpdates (150) may arrive. */
  continuousUpdates: boolean;
  /** Fence (-312): ClientFence (248) may arrive. */
  fence: boolean;
}

/** What the parser expects next. */
export type ParserPhase = 'version' | 'securityType' | 'vencryptVersion' | 'vencryptSubtype' | 'tls' | 'vncAuthResponse' | 'clientInit' | 'normal';

/** One parsed client message. */
export type ClientEvent =
  | { readonly type: 'version'; readonly version: RfbVersion }
  | { readonly type: 'securityType'; readonly securityType: number }
  | { readonly type: 'vencryptVersion'; readonly major: number; readonly minor: number }
  | { readonly type: 'vencryptSubtype'; readonly subtype: number }
  | { readonly type: 'vncAuthResponse'; readonly response: Uint8Array }
  | { readonly type: 'clientInit'; readonly shared: boolean }
  | { readonly type: 'setPixelFormat'; readonly format: PixelFormat }
  | { readonly type: 'setEncodings'; readonly encodings: readonly number[]; readonly declared: number }
  | { readonly type: 'updateRequest'; readonly incremental: boolean; readonly x: number; readonly y: number; readonly w: number; readonly h: number }
  | { readonly type: 'key'; readonly down: boolean; readonly keysym: number }
  /** `buttons`: RFB mask; with ExtendedMouseButtons bit 7 is back and bit 8 forward. */
  | { readonly type: 'pointer'; readonly buttons: number; readonly x: number; readonly y: number }
  | { readonly type: 'cutText'; readonly text: Uint8Array; readonly declared: number }
  /** Extended Clipboard: `flags` (actions and formats), then at most {@link MAX_CUT_TEXT} payload bytes of `declared`. */
  | { readonly type: 'extendedClipboard'; readonly flags: number; readonly payload: Uint8Array; readonly declared: number }
  | { readonly type: 'enableContinuousUpdates'; readonly enable: boolean; readonly x: number; readonly y: number; readonly w: number; readonly h: number }
  /** `payload` is empty and `declared` larger than {@link MAX_FENCE_PAYLOAD} for an oversized fence. */
  | { readonly type: 'fence'; readonly flags: number; readonly payload: Uint8Array; readonly declared: number }
  | { readonly type: 'qemuKey'; readonly down: boolean; readonly keysym: number; readonly keycode: number }
  | { readonly type: 'setDesktopSize'; readonly request: SetDesktopSizeRequest };

interface Drain {
  left: number;
  event: ClientEvent;
}

/** Incremental parser for one connection's client-to-server byte stream. */
export class ClientParser {
  private readonly buf: ReceiveBuffer;
  private drain: Drain | undefined;
  /** The phase the next message is parsed in. */
  phase: ParserPhase = 'version';
  /** Negotiated extensions that change message framing; the connection keeps them current. */
  readonly extensions: ParserExtensions = { extendedMouseButtons: false, extendedClipboard: false, continuousUpdates: false, fence: false };

  constructor(maxBuffered?: number) {
    this.buf = new ReceiveBuffer(maxBuffered);
  }

  /** Bytes received but not yet parsed. */
  get buffered(): number {
    return this.buf.length;
  }

  /**
   * Removes and returns every byte received but not parsed (what a client sent ahead of a
   * transport switch, such as its TLS ClientHello right behind the VeNCrypt subtype).
   */
  takeBuffered(): Uint8Array {
    return this.buf.read(this.buf.length).slice();
  }

  /** Feeds received bytes. Throws {@link VncError} when the receive buffer cap is exceeded. */
  push(chunk: Uint8Array): void {
    this.buf.push(chunk);
  }

  /** The next complete message, or `undefined` when more bytes are needed. Throws {@link VncError}. */
  next(): ClientEvent | undefined {
    if (this.drain) {
      this.drain.left -= this.buf.skip(this.drain.left);
      if (this.drain.left > 0) return undefined;
      const ev = this.drain.event;
      this.drain = undefined;
      return ev;
    }
    const b = this.buf;
    switch (this.phase) {
      case 'version': {
        if (b.length < 12) return undefined;
        const raw = b.read(12);
        const text = String.fromCharCode(...raw);
        const version = (RFB_VERSIONS as Record<string, RfbVersion | undefined>)[text];
        if (!version) throw new VncError(VncErrorCode.UNSUPPORTED_VERSION, `unsupported protocol version ${JSON.stringify(text)}`);
        return { type: 'version', version };
      }
      case 'securityType':
        if (b.length < 1) return undefined;
        return { type: 'securityType', securityType: b.readU8() };
      case 'vencryptVersion':
        if (b.length < 2) return undefined;
        return { type: 'vencryptVersion', major: b.readU8(), minor: b.readU8() };
      case 'vencryptSubtype':
        if (b.length < 4) return undefined;
        return { type: 'vencryptSubtype', subtype: b.readU32() };
      case 'tls':
        // The transport is being switched to TLS: the bytes belong to the TLS layer.
        return undefined;
      case 'vncAuthResponse':
        if (b.length < 16) return undefined;
        return { type: 'vncAuthResponse', response: b.read(16).slice() };
      case 'clientInit':
        if (b.length < 1) return undefined;
        return { type: 'clientInit', shared: b.readU8() !== 0 };
      case 'normal':
        return this.nextNormal();
    }
  }

  private nextNormal(): ClientEvent | undefined {
    const b = this.buf;
    if (b.length < 1) return undefined;
    const type = b.peekU8(0);
    switch (type) {
      case ClientMessage.SET_PIXEL_FORMAT: {
        if (b.length < 20) return undefined;
        const m = b.read(20);
        return { type: 'setPixelFormat', format: parsePixelFormat(m.subarray(4, 20)) };
      }
      case ClientMessage.SET_ENCODINGS: {
        if (b.length < 4) return undefined;
        const declared = (b.peekU8(2) << 8) | b.peekU8(3);
        const kept = Math.min(declared, MAX_ENCODINGS);
        if (b.length < 4 + kept * 4) return undefined;
        b.skip(4);
        const encodings: number[] = new Array(kept);
        for (let i = 0; i < kept; i++) encodings[i] = b.readI32();
        return this.finish({ type: 'setEncodings', encodings, declared }, (declared - kept) * 4);
      }
      case ClientMessage.FRAMEBUFFER_UPDATE_REQUEST: {
        if (b.length < 10) return undefined;
        b.skip(1);
        const incremental = b.readU8() !== 0;
        return { type: 'updateRequest', incremental, x: b.readU16(), y: b.readU16(), w: b.readU16(), h: b.readU16() };
      }
      case ClientMessage.KEY_EVENT: {
        if (b.length < 8) return undefined;
        b.skip(1);
        const down = b.readU8() !== 0;
        b.skip(2);
        return { type: 'key', down, keysym: b.readU32() };
      }
      case ClientMessage.POINTER_EVENT: {
        if (b.length < 6) return undefined;
        const mask = b.peekU8(1);
        const extended = this.extensions.extendedMouseButtons && (mask & 0x80) !== 0;
        if (extended && b.length < 7) return undefined;
        b.skip(2);
        const x = b.readU16();
        const y = b.readU16();
        // The extended form: bit 7 marks it; the extra byte's bits 0 and 1 are buttons 8 and 9.
        const buttons = extended ? (mask & 0x7f) | ((b.readU8() & 0x03) << 7) : mask;
        return { type: 'pointer', buttons, x, y };
      }
      case ClientMessage.CLIENT_CUT_TEXT: {
        if (b.length < 8) return undefined;
        const declared = ((b.peekU8(4) << 24) | (b.peekU8(5) << 16) | (b.peekU8(6) << 8) | b.peekU8(7)) >>> 0;
        if (this.extensions.extendedClipboard && declared >= 0x80000000) return this.extendedClipboard(2 ** 32 - declared);
        const kept = Math.min(declared, MAX_CUT_TEXT);
        if (b.length < 8 + kept) return undefined;
        b.skip(8);
        const text = b.read(kept).slice();
        return this.finish({ type: 'cutText', text, declared }, declared - kept);
      }
      case ClientMessage.QEMU: {
        if (b.length < 2) return undefined;
        const sub = b.peekU8(1);
        if (sub !== QemuClientMessage.EXTENDED_KEY_EVENT) {
          throw new VncError(VncErrorCode.UNKNOWN_QEMU_MESSAGE, `unknown QEMU client message ${sub}`);
        }
        if (b.length < 12) return undefined;
        b.skip(2);
        const down = b.readU16() !== 0;
        return { type: 'qemuKey', down, keysym: b.readU32(), keycode: b.readU32() };
      }
      case ClientMessage.ENABLE_CONTINUOUS_UPDATES: {
        if (!this.extensions.continuousUpdates) break;
        if (b.length < 10) return undefined;
        b.skip(1);
        const enable = b.readU8() !== 0;
        return { type: 'enableContinuousUpdates', enable, x: b.readU16(), y: b.readU16(), w: b.readU16(), h: b.readU16() };
      }
      case ClientMessage.CLIENT_FENCE: {
        if (!this.extensions.fence) break;
        if (b.length < 9) return undefined;
        const declared = b.peekU8(8);
        const kept = declared <= MAX_FENCE_PAYLOAD ? declared : 0;
        if (b.length < 9 + kept) return undefined;
        b.skip(4);
        const flags = b.readU32();
        b.skip(1);
        const payload = b.read(kept).slice();
        return this.finish({ type: 'fence', flags, payload, declared }, declared - kept);
      }
      case ClientMessage.SET_DESKTOP_SIZE: {
        if (b.length < SET_DESKTOP_SIZE_HEADER_LENGTH) return undefined;
        const need = SET_DESKTOP_SIZE_HEADER_LENGTH + b.peekU8(6) * SCREEN_LENGTH;
        if (b.length < need) return undefined;
        return { type: 'setDesktopSize', request: parseSetDesktopSize(b.read(need)) };
      }
    }
    throw new VncError(VncErrorCode.UNKNOWN_MESSAGE, `unknown client message type ${type}`);
  }

  /**
   * An Extended Clipboard message of `length` bytes after the 8-byte header: 4 bytes of flags,
   * then the payload, of which the first {@link MAX_CUT_TEXT} bytes are kept.
   */
  private extendedClipboard(length: number): ClientEvent | undefined {
    const b = this.buf;
    if (length < 4) throw new VncError(VncErrorCode.INVALID_CLIPBOARD, `extended clipboard message of ${length} bytes has no flags`);
    const declared = length - 4;
    const kept = Math.min(declared, MAX_CUT_TEXT);
    if (b.length < 12 + kept) return undefined;
    b.skip(8);
    const flags = b.readU32();
    const payload = b.read(kept).slice();
    return this.finish({ type: 'extendedClipboard', flags, payload, declared }, declared - kept);
  }

  private finish(event: ClientEvent, excess: number): ClientEvent | undefined {
    if (excess <= 0) return event;
    this.drain = { left: excess, event };
    return this.next();
  }
}
