/**
 * Tests for the synthvid device: a fake guest on the other end of a real MessageChannel drives
 * the device through negotiation, requests and protocol errors.
 */
import { afterEach, describe, it, expect } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { DirtyRect } from '../src/dirty-rect.js';
import { FramebufferView, Vram } from '../src/framebuffer.js';
import { createLogger } from '../src/log.js';
import type { LogRecord } from '../src/log.js';
import { decodeSynthvid, encodeSynthvid } from '../src/synthvid/codec.js';
import { SynthvidDevice } from '../src/synthvid/device.js';
import type { PointerPosition, PointerShape, SynthvidDeviceOptions } from '../src/synthvid/device.js';
import { SynthvidError, SynthvidErrorCode } from '../src/synthvid/errors.js';
import type { SynthvidMessage } from '../src/synthvid/protocol.js';

/** The guest end of the channel: sends messages, awaits decoded replies. */
class Guest {
  private readonly queue: SynthvidMessage[] = [];
  private waiters: ((m: SynthvidMessage) => void)[] = [];
  readonly closed: Promise<void>;

  constructor(readonly port: MessagePort) {
    port.on('message', (data: Uint8Array) => {
      const m = decodeSynthvid(data);
      const w = this.waiters.shift();
      if (w) w(m);
      else this.queue.push(m);
    });
    this.closed = new Promise((resolve) => port.once('close', () => resolve()));
  }

  send(msg: SynthvidMessage): void {
    this.port.postMessage(encodeSynthvid(msg));
  }

  next(): Promise<SynthvidMessage> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async request(msg: SynthvidMessage): Promise<SynthvidMessage> {
    this.send(msg);
    return this.next();
  }

  /** Negotiates 3.3 and returns the response. */
  async negotiate(): Promise<SynthvidMessage> {
    return this.request({ type: 'versionRequest', version: { major: 3, minor: 3 } });
  }
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

function setup(extra: Partial<SynthvidDeviceOptions> = {}) {
  const { port1, port2 } = new MessageChannel();
  const view = new FramebufferView(new Vram());
  const records: LogRecord[] = [];
  const logger = createLogger('test', { level: 'debug', sink: (r) => records.push(r) });
  let resolveClosed: (err: SynthvidError | undefined) => void = () => {};
  const closed = new Promise<SynthvidError | undefined>((resolve) => {
    resolveClosed = resolve;
  });
  const device = new SynthvidDevice({ port: port2, view, logger, ...extra, onClose: (err) => resolveClosed(err) });
  const ctx = { device, guest: new Guest(port1), view, records, closed };
  cleanup.push(() => {
    ctx.device.close();
    port1.close();
  });
  return ctx;
}

describe('SynthvidDevice', () => {
  it('serves a guest through negotiation and every request', async () => {
    const dirt: DirtyRect[][] = [];
    const { device, guest, view } = setup({ onDirt: (r) => dirt.push(r) });
    expect(device.state).toBe('readVersion');
    expect(device.version).toBeUndefined();

    expect(await guest.negotiate()).toEqual({ type: 'versionResponse', version: { major: 3, minor: 3 }, isAccepted: 2, maxVideoOutputs: 1 });
    expect(device.state).toBe('active');
    expect(device.version).toEqual({ major: 3, minor: 3 });

    expect(await guest.request({ type: 'vramLocation', userContext: 0x1234n, isVramGpaSpecified: true, vramGpa: 0xf8000000n })).toEqual({
      type: 'vramLocationAck',
      userContext: 0x1234n,
    });
    expect(device.inspect().vramMapped).toBe(true);

    const ack = await guest.request({
      type: 'situationUpdate',
      userContext: 99n,
      videoOutputCount: 1,
      output: { active: true, vramOffset: 0, depthBits: 32, width: 800, height: 600, pitch: 3200 },
    });
    expect(ack).toEqual({ type: 'situationUpdateAck', userContext: 99n });
    expect(view.width).toBe(800);
    expect(view.height).toBe(600);
    expect(view.format).toEqual({ width: 800, height: 600, stride: 3200, offset: 0 });

    const rects = [
      { left: -10, top: 0, right: 20, bottom: 30 },
      { left: 5000, top: 6000, right: 1, bottom: 2 },
    ];
    guest.send({ type: 'dirt', videoOutput: 0, rects });
    // BIOS info also proves the DIRT before it was handled (the port keeps order).
    expect(await guest.request({ type: 'biosInfoRequest' })).toEqual({ type: 'biosInfoResponse', stopDeviceSupported: 1 });
    expect(dirt).toEqual([rects]);

    const full = await guest.request({ type: 'supportedResolutionsRequest', maximumResolutionCount: 64 });
    expect(full.type).toBe('supportedResolutionsResponse');
    if (full.type === 'supportedResolutionsResponse') {
      expect(full.resolutions).toEqual([
        { width: 1024, height: 768 },
        { width: 1280, height: 1024 },
      ]);
      expect(full.defaultResolutionIndex).toBe(0);
      expect(full.isStandard).toBe(false);
      expect(full.edid.length).toBe(128);
      expect(full.edid.reduce((a, b) => a + b, 0) % 256).toBe(0);
    }
    const none = await guest.request({ type: 'supportedResolutionsRequest', maximumResolutionCount: 10 });
    expect(none.type === 'supportedResolutionsResponse' && none.resolutions).toEqual([]);

    expect(await guest.request({ type: 'capabilityRequest' })).toEqual({ type: 'capabilityResponse', lockOnDisconnect: 0 });

    const snap = device.inspect();
    expect(snap).toMatchObject({ state: 'active', version: '3.3', vramMapped: true, dirtMessages: 1, dirtRects: 2, lastError: undefined });
    expect(snap.format).toEqual({ width: 800, height: 600, stride: 3200, offset: 0 });
  });

  it('rejects version 2.0 with isAccepted=0, then accepts 3.0', async () => {
    const { device, guest } = setup();
    expect(await guest.request({ type: 'versionRequest', version: { major: 2, minor: 0 } })).toEqual({
      type: 'versionResponse',
      version: { major: 2, minor: 0 },
      isAccepted: 0,
      maxVideoOutputs: 1,
    });
    expect(device.state).toBe('readVersion');
    expect(await guest.request({ type: 'versionRequest', version: { major: 3, minor: 0 } })).toEqual({
      type: 'versionResponse',
      version: { major: 3, minor: 0 },
      isAccepted: 2,
      maxVideoOutputs: 1,
    });
    expect(device.state).toBe('active');
    expect(device.version).toEqual({ major: 3, minor: 0 });
  });

  it('closes with UNEXPECTED_ORDER on a request before the version', async () => {
    const { device, guest, closed, records } = setup();
    guest.send({ type: 'biosInfoRequest' });
    const err = await closed;
    expect(err).toBeInstanceOf(SynthvidError);
    expect(err?.code).toBe(SynthvidErrorCode.UNEXPECTED_ORDER);
    expect(device.state).toBe('closed');
    expect(device.error).toBe(err);
    expect(device.inspect().lastError?.code).toBe(SynthvidErrorCode.UNEXPECTED_ORDER);
    expect(records.some((r) => r.level === 'warn' && r.fields['code'] === SynthvidErrorCode.UNEXPECTED_ORDER)).toBe(true);
    await guest.closed;
  });

  it('closes with UNEXPECTED_ORDER on a second VERSION_REQUEST', async () => {
    const { device, guest, closed } = setup();
    await guest.negotiate();
    guest.send({ type: 'versionRequest', version: { major: 3, minor: 5 } });
    expect((await closed)?.code).toBe(SynthvidErrorCode.UNEXPECTED_ORDER);
    expect(device.state).toBe('closed');
    await guest.closed;
  });

  const garbage: [string, unknown, string][] = [
    ['an unknown type', new Uint8Array([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5]), SynthvidErrorCode.UNKNOWN_TYPE],
    ['a 3-byte packet', new Uint8Array([1, 0, 0]), SynthvidErrorCode.SHORT_PACKET],
    ['a short DIRT', new Uint8Array([10, 0, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2]), SynthvidErrorCode.SHORT_PACKET],
    ['a host-to-guest type', encodeSynthvid({ type: 'capabilityResponse', lockOnDisconnect: 0 }), SynthvidErrorCode.UNKNOWN_TYPE],
    ['a string', 'hello', SynthvidErrorCode.INVALID_FIELD],
  ];
  for (const [what, data, code] of garbage) {
    it(`closes with ${code} on ${what} after negotiation, without throwing`, async () => {
      const { device, guest, closed } = setup();
      await guest.negotiate();
      guest.port.postMessage(data);
      const err = await closed;
      expect(err).toBeInstanceOf(SynthvidError);
      expect(err?.code).toBe(code);
      expect(device.state).toBe('closed');
      await guest.closed;
    });
  }

  it('accepts ArrayBuffer packets', async () => {
    const { guest } = setup();
    const bytes = encodeSynthvid({ type: 'versionRequest', version: { major: 3, minor: 5 } });
    guest.port.postMessage(bytes.buffer);
    expect(await guest.next()).toMatchObject({ type: 'versionResponse', isAccepted: 2 });
  });

  it('keeps the old format when a situation does not fit in VRAM, and still ACKs', async () => {
    const { device, guest, view, records } = setup();
    await guest.negotiate();
    const before = view.format;
    const ack = await guest.request({
      type: 'situationUpdate',
      userContext: 5n,
      videoOutputCount: 1,
      output: { active: true, vramOffset: 0, depthBits: 32, width: 4096, height: 4096, pitch: 16384 },
    });
    expect(ack).toEqual({ type: 'situationUpdateAck', userContext: 5n });
    expect(view.format).toEqual(before);
    expect(device.state).toBe('active');
    const warn = records.find((r) => r.level === 'warn' && typeof r.fields['reason'] === 'string');
    expect(String(warn?.fields['reason'])).toContain('past VRAM');
  });

  it('forwards pointer position and complete shapes, ignoring partial and invalid ones', async () => {
    const positions: PointerPosition[] = [];
    const shapes: PointerShape[] = [];
    const { guest } = setup({ onPointerPosition: (p) => positions.push(p), onPointerShape: (s) => shapes.push(s) });
    await guest.negotiate();
    guest.send({ type: 'pointerPosition', isVisible: true, videoOutput: 0, x: -3, y: 40 });
    const base = { type: 'pointerShape', flags: 1, width: 1, height: 1, hotX: 0, hotY: 0 } as const;
    guest.send({ ...base, partialIndex: 0, data: new Uint8Array(4) });
    guest.send({ ...base, partialIndex: 0xff, width: 2, data: new Uint8Array(4) }); // needs 8 bytes
    guest.send({ ...base, partialIndex: 0xff, data: new Uint8Array([1, 2, 3, 4]) });
    await guest.request({ type: 'capabilityRequest' });
    expect(positions).toEqual([{ visible: true, x: -3, y: 40 }]);
    expect(shapes).toHaveLength(1);
    expect(shapes[0]).toMatchObject({ flags: 1, width: 1, height: 1, hotX: 0, hotY: 0 });
    expect([...shapes[0]!.data]).toEqual([1, 2, 3, 4]);
  });

  it('survives a throwing consumer callback', async () => {
    const { device, guest, records } = setup({
      onDirt: () => {
        throw new Error('consumer bug');
      },
    });
    await guest.negotiate();
    guest.send({ type: 'dirt', videoOutput: 0, rects: [{ left: 0, top: 0, right: 1, bottom: 1 }] });
    expect(await guest.request({ type: 'biosInfoRequest' })).toMatchObject({ type: 'biosInfoResponse' });
    expect(device.state).toBe('active');
    expect(records.some((r) => r.level === 'error')).toBe(true);
  });

  it('closes cleanly when the guest closes its port, and close() is idempotent', async () => {
    const { device, guest, closed } = setup();
    await guest.negotiate();
    guest.port.close();
    expect(await closed).toBeUndefined();
    expect(device.state).toBe('closed');
    expect(device.error).toBeUndefined();
    device.close();
    expect(device.state).toBe('closed');
  });
});
