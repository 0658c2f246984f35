/**
 * A static, deterministic test card for checking a viewer end to end.
 *
 * Everything on it is an exact value at a computable place, so tests can read VRAM (or a VNC
 * client's framebuffer) and compare pixels, and a person can judge a viewer's colours by eye:
 *
 * - a 1-px white border on the outermost pixels (shows the whole surface is visible);
 * - the title and, at the bottom, the resolution;
 * - 8 colour bars with pure colours ({@link TEST_CARD_BARS});
 * - four 16-step ramps (grey, red, green, blue), step `k` having channel value `k * 17`;
 * - a fine-detail row: 1-px checkerboard, 1-px vertical lines, 1-px horizontal lines and a
 *   2-px checkerboard, whose patterns follow the absolute pixel coordinates, so any off-by-one
 *   in a copy or an encoder shows as a visibly wrong pattern.
 *
 * {@link testCardLayout} gives every region's rectangle for a size; {@link drawTestCard} paints
 * it. Drawing the same size twice gives identical bytes.
 */

import type { DirtyRect } from '../dirty-rect.js';
import type { GuestCanvas } from './canvas.js';

/** The colour bars, left to right: white, yellow, cyan, green, magenta, red, blue, black. */
export const TEST_CARD_BARS: readonly number[] = Object.freeze([0xffffff, 0xffff00, 0x00ffff, 0x00ff00, 0xff00ff, 0xff0000, 0x0000ff, 0x000000]);
/** Background colour of the card (between regions). */
export const TEST_CARD_BACKGROUND = 0x202020;
/** Colour of the 1-px border on the outermost pixels. */
export const TEST_CARD_BORDER = 0xffffff;
/** Colour of the title and resolution text. */
export const TEST_CARD_TEXT = 0xffffff;
/** The two colours of the fine-detail patterns ("on" and "off"). */
export const TEST_CARD_DETAIL_ON = 0xffffff;
/** The "off" colour of the fine-detail patterns. */
export const TEST_CARD_DETAIL_OFF = 0x000000;
/** The title drawn at the top. */
export const TEST_CARD_TITLE = 'openvmm-vnc-ts test card';
/** Steps in each ramp; step `k` has channel value `k * 17` (0, 17, ..., 255). */
export const TEST_CARD_RAMP_STEPS = 16;
/** Smallest surface the card supports. */
export const TEST_CARD_MIN_WIDTH = 320;
/** Smallest surface the card supports. */
export const TEST_CARD_MIN_HEIGHT = 200;
/** Margin between the border and the content, in pixels. */
export const TEST_CARD_MARGIN = 8;

/** Channel value of ramp step `k` (0..15). */
export function testCardRampValue(k: number): number {
  return k * 17;
}

/** The four fine-detail patterns, left to right. */
export type TestCardDetailKind = 'checker1' | 'vlines' | 'hlines' | 'checker2';

/** The colour of fine-detail pattern `kind` at absolute surface pixel (x, y). */
export function testCardDetailPixel(kind: TestCardDetailKind, x: number, y: number): number {
  let on: boolean;
  switch (kind) {
    case 'checker1':
      on = ((x + y) & 1) === 0;
      break;
    case 'vlines':
      on = (x & 1) === 0;
      break;
    case 'hlines':
      on = (y & 1) === 0;
      break;
    case 'checker2':
      on = (((x >> 1) + (y >> 1)) & 1) === 0;
      break;
  }
  return on ? TEST_CARD_DETAIL_ON : TEST_CARD_DETAIL_OFF;
}

/** Where everything sits on a card of a given size (all rects right/bottom exclusive). */
export interface TestCardLayout {
  /** Surface width the layout is for. */
  readonly width: number;
  /** Surface height the layout is for. */
  readonly height: number;
  /** Top-left of the title text (scale 2, 12x16 px per character). */
  readonly title: { readonly x: number; readonly y: number };
  /** Top-left of the resolution text, e.g. `1024x768`. */
  readonly footer: { readonly x: number; readonly y: number; readonly text: string };
  /** The 8 bars, in {@link TEST_CARD_BARS} order. */
  readonly bars: readonly DirtyRect[];
  /** The ramps, each {@link TEST_CARD_RAMP_STEPS} step rects, left to right. */
  readonly ramps: {
    readonly grey: readonly DirtyRect[];
    readonly red: readonly DirtyRect[];
    readonly green: readonly DirtyRect[];
    readonly blue: readonly DirtyRect[];
  };
  /** The fine-detail regions. */
  readonly detail: Readonly<Record<TestCardDetailKind, DirtyRect>>;
}

/** Splits [left, left+span) into `n` columns with integer edges `left + floor(i*span/n)`. */
function columns(left: number, span: number, top: number, bottom: number, n: number): DirtyRect[] {
  return Array.from({ length: n }, (_, i) => ({
    left: left + Math.floor((i * span) / n),
    top,
    right: left + Math.floor(((i + 1) * span) / n),
    bottom,
  }));
}

/**
 * The layout of a `width` x `height` card. With `m` = 8 (margin), `innerW = width - 16`,
 * `R = height - 64`, `barH = floor(3R/8)`, `stripH = floor(R/16)`:
 *
 * - title at (8, 8); resolution text at (8, height - 24);
 * - bar `i` spans x `8 + floor(i*innerW/8)` .. `8 + floor((i+1)*innerW/8)`, y 32 .. 32+barH;
 * - the grey, red, green, blue ramps follow directly below, `stripH` rows each; step `k` spans
 *   x `8 + floor(k*innerW/16)` .. `8 + floor((k+1)*innerW/16)`;
 * - the detail row starts 8 px below the ramps and ends at `height - 32`; its four regions
 *   split the inner width like the bars do, in quarters.
 *
 * Throws `RangeError` below {@link TEST_CARD_MIN_WIDTH} x {@link TEST_CARD_MIN_HEIGHT}.
 */
export function testCardLayout(width: number, height: number): TestCardLayout {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < TEST_CARD_MIN_WIDTH || height < TEST_CARD_MIN_HEIGHT) {
    throw new RangeError(`test card needs at least ${TEST_CARD_MIN_WIDTH}x${TEST_CARD_MIN_HEIGHT}, got ${width}x${height}`);
  }
  const m = TEST_CARD_MARGIN;
  const innerW = width - 2 * m;
  const r = height - 64;
  const barH = Math.floor((3 * r) / 8);
  const stripH = Math.floor(r / 16);
  const barsTop = 32;
  const barsBottom = barsTop + barH;
  const strip = (i: number): DirtyRect[] =>
    columns(m, innerW, barsBottom + i * stripH, barsBottom + (i + 1) * stripH, TEST_CARD_RAMP_STEPS);
  const detailTop = barsBottom + 4 * stripH + 8;
  const detailBottom = height - 32;
  const [checker1, vlines, hlines, checker2] = columns(m, innerW, detailTop, detailBottom, 4) as [DirtyRect, DirtyRect, DirtyRect, DirtyRect];
  return {
    width,
    height,
    title: { x: m, y: m },
    footer: { x: m, y: height - 24, text: `${width}x${height}` },
    bars: columns(m, innerW, barsTop, barsBottom, TEST_CARD_BARS.length),
    ramps: { grey: strip(0), red: strip(1), green: strip(2), blue: strip(3) },
    detail: { checker1, vlines, hlines, checker2 },
  };
}

function fill(canvas: GuestCanvas, r: DirtyRect, rgb: number): void {
  canvas.fillRect(r.left, r.top, r.right - r.left, r.bottom - r.top, rgb);
}

/**
 * Paints the test card over the whole of `canvas` (at least 320x200) and returns the rect it
 * covered (the whole surface), ready to be sent as DIRT.
 */
export function drawTestCard(canvas: GuestCanvas): DirtyRect {
  const layout = testCardLayout(canvas.width, canvas.height);
  canvas.clear(TEST_CARD_BACKGROUND);
  layout.bars.forEach((r, i) => fill(canvas, r, TEST_CARD_BARS[i]!));
  const { grey, red, green, blue } = layout.ramps;
  for (let k = 0; k < TEST_CARD_RAMP_STEPS; k++) {
    const v = testCardRampValue(k);
    fill(canvas, grey[k]!, (v << 16) | (v << 8) | v);
    fill(canvas, red[k]!, v << 16);
    fill(canvas, green[k]!, v << 8);
    fill(canvas, blue[k]!, v);
  }
  for (const kind of Object.keys(layout.detail) as TestCardDetailKind[]) {
    const r = layout.detail[kind];
    canvas.fillWith(r.left, r.top, r.right - r.left, r.bottom - r.top, (x, y) => testCardDetailPixel(kind, x, y));
  }
  canvas.drawText(layout.title.x, layout.title.y, TEST_CARD_TITLE, TEST_CARD_TEXT, undefined);
  canvas.drawText(layout.footer.x, layout.footer.y, layout.footer.text, TEST_CARD_TEXT, undefined);
  canvas.strokeRect(0, 0, canvas.width, canvas.height, TEST_CARD_BORDER);
  return canvas.bounds;
}
