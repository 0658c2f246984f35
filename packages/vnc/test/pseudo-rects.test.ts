/**
 * Byte-exact tests for the small pseudo-encoding writers and the SetDesktopSize parser:
 * QEMU LED State (-261), ExtendedDesktopSize (-308), DesktopName (-307).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ByteWriter } from '../src/byte-writer.js';
import {
  DesktopSizeReason,
  DesktopSizeStatus,
  type Screen,
  checkScreenLayout,
  encodeDesktopName,
  encodeExtendedDesktopSize,
  parseSetDesktopSize,
  setDesktopSizeLength,
  singleScreen,
} from '../src/desktop-size.js';
import { LED_STATE_ENCODING, encodeLedState, ledStateByte } from '../src/led-state.js';

function written(fn: (out: ByteWriter) => void): number[] {
  const out = new ByteWriter(4);
  fn(out);
  return [...out.bytes.subarray(0, out.length)];
}

describe('LED State (-261)', () => {
  it('writes an empty rect with encoding -261 and the LED byte', () => {
    expect(LED_STATE_ENCODING).toBe(-261);
    expect(written((o) => encodeLedState(o, { scroll: true, num: false, caps: true }))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xfe, 0xfb, 0x05]);
  });

  it.each([
    [false, false, false, 0],
    [true, false, false, 1],
    [false, true, false, 2],
    [false, false, true, 4],
    [true, true, true, 7],
  ])('scroll=%s num=%s caps=%s -> %i', (scroll, num, caps, byte) => {
    expect(ledStateByte({ scroll, num, caps })).toBe(byte);
  });
});

describe('ExtendedDesktopSize (-308)', () => {
  it('writes reason and status as x and y, then count, padding and 16 bytes per screen', () => {
    const bytes = written((o) =>
      encodeExtendedDesktopSize(o, {
        reason: DesktopSizeReason.THIS_CLIENT,
        status: DesktopSizeStatus.INVALID_LAYOUT,
        width: 1024,
        height: 768,
        screens: [{ id: 0x01020304, x: 5, y: 6, width: 800, height: 600, flags: 0xa0b0c0d0 }],
      }),
    );
    expect(bytes).toEqual([
      0x00, 0x01, 0x00, 0x03, 0x04, 0x00, 0x03, 0x00, 0xff, 0xff, 0xfe, 0xcc, // header: x=1 y=3 1024x768 -308
      0x01, 0x00, 0x00, 0x00, // one screen, padding
      0x01, 0x02, 0x03, 0x04, 0x00, 0x05, 0x00, 0x06, 0x03, 0x20, 0x02, 0x58, 0xa0, 0xb0, 0xc0, 0xd0,
    ]);
  });

  it('writes a single full-size screen for the common case', () => {
    const bytes = written((o) => encodeExtendedDesktopSize(o, { reason: 0, status: 0, width: 640, height: 480, screens: singleScreen(640, 480) }));
    expect(bytes.length).toBe(12 + 4 + 16);
    expect(bytes.slice(16)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x80, 0x01, 0xe0, 0, 0, 0, 0]);
  });

  it('writes zero screens', () => {
    expect(written((o) => encodeExtendedDesktopSize(o, { reason: 0, status: 0, width: 1, height: 1, screens: [] })).slice(12)).toEqual([0, 0, 0, 0]);
  });

  it('rejects fields that do not fit', () => {
    const ok = { reason: 0, status: 0, width: 10, height: 10, screens: singleScreen(10, 10) };
    expect(() => written((o) => encodeExtendedDesktopSize(o, { ...ok, width: 0x10000 }))).toThrow(RangeError);
    expect(() => written((o) => encodeExtendedDesktopSize(o, { ...ok, screens: new Array<Screen>(256).fill(singleScreen(1, 1)[0]!) }))).toThrow(RangeError);
    expect(() => written((o) => encodeExtendedDesktopSize(o, { ...ok, screens: [{ ...singleScreen(1, 1)[0]!, id: -1 }] }))).toThrow(RangeError);
  });
});

describe('SetDesktopSize (251)', () => {
  const msg = [
    251, 0, 0x07, 0x80, 0x04, 0x38, 2, 0, // 1920x1080, two screens
    0, 0, 0, 1, 0, 0, 0, 0, 0x03, 0xc0, 0x04, 0x38, 0, 0, 0, 0, // id 1 at 0,0 960x1080
    0, 0, 0, 2, 0x03, 0xc0, 0, 0, 0x03, 0xc0, 0x04, 0x38, 0, 0, 0, 7, // id 2 at 960,0 960x1080 flags 7
  ];

  it('knows the length once the 8-byte header is there', () => {
    expect(setDesktopSizeLength(new Uint8Array(msg.slice(0, 7)))).toBeUndefined();
    expect(setDesktopSizeLength(new Uint8Array(msg.slice(0, 8)))).toBe(40);
  });

  it('parses width, height and screens', () => {
    expect(parseSetDesktopSize(new Uint8Array([...msg, 0xaa]))).toEqual({
      width: 1920,
      height: 1080,
      screens: [
        { id: 1, x: 0, y: 0, width: 960, height: 1080, flags: 0 },
        { id: 2, x: 960, y: 0, width: 960, height: 1080, flags: 7 },
      ],
    });
  });

  it('parses from an offset view', () => {
    const buf = new Uint8Array([9, 9, 9, ...msg]);
    expect(parseSetDesktopSize(buf.subarray(3)).screens[1]!.x).toBe(960);
  });

  it('rejects short or wrong messages', () => {
    expect(() => parseSetDesktopSize(new Uint8Array(msg.slice(0, 39)))).toThrow(RangeError);
    expect(() => parseSetDesktopSize(new Uint8Array(msg.slice(0, 5)))).toThrow(RangeError);
    expect(() => parseSetDesktopSize(new Uint8Array([250, ...msg.slice(1)]))).toThrow(/not a SetDesktopSize/);
  });

  it('round-trips layouts written in the same screen format', () => {
    const screen = fc.record({
      id: fc.nat({ max: 0xffffffff }),
      x: fc.nat({ max: 0xffff }),
      y: fc.nat({ max: 0xffff }),
      width: fc.nat({ max: 0xffff }),
      height: fc.nat({ max: 0xffff }),
      flags: fc.nat({ max: 0xffffffff }),
    });
    fc.assert(
      fc.property(fc.nat({ max: 0xffff }), fc.nat({ max: 0xffff }), fc.array(screen, { maxLength: 20 }), (width, height, screens) => {
        // The rect body's screen list equals SetDesktopSize's: rebuild the client message from it.
        const rect = written((o) => encodeExtendedDesktopSize(o, { reason: 0, status: 0, width, height, screens }));
        const client = [251, 0, width >> 8, width & 0xff, height >> 8, height & 0xff, screens.length, 0, ...rect.slice(16)];
        expect(parseSetDesktopSize(new Uint8Array(client))).toEqual({ width, height, screens });
      }),
    );
  });

  it('checks layouts', () => {
    const req = parseSetDesktopSize(new Uint8Array(msg));
    expect(checkScreenLayout(req)).toBe(DesktopSizeStatus.OK);
    expect(checkScreenLayout({ ...req, screens: [] })).toBe(DesktopSizeStatus.INVALID_LAYOUT);
    expect(checkScreenLayout({ ...req, width: 1000 })).toBe(DesktopSizeStatus.INVALID_LAYOUT);
    expect(checkScreenLayout({ ...req, screens: [req.screens[0]!, { ...req.screens[1]!, id: 1 }] })).toBe(DesktopSizeStatus.INVALID_LAYOUT);
    expect(checkScreenLayout({ ...req, screens: [{ ...req.screens[0]!, width: 0 }] })).toBe(DesktopSizeStatus.INVALID_LAYOUT);
    expect(checkScreenLayout({ width: 0, height: 5, screens: singleScreen(0, 5) })).toBe(DesktopSizeStatus.INVALID_LAYOUT);
  });
});

describe('DesktopName (-307)', () => {
  it('writes an empty rect, the UTF-8 length and the name', () => {
    expect(written((o) => encodeDesktopName(o, 'VM ö'))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xfe, 0xcd, 0, 0, 0, 5, 0x56, 0x4d, 0x20, 0xc3, 0xb6]);
  });

  it('writes an empty name', () => {
    expect(written((o) => encodeDesktopName(o, '')).slice(12)).toEqual([0, 0, 0, 0]);
  });
});
