/**
 * Keyboard translation: RFB key events in, set-1 scancodes out to the guest.
 *
 * Two paths, as in OpenVMM:
 * - QEMU Extended Key Event (clients that got our -258 acknowledgement: TigerVNC, noVNC, RealVNC)
 *   carries the XT scancode, so the guest's own layout decides the character. QEMU's form puts
 *   the E0 prefix in bit 7 (0x80..0xFF); we turn that into 0xE0xx.
 * - Plain KeyEvent carries a keysym, which we map through a US table, pressing or releasing
 *   Shift around a key whose character needs the other shift state. Unmapped keysyms are
 *   dropped, counted in `unmappedCount` and reported through `onUnmapped` (the caller logs
 *   them, rate-limited).
 *
 * On both paths the translator also:
 * - detects OpenVMM's paste trigger, Ctrl+Alt+P (Ctrl = Control_L/R or 1D/E01D, Alt = Alt_L/R or
 *   38/E038; P = keysym `p`/`P` or scancode 19): the P press is not forwarded, the guest gets
 *   {@link MODIFIER_RELEASE_BEFORE_PASTE} instead and the result says `paste: true`, so the
 *   caller follows with `pasteSequence(clipboard)` (see `paste.ts`);
 * - remembers every scancode it left pressed in the guest, so {@link KeyboardTranslator.releaseAll}
 *   can lift them when the client goes away and no key sticks;
 * - expands Pause into its E1 sequence (see {@link PAUSE_SCANCODE}). On the QEMU path Pause
 *   arrives as 0xC6 (= E0 46, which a PC keyboard only sends for Ctrl+Pause, i.e. Break); without
 *   Ctrl held it is turned into real Pause, with Ctrl it stays Break.
 */

import type { KeyboardInput } from '@openvmm-vnc-ts/video-core';
import { NEEDS_NO_SHIFT, NEEDS_SHIFT, PAUSE_SCANCODE, SCANCODE_MASK, keysymEntry } from './keysym-table.js';

const SHIFT_L = 0x2a;
const SHIFT_R = 0x36;
const CTRL_L = 0x1d;
const CTRL_R = 0xe01d;
const ALT_L = 0x38;
const ALT_R = 0xe038;
const P_SCANCODE = 0x19;
/** E0 46: what a PC keyboard sends for Ctrl+Pause (Break), and what QEMU clients send for Pause. */
const BREAK_SCANCODE = 0xe046;
const NUM_LOCK = 0x45;

function key(code: number, make: boolean): KeyboardInput {
  return { kind: 'keyboard', code, make };
}

/**
 * What the guest gets instead of the P press that triggers a paste: releases of Ctrl_L,
 * Ctrl_R, Alt_L and Alt_R (1D, E01D, 38, E038, in that order), so the pasted keys are not
 * read as shortcuts.
 */
export const MODIFIER_RELEASE_BEFORE_PASTE: readonly KeyboardInput[] = Object.freeze(
  [CTRL_L, CTRL_R, ALT_L, ALT_R].map((c) => Object.freeze(key(c, false))),
);

/** The events for one Pause press: `E1 1D 45 E1 9D C5` (a real keyboard sends nothing on release). */
export const PAUSE_SEQUENCE: readonly KeyboardInput[] = Object.freeze(
  [key(PAUSE_SCANCODE, true), key(NUM_LOCK, true), key(PAUSE_SCANCODE, false), key(NUM_LOCK, false)].map((k) => Object.freeze(k)),
);

/** Which Shift keys are held, as the US shift logic needs to know. */
export interface ShiftState {
  readonly left: boolean;
  readonly right: boolean;
}

/**
 * The events that press (`down`) or release one US-table entry (scancode plus shift flags,
 * see `keysym-table.ts`) given the Shift keys held: a Shift-needing key is wrapped in Left
 * Shift press/release when no Shift is held; a no-Shift key is wrapped in releasing and
 * re-pressing the held Shifts; a release is always just the key's break.
 */
export function usKeyEvents(entry: number, down: boolean, shift: ShiftState): KeyboardInput[] {
  const code = entry & SCANCODE_MASK;
  if (!down) return [key(code, false)];
  const shiftHeld = shift.left || shift.right;
  if (entry & NEEDS_SHIFT && !shiftHeld) return [key(SHIFT_L, true), key(code, true), key(SHIFT_L, false)];
  if (entry & NEEDS_NO_SHIFT && shiftHeld) {
    const held = [...(shift.left ? [SHIFT_L] : []), ...(shift.right ? [SHIFT_R] : [])];
    return [...held.map((c) => key(c, false)), key(code, true), ...held.map((c) => key(c, true))];
  }
  return [key(code, true)];
}

/** Normalises a QEMU extended-key keycode to a set-1 scancode (0xE0xx for extended keys). */
export function qemuKeycodeToScancode(keycode: number): number {
  const code = keycode & 0xffff;
  if ((code & 0xff80) === 0x80) return 0xe000 | (code & 0x7f);
  return code;
}

/** What one RFB key event turns into. */
export interface KeyTranslation {
  /** Scancode events for the guest, in order (possibly none). */
  readonly events: KeyboardInput[];
  /**
   * True when the event was the Ctrl+Alt+P paste trigger. `events` then holds
   * {@link MODIFIER_RELEASE_BEFORE_PASTE}; send them, then `pasteSequence(clipboard).events`.
   */
  readonly paste: boolean;
}

/** Per-connection keyboard state. */
export class KeyboardTranslator {
  private shiftL = false;
  private shiftR = false;
  private ctrlL = false;
  private ctrlR = false;
  private altL = false;
  private altR = false;
  /** Scancodes this client has pressed in the guest and not yet released, in press order. */
  private readonly pressed = new Set<number>();
  /** Scancodes whose press was consumed (paste trigger, Pause): their release is dropped too. */
  private readonly swallowed = new Set<number>();
  /** Key presses dropped because the keysym has no US scancode. */
  unmappedCount = 0;

  /** `onUnmapped` is told about keysyms the table cannot type (on key down only). */
  constructor(private readonly onUnmapped: (keysym: number) => void = () => {}) {}

  /** The Shift keys currently held (for `pasteSequence`). */
  get shiftState(): ShiftState {
    return { left: this.shiftL, right: this.shiftR };
  }

  /** Scancodes currently held down in the guest by this client, in press order. */
  get heldScancodes(): number[] {
    return [...this.pressed];
  }

  /** Translates an RFB KeyEvent (keysym path). */
  translateKeysym(keysym: number, down: boolean): KeyTranslation {
    switch (keysym) {
      case 0xffe1: this.shiftL = down; break;
      case 0xffe2: this.shiftR = down; break;
      case 0xffe3: this.ctrlL = down; break;
      case 0xffe4: this.ctrlR = down; break;
      case 0xffe9: this.altL = down; break;
      case 0xffea: this.altR = down; break;
    }
    if (down && (keysym === 0x70 || keysym === 0x50) && this.pasteChord()) return this.triggerPaste();
    const entry = keysym <= 0xffff ? keysymEntry(keysym) : undefined;
    if (entry === undefined) {
      if (down) {
        this.unmappedCount++;
        this.onUnmapped(keysym);
      }
      return { events: [], paste: false };
    }
    const code = entry & SCANCODE_MASK;
    if (code === PAUSE_SCANCODE) return { events: down ? [...PAUSE_SEQUENCE] : [], paste: false };
    if (!down && this.swallowed.delete(code)) return { events: [], paste: false };
    return this.forward(usKeyEvents(entry, down, this.shiftState));
  }

  /** Translates a QEMU Extended Key Event (scancode path). */
  translateExtended(keycode: number, down: boolean): KeyTranslation {
    const code = qemuKeycodeToScancode(keycode);
    if (code === 0) return { events: [], paste: false };
    switch (code) {
      case SHIFT_L: this.shiftL = down; break;
      case SHIFT_R: this.shiftR = down; break;
      case CTRL_L: this.ctrlL = down; break;
      case CTRL_R: this.ctrlR = down; break;
      case ALT_L: this.altL = down; break;
      case ALT_R: this.altR = down; break;
    }
    if (down && code === P_SCANCODE && this.pasteChord()) return this.triggerPaste();
    if (!down && this.swallowed.delete(code)) return { events: [], paste: false };
    if (down && code === BREAK_SCANCODE && !(this.ctrlL || this.ctrlR)) {
      this.swallowed.add(code);
      return { events: [...PAUSE_SEQUENCE], paste: false };
    }
    return this.forward([key(code, down)]);
  }

  /** Events-only form of {@link KeyboardTranslator.translateKeysym} (a paste trigger's flag is lost). */
  keysym(keysym: number, down: boolean): KeyboardInput[] {
    return this.translateKeysym(keysym, down).events;
  }

  /** Events-only form of {@link KeyboardTranslator.translateExtended} (a paste trigger's flag is lost). */
  extended(keycode: number, down: boolean): KeyboardInput[] {
    return this.translateExtended(keycode, down).events;
  }

  /**
   * Key releases for every scancode this client still holds down in the guest (most recently
   * pressed first), and a reset of all modifier state. Send them when the client disconnects.
   */
  releaseAll(): KeyboardInput[] {
    const events = [...this.pressed].reverse().map((c) => key(c, false));
    this.pressed.clear();
    this.swallowed.clear();
    this.shiftL = this.shiftR = this.ctrlL = this.ctrlR = this.altL = this.altR = false;
    return events;
  }

  private pasteChord(): boolean {
    return (this.ctrlL || this.ctrlR) && (this.altL || this.altR);
  }

  private triggerPaste(): KeyTranslation {
    this.swallowed.add(P_SCANCODE);
    return this.forward([...MODIFIER_RELEASE_BEFORE_PASTE], true);
  }

  /** Records what `events` leave pressed in the guest, and wraps them as a translation. */
  private forward(events: KeyboardInput[], paste = false): KeyTranslation {
    for (const e of events) {
      if (e.make) this.pressed.add(e.code);
      else this.pressed.delete(e.code);
    }
    return { events, paste };
  }
}
