/**
 * Tests for the incremental client message parser: every message type, identical results for
 * any split of the byte stream, the SetEncodings/ClientCutText caps and drains, and the errors.
 */
import { CHUNK_OVERHEAD } from '../src/receive-buffer.js';
import { describe, it, expect } from 'vitest';
import { ClientParser, MAX_CUT_TEXT, MAX_ENCODINGS, type ClientEvent } from '../src/client-parser.js';
import { VncError, VncErrorCode, type VncErrorCodeValue } from '../src/errors.js';
import { ReceiveBuffer } from '../src/receive-buffer.js';
import { SERVER_PIXEL_FORMAT, type PixelFormat } from '../src/pixel-format.js';
import { Prng } from './helpers/prng.js';
import {
  concat,
  cutTextMsg,
  keyEventMsg,
  pointerEventMsg,
  qemuKeyEventMsg,
  setEncodingsMsg,
  setPixelFormatMsg,
  unhex,
  updateRequestMsg,
} from './helpers/rfb-messages.js';

const RGB565: PixelFormat = {
  bitsPerPixel: 16,
  depth: 16,
  bigEndian: true,
  trueColour: true,
  redMax: 31,
  greenMax: 63,
  blueMax: 31,
  redShift: 11,
  greenShift: 5,
  blueShift: 0,
};

/** Drains every complete event, advancing the handshake phase like the connection does. */
function drainEvents(p: ClientParser, into: ClientEvent[]): void {
  for (let ev = p.next(); ev; ev = p.next()) {
    into.push(ev);
    if (ev.type === 'version') p.phase = ev.version === '3.3' ? 'clientInit' : 'securityType';
    else if (ev.type === 'securityType') p.phase = 'clientInit';
    else if (ev.type === 'clientInit') p.phase = 'normal';
  }
}

/** Feeds `stream` in the given chunk sizes (cycled) and returns all events. */
function parseInChunks(stream: Uint8Array, sizes: (i: number) => number, phase: ClientParser['phase'] = 'normal'): ClientEvent[] {
  const p = new ClientParser();
  p.phase = phase;
  const events: ClientEvent[] = [];
  let off = 0;
  for (let i = 0; off < stream.length; i++) {
    const n = Math.max(1, Math.min(sizes(i), stream.length - off));
    p.push(stream.subarray(off, off + n));
    off += n;
    drainEvents(p, events);
  }
  expect(p.buffered).toBe(0);
  return events;
}

function expectVncError(fn: () => unknown, code: VncErrorCodeValue): VncError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(VncError);
  const err = caught as VncError;
  expect(err.code).toBe(code);
  expect(err.name).toBe('VncError');
  return err;
}

function parserAt(phase: ClientParser['phase'], bytes: Uint8Array): ClientParser {
  const p = new ClientParser();
  p.phase = phase;
  p.push(bytes);
  return p;
}

const cut = new TextEncoder().encode('hello, clipboard');

/** One of every normal-phase message, with the events they must produce. */
const NORMAL: [Uint8Array, ClientEvent][] = [
  [setPixelFormatMsg(RGB565), { type: 'setPixelFormat', format: RGB565 }],
  [setEncodingsMsg([0, 6, -223, -258, -2147483648, 2147483647]), { type: 'setEncodings', encodings: [0, 6, -223, -258, -2147483648, 2147483647], declared: 6 }],
  [setEncodingsMsg([]), { type: 'setEncodings', encodings: [], declared: 0 }],
  [updateRequestMsg(false, 1, 2, 640, 480), { type: 'updateRequest', incremental: false, x: 1, y: 2, w: 640, h: 480 }],
  [updateRequestMsg(true, 0xffff, 0, 0, 0xffff), { type: 'updateRequest', incremental: true, x: 0xffff, y: 0, w: 0, h: 0xffff }],
  [keyEventMsg(true, 0x41), { type: 'key', down: true, keysym: 0x41 }],
  [keyEventMsg(false, 0xffffffff), { type: 'key', down: false, keysym: 0xffffffff }],
  [pointerEventMsg(0x1f, 65535, 1), { type: 'pointer', buttons: 0x1f, x: 65535, y: 1 }],
  [cutTextMsg(cut), { type: 'cutText', text: cut, declared: cut.length }],
  [cutTextMsg(new Uint8Array(0)), { type: 'cutText', text: new Uint8Array(0), declared: 0 }],
  [qemuKeyEventMsg(true, 0x61, 0x1e), { type: 'qemuKey', down: true, keysym: 0x61, keycode: 0x1e }],
  [qemuKeyEventMsg(false, 0, 0xc8), { type: 'qemuKey', down: false, keysym: 0, keycode: 0xc8 }],
];

describe('ClientParser: handshake phase messages', () => {
  it('parses the three supported version strings', () => {
    for (const [text, version] of [
      ['RFB 003.003\n', '3.3'],
      ['RFB 003.007\n', '3.7'],
      ['RFB 003.008\n', '3.8'],
    ] as const) {
      const p = parserAt('version', new TextEncoder().encode(text));
      expect(p.next()).toEqual({ type: 'version', version });
      expect(p.buffered).toBe(0);
    }
  });

  it('waits for all 12 version bytes', () => {
    const p = parserAt('version', new TextEncoder().encode('RFB 003.00'));
    expect(p.next()).toBeUndefined();
    p.push(new TextEncoder().encode('8\n'));
    expect(p.next()).toEqual({ type: 'version', version: '3.8' });
  });

  it.each([['RFB 003.005\n'], ['RFB 004.000\n'], ['RFB 003.889\n'], ['RFB 003.008\r'], ['GET / HTTP/1']])(
    'rejects version %j with VNC_UNSUPPORTED_VERSION',
    (text) => {
      const err = expectVncError(() => parserAt('version', new TextEncoder().encode(text)).next(), VncErrorCode.UNSUPPORTED_VERSION);
      expect(err.message).toContain('unsupported protocol version');
    },
  );

  it('rejects 12 bytes of binary garbage with VNC_UNSUPPORTED_VERSION', () => {
    expectVncError(() => parserAt('version', unhex('00ff10203040506070809aff')).next(), VncErrorCode.UNSUPPORTED_VERSION);
  });

  it('parses the security type byte and the ClientInit shared flag', () => {
    expect(parserAt('securityType', unhex('01')).next()).toEqual({ type: 'securityType', securityType: 1 });
    expect(parserAt('securityType', unhex('02')).next()).toEqual({ type: 'securityType', securityType: 2 });
    expect(parserAt('clientInit', unhex('00')).next()).toEqual({ type: 'clientInit', shared: false });
    expect(parserAt('clientInit', unhex('01')).next()).toEqual({ type: 'clientInit', shared: true });
    expect(parserAt('clientInit', unhex('07')).next()).toEqual({ type: 'clientInit', shared: true });
    expect(parserAt('clientInit', new Uint8Array(0)).next()).toBeUndefined();
  });
});

describe('ClientParser: normal phase messages', () => {
  for (const [bytes, event] of NORMAL) {
    it(`parses ${event.type} (${bytes.length} bytes) from one chunk`, () => {
      const p = parserAt('normal', bytes);
      expect(p.next()).toEqual(event);
      expect(p.next()).toBeUndefined();
      expect(p.buffered).toBe(0);
    });

    it(`waits for the last byte of ${event.type} (${bytes.length} bytes)`, () => {
      const p = parserAt('normal', bytes.subarray(0, bytes.length - 1));
      expect(p.next()).toBeUndefined();
      expect(p.buffered).toBe(bytes.length - 1);
      p.push(bytes.subarray(bytes.length - 1));
      expect(p.next()).toEqual(event);
    });
  }

  it('parses SetDesktopSize (251) with its screens, in any split', () => {
    const bytes = unhex('fb 00 0320 0258 01 00  00000007 0000 0000 0320 0258 00000000');
    const event = { type: 'setDesktopSize', request: { width: 800, height: 600, screens: [{ id: 7, x: 0, y: 0, width: 800, height: 600, flags: 0 }] } };
    expect(parserAt('normal', bytes).next()).toEqual(event);
    const p = parserAt('normal', bytes.subarray(0, 12));
    expect(p.next()).toBeUndefined();
    p.push(bytes.subarray(12));
    expect(p.next()).toEqual(event);
  });

  it('parses SetPixelFormat from exact hex bytes', () => {
    const p = parserAt('normal', unhex('00 000000 10 10 01 01 001f 003f 001f 0b 05 00 000000'));
    expect(p.next()).toEqual({ type: 'setPixelFormat', format: RGB565 });
  });

  it('parses several messages from one chunk in order', () => {
    const stream = concat(...NORMAL.map(([b]) => b));
    const p = parserAt('normal', stream);
    const events: ClientEvent[] = [];
    drainEvents(p, events);
    expect(events).toEqual(NORMAL.map(([, e]) => e));
  });

  it('gives identical events for one chunk, 1-byte chunks and random splits (whole session)', () => {
    const stream = concat(
      new TextEncoder().encode('RFB 003.008\n'),
      unhex('01'), // security None
      unhex('01'), // shared
      ...NORMAL.map(([b]) => b),
      ...NORMAL.map(([b]) => b),
    );
    const whole = parseInChunks(stream, () => stream.length, 'version');
    expect(whole).toEqual([
      { type: 'version', version: '3.8' },
      { type: 'securityType', securityType: 1 },
      { type: 'clientInit', shared: true },
      ...NORMAL.map(([, e]) => e),
      ...NORMAL.map(([, e]) => e),
    ]);
    expect(parseInChunks(stream, () => 1, 'version')).toEqual(whole);
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new Prng(seed);
      expect(parseInChunks(stream, () => rng.int(1, 40), 'version')).toEqual(whole);
    }
  });

  it('a 3.3 session (no security type byte) parses the same in any split', () => {
    const stream = concat(new TextEncoder().encode('RFB 003.003\n'), unhex('00'), pointerEventMsg(1, 2, 3));
    const expected: ClientEvent[] = [
      { type: 'version', version: '3.3' },
      { type: 'clientInit', shared: false },
      { type: 'pointer', buttons: 1, x: 2, y: 3 },
    ];
    expect(parseInChunks(stream, () => 100, 'version')).toEqual(expected);
    expect(parseInChunks(stream, () => 1, 'version')).toEqual(expected);
  });
});

describe('ClientParser: caps and drains', () => {
  it(`SetEncodings with ${MAX_ENCODINGS + 1} entries keeps ${MAX_ENCODINGS} and the next PointerEvent parses`, () => {
    const list = Array.from({ length: MAX_ENCODINGS + 1 }, (_, i) => i - 2000);
    const stream = concat(setEncodingsMsg(list), pointerEventMsg(3, 65535, 65535));
    const check = (events: ClientEvent[]): void => {
      expect(events).toHaveLength(2);
      const enc = events[0]!;
      expect(enc.type).toBe('setEncodings');
      if (enc.type !== 'setEncodings') return;
      expect(enc.declared).toBe(MAX_ENCODINGS + 1);
      expect(enc.encodings).toHaveLength(MAX_ENCODINGS);
      expect(enc.encodings).toEqual(list.slice(0, MAX_ENCODINGS));
      expect(events[1]).toEqual({ type: 'pointer', buttons: 3, x: 65535, y: 65535 });
    };
    check(parseInChunks(stream, () => stream.length));
    check(parseInChunks(stream, () => 1));
    const rng = new Prng(7);
    check(parseInChunks(stream, () => rng.int(1, 3000)));
  });

  it('SetEncodings declaring 65535 entries keeps 4096 and drains the rest', () => {
    const list = Array.from({ length: 0xffff }, (_, i) => i);
    const stream = concat(setEncodingsMsg(list), keyEventMsg(true, 0x20));
    const events = parseInChunks(stream, () => 65536);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ type: 'setEncodings', declared: 0xffff });
    expect(events[1]).toEqual({ type: 'key', down: true, keysym: 0x20 });
  });

  it('the capped SetEncodings event is delivered only once its drained tail has arrived', () => {
    const list = Array.from({ length: MAX_ENCODINGS + 2 }, () => 0);
    const msg = setEncodingsMsg(list);
    const p = parserAt('normal', msg.subarray(0, msg.length - 4));
    expect(p.next()).toBeUndefined();
    expect(p.buffered).toBe(0); // kept entries consumed, partial tail drained
    p.push(msg.subarray(msg.length - 4));
    expect(p.next()).toMatchObject({ type: 'setEncodings', declared: MAX_ENCODINGS + 2 });
    expect(p.next()).toBeUndefined();
  });

  it('ClientCutText of 1 MiB + 1 keeps 1 MiB and drains the extra byte', () => {
    const text = new Prng(3).bytes(MAX_CUT_TEXT + 1);
    const msg = cutTextMsg(text);
    const p = new ClientParser();
    p.phase = 'normal';
    // Everything except the last byte: the kept part is complete, the drain is not.
    for (let off = 0; off < msg.length - 1; off += 65536) p.push(msg.subarray(off, Math.min(off + 65536, msg.length - 1)));
    expect(p.next()).toBeUndefined();
    expect(p.buffered).toBe(0);
    p.push(concat(msg.subarray(msg.length - 1), pointerEventMsg(0, 5, 6)));
    const ev = p.next();
    expect(ev?.type).toBe('cutText');
    if (ev?.type !== 'cutText') return;
    expect(ev.declared).toBe(MAX_CUT_TEXT + 1);
    expect(ev.text.length).toBe(MAX_CUT_TEXT);
    expect(Buffer.from(ev.text).equals(Buffer.from(text.subarray(0, MAX_CUT_TEXT)))).toBe(true);
    expect(p.next()).toEqual({ type: 'pointer', buttons: 0, x: 5, y: 6 });
  });

  it('ClientCutText text is a copy that later pushes cannot change', () => {
    const chunk = cutTextMsg(new TextEncoder().encode('abc'));
    const p = parserAt('normal', chunk);
    const ev = p.next();
    chunk.fill(0);
    expect(ev).toEqual({ type: 'cutText', text: new TextEncoder().encode('abc'), declared: 3 });
  });

  it('a declared cut-text length of 0xFFFFFFFF with a few bytes waits without allocating or throwing', () => {
    const p = parserAt('normal', cutTextMsg(new TextEncoder().encode('abc'), 0xffffffff));
    const before = process.memoryUsage().arrayBuffers;
    expect(p.next()).toBeUndefined();
    expect(p.next()).toBeUndefined();
    expect(p.buffered).toBe(11);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('a declared cut-text length of 0xFFFFFFFF holds its event back and swallows what follows as cut text', () => {
    const text = new Uint8Array(MAX_CUT_TEXT).fill(0x41);
    const p = new ClientParser();
    p.phase = 'normal';
    p.push(cutTextMsg(text, 0xffffffff));
    const ev = p.next();
    // The event waits for the whole declared length to be drained, so nothing comes out yet.
    expect(ev).toBeUndefined();
    p.push(pointerEventMsg(1, 1, 1));
    expect(p.next()).toBeUndefined();
    expect(p.buffered).toBe(0);
  });
});

describe('ClientParser: errors', () => {
  it('unknown message type 7 gives VNC_UNKNOWN_MESSAGE naming the type', () => {
    const err = expectVncError(() => parserAt('normal', unhex('07')).next(), VncErrorCode.UNKNOWN_MESSAGE);
    expect(err.message).toContain('7');
  });

  it.each([[1], [7], [8], [150], [248], [254]])('message type %i is rejected as unknown', (t) => {
    expectVncError(() => parserAt('normal', new Uint8Array([t, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])).next(), VncErrorCode.UNKNOWN_MESSAGE);
  });

  it('an unknown message after a valid one is reported after the valid one is returned', () => {
    const p = parserAt('normal', concat(pointerEventMsg(0, 1, 1), unhex('07')));
    expect(p.next()).toEqual({ type: 'pointer', buttons: 0, x: 1, y: 1 });
    expectVncError(() => p.next(), VncErrorCode.UNKNOWN_MESSAGE);
  });

  it('QEMU sub-message 1 gives VNC_UNKNOWN_QEMU_MESSAGE as soon as 2 bytes are there', () => {
    const p = parserAt('normal', unhex('ff'));
    expect(p.next()).toBeUndefined();
    p.push(unhex('01'));
    const err = expectVncError(() => p.next(), VncErrorCode.UNKNOWN_QEMU_MESSAGE);
    expect(err.message).toContain('1');
  });

  it('exceeding the receive buffer cap (bytes plus a per-chunk overhead) gives VNC_BUFFER_LIMIT', () => {
    const cap = 16 + CHUNK_OVERHEAD; // 16 bytes in one chunk
    const p = new ClientParser(cap);
    p.push(new Uint8Array(10));
    expectVncError(() => p.push(new Uint8Array(7)), VncErrorCode.BUFFER_LIMIT);
    const q = new ClientParser(cap);
    expect(() => q.push(new Uint8Array(16))).not.toThrow();
    expectVncError(() => new ClientParser(cap).push(new Uint8Array(17)), VncErrorCode.BUFFER_LIMIT);
  });

  it('the default cap holds a full 1 MiB cut text', () => {
    const p = new ClientParser();
    p.phase = 'normal';
    expect(() => p.push(cutTextMsg(new Uint8Array(MAX_CUT_TEXT)))).not.toThrow();
    expect(p.next()).toMatchObject({ type: 'cutText', declared: MAX_CUT_TEXT });
  });
});

describe('ReceiveBuffer', () => {
  it('reads big-endian values across chunk boundaries', () => {
    const b = new ReceiveBuffer();
    b.push(unhex('12'));
    b.push(unhex('3456'));
    b.push(unhex('78ff'));
    b.push(unhex('fffffe'));
    b.push(unhex('abcd'));
    expect(b.length).toBe(10);
    expect(b.peekU8(3)).toBe(0x78);
    expect(b.readU32()).toBe(0x12345678);
    expect(b.readI32()).toBe(-2);
    expect(b.readU16()).toBe(0xabcd);
    expect(b.length).toBe(0);
  });

  it('reads an unsigned u32 above 2^31 and skips partially', () => {
    const b = new ReceiveBuffer();
    b.push(unhex('ffffffff00'));
    expect(b.readU32()).toBe(0xffffffff);
    expect(b.skip(5)).toBe(1);
    expect(b.length).toBe(0);
  });

  it('throws RangeError on reads or peeks past the end', () => {
    const b = new ReceiveBuffer();
    b.push(unhex('0102'));
    expect(() => b.read(3)).toThrow(RangeError);
    expect(() => b.peekU8(2)).toThrow(RangeError);
    expect(b.read(0)).toHaveLength(0);
  });

  it('ignores empty chunks', () => {
    const b = new ReceiveBuffer(0);
    expect(() => b.push(new Uint8Array(0))).not.toThrow();
    expect(b.length).toBe(0);
  });
});

describe('ClientParser constants', () => {
  it('uses the OpenVMM limits', () => {
    expect(MAX_ENCODINGS).toBe(4096);
    expect(MAX_CUT_TEXT).toBe(1024 * 1024);
    expect(SERVER_PIXEL_FORMAT.bitsPerPixel).toBe(32);
  });
});

describe('ReceiveBuffer memory bound', () => {
  it('1-byte pieces are merged and charged per chunk, so they cannot multiply memory', () => {
    const b = new ReceiveBuffer(64 * 1024);
    for (let i = 0; i < 60_000; i++) b.push(new Uint8Array([i & 0xff]));
    expect(b.length).toBe(60_000);
    expect(b.read(3)).toEqual(new Uint8Array([0, 1, 2]));
    // Large chunks still count their bytes and their overhead against the cap.
    const c = new ReceiveBuffer(10_000);
    expect(() => {
      for (let i = 0; i < 100; i++) c.push(new Uint8Array(300));
    }).toThrow(/receive buffer over/);
  });
});
