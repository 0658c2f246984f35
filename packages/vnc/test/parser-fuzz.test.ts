/**
 * Property-based fuzzing of the client-message parser (fast-check): random byte streams, split
 * at random points, only ever end in a typed VncError (never another exception, never a hang,
 * never a buffer larger than the cap), and valid message streams parse to the same events
 * however they are split.
 */

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClientParser, type ClientEvent, type ParserPhase } from '../src/client-parser.js';
import { VncError } from '../src/errors.js';

/** Feeds `chunks` and collects events until an error; returns both. */
function feed(phase: ParserPhase, chunks: Uint8Array[], maxBuffered?: number, extended = false): { events: ClientEvent[]; error?: unknown } {
  const p = new ClientParser(maxBuffered);
  p.phase = phase;
  if (extended) Object.assign(p.extensions, { extendedMouseButtons: true, extendedClipboard: true, continuousUpdates: true, fence: true });
  const events: ClientEvent[] = [];
  try {
    for (const c of chunks) {
      p.push(c);
      for (let ev = p.next(); ev; ev = p.next()) events.push(ev);
    }
  } catch (error) {
    return { events, error };
  }
  return { events };
}

/** Splits `bytes` at the given cut points. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

const u16 = (v: number): number[] => [(v >> 8) & 255, v & 255];
const u32 = (v: number): number[] => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

/** Arbitrary valid client messages (normal phase). */
const validMessage: fc.Arbitrary<number[]> = fc.oneof(
  fc.tuple(fc.constantFrom(8, 16, 32), fc.nat(255)).map(([bpp, d]) => [0, 0, 0, 0, bpp, d, 0, 1, 0, 31, 0, 63, 0, 31, 11, 5, 0, 0, 0, 0]),
  fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 20 }).map((e) => [2, 0, ...u16(e.length), ...e.flatMap((x) => u32(x >>> 0))]),
  fc.tuple(fc.boolean(), fc.nat(65535), fc.nat(65535), fc.nat(65535), fc.nat(65535)).map(([i, x, y, w, h]) => [3, i ? 1 : 0, ...u16(x), ...u16(y), ...u16(w), ...u16(h)]),
  fc.tuple(fc.boolean(), fc.nat()).map(([d, k]) => [4, d ? 1 : 0, 0, 0, ...u32(k)]),
  fc.tuple(fc.nat(255), fc.nat(65535), fc.nat(65535)).map(([b, x, y]) => [5, b, ...u16(x), ...u16(y)]),
  fc.uint8Array({ maxLength: 64 }).map((t) => [6, 0, 0, 0, ...u32(t.length), ...t]),
  fc.tuple(fc.boolean(), fc.nat(), fc.nat()).map(([d, s, k]) => [255, 0, ...u16(d ? 1 : 0), ...u32(s), ...u32(k)]),
);

/** Valid messages that exist only once extensions are negotiated (plus everything above). */
const validExtendedMessage: fc.Arbitrary<number[]> = fc.oneof(
  // With ExtendedMouseButtons on, a pointer event with bit 7 set is the 7-byte form.
  validMessage.filter((m) => !(m[0] === 5 && m[1]! >= 0x80)),
  fc.tuple(fc.nat(127), fc.nat(65535), fc.nat(65535), fc.nat(3)).map(([b, x, y, e]) => [5, 0x80 | b, ...u16(x), ...u16(y), e]),
  fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 40 })).map(([flags, d]) => [6, 0, 0, 0, ...u32(-(4 + d.length) >>> 0), ...u32(flags), ...d]),
  fc.tuple(fc.boolean(), fc.nat(65535), fc.nat(65535), fc.nat(65535), fc.nat(65535)).map(([e, x, y, w, h]) => [150, e ? 1 : 0, ...u16(x), ...u16(y), ...u16(w), ...u16(h)]),
  fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 80 })).map(([flags, d]) => [248, 0, 0, 0, ...u32(flags), d.length, ...d]),
);

describe('client parser fuzzing', () => {
  it('random bytes in any phase, split anywhere: only VncError, bounded buffering', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ParserPhase>('version', 'securityType', 'vencryptVersion', 'vencryptSubtype', 'tls', 'vncAuthResponse', 'clientInit', 'normal'),
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (phase, bytes, cuts) => {
          const { error } = feed(phase, split(bytes, cuts), 256);
          if (error !== undefined) expect(error).toBeInstanceOf(VncError);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('huge declared lengths never allocate: a 0xFFFFFFFF cut text with a short body just waits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0x100001, max: 0xffffffff }), fc.uint8Array({ maxLength: 200 }), (len, body) => {
        const before = process.memoryUsage().arrayBuffers;
        const { events, error } = feed('normal', [new Uint8Array([6, 0, 0, 0, ...u32(len)]), body]);
        expect(error).toBeUndefined();
        expect(events).toEqual([]);
        expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * 1024 * 1024);
      }),
      { numRuns: 200 },
    );
  });

  it('with every extension negotiated: random bytes give only VncError, valid streams parse identically however split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        const { error } = feed('normal', split(bytes, cuts), 256, true);
        if (error !== undefined) expect(error).toBeInstanceOf(VncError);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.array(validExtendedMessage, { minLength: 1, maxLength: 30 }), fc.array(fc.nat(), { maxLength: 40 }), (msgs, cuts) => {
        const bytes = new Uint8Array(msgs.flat());
        const whole = feed('normal', [bytes], undefined, true);
        const pieces = feed('normal', split(bytes, cuts), undefined, true);
        expect(whole.error).toBeUndefined();
        expect(pieces.events).toEqual(whole.events);
        expect(whole.events).toHaveLength(msgs.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('valid message streams parse identically whole and split at random points', () => {
    fc.assert(
      fc.property(fc.array(validMessage, { minLength: 1, maxLength: 30 }), fc.array(fc.nat(), { maxLength: 40 }), (msgs, cuts) => {
        const bytes = new Uint8Array(msgs.flat());
        const whole = feed('normal', [bytes]);
        const pieces = feed('normal', split(bytes, cuts));
        expect(whole.error).toBeUndefined();
        expect(pieces.error).toBeUndefined();
        expect(pieces.events).toEqual(whole.events);
        expect(whole.events).toHaveLength(msgs.length);
      }),
      { numRuns: 1000 },
    );
  });
});
