/**
 * X11 keysym -> PC set-1 scancode for a US keyboard layout.
 *
 * Used when a client sends plain RFB KeyEvents (keysyms) rather than QEMU Extended Key Events
 * (which carry the scancode itself). A printable keysym also records whether the US layout
 * needs Shift for it, so the translator can press or release Shift around it. Built once, with
 * a load-time check that no keysym is defined twice.
 *
 * Pause is special: a real keyboard sends `E1 1D 45 E1 9D C5` on press and nothing on release.
 * Its entry holds the pseudo-scancode {@link PAUSE_SCANCODE} (`0xE11D`, the E1-prefixed
 * `1D`), which the translator expands into that whole sequence; see `keyboard.ts`. Latin-1
 * keysyms (é, ö, ...) stay unmapped: a US layout has no key for them.
 */

/** The key needs Shift held on a US layout (e.g. `A`, `!`). */
export const NEEDS_SHIFT = 0x10000;
/** The key must be typed without Shift (e.g. `a`, `1`). */
export const NEEDS_NO_SHIFT = 0x20000;
/** Mask of the scancode part of an entry. */
export const SCANCODE_MASK = 0xffff;
/**
 * Pseudo-scancode for Pause: the E1-prefixed `1D` (OpenVMM's synthetic keyboard turns a high
 * byte of `0xE1` into its E1 flag). Never sent alone: the translator expands it into
 * `E11D make, 45 make, E11D break, 45 break`, i.e. the bytes `E1 1D 45 E1 9D C5`.
 */
export const PAUSE_SCANCODE = 0xe11d;

const table = new Map<number, number>();

function add(keysym: number, entry: number): void {
  if (table.has(keysym)) throw new Error(`keysym 0x${keysym.toString(16)} defined twice`);
  table.set(keysym, entry);
}

/** Adds an unshifted/shifted character pair on one key. */
function pair(unshifted: string, shifted: string, scancode: number): void {
  add(unshifted.charCodeAt(0), scancode | NEEDS_NO_SHIFT);
  add(shifted.charCodeAt(0), scancode | NEEDS_SHIFT);
}

// Digit row.
'1234567890'.split('').forEach((d, i) => pair(d, '!@#$%^&*()'[i]!, 0x02 + i));
pair('-', '_', 0x0c);
pair('=', '+', 0x0d);
// Letter rows: each letter lower (no shift) / upper (shift).
for (const [row, first] of [
  ['qwertyuiop', 0x10],
  ['asdfghjkl', 0x1e],
  ['zxcvbnm', 0x2c],
] as const) {
  row.split('').forEach((c, i) => pair(c, c.toUpperCase(), first + i));
}
pair('[', '{', 0x1a);
pair(']', '}', 0x1b);
pair(';', ':', 0x27);
pair("'", '"', 0x28);
pair('`', '~', 0x29);
pair('\\', '|', 0x2b);
pair(',', '<', 0x33);
pair('.', '>', 0x34);
pair('/', '?', 0x35);
add(0x20, 0x39); // space

const named: [number, number][] = [
  [0xff08, 0x0e], // BackSpace
  [0xff09, 0x0f], // Tab
  [0xff0d, 0x1c], // Return
  [0xff1b, 0x01], // Escape
  [0xff63, 0xe052], // Insert
  [0xffff, 0xe053], // Delete
  [0xff50, 0xe047], // Home
  [0xff57, 0xe04f], // End
  [0xff55, 0xe049], // Page Up
  [0xff56, 0xe051], // Page Down
  [0xff51, 0xe04b], // Left
  [0xff52, 0xe048], // Up
  [0xff53, 0xe04d], // Right
  [0xff54, 0xe050], // Down
  [0xffe1, 0x2a], // Shift_L
  [0xffe2, 0x36], // Shift_R
  [0xffe3, 0x1d], // Control_L
  [0xffe4, 0xe01d], // Control_R
  [0xffe7, 0xe05b], // Meta_L
  [0xffe8, 0xe05c], // Meta_R
  [0xffeb, 0xe05b], // Super_L
  [0xffec, 0xe05c], // Super_R
  [0xffe9, 0x38], // Alt_L
  [0xffea, 0xe038], // Alt_R
  [0xfe03, 0xe038], // ISO_Level3_Shift (AltGr)
  [0xff67, 0xe05d], // Menu
  [0xffe5, 0x3a], // Caps_Lock
  [0xff7f, 0x45], // Num_Lock
  [0xff14, 0x46], // Scroll_Lock
  [0xff61, 0xe037], // Print
  [0xff15, 0x54], // Sys_Req (what Alt+Print sends)
  [0xff13, PAUSE_SCANCODE], // Pause (expanded by the translator)
  [0xff6b, 0xe046], // Break (Ctrl+Pause)
  [0xfe20, 0x0f], // ISO_Left_Tab (Shift+Tab on X11 clients; Shift is already held)
  [0xffc8, 0x57], // F11
  [0xffc9, 0x58], // F12
  // Keypad.
  [0xffb0, 0x52],
  [0xffb1, 0x4f],
  [0xffb2, 0x50],
  [0xffb3, 0x51],
  [0xffb4, 0x4b],
  [0xffb5, 0x4c],
  [0xffb6, 0x4d],
  [0xffb7, 0x47],
  [0xffb8, 0x48],
  [0xffb9, 0x49],
  [0xffae, 0x53], // KP_Decimal
  [0xffab, 0x4e], // KP_Add
  [0xffad, 0x4a], // KP_Subtract
  [0xffaa, 0x37], // KP_Multiply
  [0xffaf, 0xe035], // KP_Divide
  [0xff8d, 0xe01c], // KP_Enter
  // Keypad navigation keysyms (sent with Num Lock off): the same keys as the digits.
  [0xff95, 0x47], // KP_Home
  [0xff96, 0x4b], // KP_Left
  [0xff97, 0x48], // KP_Up
  [0xff98, 0x4d], // KP_Right
  [0xff99, 0x50], // KP_Down
  [0xff9a, 0x49], // KP_Prior
  [0xff9b, 0x51], // KP_Next
  [0xff9c, 0x4f], // KP_End
  [0xff9d, 0x4c], // KP_Begin
  [0xff9e, 0x52], // KP_Insert
  [0xff9f, 0x53], // KP_Delete
];
for (const [keysym, code] of named) add(keysym, code);
// F1..F10 are consecutive set-1 codes 0x3B..0x44.
for (let i = 0; i < 10; i++) add(0xffbe + i, 0x3b + i);

/** Looks up a keysym: the table entry (scancode plus shift flags), or `undefined`. */
export function keysymEntry(keysym: number): number | undefined {
  return table.get(keysym);
}

/** Number of keysyms in the table. */
export const KEYSYM_TABLE_SIZE = table.size;
