/**
 * QEMU LED State pseudo-encoding (-261): tells a client which keyboard LEDs (Scroll, Num, Caps
 * Lock) are lit in the guest, so its own lock keys can follow. One empty rect (0,0,0,0) with
 * the encoding number, then one byte. Only send it to clients that listed -261.
 */

import type { ByteWriter } from './byte-writer.js';
import { writeRectHeader } from './encodings/encoder.js';

/** The QEMU LED State pseudo-encoding number. */
export const LED_STATE_ENCODING = -261;

/** Keyboard lock LEDs. */
export interface LedState {
  readonly scroll: boolean;
  readonly num: boolean;
  readonly caps: boolean;
}

/** The LED byte: bit 0 Scroll Lock, bit 1 Num Lock, bit 2 Caps Lock. */
export function ledStateByte(leds: LedState): number {
  return (leds.scroll ? 1 : 0) | (leds.num ? 2 : 0) | (leds.caps ? 4 : 0);
}

/** Appends the LED State rect (13 bytes; one rectangle of the FramebufferUpdate) to `out`. */
export function encodeLedState(out: ByteWriter, leds: LedState): void {
  writeRectHeader(out, 0, 0, 0, 0, LED_STATE_ENCODING);
  out.u8(ledStateByte(leds));
}
