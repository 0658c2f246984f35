/**
 * One continuous zlib (deflate) stream with a synchronous sync-flush per chunk.
 *
 * RFB's Zlib encoding (and later Tight/ZRLE) needs exactly this: the server keeps ONE
 * zlib-wrapped deflate stream per connection for its whole life (the 2-byte zlib header only at
 * the very start), compresses each rectangle's pixels into it and ends every rectangle with
 * Z_SYNC_FLUSH, so the client's single persistent inflater can decode that rectangle at once.
 * The stream is never reset between rectangles: the client's inflater could not follow.
 *
 * Two interchangeable backends:
 * - `'pako'`: pure JavaScript (pako 2.1). Portable, synchronous by nature.
 * - `'node'`: node:zlib (native zlib). The public node:zlib API offers either one-shot sync calls
 *   (`deflateSync`: a new stream each time) or an asynchronous Transform stream; neither gives a
 *   synchronous flush of a continuing stream. (`Deflate#_processChunk(chunk, flag)` without a
 *   callback is synchronous but closes the stream after one chunk, so it is one-shot too.) This
 *   backend therefore drives the stream's native handle directly, the same two calls node's own
 *   `processChunkSync` makes: `handle.writeSync(flush, in, inOff, inLen, out, outOff, outLen)`
 *   followed by reading `[availOutAfter, availInAfter]` from the stream's `_writeState`. These
 *   are internal (present on Node 12 through at least 22); their presence is probed at
 *   construction, and {@link isNodeDeflateAvailable} reports it.
 *
 * The node backend compresses into one reused output buffer per stream, so its steady-state
 * pushes do not allocate (pako's, the fallback, allocates a fresh output chunk per flush). The
 * bytes returned by `push` are only valid until the next `push`, whichever the backend.
 */

import zlib from 'node:zlib';
import pako from 'pako';

/** A continuous zlib-wrapped deflate stream that sync-flushes after every push. */
export interface DeflateStream {
  /**
   * Compresses `input` into the stream and ends with Z_SYNC_FLUSH; returns the compressed
   * bytes for this chunk (the first push's output starts with the 2-byte zlib header). The
   * returned view aliases an internal buffer: it stays valid only until the next `push`,
   * `reset` or `close`, so copy it (e.g. into a ByteWriter) before pushing again.
   */
  push(input: Uint8Array): Uint8Array;
  /**
   * Throws away the stream state and starts a brand-new stream (the next push begins with a
   * new zlib header). Never use this mid-connection for RFB Zlib: the client's inflater is
   * persistent and would not follow.
   */
  reset?(): void;
  /** Releases the compressor. The stream is unusable afterwards. */
  close(): void;
}

/** Which compressor implementation a {@link DeflateStream} uses. */
export type DeflateBackend = 'node' | 'pako';


const Z_SYNC_FLUSH = zlib.constants.Z_SYNC_FLUSH;

/** Output space to reserve for `n` input bytes so a push normally fits in one go. */
function outputBound(n: number): number {
  return n + (n >>> 3) + 64;
}

/** Grows `buf` to at least `need` bytes, keeping its first `keep` bytes. */
function grow(buf: Uint8Array, need: number, keep: number): Uint8Array {
  if (buf.length >= need) return buf;
  let cap = Math.max(buf.length * 2, 1024);
  while (cap < need) cap *= 2;
  const next = new Uint8Array(cap);
  if (keep > 0) next.set(buf.subarray(0, keep));
  return next;
}

/** The slice of node's native zlib handle this module uses (internal node API). */
interface NodeZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
}

/** The internal fields of a node zlib stream this module uses. */
interface NodeZlibInternals {
  _handle?: NodeZlibHandle | null;
  _writeState?: Uint32Array;
}

/** True when node:zlib exposes the internals the `'node'` backend needs on this Node version. */
export function isNodeDeflateAvailable(): boolean {
  const z = zlib.createDeflate();
  try {
    return probe(z) !== undefined;
  } finally {
    z.close();
  }
}

/**
 * The backend {@link createDeflateStream} callers should use unless configured otherwise:
 * node:zlib wherever its synchronous stream internals are there, since `pnpm bench -- deflate`
 * measured it 3x to 11x faster than pako at level 1 on the same frames (output sizes within
 * 9%); pako otherwise.
 */
export const DEFAULT_DEFLATE_BACKEND: DeflateBackend = isNodeDeflateAvailable() ? 'node' : 'pako';

function probe(z: zlib.Deflate): { handle: NodeZlibHandle; state: Uint32Array } | undefined {
  const internals = z as unknown as NodeZlibInternals;
  const handle = internals._handle;
  const state = internals._writeState;
  if (!handle || typeof handle.writeSync !== 'function' || !(state instanceof Uint32Array) || state.length < 2) return undefined;
  return { handle, state };
}

class NodeDeflateStream implements DeflateStream {
  private readonly z: zlib.Deflate;
  private readonly handle: NodeZlibHandle;
  private readonly state: Uint32Array;
  private out: Uint8Array = new Uint8Array(64 * 1024);
  private closed = false;

  constructor(level: number) {
    this.z = zlib.createDeflate({ level });
    // Errors also arrive later as an 'error' event; push() throws them synchronously instead.
    this.z.on('error', () => {});
    const p = probe(this.z);
    if (!p) {
      this.z.close();
      throw new Error("node:zlib internals (_handle.writeSync/_writeState) are unavailable on this Node version; use the 'pako' deflate backend");
    }
    this.handle = p.handle;
    this.state = p.state;
  }

  push(input: Uint8Array): Uint8Array {
    if (this.closed) throw new Error('deflate stream is closed');
    let inOff = 0;
    let inLen = input.length;
    let outOff = 0;
    this.out = grow(this.out, outputBound(inLen), 0);
    for (;;) {
      const availOut = this.out.length - outOff;
      this.handle.writeSync(Z_SYNC_FLUSH, input, inOff, inLen, this.out, outOff, availOut);
      if (this.z.destroyed) {
        this.closed = true;
        throw this.z.errored ?? new Error('node:zlib deflate failed');
      }
      const availOutAfter = this.state[0]!;
      const availInAfter = this.state[1]!;
      outOff += availOut - availOutAfter;
      inOff += inLen - availInAfter;
      inLen = availInAfter;
      // Space left over means all input was consumed and the flush completed.
      if (availOutAfter !== 0) break;
      this.out = grow(this.out, this.out.length * 2, outOff);
    }
    return this.out.subarray(0, outOff);
  }

  reset(): void {
    if (this.closed) throw new Error('deflate stream is closed');
    this.handle.reset();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.z.close();
  }
}

/** pako keeps its z_stream on the instance; the typings do not declare it. */
interface PakoStream {
  output: Uint8Array;
  next_out: number;
  avail_out: number;
}

class PakoDeflateStream implements DeflateStream {
  private d: pako.Deflate;
  private out: Uint8Array = new Uint8Array(64 * 1024);
  private readonly pieces: Uint8Array[] = [];
  private closed = false;

  constructor(private readonly level: number) {
    this.d = this.create();
  }

  private create(): pako.Deflate {
    const d = new pako.Deflate({ level: this.level as pako.DeflateOptions['level'], chunkSize: 64 * 1024 });
    d.onData = (chunk) => {
      this.pieces.push(chunk as Uint8Array);
    };
    return d;
  }

  push(input: Uint8Array): Uint8Array {
    if (this.closed) throw new Error('deflate stream is closed');
    this.out = grow(this.out, outputBound(input.length), 0);
    // Point pako at our reused buffer; it only allocates its own chunks if this one fills up.
    const strm = (this.d as unknown as { strm: PakoStream }).strm;
    strm.output = this.out;
    strm.next_out = 0;
    strm.avail_out = this.out.length;
    this.pieces.length = 0;
    this.d.push(input, pako.constants.Z_SYNC_FLUSH);
    if (this.d.err) throw new Error(`pako deflate failed: ${this.d.msg}`);
    const pieces = this.pieces;
    if (pieces.length === 0) return this.out.subarray(0, 0);
    if (pieces.length === 1) return pieces[0]!;
    // Overflowed the reused buffer: join the pieces, and keep the joined buffer for next time.
    let total = 0;
    for (const p of pieces) total += p.length;
    const joined = new Uint8Array(Math.max(total, this.out.length * 2));
    let off = 0;
    for (const p of pieces) {
      joined.set(p, off);
      off += p.length;
    }
    pieces.length = 0;
    this.out = joined;
    return joined.subarray(0, total);
  }

  reset(): void {
    if (this.closed) throw new Error('deflate stream is closed');
    this.d = this.create();
  }

  close(): void {
    this.closed = true;
    this.pieces.length = 0;
  }
}

/**
 * Creates one continuous deflate stream (zlib-wrapped, sync-flushed per push) on `backend`
 * at compression `level` (0..9; default 1, "fast", as OpenVMM uses). One stream per consumer
 * (per connection): never share one between clients.
 */
export function createDeflateStream(backend: DeflateBackend = DEFAULT_DEFLATE_BACKEND, level = 1): DeflateStream {
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new RangeError(`deflate level must be an integer 0..9, got ${level}`);
  return backend === 'node' ? new NodeDeflateStream(level) : new PakoDeflateStream(level);
}
