/**
 * Builds the FramebufferUpdates of one connection: what this client has not been sent yet (its
 * own {@link DirtyRegion}: tiles, refined to the exact damage rects while they are few), in its
 * pixel format and preferred encoding (Tight, ZRLE, Zlib or Raw), its CopyRects first when it
 * takes them (`move-tracker.ts`), plus the pseudo-rects it asked for (cursor shape, screen
 * layout, desktop name, LEDs).
 *
 * Every update is built in one reused buffer and leaves as one write. The rect count is never
 * truncated: past 65535 rects the list ends with a LastRect for clients that take it, and
 * becomes one full-screen rect for the others.
 */

import type { Logger } from '@openvmm-vnc-ts/video-core';
import { ByteWriter } from './byte-writer.js';
import { DirtyBitmap, type Rect } from './dirty-bitmap.js';
import { DirtyRegion } from './dirty-region.js';
import { DesktopSizeReason, DesktopSizeStatus, encodeDesktopName, encodeExtendedDesktopSize, singleScreen } from './desktop-size.js';
import { type CursorImage, DEFAULT_CURSOR, encodeCursor } from './encodings/cursor.js';
import { encodeCursorWithAlpha } from './encodings/cursor-alpha.js';
import { LED_STATE_ENCODING, type LedState, encodeLedState } from './led-state.js';
import type { RectEncoder } from './encodings/encoder.js';
import { RawEncoder } from './encodings/raw.js';
import { ZlibEncoder } from './encodings/zlib.js';
import { ZrleEncoder } from './encodings/zrle.js';
import { TightEncoder } from './encodings/tight.js';
import { tightLevels } from './encodings/tight-levels.js';
import type { FramebufferSource } from './framebuffer-source.js';
import { PixelConverter } from './pixel-convert.js';
import { type PixelFormat, SERVER_PIXEL_FORMAT } from './pixel-format.js';
import { Encoding, MAX_RECTS_PER_UPDATE, encodingName } from './rfb.js';
import { countEncodedRects, writeRectHeader } from './encodings/encoder.js';
import { type Move, encodeCopyRect } from './encodings/copy-rect.js';
import { type BatchRect, MoveTracker } from './move-tracker.js';
import type { ShadowFrame } from './shadow-frame.js';

/** Rect encodings we can produce; the first of these in the client's list wins. */
const SUPPORTED_RECT_ENCODINGS: readonly number[] = [Encoding.TIGHT, Encoding.ZRLE, Encoding.ZLIB, Encoding.RAW];

/** Whether a client with these encodings draws the pointer itself (Cursor, or Cursor With Alpha). */
function takesCursor(encodings: ReadonlySet<number>): boolean {
  return encodings.has(Encoding.CURSOR) || encodings.has(Encoding.CURSOR_WITH_ALPHA);
}

/** What {@link UpdateBuilder.build} decided. */
export type BuildResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'update'; readonly data: Buffer; readonly rects: number }
  /** The screen changed size: this message announces it; the full frame follows in the next. */
  | { readonly kind: 'resize'; readonly data: Buffer }
  | { readonly kind: 'resize-unsupported'; readonly width: number; readonly height: number };

/** One connection's update state. */
export class UpdateBuilder {
  /** What this client has not been sent since it changed (tiles, and the exact rects while few). */
  readonly dirty: DirtyRegion;
  private readonly out = new ByteWriter();
  private readonly rects: Rect[] = [];
  private readonly exactRects: Rect[] = [];
  /** Present while the client takes CopyRect. */
  private moves: MoveTracker | undefined;
  private readonly raw = new RawEncoder();
  private zlib: ZlibEncoder | undefined;
  private zrle: ZrleEncoder | undefined;
  private tight: TightEncoder | undefined;
  private encoder: RectEncoder = this.raw;
  private converter = new PixelConverter(SERVER_PIXEL_FORMAT);
  private encodings = new Set<number>();
  private cursor: CursorImage = DEFAULT_CURSOR;
  private cursorPending = false;
  private namePending = false;
  /** The screen layout (ExtendedDesktopSize, reason "server") is due: new -308 client, or a non-incremental request. */
  private layoutPending = false;
  private leds: LedState | undefined;
  private ledsPending = false;
  /** Tiles last sent as JPEG (Tight) and not resent since; created on the first JPEG. */
  private lossy: DirtyBitmap | undefined;
  /** The next update is a lossless refresh: no JPEG in it. */
  private losslessNext = false;

  constructor(
    private readonly fb: FramebufferSource,
    private readonly name: string,
    private readonly log: Logger,
  ) {
    this.dirty = new DirtyRegion(fb.width, fb.height);
  }

  /**
   * Whether this client should be passed compared dirt (`DamageFilter`: only the pixels that
   * changed) rather than the guest's rects as they are: with Raw and Zlib, bytes follow the area
   * sent, so dropping unchanged pixels pays (a scrolled terminal over Raw: about half the bytes).
   * ZRLE and Tight already send unchanged areas for a few bytes and compress worse when a rect
   * is cut into pieces (measured: more bytes and more CPU), and CopyRect's move bookkeeping works
   * on the guest's rects.
   */
  get takesComparedDirt(): boolean {
    return !this.encodings.has(Encoding.COPY_RECT) && (this.encoder === this.raw || this.encoder === this.zlib);
  }

  /** The client's pixel format converter. */
  get pixelConverter(): PixelConverter {
    return this.converter;
  }

  /** The encoding rects are sent in. */
  get rectEncoding(): number {
    return this.encoder.encoding;
  }

  /** The client's advertised encodings. */
  get clientEncodings(): ReadonlySet<number> {
    return this.encodings;
  }

  /** Starts over at the current framebuffer size (ServerInit just told the client this size). */
  reset(): void {
    this.dirty.resize(this.fb.width, this.fb.height);
    this.moves?.drop();
  }

  /** Marks the whole screen for resending (pending moves are moot). */
  markAll(): void {
    this.dirty.markAll();
    this.moves?.drop();
    this.lossy?.clear();
  }

  /** True while some of the client's picture is JPEG that has not been resent losslessly. */
  get hasLossy(): boolean {
    return this.lossy !== undefined && !this.lossy.isEmpty();
  }

  /**
   * Queues the lossless refresh: the tiles sent as JPEG are marked dirty and the next update
   * sends no JPEG. The connection calls this once the picture has stopped changing for a while.
   * Returns false when there is nothing lossy.
   */
  refreshLossless(): boolean {
    if (!this.lossy || this.lossy.isEmpty() || this.lossy.width !== this.width || this.lossy.height !== this.height) return false;
    for (const r of this.lossy.toRects()) this.dirty.markRect(r.x, r.y, r.x + r.w, r.y + r.h);
    this.lossy.clear();
    this.losslessNext = true;
    return true;
  }

  /** The CopyRect bookkeeping, while the client takes CopyRect (for inspect and tests). */
  get moveTracker(): MoveTracker | undefined {
    return this.moves;
  }

  /**
   * One dirt batch and the moves found in it against `shadow`: a CopyRect client takes the
   * moves it can (see {@link MoveTracker}); any other client just marks the rects.
   */
  markBatch(rects: readonly BatchRect[], moves: readonly Move[], shadow: ShadowFrame | undefined): void {
    if (this.moves && shadow?.active && shadow.width === this.width && shadow.height === this.height) {
      this.moves.applyBatch(rects, moves, shadow, this.dirty);
      return;
    }
    for (const r of rects) this.dirty.markRect(r.left, r.top, r.right, r.bottom);
  }

  /** Applies SetPixelFormat: everything is resent in the new format, the cursor too. */
  setPixelFormat(pf: PixelFormat): void {
    this.converter = new PixelConverter(pf);
    this.markAll();
    if (this.encodings.has(Encoding.CURSOR)) this.cursorPending = true;
  }

  /** Applies SetEncodings: picks the rect encoding by the client's order, notes pseudo-encodings. */
  setEncodings(list: readonly number[]): void {
    const had = this.encodings;
    const compared = this.takesComparedDirt;
    this.encodings = new Set(list);
    const chosen = list.find((e) => SUPPORTED_RECT_ENCODINGS.includes(e)) ?? Encoding.RAW;
    // Each stream-based encoder is created once and kept for the connection's life: the
    // client's inflater for it persists even while another encoding is in use.
    if (chosen === Encoding.TIGHT) {
      this.encoder = this.tight ??= new TightEncoder();
      const levels = tightLevels(list);
      this.tight.setLevels(levels.compress, levels.quality);
    } else if (chosen === Encoding.ZRLE) this.encoder = this.zrle ??= new ZrleEncoder();
    else if (chosen === Encoding.ZLIB) this.encoder = this.zlib ??= new ZlibEncoder();
    else this.encoder = this.raw;
    if (this.encodings.has(Encoding.COPY_RECT)) this.moves ??= new MoveTracker();
    else if (this.moves) {
      // Moves already promised become plain dirt.
      this.moves.drop(this.dirty);
      this.moves = undefined;
    }
    // From now on the coordinator passes this client compared dirt, whose snapshot may hold
    // pixels this client has not read yet (their DIRT still on its way): resend everything once.
    if (!compared && this.takesComparedDirt) this.markAll();
    if (takesCursor(this.encodings) && (!takesCursor(had) || this.encodings.has(Encoding.CURSOR_WITH_ALPHA) !== had.has(Encoding.CURSOR_WITH_ALPHA))) {
      this.cursorPending = true;
    }
    if (this.encodings.has(Encoding.DESKTOP_NAME) && !had.has(Encoding.DESKTOP_NAME)) this.namePending = true;
    if (this.encodings.has(Encoding.EXTENDED_DESKTOP_SIZE) && !had.has(Encoding.EXTENDED_DESKTOP_SIZE)) this.layoutPending = true;
    if (this.encodings.has(LED_STATE_ENCODING) && !had.has(LED_STATE_ENCODING) && this.leds) this.ledsPending = true;
    this.log.debug('encodings', { list: list.map(encodingName).join(','), using: encodingName(chosen) });
  }

  /**
   * A non-incremental request: a client that takes ExtendedDesktopSize gets the screen layout
   * again with the next update (as TigerVNC does; noVNC learns from it that the server speaks
   * ExtendedDesktopSize).
   */
  requestLayout(): void {
    if (this.encodings.has(Encoding.EXTENDED_DESKTOP_SIZE)) this.layoutPending = true;
  }

  /** A new pointer shape from the guest; sent to clients that take the Cursor pseudo-encoding. */
  setCursor(image: CursorImage): void {
    this.cursor = image;
    if (takesCursor(this.encodings)) this.cursorPending = true;
  }

  /** The guest's keyboard lock LEDs; sent to clients that take the QEMU LED State pseudo-encoding. */
  setLeds(leds: LedState): void {
    const old = this.leds;
    this.leds = leds;
    const changed = !old || old.caps !== leds.caps || old.num !== leds.num || old.scroll !== leds.scroll;
    if (changed && this.encodings.has(LED_STATE_ENCODING)) this.ledsPending = true;
  }

  /** True when the next {@link UpdateBuilder.build} has something to send. */
  hasPending(): boolean {
    return this.cursorPending || this.namePending || this.ledsPending || this.layoutPending || this.fb.width !== this.width || this.fb.height !== this.height || !this.dirty.isEmpty() || (this.moves?.pendingCount ?? 0) > 0;
  }

  /**
   * Builds the next update for a client that asked for one: a resize first (its own message,
   * then the full frame), else the pending pseudo-rects and the dirty rects in one message.
   */
  build(): BuildResult {
    const fb = this.fb;
    if (fb.width !== this.width || fb.height !== this.height) return this.buildResize();
    if (!this.hasPending()) return { kind: 'none' };
    const moves = this.moves?.take() ?? [];
    if (this.tight) this.tight.lossless = this.losslessNext;
    this.losslessNext = false;
    let rects = this.dirty.isEmpty() ? [] : this.dirty.refine(this.dirty.toRects(this.rects), this.exactRects);
    const pseudo = Number(this.cursorPending) + Number(this.namePending) + Number(this.ledsPending && this.leds !== undefined) + Number(this.layoutPending) + moves.length;
    const out = this.out;
    const ctx = { framebuffer: fb, converter: this.converter, out };
    let dataRects = countEncodedRects(this.encoder, rects, ctx);
    // Too many for the u16 count: end the list with a LastRect instead, or send one full frame.
    const lastRect = dataRects > MAX_RECTS_PER_UPDATE - pseudo && this.encodings.has(Encoding.LAST_RECT);
    if (dataRects > MAX_RECTS_PER_UPDATE - pseudo && !lastRect) {
      rects = [{ x: 0, y: 0, w: fb.width, h: fb.height }];
      dataRects = countEncodedRects(this.encoder, rects, ctx);
    }
    out.reset();
    out.u8(0);
    out.u8(0);
    const countAt = out.reserve(2);
    let count = 0;
    if (this.cursorPending) {
      // Cursor With Alpha, when the client takes it, keeps the shape's soft edges.
      if (this.encodings.has(Encoding.CURSOR_WITH_ALPHA)) encodeCursorWithAlpha(this.cursor, out);
      else encodeCursor(this.cursor, this.converter, out);
      this.cursorPending = false;
      count++;
    }
    if (this.namePending) {
      encodeDesktopName(out, this.name);
      this.namePending = false;
      count++;
    }
    if (this.layoutPending) {
      encodeExtendedDesktopSize(out, { reason: DesktopSizeReason.SERVER, status: DesktopSizeStatus.OK, width: fb.width, height: fb.height, screens: singleScreen(fb.width, fb.height) });
      this.layoutPending = false;
      count++;
    }
    if (this.ledsPending && this.leds) {
      encodeLedState(out, this.leds);
      this.ledsPending = false;
      count++;
    }
    // CopyRects first: clients apply rects in order, and the pixels after them repair the copies.
    for (const m of moves) encodeCopyRect(out, m);
    for (const r of rects) this.encoder.encodeRect(r, ctx);
    count += moves.length + dataRects;
    if (lastRect) writeRectHeader(out, 0, 0, 0, 0, Encoding.LAST_RECT);
    out.patchU16(countAt, lastRect ? MAX_RECTS_PER_UPDATE : count);
    this.dirty.clear();
    this.moves?.afterSend(rects, fb);
    this.trackLossy(moves, rects);
    return { kind: 'update', data: out.take(), rects: moves.length + dataRects };
  }

  /**
   * Keeps {@link UpdateBuilder.lossy} current after an update: a CopyRect from a lossy area
   * makes its destination lossy, tiles resent whole are exact again, and the sub-rects that just
   * went out as JPEG are lossy.
   */
  private trackLossy(moves: readonly Move[], rects: readonly Rect[]): void {
    const jpeg = this.tight?.takeLossy() ?? [];
    if (jpeg.length === 0 && !this.hasLossy) return;
    this.lossy ??= new DirtyBitmap(this.width, this.height);
    const lossy = this.lossy;
    if (lossy.width !== this.width || lossy.height !== this.height) {
      lossy.resize(this.width, this.height);
      lossy.clear();
    }
    for (const m of moves) if (lossy.anyInRect(m.srcX, m.srcY, m.srcX + m.w, m.srcY + m.h)) lossy.markRect(m.dstX, m.dstY, m.dstX + m.w, m.dstY + m.h);
    for (const r of rects) lossy.clearInside(r.x, r.y, r.x + r.w, r.y + r.h);
    for (const r of jpeg) lossy.markRect(r.x, r.y, r.x + r.w, r.y + r.h);
  }

  /** The size this client currently believes the screen has (its bitmap is kept at that size). */
  private get width(): number {
    return this.dirty.width;
  }

  private get height(): number {
    return this.dirty.height;
  }

  /** Returns an update's buffer once the socket has flushed it, for reuse. */
  recycle(data: Buffer): void {
    this.out.recycle(data);
  }

  /** Releases encoder state (the zlib, ZRLE and Tight streams). */
  close(): void {
    this.zlib?.close();
    this.zrle?.close();
    this.tight?.close();
  }

  private buildResize(): BuildResult {
    const { width, height } = this.fb;
    const extended = this.encodings.has(Encoding.EXTENDED_DESKTOP_SIZE);
    if (!extended && !this.encodings.has(Encoding.DESKTOP_SIZE)) return { kind: 'resize-unsupported', width, height };
    this.dirty.resize(width, height);
    this.moves?.drop();
    this.lossy?.resize(width, height);
    this.lossy?.clear();
    const out = this.out;
    out.reset();
    out.u8(0);
    out.u8(0);
    out.u16(1);
    if (extended) {
      encodeExtendedDesktopSize(out, { reason: DesktopSizeReason.SERVER, status: DesktopSizeStatus.OK, width, height, screens: singleScreen(width, height) });
    } else {
      writeRectHeader(out, 0, 0, width, height, Encoding.DESKTOP_SIZE);
    }
    return { kind: 'resize', data: out.toBuffer() };
  }

  /**
   * The answer to a client's SetDesktopSize: the guest's resolution is the guest's to choose
   * (synthvid has no host-initiated mode set), so the request is refused as prohibited, with the
   * current layout, per the ExtendedDesktopSize rules.
   */
  refuseDesktopSize(): Buffer {
    const out = this.out;
    out.reset();
    out.u8(0);
    out.u8(0);
    out.u16(1);
    encodeExtendedDesktopSize(out, {
      reason: DesktopSizeReason.THIS_CLIENT,
      status: DesktopSizeStatus.PROHIBITED,
      width: this.width,
      height: this.height,
      screens: singleScreen(this.width, this.height),
    });
    return out.toBuffer();
  }
}
