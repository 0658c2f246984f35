/** Builders for client-to-server RFB messages (big-endian), shared by the parser and e2e tests. */
import type { PixelFormat } from '../../src/pixel-format.js';
import { writePixelFormat } from '../../src/pixel-format.js';

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Bytes from a hex string (whitespace ignored). */
export function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

/** Hex of bytes. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function setPixelFormatMsg(pf: PixelFormat): Uint8Array {
  const out = new Uint8Array(20);
  out[0] = 0;
  writePixelFormat(pf, out, 4);
  return out;
}

export function setEncodingsMsg(encodings: readonly number[]): Uint8Array {
  const b = Buffer.alloc(4 + encodings.length * 4);
  b.writeUInt8(2, 0);
  b.writeUInt16BE(encodings.length, 2);
  encodings.forEach((e, i) => b.writeInt32BE(e, 4 + i * 4));
  return new Uint8Array(b);
}

export function updateRequestMsg(incremental: boolean, x: number, y: number, w: number, h: number): Uint8Array {
  const b = Buffer.alloc(10);
  b.writeUInt8(3, 0);
  b.writeUInt8(incremental ? 1 : 0, 1);
  b.writeUInt16BE(x, 2);
  b.writeUInt16BE(y, 4);
  b.writeUInt16BE(w, 6);
  b.writeUInt16BE(h, 8);
  return new Uint8Array(b);
}

export function keyEventMsg(down: boolean, keysym: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeUInt8(4, 0);
  b.writeUInt8(down ? 1 : 0, 1);
  b.writeUInt32BE(keysym >>> 0, 4);
  return new Uint8Array(b);
}

export function pointerEventMsg(buttons: number, x: number, y: number): Uint8Array {
  const b = Buffer.alloc(6);
  b.writeUInt8(5, 0);
  b.writeUInt8(buttons, 1);
  b.writeUInt16BE(x, 2);
  b.writeUInt16BE(y, 4);
  return new Uint8Array(b);
}

/** ClientCutText header declaring `declared` bytes, followed by `text` (which may be shorter). */
export function cutTextMsg(text: Uint8Array, declared: number = text.length): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeUInt8(6, 0);
  b.writeUInt32BE(declared >>> 0, 4);
  return concat(new Uint8Array(b), text);
}

export function qemuKeyEventMsg(down: boolean, keysym: number, keycode: number): Uint8Array {
  const b = Buffer.alloc(12);
  b.writeUInt8(255, 0);
  b.writeUInt8(0, 1);
  b.writeUInt16BE(down ? 1 : 0, 2);
  b.writeUInt32BE(keysym >>> 0, 4);
  b.writeUInt32BE(keycode >>> 0, 8);
  return new Uint8Array(b);
}

/** One screen of a SetDesktopSize / ExtendedDesktopSize layout. */
export interface ScreenLayout {
  id: number;
  x: number;
  y: number;
  width: number;
  height: number;
  flags: number;
}

/** SetDesktopSize (251): type, pad, u16 width, u16 height, u8 screen count, pad, 16 bytes per screen. */
export function setDesktopSizeMsg(width: number, height: number, screens: readonly ScreenLayout[]): Uint8Array {
  const b = Buffer.alloc(8 + 16 * screens.length);
  b.writeUInt8(251, 0);
  b.writeUInt16BE(width, 2);
  b.writeUInt16BE(height, 4);
  b.writeUInt8(screens.length, 6);
  screens.forEach((s, i) => {
    const o = 8 + 16 * i;
    b.writeUInt32BE(s.id >>> 0, o);
    b.writeUInt16BE(s.x, o + 4);
    b.writeUInt16BE(s.y, o + 6);
    b.writeUInt16BE(s.width, o + 8);
    b.writeUInt16BE(s.height, o + 10);
    b.writeUInt32BE(s.flags >>> 0, o + 12);
  });
  return new Uint8Array(b);
}
