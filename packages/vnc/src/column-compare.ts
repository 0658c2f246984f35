/**
 * The damage filter's comparison of one row against its snapshot, tile column by tile column,
 * in WebAssembly.
 *
 * Why not JavaScript: the comparison is most of what filtering DIRT costs (a 1080p terminal
 * scroll: 2.4 of 3.4 ms), and a JavaScript loop over two typed arrays pays a bounds check and a
 * branch per pixel, about 1.8 ns each on this project's CI machine; WebAssembly compares two
 * pixels per 64-bit load with nothing else in the loop. The pixels it compares must sit in its
 * own memory, so {@link ColumnCompare} owns the snapshot, the row being compared and the changed
 * flags, and the filter reads rows straight into it.
 *
 * The module is tiny (one function, source in `column-compare.wat`) and is compiled once per
 * process, synchronously.
 */

import { TILE_SIZE } from './dirty-bitmap.js';

/** `column-compare.wat`, assembled (see its header). */
const WASM_BASE64 =
  'AGFzbQEAAAABCgFgBX9/f39/AX8CDwEDZW52Bm1lbW9yeQIAAQMCAQAHDwELZGlmZkNvbHVtbnMAAAqtAQGqAQEEfyACIQUCQANAIAUgA08NASAFQXBxQRBqIQYgAyAGSQRAIAMhBgsgBSEHAkACQANAIAdBAmogBksNASAAIAdBAnRqKQAAIAEgB0ECdGopAABSDQIgB0ECaiEHDAALCyAHIAZJBEAgACAHQQJ0aigAACABIAdBAnRqKAAARw0BCyAGIQUMAQsgBCAFQQR2akEBOgAAIAggBiAFa2ohCCAGIQUMAAsLIAgL';

interface Exports {
  diffColumns(row: number, snap: number, left: number, right: number, flags: number): number;
}

/** The part of the WebAssembly API used here (this project's TypeScript libs do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
}

const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let compiled: object | undefined;

function module(): object {
  compiled ??= new wasm.Module(Buffer.from(WASM_BASE64, 'base64'));
  return compiled;
}

/** Most tile columns a row can have (65535 pixels wide). */
const MAX_TILE_COLUMNS = Math.ceil(0xffff / TILE_SIZE);
const PAGE = 65536;

/**
 * A snapshot of a `width` x `height` screen, a row buffer and per-tile-column flags, all in one
 * WebAssembly memory, and the comparison between them.
 */
export class ColumnCompare {
  /** The snapshot: `width * height` pixels, rows back to back. */
  readonly snapshot: Uint8Array;
  /** One screen row (`width` pixels): a row is read here, at its own columns, and compared. */
  readonly row: Uint8Array;
  /** One byte per tile column, set to 1 by {@link ColumnCompare.diff} for each that differs; the caller clears them. */
  readonly changed: Uint8Array;
  private readonly exports: Exports;
  private readonly rowAt: number;
  private readonly snapAt: number;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.rowAt = MAX_TILE_COLUMNS;
    // Eight-byte aligned, so that a row read from VRAM lands at its own alignment modulo 8.
    this.snapAt = (this.rowAt + width * 4 + 7) & ~7;
    const bytes = this.snapAt + width * height * 4;
    const memory = new wasm.Memory({ initial: Math.ceil(bytes / PAGE) });
    this.exports = new wasm.Instance(module(), { env: { memory } }).exports as Exports;
    this.changed = new Uint8Array(memory.buffer, 0, Math.ceil(width / TILE_SIZE));
    this.row = new Uint8Array(memory.buffer, this.rowAt, width * 4);
    this.snapshot = new Uint8Array(memory.buffer, this.snapAt, width * height * 4);
  }

  /**
   * Compares pixels `left..right` of {@link ColumnCompare.row} with row `y` of the snapshot:
   * every tile column they touch is compared up to its first difference, and one that differs
   * gets its {@link ColumnCompare.changed} flag. Returns the pixels of `left..right` in the
   * columns that differ. The snapshot is not changed.
   */
  diff(y: number, left: number, right: number): number {
    return this.exports.diffColumns(this.rowAt, this.snapAt + y * this.width * 4, left, right, 0);
  }

  /** Copies pixels `left..right` of {@link ColumnCompare.row} into row `y` of the snapshot. */
  store(y: number, left: number, right: number): void {
    const at = (y * this.width + left) * 4;
    this.snapshot.set(this.row.subarray(left * 4, right * 4), at);
  }
}
