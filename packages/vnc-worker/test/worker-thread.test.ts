/**
 * The coordinator on its own thread, reached only through its channels: VRAM shared, format and
 * dirt over ports, input out over the guest's port. Runs against the built package (the thread
 * entry exists only in dist/).
 */

import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { FramebufferView, type InputEvent, Vram } from '@openvmm-vnc-ts/video-core';
import { defaultVncParameters } from '@openvmm-vnc-ts/vnc-worker-defs';
import type * as Worker from '../src/index.js';
import { ENC_DESKTOP_SIZE, ENC_LED_STATE, ENC_RAW, RfbTestClient, until } from './helpers.js';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const load = async (): Promise<typeof Worker> => (await import(pathToFileURL(dist).href)) as typeof Worker;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startWorker(maxClients = 16) {
  const w = await load();
  const vram = new Vram();
  const view = new FramebufferView(vram, { width: 64, height: 32, stride: 256, offset: 0 });
  const guestInput = new MessageChannel();
  const received: InputEvent[] = [];
  guestInput.port1.on('message', (e: InputEvent) => received.push(e));
  const dirt = w.dirtChannel();
  const worker = await w.VncWorker.start({
    params: defaultVncParameters({ listener: { host: '127.0.0.1', port: 0 }, maxClients, updateIntervalMs: 5 }),
    channels: { vram: vram.buffer, format: view.format, formatPort: w.formatChannel(view), input: guestInput.port2 as MessagePort, dirt: dirt.port },
  });
  cleanups.push(() => worker.stop(), () => guestInput.port1.close());
  return { worker, vram, view, received, dirt: dirt.sender, guestPort: guestInput.port1 };
}

async function client(port: number, encodings = [ENC_RAW, ENC_DESKTOP_SIZE]): Promise<RfbTestClient> {
  const c = await RfbTestClient.connect(port);
  cleanups.push(() => c.destroy());
  await c.handshake('3.8');
  c.setEncodings(encodings);
  c.requestUpdate(false, 0, 0, 0xffff, 0xffff);
  await c.readUpdate();
  c.requestUpdate(true, 0, 0, 0xffff, 0xffff);
  return c;
}

describe('VncWorker (worker thread)', () => {
  it('runs against the built package (pnpm build first)', () => {
    expect(existsSync(dist), dist).toBe(true);
  });

  it('serves VRAM, takes dirt and formats over ports, and sends input to the guest port', async () => {
    const { worker, vram, view, received, dirt } = await startWorker();
    const c = await client(worker.port);
    vram.bytes.fill(0x7f, 16 * 4, 32 * 4); // row 0, x 16..32
    dirt.send([{ left: 16, top: 0, right: 32, bottom: 1 }]);
    const rects = await c.readUpdate();
    // The exact damage, or its tile when the tile diff (on until the first dirt) saw it first.
    expect([[[16, 0, 16, 1]], [[16, 0, 16, 16]]]).toContainEqual(rects.map(({ x, y, w, h }) => [x, y, w, h]));
    expect(rects[0]!.data.subarray(0, 4)).toEqual(new Uint8Array([0x7f, 0x7f, 0x7f, 0x7f]));

    c.requestUpdate(true, 0, 0, 0xffff, 0xffff);
    view.setFormat({ width: 40, height: 20, stride: 160, offset: 0 });
    expect((await c.readUpdate())[0]).toMatchObject({ w: 40, h: 20, encoding: ENC_DESKTOP_SIZE });
    expect((await c.readUpdate())[0]).toMatchObject({ w: 40, h: 20, encoding: ENC_RAW });

    c.pointer(4, 39, 19);
    c.key(true, 0x61);
    await until(() => received.length >= 2, 3000, 'input at the guest port');
    expect(received).toEqual([
      { kind: 'mouse', buttons: 0x02, wheel: 0, x: 0x7fff, y: 0x7fff }, // RFB right (4) is HID right (2)
      { kind: 'keyboard', code: 0x1e, make: true },
    ]);
    const state = await worker.inspect();
    expect(state).toMatchObject({ clientCount: 1, dirtSource: 'device' });
  });

  it('relays the lock LEDs the guest reports on its input port to clients that ask (-261)', async () => {
    const { worker, guestPort } = await startWorker();
    const c = await client(worker.port, [ENC_RAW, ENC_LED_STATE]);
    guestPort.postMessage({ kind: 'leds', scroll: false, num: false, caps: true });
    const rects = await c.readUpdate();
    expect(rects.map((r) => [r.encoding, ...r.data])).toEqual([[ENC_LED_STATE, 0b100]]);
  });

  it('falls back to tile diff when the dirt channel closes', async () => {
    const { worker, vram, dirt } = await startWorker();
    const c = await client(worker.port);
    dirt.send([]);
    await until(() => true);
    dirt.close();
    await new Promise((r) => setTimeout(r, 50));
    vram.bytes.fill(0xff, 256 * 20 + 4 * 50, 256 * 20 + 4 * 51);
    const rects = await c.readUpdate();
    expect(rects.some((r) => r.x <= 50 && 50 < r.x + r.w && r.y <= 20 && 20 < r.y + r.h)).toBe(true);
  });

  it('restart drops clients, keeps the port and the parameters; stop closes the listener', async () => {
    const { worker } = await startWorker(3);
    const a = await client(worker.port);
    const params = await worker.restart();
    await a.closed;
    expect(params.maxClients).toBe(3);
    const b = await client(worker.port);
    expect(b.isEnded).toBe(false);
    await worker.stop();
    await b.closed;
    await expect(RfbTestClient.connect(worker.port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('rejects the start with the listener error code when the port is taken', async () => {
    const { worker } = await startWorker();
    const w = await load();
    const vram = new Vram();
    const view = new FramebufferView(vram);
    const input = new MessageChannel();
    cleanups.push(() => input.port1.close());
    const err = await w.VncWorker.start({
      params: defaultVncParameters({ listener: { host: '127.0.0.1', port: worker.port } }),
      channels: { vram: vram.buffer, format: view.format, formatPort: w.formatChannel(view), input: input.port2 as MessagePort },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(w.VncWorkerStartError);
    expect((err as { code: string }).code).toBe('EADDRINUSE');
  });
});
