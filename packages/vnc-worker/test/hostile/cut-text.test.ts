/**
 * ClientCutText with hostile lengths (the CVE-2018-7225 / CVE-2017-7395 / CVE-2015-5239 class:
 * unchecked length, integer overflow, huge allocation, hang). The server keeps the first 1 MiB
 * and reads the rest away as it arrives without buffering it (docs/security.md), so:
 *
 * - length 0 and 1 MiB + 1 (full body) are accepted and the stream stays in sync;
 * - 0x7fffffff, 0x80000000 and 0xffffffff keep the connection open while the body drains, and
 *   5 MiB of body (more than the 4 MiB receive cap) neither closes it nor is parsed as messages;
 * - a truncated header or body waits, and the client leaving closes it cleanly.
 *
 * And the paste path that consumes the clipboard (Ctrl+Alt+P types it into the guest).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cutTextMsg, keyEventMsg, updateRequestMsg } from '../../../vnc/test/helpers/rfb-messages.js';
import { Hostile, be32, expectCleanClientEnd, u8, until } from './harness.js';

const MiB = 1024 * 1024;
/** The whole 64x32 frame as the first update after the handshake: header, one raw rect. */
const FULL_FRAME_BYTES = 4 + 12 + 64 * 32 * 4;

let h: Hostile;
beforeAll(async () => {
  h = await Hostile.start();
});
afterAll(async () => {
  await h.stop();
});

/** The 'client cut text' record of client `id` (declared and kept lengths), if logged. */
function cutRecords(id: number): { bytes: unknown; kept: unknown }[] {
  return h.recordsFor(id).filter((r) => r.message === 'client cut text').map((r) => ({ bytes: r.fields.bytes, kept: r.fields.kept }));
}

describe('ClientCutText lengths', () => {
  it('length 0: accepted, and the next message (an update request) is answered', async () => {
    const o = await h.run({ bytes: Buffer.concat([cutTextMsg(new Uint8Array(0)), updateRequestMsg(false, 0, 0, 64, 32)]), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    expect(cutRecords(o.id!)).toEqual([{ bytes: 0, kept: 0 }]);
    expect(o.back.length).toBe(FULL_FRAME_BYTES);
    expectCleanClientEnd(o);
    await h.checkWitness();
  });

  it('1 MiB + 1 with its whole body: keeps 1 MiB, drains 1 byte, stays in sync', async () => {
    const text = Buffer.alloc(MiB + 1, 0x41);
    const o = await h.run({ bytes: Buffer.concat([cutTextMsg(text), updateRequestMsg(false, 0, 0, 64, 32)]), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    expect(cutRecords(o.id!)).toEqual([{ bytes: MiB + 1, kept: MiB }]);
    expect(o.back.length).toBe(FULL_FRAME_BYTES);
    expectCleanClientEnd(o);
    await h.checkWitness();
  });

  it('1 MiB + 1 with the drained byte in a later write than the kept MiB', async () => {
    const msg = cutTextMsg(Buffer.alloc(MiB + 1, 0x42));
    const o = await h.run({ bytes: [msg.subarray(0, 8 + MiB), Buffer.concat([msg.subarray(8 + MiB), updateRequestMsg(false, 0, 0, 1, 1)])], then: 'end' });
    expect(cutRecords(o.id!)).toEqual([{ bytes: MiB + 1, kept: MiB }]);
    expect(o.back.length).toBe(FULL_FRAME_BYTES);
    expectCleanClientEnd(o);
    await h.checkWitness();
  });

  it('1 MiB + 1 with a truncated body: waits, delivers nothing, closes cleanly when the client leaves', async () => {
    const msg = cutTextMsg(Buffer.alloc(MiB + 1, 0x43));
    const o = await h.run({ bytes: msg.subarray(0, 8 + MiB - 1), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    expect(cutRecords(o.id!)).toEqual([]);
    expect(o.back.length).toBe(0);
    expectCleanClientEnd(o);
    await h.checkWitness();
  });

  // Each huge length gets 5 MiB of body: more than the 4 MiB receive cap, so a server that
  // buffered the declared body would close with VNC_BUFFER_LIMIT. The body is made of update
  // requests: a server that lost the message boundary would answer them.
  const bodyOfRequests = Buffer.concat(Array.from({ length: (5 * MiB) / 10 }, () => updateRequestMsg(false, 0, 0, 64, 32)));
  it.each([0x7fffffff, 0x80000000, 0xffffffff])('length %i with a truncated 5 MiB body: bounded (drained, not buffered, not parsed), then a clean close', async (declared) => {
    const o = await h.run({ bytes: [Buffer.concat([u8(6, 0, 0, 0), be32(declared)]), bodyOfRequests], then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    expect(o.stateBeforeEnd).toMatchObject({ bytesReceived: 14 + 8 + 5 * MiB, updateRequested: false, state: 'normal' });
    expect(o.back.length).toBe(0);
    expect(cutRecords(o.id!)).toEqual([]); // the message completes only when its body has
    expectCleanClientEnd(o);
    await h.checkWitness();
  });

  it.each([1, 2, 3, 4, 5, 6, 7])('a header truncated to %i bytes waits and closes cleanly', async (n) => {
    const o = await h.run({ bytes: Buffer.concat([u8(6, 0, 0, 0), be32(0xffffffff)]).subarray(0, n), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    expect(o.back.length).toBe(0);
    expectCleanClientEnd(o);
  });

  it('2000 small cut texts in one write are each read, and the stream stays in sync', async () => {
    const many = Buffer.concat(Array.from({ length: 2000 }, (_, i) => cutTextMsg(Buffer.from(`clip ${i}`))));
    const o = await h.run({ bytes: Buffer.concat([many, updateRequestMsg(false, 0, 0, 64, 32)]), then: 'end' });
    expect(cutRecords(o.id!)).toHaveLength(2000);
    expect(o.back.length).toBe(FULL_FRAME_BYTES);
    expectCleanClientEnd(o);
    await h.checkWitness();
  });

  it('the witness was served throughout and no hostile connection is left', async () => {
    await h.checkWitness();
    expect(h.vnc.clientCount).toBe(1);
  });
});

/** Ctrl down, Alt down, then `n` presses of P (each a paste), as keysym KeyEvents. */
function pasteChord(n: number): Buffer {
  const parts = [keyEventMsg(true, 0xffe3), keyEventMsg(true, 0xffe9)];
  for (let i = 0; i < n; i++) parts.push(keyEventMsg(true, 0x70), keyEventMsg(false, 0x70));
  return Buffer.concat(parts);
}

describe('pasting the clipboard (Ctrl+Alt+P)', () => {
  it('types exactly 10 key events per byte of a 64 KiB clipboard of 0xFF (Alt + 0 2 5 5), and the witness is served after', async () => {
    const c = await h.open();
    await c.handshake38();
    const before = h.keyEvents;
    c.write(Buffer.concat([cutTextMsg(Buffer.alloc(64 * 1024, 0xff)), pasteChord(1)]));
    // Ctrl and Alt makes (2), the four modifier releases before the paste (4), 10 per character.
    const expected = 2 + 4 + 10 * 64 * 1024;
    await until(() => h.keyEvents - before >= expected, 'the paste');
    await h.checkWitness();
    expect(h.keyEvents - before).toBe(expected);
    c.destroy();
    await h.checkWitness();
  });

  // Regression: a paste was once generated and sent synchronously in one call, 10 events per
  // clipboard byte, so a 1 MiB clipboard blocked every client for seconds, and every further P
  // press did it again. Pastes are now typed in chunks, one per event-loop turn, one at a time.
  it('a 1 MiB paste does not hold back other clients, and a second trigger while it types is ignored', async () => {
    const c = await h.open();
    await c.handshake38();
    await c.writeAndDrain(cutTextMsg(Buffer.alloc(MiB, 0xff)));
    await h.checkWitness();
    const before = h.keyEvents;
    c.write(pasteChord(2));
    // The witness is served while the paste is still typing: the event loop is not held.
    await h.checkWitness();
    expect(h.keyEvents - before, 'key events when the witness got its update').toBeLessThan(10 * MiB);
    let seen = -1;
    let quietSince = Date.now();
    await until(() => {
      if (h.keyEvents !== seen) [seen, quietSince] = [h.keyEvents, Date.now()];
      return Date.now() - quietSince > 200;
    }, 'the paste to finish', 60_000);
    // Exactly one paste of 10 events per byte (the second trigger came while it typed), plus the
    // client's Ctrl/Alt makes and the modifier releases before each trigger.
    const typed = h.keyEvents - before;
    expect(typed).toBeGreaterThanOrEqual(10 * MiB);
    expect(typed).toBeLessThan(10 * MiB + 20);
    c.destroy();
    await h.checkWitness();
  }, 90_000);
});
