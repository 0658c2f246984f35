/**
 * ExtendedDesktopSize (-308), SetDesktopSize (client message 251) and DesktopName (-307).
 *
 * ExtendedDesktopSize is DesktopSize with a screen layout and a reply channel: the rect's x
 * says why it is sent (the reason), y the outcome of a client's SetDesktopSize (the status),
 * w/h the framebuffer size, and the body lists the screens. SetDesktopSize is the client asking
 * for a size and layout. DesktopName renames the desktop. All values are big-endian.
 *
 * Wire layouts (rfbproto):
 * - ExtendedDesktopSize body: U8 screen count, 3 padding, then per screen U32 id, U16 x, U16 y,
 *   U16 width, U16 height, U32 flags (16 bytes).
 * - SetDesktopSize: U8 type (251), U8 padding, U16 width, U16 height, U8 screen count,
 *   U8 padding, then the screens as above.
 * - DesktopName body: U32 length, then the name in UTF-8.
 */

import type { ByteWriter } from './byte-writer.js';
import { writeRectHeader } from './encodings/encoder.js';
import { Encoding } from './rfb.js';

/** One screen of a layout. */
export interface Screen {
  readonly id: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly flags: number;
}

/** Why an ExtendedDesktopSize rect is sent (its x field). */
export const DesktopSizeReason = {
  /** The server changed size, or the reply to a non-incremental update request. */
  SERVER: 0,
  /** Reply to this client's SetDesktopSize. */
  THIS_CLIENT: 1,
  /** Another client's SetDesktopSize changed the size. */
  OTHER_CLIENT: 2,
} as const;

/** Outcome of a SetDesktopSize (the y field of the reply). */
export const DesktopSizeStatus = {
  OK: 0,
  PROHIBITED: 1,
  OUT_OF_RESOURCES: 2,
  INVALID_LAYOUT: 3,
  /** Request forwarded (e.g. to the guest); a later update carries the result. */
  FORWARDED: 4,
} as const;

/** An ExtendedDesktopSize rect's content. */
export interface ExtendedDesktopSize {
  /** 0..2, see {@link DesktopSizeReason}; written as the rect's x. */
  readonly reason: number;
  /** 0..4, see {@link DesktopSizeStatus}; written as the rect's y. */
  readonly status: number;
  readonly width: number;
  readonly height: number;
  /** 0..255 screens. */
  readonly screens: readonly Screen[];
}

/** A parsed SetDesktopSize message. */
export interface SetDesktopSizeRequest {
  readonly width: number;
  readonly height: number;
  readonly screens: Screen[];
}

/** Bytes of a SetDesktopSize message before its screens (type byte included). */
export const SET_DESKTOP_SIZE_HEADER_LENGTH = 8;
/** Bytes per screen in both messages. */
export const SCREEN_LENGTH = 16;

function check(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${name} must be an integer 0..${max}, got ${v}`);
}

/** The one-screen layout a single-monitor framebuffer has: screen `id` covering everything. */
export function singleScreen(width: number, height: number, id = 0): Screen[] {
  return [{ id, x: 0, y: 0, width, height, flags: 0 }];
}

/** Appends an ExtendedDesktopSize rect (12 + 4 + 16 per screen bytes) to `out`. Throws RangeError on out-of-range fields. */
export function encodeExtendedDesktopSize(out: ByteWriter, msg: ExtendedDesktopSize): void {
  check('reason', msg.reason, 0xffff);
  check('status', msg.status, 0xffff);
  check('width', msg.width, 0xffff);
  check('height', msg.height, 0xffff);
  check('screen count', msg.screens.length, 0xff);
  for (const s of msg.screens) {
    check('screen id', s.id, 0xffffffff);
    check('screen x', s.x, 0xffff);
    check('screen y', s.y, 0xffff);
    check('screen width', s.width, 0xffff);
    check('screen height', s.height, 0xffff);
    check('screen flags', s.flags, 0xffffffff);
  }
  writeRectHeader(out, msg.reason, msg.status, msg.width, msg.height, Encoding.EXTENDED_DESKTOP_SIZE);
  out.u8(msg.screens.length);
  out.u8(0);
  out.u16(0);
  for (const s of msg.screens) {
    out.u32(s.id);
    out.u16(s.x);
    out.u16(s.y);
    out.u16(s.width);
    out.u16(s.height);
    out.u32(s.flags);
  }
}

/**
 * Total length of the SetDesktopSize message at the start of `bytes` (type byte first), or
 * `undefined` while fewer than {@link SET_DESKTOP_SIZE_HEADER_LENGTH} bytes are available.
 */
export function setDesktopSizeLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < SET_DESKTOP_SIZE_HEADER_LENGTH) return undefined;
  return SET_DESKTOP_SIZE_HEADER_LENGTH + bytes[6]! * SCREEN_LENGTH;
}

/**
 * Parses a complete SetDesktopSize message (`bytes` starts with the type byte 251; extra
 * trailing bytes are ignored). Throws RangeError when the type is wrong or bytes are missing.
 */
export function parseSetDesktopSize(bytes: Uint8Array): SetDesktopSizeRequest {
  const need = setDesktopSizeLength(bytes);
  if (need === undefined || bytes.length < need) throw new RangeError(`SetDesktopSize needs ${need ?? SET_DESKTOP_SIZE_HEADER_LENGTH} bytes, got ${bytes.length}`);
  if (bytes[0] !== 251) throw new RangeError(`not a SetDesktopSize message (type ${bytes[0]})`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, need);
  const screens: Screen[] = [];
  for (let o = SET_DESKTOP_SIZE_HEADER_LENGTH; o < need; o += SCREEN_LENGTH) {
    screens.push({
      id: dv.getUint32(o),
      x: dv.getUint16(o + 4),
      y: dv.getUint16(o + 6),
      width: dv.getUint16(o + 8),
      height: dv.getUint16(o + 10),
      flags: dv.getUint32(o + 12),
    });
  }
  return { width: dv.getUint16(2), height: dv.getUint16(4), screens };
}

/**
 * Checks a requested layout the way servers must before acting on it: at least one screen,
 * a non-zero size, every screen non-empty and inside the framebuffer, ids unique. Returns
 * {@link DesktopSizeStatus.OK} or {@link DesktopSizeStatus.INVALID_LAYOUT}.
 */
export function checkScreenLayout(req: SetDesktopSizeRequest): number {
  if (req.width === 0 || req.height === 0 || req.screens.length === 0) return DesktopSizeStatus.INVALID_LAYOUT;
  const ids = new Set<number>();
  for (const s of req.screens) {
    if (s.width === 0 || s.height === 0 || s.x + s.width > req.width || s.y + s.height > req.height || ids.has(s.id)) {
      return DesktopSizeStatus.INVALID_LAYOUT;
    }
    ids.add(s.id);
  }
  return DesktopSizeStatus.OK;
}

/** Appends a DesktopName rect (header, U32 length, UTF-8 name) to `out`. */
export function encodeDesktopName(out: ByteWriter, name: string): void {
  const utf8 = Buffer.from(name, 'utf8');
  writeRectHeader(out, 0, 0, 0, 0, Encoding.DESKTOP_NAME);
  out.u32(utf8.length);
  out.bytesFrom(utf8);
}
