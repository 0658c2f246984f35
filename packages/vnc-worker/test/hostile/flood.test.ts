/**
 * Floods (the output-exhaustion and connection-cap classes: CVE-2017-15124, CVE-2023-3354):
 * 10 MB of valid KeyEvents as fast as the socket takes them while the witness is served; many
 * handshakes abandoned at once; half-open connections up to the client limit, and the oldest
 * evicted mid-handshake; a client that asks for updates but never reads (bounded, kept), and one
 * that makes the server reply without reading (disconnected at the hard limit).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyEventMsg, setDesktopSizeMsg, updateRequestMsg } from '../../../vnc/test/helpers/rfb-messages.js';
import { Hostile, Prng, type RawConn, u8, until } from './harness.js';

const MB = 1000 * 1000;

let h: Hostile;
beforeAll(async () => {
  h = await Hostile.start();
});
afterAll(async () => {
  await h.stop();
});

describe('input flood', () => {
  it('10 MB of valid KeyEvents sent as fast as possible: all forwarded, the sender kept, the witness served during and after', async () => {
    const c = await h.open();
    await c.handshake38();
    const id = await h.idOf(c);
    // 'a' down / 'a' up, 8 bytes each: 1.25 M events, one scancode event each.
    const block = Buffer.concat(Array.from({ length: 8192 }, (_, i) => keyEventMsg(i % 2 === 0, 0x61)));
    const blocks = Math.ceil((10 * MB) / block.length);
    const total = blocks * block.length;
    const before = h.keyEvents;
    let sending = true;
    const sent = (async () => {
      for (let i = 0; i < blocks; i++) await c.writeAndDrain(block);
      sending = false;
    })();
    const consumed = (): number => (h.client(id)?.bytesReceived as number | undefined) ?? 0;
    // Witness checks that completed while the server was still working through the flood.
    let checksDuringFlood = 0;
    while (sending || consumed() < 14 + total) {
      await h.checkWitness();
      if (consumed() < 14 + total) checksDuringFlood++;
    }
    await sent;
    expect(h.client(id)).toMatchObject({ state: 'normal', bytesReceived: 14 + total, keyEvents: total / 8 });
    expect(h.keyEvents - before).toBe(total / 8);
    expect(c.serverEnded).toBe(false);
    // The witness got through while the flood was still being read (the server never stalled on it).
    expect(checksDuringFlood).toBeGreaterThan(0);
    c.destroy();
    await h.checkWitness();
  }, 30_000);
});

describe('connection floods', () => {
  it('200 handshakes abandoned at once at seeded random points: every one ends, the count is exact, the witness is served', async () => {
    const rng = new Prng(0xab4d0);
    const flow = Buffer.concat([Buffer.from('RFB 003.008\n'), u8(1)]);
    const stats0 = h.vnc.inspect();
    const conns: RawConn[] = await Promise.all(Array.from({ length: 200 }, () => h.open()));
    await Promise.all(
      conns.map(async (c) => {
        const cut = rng.int(0, flow.length);
        const how = rng.int(0, 2);
        if (how === 0) {
          // Straight away, before the sniff window has decided anything.
          c.write(flow.subarray(0, cut));
          c.destroy();
          return;
        }
        // After the greeting (or after being refused at the client limit).
        try {
          await c.read(12, 2000);
        } catch {
          return; // refused: closed before any byte
        }
        c.write(flow.subarray(0, cut));
        if (how === 1) c.end();
        else c.destroy();
      }),
    );
    await Promise.all(conns.map((c) => c.whenClosed));
    await until(() => h.vnc.clientCount === 1, `only the witness (have ${h.vnc.clientCount})`);
    const stats = h.vnc.inspect();
    // Every connection was either classified away (closed during the sniff), accepted, or refused at the limit.
    expect((stats.accepted as number) - (stats0.accepted as number) + (stats.rejected as number) - (stats0.rejected as number)).toBeLessThanOrEqual(200);
    expect(h.logs.filter((l) => l.level === 'error')).toEqual([]);
    await h.checkWitness();
  });

  it('half-open connections up to the limit: the next is refused before any RFB byte, the witness keeps working, slots free up', async () => {
    const g = await Hostile.start({ params: { maxClients: 8 } });
    try {
      const halfOpen = await Promise.all(Array.from({ length: 7 }, () => g.open()));
      await until(() => g.vnc.clientCount === 8, 'witness + 7 half-open clients');
      const refused = await g.open();
      await refused.whenClosed;
      expect(refused.received).toBe(0);
      expect(g.vnc.inspect()).toMatchObject({ rejected: 1, clientCount: 8 });
      expect(g.logs.some((l) => l.message === 'connection refused: client limit reached' && l.fields.maxClients === 8)).toBe(true);
      await g.checkWitness();
      for (const c of halfOpen) c.destroy();
      await until(() => g.vnc.clientCount === 1, 'half-open clients gone');
      const next = await g.open();
      await next.handshake38();
      expect(g.vnc.clientCount).toBe(2);
      next.destroy();
      await g.checkWitness();
    } finally {
      await g.stop();
    }
  });

  it('evictOldest: connections evicted mid-handshake (silent, after the version, after the security type) close cleanly; the newcomers and the witness are fine', async () => {
    const g = await Hostile.start({ params: { maxClients: 4, evictOldest: true }, witness: false });
    try {
      const [a, b, c] = await Promise.all([g.open(), g.open(), g.open()]);
      await until(() => g.vnc.clientCount === 3, '3 half-open');
      await b!.read(12);
      b!.write('RFB 003.008\n');
      await b!.read(2);
      await c!.read(12);
      c!.write('RFB 003.008\n');
      await c!.read(2);
      c!.write(u8(1));
      await c!.read(4);
      await g.addWitness(); // the 4th client, the newest
      const newcomers: RawConn[] = [];
      for (const old of [a!, b!, c!]) {
        const n = await g.open();
        newcomers.push(n);
        await n.read(12);
        expect(await old.waitServerEnd()).toBe(true);
        const id = await g.idOf(old);
        await until(() => g.disconnected(id), 'evicted');
        expect(g.closeError(id)).toBeUndefined();
      }
      expect(g.vnc.inspect()).toMatchObject({ evicted: 3, clientCount: 4 });
      for (const n of newcomers) expect(n.serverEnded).toBe(false);
      expect(await newcomers[0]!.handshake38(true)).toEqual({ width: 64, height: 32 });
      await g.checkWitness();
    } finally {
      await g.stop();
    }
  });
});

describe('slow HTTP heads (the classification cap)', () => {
  it('256 connections stuck in an unfinished request head fill the cap: the next is refused at accept, the witness keeps working, the cap frees up', async () => {
    const g = await Hostile.start();
    try {
      // The coordinator keeps no public count of sockets being classified; peek at it to know
      // the cap is reached before trying one more.
      const web = (g.vnc as unknown as { web: { pending: number } }).web;
      const stuck: RawConn[] = [];
      // In batches below the listen backlog (128), each sending its head start at once.
      for (let batch = 0; batch < 4; batch++) {
        const opened = await Promise.all(
          Array.from({ length: 64 }, async () => {
            const c = await g.open();
            c.write('GET / HTTP/1.1\r\nHost: x\r\n');
            return c;
          }),
        );
        stuck.push(...opened);
      }
      await until(() => web.pending === 256, `256 pending (have ${web.pending})`);
      expect(stuck.filter((c) => c.received > 0 || c.serverEnded)).toEqual([]);
      const refused = await g.open();
      await refused.whenClosed;
      expect(refused.received).toBe(0);
      expect(g.logs.some((l) => l.message === 'connection refused: too many connections still being classified')).toBe(true);
      await g.checkWitness();
      for (const c of stuck) c.destroy();
      await until(() => web.pending === 0, 'the cap freed');
      const next = await g.open();
      expect(await next.handshake38()).toEqual({ width: 64, height: 32 });
      next.destroy();
      await g.checkWitness();
    } finally {
      await g.stop();
    }
  });
});

describe('output floods', () => {
  it('a client that requests 20 000 full updates and never reads: kept, its queue bounded near one soft limit (256 KiB)', async () => {
    const c = await h.open();
    await c.handshake38();
    const id = await h.idOf(c);
    c.socket.pause();
    const requests = Buffer.concat(Array.from({ length: 20_000 }, () => updateRequestMsg(false, 0, 0, 64, 32)));
    await c.writeAndDrain(requests);
    await until(() => ((h.client(id)?.bytesReceived as number | undefined) ?? 0) >= 14 + requests.length, 'requests read');
    for (let i = 0; i < 5; i++) {
      h.dirt({ left: 0, top: 0, right: 64, bottom: 32 });
      await h.checkWitness();
    }
    const state = h.client(id)!;
    expect(state.state).toBe('normal');
    // At most the soft limit plus one full frame (8208 bytes) waits in the server's socket.
    expect(state.queuedBytes as number).toBeLessThanOrEqual(256 * 1024 + 8208);
    c.destroy();
    await h.checkWitness();
  });

  it('a client that makes the server reply (SetDesktopSize) without reading is disconnected with VNC_SLOW_CLIENT at the hard limit (4 x 256 KiB)', async () => {
    const c = await h.open();
    await c.handshake38();
    const id = await h.idOf(c);
    c.socket.pause();
    const request = setDesktopSizeMsg(640, 480, [{ id: 1, x: 0, y: 0, width: 640, height: 480, flags: 0 }]);
    const burst = Buffer.concat(Array.from({ length: 10_000 }, () => request)); // 240 KB -> 360 KB of replies
    for (let i = 0; i < 200 && !h.disconnected(id); i++) await c.writeAndDrain(burst);
    await until(() => h.disconnected(id), 'the slow client closed');
    expect(h.closeError(id)?.fields).toMatchObject({ code: 'VNC_SLOW_CLIENT' });
    expect(h.closeError(id)?.fields.error).toMatch(/^client is not reading: \d+ bytes queued \(limit 1048576\)$/);
    c.destroy();
    await h.checkWitness();
  }, 30_000);
});
