/**
 * End-to-end tests of VncConnection over real loopback TCP, mirroring OpenVMM's server.rs e2e
 * tests: the 3.3/3.7/3.8 handshakes, ServerInit, raw updates, dirty tracking, pixel formats,
 * security failures, keyboard/QEMU/pointer input, the SetEncodings drain, DesktopSize resizes,
 * byte-at-a-time clients and the handshake timeout.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { VncError, VncErrorCode } from '../src/errors.js';
import { PixelConverter } from '../src/pixel-convert.js';
import type { PixelFormat } from '../src/pixel-format.js';
import { MemFramebuffer } from './helpers/mem-fb.js';
import { type Fixture, closeAll, connect, delay, ready, startServer } from './helpers/server-fixture.js';
import { ENC_DESKTOP_SIZE, ENC_QEMU_EXT_KEY, ENC_RAW } from './helpers/rfb-client.js';
import { concat, hex, setEncodingsMsg, pointerEventMsg, setPixelFormatMsg } from './helpers/rfb-messages.js';
import { Prng } from './helpers/prng.js';


afterEach(closeAll);

function pattern(x: number, y: number): number {
  return ((x * 37 + y * 11) & 0xff) | (((x ^ y) & 0xff) << 8) | (((x + y * 3) & 0xff) << 16);
}

function expectVncClose(f: Fixture, code: string): void {
  expect(f.closeErrors).toHaveLength(1);
  const err = f.closeErrors[0];
  expect(err).toBeInstanceOf(VncError);
  expect((err as VncError).code).toBe(code);
}

const NATIVE_PF_HEX = '20180001' + '00ff00ff00ff' + '100800' + '000000';

const RGB565: PixelFormat = {
  bitsPerPixel: 16,
  depth: 16,
  bigEndian: false,
  trueColour: true,
  redMax: 31,
  greenMax: 63,
  blueMax: 31,
  redShift: 11,
  greenShift: 5,
  blueShift: 0,
};

describe('VncConnection handshake', () => {
  it('3.3: the server announces 3.8, picks security None as u32 1 and sends no SecurityResult', async () => {
    const f = await startServer(new MemFramebuffer(2, 1), { name: 'test framebuffer' });
    const c = await connect(f);
    expect(Buffer.from(await c.readExactly(12)).toString('latin1')).toBe('RFB 003.008\n');
    c.write(Buffer.from('RFB 003.003\n', 'latin1'));
    expect(hex(await c.readExactly(4))).toBe('00000001');
    expect(await c.bytesArrivingWithin(50)).toBe(0);
    c.write(new Uint8Array([1]));
    const init = await c.readExactly(24 + 16);
    expect(hex(init)).toBe('0002' + '0001' + NATIVE_PF_HEX + '00000010' + Buffer.from('test framebuffer').toString('hex'));
    expect(await c.bytesArrivingWithin(30)).toBe(0);
  });

  it('3.7: the server offers [None] and sends no SecurityResult', async () => {
    const f = await startServer(new MemFramebuffer(2, 1), { name: 'test framebuffer' });
    const c = await connect(f);
    await c.readExactly(12);
    c.write(Buffer.from('RFB 003.007\n', 'latin1'));
    expect(hex(await c.readExactly(2))).toBe('0101');
    c.write(new Uint8Array([1]));
    expect(await c.bytesArrivingWithin(50)).toBe(0);
    c.write(new Uint8Array([0]));
    const init = await c.readServerInit();
    expect(init).toMatchObject({ width: 2, height: 1, name: 'test framebuffer' });
  });

  it('3.8: the server offers [None] and sends SecurityResult 0', async () => {
    const f = await startServer(new MemFramebuffer(2, 1), { name: 'test framebuffer' });
    const c = await connect(f);
    const r = await c.handshake('3.8');
    expect(r.serverVersion).toBe('RFB 003.008\n');
    expect(r.securityTypes).toEqual([1]);
    expect(r.securityResult).toBe(0);
    expect(r.init.width).toBe(2);
    expect(r.init.height).toBe(1);
  });

  it.each([['3.3'], ['3.7'], ['3.8']] as const)('ServerInit for %s carries the size, 32 bpp depth 24 LE, shifts 16/8/0 and the name', async (v) => {
    const f = await startServer(new MemFramebuffer(640, 480), { name: 'test framebuffer' });
    const c = await connect(f);
    const { init } = await c.handshake(v);
    expect(init.width).toBe(640);
    expect(init.height).toBe(480);
    expect(hex(init.pixelFormatBytes)).toBe(NATIVE_PF_HEX);
    expect(init.pixelFormat).toEqual({
      bitsPerPixel: 32,
      depth: 24,
      bigEndian: false,
      trueColour: true,
      redMax: 255,
      greenMax: 255,
      blueMax: 255,
      redShift: 16,
      greenShift: 8,
      blueShift: 0,
    });
    expect(init.name).toBe('test framebuffer');
    expect(f.conns[0]!.state).toBe('normal');
  });

  it('uses "OpenVMM VM" as the default desktop name', async () => {
    const f2 = await startServer(new MemFramebuffer(3, 3));
    const c2 = await connect(f2);
    expect((await c2.handshake('3.7')).init.name).toBe('OpenVMM VM');
  });

  it('emits ready with the shared flag', async () => {
    const f = await startServer(new MemFramebuffer(2, 1));
    const shared: boolean[] = [];
    const c = await connect(f);
    await c.readExactly(12);
    f.conns[0]!.on('ready', (s) => shared.push(s));
    c.write(Buffer.from('RFB 003.003\n', 'latin1'));
    await c.readExactly(4);
    c.write(new Uint8Array([0]));
    await c.readServerInit();
    expect(shared).toEqual([false]);
  });

  it('works when the client sends the handshake one byte per write', async () => {
    const fb = new MemFramebuffer(20, 10, pattern);
    const f = await startServer(fb, { name: 'slow' });
    const c = await connect(f);
    expect(Buffer.from(await c.readExactly(12)).toString('latin1')).toBe('RFB 003.008\n');
    await c.writeSlowly(Buffer.from('RFB 003.008\n', 'latin1'));
    expect(hex(await c.readExactly(2))).toBe('0101');
    await c.writeSlowly(new Uint8Array([1]));
    expect(await c.readU32()).toBe(0);
    await c.writeSlowly(new Uint8Array([1]));
    const init = await c.readServerInit();
    expect(init).toMatchObject({ width: 20, height: 10, name: 'slow' });
    // A normal-phase message in single bytes too.
    await c.writeSlowly(concat(setEncodingsMsg([0]), new Uint8Array([3, 0, 0, 0, 0, 0, 0, 20, 0, 10])));
    const rects = await c.readUpdate();
    expect(rects).toHaveLength(1);
    expect(Buffer.from(rects[0]!.data).equals(Buffer.from(fb.data))).toBe(true);
  });

  it('closes an unsupported version without replying', async () => {
    const f = await startServer(new MemFramebuffer(2, 1));
    const c = await connect(f);
    await c.readExactly(12);
    c.write(Buffer.from('RFB 003.005\n', 'latin1'));
    await c.waitClose();
    expect(c.pending).toBe(0);
    expectVncClose(f, VncErrorCode.UNSUPPORTED_VERSION);
  });

  it('3.8 with a wrong security type gets SecurityResult 1 with a reason string, then close', async () => {
    const f = await startServer(new MemFramebuffer(2, 1));
    const c = await connect(f);
    await c.readExactly(12);
    c.write(Buffer.from('RFB 003.008\n', 'latin1'));
    expect(hex(await c.readExactly(2))).toBe('0101');
    c.write(new Uint8Array([2]));
    expect(await c.readU32()).toBe(1);
    const len = await c.readU32();
    expect(len).toBeGreaterThan(0);
    const reason = Buffer.from(await c.readExactly(len)).toString('utf8');
    expect(reason).toContain('2');
    await c.waitClose();
    expectVncClose(f, VncErrorCode.UNSUPPORTED_SECURITY_TYPE);
  });

  it('3.7 with a wrong security type is closed without a SecurityResult', async () => {
    const f = await startServer(new MemFramebuffer(2, 1));
    const c = await connect(f);
    await c.readExactly(12);
    c.write(Buffer.from('RFB 003.007\n', 'latin1'));
    await c.readExactly(2);
    c.write(new Uint8Array([2]));
    await c.waitClose();
    expect(c.pending).toBe(0);
    expectVncClose(f, VncErrorCode.UNSUPPORTED_SECURITY_TYPE);
  });

  it('the handshake timeout closes an idle socket', async () => {
    const f = await startServer(new MemFramebuffer(2, 1), { handshakeTimeoutMs: 200 });
    const c = await connect(f);
    await c.readExactly(12);
    const t0 = Date.now();
    await c.waitClose(3000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    expectVncClose(f, VncErrorCode.HANDSHAKE_TIMEOUT);
    expect(f.conns[0]!.state).toBe('closed');
  });

  it('the handshake timeout does not fire once the handshake is complete', async () => {
    const { f, c } = await ready(new MemFramebuffer(2, 1), { handshakeTimeoutMs: 150 });
    await delay(300);
    expect(c.isEnded).toBe(false);
    expect(f.closeErrors).toEqual([]);
    c.requestUpdate(false, 0, 0, 2, 1);
    expect(await c.readUpdate()).toHaveLength(1);
  });
});

describe('VncConnection updates', () => {
  it('the first non-incremental request returns the full frame as one raw rect equal to the framebuffer', async () => {
    const fb = new MemFramebuffer(2, 1);
    fb.setPixel(0, 0, 0x112233);
    fb.setPixel(1, 0, 0xaabbcc);
    const { c } = await ready(fb);
    c.requestUpdate(false, 0, 0, 2, 1);
    const rects = await c.readUpdate();
    expect(rects).toEqual([{ x: 0, y: 0, w: 2, h: 1, encoding: ENC_RAW, data: expect.any(Uint8Array) }]);
    expect(hex(rects[0]!.data)).toBe('33221100' + 'ccbbaa00');
  });

  it('a multi-tile frame arrives whole on the first request', async () => {
    const fb = new MemFramebuffer(70, 37, pattern);
    const { c } = await ready(fb);
    c.requestUpdate(false, 0, 0, 70, 37);
    const rects = await c.readUpdate();
    expect(rects.map(({ x, y, w, h, encoding }) => ({ x, y, w, h, encoding }))).toEqual([{ x: 0, y: 0, w: 70, h: 37, encoding: ENC_RAW }]);
    expect(Buffer.from(rects[0]!.data).equals(Buffer.from(fb.data))).toBe(true);
  });

  it('an incremental request with nothing dirty gets no reply until markDirty, then gets the dirty pixels', async () => {
    const fb = new MemFramebuffer(64, 48, pattern);
    const { c, conn } = await ready(fb);
    c.requestUpdate(false, 0, 0, 64, 48);
    await c.readUpdate();
    c.requestUpdate(true, 0, 0, 64, 48);
    expect(await c.bytesArrivingWithin(100)).toBe(0);
    fb.setPixel(20, 5, 0xff00ff);
    conn.markDirty(20, 5, 21, 6);
    const rects = await c.readUpdate();
    expect(rects).toHaveLength(1);
    expect(rects[0]).toMatchObject({ x: 20, y: 5, w: 1, h: 1, encoding: ENC_RAW });
    expect(Buffer.from(rects[0]!.data).equals(Buffer.from(fb.rectBytes(20, 5, 1, 1)))).toBe(true);
    // The request was consumed: more dirt waits for the next request.
    conn.markDirty(0, 0, 1, 1);
    expect(await c.bytesArrivingWithin(80)).toBe(0);
    c.requestUpdate(true, 0, 0, 64, 48);
    const next = await c.readUpdate();
    expect(next.map((r) => [r.x, r.y, r.w, r.h])).toEqual([[0, 0, 1, 1]]);
  });

  it('dirt accumulated without a request is sent in one update when a request comes', async () => {
    const fb = new MemFramebuffer(64, 48, pattern);
    const { c, conn } = await ready(fb);
    c.requestUpdate(false, 0, 0, 64, 48);
    await c.readUpdate();
    conn.markDirty(0, 0, 10, 10);
    conn.markDirty(40, 40, 64, 48);
    conn.markDirty(-100, -100, -1, -1); // nothing
    await delay(30);
    expect(c.pending).toBe(0);
    c.requestUpdate(true, 0, 0, 64, 48);
    const rects = await c.readUpdate();
    expect(rects.map((r) => [r.x, r.y, r.w, r.h])).toEqual([
      [0, 0, 10, 10],
      [40, 40, 24, 8],
    ]);
    expect(Buffer.from(rects[1]!.data).equals(Buffer.from(fb.rectBytes(40, 40, 24, 8)))).toBe(true);
  });

  it('a non-incremental request for a region resends that region', async () => {
    const fb = new MemFramebuffer(64, 48, pattern);
    const { c } = await ready(fb);
    c.requestUpdate(false, 0, 0, 64, 48);
    await c.readUpdate();
    c.requestUpdate(false, 17, 33, 2, 2);
    const rects = await c.readUpdate();
    expect(rects.map((r) => [r.x, r.y, r.w, r.h])).toEqual([[17, 33, 2, 2]]);
  });

  it('SetPixelFormat RGB565 gives 2-byte pixels equal to the conversion', async () => {
    const rng = new Prng(5);
    const fb = new MemFramebuffer(33, 17, () => rng.int(0, 0xffffff));
    const { c } = await ready(fb);
    c.setPixelFormat(RGB565);
    c.requestUpdate(false, 0, 0, 33, 17);
    const rects = await c.readUpdate();
    expect(rects).toHaveLength(1);
    expect(rects[0]!.data.length).toBe(33 * 17 * 2);
    const expected = new Uint8Array(33 * 17 * 2);
    new PixelConverter(RGB565).convert(fb.data, 0, 33 * 17, expected, 0);
    expect(hex(rects[0]!.data)).toBe(hex(expected));
    // And independently for one pixel.
    const p = fb.pixel(0, 0);
    const v = (((p >>> 16) & 0xff) >> 3) * 2048 + (((p >>> 8) & 0xff) >> 2) * 32 + ((p & 0xff) >> 3);
    expect(rects[0]!.data[0]! | (rects[0]!.data[1]! << 8)).toBe(v);
  });

  it('SetPixelFormat after the first update makes the next update a full frame in the new format', async () => {
    const fb = new MemFramebuffer(20, 20, pattern);
    const { c } = await ready(fb);
    c.requestUpdate(false, 0, 0, 20, 20);
    await c.readUpdate();
    c.setPixelFormat({ ...RGB565, bitsPerPixel: 8, depth: 8, redMax: 7, greenMax: 7, blueMax: 3, redShift: 5, greenShift: 2, blueShift: 0 });
    c.requestUpdate(true, 0, 0, 20, 20);
    const rects = await c.readUpdate();
    expect(rects.map((r) => [r.x, r.y, r.w, r.h])).toEqual([[0, 0, 20, 20]]);
    expect(rects[0]!.data.length).toBe(400);
  });

  it('an invalid pixel format (bpp 24) closes the socket', async () => {
    const { f, c } = await ready(new MemFramebuffer(8, 8));
    c.write(setPixelFormatMsg({ ...RGB565, bitsPerPixel: 24 }));
    await c.waitClose();
    expectVncClose(f, VncErrorCode.UNSUPPORTED_PIXEL_FORMAT);
    expect(f.closeErrors[0]!.message).toContain('24');
  });

  it('an unknown message type closes the socket', async () => {
    const { f, c } = await ready(new MemFramebuffer(8, 8));
    c.write(new Uint8Array([7, 0, 0, 0]));
    await c.waitClose();
    expectVncClose(f, VncErrorCode.UNKNOWN_MESSAGE);
  });

  it('markDirty after the connection closed is ignored', async () => {
    const { c, conn } = await ready(new MemFramebuffer(8, 8));
    c.destroy();
    await delay(50);
    expect(conn.state).toBe('closed');
    expect(() => conn.markDirty(0, 0, 8, 8)).not.toThrow();
    expect(() => conn.markAllDirty()).not.toThrow();
  });

  it('a client that disconnects ends the connection without an error', async () => {
    const { f, c } = await ready(new MemFramebuffer(8, 8));
    c.destroy();
    await delay(50);
    expect(f.closeErrors).toEqual([undefined]);
  });
});

describe('VncConnection pacing and state', () => {
  it('the whole handshake, SetEncodings and a request in one write are all handled', async () => {
    const fb = new MemFramebuffer(5, 5, pattern);
    const f = await startServer(fb);
    const c = await connect(f);
    await c.readExactly(12);
    c.write(concat(Buffer.from('RFB 003.008\n', 'latin1'), new Uint8Array([1, 1]), setEncodingsMsg([0]), new Uint8Array([3, 0, 0, 0, 0, 0, 0, 5, 0, 5])));
    expect(hex(await c.readExactly(2))).toBe('0101');
    expect(await c.readU32()).toBe(0);
    await c.readServerInit();
    const rects = await c.readUpdate();
    expect(Buffer.from(rects[0]!.data).equals(Buffer.from(fb.data))).toBe(true);
  });

  it('an incremental first request also gets the whole frame', async () => {
    const fb = new MemFramebuffer(20, 20, pattern);
    const { c } = await ready(fb);
    c.requestUpdate(true, 0, 0, 20, 20);
    const rects = await c.readUpdate();
    expect(rects.map((r) => [r.x, r.y, r.w, r.h])).toEqual([[0, 0, 20, 20]]);
  });

  // Regression: SetPixelFormat once marked everything dirty without scheduling a flush, so a
  // request already outstanding went unanswered on a static screen.
  it('SetPixelFormat while an incremental request is pending sends the full frame in the new format', async () => {
    const fb = new MemFramebuffer(20, 20, pattern);
    const { c } = await ready(fb);
    c.requestUpdate(false, 0, 0, 20, 20);
    await c.readUpdate();
    c.requestUpdate(true, 0, 0, 20, 20);
    expect(await c.bytesArrivingWithin(60)).toBe(0);
    c.setPixelFormat(RGB565);
    const rects = await c.readUpdate(500);
    expect(rects.map((r) => [r.x, r.y, r.w, r.h])).toEqual([[0, 0, 20, 20]]);
    expect(rects[0]!.data.length).toBe(20 * 20 * 2);
  });

  it('a client that does not read delays only its own updates and loses nothing', async () => {
    const fb = new MemFramebuffer(2048, 2048, pattern);
    const { c, conn } = await ready(fb, { maxQueuedBytes: 64 * 1024 });
    c.socket.pause();
    c.requestUpdate(false, 0, 0, 2048, 2048);
    await delay(100);
    expect(conn.inspect().updates).toBe(1);
    expect(conn.inspect().queuedBytes as number).toBeGreaterThan(64 * 1024);
    fb.setPixel(100, 100, 0x00ff00);
    conn.markDirty(100, 100, 101, 101);
    c.requestUpdate(true, 0, 0, 2048, 2048);
    await delay(100);
    expect(conn.inspect().updates).toBe(1); // held back while the socket is congested
    c.socket.resume();
    const first = await c.readUpdate(10_000);
    expect(first[0]!.data.length).toBe(2048 * 2048 * 4);
    const second = await c.readUpdate(10_000);
    expect(second.map((r) => [r.x, r.y, r.w, r.h])).toEqual([[100, 100, 1, 1]]);
    expect(Buffer.from(second[0]!.data).equals(Buffer.from(fb.rectBytes(100, 100, 1, 1)))).toBe(true);
  });

  it('inspect reports state, encodings, pixel format and counters', async () => {
    const fb = new MemFramebuffer(32, 32, pattern);
    const { f, c, conn } = await ready(fb);
    c.setEncodings([ENC_RAW, ENC_DESKTOP_SIZE]);
    c.requestUpdate(false, 0, 0, 32, 32);
    await c.readUpdate();
    c.key(true, 0x20);
    c.pointer(0, 1, 1);
    await f.sink.waitFor(2);
    const info = conn.inspect();
    expect(info).toMatchObject({
      state: 'normal',
      version: '3.8',
      pixelFormat: 'native',
      encodings: ['RAW', 'DESKTOP_SIZE'],
      updateRequested: false,
      dirtyTiles: 0,
      updates: 1,
      rects: 1,
      keyEvents: 1,
      pointerEvents: 1,
    });
    expect(info['bytesSent'] as number).toBeGreaterThan(32 * 32 * 4);
    c.setPixelFormat(RGB565);
    c.pointer(0, 2, 2);
    await f.sink.waitFor(3);
    expect(conn.inspect()['pixelFormat']).toMatchObject({ bitsPerPixel: 16, redShift: 11 });
  });
});

describe('VncConnection input', () => {
  it("KeyEvent 'A' is sent to the guest as 2A down, 1E down, 2A up", async () => {
    const { f, c } = await ready(new MemFramebuffer(8, 8));
    c.key(true, 0x41);
    const events = await f.sink.waitFor(3);
    expect(events).toEqual([
      { kind: 'keyboard', code: 0x2a, make: true },
      { kind: 'keyboard', code: 0x1e, make: true },
      { kind: 'keyboard', code: 0x2a, make: false },
    ]);
    c.key(false, 0x41);
    expect((await f.sink.waitFor(4))[3]).toEqual({ kind: 'keyboard', code: 0x1e, make: false });
  });

  it('an unmapped keysym is dropped without closing the connection', async () => {
    const { f, c } = await ready(new MemFramebuffer(8, 8));
    c.key(true, 0xe9);
    c.key(true, 0x61);
    expect(await f.sink.waitFor(1)).toEqual([{ kind: 'keyboard', code: 0x1e, make: true }]);
    expect(c.isEnded).toBe(false);
  });

  it('SetEncodings with -258 is acknowledged at once with a (0,0,0,0,-258) pseudo-rect; QEMU key 0x1E down is forwarded', async () => {
    const { f, c } = await ready(new MemFramebuffer(8, 8));
    c.setEncodings([ENC_RAW, ENC_QEMU_EXT_KEY]);
    const ack = await c.readUpdate();
    expect(ack).toEqual([{ x: 0, y: 0, w: 0, h: 0, encoding: ENC_QEMU_EXT_KEY, data: new Uint8Array(0) }]);
    c.qemuKey(true, 0x61, 0x1e);
    expect(await f.sink.waitFor(1)).toEqual([{ kind: 'keyboard', code: 0x1e, make: true }]);
    c.qemuKey(false, 0xff52, 0xc8);
    expect((await f.sink.waitFor(2))[1]).toEqual({ kind: 'keyboard', code: 0xe048, make: false });
  });

  it('every SetEncodings containing -258 is acknowledged, others are not', async () => {
    const { c } = await ready(new MemFramebuffer(8, 8));
    c.setEncodings([ENC_QEMU_EXT_KEY]);
    expect((await c.readUpdate())[0]!.encoding).toBe(ENC_QEMU_EXT_KEY);
    c.setEncodings([ENC_RAW]);
    expect(await c.bytesArrivingWithin(50)).toBe(0);
    c.setEncodings([ENC_DESKTOP_SIZE, ENC_QEMU_EXT_KEY]);
    expect(await c.readUpdate()).toHaveLength(1);
  });

  it('PointerEvent (31,31) on 32x32 gives mouse x = y = 0x7FFF, buttons in the HID layout, wheel steps', async () => {
    const { f, c } = await ready(new MemFramebuffer(32, 32));
    c.pointer(0x05, 31, 31); // RFB left + right
    c.pointer(0x00, 0, 0);
    c.pointer(0x02, 0, 0); // RFB middle
    c.pointer(0x08, 0, 0); // wheel up
    c.pointer(0x18, 0, 0); // both wheel bits: down wins
    expect(await f.sink.waitFor(5)).toEqual([
      { kind: 'mouse', buttons: 0x01 | 0x02, wheel: 0, x: 0x7fff, y: 0x7fff }, // HID left + right
      { kind: 'mouse', buttons: 0, wheel: 0, x: 0, y: 0 },
      { kind: 'mouse', buttons: 0x04, wheel: 0, x: 0, y: 0 }, // HID middle
      { kind: 'mouse', buttons: 0, wheel: 1, x: 0, y: 0 },
      { kind: 'mouse', buttons: 0, wheel: -1, x: 0, y: 0 },
    ]);
  });

  it('4097 encodings followed by a pointer event at (65535,65535) on 64x32 keeps the stream in sync', async () => {
    const { f, c } = await ready(new MemFramebuffer(64, 32));
    const list = Array.from({ length: 4097 }, (_, i) => (i === 4096 ? ENC_QEMU_EXT_KEY : 1000 + i));
    c.write(concat(setEncodingsMsg(list), pointerEventMsg(3, 65535, 65535)));
    expect(await f.sink.waitFor(1)).toEqual([{ kind: 'mouse', buttons: 0x01 | 0x04, wheel: 0, x: 0x7fff, y: 0x7fff }]); // RFB 3 = left + middle
    // Entry 4097 (-258) was beyond the cap, so no acknowledgement was sent.
    expect(await c.bytesArrivingWithin(50)).toBe(0);
    expect(c.isEnded).toBe(false);
  });

  it('a ClientCutText message is accepted and the stream stays in sync', async () => {
    const { f, c } = await ready(new MemFramebuffer(32, 32));
    c.cutText(new TextEncoder().encode('clipboard text'));
    c.pointer(1, 0, 31);
    expect(await f.sink.waitFor(1)).toEqual([{ kind: 'mouse', buttons: 1, wheel: 0, x: 0, y: 0x7fff }]);
  });
});

describe('VncConnection resize', () => {
  it('4x2 -> 6x3 with DesktopSize: a DesktopSize rect 6x3, then a raw 6x3 update of 72 bytes', async () => {
    const fb = new MemFramebuffer(4, 2, pattern);
    const { c } = await ready(fb);
    c.setEncodings([ENC_RAW, ENC_DESKTOP_SIZE]);
    c.requestUpdate(false, 0, 0, 4, 2);
    const first = await c.readUpdate();
    expect(first[0]!.data.length).toBe(32);
    fb.resize(6, 3, (x, y) => pattern(x + 1, y + 1));
    c.requestUpdate(true, 0, 0, 4, 2);
    const ds = await c.readUpdate();
    expect(ds).toEqual([{ x: 0, y: 0, w: 6, h: 3, encoding: ENC_DESKTOP_SIZE, data: new Uint8Array(0) }]);
    const full = await c.readUpdate();
    expect(full).toHaveLength(1);
    expect(full[0]).toMatchObject({ x: 0, y: 0, w: 6, h: 3, encoding: ENC_RAW });
    expect(full[0]!.data.length).toBe(72);
    expect(Buffer.from(full[0]!.data).equals(Buffer.from(fb.data))).toBe(true);
  });

  it('a resize while dirt is pending in the old size sends the new full frame only', async () => {
    const fb = new MemFramebuffer(40, 40, pattern);
    const { c, conn } = await ready(fb);
    c.setEncodings([ENC_DESKTOP_SIZE, ENC_RAW]);
    c.requestUpdate(false, 0, 0, 40, 40);
    await c.readUpdate();
    conn.markDirty(30, 30, 40, 40);
    fb.resize(20, 10, pattern);
    c.requestUpdate(true, 0, 0, 40, 40);
    expect((await c.readUpdate())[0]).toMatchObject({ w: 20, h: 10, encoding: ENC_DESKTOP_SIZE });
    const full = await c.readUpdate();
    expect(full.map((r) => [r.x, r.y, r.w, r.h])).toEqual([[0, 0, 20, 10]]);
  });

  it('a resize without DesktopSize closes the connection', async () => {
    const fb = new MemFramebuffer(4, 2, pattern);
    const { f, c } = await ready(fb);
    c.setEncodings([ENC_RAW]);
    c.requestUpdate(false, 0, 0, 4, 2);
    await c.readUpdate();
    fb.resize(6, 3);
    c.requestUpdate(true, 0, 0, 4, 2);
    await c.waitClose();
    expect(c.pending).toBe(0);
    expectVncClose(f, VncErrorCode.RESIZE_UNSUPPORTED);
  });

  it('a resize before ClientInit is reported in ServerInit', async () => {
    const fb = new MemFramebuffer(4, 2);
    const f = await startServer(fb);
    const c = await connect(f);
    await c.readExactly(12);
    fb.resize(10, 5, pattern);
    c.write(Buffer.from('RFB 003.003\n', 'latin1'));
    await c.readExactly(4);
    c.write(new Uint8Array([1]));
    const init = await c.readServerInit();
    expect([init.width, init.height]).toEqual([10, 5]);
    c.requestUpdate(false, 0, 0, 10, 5);
    const rects = await c.readUpdate();
    expect(rects.map((r) => [r.x, r.y, r.w, r.h])).toEqual([[0, 0, 10, 5]]);
  });
});
