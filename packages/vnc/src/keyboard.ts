/**
 * Keyboard translation: RFB key events in, set-1 scancodes out to the guest.
 *
 * Two paths, as in OpenVMM:
 * - QEMU Extended Key Event (clients that got our -258 acknowledgement: TigerVNC, noVNC, RealVNC)
 *   carries the XT scancode, so the guest's own layout decides the character. QEMU's form puts
 *   the E0 prefix in bit 7 (0x80..0xFF); we turn that into 0xE0xx.
 * - Plain KeyEvent carries a keysym, which we map through a US table, pressing or releasing
 *   Shift around a key whose character needs the other shift state. Unmapped keysyms are
 *   dropped and reported through `onUnmapped` (the caller logs them, rate-limited).
 */

import type { KeyboardInput } from '@openvmm-vnc-ts/video-core';
import { NEEDS_NO_SHIFT, NEEDS_SHIFT, SCANCODE_MASK, keysymEntry } from './keysym-table.js';

const SHIFT_L = 0x2a;
const SHIFT_R = 0x36;

function key(code: number, make: boolean): KeyboardInput {
  return { kind: 'keyboard', code, make };
}

/** Normalises a QEMU extended-key keycode to a set-1 scancode (0xE0xx for extended keys). */
export function qemuKeycodeToScancode(keycode: number): number {
  const code = keycode & 0xffff;
  if ((code & 0xff80) === 0x80) return 0xe000 | (code & 0x7f);
  return code;
}

/** Per-connection keyboard state. */
export class KeyboardTranslator {
  private shiftL = false;
  private shiftR = false;

  /** `onUnmapped` is told about keysyms the table cannot type. */
  constructor(private readonly onUnmapped: (keysym: number) => void = () => {}) {}

  /** Translates an RFB KeyEvent into scancode events (possibly none, possibly with Shift). */
  keysym(keysym: number, down: boolean): KeyboardInput[] {
    if (keysym === 0xffe1) this.shiftL = down;
    if (keysym === 0xffe2) this.shiftR = down;
    const entry = keysym <= 0xffff ? keysymEntry(keysym) : undefined;
    if (entry === undefined) {
      if (down) this.onUnmapped(keysym);
      return [];
    }
    const code = entry & SCANCODE_MASK;
    if (!down) return [key(code, false)];
    const shiftHeld = this.shiftL || this.shiftR;
    if (entry & NEEDS_SHIFT && !shiftHeld) {
      return [key(SHIFT_L, true), key(code, true), key(SHIFT_L, false)];
    }
    if (entry & NEEDS_NO_SHIFT && shiftHeld) {
      const held = [...(this.shiftL ? [SHIFT_L] : []), ...(this.shiftR ? [SHIFT_R] : [])];
      return [...held.map((c) => key(c, false)), key(code, true), ...held.map((c) => key(c, true))];
    }
    return [key(code, true)];
  }

  /** Translates a QEMU Extended Key Event. */
  extended(keycode: number, down: boolean): KeyboardInput[] {
    const code = qemuKeycodeToScancode(keycode);
    if (code === 0) return [];
    if (code === SHIFT_L) this.shiftL = down;
    if (code === SHIFT_R) this.shiftR = down;
    return [key(code, down)];
  }
}
