/**
 * Hostile client messages after a completed handshake: every message type the server does not
 * know, every QEMU (255) sub-message but Extended Key Event, extension messages that were never
 * negotiated, the negotiated ones abused (stray fence answers, oversized fences, flapping
 * continuous updates, clipboard bombs and corrupt data), and SetDesktopSize from a client that never
 * advertised ExtendedDesktopSize (the CVE-2023-6683 / CVE-2020-14397 class: feature gating).
 *
 * Each bad connection must close with its error code logged (or be answered in a bounded way),
 * and the witness must keep receiving correct updates.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENC_EXT_DESKTOP_SIZE } from '../../../vnc/test/helpers/rfb-client.js';
import { setDesktopSizeMsg, setEncodingsMsg, updateRequestMsg } from '../../../vnc/test/helpers/rfb-messages.js';
import { Hostile, be16, be32, expectCleanClientEnd, expectClosedWith, pool, u8 } from './harness.js';

/** The client message types the server parses without negotiation (150 and 248 need their pseudo-encodings first). */
const KNOWN_TYPES = new Set([0, 2, 3, 4, 5, 6, 251, 255]);

let h: Hostile;
beforeAll(async () => {
  h = await Hostile.start();
});
afterAll(async () => {
  await h.stop();
});

describe('unknown message types', () => {
  it('closes the connection with VNC_UNKNOWN_MESSAGE for every type 0..255 the server does not know, sending nothing back', async () => {
    const types = Array.from({ length: 256 }, (_, t) => t).filter((t) => !KNOWN_TYPES.has(t));
    expect(types).toHaveLength(248);
    const outcomes = await pool(types, 16, (t) => h.run({ bytes: Buffer.concat([u8(t), Buffer.alloc(19)]) }));
    outcomes.forEach((o, i) => {
      expectClosedWith(o, 'VNC_UNKNOWN_MESSAGE');
      expect(o.error).toBe(`unknown client message type ${types[i]}`);
      expect(o.back.length).toBe(0);
    });
    await h.checkWitness();
    expect(h.vnc.clientCount).toBe(1);
  });

  it('closes on an unknown type that follows valid messages in the same write', async () => {
    const o = await h.run({ bytes: Buffer.concat([setEncodingsMsg([0]), u8(4, 1, 0, 0), be32(0x61), u8(7)]) });
    expectClosedWith(o, 'VNC_UNKNOWN_MESSAGE');
    await h.checkWitness();
  });

  it('closes on an unknown type sent one byte at a time after a split valid message', async () => {
    const o = await h.run({ bytes: [u8(5), u8(0), u8(0, 1), u8(0), u8(1), u8(200)] });
    expectClosedWith(o, 'VNC_UNKNOWN_MESSAGE');
    await h.checkWitness();
  });
});

describe('QEMU (255) sub-messages', () => {
  it('closes with VNC_UNKNOWN_QEMU_MESSAGE for every sub-message 1..255', async () => {
    const subs = Array.from({ length: 255 }, (_, i) => i + 1);
    const outcomes = await pool(subs, 16, (s) => h.run({ bytes: Buffer.concat([u8(255, s), Buffer.alloc(10)]) }));
    outcomes.forEach((o, i) => {
      expectClosedWith(o, 'VNC_UNKNOWN_QEMU_MESSAGE');
      expect(o.error).toBe(`unknown QEMU client message ${subs[i]}`);
      expect(o.back.length).toBe(0);
    });
    await h.checkWitness();
  });

  it('decides on the sub-message byte alone: [255, 7] with no body closes at once', async () => {
    const o = await h.run({ bytes: u8(255, 7) });
    expectClosedWith(o, 'VNC_UNKNOWN_QEMU_MESSAGE');
    await h.checkWitness();
  });

  it('waits for the rest of a truncated Extended Key Event and closes cleanly when the client leaves', async () => {
    const o = await h.run({ bytes: u8(255, 0, 0, 1, 0, 0), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    expectCleanClientEnd(o);
    await h.checkWitness();
  });
});

describe('extension messages never negotiated', () => {
  const cases: [string, Buffer][] = [
    ['EnableContinuousUpdates (150)', Buffer.concat([u8(150, 1), be16(0), be16(0), be16(64), be16(32)])],
    ['Fence (248) with a 4-byte payload', Buffer.concat([u8(248, 0, 0, 0), be32(0x80000003), u8(4), u8(1, 2, 3, 4)])],
    ['Fence (248) announcing a 255-byte payload', Buffer.concat([u8(248, 0, 0, 0), be32(0xffffffff), u8(255)])],
    ['xvp (250)', u8(250, 0, 1, 2)],
    ['extended clipboard / gii (253)', Buffer.concat([u8(253, 0), be16(0xffff), be32(0xffffffff)])],
  ];
  it.each(cases)('%s closes with VNC_UNKNOWN_MESSAGE', async (_name, bytes) => {
    const o = await h.run({ bytes });
    expectClosedWith(o, 'VNC_UNKNOWN_MESSAGE');
    expect(o.back.length).toBe(0);
    await h.checkWitness();
  });

});

/** An extended ClientCutText: S32 length -(4 + data), U32 flags, data. */
function extCutText(flags: number, data: Buffer = Buffer.alloc(0), length = -(4 + data.length)): Buffer {
  const head = Buffer.alloc(12);
  head[0] = 6;
  head.writeInt32BE(length, 4);
  head.writeUInt32BE(flags >>> 0, 8);
  return Buffer.concat([head, data]);
}

describe('negotiated extensions, abused', () => {
  const FENCE_AND_CU = setEncodingsMsg([0, -312, -313]);
  const CLIPBOARD = setEncodingsMsg([0, 0xc0a1e5ce | 0]);

  it('a fence answer for a fence the server never sent closes with VNC_UNEXPECTED_FENCE', async () => {
    const o = await h.run({ bytes: Buffer.concat([FENCE_AND_CU, u8(248, 0, 0, 0), be32(0), u8(4), be32(0xdeadbeef)]) });
    expectClosedWith(o, 'VNC_UNEXPECTED_FENCE');
    await h.checkWitness();
  });

  it('a fence announcing a 255-byte payload is drained and ignored; the connection stays', async () => {
    const o = await h.run({ bytes: Buffer.concat([FENCE_AND_CU, u8(248, 0, 0, 0), be32(0x80000000), u8(255), Buffer.alloc(255), updateRequestMsg(false, 0, 0, 1, 1)]), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    await h.checkWitness();
  });

  it('EnableContinuousUpdates with an absurd region and flapping on/off stays bounded', async () => {
    const on = Buffer.concat([u8(150, 1), be16(0xffff), be16(0xffff), be16(0xffff), be16(0xffff)]);
    const off = Buffer.concat([u8(150, 0), be16(0), be16(0), be16(0), be16(0)]);
    const flaps = Array.from({ length: 500 }, (_, i) => (i % 2 ? off : on));
    const o = await h.run({ bytes: Buffer.concat([FENCE_AND_CU, ...flaps]), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    await h.checkWitness();
  });

  it.each([
    ['shorter than its flags (length -1)', extCutText(0, Buffer.alloc(0), -1).subarray(0, 9)],
    ['a Provide that is not zlib', extCutText((1 << 28) | 1, Buffer.from('no zlib here at all'))],
  ])('extended clipboard %s closes with VNC_INVALID_CLIPBOARD', async (_name, bytes) => {
    const o = await h.run({ bytes: Buffer.concat([CLIPBOARD, bytes]) });
    expectClosedWith(o, 'VNC_INVALID_CLIPBOARD');
    await h.checkWitness();
  });

  it('extended clipboard length 0x80000000 (-2^31) with a truncated body waits without buffering it', async () => {
    const o = await h.run({ bytes: Buffer.concat([CLIPBOARD, extCutText((1 << 28) | 1, Buffer.alloc(16), -0x80000000)]), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    await h.checkWitness();
  });

  it('a 64 MiB clipboard bomb inflates no further than the cap, and the connection stays', async () => {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(64 << 20, 0);
    const { deflateSync } = await import('node:zlib');
    const bomb = extCutText((1 << 28) | 1, deflateSync(Buffer.concat([size, Buffer.alloc(64 << 20)]), { level: 9 }));
    const o = await h.run({ bytes: Buffer.concat([CLIPBOARD, bomb, updateRequestMsg(false, 0, 0, 1, 1)]), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    await h.checkWitness();
  });
});

/** Parses one FramebufferUpdate holding exactly one ExtendedDesktopSize rect. */
function parseExtDesktopSizeReply(b: Buffer): { reason: number; status: number; w: number; h: number; screens: number[][] } {
  expect(b[0]).toBe(0);
  expect(b.readUInt16BE(2)).toBe(1);
  expect(b.readInt32BE(12)).toBe(ENC_EXT_DESKTOP_SIZE);
  const n = b[16]!;
  const screens: number[][] = [];
  for (let i = 0; i < n; i++) {
    const o = 20 + 16 * i;
    screens.push([b.readUInt32BE(o), b.readUInt16BE(o + 4), b.readUInt16BE(o + 6), b.readUInt16BE(o + 8), b.readUInt16BE(o + 10), b.readUInt32BE(o + 12)]);
  }
  expect(b.length).toBe(20 + 16 * n);
  return { reason: b.readUInt16BE(4), status: b.readUInt16BE(6), w: b.readUInt16BE(8), h: b.readUInt16BE(10), screens };
}

describe('SetDesktopSize (251) without ExtendedDesktopSize (-308)', () => {
  const screen = { id: 1, x: 0, y: 0, width: 100, height: 100, flags: 0 };
  it('is answered with exactly one refusal (reason 1, status 1 prohibited, the current 64x32 layout) and the connection stays usable', async () => {
    const o = await h.run({ bytes: setDesktopSizeMsg(100, 100, [screen]), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    expect(parseExtDesktopSizeReply(o.back)).toEqual({ reason: 1, status: 1, w: 64, h: 32, screens: [[0, 0, 0, 64, 32, 0]] });
    expectCleanClientEnd(o);
    await h.checkWitness();
  });

  it('refuses a 0-screen, 0x0 request the same way', async () => {
    const o = await h.run({ bytes: setDesktopSizeMsg(0, 0, []), then: 'end' });
    expect(parseExtDesktopSizeReply(o.back).status).toBe(1);
    expectCleanClientEnd(o);
    await h.checkWitness();
  });

  it('reads a 255-screen request whole (4088 bytes) and stays in sync for the next message', async () => {
    const screens = Array.from({ length: 255 }, (_, i) => ({ id: 0xffffffff - i, x: 0xffff, y: 0xffff, width: 0xffff, height: 0xffff, flags: 0xffffffff }));
    const o = await h.run({ bytes: Buffer.concat([setDesktopSizeMsg(0xffff, 0xffff, screens), updateRequestMsg(false, 0, 0, 1, 1)]), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    // The refusal, then the answer to the update request: the first update after the handshake
    // is the whole 64x32 frame in one raw rect (32 bpp).
    const refusal = o.back.subarray(0, 36);
    expect(parseExtDesktopSizeReply(refusal)).toMatchObject({ reason: 1, status: 1, w: 64, h: 32 });
    const update = o.back.subarray(36);
    expect(update.readUInt16BE(2)).toBe(1);
    expect(update.length).toBe(4 + 12 + 64 * 32 * 4);
    expectCleanClientEnd(o);
    await h.checkWitness();
  });

  it('waits for a truncated 255-screen request and closes cleanly when the client leaves, answering nothing', async () => {
    const full = setDesktopSizeMsg(64, 32, Array.from({ length: 255 }, () => screen));
    const o = await h.run({ bytes: full.subarray(0, 8 + 16 * 100), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    expect(o.back.length).toBe(0);
    expectCleanClientEnd(o);
    await h.checkWitness();
  });
});
