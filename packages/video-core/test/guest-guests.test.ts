import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { GuestCanvas } from '../src/guest/canvas.js';
import { DEMO_CONSOLE_BG, DEMO_CONSOLE_FG, DEMO_MOUSE_FIELD_CHARS, formatClock, startDemoGuest } from '../src/guest/demo-guest.js';
import type { DemoGuest, DemoGuestOptions } from '../src/guest/demo-guest.js';
import { typeText } from '../src/guest/keyboard-decoder.js';
import { ARROW_POINTER } from '../src/guest/pointer.js';
import { TEST_CARD_BARS, drawTestCard } from '../src/guest/test-card.js';
import { startTestCardGuest } from '../src/guest/test-card-guest.js';
import type { InputEvent } from '../src/input.js';
import type { SynthvidRect } from '../src/synthvid/protocol.js';
import { FakeSynthvidDevice } from './guest-fake-device.js';
import type { FakeDeviceOptions } from './guest-fake-device.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

interface Rig {
  vram: SharedArrayBuffer;
  device: FakeSynthvidDevice;
  input: MessagePort;
  guestVideo: MessagePort;
  guestInput: MessagePort;
}

function rig(deviceOpts: FakeDeviceOptions = {}): Rig {
  const video = new MessageChannel();
  const input = new MessageChannel();
  const device = new FakeSynthvidDevice(video.port2, deviceOpts);
  cleanups.push(() => {
    for (const p of [video.port1, video.port2, input.port1, input.port2]) p.close();
  });
  return { vram: new SharedArrayBuffer(8 * 1024 * 1024), device, input: input.port2, guestVideo: video.port1, guestInput: input.port1 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Pixels of the surface at pitch width*4, as a copy. */
function snap(vram: SharedArrayBuffer, width: number, height: number): Uint32Array {
  return new Uint32Array(vram.slice(0, width * height * 4));
}

/** Asserts every pixel that differs between `a` and `b` lies inside one of `rects`; returns the changed count. */
function expectChangesCovered(a: Uint32Array, b: Uint32Array, width: number, rects: readonly SynthvidRect[]): number {
  const covered = new Uint8Array(a.length);
  for (const r of rects) for (let y = r.top; y < r.bottom; y++) covered.fill(1, y * width + r.left, y * width + r.right);
  let changed = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    changed++;
    if (!covered[i]) expect.fail(`pixel ${i % width},${Math.floor(i / width)} changed without DIRT`);
  }
  return changed;
}

describe('test-card guest', () => {
  it('draws the card, then sends one DIRT covering exactly the surface', async () => {
    for (const [width, height] of [[1024, 768], [320, 200]] as const) {
      const r = rig();
      const guest = startTestCardGuest({ vram: r.vram, video: r.guestVideo, input: r.guestInput, width, height });
      cleanups.push(() => guest.stop());
      await guest.drawn;
      await r.device.waitFor(() => r.device.dirt.length === 1);
      expect(r.device.dirt).toEqual([[{ left: 0, top: 0, right: width, bottom: height }]]);
      expect(r.device.ofType('situationUpdate')[0]!.output).toMatchObject({ width, height, pitch: width * 4 });
      const expected = new GuestCanvas(new SharedArrayBuffer(width * height * 4), { width, height });
      drawTestCard(expected);
      expect(Buffer.from(r.vram, 0, width * height * 4).equals(Buffer.from(expected.snapshot()))).toBe(true);
      expect(guest.canvas.pixel(8, 32)).toBe(TEST_CARD_BARS[0]);
    }
  });

  it('ignores input and stays static', async () => {
    const r = rig();
    const guest = startTestCardGuest({ vram: r.vram, video: r.guestVideo, input: r.guestInput, width: 320, height: 200 });
    cleanups.push(() => guest.stop());
    await guest.ready;
    await r.device.waitFor(() => r.device.dirt.length === 1);
    const before = snap(r.vram, 320, 200);
    for (const e of typeText('hello\n')) r.input.postMessage({ kind: 'keyboard', ...e });
    r.input.postMessage({ kind: 'mouse', buttons: 1, x: 100, y: 100 });
    await sleep(50);
    expect(r.device.dirt.length).toBe(1);
    expect(snap(r.vram, 320, 200)).toEqual(before);
  });

  it('rejects drawn when the host refuses the version, and stop closes the ports', async () => {
    const r = rig({ rejectVersion: true });
    const guest = startTestCardGuest({ vram: r.vram, video: r.guestVideo, input: r.guestInput, width: 320, height: 200 });
    await expect(guest.drawn).rejects.toThrow(/rejected/);
    const closed = new Promise<void>((resolve) => r.device.port.once('close', () => resolve()));
    guest.stop();
    guest.stop();
    await closed;
  });

  it('validates its size', () => {
    const r = rig();
    expect(() => startTestCardGuest({ vram: r.vram, video: r.guestVideo, input: r.guestInput, width: 4096, height: 4096 })).toThrow(RangeError);
  });
});

describe('demo guest', () => {
  const W = 640;
  const H = 480;
  let t = new Date(2024, 0, 1, 12, 34, 56);

  async function startDemo(extra: Partial<DemoGuestOptions> = {}): Promise<{ r: Rig; guest: DemoGuest }> {
    const r = rig();
    t = new Date(2024, 0, 1, 12, 34, 56);
    const guest = startDemoGuest({ vram: r.vram, video: r.guestVideo, input: r.guestInput, width: W, height: H, now: () => t, clockIntervalMs: 10, ...extra });
    cleanups.push(() => guest.stop());
    await guest.ready;
    await r.device.waitFor(() => r.device.ofType('pointerPosition').length === 1);
    return { r, guest };
  }

  it('reports its lock LEDs on the input port at start and when Caps Lock toggles', async () => {
    const r = rig();
    const leds: unknown[] = [];
    r.input.on('message', (m: unknown) => leds.push(m));
    const guest = startDemoGuest({ vram: r.vram, video: r.guestVideo, input: r.guestInput, width: W, height: H, clockIntervalMs: 10 });
    cleanups.push(() => guest.stop());
    await guest.ready;
    await r.device.waitFor(() => leds.length === 1);
    expect(leds[0]).toEqual({ kind: 'leds', scroll: false, num: false, caps: false });
    r.input.postMessage({ kind: 'keyboard', code: 0x3a, make: true });
    r.input.postMessage({ kind: 'keyboard', code: 0x3a, make: false });
    await r.device.waitFor(() => leds.length === 2);
    expect(leds[1]).toEqual({ kind: 'leds', scroll: false, num: false, caps: true });
  });

  let barrier = 0;
  /** Sends `events`, then a mouse move, and waits for its POINTER_POSITION: everything before it has arrived. */
  async function send(r: Rig, events: InputEvent[]): Promise<{ x: number; y: number }> {
    barrier = (barrier + 1) % 100;
    const pos = { x: 1000 + barrier * 100, y: 2000 };
    for (const e of events) r.input.postMessage(e);
    r.input.postMessage({ kind: 'mouse', buttons: 0, ...pos });
    const px = Math.round((pos.x * (W - 1)) / 0x7fff);
    const py = Math.round((pos.y * (H - 1)) / 0x7fff);
    await r.device.waitFor(() => r.device.ofType('pointerPosition').some((p) => p.x === px && p.y === py));
    return { x: px, y: py };
  }

  const keys = (text: string): InputEvent[] => typeText(text).map((e) => ({ kind: 'keyboard', ...e }));

  it('comes up with a full frame, the pointer shape and a centred pointer', async () => {
    const { r, guest } = await startDemo();
    expect(r.device.dirt[0]).toEqual([{ left: 0, top: 0, right: W, bottom: H }]);
    expect(r.device.ofType('pointerShape')).toHaveLength(1);
    expect(r.device.ofType('pointerShape')[0]!.data).toEqual(ARROW_POINTER.argb);
    expect(r.device.ofType('pointerPosition')[0]).toMatchObject({ x: 320, y: 240, isVisible: true });
    expect(guest.consoleText()).toMatch(/^Welcome/);
    expect(guest.layout.panel).toBeDefined();
    expect(guest.layout.cols).toBe(Math.floor((640 - 8 - 192 - 8 - 8) / 12));
  });

  it('echoes typed keys into the console and dirties just those cells', async () => {
    const { r, guest } = await startDemo();
    const L = guest.layout;
    const before = snap(r.vram, W, H);
    const mark = r.device.count;
    await send(r, keys('hi\n'));
    expect(guest.consoleText().split('\n')[3]).toBe('hi');
    const dirt = r.device.since(mark).flatMap((m) => (m.type === 'dirt' ? m.rects : []));
    const after = snap(r.vram, W, H);
    expect(expectChangesCovered(before, after, W, dirt)).toBeGreaterThan(0);
    // The console row 3 (y = 32 + 48) now holds 'h' and 'i' in console colours, and DIRT covers it.
    const rowTop = L.console.top + 3 * 16;
    const cells = (x0: number, x1: number): number[] => {
      const out: number[] = [];
      for (let y = rowTop; y < rowTop + 16; y++) for (let x = x0; x < x1; x++) out.push(guest.canvas.pixel(x, y)!);
      return out;
    };
    expect(cells(8, 32)).toContain(DEMO_CONSOLE_FG);
    expect(new Set(cells(8, 32))).toEqual(new Set([DEMO_CONSOLE_FG, DEMO_CONSOLE_BG]));
    expect(dirt.some((d) => d.left <= 8 && d.right >= 20 && d.top <= rowTop && d.bottom >= rowTop + 16)).toBe(true);
    // Nothing large: each rect is a couple of cells or a status field.
    for (const d of dirt) expect((d.right - d.left) * (d.bottom - d.top)).toBeLessThanOrEqual(DEMO_MOUSE_FIELD_CHARS * 12 * 16);
    // Backspace removes the last character.
    await send(r, keys('ab\b'));
    expect(guest.consoleText().split('\n')[4]).toBe('a');
  });

  it('scrolls the console when full and dirties the console area', async () => {
    const { r, guest } = await startDemo();
    const L = guest.layout;
    const before = snap(r.vram, W, H);
    const mark = r.device.count;
    await send(r, keys('x\n'.repeat(L.rows)));
    const dirt = r.device.since(mark).flatMap((m) => (m.type === 'dirt' ? m.rects : []));
    expect(dirt).toContainEqual(L.console);
    expectChangesCovered(before, snap(r.vram, W, H), W, dirt);
    expect(guest.consoleText()).not.toMatch(/Welcome/);
    expect(guest.consoleText().split('\n')).toHaveLength(L.rows - 1);
  });

  it('clears the console with Ctrl+L', async () => {
    const { r, guest } = await startDemo();
    await send(r, [{ kind: 'keyboard', code: 0x1d, make: true }, ...keys('l'), { kind: 'keyboard', code: 0x1d, make: false }]);
    expect(guest.consoleText()).toBe('');
  });

  it('ticks the clock, dirtying only the clock rect', async () => {
    const { r, guest } = await startDemo();
    const L = guest.layout;
    expect(L.clock).toEqual({ left: W - 8 - 96, top: 4, right: W - 8, bottom: 20 });
    for (let i = 0; i < 3; i++) {
      const before = snap(r.vram, W, H);
      const mark = r.device.count;
      t = new Date(t.getTime() + 1000);
      await r.device.waitFor(() => r.device.since(mark).some((m) => m.type === 'dirt'));
      await sleep(30); // more ticks, but the time has not changed: no more DIRT
      const msgs = r.device.since(mark);
      expect(msgs).toEqual([{ type: 'dirt', videoOutput: 0, rects: [L.clock] }]);
      expect(expectChangesCovered(before, snap(r.vram, W, H), W, [L.clock])).toBeGreaterThan(0);
    }
    expect(formatClock(t)).toBe('12:34:59');
  });

  it('shows mouse position and buttons in the status line', async () => {
    const { r, guest } = await startDemo();
    const L = guest.layout;
    const before = snap(r.vram, W, H);
    const mark = r.device.count;
    r.input.postMessage({ kind: 'mouse', buttons: 5, x: 0x7fff, y: 0 });
    await r.device.waitFor(() => r.device.ofType('pointerPosition').some((p) => p.x === W - 1 && p.y === 0));
    const msgs = r.device.since(mark);
    expect(msgs).toEqual([
      { type: 'dirt', videoOutput: 0, rects: [L.mouseField] },
      { type: 'pointerPosition', isVisible: true, videoOutput: 0, x: W - 1, y: 0 },
    ]);
    expect(L.mouseField.top).toBe(H - 20);
    expect(expectChangesCovered(before, snap(r.vram, W, H), W, [L.mouseField])).toBeGreaterThan(0);
    // Same state again: pointer position only, no redraw.
    const mark2 = r.device.count;
    r.input.postMessage({ kind: 'mouse', buttons: 5, x: 0x7fff, y: 0 });
    r.input.postMessage({ kind: 'mouse', buttons: 0, x: 0, y: 0x7fff });
    await r.device.waitFor(() => r.device.since(mark2).length === 3);
    expect(r.device.since(mark2).map((m) => m.type)).toEqual(['pointerPosition', 'dirt', 'pointerPosition']);
  });

  it('works at the minimum size and ignores malformed input', async () => {
    const r = rig();
    const guest = startDemoGuest({ vram: r.vram, video: r.guestVideo, input: r.guestInput, width: 320, height: 200, clockIntervalMs: 10 });
    cleanups.push(() => guest.stop());
    await guest.ready;
    expect(guest.layout.panel).toBeUndefined();
    r.input.postMessage({ kind: 'bogus' });
    r.input.postMessage(42);
    const before = snap(r.vram, 320, 200);
    const mark = r.device.count;
    for (const e of keys('x'.repeat(guest.layout.cols + 2))) r.input.postMessage(e);
    await r.device.waitFor(() => guest.consoleText().split('\n')[4] === 'xx');
    await sleep(20);
    const dirt = r.device.since(mark).flatMap((m) => (m.type === 'dirt' ? m.rects : []));
    expectChangesCovered(before, snap(r.vram, 320, 200), 320, dirt);
    expect(() => startDemoGuest({ vram: r.vram, video: r.guestVideo, input: r.guestInput, width: 300, height: 200 })).toThrow(RangeError);
  });
});
