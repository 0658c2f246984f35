/**
 * Tests for keyboard translation: the US keysym table (OpenVMM scancode.rs, brief section (d)),
 * the Shift press/release logic, unmapped keysyms, and QEMU extended keycodes.
 */
import { describe, it, expect } from 'vitest';
import type { KeyboardInput } from '@openvmm-vnc-ts/video-core';
import { KeyboardTranslator, qemuKeycodeToScancode } from '../src/keyboard.js';
import { KEYSYM_TABLE_SIZE, NEEDS_NO_SHIFT, NEEDS_SHIFT, SCANCODE_MASK, keysymEntry } from '../src/keysym-table.js';

const down = (code: number): KeyboardInput => ({ kind: 'keyboard', code, make: true });
const up = (code: number): KeyboardInput => ({ kind: 'keyboard', code, make: false });
const ch = (c: string): number => c.charCodeAt(0);

function scancode(keysym: number): number | undefined {
  const e = keysymEntry(keysym);
  return e === undefined ? undefined : e & SCANCODE_MASK;
}

describe('keysym table', () => {
  it.each([
    ['F1', 0xffbe, 0x3b],
    ['F2', 0xffbf, 0x3c],
    ['F3', 0xffc0, 0x3d],
    ['F4', 0xffc1, 0x3e],
    ['F5', 0xffc2, 0x3f],
    ['F6', 0xffc3, 0x40],
    ['F7', 0xffc4, 0x41],
    ['F8', 0xffc5, 0x42],
    ['F9', 0xffc6, 0x43],
    ['F10', 0xffc7, 0x44],
    ['F11', 0xffc8, 0x57],
    ['F12', 0xffc9, 0x58],
    ['Left', 0xff51, 0xe04b],
    ['Up', 0xff52, 0xe048],
    ['Right', 0xff53, 0xe04d],
    ['Down', 0xff54, 0xe050],
    ['Home', 0xff50, 0xe047],
    ['End', 0xff57, 0xe04f],
    ['Page Up', 0xff55, 0xe049],
    ['Page Down', 0xff56, 0xe051],
    ['Insert', 0xff63, 0xe052],
    ['Delete', 0xffff, 0xe053],
    ['BackSpace', 0xff08, 0x0e],
    ['Tab', 0xff09, 0x0f],
    ['Return', 0xff0d, 0x1c],
    ['Escape', 0xff1b, 0x01],
    ['Shift_L', 0xffe1, 0x2a],
    ['Shift_R', 0xffe2, 0x36],
    ['Control_L', 0xffe3, 0x1d],
    ['Control_R', 0xffe4, 0xe01d],
    ['Meta_L', 0xffe7, 0xe05b],
    ['Meta_R', 0xffe8, 0xe05c],
    ['Alt_L', 0xffe9, 0x38],
    ['Alt_R', 0xffea, 0xe038],
    ['space', 0x20, 0x39],
  ])('%s (keysym %i) maps to set-1 scancode %i', (_name, keysym, code) => {
    expect(scancode(keysym)).toBe(code);
  });

  it('maps every letter, lower case without Shift and upper case with Shift', () => {
    const rows: [string, number][] = [
      ['qwertyuiop', 0x10],
      ['asdfghjkl', 0x1e],
      ['zxcvbnm', 0x2c],
    ];
    let n = 0;
    for (const [row, first] of rows) {
      [...row].forEach((c, i) => {
        expect(keysymEntry(ch(c)), c).toBe((first + i) | NEEDS_NO_SHIFT);
        expect(keysymEntry(ch(c.toUpperCase())), c.toUpperCase()).toBe((first + i) | NEEDS_SHIFT);
        n++;
      });
    }
    expect(n).toBe(26);
    expect(scancode(ch('a'))).toBe(0x1e);
    expect(scancode(ch('l'))).toBe(0x26);
    expect(scancode(ch('m'))).toBe(0x32);
    expect(scancode(ch('p'))).toBe(0x19);
  });

  it('maps digits 1..0 to 0x02..0x0B and their shifted symbols', () => {
    const shifted = '!@#$%^&*()';
    [...'1234567890'].forEach((d, i) => {
      expect(keysymEntry(ch(d)), d).toBe((0x02 + i) | NEEDS_NO_SHIFT);
      expect(keysymEntry(ch(shifted[i]!)), shifted[i]).toBe((0x02 + i) | NEEDS_SHIFT);
    });
  });

  it.each([
    ['-', '_', 0x0c],
    ['=', '+', 0x0d],
    ['[', '{', 0x1a],
    [']', '}', 0x1b],
    [';', ':', 0x27],
    ["'", '"', 0x28],
    ['`', '~', 0x29],
    ['\\', '|', 0x2b],
    [',', '<', 0x33],
    ['.', '>', 0x34],
    ['/', '?', 0x35],
  ])('punctuation %s (plain) and %s (shifted) share scancode %i', (plain, shifted, code) => {
    expect(keysymEntry(ch(plain))).toBe(code | NEEDS_NO_SHIFT);
    expect(keysymEntry(ch(shifted))).toBe(code | NEEDS_SHIFT);
  });

  it('space carries no shift flag', () => {
    expect(keysymEntry(0x20)).toBe(0x39);
  });

  it('covers every printable ASCII character', () => {
    for (let c = 0x20; c <= 0x7e; c++) expect(keysymEntry(c), `0x${c.toString(16)}`).toBeDefined();
    expect(KEYSYM_TABLE_SIZE).toBeGreaterThanOrEqual(95 + 30);
  });

  it('does not map Latin-1 keysyms such as é (0xE9)', () => {
    expect(keysymEntry(0xe9)).toBeUndefined();
    expect(keysymEntry(0xf6)).toBeUndefined();
  });
});

describe('KeyboardTranslator.keysym', () => {
  it("types 'A' with no shift held as 2A down, 1E down, 2A up", () => {
    const k = new KeyboardTranslator();
    expect(k.keysym(ch('A'), true)).toEqual([down(0x2a), down(0x1e), up(0x2a)]);
  });

  it("releasing a shifted character sends only the key up", () => {
    const k = new KeyboardTranslator();
    k.keysym(ch('A'), true);
    expect(k.keysym(ch('A'), false)).toEqual([up(0x1e)]);
    expect(k.keysym(ch('!'), false)).toEqual([up(0x02)]);
  });

  it("types 'a' while Shift_L is held as 2A up, 1E down, 2A down", () => {
    const k = new KeyboardTranslator();
    expect(k.keysym(0xffe1, true)).toEqual([down(0x2a)]);
    expect(k.keysym(ch('a'), true)).toEqual([up(0x2a), down(0x1e), down(0x2a)]);
    expect(k.keysym(ch('a'), false)).toEqual([up(0x1e)]);
  });

  it("types 'a' while both shifts are held by releasing and re-pressing both", () => {
    const k = new KeyboardTranslator();
    k.keysym(0xffe1, true);
    k.keysym(0xffe2, true);
    expect(k.keysym(ch('a'), true)).toEqual([up(0x2a), up(0x36), down(0x1e), down(0x2a), down(0x36)]);
  });

  it("types 'a' while Shift_R is held by releasing and re-pressing Shift_R", () => {
    const k = new KeyboardTranslator();
    k.keysym(0xffe2, true);
    expect(k.keysym(ch('1'), true)).toEqual([up(0x36), down(0x02), down(0x36)]);
  });

  it("types 'A' while Shift is held as a plain key down", () => {
    const k = new KeyboardTranslator();
    k.keysym(0xffe1, true);
    expect(k.keysym(ch('A'), true)).toEqual([down(0x1e)]);
  });

  it("types 'a' plainly after Shift is released again", () => {
    const k = new KeyboardTranslator();
    k.keysym(0xffe1, true);
    expect(k.keysym(0xffe1, false)).toEqual([up(0x2a)]);
    expect(k.keysym(ch('a'), true)).toEqual([down(0x1e)]);
    expect(k.keysym(ch('A'), true)).toEqual([down(0x2a), down(0x1e), up(0x2a)]);
  });

  it('sends keys without a shift flag unchanged whatever the shift state', () => {
    const k = new KeyboardTranslator();
    expect(k.keysym(0x20, true)).toEqual([down(0x39)]);
    expect(k.keysym(0xff52, true)).toEqual([down(0xe048)]);
    k.keysym(0xffe1, true);
    expect(k.keysym(0x20, true)).toEqual([down(0x39)]);
    expect(k.keysym(0xffe4, true)).toEqual([down(0xe01d)]);
    expect(k.keysym(0xffe4, false)).toEqual([up(0xe01d)]);
  });

  it('drops an unmapped keysym (0xE9, é) and reports it through the callback on key down only', () => {
    const reported: number[] = [];
    const k = new KeyboardTranslator((ks) => reported.push(ks));
    expect(k.keysym(0xe9, true)).toEqual([]);
    expect(k.keysym(0xe9, false)).toEqual([]);
    expect(reported).toEqual([0xe9]);
  });

  it('drops keysyms above 0xFFFF (Unicode-plane keysyms) even when the low bits are mapped', () => {
    const reported: number[] = [];
    const k = new KeyboardTranslator((ks) => reported.push(ks));
    expect(k.keysym(0x1000041, true)).toEqual([]); // U+0041 as a Unicode keysym
    expect(k.keysym(0x10020ac, true)).toEqual([]); // €
    expect(k.keysym(0x1ff52, true)).toEqual([]);
    expect(k.keysym(0xffffffff, true)).toEqual([]);
    expect(reported).toEqual([0x1000041, 0x10020ac, 0x1ff52, 0xffffffff]);
  });

  it('works without a callback', () => {
    expect(new KeyboardTranslator().keysym(0xe9, true)).toEqual([]);
  });
});

describe('QEMU extended key events', () => {
  it('turns QEMU 0x80..0xFF keycodes into E0-prefixed scancodes', () => {
    expect(qemuKeycodeToScancode(0xc8)).toBe(0xe048);
    expect(qemuKeycodeToScancode(0x9d)).toBe(0xe01d);
    expect(qemuKeycodeToScancode(0xb8)).toBe(0xe038);
    expect(qemuKeycodeToScancode(0x80)).toBe(0xe000);
    expect(qemuKeycodeToScancode(0xff)).toBe(0xe07f);
  });

  it('passes plain and already-prefixed keycodes through', () => {
    expect(qemuKeycodeToScancode(0x1e)).toBe(0x1e);
    expect(qemuKeycodeToScancode(0x7f)).toBe(0x7f);
    expect(qemuKeycodeToScancode(0xe048)).toBe(0xe048);
    // Only 0x80..0xFF is QEMU's E0 form; larger values with bit 7 set are left alone.
    expect(qemuKeycodeToScancode(0x1c8)).toBe(0x1c8);
    expect(qemuKeycodeToScancode(0xe09d)).toBe(0xe09d);
  });

  it('truncates the keycode to 16 bits', () => {
    expect(qemuKeycodeToScancode(0x1001e)).toBe(0x1e);
    expect(qemuKeycodeToScancode(0x100c8)).toBe(0xe048);
  });

  it('forwards the scancode as a press or release', () => {
    const k = new KeyboardTranslator();
    expect(k.extended(0x1e, true)).toEqual([down(0x1e)]);
    expect(k.extended(0x1e, false)).toEqual([up(0x1e)]);
    expect(k.extended(0xc8, true)).toEqual([down(0xe048)]);
  });

  it('drops keycode 0', () => {
    expect(new KeyboardTranslator().extended(0, true)).toEqual([]);
  });

  it('tracks Shift from extended events for later keysym events', () => {
    const k = new KeyboardTranslator();
    k.extended(0x2a, true);
    expect(k.keysym(ch('a'), true)).toEqual([up(0x2a), down(0x1e), down(0x2a)]);
    k.extended(0x2a, false);
    expect(k.keysym(ch('a'), true)).toEqual([down(0x1e)]);
  });
});
