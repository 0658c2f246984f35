import { describe, expect, it } from 'vitest';
import { KeyboardDecoder, decodeScancodes, typeText } from '../src/guest/keyboard-decoder.js';

const down = (code: number): { code: number; make: boolean } => ({ code, make: true });
const up = (code: number): { code: number; make: boolean } => ({ code, make: false });
const tap = (code: number): { code: number; make: boolean }[] => [down(code), up(code)];

describe('KeyboardDecoder', () => {
  it('decodes plain letters and digits', () => {
    expect(decodeScancodes([...tap(0x23), ...tap(0x17), ...tap(0x39), ...tap(0x02), ...tap(0x0b)])).toBe('hi 10');
  });

  it('applies Shift from either side', () => {
    expect(decodeScancodes([down(0x2a), ...tap(0x1e), up(0x2a), ...tap(0x1e)])).toBe('Aa');
    expect(decodeScancodes([down(0x36), ...tap(0x02), ...tap(0x35), up(0x36), ...tap(0x02)])).toBe('!?1');
    // Releasing one shift while the other is held keeps shift on.
    expect(decodeScancodes([down(0x2a), down(0x36), up(0x2a), ...tap(0x1e), up(0x36), ...tap(0x1e)])).toBe('Aa');
  });

  it('handles Enter, Backspace and Tab', () => {
    expect(decodeScancodes([...tap(0x23), ...tap(0x17), ...tap(0x0e), ...tap(0x18), ...tap(0x1c), ...tap(0x0f)])).toBe('ho\n\t');
    expect(decodeScancodes([...tap(0x0e), ...tap(0x0e)])).toBe('');
  });

  it('toggles Caps Lock for letters only, once per press', () => {
    const caps = [down(0x3a), down(0x3a), up(0x3a)]; // a typematic repeat must not toggle back
    expect(decodeScancodes([...caps, ...tap(0x1e), ...tap(0x02), down(0x2a), ...tap(0x1e), up(0x2a), ...caps, ...tap(0x1e)])).toBe('A1aa');
  });

  it('tracks Ctrl and Alt and names special keys', () => {
    const d = new KeyboardDecoder();
    expect(d.feed(0xe01d, true)).toBeUndefined();
    expect(d.feed(0x26, true)).toMatchObject({ kind: 'char', char: 'l', ctrl: true, alt: false, shift: false });
    d.feed(0xe01d, false);
    d.feed(0x38, true);
    expect(d.feed(0x20, true)).toMatchObject({ kind: 'char', char: 'd', ctrl: false, alt: true });
    d.feed(0x38, false);
    expect(d.modifiers).toEqual({ shift: false, ctrl: false, alt: false, capsLock: false });
    expect(d.feed(0xe048, true)).toMatchObject({ kind: 'key', key: 'ArrowUp', code: 0xe048 });
    expect(d.feed(0xe04b, true)).toMatchObject({ kind: 'key', key: 'ArrowLeft' });
    expect(d.feed(0xe04d, true)).toMatchObject({ kind: 'key', key: 'ArrowRight' });
    expect(d.feed(0xe050, true)).toMatchObject({ kind: 'key', key: 'ArrowDown' });
    expect(d.feed(0x1c, true)).toMatchObject({ kind: 'key', key: 'Enter' });
    expect(d.feed(0x01, true)).toMatchObject({ kind: 'key', key: 'Escape' });
    expect(d.feed(0x3c, true)).toMatchObject({ kind: 'key', key: 'F2' });
    expect(d.feed(0x44, true)).toMatchObject({ kind: 'key', key: 'F10' });
    expect(d.feed(0xe053, true)).toMatchObject({ kind: 'key', key: 'Delete' });
    expect(d.feed(0x1c, false)).toBeUndefined();
    expect(d.feed(0x45, true)).toBeUndefined(); // NumLock: not mapped
    // Ctrl chords are not text.
    expect(decodeScancodes([down(0x1d), ...tap(0x2e), up(0x1d), ...tap(0x2e)])).toBe('c');
    d.feed(0x3a, true);
    d.reset();
    expect(d.modifiers.capsLock).toBe(false);
  });

  it('round-trips every printable ASCII character through typeText', () => {
    let all = '';
    for (let c = 32; c <= 126; c++) all += String.fromCharCode(c);
    expect(decodeScancodes(typeText(all))).toBe(all);
    expect(decodeScancodes(typeText('Hello, World!\nab\bc\t'))).toBe('Hello, World!\nac\t');
    expect(typeText('A')).toEqual([down(0x2a), down(0x1e), up(0x1e), up(0x2a)]);
  });
});
