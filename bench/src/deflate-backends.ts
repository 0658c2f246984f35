/**
 * The two deflate backends the `deflate` benchmark compares: pako (pure JavaScript) and
 * node:zlib (native zlib), each as ONE continuous zlib stream that ends every push with
 * Z_SYNC_FLUSH (what RFB's Zlib encoding needs).
 *
 * When `@openvmm-vnc-ts/vnc` exports `createDeflateStream(backend, level)` (checked at run
 * time), the benchmark measures exactly the product's streams. Otherwise it falls back to its
 * own streams on public APIs only: pako's `Deflate#push(data, Z_SYNC_FLUSH)`, and a node:zlib
 * `Deflate` Transform stream driven by `write` + `flush(Z_SYNC_FLUSH, cb)`. The public node:zlib
 * API has no synchronous flush of a continuing stream, so that fallback is asynchronous (each
 * push includes a thread-pool round trip) and is labelled as such.
 */

import zlib from 'node:zlib';
import pako from 'pako';
import * as vnc from '@openvmm-vnc-ts/vnc';

/** Which compressor. */
export type Backend = 'node' | 'pako';

/** A continuous sync-flushed deflate stream; `push` may be synchronous or asynchronous. */
export interface Deflater {
  /** Compresses `input` and sync-flushes; the result may alias an internal buffer until the next push. */
  push(input: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Releases the stream. */
  close(): void;
}

/** Where the streams come from, and how to make one. */
export interface DeflaterSource {
  /** Human-readable origin, printed with the results. */
  readonly description: string;
  /** True when these are the product's own streams (`createDeflateStream` from the vnc package). */
  readonly fromPackage: boolean;
  /** Creates a fresh stream. */
  create(backend: Backend, level: number): Deflater;
}

type PackageFactory = (backend: Backend, level: number) => { push(input: Uint8Array): Uint8Array; close?(): void };

/** `createDeflateStream` from the built vnc package, when it exists (looked up at run time). */
function packageFactory(): PackageFactory | undefined {
  const f = (vnc as unknown as Record<string, unknown>)['createDeflateStream'];
  return typeof f === 'function' ? (f as PackageFactory) : undefined;
}

class PakoDeflater implements Deflater {
  private readonly d: pako.Deflate;
  private pieces: Uint8Array[] = [];

  constructor(level: number) {
    this.d = new pako.Deflate({ level: level as pako.DeflateOptions['level'] });
    this.d.onData = (chunk) => {
      this.pieces.push(chunk as Uint8Array);
    };
  }

  push(input: Uint8Array): Uint8Array {
    this.pieces = [];
    this.d.push(input, pako.constants.Z_SYNC_FLUSH);
    if (this.d.err) throw new Error(`pako: ${this.d.msg}`);
    return this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces);
  }

  close(): void {
    this.pieces = [];
  }
}

class NodeAsyncDeflater implements Deflater {
  private readonly z: zlib.Deflate;
  private pieces: Buffer[] = [];

  constructor(level: number) {
    this.z = zlib.createDeflate({ level });
    this.z.on('data', (b: Buffer) => this.pieces.push(b));
  }

  push(input: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.z.once('error', reject);
      this.z.write(input);
      this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        this.z.off('error', reject);
        const out = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces);
        this.pieces = [];
        resolve(out);
      });
    });
  }

  close(): void {
    this.z.close();
  }
}

/**
 * The product's streams when the vnc package exports `createDeflateStream` and both backends
 * construct; otherwise the benchmark's own public-API streams. `note` says why on fallback.
 */
export function resolveDeflaters(): DeflaterSource & { note?: string } {
  const factory = packageFactory();
  if (factory) {
    try {
      for (const b of ['node', 'pako'] as const) factory(b, 1).close?.();
      return {
        description: "@openvmm-vnc-ts/vnc createDeflateStream('node' | 'pako', level): synchronous push, sync flush",
        fromPackage: true,
        create: (backend, level) => {
          const s = factory(backend, level);
          return { push: (input) => s.push(input), close: () => s.close?.() };
        },
      };
    } catch (err) {
      return { ...fallback(), note: `createDeflateStream exists but failed (${(err as Error).message}); using the bench's own streams` };
    }
  }
  return { ...fallback(), note: '@openvmm-vnc-ts/vnc does not export createDeflateStream in this build; using the bench\'s own streams' };
}

function fallback(): DeflaterSource {
  return {
    description: 'bench fallback: pako Deflate#push(Z_SYNC_FLUSH) (sync) vs node:zlib Deflate write+flush(Z_SYNC_FLUSH) (async, thread pool)',
    fromPackage: false,
    create: (backend, level) => (backend === 'pako' ? new PakoDeflater(level) : new NodeAsyncDeflater(level)),
  };
}

/** Inflates the concatenation of sync-flushed pushes (the client's view) for sanity checks. */
export function inflateAll(pieces: readonly Uint8Array[]): Buffer {
  return zlib.inflateSync(Buffer.concat(pieces), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
}
