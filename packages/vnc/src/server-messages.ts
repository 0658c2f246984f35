/**
 * Builders for the fixed server-to-client handshake messages. Each returns the exact bytes to
 * write; big-endian throughout.
 */

import { type PixelFormat, writePixelFormat } from './pixel-format.js';

/** SecurityResult: 0 = OK, 1 = failed; the reason string is sent only when given (RFB 3.8). */
export function securityResult(ok: boolean, reason?: string): Buffer {
  const text = reason === undefined ? undefined : Buffer.from(reason, 'utf8');
  const out = Buffer.alloc(4 + (text ? 4 + text.length : 0));
  out.writeUInt32BE(ok ? 0 : 1, 0);
  if (text) {
    out.writeUInt32BE(text.length, 4);
    text.copy(out, 8);
  }
  return out;
}

/** RFB 3.7/3.8 security-types list. */
export function securityTypes(types: readonly number[]): Buffer {
  return Buffer.from([types.length, ...types]);
}

/** RFB 3.3: the server picks the security type (a u32), or 0 followed by a reason to refuse. */
export function securityType33(type: number, reason?: string): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(type, 0);
  if (type !== 0 || reason === undefined) return out;
  const text = Buffer.from(reason, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(text.length, 0);
  return Buffer.concat([out, len, text]);
}

/** ServerInit: size, native pixel format, desktop name. */
export function serverInit(width: number, height: number, format: PixelFormat, name: string): Buffer {
  const text = Buffer.from(name, 'utf8');
  const out = Buffer.alloc(24 + text.length);
  out.writeUInt16BE(width, 0);
  out.writeUInt16BE(height, 2);
  writePixelFormat(format, out, 4);
  out.writeUInt32BE(text.length, 20);
  text.copy(out, 24);
  return out;
}

/** A FramebufferUpdate holding only one pseudo-rectangle (e.g. DesktopSize, the -258 ack). */
export function pseudoRectUpdate(x: number, y: number, w: number, h: number, encoding: number): Buffer {
  const out = Buffer.alloc(16);
  out.writeUInt8(0, 0);
  out.writeUInt16BE(1, 2);
  out.writeUInt16BE(x, 4);
  out.writeUInt16BE(y, 6);
  out.writeUInt16BE(w, 8);
  out.writeUInt16BE(h, 10);
  out.writeInt32BE(encoding, 12);
  return out;
}
