/**
 * The extensions a client switches on with SetEncodings, over real loopback TCP: fences
 * (announcement, answers, unknown flags, oversized payloads, stray answers), continuous updates
 * with fence-paced flow control (a client that does not answer gets no more than the window,
 * then one fresh update of everything once it answers), ExtendedMouseButtons (ack, 7-byte
 * pointer events, back and forward reaching the guest), Extended Clipboard (caps on every
 * SetEncodings, Notify answered by Request, UTF-8 Provide typed by Ctrl+Alt+P, bombs and corrupt
 * data) and Cursor With Alpha (chosen over -239, pre-multiplied pixels).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { MouseButton, type KeyboardInput } from '@openvmm-vnc-ts/video-core';
import { VncError, VncErrorCode } from '../src/errors.js';
import { MAX_FENCES_IN_FLIGHT } from '../src/flow-control.js';
import { PASTE_WAIT_MS } from '../src/connection.js';
import { pasteSequence } from '../src/paste.js';
import { MemFramebuffer } from './helpers/mem-fb.js';
import { closeAll, delay, ready } from './helpers/server-fixture.js';
import {
  ENC_CONTINUOUS_UPDATES,
  ENC_CURSOR,
  ENC_CURSOR_WITH_ALPHA,
  ENC_EXT_CLIPBOARD,
  ENC_EXT_DESKTOP_SIZE,
  ENC_EXT_MOUSE_BUTTONS,
  ENC_FENCE,
  ENC_QEMU_EXT_KEY,
  ENC_RAW,
  type RfbTestClient,
  type ServerMessageRead,
} from './helpers/rfb-client.js';

afterEach(closeAll);

const REQUEST = 0x80000000;

function fenceMsg(flags: number, payload: Uint8Array): Uint8Array {
  const b = Buffer.alloc(9 + payload.length);
  b[0] = 248;
  b.writeUInt32BE(flags >>> 0, 4);
  b[8] = payload.length;
  b.set(payload, 9);
  return b;
}

function enableCuMsg(enable: boolean, x: number, y: number, w: number, h: number): Uint8Array {
  const b = Buffer.alloc(10);
  b[0] = 150;
  b[1] = enable ? 1 : 0;
  b.writeUInt16BE(x, 2);
  b.writeUInt16BE(y, 4);
  b.writeUInt16BE(w, 6);
  b.writeUInt16BE(h, 8);
  return b;
}

function extCutTextMsg(flags: number, data: Uint8Array = new Uint8Array(0), length = -(4 + data.length)): Uint8Array {
  const b = Buffer.alloc(12 + data.length);
  b[0] = 6;
  b.writeInt32BE(length, 4);
  b.writeUInt32BE(flags >>> 0, 8);
  b.set(data, 12);
  return b;
}

/** A Provide of `text` in the text format: zlib of (U32 size, UTF-8 bytes with a NUL). */
function provideText(text: string): Uint8Array {
  const bytes = Buffer.from(`${text}\0`, 'utf8');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(bytes.length, 0);
  return extCutTextMsg((1 << 28) | 1, deflateSync(Buffer.concat([size, bytes])));
}

function expectClosedWith(f: { closeErrors: (Error | undefined)[] }, code: string): void {
  expect(f.closeErrors).toHaveLength(1);
  expect(f.closeErrors[0]).toBeInstanceOf(VncError);
  expect((f.closeErrors[0] as VncError).code).toBe(code);
}

async function expectKind<K extends ServerMessageRead['kind']>(c: RfbTestClient, kind: K): Promise<Extract<ServerMessageRead, { kind: K }>> {
  const m = await c.readMessage();
  expect(m.kind).toBe(kind);
  return m as Extract<ServerMessageRead, { kind: K }>;
}

describe('fences', () => {
  it('announces fences once with a request, and answers client requests with known flags only', async () => {
    const { c } = await ready(new MemFramebuffer(8, 8));
    c.setEncodings([ENC_RAW, ENC_FENCE]);
    const hello = await expectKind(c, 'fence');
    expect(hello.flags & REQUEST).not.toBe(0);
    c.write(fenceMsg(hello.flags & 0x7, hello.payload)); // answer it
    c.setEncodings([ENC_RAW, ENC_FENCE]);
    expect(await c.bytesArrivingWithin(100)).toBe(0); // announced once only
    // BlockBefore | BlockAfter | SyncNext | bit 6 (unknown) | Request.
    c.write(fenceMsg(REQUEST | 0x47, Buffer.from('abc')));
    const answer = await expectKind(c, 'fence');
    expect(answer.flags).toBe(0x07);
    expect(Buffer.from(answer.payload).toString()).toBe('abc');
  });

  it('announces fences and continuous updates before any FramebufferUpdate (TigerVNC decides at its first update)', async () => {
    const { c } = await ready(new MemFramebuffer(8, 8));
    c.setEncodings([ENC_RAW, ENC_QEMU_EXT_KEY, ENC_EXT_MOUSE_BUTTONS, ENC_FENCE, ENC_CONTINUOUS_UPDATES]);
    const kinds: string[] = [];
    for (let i = 0; i < 4; i++) kinds.push((await c.readMessage()).kind);
    expect(kinds).toEqual(['fence', 'endOfContinuousUpdates', 'update', 'update']);
  });

  it('ignores a fence whose payload is over 64 bytes, and keeps the stream in sync', async () => {
    const { f, c } = await ready(new MemFramebuffer(8, 8));
    c.setEncodings([ENC_RAW, ENC_FENCE]);
    await expectKind(c, 'fence');
    c.write(fenceMsg(REQUEST, new Uint8Array(65)));
    c.write(fenceMsg(REQUEST, Buffer.from('ok')));
    const answer = await expectKind(c, 'fence');
    expect(Buffer.from(answer.payload).toString()).toBe('ok');
    expect(f.closeErrors).toEqual([]);
  });

  it('closes on an answer to a fence it never sent, and treats 248 as unknown before -312', async () => {
    const one = await ready(new MemFramebuffer(8, 8));
    one.c.setEncodings([ENC_RAW, ENC_FENCE]);
    await expectKind(one.c, 'fence');
    one.c.write(fenceMsg(0, Buffer.from([9, 9, 9, 9])));
    await one.c.waitClose();
    expectClosedWith(one.f, VncErrorCode.UNEXPECTED_FENCE);
    await closeAll();
    const two = await ready(new MemFramebuffer(8, 8));
    two.c.write(fenceMsg(REQUEST, new Uint8Array(0)));
    await two.c.waitClose();
    expectClosedWith(two.f, VncErrorCode.UNKNOWN_MESSAGE);
  });
});

describe('continuous updates', () => {
  /** A client through SetEncodings with fences and continuous updates, the hello fence answered. */
  async function cuClient(fb: MemFramebuffer): Promise<Awaited<ReturnType<typeof ready>>> {
    const r = await ready(fb);
    r.c.setEncodings([ENC_RAW, ENC_FENCE, ENC_CONTINUOUS_UPDATES]);
    const hello = await expectKind(r.c, 'fence');
    await expectKind(r.c, 'endOfContinuousUpdates');
    r.c.write(fenceMsg(0, hello.payload));
    return r;
  }

  it('pushes updates without requests, each followed by a fence; stops at the window; then sends one fresh update', async () => {
    const fb = new MemFramebuffer(32, 32);
    const { c, conn } = await cuClient(fb);
    c.write(enableCuMsg(true, 0, 0, 32, 32));
    const fences: Uint8Array[] = [];
    for (let i = 0; i < MAX_FENCES_IN_FLIGHT; i++) {
      fb.setPixel(i, 0, 0x111111 * (i + 1));
      conn.markDirty(i, 0, i + 1, 1);
      const u = await expectKind(c, 'update');
      expect(u.rects.length).toBeGreaterThan(0);
      const fence = await expectKind(c, 'fence');
      expect(fence.flags & REQUEST).not.toBe(0);
      fences.push(fence.payload);
    }
    // The window is full: more changes are held, not queued.
    for (let i = 0; i < 20; i++) {
      fb.setPixel(5, 5, 0x010101 * i);
      conn.markDirty(5, 5, 6, 6);
      await delay(5);
    }
    expect(await c.bytesArrivingWithin(150)).toBe(0);
    const flow = (conn.inspect()['extensions'] as { continuousUpdates: Record<string, unknown> }).continuousUpdates;
    expect(flow['fencesInFlight']).toBe(MAX_FENCES_IN_FLIGHT);
    // Answering the oldest fence reopens the window: one update with the latest pixel.
    c.write(fenceMsg(0, fences[0]!));
    const u = await expectKind(c, 'update');
    const rect = u.rects.find((r) => r.x <= 5 && r.y <= 5 && r.x + r.w > 5 && r.y + r.h > 5)!;
    expect(rect).toBeDefined();
    const off = ((5 - rect.y) * rect.w + (5 - rect.x)) * 4;
    expect(Buffer.from(rect.data).readUInt32LE(off) & 0xffffff).toBe(0x010101 * 19);
    await expectKind(c, 'fence');
    expect(await c.bytesArrivingWithin(100)).toBe(0); // one update for twenty changes
  });

  it('ignores incremental requests while on, answers non-incremental ones even with the window full, and ends with EndOfContinuousUpdates', async () => {
    const fb = new MemFramebuffer(16, 16);
    const { c, conn } = await cuClient(fb);
    c.write(enableCuMsg(true, 0, 0, 16, 16));
    for (let i = 0; i < MAX_FENCES_IN_FLIGHT; i++) {
      conn.markDirty(0, 0, 1, 1);
      await expectKind(c, 'update');
      await expectKind(c, 'fence');
    }
    conn.markDirty(0, 0, 1, 1);
    c.requestUpdate(true, 0, 0, 16, 16);
    expect(await c.bytesArrivingWithin(150)).toBe(0);
    c.requestUpdate(false, 0, 0, 16, 16);
    const full = await expectKind(c, 'update');
    expect(full.rects.map((r) => [r.x, r.y, r.w, r.h])).toEqual([[0, 0, 16, 16]]);
    await expectKind(c, 'fence');
    c.write(enableCuMsg(false, 0, 0, 16, 16));
    await expectKind(c, 'endOfContinuousUpdates');
    conn.markDirty(0, 0, 1, 1);
    expect(await c.bytesArrivingWithin(150)).toBe(0); // back to request-driven
    c.requestUpdate(true, 0, 0, 16, 16);
    await expectKind(c, 'update');
  });

  it('treats 150 as unknown before -313', async () => {
    const { f, c } = await ready(new MemFramebuffer(8, 8));
    c.write(enableCuMsg(true, 0, 0, 8, 8));
    await c.waitClose();
    expectClosedWith(f, VncErrorCode.UNKNOWN_MESSAGE);
  });
});

describe('ExtendedMouseButtons', () => {
  it('acknowledges -316 once, then reads 7-byte pointer events with back and forward', async () => {
    const { f, c } = await ready(new MemFramebuffer(100, 100));
    c.setEncodings([ENC_RAW, ENC_EXT_MOUSE_BUTTONS]);
    const ack = await expectKind(c, 'update');
    expect(ack.rects.map((r) => r.encoding)).toEqual([ENC_EXT_MOUSE_BUTTONS]);
    // Extended form: bit 7 marks it, extra byte bit 0 = back, bit 1 = forward; then a plain event.
    c.write(Buffer.from([5, 0x80 | 0x01, 0, 10, 0, 20, 0x01]));
    c.write(Buffer.from([5, 0x80, 0, 10, 0, 20, 0x02]));
    c.write(Buffer.from([5, 0x04, 0, 10, 0, 20]));
    const events = await f.sink.waitFor(3);
    expect(events.map((e) => (e.kind === 'mouse' ? e.buttons : -1))).toEqual([MouseButton.LEFT | MouseButton.BACK, MouseButton.FORWARD, MouseButton.RIGHT]);
    c.setEncodings([ENC_RAW, ENC_EXT_MOUSE_BUTTONS]);
    expect(await c.bytesArrivingWithin(100)).toBe(0);
  });

  it('without -316 a pointer event is always 6 bytes', async () => {
    const { f, c } = await ready(new MemFramebuffer(100, 100));
    c.write(Buffer.from([5, 0x80, 0, 10, 0, 20, 5, 0x01, 0, 1, 0, 2]));
    const events = await f.sink.waitFor(2);
    expect(events.map((e) => (e.kind === 'mouse' ? e.buttons : -1))).toEqual([MouseButton.BACK, MouseButton.LEFT]);
  });
});

describe('Extended Clipboard', () => {
  const paste = (c: RfbTestClient): void => {
    c.key(true, 0xffe3);
    c.key(true, 0xffe9);
    c.key(true, 0x70);
  };
  const CTRL_ALT_PREFIX = 6; // Control_L, Alt_L presses and the four modifier releases

  it('sends caps on every SetEncodings, requests on Notify, and types a UTF-8 Provide on Ctrl+Alt+P', async () => {
    const { f, c, conn } = await ready(new MemFramebuffer(8, 8));
    c.setEncodings([ENC_RAW, ENC_EXT_CLIPBOARD]);
    const caps = await expectKind(c, 'cutText');
    expect(caps.length).toBe(-8);
    const flags = Buffer.from(caps.data).readUInt32BE(0);
    expect(flags & 0xffff).toBe(1); // text only
    expect(flags & (1 << 24)).not.toBe(0); // caps
    expect(flags & (1 << 27)).not.toBe(0); // notify accepted
    expect(flags & (1 << 28)).not.toBe(0); // provide accepted
    expect(Buffer.from(caps.data).readUInt32BE(4)).toBe(1024 * 1024);
    c.setEncodings([ENC_RAW, ENC_EXT_CLIPBOARD]);
    expect((await expectKind(c, 'cutText')).length).toBe(-8);
    // The client's caps, then Notify: we ask for the text.
    c.write(extCutTextMsg((1 << 24) | (0x1f << 24) | 1, Buffer.alloc(4)));
    c.write(extCutTextMsg((1 << 27) | 1));
    const request = await expectKind(c, 'cutText');
    expect(Buffer.from(request.data).readUInt32BE(0)).toBe((1 << 25) | 1);
    const text = 'Grüße, €5 中\r\nok';
    c.write(provideText(text));
    await delay(50);
    expect(conn.inspect()['clipboards']).toBe(1);
    paste(c);
    const expected = pasteSequence('Grüße, €5 中\nok');
    expect(expected.skipped).toBe(1); // the CJK character has no key and no Alt code
    await f.sink.waitFor(CTRL_ALT_PREFIX + expected.events.length);
    await delay(30);
    expect(f.sink.events.slice(CTRL_ALT_PREFIX)).toEqual(expected.events as KeyboardInput[]);
  });

  it('a Ctrl+Alt+P that arrives between Notify and Provide waits for the new text (and gives up after a while)', async () => {
    const { f, c } = await ready(new MemFramebuffer(8, 8));
    c.setEncodings([ENC_RAW, ENC_EXT_CLIPBOARD]);
    await expectKind(c, 'cutText');
    c.write(provideText('old'));
    c.write(extCutTextMsg((1 << 27) | 1)); // Notify: the client's clipboard changed
    paste(c); // the browser's paste button sends the keys right away
    await expectKind(c, 'cutText'); // our Request
    await delay(100);
    expect(f.sink.events).toHaveLength(CTRL_ALT_PREFIX); // nothing typed yet
    c.write(provideText('new'));
    const expected = pasteSequence('new');
    await f.sink.waitFor(CTRL_ALT_PREFIX + expected.events.length);
    await delay(30);
    expect(f.sink.events.slice(CTRL_ALT_PREFIX)).toEqual(expected.events);
    // A client that never provides: the paste types what we have after PASTE_WAIT_MS.
    c.key(false, 0x70);
    c.key(false, 0xffe9);
    c.key(false, 0xffe3);
    await f.sink.waitFor(CTRL_ALT_PREFIX + expected.events.length + 2);
    const before = f.sink.events.length;
    c.write(extCutTextMsg((1 << 27) | 1));
    await expectKind(c, 'cutText');
    paste(c);
    await f.sink.waitFor(before + CTRL_ALT_PREFIX + expected.events.length, PASTE_WAIT_MS + 2000);
    expect(f.sink.events.slice(before + CTRL_ALT_PREFIX)).toEqual(expected.events);
  });

  it('drops a decompression bomb and an over-cap payload with a log line, keeping the connection and the old text', async () => {
    const { f, c, conn } = await ready(new MemFramebuffer(8, 8));
    c.setEncodings([ENC_RAW, ENC_EXT_CLIPBOARD]);
    await expectKind(c, 'cutText');
    c.write(provideText('keep'));
    // 16 MiB of zeros deflate to ~16 KiB.
    const size = Buffer.alloc(4);
    size.writeUInt32BE(16 << 20, 0);
    c.write(extCutTextMsg((1 << 28) | 1, deflateSync(Buffer.concat([size, Buffer.alloc(16 << 20)]))));
    // 2 MiB of compressed payload declared: over the parser's cap, drained.
    c.write(extCutTextMsg((1 << 28) | 1, new Uint8Array(2 << 20)));
    await delay(200);
    expect(f.closeErrors).toEqual([]);
    expect(conn.inspect()['clipboards']).toBe(1);
    paste(c);
    const expected = pasteSequence('keep');
    await f.sink.waitFor(CTRL_ALT_PREFIX + expected.events.length);
    await delay(30);
    expect(f.sink.events.slice(CTRL_ALT_PREFIX)).toEqual(expected.events);
  });

  it('closes on corrupt zlib data and on a message too short for its flags', async () => {
    const one = await ready(new MemFramebuffer(8, 8));
    one.c.setEncodings([ENC_RAW, ENC_EXT_CLIPBOARD]);
    await expectKind(one.c, 'cutText');
    one.c.write(extCutTextMsg((1 << 28) | 1, Buffer.from('definitely not zlib')));
    await one.c.waitClose();
    expectClosedWith(one.f, VncErrorCode.INVALID_CLIPBOARD);
    await closeAll();
    const two = await ready(new MemFramebuffer(8, 8));
    two.c.setEncodings([ENC_RAW, ENC_EXT_CLIPBOARD]);
    await expectKind(two.c, 'cutText');
    two.c.write(extCutTextMsg(0, new Uint8Array(0), -2).subarray(0, 10));
    await two.c.waitClose();
    expectClosedWith(two.f, VncErrorCode.INVALID_CLIPBOARD);
  });

  it('without the pseudo-encoding a negative length is a huge plain length (drained, as before)', async () => {
    const { f, c } = await ready(new MemFramebuffer(8, 8));
    c.write(extCutTextMsg((1 << 27) | 1));
    expect(await c.bytesArrivingWithin(100)).toBe(0);
    expect(f.closeErrors).toEqual([]);
  });
});

describe('Cursor With Alpha', () => {
  it('is chosen over -239 when listed, with pre-multiplied B, G, R, A pixels', async () => {
    const { c, conn } = await ready(new MemFramebuffer(8, 8));
    conn.setCursor({ width: 2, height: 1, hotX: 1, hotY: 0, pixels: new Uint32Array([0x80ff4020, 0xff00ff00]) });
    c.setEncodings([ENC_RAW, ENC_CURSOR, ENC_CURSOR_WITH_ALPHA]);
    c.requestUpdate(true, 0, 0, 8, 8);
    const u = await expectKind(c, 'update');
    const cur = u.rects.find((r) => r.encoding === ENC_CURSOR_WITH_ALPHA)!;
    expect([cur.x, cur.y, cur.w, cur.h]).toEqual([1, 0, 2, 1]);
    expect([...cur.data]).toEqual([0x10, 0x20, 0x80, 0x80, 0, 0xff, 0, 0xff]);
    expect(u.rects.some((r) => r.encoding === ENC_CURSOR)).toBe(false);
    // Dropping -314 from the list falls back to the 1-bit cursor, sent again.
    c.setEncodings([ENC_RAW, ENC_CURSOR]);
    c.requestUpdate(true, 0, 0, 8, 8);
    const again = await expectKind(c, 'update');
    expect(again.rects.map((r) => r.encoding)).toContain(ENC_CURSOR);
  });
});

describe('ExtendedDesktopSize layout announcements', () => {
  it('sends the layout (reason server, status OK) once -308 appears and with every non-incremental request, never with incremental ones', async () => {
    const fb = new MemFramebuffer(40, 30);
    const { c, conn } = await ready(fb);
    const layouts = (rects: { encoding: number }[]): number => rects.filter((r) => r.encoding === ENC_EXT_DESKTOP_SIZE).length;
    c.setEncodings([ENC_RAW, ENC_EXT_DESKTOP_SIZE]);
    c.requestUpdate(false, 0, 0, 40, 30);
    const first = await expectKind(c, 'update');
    expect(layouts(first.rects)).toBe(1);
    const rect = first.rects.find((r) => r.encoding === ENC_EXT_DESKTOP_SIZE)!;
    expect([rect.x, rect.y, rect.w, rect.h]).toEqual([0, 0, 40, 30]); // x = reason 0 (server), y = status 0
    expect(rect.screens).toHaveLength(1);
    expect(first.rects.some((r) => r.encoding === ENC_RAW)).toBe(true);
    conn.markDirty(0, 0, 1, 1);
    c.requestUpdate(true, 0, 0, 40, 30);
    expect(layouts((await expectKind(c, 'update')).rects)).toBe(0);
    c.requestUpdate(false, 0, 0, 10, 10);
    expect(layouts((await expectKind(c, 'update')).rects)).toBe(1);
  });

  it('a client without -308 never gets one', async () => {
    const { c } = await ready(new MemFramebuffer(40, 30));
    c.setEncodings([ENC_RAW]);
    c.requestUpdate(false, 0, 0, 40, 30);
    const u = await expectKind(c, 'update');
    expect(u.rects.map((r) => r.encoding)).toEqual([ENC_RAW]);
  });
});
