import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { GUEST_DEFAULT_VRAM_GPA, GUEST_VRAM_USER_CONTEXT, GuestDriverError, SynthvidGuestDriver } from '../src/guest/driver.js';
import { ARROW_POINTER, pointerFromArt } from '../src/guest/pointer.js';
import { FakeSynthvidDevice } from './guest-fake-device.js';
import type { FakeDeviceOptions } from './guest-fake-device.js';

const open: MessagePort[] = [];
afterEach(() => {
  for (const p of open.splice(0)) p.close();
});

function setup(opts: FakeDeviceOptions = {}, timeoutMs = 2000): { driver: SynthvidGuestDriver; device: FakeSynthvidDevice } {
  const ch = new MessageChannel();
  open.push(ch.port1, ch.port2);
  return { driver: new SynthvidGuestDriver(ch.port1, { timeoutMs }), device: new FakeSynthvidDevice(ch.port2, opts) };
}

describe('SynthvidGuestDriver', () => {
  it('brings the device up in the protocol order', async () => {
    const { driver, device } = setup();
    expect(driver.surface).toBeUndefined();
    await driver.connect({ width: 800, height: 600 });
    expect(driver.surface).toEqual({ width: 800, height: 600 });
    expect(device.received.map((m) => m.type)).toEqual(['versionRequest', 'vramLocation', 'situationUpdate']);
    const [v, vram, sit] = device.received;
    expect(v).toEqual({ type: 'versionRequest', version: { major: 3, minor: 5 } });
    expect(vram).toEqual({ type: 'vramLocation', userContext: GUEST_VRAM_USER_CONTEXT, isVramGpaSpecified: true, vramGpa: GUEST_DEFAULT_VRAM_GPA });
    expect(sit).toMatchObject({
      type: 'situationUpdate',
      videoOutputCount: 1,
      output: { active: true, vramOffset: 0, depthBits: 32, width: 800, height: 600, pitch: 3200 },
    });
  });

  it('throws when the host rejects the version', async () => {
    const { driver, device } = setup({ rejectVersion: true });
    await expect(driver.connect({ width: 640, height: 480 })).rejects.toThrow(/rejected synthvid version 3\.5/);
    expect(device.received.map((m) => m.type)).toEqual(['versionRequest']);
  });

  it('times out instead of hanging when the host is silent', async () => {
    const { driver } = setup({ mute: true }, 50);
    await expect(driver.connect({ width: 640, height: 480 })).rejects.toBeInstanceOf(GuestDriverError);
  });

  it('fails pending waits when closed', async () => {
    const { driver } = setup({ mute: true });
    const p = driver.connect({ width: 640, height: 480 });
    driver.close();
    await expect(p).rejects.toThrow(/closed/);
    expect(() => driver.sendDirt([{ left: 0, top: 0, right: 1, bottom: 1 }])).toThrow(GuestDriverError);
  });

  it('rejects bad sizes', async () => {
    const { driver } = setup();
    await expect(driver.connect({ width: 0, height: 10 })).rejects.toThrow(RangeError);
    await expect(driver.resize(70000, 10)).rejects.toThrow(RangeError);
  });

  it('splits DIRT into messages of at most 255 rects', async () => {
    const { driver, device } = setup();
    await driver.connect({ width: 1024, height: 768 });
    const rects = Array.from({ length: 600 }, (_, i) => ({ left: i, top: 0, right: i + 1, bottom: 1 }));
    expect(driver.sendDirt(rects)).toBe(3);
    expect(driver.sendDirt([])).toBe(0);
    await device.waitFor(() => device.dirt.length === 3);
    expect(device.dirt.map((d) => d.length)).toEqual([255, 255, 90]);
    expect(device.dirt.flat()).toEqual(rects);
    expect(device.ofType('dirt').every((m) => m.videoOutput === 0)).toBe(true);
  });

  it('stops sending DIRT when the host says it is not needed', async () => {
    const { driver, device } = setup();
    await driver.connect({ width: 320, height: 200 });
    device.send({ type: 'featureChange', isDirtNeeded: false, isPointerPositionUpdatesNeeded: true, isPointerShapeUpdatesNeeded: true, isVideoSituationUpdatesNeeded: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(driver.dirtNeeded).toBe(false);
    expect(driver.sendDirt([{ left: 0, top: 0, right: 1, bottom: 1 }])).toBe(0);
  });

  it('sends pointer shape and position', async () => {
    const { driver, device } = setup();
    await driver.connect({ width: 320, height: 200 });
    driver.setPointerShape(ARROW_POINTER);
    driver.setPointerPosition(10.7, 20);
    driver.setPointerPosition(5, 6, false);
    await device.waitFor(() => device.ofType('pointerPosition').length === 2);
    const [shape] = device.ofType('pointerShape');
    expect(shape).toMatchObject({ partialIndex: 0xff, flags: 1, width: 16, height: 16, hotX: 0, hotY: 0 });
    expect(shape!.data).toEqual(ARROW_POINTER.argb);
    // Tip pixel is opaque black (B,G,R,A = 0,0,0,255); pixel (15,0) is transparent.
    expect([...shape!.data.subarray(0, 4)]).toEqual([0, 0, 0, 255]);
    expect([...shape!.data.subarray(15 * 4, 16 * 4)]).toEqual([0, 0, 0, 0]);
    expect(device.ofType('pointerPosition')).toEqual([
      { type: 'pointerPosition', isVisible: true, videoOutput: 0, x: 10, y: 20 },
      { type: 'pointerPosition', isVisible: false, videoOutput: 0, x: 5, y: 6 },
    ]);
    expect(() => driver.setPointerShape({ ...ARROW_POINTER, width: 15 })).toThrow(RangeError);
    expect(() => pointerFromArt(['B.', 'B'], 0, 0)).toThrow();
  });

  it('resizes with a new SITUATION_UPDATE and waits for its ack', async () => {
    const { driver, device } = setup();
    await driver.connect({ width: 1024, height: 768 });
    await driver.resize(1280, 720);
    expect(driver.surface).toEqual({ width: 1280, height: 720 });
    const sits = device.ofType('situationUpdate');
    expect(sits.map((s) => [s.output.width, s.output.height, s.output.pitch])).toEqual([
      [1024, 768, 4096],
      [1280, 720, 5120],
    ]);
  });

  it('ignores garbage from the host', async () => {
    const { driver, device } = setup();
    device.port.postMessage(new Uint8Array([1, 2]));
    device.port.postMessage('hello');
    await driver.connect({ width: 320, height: 200 });
    expect(driver.surface).toEqual({ width: 320, height: 200 });
  });
});
