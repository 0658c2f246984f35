/**
 * QEMU LED State (-261) over a connection: a client that asks gets the guest's lock LEDs in its
 * next update (at once if they are known when it asks), and again only when they change; a
 * client that does not ask never gets the pseudo-rect.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { MemFramebuffer } from './helpers/mem-fb.js';
import { ENC_LED_STATE, ENC_RAW } from './helpers/rfb-client.js';
import { closeAll, delay, ready } from './helpers/server-fixture.js';

afterEach(closeAll);

describe('QEMU LED State', () => {
  it('sends the LEDs to a client that asks, on request and on change only', async () => {
    const { c, conn } = await ready(new MemFramebuffer(16, 16));
    conn.setLeds({ scroll: false, num: true, caps: false });
    c.setEncodings([ENC_RAW, ENC_LED_STATE]);
    c.requestUpdate(false, 0, 0, 16, 16);
    const first = await c.readUpdate();
    expect(first.filter((r) => r.encoding === ENC_LED_STATE).map((r) => [...r.data])).toEqual([[0b010]]);
    c.requestUpdate(true, 0, 0, 16, 16);
    conn.setLeds({ scroll: false, num: true, caps: false }); // unchanged: nothing to send
    expect(await c.bytesArrivingWithin(100)).toBe(0);
    conn.setLeds({ scroll: true, num: true, caps: true });
    const next = await c.readUpdate();
    expect(next.map((r) => [r.x, r.y, r.w, r.h, r.encoding, ...r.data])).toEqual([[0, 0, 0, 0, ENC_LED_STATE, 0b111]]);
  });

  it('a client that did not ask never gets LED state', async () => {
    const { c, conn } = await ready(new MemFramebuffer(16, 16));
    c.setEncodings([ENC_RAW]);
    conn.setLeds({ scroll: true, num: true, caps: true });
    c.requestUpdate(false, 0, 0, 16, 16);
    const rects = await c.readUpdate();
    expect(rects.some((r) => r.encoding === ENC_LED_STATE)).toBe(false);
    c.requestUpdate(true, 0, 0, 16, 16);
    conn.setLeds({ scroll: false, num: false, caps: false });
    await delay(50);
    expect(await c.bytesArrivingWithin(100)).toBe(0);
  });
});
