/**
 * Thousands of connect / handshake / Zlib update / disconnect cycles leave nothing behind: the
 * process's active handles (sockets, timers) return to where they started, the coordinator
 * forgets every client, and memory does not grow with the number of cycles.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { ENC_RAW, RfbTestClient, liveMemory, startFixture, stopAll, until } from './helpers.js';

afterEach(stopAll);

const ENC_ZLIB = 6;

function handleCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

async function cycles(port: number, n: number, parallel: number): Promise<void> {
  for (let done = 0; done < n; done += parallel) {
    await Promise.all(
      Array.from({ length: Math.min(parallel, n - done) }, async (_, i) => {
        const c = await RfbTestClient.connect(port);
        if ((done + i) % 3 === 0) {
          c.destroy(); // vanishes mid-handshake
          return;
        }
        await c.handshake('3.8');
        c.setEncodings([ENC_ZLIB, ENC_RAW]);
        c.requestUpdate(false, 0, 0, 64, 32);
        await c.readUpdate();
        c.destroy();
      }),
    );
  }
}

describe('churn leaks nothing', () => {
  it('3000 cycles: handles back to baseline, no clients left, memory flat', async () => {
    const fx = await startFixture({ maxClients: 64 });
    await cycles(fx.port, 300, 20); // warm-up (JIT, pools)
    await until(() => fx.vnc.clientCount === 0, 5000, 'warm-up clients gone');
    const handlesBefore = handleCounts();
    const before = liveMemory();
    await cycles(fx.port, 3000, 20);
    await until(() => fx.vnc.clientCount === 0, 10_000, 'every client gone');
    await new Promise((r) => setTimeout(r, 200)); // let closed sockets finish their teardown
    const after = liveMemory();
    const handlesAfter = handleCounts();
    for (const kind of new Set([...handlesBefore.keys(), ...handlesAfter.keys()])) {
      expect(handlesAfter.get(kind) ?? 0, `active ${kind} handles`).toBeLessThanOrEqual(handlesBefore.get(kind) ?? 0);
    }
    expect(fx.vnc.inspect()).toMatchObject({ clientCount: 0, diffTimer: false });
    // 3000 connections, 2000 of them with a zlib stream: a leak of one stream (hundreds of KB of
    // native state) or one socket with its connection objects (tens of KB) each would be tens of
    // MB at least; 8 MB leaves room for caches that settle, not for a per-connection leak.
    const grown = after.live - before.live;
    console.log(`churn: live memory ${(grown / 1e6).toFixed(2)} MB, RSS ${((after.rss - before.rss) / 1e6).toFixed(1)} MB after 3000 cycles`);
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  }, 120_000);
});
