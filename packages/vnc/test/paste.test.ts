/**
 * Tests for clipboard paste as typing (Ctrl+Alt+P): ASCII through the US table with the Shift
 * logic, Alt+Numpad for the rest of Latin-1 (controls included), skipping of wider code
 * points, and the end-to-end vector from the OpenVMM brief.
 */
import { describe, it, expect } from 'vitest';
import type { KeyboardInput } from '@openvmm-vnc-ts/video-core';
import { KeyboardTranslator } from '../src/keyboard.js';
import { MODIFIER_RELEASE_BEFORE_PASTE, NUMPAD_DIGIT_SCANCODES, latin1Text, pasteSequence } from '../src/paste.js';

const down = (code: number): KeyboardInput => ({ kind: 'keyboard', code, make: true });
const up = (code: number): KeyboardInput => ({ kind: 'keyboard', code, make: false });
const tap = (code: number): KeyboardInput[] => [down(code), up(code)];
const altNumpad = (...codes: number[]): KeyboardInput[] => [down(0x38), ...codes.flatMap(tap), up(0x38)];

describe('pasteSequence', () => {
  it("types 'A' as 2A down, 1E down, 2A up, 1E up", () => {
    expect(pasteSequence('A')).toEqual({ events: [down(0x2a), down(0x1e), up(0x2a), up(0x1e)], skipped: 0 });
  });

  it('types lower case, digits, space and punctuation with the right shift handling', () => {
    expect(pasteSequence('a1 !').events).toEqual([
      ...tap(0x1e),
      ...tap(0x02),
      ...tap(0x39),
      down(0x2a), down(0x02), up(0x2a), up(0x02),
    ]);
  });

  it('types every printable ASCII character through the table', () => {
    let s = '';
    for (let c = 0x20; c <= 0x7e; c++) s += String.fromCharCode(c);
    const { events, skipped } = pasteSequence(s);
    expect(skipped).toBe(0);
    expect(events.every((e) => e.code !== 0x38)).toBe(true); // no Alt+Numpad
  });

  it('types ö (246) as Alt + numpad 0 2 4 6', () => {
    expect(pasteSequence('ö').events).toEqual(altNumpad(0x52, 0x50, 0x4b, 0x4d));
  });

  it('uses "0" + 2 digits from 10 and "0" + 1 digit below 10, for control characters too', () => {
    expect(pasteSequence('\n').events).toEqual(altNumpad(0x52, 0x4f, 0x52)); // 0 1 0
    expect(pasteSequence('\t').events).toEqual(altNumpad(0x52, 0x49)); // 0 9
    expect(pasteSequence('\0').events).toEqual(altNumpad(0x52, 0x52)); // 0 0
    expect(pasteSequence('\x7f').events).toEqual(altNumpad(0x52, 0x4f, 0x50, 0x47)); // 0 1 2 7
    expect(pasteSequence('\xa0').events).toEqual(altNumpad(0x52, 0x4f, 0x4d, 0x52)); // 0 1 6 0
    expect(pasteSequence('ÿ').events).toEqual(altNumpad(0x52, 0x50, 0x4c, 0x4c)); // 0 2 5 5
  });

  it('maps numpad digits 0..9 to 52 4F 50 51 4B 4C 4D 47 48 49', () => {
    expect(NUMPAD_DIGIT_SCANCODES).toEqual([0x52, 0x4f, 0x50, 0x51, 0x4b, 0x4c, 0x4d, 0x47, 0x48, 0x49]);
  });

  it('types CP-1252 extras as Alt+0 and the byte, CP-437 glyphs as Alt and the byte', () => {
    expect(pasteSequence('€').events).toEqual(altNumpad(0x52, 0x4f, 0x50, 0x48)); // 0 1 2 8
    expect(pasteSequence('\u201c').events).toEqual(altNumpad(0x52, 0x4f, 0x4b, 0x47)); // left double quote: 0 1 4 7
    expect(pasteSequence('\u2014').events).toEqual(altNumpad(0x52, 0x4f, 0x4c, 0x4f)); // em dash: 0 1 5 1
    expect(pasteSequence('π').events).toEqual(altNumpad(0x50, 0x50, 0x47)); // CP-437 227: 2 2 7
    expect(pasteSequence('≤').events).toEqual(altNumpad(0x50, 0x4b, 0x51)); // CP-437 243: 2 4 3
    expect(pasteSequence('\u2500').events).toEqual(altNumpad(0x4f, 0x49, 0x4d)); // box drawing, CP-437 196: 1 9 6
  });

  it('skips and counts what no key or Alt code can type, astral code points once each', () => {
    expect(pasteSequence('中a😀b\u0101')).toEqual({ events: [...tap(0x1e), ...tap(0x30)], skipped: 3 });
    expect(pasteSequence('')).toEqual({ events: [], skipped: 0 });
  });

  it('honours Shift the client holds', () => {
    expect(pasteSequence('aA', { left: true, right: false }).events).toEqual([
      up(0x2a), down(0x1e), down(0x2a), up(0x1e),
      down(0x1e), up(0x1e),
    ]);
  });

  it('leaves no key pressed', () => {
    const held = new Set<number>();
    for (const e of pasteSequence('Hello, Wörld!\r\n~').events) {
      if (e.make) held.add(e.code);
      else held.delete(e.code);
    }
    expect([...held]).toEqual([]);
  });
});

describe('Ctrl+Alt+P end to end', () => {
  it('clipboard "A" + ö, right Ctrl + right Alt + P, gives the brief\'s exact sequence', () => {
    const k = new KeyboardTranslator();
    const clipboard = latin1Text(new Uint8Array([0x41, 0xf6]));
    expect(clipboard).toBe('Aö');
    const sent: KeyboardInput[] = [];
    const onKey = (keycode: number, isDown: boolean): void => {
      const r = k.translateExtended(keycode, isDown);
      sent.push(...r.events);
      if (r.paste) sent.push(...pasteSequence(clipboard, k.shiftState).events);
    };
    onKey(0x9d, true); // E01D
    onKey(0xb8, true); // E038
    onKey(0x19, true); // P
    expect(sent).toEqual([
      down(0xe01d), down(0xe038), // the client's own presses
      up(0x1d), up(0xe01d), up(0x38), up(0xe038),
      down(0x2a), down(0x1e), up(0x2a), up(0x1e),
      down(0x38), down(0x52), up(0x52), down(0x50), up(0x50), down(0x4b), up(0x4b), down(0x4d), up(0x4d), up(0x38),
    ]);
    expect(MODIFIER_RELEASE_BEFORE_PASTE).toEqual([up(0x1d), up(0xe01d), up(0x38), up(0xe038)]);
  });
});

describe('latin1Text', () => {
  it('maps each byte to the code point of the same value', () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    const s = latin1Text(bytes.subarray(1));
    expect(s.length).toBe(255);
    expect(s.charCodeAt(0)).toBe(1);
    expect(s.charCodeAt(254)).toBe(255);
  });
});
