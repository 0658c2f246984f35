/**
 * A growable output buffer with big-endian writers, used to build a whole FramebufferUpdate in
 * one piece so it leaves in a single socket write. The backing store is reused across updates:
 * {@link ByteWriter.take} hands it over without copying and {@link ByteWriter.recycle} gives it
 * back once the socket has flushed it.
 */

/**
 * Largest storage a writer keeps between updates (1 MiB). Bigger outputs (full frames) are
 * handed over and left to the garbage collector, so idle connections do not each hold a frame.
 */
export const MAX_KEPT_STORAGE = 1024 * 1024;

/** Size of fresh storage after a hand-over, and below it an output counts as small (64 KiB). */
const SMALL_OUTPUT = 64 * 1024;

/** Growable byte buffer. */
export class ByteWriter {
  private buf: Uint8Array;
  /** Bytes written so far. */
  length = 0;
  /** Storage handed out by take() and not yet recycled. */
  private readonly handedOut = new WeakSet<ArrayBufferLike>();
  /** How many handed-out storages have not come back yet. */
  private outstanding = 0;
  /** A recycled storage, ready for the next take(). */
  private spare: Uint8Array | undefined;

  constructor(initialCapacity = 64 * 1024) {
    this.buf = new Uint8Array(initialCapacity);
  }

  /** Forgets everything written; keeps the storage. */
  reset(): void {
    this.length = 0;
  }

  /** Makes room for `n` more bytes and returns the offset where they start (advancing `length`). */
  reserve(n: number): number {
    const need = this.length + n;
    if (need > this.buf.length) {
      let cap = Math.max(this.buf.length * 2, 64);
      while (cap < need) cap *= 2;
      const next = new Uint8Array(Buffer.allocUnsafeSlow(cap).buffer);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    const off = this.length;
    this.length = need;
    return off;
  }

  /** The underlying storage (valid until the next {@link ByteWriter.reserve}). */
  get bytes(): Uint8Array {
    return this.buf;
  }

  /** Appends one byte. */
  u8(v: number): void {
    const o = this.reserve(1); // may replace this.buf
    this.buf[o] = v;
  }

  /** Appends a big-endian u16. */
  u16(v: number): void {
    const o = this.reserve(2);
    this.buf[o] = v >>> 8;
    this.buf[o + 1] = v;
  }

  /** Appends a big-endian u32. */
  u32(v: number): void {
    const o = this.reserve(4);
    this.buf[o] = v >>> 24;
    this.buf[o + 1] = v >>> 16;
    this.buf[o + 2] = v >>> 8;
    this.buf[o + 3] = v;
  }

  /** Appends a big-endian i32. */
  i32(v: number): void {
    this.u32(v >>> 0);
  }

  /** Appends raw bytes. */
  bytesFrom(src: Uint8Array): void {
    const o = this.reserve(src.length); // may replace this.buf
    this.buf.set(src, o);
  }

  /** Overwrites a big-endian u16 at `offset` (e.g. a count known only at the end). */
  patchU16(offset: number, v: number): void {
    this.buf[offset] = v >>> 8;
    this.buf[offset + 1] = v;
  }

  /** A copy of what was written, safe to hand to a socket. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }

  /**
   * Hands over what was written, safe for a socket to keep until it is flushed, and resets the
   * writer. The output leaves without copying, and the writer continues on the storage of an
   * earlier hand-over that came back through {@link ByteWriter.recycle}, or else on fresh storage
   * (64 KiB, or the output's size up to {@link MAX_KEPT_STORAGE}; it grows on demand, and a full
   * frame does not leave every connection holding a frame-sized buffer). In steady state (each
   * update flushed before the next) two storages take turns: no allocation, no copy. Only a small
   * output taken while an earlier one is still in flight and nothing came back is copied, so a
   * client that is behind costs a copy per update rather than 64 KiB.
   */
  take(): Buffer {
    if (this.spare === undefined && this.outstanding > 0 && this.length < SMALL_OUTPUT) {
      const copy = this.toBuffer();
      this.length = 0;
      return copy;
    }
    const out = Buffer.from(this.buf.buffer, this.buf.byteOffset, this.length);
    this.handedOut.add(this.buf.buffer);
    this.outstanding++;
    const spare = this.spare;
    this.spare = undefined;
    this.buf = spare ?? new Uint8Array(Buffer.allocUnsafeSlow(Math.min(Math.max(this.length, SMALL_OUTPUT), MAX_KEPT_STORAGE)).buffer);
    this.length = 0;
    return out;
  }

  /**
   * Gives back a buffer from {@link ByteWriter.take} once the socket no longer needs it (its
   * write callback ran). One is kept for reuse; anything else is ignored.
   */
  recycle(buf: Uint8Array): void {
    const storage = buf.buffer;
    if (!this.handedOut.delete(storage)) return;
    this.outstanding--;
    // A full-frame buffer is not kept: holding one per client would cost a frame of memory each.
    if (storage.byteLength > MAX_KEPT_STORAGE) return;
    if (this.spare === undefined || storage.byteLength > this.spare.byteLength) this.spare = new Uint8Array(storage);
  }
}
