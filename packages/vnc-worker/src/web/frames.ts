/**
 * RFC 6455 framing for the server side: a receiver state machine that parses client frames over
 * arbitrarily split chunks, the frame encoder for what the server sends, and the errors (each
 * with a stable code and the close code to send).
 *
 * RFB over WebSocket is a byte stream (noVNC packs several RFB messages in one frame and splits
 * long ones over several), so data-frame payloads are never buffered: each piece is unmasked in
 * place and handed on as it arrives. Only the 2..14 header bytes and control payloads (at most
 * 125 bytes) are ever held, which bounds memory whatever the peer announces. Limits follow the
 * `ws` package's receiver: masked client frames, no RSV bits (no extension is negotiated), no
 * fragmented or oversized control frames, message length at most `maxPayload`, 64-bit lengths at
 * most 2^53-1 (CVE-2017-18922 is the class of bug this guards against).
 */

import { isUtf8 } from 'node:buffer';

/** Frame opcodes. */
export const Opcode = { CONTINUATION: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

/** Close codes used by this server (RFC 6455 section 7.4.1). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  NO_STATUS: 1005,
  INVALID_PAYLOAD: 1007,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  TRY_AGAIN_LATER: 1013,
} as const;

/** Default cap on one message (sum of its fragments): generous for a 1 MiB+ ClientCutText. */
export const DEFAULT_MAX_PAYLOAD = 4 * 1024 * 1024;

/** Stable codes of {@link WebSocketError}. */
export type WebSocketErrorCode =
  | 'WS_ERR_UNMASKED'
  | 'WS_ERR_RSV_SET'
  | 'WS_ERR_INVALID_OPCODE'
  | 'WS_ERR_UNEXPECTED_CONTINUATION'
  | 'WS_ERR_EXPECTED_CONTINUATION'
  | 'WS_ERR_FRAGMENTED_CONTROL'
  | 'WS_ERR_CONTROL_TOO_BIG'
  | 'WS_ERR_PAYLOAD_TOO_BIG'
  | 'WS_ERR_LENGTH_UNSUPPORTED'
  | 'WS_ERR_TEXT_UNSUPPORTED'
  | 'WS_ERR_INVALID_CLOSE_FRAME'
  | 'WS_ERR_INVALID_UTF8';

/** A protocol violation by the peer; `closeCode` is what the server sends before closing. */
export class WebSocketError extends Error {
  constructor(
    /** Stable machine-readable code. */
    readonly code: WebSocketErrorCode,
    /** The close code sent to the peer (1002, 1003, 1007 or 1009). */
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'WebSocketError';
  }
}

/** Where a {@link FrameReceiver} delivers what it parsed. */
export interface FrameSink {
  /** Payload bytes of binary data frames, in order, unmasked; frame boundaries are not kept. */
  onData(bytes: Buffer): void;
  /** A complete ping (payload at most 125 bytes). */
  onPing(payload: Buffer): void;
  /** A complete pong. */
  onPong(payload: Buffer): void;
  /** A close frame; `code` is undefined when it carried no status. Nothing is parsed after it. */
  onClose(code: number | undefined, reason: string): void;
}

const HEADER = 0;
const EXTENDED = 1;
const PAYLOAD = 2;
const CLOSED = 3;

/** True for a close code a peer may send (RFC 6455 7.4.1/7.4.2 and the IANA registry). */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/** Parses client-to-server frames from arbitrarily split chunks; throws {@link WebSocketError}. */
export class FrameReceiver {
  private state = HEADER;
  private readonly head = Buffer.alloc(14);
  private have = 0;
  private need = 2;
  private fin = false;
  private opcode = 0;
  private readonly mask = Buffer.alloc(4);
  private maskPos = 0;
  private remaining = 0;
  /** Opcode of the data message in progress (0 when none). */
  private fragmented = 0;
  private messageLength = 0;
  private control: Buffer[] = [];

  constructor(
    private readonly sink: FrameSink,
    /** Largest data message accepted (bytes, sum of fragments). */
    private readonly maxPayload = DEFAULT_MAX_PAYLOAD,
  ) {}

  /** True once a close frame was parsed (later bytes are ignored). */
  get closed(): boolean {
    return this.state === CLOSED;
  }

  /** Feeds bytes from the socket. Mutates `chunk` (unmasks in place) and may keep slices of it. */
  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && this.state !== CLOSED) {
      if (this.state === PAYLOAD) {
        off = this.payload(chunk, off);
        continue;
      }
      const n = Math.min(this.need - this.have, chunk.length - off);
      chunk.copy(this.head, this.have, off, off + n);
      this.have += n;
      off += n;
      if (this.have < this.need) return;
      if (this.state === HEADER) this.baseHeader();
      else this.extendedHeader();
    }
  }

  /** The first two bytes: flags, opcode, mask bit and the 7-bit length. */
  private baseHeader(): void {
    const b0 = this.head[0]!;
    const b1 = this.head[1]!;
    this.fin = (b0 & 0x80) !== 0;
    const op = b0 & 0x0f;
    const len7 = b1 & 0x7f;
    if ((b0 & 0x70) !== 0) throw protocolError('WS_ERR_RSV_SET', 'RSV bits set without a negotiated extension');
    if ((b1 & 0x80) === 0) throw protocolError('WS_ERR_UNMASKED', 'client frame is not masked');
    if (op >= 0x8) {
      if (op > Opcode.PONG) throw protocolError('WS_ERR_INVALID_OPCODE', `reserved opcode ${op}`);
      if (!this.fin) throw protocolError('WS_ERR_FRAGMENTED_CONTROL', 'fragmented control frame');
      if (len7 > 125) throw protocolError('WS_ERR_CONTROL_TOO_BIG', `control frame payload over 125 bytes`);
    } else if (op === Opcode.CONTINUATION) {
      if (this.fragmented === 0) throw protocolError('WS_ERR_UNEXPECTED_CONTINUATION', 'continuation frame without a message to continue');
    } else if (op === Opcode.TEXT || op === Opcode.BINARY) {
      if (this.fragmented !== 0) throw protocolError('WS_ERR_EXPECTED_CONTINUATION', 'new data frame inside a fragmented message');
      if (op === Opcode.TEXT) throw new WebSocketError('WS_ERR_TEXT_UNSUPPORTED', CloseCode.UNSUPPORTED_DATA, 'text frames are not accepted (RFB is binary)');
    } else {
      throw protocolError('WS_ERR_INVALID_OPCODE', `reserved opcode ${op}`);
    }
    this.opcode = op;
    this.need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + 4;
    this.state = EXTENDED;
  }

  /** Extended length (if any) and the masking key; then the payload starts. */
  private extendedHeader(): void {
    const len7 = this.head[1]! & 0x7f;
    let length = len7;
    if (len7 === 126) length = this.head.readUInt16BE(2);
    else if (len7 === 127) {
      const high = this.head.readUInt32BE(2);
      if (high > 0x1fffff) throw new WebSocketError('WS_ERR_LENGTH_UNSUPPORTED', CloseCode.MESSAGE_TOO_BIG, 'payload length over 2^53-1');
      length = high * 2 ** 32 + this.head.readUInt32BE(6);
    }
    if (this.opcode < 0x8) {
      this.messageLength += length;
      if (this.messageLength > this.maxPayload) {
        throw new WebSocketError('WS_ERR_PAYLOAD_TOO_BIG', CloseCode.MESSAGE_TOO_BIG, `message of ${this.messageLength} bytes exceeds maxPayload ${this.maxPayload}`);
      }
      if (!this.fin) this.fragmented = this.opcode === Opcode.CONTINUATION ? this.fragmented : this.opcode;
    }
    this.head.copy(this.mask, 0, this.need - 4, this.need);
    this.maskPos = 0;
    this.remaining = length;
    this.have = 0;
    this.need = 2;
    this.state = PAYLOAD;
    if (length === 0) this.endFrame();
  }

  /** Unmasks and delivers (data) or collects (control) payload bytes; returns the new offset. */
  private payload(chunk: Buffer, off: number): number {
    const n = Math.min(this.remaining, chunk.length - off);
    const bytes = chunk.subarray(off, off + n);
    const mask = this.mask;
    const p = this.maskPos;
    for (let i = 0; i < n; i++) bytes[i] ^= mask[(p + i) & 3]!;
    this.maskPos = (p + n) & 3;
    this.remaining -= n;
    if (this.opcode >= 0x8) this.control.push(bytes);
    else if (n > 0) this.sink.onData(bytes);
    if (this.remaining === 0) this.endFrame();
    return off + n;
  }

  private endFrame(): void {
    this.state = HEADER;
    if (this.opcode < 0x8) {
      if (this.fin) {
        this.fragmented = 0;
        this.messageLength = 0;
      }
      return;
    }
    const payload = Buffer.concat(this.control);
    this.control = [];
    if (this.opcode === Opcode.PING) this.sink.onPing(payload);
    else if (this.opcode === Opcode.PONG) this.sink.onPong(payload);
    else this.closeFrame(payload);
  }

  private closeFrame(payload: Buffer): void {
    this.state = CLOSED;
    if (payload.length === 0) return this.sink.onClose(undefined, '');
    if (payload.length === 1) throw closeError('WS_ERR_INVALID_CLOSE_FRAME', CloseCode.PROTOCOL_ERROR, 'close frame with a 1-byte payload');
    const code = payload.readUInt16BE(0);
    if (!isValidCloseCode(code)) throw closeError('WS_ERR_INVALID_CLOSE_FRAME', CloseCode.PROTOCOL_ERROR, `invalid close code ${code}`);
    const reason = payload.subarray(2);
    if (!isUtf8(reason)) throw closeError('WS_ERR_INVALID_UTF8', CloseCode.INVALID_PAYLOAD, 'close reason is not UTF-8');
    this.sink.onClose(code, reason.toString('utf8'));
  }
}

function protocolError(code: WebSocketErrorCode, message: string): WebSocketError {
  return new WebSocketError(code, CloseCode.PROTOCOL_ERROR, message);
}

function closeError(code: WebSocketErrorCode, closeCode: number, message: string): WebSocketError {
  return new WebSocketError(code, closeCode, message);
}

/** The header of an unmasked server frame (2, 4 or 10 bytes). */
export function frameHeader(opcode: number, length: number, fin = true): Buffer {
  const b0 = (fin ? 0x80 : 0) | opcode;
  if (length < 126) return Buffer.from([b0, length]);
  if (length < 0x10000) {
    const h = Buffer.allocUnsafe(4);
    h[0] = b0;
    h[1] = 126;
    h.writeUInt16BE(length, 2);
    return h;
  }
  const h = Buffer.allocUnsafe(10);
  h[0] = b0;
  h[1] = 127;
  h.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
  h.writeUInt32BE(length >>> 0, 6);
  return h;
}

/** A whole unmasked frame in one buffer (control frames and small data). */
export function encodeFrame(opcode: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([frameHeader(opcode, payload.length), payload]);
}

/** The payload of a close frame: code plus a UTF-8 reason cut to fit in 125 bytes. */
export function closePayload(code: number | undefined, reason = ''): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  let r = Buffer.from(reason, 'utf8');
  if (r.length > 123) {
    r = r.subarray(0, 123);
    while (r.length > 0 && !isUtf8(r)) r = r.subarray(0, r.length - 1);
  }
  const p = Buffer.allocUnsafe(2 + r.length);
  p.writeUInt16BE(code, 0);
  r.copy(p, 2);
  return p;
}
