/**
 * Client limits and the shared flag: over `maxClients` the new socket is closed before any RFB
 * byte (or the oldest client is evicted), a freed slot is reusable, and the three shared-flag
 * policies do what they say.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { type Fixture, RfbTestClient, startFixture, until, clients, stopAll } from './helpers.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await stopAll();
  fx = undefined;
});

async function connect(port: number): Promise<RfbTestClient> {
  const c = await RfbTestClient.connect(port);
  clients.push(c);
  return c;
}

async function ready(port: number, shared = true): Promise<RfbTestClient> {
  const c = await connect(port);
  await c.handshake('3.8', shared);
  return c;
}

/** A refused socket is closed without a single byte. */
async function expectRefused(c: RfbTestClient): Promise<void> {
  await c.closed;
  expect(c.pending).toBe(0);
}

describe('client limits', () => {
  it('accepts up to the limit and closes the next socket before any RFB bytes', async () => {
    fx = await startFixture({ maxClients: 3 });
    for (let i = 0; i < 3; i++) await ready(fx.port);
    await expectRefused(await connect(fx.port));
    expect(fx.vnc.clientCount).toBe(3);
    expect(fx.vnc.inspect()).toMatchObject({ rejected: 1 });
  });

  it('maxClients 0 refuses everyone', async () => {
    fx = await startFixture({ maxClients: 0 });
    await expectRefused(await connect(fx.port));
  });

  it('frees a slot when a client disconnects', async () => {
    fx = await startFixture({ maxClients: 1 });
    const a = await ready(fx.port);
    a.destroy();
    await until(() => fx!.vnc.clientCount === 0, 3000, 'slot freed');
    const b = await ready(fx.port);
    expect(b.isEnded).toBe(false);
  });

  it('with evictOldest, disconnects the oldest and serves the newcomer', async () => {
    fx = await startFixture({ maxClients: 2, evictOldest: true });
    const a = await ready(fx.port);
    const b = await ready(fx.port);
    const c = await ready(fx.port);
    await a.closed;
    expect(b.isEnded).toBe(false);
    expect(c.isEnded).toBe(false);
    expect(fx.vnc.clientCount).toBe(2);
    expect(fx.vnc.inspect()).toMatchObject({ evicted: 1 });
  });

  it('with evictOldest and a single slot, each newcomer replaces the previous client', async () => {
    fx = await startFixture({ maxClients: 1, evictOldest: true });
    const a = await ready(fx.port);
    const b = await ready(fx.port);
    await a.closed;
    const c = await ready(fx.port);
    await b.closed;
    expect(c.isEnded).toBe(false);
    expect(fx.vnc.inspect()).toMatchObject({ clientCount: 1, evicted: 2 });
  });

  it('keeps the count exact under rapid connect/disconnect churn', async () => {
    fx = await startFixture({ maxClients: 4 });
    const batch = await Promise.all(Array.from({ length: 12 }, () => connect(fx!.port)));
    await until(() => fx!.vnc.clientCount + (fx!.vnc.inspect().rejected as number) === 12, 3000, 'all accepted or refused');
    expect(fx.vnc.clientCount).toBe(4);
    for (const c of batch) c.destroy();
    await until(() => fx!.vnc.clientCount === 0, 3000, 'all gone');
  });
});

describe('shared flag', () => {
  it('share-all (default): a non-shared client coexists with others', async () => {
    fx = await startFixture();
    const a = await ready(fx.port);
    const b = await ready(fx.port, false);
    await new Promise((r) => setTimeout(r, 50));
    expect(a.isEnded).toBe(false);
    expect(b.isEnded).toBe(false);
  });

  it('spec: a non-shared client disconnects the others', async () => {
    fx = await startFixture({ sharedPolicy: 'spec' });
    const a = await ready(fx.port);
    const b = await ready(fx.port);
    const c = await ready(fx.port, false);
    await a.closed;
    await b.closed;
    expect(c.isEnded).toBe(false);
    expect(fx.vnc.clientCount).toBe(1);
  });

  it('refuse-exclusive: a non-shared client is refused and the others stay', async () => {
    fx = await startFixture({ sharedPolicy: 'refuse-exclusive' });
    const a = await ready(fx.port);
    const c = await connect(fx.port);
    await c.handshake('3.8', false).catch(() => undefined);
    await c.closed;
    expect(a.isEnded).toBe(false);
    expect(fx.vnc.clientCount).toBe(1);
  });
});
