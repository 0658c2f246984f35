/**
 * An incremental receive buffer: bytes arrive in arbitrary chunks, parsers ask "are N bytes
 * there?" and then read them. Chunks are kept as a list and only the bytes a read spans are
 * copied, so a 4 MB raw paste never becomes one big concatenation.
 *
 * A hard cap on buffered bytes keeps a client that sends faster than we parse (or sends a
 * message we cannot finish) from growing memory without bound.
 */

import { VncError, VncErrorCode } from './errors.js';

/** What one queued chunk counts against the cap beyond its bytes. */
export const CHUNK_OVERHEAD = 128;
/** Chunks shorter than this are merged into a small tail instead of queued on their own. */
const SMALL_CHUNK = 256;
/** The largest tail a small chunk is merged into. */
const SMALL_TAIL = 4096;

/** Default cap on buffered, unparsed bytes. */
export const DEFAULT_MAX_BUFFERED = 4 * 1024 * 1024;

/** Queue of received bytes with big-endian readers. */
export class ReceiveBuffer {
  private chunks: Uint8Array[] = [];
  private head = 0; // read offset into chunks[0]
  private total = 0;

  constructor(private readonly maxBuffered: number = DEFAULT_MAX_BUFFERED) {}

  /** Bytes available to read. */
  get length(): number {
    return this.total;
  }

  /**
   * Appends a received chunk. Throws {@link VncError} BUFFER_LIMIT past the cap. Each queued
   * chunk also costs {@link CHUNK_OVERHEAD} bytes against the cap (an object, a view), and tiny
   * chunks are merged into a small tail, so a peer trickling 1-byte pieces cannot turn the byte
   * cap into a hundredfold memory cost.
   */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const last = this.chunks[this.chunks.length - 1];
    const merge = last !== undefined && chunk.length < SMALL_CHUNK && last.length < SMALL_TAIL;
    const chunks = this.chunks.length + (merge ? 0 : 1);
    if (this.total + chunk.length + chunks * CHUNK_OVERHEAD > this.maxBuffered) {
      throw new VncError(VncErrorCode.BUFFER_LIMIT, `receive buffer over ${this.maxBuffered} bytes`);
    }
    if (merge) {
      const joined = new Uint8Array(last.length + chunk.length);
      joined.set(last);
      joined.set(chunk, last.length);
      this.chunks[this.chunks.length - 1] = joined;
    } else {
      this.chunks.push(chunk);
    }
    this.total += chunk.length;
  }

  /** The byte at `offset` from the read position, without consuming it. */
  peekU8(offset = 0): number {
    let off = this.head + offset;
    for (const c of this.chunks) {
      if (off < c.length) return c[off]!;
      off -= c.length;
    }
    throw new RangeError('peek past end of buffer');
  }

  /** Consumes `n` bytes and returns them (a view when they lie in one chunk, else a copy). */
  read(n: number): Uint8Array {
    if (n > this.total) throw new RangeError(`read of ${n} bytes with ${this.total} available`);
    const first = this.chunks[0];
    if (n === 0 || first === undefined) return new Uint8Array(0);
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.advance(n);
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const take = Math.min(n - filled, c.length - this.head);
      out.set(c.subarray(this.head, this.head + take), filled);
      filled += take;
      this.advance(take);
    }
    return out;
  }

  /** Discards up to `n` bytes; returns how many were discarded. */
  skip(n: number): number {
    const k = Math.min(n, this.total);
    let left = k;
    while (left > 0) {
      const c = this.chunks[0]!;
      const take = Math.min(left, c.length - this.head);
      this.advance(take);
      left -= take;
    }
    return k;
  }

  /** Reads one byte. */
  readU8(): number {
    return this.read(1)[0]!;
  }

  /** Reads a big-endian u16. */
  readU16(): number {
    const b = this.read(2);
    return (b[0]! << 8) | b[1]!;
  }

  /** Reads a big-endian u32. */
  readU32(): number {
    const b = this.read(4);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }

  /** Reads a big-endian i32. */
  readI32(): number {
    return this.readU32() | 0;
  }

  private advance(n: number): void {
    this.head += n;
    this.total -= n;
    while (this.chunks.length > 0 && this.head >= this.chunks[0]!.length) {
      this.head -= this.chunks[0]!.length;
      this.chunks.shift();
    }
  }
}
