/**
 * Clipboard paste as typing (OpenVMM's Ctrl+Alt+P): the last text the client put on the
 * clipboard (ClientCutText, Latin-1) is typed into the guest key by key, since the guest has no
 * clipboard channel.
 *
 * Per character:
 * - U+0020..U+007E: the US-table key pressed then released, with the usual Shift logic
 *   ('A' gives 2A make, 1E make, 2A break, 1E break).
 * - Any other code point below 256, control characters included (so a newline is Alt+0 1 0,
 *   not Enter): Windows Alt+Numpad entry with a leading 0, which selects the ANSI code page
 *   (CP-1252): Alt (38) make, then each digit's keypad key pressed and released, then Alt
 *   break. The digits are "0" followed by the decimal value (ö, 246: 0 2 4 6).
 * - U+0100 and above, where Windows can still type it ({@link ANSI_EXTRAS}: the euro sign, curly
 *   quotes, dashes and the other CP-1252 characters, Alt+0 and the byte; {@link OEM_EXTRAS}: the
 *   CP-437 box drawing, Greek and maths glyphs, Alt and the byte without the leading 0).
 * - Anything else (most of Unicode, e.g. CJK or emoji): skipped and counted; the connection logs
 *   the count. No key sequence of the synthetic keyboard can produce those characters.
 *
 * This only types correctly on Windows guests (Alt+Numpad), with a US layout for the ASCII part.
 * The caller sends {@link MODIFIER_RELEASE_BEFORE_PASTE} first (the translator's paste result
 * already contains it) and then these events, back to back.
 */

import type { KeyboardInput } from '@openvmm-vnc-ts/video-core';
import { type ShiftState, usKeyEvents } from './keyboard.js';
import { ANSI_EXTRAS, OEM_EXTRAS } from './codepage-table.js';
import { keysymEntry } from './keysym-table.js';

export { MODIFIER_RELEASE_BEFORE_PASTE } from './keyboard.js';

/** Keypad scancodes for the digits 0..9 (Num Lock layout). */
export const NUMPAD_DIGIT_SCANCODES: readonly number[] = Object.freeze([0x52, 0x4f, 0x50, 0x51, 0x4b, 0x4c, 0x4d, 0x47, 0x48, 0x49]);

const ALT_L = 0x38;

/** The result of {@link pasteSequence}. */
export interface PasteSequence {
  /** Scancode events that type the text. */
  readonly events: KeyboardInput[];
  /** Code points that could not be typed (no key and no Alt+Numpad code), each counted once. */
  readonly skipped: number;
}

function key(code: number, make: boolean): KeyboardInput {
  return { kind: 'keyboard', code, make };
}

const NO_SHIFT: ShiftState = { left: false, right: false };

/**
 * The key events that type `text` into a Windows guest (see the module comment for the rules).
 * `shift` is the Shift state the client currently holds (`KeyboardTranslator.shiftState`);
 * by default none. The sequence leaves every key it pressed released again.
 */
export function pasteSequence(text: string, shift: ShiftState = NO_SHIFT): PasteSequence {
  const events: KeyboardInput[] = [];
  let skipped = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x20 && cp <= 0x7e) {
      const entry = keysymEntry(cp)!;
      events.push(...usKeyEvents(entry, true, shift), ...usKeyEvents(entry, false, shift));
    } else if (cp < 0x100) {
      altNumpad(events, `0${cp}`);
    } else if (ANSI_EXTRAS.has(cp)) {
      altNumpad(events, `0${ANSI_EXTRAS.get(cp)!}`);
    } else if (OEM_EXTRAS.has(cp)) {
      altNumpad(events, `${OEM_EXTRAS.get(cp)!}`);
    } else {
      skipped++;
    }
  }
  return { events, skipped };
}

/** Alt held while `digits` are typed on the keypad. */
function altNumpad(events: KeyboardInput[], digits: string): void {
  events.push(key(ALT_L, true));
  for (const d of digits) {
    const code = NUMPAD_DIGIT_SCANCODES[d.charCodeAt(0) - 0x30]!;
    events.push(key(code, true), key(code, false));
  }
  events.push(key(ALT_L, false));
}

/** Decodes ClientCutText bytes the way OpenVMM does: Latin-1, one byte per code point. */
export function latin1Text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
