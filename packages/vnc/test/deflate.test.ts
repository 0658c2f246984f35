/**
 * Tests for the continuous sync-flushed deflate stream (both backends): one persistent inflater
 * must decode every chunk in order, each chunk must be decodable as soon as it arrives, the zlib
 * header appears only once, and empty and large inputs work.
 */
import zlib from 'node:zlib';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { type DeflateBackend, DEFAULT_DEFLATE_BACKEND, createDeflateStream, isNodeDeflateAvailable } from '../src/deflate.js';
import { Prng } from './helpers/prng.js';

const BACKENDS: DeflateBackend[] = ['node', 'pako'];

/** Decodes chunks one by one with ONE persistent node inflater, flushing after each. */
async function inflateChunkwise(chunks: Uint8Array[]): Promise<Uint8Array[]> {
  const inf = zlib.createInflate();
  const results: Uint8Array[] = [];
  let current: Buffer[] = [];
  inf.on('data', (b: Buffer) => current.push(b));
  for (const c of chunks) {
    inf.write(c);
    await new Promise<void>((resolve) => inf.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    results.push(Buffer.concat(current));
    current = [];
  }
  inf.close();
  return results;
}

/** Decodes the concatenation of all chunks in one go. */
function inflateAll(chunks: Uint8Array[]): Buffer {
  return zlib.inflateSync(Buffer.concat(chunks), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
}

function textChunks(): Uint8Array[] {
  const enc = new TextEncoder();
  return [enc.encode('hello hello hello hello'), enc.encode('world, world'), new Uint8Array(0), enc.encode('hello world '.repeat(500))];
}

const SYNC_MARKER = [0x00, 0x00, 0xff, 0xff];

describe('createDeflateStream', () => {
  it('defaults to node:zlib (the faster backend by the benchmark) where available, as it is on this Node', () => {
    expect(isNodeDeflateAvailable()).toBe(true);
    expect(DEFAULT_DEFLATE_BACKEND).toBe('node');
  });

  it('rejects levels outside 0..9', () => {
    expect(() => createDeflateStream('pako', 10)).toThrow(RangeError);
    expect(() => createDeflateStream('node', -1)).toThrow(RangeError);
    expect(() => createDeflateStream('pako', 1.5)).toThrow(RangeError);
  });

  for (const backend of BACKENDS) {
    describe(`${backend} backend`, () => {
      it('one inflater over all chunks reproduces every input in order', () => {
        const d = createDeflateStream(backend);
        const inputs = textChunks();
        const outs = inputs.map((i) => d.push(i).slice());
        d.close();
        expect(Buffer.from(inflateAll(outs))).toEqual(Buffer.concat(inputs));
      });

      it('each chunk decodes as soon as it arrives with a persistent inflater', async () => {
        const d = createDeflateStream(backend);
        const inputs = textChunks();
        const outs = inputs.map((i) => d.push(i).slice());
        d.close();
        const decoded = await inflateChunkwise(outs);
        decoded.forEach((got, i) => expect(Buffer.from(got), `chunk ${i}`).toEqual(Buffer.from(inputs[i]!)));
      });

      it('writes the zlib header only at the start and ends every chunk with a sync-flush marker', () => {
        const d = createDeflateStream(backend, 1);
        const a = d.push(new TextEncoder().encode('abcabcabc')).slice();
        const b = d.push(new TextEncoder().encode('abcabcabc')).slice();
        d.close();
        expect([a[0], a[1]]).toEqual([0x78, 0x01]); // deflate, 32K window, fastest level
        expect(((a[0]! << 8) | a[1]!) % 31).toBe(0);
        expect([...a.subarray(a.length - 4)]).toEqual(SYNC_MARKER);
        expect([...b.subarray(b.length - 4)]).toEqual(SYNC_MARKER);
        // The second chunk refers back to the first (it is much shorter than a fresh stream).
        expect(b.length).toBeLessThan(a.length);
        expect(b[0]).not.toBe(0x78);
      });

      it('handles an empty first push and empty pushes in between', () => {
        const d = createDeflateStream(backend);
        const first = d.push(new Uint8Array(0)).slice();
        expect(first.length).toBeGreaterThanOrEqual(2);
        const x = d.push(new Uint8Array([1, 2, 3])).slice();
        const e = d.push(new Uint8Array(0)).slice();
        d.close();
        expect([...inflateAll([first])]).toEqual([]);
        expect([...inflateAll([first, x, e])]).toEqual([1, 2, 3]);
      });

      it('compresses 4 MB inputs (compressible and random) in one push', async () => {
        const d = createDeflateStream(backend);
        const flat = new Uint8Array(4 << 20).fill(0x5a);
        const rnd = new Prng(7).bytes(4 << 20);
        const o1 = d.push(flat).slice();
        const o2 = d.push(rnd).slice();
        d.close();
        expect(o1.length).toBeLessThan(64 * 1024);
        expect(o2.length).toBeGreaterThan(rnd.length); // incompressible: stored blocks
        const [a, b] = await inflateChunkwise([o1, o2]);
        expect(Buffer.from(a!).equals(Buffer.from(flat))).toBe(true);
        expect(Buffer.from(b!).equals(Buffer.from(rnd))).toBe(true);
      });

      it('round-trips arbitrary chunk sequences, every prefix decodable on its own', () => {
        fc.assert(
          fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 12 }), fc.integer({ min: 0, max: 9 }), (inputs, level) => {
            const d = createDeflateStream(backend, level);
            const outs: Uint8Array[] = [];
            inputs.forEach((input, k) => {
              outs.push(d.push(input).slice());
              // Everything sent so far decodes to everything pushed so far: no byte of chunk k
              // waits for a later push.
              expect(inflateAll(outs).equals(Buffer.concat(inputs.slice(0, k + 1))), `prefix ${k}`).toBe(true);
            });
            d.close();
          }),
          { numRuns: 60 },
        );
      });

      it('reset starts a new stream that a fresh inflater decodes', () => {
        const d = createDeflateStream(backend);
        d.push(new TextEncoder().encode('first stream'));
        d.reset?.();
        const a = d.push(new TextEncoder().encode('second stream')).slice();
        d.close();
        expect(a[0]).toBe(0x78);
        expect(inflateAll([a]).toString()).toBe('second stream');
      });

      it('refuses pushes after close, and close is idempotent', () => {
        const d = createDeflateStream(backend);
        d.close();
        d.close();
        expect(() => d.push(new Uint8Array(1))).toThrow(/closed/);
      });

      it('keeps separate instances independent', () => {
        const d1 = createDeflateStream(backend);
        const d2 = createDeflateStream(backend);
        const a1 = d1.push(new TextEncoder().encode('one')).slice();
        const b1 = d2.push(new TextEncoder().encode('two')).slice();
        const a2 = d1.push(new TextEncoder().encode('three')).slice();
        d1.close();
        d2.close();
        expect(inflateAll([a1, a2]).toString()).toBe('onethree');
        expect(inflateAll([b1]).toString()).toBe('two');
      });
    });
  }
});
