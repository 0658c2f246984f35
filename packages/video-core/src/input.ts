/**
 * Input events from a console to the guest's synthetic keyboard and mouse.
 *
 * Mirrors OpenVMM's `input_core::InputData`: the keyboard speaks PC set-1 scancodes (an `0xE0`
 * prefix in the high byte, e.g. `0xE048` for Up), the mouse absolute coordinates scaled to
 * `0..=0x7FFF` on both axes, whatever the screen size.
 */

/** Largest absolute mouse coordinate on either axis. */
export const MOUSE_ABSOLUTE_MAX = 0x7fff;

/**
 * Mouse button bits of {@link MouseInput.buttons}, in the HID layout the synthetic mouse reports
 * (left 0x01, right 0x02, middle 0x04, then HID buttons 4 and 5, back and forward), not RFB's
 * (left, middle, right in bits 0, 1, 2; back and forward in bits 7 and 8).
 */
export const MouseButton = {
  LEFT: 0x01,
  RIGHT: 0x02,
  MIDDLE: 0x04,
  BACK: 0x08,
  FORWARD: 0x10,
} as const;

/**
 * Converts an RFB button mask to the synthetic mouse's HID report: bits 0/1/2 (left, middle,
 * right) become HID left/middle/right (0x01/0x04/0x02); bit 3 is a wheel step up (+1), bit 4 a
 * step down (-1, winning when both are set), as OpenVMM's synthetic mouse maps them. Bits 7 and
 * 8 (X11 buttons 8 and 9; RFB's ExtendedMouseButtons back and forward) become HID buttons 4 and
 * 5; bits 5 and 6 (horizontal wheel) have no place in the report and are dropped.
 */
export function rfbButtonsToHid(mask: number): { buttons: number; wheel: number } {
  const buttons =
    (mask & 0x01 ? MouseButton.LEFT : 0) |
    (mask & 0x02 ? MouseButton.MIDDLE : 0) |
    (mask & 0x04 ? MouseButton.RIGHT : 0) |
    (mask & 0x80 ? MouseButton.BACK : 0) |
    (mask & 0x100 ? MouseButton.FORWARD : 0);
  const wheel = mask & 0x10 ? -1 : mask & 0x08 ? 1 : 0;
  return { buttons, wheel };
}

/** A key press or release as a set-1 scancode. */
export interface KeyboardInput {
  readonly kind: 'keyboard';
  /** Set-1 make code; `0xE0xx` for extended keys. */
  readonly code: number;
  /** True for press (make), false for release (break). */
  readonly make: boolean;
}

/** An absolute pointer state. */
export interface MouseInput {
  readonly kind: 'mouse';
  /** Buttons held, HID layout: see {@link MouseButton}. */
  readonly buttons: number;
  /** Wheel movement in this event: +1 up, -1 down, 0 none. */
  readonly wheel: number;
  /** 0..=0x7FFF across the screen width. */
  readonly x: number;
  /** 0..=0x7FFF across the screen height. */
  readonly y: number;
}

/** Anything a console sends to the guest. */
export type InputEvent = KeyboardInput | MouseInput;

/** Where input events go (the guest's synthetic keyboard and mouse). */
export interface InputSink {
  /** Delivers one event; must not throw. */
  send(event: InputEvent): void;
}

/**
 * The guest's keyboard lock LEDs, reported by the guest on its input port (the direction opposite
 * to {@link InputEvent}s), as a PC keyboard driver sets them. Consoles show them to clients that
 * ask (RFB's QEMU LED State pseudo-encoding).
 */
export interface KeyboardLeds {
  readonly kind: 'leds';
  readonly scroll: boolean;
  readonly num: boolean;
  readonly caps: boolean;
}

/** True when `m` is a well-formed {@link KeyboardLeds} message. */
export function isKeyboardLeds(m: unknown): m is KeyboardLeds {
  if (typeof m !== 'object' || m === null) return false;
  const l = m as Record<string, unknown>;
  return l['kind'] === 'leds' && typeof l['scroll'] === 'boolean' && typeof l['num'] === 'boolean' && typeof l['caps'] === 'boolean';
}
