/**
 * What a viewer shows: a local copy of the remote screen assembled from FramebufferUpdates
 * (Raw and Zlib rects pasted in place, DesktopSize / ExtendedDesktopSize resizing it), so tests
 * can check that everything a client was sent adds up to the server's framebuffer.
 */
import { ENC_COPY_RECT, ENC_DESKTOP_SIZE, ENC_EXT_DESKTOP_SIZE, ENC_RAW, ENC_ZLIB, type UpdateRect } from './rfb-client.js';

/** A client-side framebuffer in the client's pixel format. */
export class ClientFramebuffer {
  data: Uint8Array;
  /** Pixel rects applied so far. */
  rectsApplied = 0;

  constructor(
    public width: number,
    public height: number,
    readonly bytesPerPixel = 4,
  ) {
    this.data = new Uint8Array(width * height * bytesPerPixel);
  }

  /** Applies every rect of one update, in order. Throws on a pixel rect outside the screen. */
  apply(rects: readonly UpdateRect[]): void {
    for (const r of rects) {
      if (r.encoding === ENC_DESKTOP_SIZE || r.encoding === ENC_EXT_DESKTOP_SIZE) {
        this.width = r.w;
        this.height = r.h;
        this.data = new Uint8Array(r.w * r.h * this.bytesPerPixel);
        continue;
      }
      if (r.encoding === ENC_COPY_RECT) {
        this.copy(r);
        continue;
      }
      if (r.encoding !== ENC_RAW && r.encoding !== ENC_ZLIB) continue;
      if (r.x + r.w > this.width || r.y + r.h > this.height) {
        throw new Error(`rect ${r.w}x${r.h}+${r.x}+${r.y} outside the ${this.width}x${this.height} screen`);
      }
      const bpp = this.bytesPerPixel;
      const row = r.w * bpp;
      if (r.data.length !== row * r.h) throw new Error(`rect has ${r.data.length} bytes, expected ${row * r.h}`);
      for (let y = 0; y < r.h; y++) {
        this.data.set(r.data.subarray(y * row, (y + 1) * row), ((r.y + y) * this.width + r.x) * bpp);
      }
      this.rectsApplied++;
    }
  }

  /** Applies a CopyRect (source and destination may overlap: copied through a temporary). */
  private copy(r: UpdateRect): void {
    const { x: sx, y: sy } = r.src!;
    if (r.x + r.w > this.width || r.y + r.h > this.height || sx + r.w > this.width || sy + r.h > this.height) {
      throw new Error(`CopyRect ${r.w}x${r.h} from ${sx},${sy} to ${r.x},${r.y} outside the ${this.width}x${this.height} screen`);
    }
    const bpp = this.bytesPerPixel;
    const row = r.w * bpp;
    const tmp = new Uint8Array(row * r.h);
    for (let y = 0; y < r.h; y++) tmp.set(this.data.subarray(((sy + y) * this.width + sx) * bpp, ((sy + y) * this.width + sx) * bpp + row), y * row);
    for (let y = 0; y < r.h; y++) this.data.set(tmp.subarray(y * row, (y + 1) * row), ((r.y + y) * this.width + r.x) * bpp);
    this.rectsApplied++;
  }
}
