/**
 * Authentication at the coordinator: the password from the parameters protects every client,
 * and repeated real failures from one address earn it an exponential back-off (the cheapest
 * refusal: closed at accept), while merely connecting never counts.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { vncAuthResponse } from '@openvmm-vnc-ts/vnc';
import { AuthThrottle } from '../src/auth-throttle.js';
import { type Fixture, RfbTestClient, startFixture, clients, stopAll } from './helpers.js';

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
