/**
 * Tests for the keyboard additions: Ctrl+Alt+P paste-trigger detection on both paths, Pause
 * and the other new table entries, the unmapped counter, and releaseAll on disconnect.
 */
import { describe, it, expect } from 'vitest';
import type { KeyboardInput } from '@openvmm-vnc-ts/video-core';
import { KeyboardTranslator, MODIFIER_RELEASE_BEFORE_PASTE, PAUSE_SEQUENCE, usKeyEvents } from '../src/keyboard.js';
import { NEEDS_NO_SHIFT, NEEDS_SHIFT, PAUSE_SCANCODE, SCANCODE_MASK, keysymEntry } from '../src/keysym-table.js';

const down = (code: number): KeyboardInput => ({ kind: 'keyboard', code, make: true });
const up = (code: number): KeyboardInput => ({ kind: 'keyboard', code, make: false });
const RELEASES = [up(0x1d), up(0xe01d), up(0x38), up(0xe038)];

const XK = { Shift_L: 0xffe1, Shift_R: 0xffe2, Control_L: 0xffe3, Control_R: 0xffe4, Alt_L: 0xffe9, Alt_R: 0xffea, p: 0x70, P: 0x50 };

describe('paste trigger, keysym path', () => {
  it('Ctrl_L+Alt_L+p: P is not forwarded, the modifiers are released, paste is signalled', () => {
    const k = new KeyboardTranslator();
    expect(k.translateKeysym(XK.Control_L, true)).toEqual({ events: [down(0x1d)], paste: false });
    expect(k.translateKeysym(XK.Alt_L, true)).toEqual({ events: [down(0x38)], paste: false });
    expect(k.translateKeysym(XK.p, true)).toEqual({ events: RELEASES, paste: true });
    expect(k.translateKeysym(XK.p, false)).toEqual({ events: [], paste: false }); // P's release is swallowed too
    expect(k.translateKeysym(XK.Alt_L, false)).toEqual({ events: [up(0x38)], paste: false });
  });

  it('also fires for Ctrl_R+Alt_R and for upper-case P, and again while the chord is held', () => {
    const k = new KeyboardTranslator();
    k.keysym(XK.Control_R, true);
    k.keysym(XK.Alt_R, true);
    expect(k.translateKeysym(XK.P, true).paste).toBe(true);
    expect(k.translateKeysym(XK.p, false).events).toEqual([]); // released under the other case
    expect(k.translateKeysym(XK.p, true).paste).toBe(true);
  });

  it('does not fire with only Ctrl or only Alt, or after Ctrl is released', () => {
    const k = new KeyboardTranslator();
    k.keysym(XK.Control_L, true);
    expect(k.translateKeysym(XK.p, true)).toEqual({ events: [down(0x19)], paste: false });
    k.keysym(XK.p, false);
    k.keysym(XK.Control_L, false);
    k.keysym(XK.Alt_L, true);
    expect(k.translateKeysym(XK.p, true)).toEqual({ events: [down(0x19)], paste: false });
    expect(k.translateKeysym(XK.p, false)).toEqual({ events: [up(0x19)], paste: false });
  });

  it('keysym() returns the same events without the flag', () => {
    const k = new KeyboardTranslator();
    k.keysym(XK.Control_L, true);
    k.keysym(XK.Alt_R, true);
    expect(k.keysym(XK.p, true)).toEqual(RELEASES);
  });

  it('exports the releases as 1D, E01D, 38, E038 in that order', () => {
    expect(MODIFIER_RELEASE_BEFORE_PASTE).toEqual(RELEASES);
    expect(Object.isFrozen(MODIFIER_RELEASE_BEFORE_PASTE)).toBe(true);
  });
});

describe('paste trigger, QEMU scancode path', () => {
  it('Ctrl+Alt+scancode 19 signals paste and drops P both ways', () => {
    const k = new KeyboardTranslator();
    expect(k.translateExtended(0x1d, true)).toEqual({ events: [down(0x1d)], paste: false });
    expect(k.translateExtended(0x38, true)).toEqual({ events: [down(0x38)], paste: false });
    expect(k.translateExtended(0x19, true)).toEqual({ events: RELEASES, paste: true });
    expect(k.translateExtended(0x19, false)).toEqual({ events: [], paste: false });
  });

  it('recognises right Ctrl and right Alt in QEMU form (0x9D, 0xB8)', () => {
    const k = new KeyboardTranslator();
    expect(k.extended(0x9d, true)).toEqual([down(0xe01d)]);
    expect(k.extended(0xb8, true)).toEqual([down(0xe038)]);
    expect(k.translateExtended(0x19, true).paste).toBe(true);
  });

  it('forwards P normally without the chord', () => {
    const k = new KeyboardTranslator();
    k.extended(0x1d, true);
    expect(k.translateExtended(0x19, true)).toEqual({ events: [down(0x19)], paste: false });
    expect(k.translateExtended(0x19, false)).toEqual({ events: [up(0x19)], paste: false });
  });
});

describe('table additions', () => {
  const code = (ks: number): number | undefined => {
    const e = keysymEntry(ks);
    return e === undefined ? undefined : e & SCANCODE_MASK;
  };

  it.each([
    ['Pause', 0xff13, PAUSE_SCANCODE],
    ['Break', 0xff6b, 0xe046],
    ['Print', 0xff61, 0xe037],
    ['Sys_Req', 0xff15, 0x54],
    ['Menu', 0xff67, 0xe05d],
    ['ISO_Left_Tab', 0xfe20, 0x0f],
    ['KP_Home', 0xff95, 0x47],
    ['KP_Left', 0xff96, 0x4b],
    ['KP_Up', 0xff97, 0x48],
    ['KP_Right', 0xff98, 0x4d],
    ['KP_Down', 0xff99, 0x50],
    ['KP_Prior', 0xff9a, 0x49],
    ['KP_Next', 0xff9b, 0x51],
    ['KP_End', 0xff9c, 0x4f],
    ['KP_Begin', 0xff9d, 0x4c],
    ['KP_Insert', 0xff9e, 0x52],
    ['KP_Delete', 0xff9f, 0x53],
  ])('%s (keysym %i) maps to %i', (_n, ks, sc) => {
    expect(code(ks)).toBe(sc);
    expect(keysymEntry(ks)! & (NEEDS_SHIFT | NEEDS_NO_SHIFT)).toBe(0);
  });

  it('leaves Latin-1 letters unmapped', () => {
    for (const ks of [0xe9, 0xf6, 0xfc, 0xc4, 0xdf]) expect(keysymEntry(ks)).toBeUndefined();
  });

  it('sends Pause as E1 1D 45 E1 9D C5 on press and nothing on release', () => {
    expect(PAUSE_SCANCODE).toBe(0xe11d);
    expect(PAUSE_SEQUENCE).toEqual([down(0xe11d), down(0x45), up(0xe11d), up(0x45)]);
    const k = new KeyboardTranslator();
    expect(k.keysym(0xff13, true)).toEqual(PAUSE_SEQUENCE);
    expect(k.keysym(0xff13, false)).toEqual([]);
    expect(k.heldScancodes).toEqual([]);
  });

  it('turns QEMU Pause (0xC6 = E0 46) into real Pause without Ctrl, and keeps Break with Ctrl', () => {
    const k = new KeyboardTranslator();
    expect(k.extended(0xc6, true)).toEqual(PAUSE_SEQUENCE);
    expect(k.extended(0xc6, false)).toEqual([]);
    k.extended(0x1d, true);
    expect(k.extended(0xc6, true)).toEqual([down(0xe046)]);
    expect(k.extended(0xc6, false)).toEqual([up(0xe046)]);
  });
});

describe('unmappedCount', () => {
  it('counts dropped key presses (not releases), including Unicode-plane keysyms', () => {
    const seen: number[] = [];
    const k = new KeyboardTranslator((ks) => seen.push(ks));
    expect(k.unmappedCount).toBe(0);
    k.keysym(0xe9, true);
    k.keysym(0xe9, false);
    k.keysym(0x1000041, true);
    k.keysym(0x61, true);
    expect(k.unmappedCount).toBe(2);
    expect(seen).toEqual([0xe9, 0x1000041]);
  });
});

describe('releaseAll', () => {
  it('releases every key still held, most recent first, once', () => {
    const k = new KeyboardTranslator();
    k.keysym(0x61, true); // a
    k.keysym(XK.Shift_L, true);
    k.keysym(0x42, true); // B with Shift held: plain 30 down
    k.keysym(XK.Control_L, true);
    expect(k.heldScancodes).toEqual([0x1e, 0x2a, 0x30, 0x1d]);
    expect(k.releaseAll()).toEqual([up(0x1d), up(0x30), up(0x2a), up(0x1e)]);
    expect(k.releaseAll()).toEqual([]);
    expect(k.heldScancodes).toEqual([]);
  });

  it('does not count the synthetic Shift around a shifted character, nor released keys', () => {
    const k = new KeyboardTranslator();
    expect(k.keysym(0x41, true)).toEqual([down(0x2a), down(0x1e), up(0x2a)]);
    k.keysym(0x62, true);
    k.keysym(0x62, false);
    expect(k.releaseAll()).toEqual([up(0x1e)]);
  });

  it('keeps re-pressed Shifts held after an unshifted character', () => {
    const k = new KeyboardTranslator();
    k.keysym(XK.Shift_L, true);
    k.keysym(0x61, true); // 2A up, 1E down, 2A down
    expect(k.releaseAll()).toEqual([up(0x2a), up(0x1e)]);
  });

  it('holds an auto-repeated key once', () => {
    const k = new KeyboardTranslator();
    for (let i = 0; i < 3; i++) k.keysym(0x61, true);
    expect(k.releaseAll()).toEqual([up(0x1e)]);
  });

  it('tracks the QEMU path too, with E0 codes', () => {
    const k = new KeyboardTranslator();
    k.extended(0x1e, true);
    k.extended(0xc8, true);
    k.extended(0x2a, true);
    k.extended(0x2a, false);
    expect(k.releaseAll()).toEqual([up(0xe048), up(0x1e)]);
  });

  it('does not re-release modifiers the paste trigger already released', () => {
    const k = new KeyboardTranslator();
    k.extended(0x1d, true);
    k.extended(0x38, true);
    k.extended(0x2a, true);
    expect(k.translateExtended(0x19, true).paste).toBe(true);
    expect(k.releaseAll()).toEqual([up(0x2a)]);
  });

  it('resets modifier state: afterwards no Shift or paste chord is assumed', () => {
    const k = new KeyboardTranslator();
    k.keysym(XK.Shift_L, true);
    k.keysym(XK.Control_L, true);
    k.keysym(XK.Alt_L, true);
    k.releaseAll();
    expect(k.shiftState).toEqual({ left: false, right: false });
    expect(k.keysym(0x61, true)).toEqual([down(0x1e)]);
    expect(k.translateKeysym(XK.p, true).paste).toBe(false);
  });
});

describe('usKeyEvents and shiftState', () => {
  it('applies the US shift logic to a table entry', () => {
    const A = keysymEntry(0x41)!;
    const a = keysymEntry(0x61)!;
    expect(usKeyEvents(A, true, { left: false, right: false })).toEqual([down(0x2a), down(0x1e), up(0x2a)]);
    expect(usKeyEvents(A, true, { left: false, right: true })).toEqual([down(0x1e)]);
    expect(usKeyEvents(a, true, { left: true, right: true })).toEqual([up(0x2a), up(0x36), down(0x1e), down(0x2a), down(0x36)]);
    expect(usKeyEvents(A, false, { left: false, right: false })).toEqual([up(0x1e)]);
  });

  it('reports the held Shift keys from both paths', () => {
    const k = new KeyboardTranslator();
    k.keysym(XK.Shift_R, true);
    k.extended(0x2a, true);
    expect(k.shiftState).toEqual({ left: true, right: true });
    k.extended(0x36, false);
    expect(k.shiftState).toEqual({ left: true, right: false });
  });
});
