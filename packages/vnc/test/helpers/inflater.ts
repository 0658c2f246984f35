/**
 * A client's single persistent zlib inflater, as an RFB Zlib (6) decoder keeps for the whole
 * session: every rect's compressed bytes are pushed into the SAME stream (the zlib header only
 * arrives with the first rect), and because the server ends every rect with Z_SYNC_FLUSH, all of
 * a rect's pixels come out as soon as its bytes are in. A one-shot `zlib.inflateSync` per rect
 * would be wrong: from the second rect on there is no header and back-references reach into
 * earlier rects.
 *
 * Built on pako's `Inflate` (a dependency of this package). pako only hands out its output
 * buffer when it is full or the stream ends, so after each push the partly filled buffer is
 * taken here and pako is made to start a fresh one next time (its own sliding window, which
 * back-references use, is kept separately, so this is safe).
 */
import pako from 'pako';

/** The slice of pako's z_stream this helper touches (not in the typings). */
interface PakoStream {
  output: Uint8Array | null;
  next_out: number;
  avail_out: number;
  avail_in: number;
  total_in: number;
  total_out: number;
}

/** One continuous zlib stream, decoded chunk by chunk (each chunk ending with a sync flush). */
export class PersistentInflater {
  private readonly inflate = new pako.Inflate({ chunkSize: 64 * 1024 });
  private pieces: Uint8Array[] = [];
  /** Chunks pushed so far. */
  chunks = 0;

  constructor() {
    this.inflate.onData = (chunk) => {
      // pako hands over a full buffer and allocates a new one for what follows: no copy needed.
      this.pieces.push(chunk as Uint8Array);
    };
  }

  private get strm(): PakoStream {
    return (this.inflate as unknown as { strm: PakoStream }).strm;
  }

  /** Compressed bytes consumed so far. */
  get totalIn(): number {
    return this.strm.total_in;
  }

  /** Decompressed bytes produced so far. */
  get totalOut(): number {
    return this.strm.total_out;
  }

  /**
   * Feeds one rect's compressed bytes and returns everything they decompress to. Throws when
   * the stream is corrupt (e.g. a rect compressed with a fresh deflate stream, or out of order).
   */
  push(compressed: Uint8Array): Uint8Array {
    this.pieces = [];
    this.chunks++;
    const ok = this.inflate.push(compressed, pako.constants.Z_SYNC_FLUSH);
    if (!ok || this.inflate.err) throw new Error(`zlib inflate failed on chunk ${this.chunks}: ${this.inflate.msg || this.inflate.err}`);
    const strm = this.strm;
    if (strm.avail_in !== 0) throw new Error(`zlib inflate left ${strm.avail_in} input bytes of chunk ${this.chunks} unconsumed`);
    if (strm.output && strm.next_out > 0 && strm.avail_out > 0) {
      this.pieces.push(strm.output.slice(0, strm.next_out));
      // Make pako allocate a fresh output buffer on the next push.
      strm.avail_out = 0;
    }
    const pieces = this.pieces;
    this.pieces = [];
    if (pieces.length === 1) return pieces[0]!;
    const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of pieces) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}
