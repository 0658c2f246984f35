/**
 * The worker-thread path, against the compiled package: the worker file only exists in `dist/`
 * after `tsc -b`, so this test imports `dist/index.js`; it fails (never skips) when dist is missing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type * as VideoCore from '../src/index.js';
import { FakeSynthvidDevice } from './guest-fake-device.js';

const distIndex = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const distWorker = fileURLToPath(new URL('../dist/guest/worker-entry.js', import.meta.url));
const built = existsSync(distIndex) && existsSync(distWorker);

async function load(): Promise<typeof VideoCore> {
  return (await import(pathToFileURL(distIndex).href)) as typeof VideoCore;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('spawnGuestThread', () => {
  it('runs against the built package (run `pnpm build` first)', () => {
    expect(built, `${distIndex} and ${distWorker} must exist`).toBe(true);
  });

  it('lists the guest kinds', async () => {
    const vc = await load();
    expect(vc.GUEST_KINDS).toEqual(['demo', 'test-card']);
    await expect(vc.spawnGuestThread('nope' as never, new vc.Vram())).rejects.toThrow(TypeError);
  });

  it('runs the test card on its own thread, drawing into the shared VRAM', async () => {
    const vc = await load();
    const vram = new vc.Vram();
    const thread = await vc.spawnGuestThread('test-card', vram, { width: 640, height: 480 });
    cleanups.push(() => thread.terminate());
    const device = new FakeSynthvidDevice(thread.video);
    await device.waitFor(() => device.dirt.length === 1, 10_000);
    expect(device.dirt).toEqual([[{ left: 0, top: 0, right: 640, bottom: 480 }]]);
    const view = new vc.GuestCanvas(vram.buffer, { width: 640, height: 480 });
    const L = vc.testCardLayout(640, 480);
    vc.TEST_CARD_BARS.forEach((colour, i) => expect(view.pixel(L.bars[i]!.left + 5, L.bars[i]!.top + 5)).toBe(colour));
    expect(view.pixel(0, 0)).toBe(vc.TEST_CARD_BORDER);
    await thread.terminate();
    await thread.terminate();
  });

  it('runs the demo on its own thread and echoes keys sent on the input port', async () => {
    const vc = await load();
    const vram = new vc.Vram();
    const thread = await vc.spawnGuestThread('demo', vram, { width: 800, height: 600 });
    cleanups.push(() => thread.terminate());
    const device = new FakeSynthvidDevice(thread.video);
    await device.waitFor(() => device.ofType('pointerShape').length === 1, 10_000);
    const mark = device.count;
    for (const e of vc.typeText('ok')) thread.input.postMessage({ kind: 'keyboard', ...e });
    await device.waitFor(() => device.since(mark).filter((m) => m.type === 'dirt').length >= 2, 10_000);
    const L = vc.demoLayout(800, 600);
    const view = new vc.GuestCanvas(vram.buffer, { width: 800, height: 600 });
    let ink = 0;
    const top = L.console.top + 3 * 16;
    for (let y = top; y < top + 16; y++) for (let x = L.console.left; x < L.console.left + 24; x++) if (view.pixel(x, y) === vc.DEMO_CONSOLE_FG) ink++;
    expect(ink).toBeGreaterThan(20);
  });
});
