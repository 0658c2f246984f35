/**
 * The framebuffer: 8 MiB of VRAM in a `SharedArrayBuffer`, plus the format the guest chose.
 *
 * Like OpenVMM's `framebuffer` crate, VRAM is a fixed-size shared region: the guest (on its own
 * thread, the way a vCPU runs) writes pixels into it directly, the device learns the layout from
 * the guest's SITUATION_UPDATE, and readers such as the VNC server copy rows out of it. Pixels are
 * 32-bit little-endian `0x00RRGGBB` (bytes B, G, R, X in memory).
 *
 * {@link FramebufferView} is the reader side. It never trusts the format: a row outside the
 * surface or the VRAM reads as zeros, and it counts the bytes it copies so tests and benchmarks
 * can prove that an idle cycle reads nothing.
 *
 * Copying out of shared memory has a trap: V8 copies to or from a `SharedArrayBuffer` with
 * relaxed atomic loads and stores, word by word only when source and destination sit at the
 * same address modulo 8, and byte by byte otherwise: about four times slower for a 1080p row.
 * An RFB update puts a rect's pixels wherever its header ends, so {@link FramebufferView.readRow}
 * brings long rows over in two steps when the two addresses disagree (see
 * {@link ALIGNED_READ_MIN_BYTES}).
 */

/** Size of the VRAM region, as in OpenVMM (`FRAMEBUFFER_SIZE`). */
export const VRAM_SIZE = 8 * 1024 * 1024;

/** Bytes per pixel; synthvid framebuffers are 32 bpp. */
export const BYTES_PER_PIXEL = 4;

/** The layout of the visible surface inside VRAM. */
export interface FramebufferFormat {
  /** Visible width in pixels. */
  readonly width: number;
  /** Visible height in pixels. */
  readonly height: number;
  /** Bytes from one row to the next (the synthvid `pitch_bytes`). */
  readonly stride: number;
  /** Byte offset of the first pixel inside VRAM. */
  readonly offset: number;
}

/** The format a device starts with before the guest says otherwise (OpenVMM's default). */
export const DEFAULT_FORMAT: FramebufferFormat = Object.freeze({ width: 1024, height: 768, stride: 4096, offset: 0 });

/** Why a format cannot be used, or `undefined` when it fits in VRAM. */
export function formatProblem(f: FramebufferFormat, vramSize: number = VRAM_SIZE): string | undefined {
  const ints = [f.width, f.height, f.stride, f.offset];
  if (!ints.every((v) => Number.isSafeInteger(v) && v >= 0)) return 'fields must be non-negative integers';
  if (f.width < 1 || f.height < 1) return `size ${f.width}x${f.height} is empty`;
  if (f.width > 0xffff || f.height > 0xffff) return `size ${f.width}x${f.height} exceeds 65535`;
  if (f.stride < f.width * BYTES_PER_PIXEL) return `stride ${f.stride} is less than width*4 (${f.width * BYTES_PER_PIXEL})`;
  const end = f.offset + f.stride * (f.height - 1) + f.width * BYTES_PER_PIXEL;
  if (end > vramSize) return `surface ends at byte ${end}, past VRAM (${vramSize})`;
  return undefined;
}

/** True when two formats are the same layout. */
export function sameFormat(a: FramebufferFormat, b: FramebufferFormat): boolean {
  return a.width === b.width && a.height === b.height && a.stride === b.stride && a.offset === b.offset;
}

/** The VRAM region, shareable with other threads by passing {@link Vram.buffer}. */
export class Vram {
  /** The shared memory; post it to a worker to map the same VRAM there. */
  readonly buffer: SharedArrayBuffer;
  /** A byte view over all of {@link Vram.buffer}. */
  readonly bytes: Uint8Array;

  /** Allocates fresh zeroed VRAM, or wraps an existing buffer (e.g. one received from another thread). */
  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(VRAM_SIZE);
    this.bytes = new Uint8Array(this.buffer);
  }

  /** Size in bytes. */
  get size(): number {
    return this.bytes.length;
  }
}

/**
 * Rows at least this long (bytes) are read through an aligned staging row when VRAM and the
 * destination disagree modulo 8: one word-by-word copy out of shared memory plus one plain
 * `memmove` beat the byte-by-byte copy from 512 bytes up (measured on this project's x64 CI
 * machine: 278 against 431 ns for 512 bytes, 648 against 2,620 ns for 7,680).
 */
export const ALIGNED_READ_MIN_BYTES = 512;

/** Called with the new format whenever it changes. */
export type FormatListener = (format: FramebufferFormat) => void;

/**
 * Reader-side view of the framebuffer: the current format and row reads with accounting.
 *
 * The device owns the format and calls {@link FramebufferView.setFormat}; consumers subscribe
 * with {@link FramebufferView.onFormat}.
 */
export class FramebufferView {
  private fmt: FramebufferFormat;
  private readonly listeners = new Set<FormatListener>();
  /** Total bytes copied out of VRAM by {@link FramebufferView.readRow} since creation. */
  bytesRead = 0;
  /** True when VRAM is shared memory (copies out of it are relaxed-atomic, see the module comment). */
  private readonly shared: boolean;
  /** The aligned staging row for long misaligned reads; grows to the longest such row. */
  private staging = new Uint8Array(0);

  constructor(
    /** The VRAM this view reads. */
    readonly vram: Vram,
    format: FramebufferFormat = DEFAULT_FORMAT,
  ) {
    const problem = formatProblem(format, vram.size);
    if (problem) throw new RangeError(`invalid framebuffer format: ${problem}`);
    this.fmt = format;
    this.shared = vram.bytes.buffer instanceof SharedArrayBuffer;
  }

  /** The current format. */
  get format(): FramebufferFormat {
    return this.fmt;
  }

  /** Current width in pixels. */
  get width(): number {
    return this.fmt.width;
  }

  /** Current height in pixels. */
  get height(): number {
    return this.fmt.height;
  }

  /**
   * Switches to a new format (device side). Returns false, changing nothing, when the format
   * does not fit in VRAM; listeners run only on a real change.
   */
  setFormat(format: FramebufferFormat): boolean {
    if (formatProblem(format, this.vram.size)) return false;
    if (sameFormat(format, this.fmt)) return true;
    this.fmt = Object.freeze({ ...format });
    for (const l of this.listeners) l(this.fmt);
    return true;
  }

  /** Subscribes to format changes; returns the unsubscribe function. */
  onFormat(listener: FormatListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Copies `w` pixels of row `y` starting at column `x` into `dst` at `dstOffset`, as 4-byte
   * little-endian `0x00RRGGBB`. Any part outside the surface is zero-filled.
   */
  readRow(y: number, x: number, w: number, dst: Uint8Array, dstOffset = 0): void {
    const f = this.fmt;
    const n = w * BYTES_PER_PIXEL;
    if (y < 0 || y >= f.height || x < 0 || x + w > f.width) {
      dst.fill(0, dstOffset, dstOffset + n);
      if (y < 0 || y >= f.height) return;
      const x0 = Math.max(0, x);
      const x1 = Math.min(f.width, x + w);
      if (x1 <= x0) return;
      this.readRow(y, x0, x1 - x0, dst, dstOffset + (x0 - x) * BYTES_PER_PIXEL);
      return;
    }
    const start = f.offset + y * f.stride + x * BYTES_PER_PIXEL;
    const src = this.vram.bytes.subarray(start, start + n);
    this.bytesRead += n;
    const from = src.byteOffset;
    if (n < ALIGNED_READ_MIN_BYTES || !this.shared || ((from - dst.byteOffset - dstOffset) & 7) === 0 || dst.buffer instanceof SharedArrayBuffer) {
      dst.set(src, dstOffset);
      return;
    }
    // Into staging at VRAM's own alignment (word by word), then on with a plain memmove.
    const pad = from & 7;
    if (this.staging.length < pad + n) this.staging = new Uint8Array(pad + n);
    this.staging.set(src, pad);
    dst.set(this.staging.subarray(pad, pad + n), dstOffset);
  }

  /**
   * A live view of rows `y .. y+count` as one contiguous run, or `undefined` when the stride
   * leaves gaps between rows. Counts as a read.
   */
  rowsView(y: number, count: number): Uint8Array | undefined {
    const f = this.fmt;
    if (f.stride !== f.width * BYTES_PER_PIXEL) return undefined;
    if (y < 0 || count < 0 || y + count > f.height) throw new RangeError(`rows ${y}..${y + count} outside 0..${f.height}`);
    const start = f.offset + y * f.stride;
    const n = count * f.stride;
    this.bytesRead += n;
    return this.vram.bytes.subarray(start, start + n);
  }

  /** A live (not copied) view of row `y`'s visible pixels; counts as a read. */
  rowView(y: number): Uint8Array {
    const f = this.fmt;
    if (y < 0 || y >= f.height) throw new RangeError(`row ${y} outside 0..${f.height - 1}`);
    const start = f.offset + y * f.stride;
    this.bytesRead += f.width * BYTES_PER_PIXEL;
    return this.vram.bytes.subarray(start, start + f.width * BYTES_PER_PIXEL);
  }
}
