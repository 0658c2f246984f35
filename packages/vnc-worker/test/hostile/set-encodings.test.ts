/**
 * SetEncodings with hostile lists: the count is a U16, so up to 65535 entries (262 KB). The
 * server keeps the first 4096 and reads the rest away (docs/security.md); what lies past the cap
 * has no effect, the message applies only once it has been read whole, and the stream stays in
 * sync for the next message.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setEncodingsMsg, updateRequestMsg } from '../../../vnc/test/helpers/rfb-messages.js';
import { Hostile, Prng, expectCleanClientEnd, u8 } from './harness.js';

const RAW = 0;
const ZLIB = 6;
const FULL_FRAME_RAW_BYTES = 4 + 12 + 64 * 32 * 4;

let h: Hostile;
beforeAll(async () => {
  h = await Hostile.start();
});
afterAll(async () => {
  await h.stop();
});

const list = (n: number, fill: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => fill(i));
const fullRequest = (): Uint8Array => updateRequestMsg(false, 0, 0, 64, 32);

/** The 'SetEncodings list capped' records of client `id`. */
function capped(id: number): unknown[] {
  return h.recordsFor(id).filter((r) => r.message === 'SetEncodings list capped').map((r) => ({ declared: r.fields.declared, kept: r.fields.kept }));
}

describe('SetEncodings', () => {
  it('65535 entries: keeps 4096 (logged), reads the rest, and answers the next message', async () => {
    const o = await h.run({ bytes: Buffer.concat([setEncodingsMsg(list(65535, () => RAW)), fullRequest()]), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    expect(capped(o.id!)).toEqual([{ declared: 65535, kept: 4096 }]);
    expect(o.stateBeforeEnd).toMatchObject({ rectEncoding: 'RAW', bytesReceived: 14 + 4 + 65535 * 4 + 10 });
    expect(o.back.length).toBe(FULL_FRAME_RAW_BYTES);
    expectCleanClientEnd(o);
    await h.checkWitness();
  });

  it('an encoding past the cap (Zlib at index 4096) is ignored', async () => {
    const o = await h.run({ bytes: setEncodingsMsg(list(65535, (i) => (i === 4096 ? ZLIB : 0x7fff0000 + (i & 0xff)))), then: 'end' });
    expect(o.stateBeforeEnd).toMatchObject({ rectEncoding: 'RAW' });
    expect((o.stateBeforeEnd!.encodings as string[]).includes('ZLIB')).toBe(false);
    expectCleanClientEnd(o);
  });

  it('the last kept entry (Zlib at index 4095) counts', async () => {
    const o = await h.run({ bytes: setEncodingsMsg(list(65535, (i) => (i === 4095 ? ZLIB : 0x7fff0000))), then: 'end' });
    expect(o.stateBeforeEnd).toMatchObject({ rectEncoding: 'ZLIB' });
    expectCleanClientEnd(o);
    await h.checkWitness();
  });

  it('65535 seeded random i32 entries: kept, Raw fallback, next message answered', async () => {
    const rng = new Prng(0xe2c0de);
    const entries = list(65535, () => (rng.int(0, 0xffffffff) | 0) || 1);
    const o = await h.run({ bytes: Buffer.concat([setEncodingsMsg(entries), fullRequest()]), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    expect(o.stateBeforeEnd).toMatchObject({ rectEncoding: 'RAW' });
    expect(o.back.length).toBe(FULL_FRAME_RAW_BYTES);
    expectCleanClientEnd(o);
    await h.checkWitness();
  });

  it('0 entries: accepted, Raw fallback', async () => {
    const o = await h.run({ bytes: Buffer.concat([setEncodingsMsg([]), fullRequest()]), then: 'end' });
    expect(o.stateBeforeEnd).toMatchObject({ rectEncoding: 'RAW', encodings: [] });
    expect(o.back.length).toBe(FULL_FRAME_RAW_BYTES);
    expectCleanClientEnd(o);
  });

  it.each([
    ['inside the kept part (1000 of 65535 entries)', 4 + 1000 * 4],
    ['exactly the kept part (4096 of 65535)', 4 + 4096 * 4],
    ['inside the drained part (60000 of 65535)', 4 + 60000 * 4],
    ['one byte short', 4 + 65535 * 4 - 1],
  ])('a body truncated %s waits, applies nothing, and closes cleanly when the client leaves', async (_name, length) => {
    const msg = setEncodingsMsg(list(65535, () => ZLIB));
    const o = await h.run({ bytes: msg.subarray(0, length), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    expect(o.stateBeforeEnd).toMatchObject({ rectEncoding: 'RAW', encodings: [] });
    expect(o.back.length).toBe(0);
    expectCleanClientEnd(o);
    await h.checkWitness();
  });

  it.each([1, 2, 3])('a header truncated to %i bytes waits and closes cleanly', async (n) => {
    const o = await h.run({ bytes: u8(2, 0, 0xff, 0xff).subarray(0, n), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    expectCleanClientEnd(o);
  });

  it('20 maximal lists in one burst (5 MB): every one read, still in sync, log rate-limited', async () => {
    const one = setEncodingsMsg(list(65535, (i) => (i % 2 ? RAW : -239)));
    const burst = Buffer.concat([...Array.from({ length: 20 }, () => one), fullRequest()]);
    const o = await h.run({ bytes: burst, then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    expect(o.stateBeforeEnd).toMatchObject({ bytesReceived: 14 + burst.length, encodings: ['CURSOR', 'RAW'] });
    // One update: the cursor pseudo-rect and the frame.
    expect(o.back.readUInt16BE(2)).toBe(2);
    expect(capped(o.id!).length).toBeLessThanOrEqual(5);
    expectCleanClientEnd(o);
    await h.checkWitness();
  });

  it('65535 QEMU Extended Key Event (-258) entries are acknowledged once per message', async () => {
    const o = await h.run({ bytes: Buffer.concat([setEncodingsMsg(list(65535, () => -258)), setEncodingsMsg([-258])]), then: 'end' });
    // Two acknowledgements: FramebufferUpdate with one 0x0 rect of encoding -258, 16 bytes each.
    expect(o.back.length).toBe(32);
    expect(o.back.readInt32BE(12)).toBe(-258);
    expectCleanClientEnd(o);
    await h.checkWitness();
  });
});
