/**
 * Authentication at the coordinator: the password from the parameters protects every client,
 * and repeated real failures from one address earn it an exponential back-off (the cheapest
 * refusal: closed at accept), while merely connecting never counts.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { vncAuthResponse } from '@openvmm-vnc-ts/vnc';
import { AuthThrottle } from '../src/auth-throttle.js';
import { type Fixture, RfbTestClient, startFixture, until, clients, stopAll } from './helpers.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await stopAll();
  fx = undefined;
});

/** One 3.8 attempt; resolves to the SecurityResult, or 'refused' if closed before any byte. */
async function attempt(port: number, password: string): Promise<number | 'refused'> {
  const c = await RfbTestClient.connect(port);
  clients.push(c);
  try {
    await c.readExactly(12, 1000);
  } catch {
    return 'refused';
  }
  c.write(Buffer.from('RFB 003.008\n', 'latin1'));
  await c.readExactly(2);
  c.write(new Uint8Array([2]));
  c.write(vncAuthResponse(await c.readExactly(16), password));
  return c.readU32();
}

describe('AuthThrottle', () => {
  it('allows a few failures, then doubles the block per failure up to the cap; success clears', () => {
    let now = 0;
    const t = new AuthThrottle({ freeFailures: 2, baseBlockMs: 1000, maxBlockMs: 5000, now: () => now });
    expect([t.failure('a'), t.failure('a')]).toEqual([0, 0]);
    expect(t.failure('a')).toBe(1000);
    expect(t.failure('a')).toBe(2000);
    expect(t.failure('a')).toBe(4000);
    expect(t.failure('a')).toBe(5000);
    expect(t.blockedFor('b')).toBe(0);
    now += 4999;
    expect(t.blockedFor('a')).toBe(1);
    now += 1;
    expect(t.blockedFor('a')).toBe(0);
    t.success('a');
    expect(t.failure('a')).toBe(0);
  });

  it('forgets the oldest address past its capacity', () => {
    const t = new AuthThrottle({ maxEntries: 2, freeFailures: 0 });
    t.failure('a');
    t.failure('b');
    t.failure('c');
    expect(t.size).toBe(2);
    expect(t.blockedFor('a')).toBe(0);
    expect(t.blockedFor('c')).toBeGreaterThan(0);
  });
});

describe('coordinator with a password', () => {
  it('admits the right password and backs off an address after repeated failures', async () => {
    fx = await startFixture({ password: 'secret' });
    expect(await attempt(fx.port, 'secret')).toBe(0);
    // Connecting without authenticating never counts.
    for (let i = 0; i < 5; i++) {
      const c = await RfbTestClient.connect(fx.port);
      clients.push(c);
      await c.readExactly(12);
      c.destroy();
    }
    expect(await attempt(fx.port, 'secret')).toBe(0);
    for (let i = 0; i < 3; i++) expect(await attempt(fx.port, 'wrong')).toBe(1); // the free failures
    expect(await attempt(fx.port, 'wrong')).toBe(1); // this one starts a block
    expect(await attempt(fx.port, 'secret')).toBe('refused');
    expect(fx.vnc.inspect()).toMatchObject({ authFailures: 4, authBlocked: 1 });
  });
});

describe('authentication and client limits', () => {
  it('an address over its failure budget cannot log in on connections it opened earlier', async () => {
    fx = await startFixture({ password: 'secret', maxClients: 16 });
    // Open many connections first, each through to its challenge.
    const pending: { c: RfbTestClient; challenge: Uint8Array }[] = [];
    for (let i = 0; i < 8; i++) {
      const c = await RfbTestClient.connect(fx.port);
      clients.push(c);
      await c.readExactly(12);
      c.write(Buffer.from('RFB 003.008\n', 'latin1'));
      await c.readExactly(2);
      c.write(new Uint8Array([2]));
      pending.push({ c, challenge: await c.readExactly(16) });
    }
    const answer = async (i: number, password: string): Promise<number> => {
      const { c, challenge } = pending[i]!;
      c.write(vncAuthResponse(challenge, password));
      return c.readU32();
    };
    for (let i = 0; i < 5; i++) expect(await answer(i, 'wrong')).toBe(1); // 3 free, then blocked
    expect(await answer(5, 'secret')).toBe(1); // the right password is refused while blocked
  });

  it('with evictOldest, a newcomer evicts the oldest viewer only once it has logged in', async () => {
    fx = await startFixture({ password: 'secret', maxClients: 1, evictOldest: true });
    const login = async (password: string): Promise<{ c: RfbTestClient; result: number }> => {
      const c = await RfbTestClient.connect(fx!.port);
      clients.push(c);
      await c.readExactly(12);
      c.write(Buffer.from('RFB 003.008\n', 'latin1'));
      await c.readExactly(2);
      c.write(new Uint8Array([2]));
      c.write(vncAuthResponse(await c.readExactly(16), password));
      const result = await c.readU32();
      if (result === 0) {
        c.write(new Uint8Array([1]));
        await c.readServerInit();
      }
      return { c, result };
    };
    const viewer = await login('secret');
    // Without the password: it does not displace the viewer.
    const intruder = await login('wrong');
    expect(intruder.result).toBe(1);
    const silent = await RfbTestClient.connect(fx.port); // connects and says nothing
    clients.push(silent);
    await new Promise((r) => setTimeout(r, 100));
    expect(viewer.c.isEnded).toBe(false);
    silent.destroy();
    await until(() => fx!.vnc.clientCount === 1);
    // With the password: the newcomer takes the slot.
    const next = await login('secret');
    expect(next.result).toBe(0);
    await viewer.c.closed;
    expect(fx.vnc.inspect()).toMatchObject({ clientCount: 1, evicted: 1 });
  });
});
