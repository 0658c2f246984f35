/**
 * Turns PC set-1 scancodes back into characters, the way a guest's keyboard driver does.
 *
 * The console side sends raw make/break scancodes (see `input.ts`); which character a key means
 * is the guest's business, decided by its layout. The built-in demo guest uses this US-layout
 * decoder: it tracks Shift (0x2A / 0x36), Ctrl (0x1D / 0xE01D), Alt (0x38 / 0xE038) and the
 * Caps Lock toggle (0x3A, letters only), and maps keys to either a printable character or a
 * named key (Enter, Backspace, Tab, arrows, ...). It is pure state-machine code with no I/O.
 */

/** Keys that do not produce a printable character. */
export type NamedKey =
  | 'Enter'
  | 'Backspace'
  | 'Tab'
  | 'Escape'
  | 'ArrowUp'
  | 'ArrowDown'
  | 'ArrowLeft'
  | 'ArrowRight'
  | 'Home'
  | 'End'
  | 'PageUp'
  | 'PageDown'
  | 'Insert'
  | 'Delete'
  | 'F1' | 'F2' | 'F3' | 'F4' | 'F5' | 'F6' | 'F7' | 'F8' | 'F9' | 'F10' | 'F11' | 'F12';

/** Modifier state at the time of a key press. */
export interface KeyModifiers {
  /** Either Shift is held. */
  readonly shift: boolean;
  /** Either Ctrl is held. */
  readonly ctrl: boolean;
  /** Either Alt is held. */
  readonly alt: boolean;
  /** Caps Lock is on. */
  readonly capsLock: boolean;
}

/** What a key press means. */
export type KeyAction =
  | ({ readonly kind: 'char'; readonly char: string; readonly code: number } & KeyModifiers)
  | ({ readonly kind: 'key'; readonly key: NamedKey; readonly code: number } & KeyModifiers);

/** US layout: scancode -> [unshifted, shifted]. */
const CHARS: ReadonlyMap<number, readonly [string, string]> = new Map<number, readonly [string, string]>([
  [0x02, ['1', '!']], [0x03, ['2', '@']], [0x04, ['3', '#']], [0x05, ['4', '$']], [0x06, ['5', '%']],
  [0x07, ['6', '^']], [0x08, ['7', '&']], [0x09, ['8', '*']], [0x0a, ['9', '(']], [0x0b, ['0', ')']],
  [0x0c, ['-', '_']], [0x0d, ['=', '+']],
  [0x1a, ['[', '{']], [0x1b, [']', '}']], [0x27, [';', ':']], [0x28, ["'", '"']], [0x29, ['`', '~']],
  [0x2b, ['\\', '|']], [0x33, [',', '<']], [0x34, ['.', '>']], [0x35, ['/', '?']], [0x39, [' ', ' ']],
  ...[...'qwertyuiop'].map((c, i) => [0x10 + i, [c, c.toUpperCase()]] as const),
  ...[...'asdfghjkl'].map((c, i) => [0x1e + i, [c, c.toUpperCase()]] as const),
  ...[...'zxcvbnm'].map((c, i) => [0x2c + i, [c, c.toUpperCase()]] as const),
]);

const NAMED: ReadonlyMap<number, NamedKey> = new Map<number, NamedKey>([
  [0x1c, 'Enter'], [0xe01c, 'Enter'], [0x0e, 'Backspace'], [0x0f, 'Tab'], [0x01, 'Escape'],
  [0xe048, 'ArrowUp'], [0xe050, 'ArrowDown'], [0xe04b, 'ArrowLeft'], [0xe04d, 'ArrowRight'],
  [0xe047, 'Home'], [0xe04f, 'End'], [0xe049, 'PageUp'], [0xe051, 'PageDown'],
  [0xe052, 'Insert'], [0xe053, 'Delete'],
  [0x3b, 'F1'], [0x3c, 'F2'], [0x3d, 'F3'], [0x3e, 'F4'], [0x3f, 'F5'], [0x40, 'F6'],
  [0x41, 'F7'], [0x42, 'F8'], [0x43, 'F9'], [0x44, 'F10'], [0x57, 'F11'], [0x58, 'F12'],
]);

/** Left Shift. */
export const SCANCODE_SHIFT_LEFT = 0x2a;
/** Right Shift. */
export const SCANCODE_SHIFT_RIGHT = 0x36;
/** Left Ctrl (right Ctrl is `0xE01D`). */
export const SCANCODE_CTRL_LEFT = 0x1d;
/** Right Ctrl. */
export const SCANCODE_CTRL_RIGHT = 0xe01d;
/** Left Alt (right Alt / AltGr is `0xE038`). */
export const SCANCODE_ALT_LEFT = 0x38;
/** Right Alt. */
export const SCANCODE_ALT_RIGHT = 0xe038;
/** Caps Lock (toggles on make). */
export const SCANCODE_CAPS_LOCK = 0x3a;
/** Enter. */
export const SCANCODE_ENTER = 0x1c;
/** Backspace. */
export const SCANCODE_BACKSPACE = 0x0e;

/** Stateful US-layout set-1 decoder. Feed it every make and break, in order. */
export class KeyboardDecoder {
  private readonly held = new Set<number>();
  private caps = false;

  /** Current modifier state. */
  get modifiers(): KeyModifiers {
    const h = this.held;
    return {
      shift: h.has(SCANCODE_SHIFT_LEFT) || h.has(SCANCODE_SHIFT_RIGHT),
      ctrl: h.has(SCANCODE_CTRL_LEFT) || h.has(SCANCODE_CTRL_RIGHT),
      alt: h.has(SCANCODE_ALT_LEFT) || h.has(SCANCODE_ALT_RIGHT),
      capsLock: this.caps,
    };
  }

  /**
   * Processes one scancode event. Returns what a press means (auto-repeat presses included),
   * or `undefined` for releases, modifier keys and keys this layout does not know.
   */
  feed(code: number, make: boolean): KeyAction | undefined {
    code = code & 0xffff;
    if (!make) {
      this.held.delete(code);
      return undefined;
    }
    switch (code) {
      case SCANCODE_SHIFT_LEFT:
      case SCANCODE_SHIFT_RIGHT:
      case SCANCODE_CTRL_LEFT:
      case SCANCODE_CTRL_RIGHT:
      case SCANCODE_ALT_LEFT:
      case SCANCODE_ALT_RIGHT:
        this.held.add(code);
        return undefined;
      case SCANCODE_CAPS_LOCK:
        // Typematic repeat of a held Caps Lock must not toggle again.
        if (!this.held.has(code)) this.caps = !this.caps;
        this.held.add(code);
        return undefined;
    }
    const mods = this.modifiers;
    const named = NAMED.get(code);
    if (named) return { kind: 'key', key: named, code, ...mods };
    const pair = CHARS.get(code);
    if (!pair) return undefined;
    const [lower, upper] = pair;
    const letter = lower !== upper && /^[a-z]$/.test(lower);
    const shifted = letter ? mods.shift !== mods.capsLock : mods.shift;
    return { kind: 'char', char: shifted ? upper : lower, code, ...mods };
  }

  /** Forgets all held keys and turns Caps Lock off. */
  reset(): void {
    this.held.clear();
    this.caps = false;
  }
}

/**
 * Decodes a whole sequence of events into the text a simple line editor would hold: characters
 * are appended (Ctrl/Alt chords are ignored), Enter appends `\n`, Tab `\t`, Backspace deletes
 * the last character. Handy for tests.
 */
export function decodeScancodes(events: Iterable<{ readonly code: number; readonly make: boolean }>): string {
  const dec = new KeyboardDecoder();
  let text = '';
  for (const e of events) {
    const a = dec.feed(e.code, e.make);
    if (!a) continue;
    if (a.kind === 'char') {
      if (!a.ctrl && !a.alt) text += a.char;
    } else if (a.key === 'Enter') text += '\n';
    else if (a.key === 'Tab') text += '\t';
    else if (a.key === 'Backspace') text = text.slice(0, -1);
  }
  return text;
}

/**
 * The make/break events that type `text` on a US keyboard (Shift pressed around characters
 * that need it; `\n` is Enter, `\t` Tab, `\b` Backspace). Characters the layout cannot type are
 * skipped. The inverse of {@link decodeScancodes}, for tests and demos.
 */
export function typeText(text: string): { code: number; make: boolean }[] {
  const out: { code: number; make: boolean }[] = [];
  const tap = (code: number): void => {
    out.push({ code, make: true }, { code, make: false });
  };
  for (const ch of text) {
    if (ch === '\n') tap(SCANCODE_ENTER);
    else if (ch === '\t') tap(0x0f);
    else if (ch === '\b') tap(SCANCODE_BACKSPACE);
    else {
      for (const [code, [lower, upper]] of CHARS) {
        if (ch === lower) {
          tap(code);
          break;
        }
        if (ch === upper) {
          out.push({ code: SCANCODE_SHIFT_LEFT, make: true });
          tap(code);
          out.push({ code: SCANCODE_SHIFT_LEFT, make: false });
          break;
        }
      }
    }
  }
  return out;
}
