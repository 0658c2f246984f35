/**
 * Property-based fuzzing of the synthvid side (fast-check): the codec turns any bytes into a
 * message or a typed SynthvidError, never anything else; every message it can encode decodes back
 * to itself; and a device fed hostile packets (after a valid negotiation) never throws, only
 * closes its channel with a typed error, and never takes a framebuffer format that does not fit
 * VRAM.
 */

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MessageChannel } from 'node:worker_threads';
import { decodeSynthvid, encodeSynthvid } from '../src/synthvid/codec.js';
import { SynthvidDevice } from '../src/synthvid/device.js';
import { SynthvidError } from '../src/synthvid/errors.js';
import { FramebufferView, Vram, formatProblem } from '../src/framebuffer.js';

const header = (type: number, payload: number[]): Uint8Array => {
  const b = new Uint8Array(8 + payload.length);
  new DataView(b.buffer).setUint32(0, type, true);
  new DataView(b.buffer).setUint32(4, payload.length, true);
  b.set(payload, 8);
  return b;
};

describe('synthvid codec fuzzing', () => {
  it('any bytes decode to a message or a SynthvidError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.tuple(fc.integer({ min: 0, max: 20 }), fc.array(fc.nat(255), { maxLength: 200 })).map(([t, p]) => header(t, p))), (bytes) => {
        try {
          const msg = decodeSynthvid(bytes);
          expect(typeof msg.type).toBe('string');
        } catch (e) {
          expect(e).toBeInstanceOf(SynthvidError);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('decoded messages re-encode and decode to the same message', () => {
    fc.assert(
      fc.property(fc.tuple(fc.integer({ min: 1, max: 16 }), fc.array(fc.nat(255), { minLength: 0, maxLength: 300 })), ([t, p]) => {
        let msg;
        try {
          msg = decodeSynthvid(header(t, p));
        } catch {
          return;
        }
        let again: Uint8Array;
        try {
          again = encodeSynthvid(msg);
        } catch (e) {
          expect(e).toBeInstanceOf(SynthvidError); // e.g. a decoded shape the encoder rejects as invalid
          return;
        }
        expect(decodeSynthvid(again)).toEqual(msg);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('synthvid device fuzzing', () => {
  it('hostile packets after negotiation never throw, close only with a typed error, and never install an oversized format', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.tuple(fc.integer({ min: 0, max: 20 }), fc.array(fc.nat(255), { maxLength: 120 })).map(([t, p]) => header(t, p)),
            // Situation updates with absurd geometry.
            fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()).map(([w, h, pitch, off]) => {
              const p = new Uint8Array(27);
              const dv = new DataView(p.buffer);
              dv.setUint8(8, 1);
              dv.setUint8(9, 1);
              dv.setUint32(10, off, true);
              dv.setUint8(14, 32);
              dv.setUint32(15, w, true);
              dv.setUint32(19, h, true);
              dv.setUint32(23, pitch, true);
              return header(5, [...p]);
            }),
            // DIRT with arbitrary signed rects.
            fc.array(fc.tuple(fc.integer(), fc.integer(), fc.integer(), fc.integer()), { maxLength: 5 }).map((rects) => {
              const p = new Uint8Array(2 + rects.length * 16);
              const dv = new DataView(p.buffer);
              dv.setUint8(1, rects.length);
              rects.forEach((r, i) => r.forEach((v, j) => dv.setInt32(2 + i * 16 + j * 4, v, true)));
              return header(10, [...p]);
            }),
          ),
          { maxLength: 15 },
        ),
        async (packets) => {
          const { port1: guest, port2: host } = new MessageChannel();
          const view = new FramebufferView(new Vram());
          let closedWith: unknown = 'open';
          const dirt: unknown[] = [];
          const device = new SynthvidDevice({ port: host, view, onDirt: (r) => dirt.push(r), onClose: (e) => (closedWith = e) });
          guest.postMessage(header(1, [3, 0, 5, 0]));
          for (const p of packets) guest.postMessage(p);
          await new Promise((r) => setTimeout(r, 5));
          expect(formatProblem(view.format)).toBeUndefined();
          if (closedWith !== 'open') expect(closedWith === undefined || closedWith instanceof SynthvidError).toBe(true);
          device.close();
          guest.close();
        },
      ),
      { numRuns: 150 },
    );
  });
});
