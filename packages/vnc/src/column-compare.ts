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
 *
 * Why a JavaScript fallback: V8 reserves several GiB of address space for each WebAssembly
 * memory on 64-bit hosts (its bounds checks are guard pages). Under an address-space limit
 * (`ulimit -v`, systemd's `LimitAS=`) of 8 GiB or less (12 GiB was enough on this project's
 * machines), `new WebAssembly.Memory` throws "could not allocate memory" although node itself
 * runs fine. The server must not stop comparing (or
 * crash) there, so the same layout then lives in a plain `ArrayBuffer` and a JavaScript loop
 * does the comparison, slower but with the same results ({@link ColumnCompare.engine} says
 * which one runs).
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
  /** What compares: WebAssembly, or the JavaScript fallback when no WebAssembly memory could be had. */
  readonly engine: 'wasm' | 'js';
  private readonly exports: Exports | undefined;
  /** The whole memory as pixels (the JavaScript fallback's view; offsets are multiples of 4). */
  private readonly pixels: Int32Array;
  private readonly rowAt: number;
  private readonly snapAt: number;

  /** `engine: 'js'` forces the JavaScript fallback (tests); by default WebAssembly is tried first. */
  constructor(
    readonly width: number,
    readonly height: number,
    options: { engine?: 'wasm' | 'js' } = {},
  ) {
    this.rowAt = MAX_TILE_COLUMNS;
    // Eight-byte aligned, so that a row read from VRAM lands at its own alignment modulo 8.
    this.snapAt = (this.rowAt + width * 4 + 7) & ~7;
    const pages = Math.ceil((this.snapAt + width * height * 4) / PAGE);
    let wasmMemory: { buffer: ArrayBuffer } | undefined;
    if (options.engine !== 'js') {
      try {
        wasmMemory = new wasm.Memory({ initial: pages });
      } catch (err) {
        // An address-space limit (see the module comment); anything else is a real error.
        if (!(err instanceof RangeError)) throw err;
      }
    }
    this.engine = wasmMemory ? 'wasm' : 'js';
    this.exports = wasmMemory ? (new wasm.Instance(module(), { env: { memory: wasmMemory } }).exports as Exports) : undefined;
    const memory = wasmMemory?.buffer ?? new ArrayBuffer(pages * PAGE);
    this.pixels = new Int32Array(memory);
    this.changed = new Uint8Array(memory, 0, Math.ceil(width / TILE_SIZE));
    this.row = new Uint8Array(memory, this.rowAt, width * 4);
    this.snapshot = new Uint8Array(memory, this.snapAt, width * height * 4);
  }

  /**
   * Compares pixels `left..right` of {@link ColumnCompare.row} with row `y` of the snapshot:
   * every tile column they touch is compared up to its first difference, and one that differs
   * gets its {@link ColumnCompare.changed} flag. Returns the pixels of `left..right` in the
   * columns that differ. The snapshot is not changed.
   */
  diff(y: number, left: number, right: number): number {
    const snap = this.snapAt + y * this.width * 4;
    if (this.exports) return this.exports.diffColumns(this.rowAt, snap, left, right, 0);
    return diffColumnsJs(this.pixels, this.changed, this.rowAt >> 2, snap >> 2, left, right);
  }

  /** Copies pixels `left..right` of {@link ColumnCompare.row} into row `y` of the snapshot. */
  store(y: number, left: number, right: number): void {
    const at = (y * this.width + left) * 4;
    this.snapshot.set(this.row.subarray(left * 4, right * 4), at);
  }
}

/**
 * `diffColumns` of `column-compare.wat` in JavaScript, one pixel at a time: `row` and `snap` are
 * the pixel indexes in `pixels` of pixel 0 of the row buffer and of the snapshot's row.
 */
function diffColumnsJs(pixels: Int32Array, flags: Uint8Array, row: number, snap: number, left: number, right: number): number {
  let real = 0;
  let x = left;
  while (x < right) {
    let end = (x & ~(TILE_SIZE - 1)) + TILE_SIZE;
    if (end > right) end = right;
    let a = x;
    while (a < end && pixels[row + a] === pixels[snap + a]) a++;
    if (a < end) {
      flags[(x / TILE_SIZE) | 0] = 1;
      real += end - x;
    }
    x = end;
  }
  return real;
}
