/**
 * The lossless refresh of JPEG areas (Tight with a quality level): once the picture has stopped
 * changing for LOSSLESS_REFRESH_MS, what went out as JPEG is sent again without JPEG, so the
 * client ends pixel-exact, as TigerVNC's server does. Checked on the UpdateBuilder with the test
 * decoder (what is sent, and that the client's picture ends exact), and over a real socket (the
 * refresh comes by itself, after the picture settles, only to clients that got JPEG).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@openvmm-vnc-ts/video-core';
import { ByteWriter } from '../src/byte-writer.js';
import { LOSSLESS_REFRESH_MS } from '../src/connection.js';
import { RawEncoder } from '../src/encodings/raw.js';
import { PixelConverter } from '../src/pixel-convert.js';
import { SERVER_PIXEL_FORMAT } from '../src/pixel-format.js';
import { UpdateBuilder } from '../src/update-builder.js';
import { MemFramebuffer } from './helpers/mem-fb.js';
import { Prng } from './helpers/prng.js';
import { closeAll, delay, ready } from './helpers/server-fixture.js';
import { TightTestDecoder } from './helpers/tight-decoder.js';

afterEach(closeAll);

const TIGHT = 7;
const QUALITY_5 = -32 + 5;

/** A photo-like screen (many colours): Tight sends it as JPEG when allowed. */
function photo(w: number, h: number, seed = 3): MemFramebuffer {
  const rnd = new Prng(seed);
  return new MemFramebuffer(w, h, (x, y) => (((x * 255) / w) << 16) | (((y * 255) / h) << 8) | (((x + y) & 0xff) ^ rnd.int(0, 15)));
}

function rawPicture(fb: MemFramebuffer): Uint8Array {
  const out = new ByteWriter();
  new RawEncoder().encodeRect({ x: 0, y: 0, w: fb.width, h: fb.height }, { framebuffer: fb, converter: new PixelConverter(SERVER_PIXEL_FORMAT), out });
  return out.bytes.slice(12, out.length);
}

/** Builds one update and decodes its rects (all Tight) into `dec`; returns the kinds sent. */
function buildAndDecode(b: UpdateBuilder, dec: TightTestDecoder): string[] {
  const r = b.build();
  if (r.kind !== 'update') throw new Error(`expected an update, got ${r.kind}`);
  return dec.decodeRects(r.data.subarray(4)).map((i) => i.kind);
}

describe('lossless refresh of JPEG areas', () => {
  it('resends what went out as JPEG without JPEG, and the client ends pixel-exact', () => {
    const fb = photo(256, 192);
    const b = new UpdateBuilder(fb, 'x', silentLogger);
    b.setEncodings([TIGHT, QUALITY_5]);
    b.markAll();
    const dec = new TightTestDecoder(SERVER_PIXEL_FORMAT, 256, 192);
    expect(buildAndDecode(b, dec)).toContain('jpeg');
    expect(b.hasLossy).toBe(true);
    expect(Buffer.from(dec.fb).equals(Buffer.from(rawPicture(fb)))).toBe(false);
    expect(b.refreshLossless()).toBe(true);
    const kinds = buildAndDecode(b, dec);
    expect(kinds.length).toBeGreaterThan(0);
    expect(kinds).not.toContain('jpeg');
    expect(b.hasLossy).toBe(false);
    expect(Buffer.from(dec.fb).equals(Buffer.from(rawPicture(fb)))).toBe(true);
    expect(b.refreshLossless()).toBe(false); // nothing left to refresh
    // The refresh was one update: JPEG is allowed again for new changes.
    fb.resize(256, 192, (x, y) => (x * 3 + y * 5) * 0x010101 + ((x * y) & 0xff));
    b.markAll();
    expect(buildAndDecode(b, dec)).toContain('jpeg');
  });

  it('only the areas still lossy are refreshed: one resent losslessly in between is left out', () => {
    const fb = photo(256, 128);
    const b = new UpdateBuilder(fb, 'x', silentLogger);
    b.setEncodings([TIGHT, QUALITY_5]);
    b.markAll();
    const dec = new TightTestDecoder(SERVER_PIXEL_FORMAT, 256, 128);
    buildAndDecode(b, dec);
    // The left half becomes flat and is resent (a fill, exact); only the right half stays lossy.
    for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) fb.setPixel(x, y, 0x204060);
    b.dirty.markRect(0, 0, 128, 128);
    expect(buildAndDecode(b, dec)).not.toContain('jpeg');
    expect(b.refreshLossless()).toBe(true);
    const r = b.build();
    if (r.kind !== 'update') throw new Error('expected an update');
    const infos = dec.decodeRects(r.data.subarray(4));
    expect(infos.every((i) => i.x >= 128)).toBe(true);
    expect(Buffer.from(dec.fb).equals(Buffer.from(rawPicture(fb)))).toBe(true);
  });

  it('over a socket: the refresh comes by itself once the picture settles, and only for clients that got JPEG', async () => {
    for (const [encodings, expectRefresh] of [
      [[TIGHT, QUALITY_5], true],
      [[TIGHT], false],
    ] as const) {
      const { c, conn } = await ready(photo(128, 96));
      c.setEncodings(encodings);
      c.requestUpdate(false, 0, 0, 128, 96);
      expect(await c.bytesArrivingWithin(300)).toBeGreaterThan(0);
      c.requestUpdate(true, 0, 0, 128, 96);
      const later = await c.bytesArrivingWithin(LOSSLESS_REFRESH_MS * 5);
      expect(later > 0).toBe(expectRefresh);
      expect(conn.inspect()['losslessRefreshes']).toBe(expectRefresh ? 1 : 0);
      await closeAll();
      await delay(10);
    }
  });
});
