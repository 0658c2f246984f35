/**
 * The demo guest: something pleasant to look at (and poke) in a VNC viewer.
 *
 * It behaves like a tiny OS console running on its own vCPU thread: a gradient title bar with a
 * ticking clock (HH:MM:SS, local time) in its corner, a text console that echoes what you type
 * (decoded from set-1 scancodes with the US layout; Enter, Backspace, Tab, Ctrl+L to clear; it
 * scrolls when full), a rainbow panel on wide screens, and a status line showing the mouse
 * position and buttons and the last key. It sends a colour arrow pointer with POINTER_SHAPE at
 * start and follows the mouse with POINTER_POSITION.
 *
 * Like a good guest driver it reports with DIRT exactly what each draw changed: a character is
 * one or two cells, a clock tick only the clock's rect, a mouse event only the status field; a
 * scroll dirties the console area. That makes it a good exercise for the device-dirty path.
 */

import type { DirtyRect } from '../dirty-rect.js';
import type { InputEvent, KeyboardLeds } from '../input.js';
import { MOUSE_ABSOLUTE_MAX, MouseButton } from '../input.js';
import { silentLogger } from '../log.js';
import { GuestCanvas, unionRects } from './canvas.js';
import { SynthvidGuestDriver } from './driver.js';
import { FONT_CELL_HEIGHT, FONT_CELL_WIDTH } from './font.js';
import { KeyboardDecoder } from './keyboard-decoder.js';
import type { KeyAction } from './keyboard-decoder.js';
import { guestSurfaceSize, parseInputEvent, quietly } from './options.js';
import type { GuestHandle, GuestOptions } from './options.js';
import { ARROW_POINTER } from './pointer.js';

/** Smallest surface the demo supports. */
export const DEMO_MIN_WIDTH = 320;
/** Smallest surface the demo supports. */
export const DEMO_MIN_HEIGHT = 200;
/** Characters in the status line's mouse field (`mouse 1023, 767 LMRBF`: left, middle, right, back, forward). */
export const DEMO_MOUSE_FIELD_CHARS = 22;
/** Characters in the status line's last-key field. */
export const DEMO_KEY_FIELD_CHARS = 18;
/** Console text colour. */
export const DEMO_CONSOLE_FG = 0x9ef59e;
/** Console background colour. */
export const DEMO_CONSOLE_BG = 0x000000;
/** Background of the status line. */
export const DEMO_STATUS_BG = 0x303030;
/** Text colour of the status line. */
export const DEMO_STATUS_FG = 0xe0e0e0;
const STATUS_BG = DEMO_STATUS_BG;
const STATUS_FG = DEMO_STATUS_FG;
const TITLE_FG = 0xffffff;
const DESKTOP_BG = 0x182028;

/** Where the demo's parts sit on a `width` x `height` surface (rects right/bottom exclusive). */
export interface DemoLayout {
  /** Surface width the layout is for. */
  readonly width: number;
  /** Surface height the layout is for. */
  readonly height: number;
  /** The title bar across the top (24 px). */
  readonly titleBar: DirtyRect;
  /** The clock text (8 characters at scale 2) in the title bar's right corner. */
  readonly clock: DirtyRect;
  /** The console's text area: `cols` x `rows` cells of 12x16 px. */
  readonly console: DirtyRect;
  /** Console width in character cells. */
  readonly cols: number;
  /** Console height in character cells (lines). */
  readonly rows: number;
  /** The rainbow panel (only when the surface is at least 640 wide). */
  readonly panel: DirtyRect | undefined;
  /** The status line across the bottom (24 px). */
  readonly statusBar: DirtyRect;
  /** The mouse field of the status line. */
  readonly mouseField: DirtyRect;
  /** The last-key field of the status line (may extend past a narrow surface). */
  readonly keyField: DirtyRect;
}

/** The layout of the demo on a `width` x `height` surface (at least 320x200). */
export function demoLayout(width: number, height: number): DemoLayout {
  if (width < DEMO_MIN_WIDTH || height < DEMO_MIN_HEIGHT) {
    throw new RangeError(`demo guest needs at least ${DEMO_MIN_WIDTH}x${DEMO_MIN_HEIGHT}, got ${width}x${height}`);
  }
  const cw = FONT_CELL_WIDTH;
  const ch = FONT_CELL_HEIGHT;
  const panel = width >= 640 ? { left: width - 8 - 192, top: 32, right: width - 8, bottom: height - 32 } : undefined;
  const consoleLimit = panel ? panel.left - 8 : width - 8;
  const cols = Math.floor((consoleLimit - 8) / cw);
  const rows = Math.floor((height - 64) / ch);
  const statusY = height - 20;
  return {
    width,
    height,
    titleBar: { left: 0, top: 0, right: width, bottom: 24 },
    clock: { left: width - 8 - 8 * cw, top: 4, right: width - 8, bottom: 4 + ch },
    console: { left: 8, top: 32, right: 8 + cols * cw, bottom: 32 + rows * ch },
    cols,
    rows,
    panel,
    statusBar: { left: 0, top: height - 24, right: width, bottom: height },
    mouseField: { left: 8, top: statusY, right: 8 + DEMO_MOUSE_FIELD_CHARS * cw, bottom: statusY + ch },
    keyField: {
      left: 8 + (DEMO_MOUSE_FIELD_CHARS + 2) * cw,
      top: statusY,
      right: 8 + (DEMO_MOUSE_FIELD_CHARS + 2 + DEMO_KEY_FIELD_CHARS) * cw,
      bottom: statusY + ch,
    },
  };
}

/** Options of the demo guest beyond {@link GuestOptions}. */
export interface DemoGuestOptions extends GuestOptions {
  /** The clock's time source; default `() => new Date()`. */
  readonly now?: () => Date;
  /** Clock redraw period; default: on each wall-clock second boundary. */
  readonly clockIntervalMs?: number;
}

/** A running demo guest. */
export interface DemoGuest extends GuestHandle {
  /** Where everything is. */
  readonly layout: DemoLayout;
  /** The surface the guest draws on. */
  readonly canvas: GuestCanvas;
  /** The protocol driver (for tests). */
  readonly driver: SynthvidGuestDriver;
  /** The console's text, lines joined with `\n` (trailing empty lines trimmed). */
  consoleText(): string;
}

/** `HH:MM:SS` of `d` in local time. */
export function formatClock(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function lerp(a: number, b: number, t: number): number {
  const ch = (shift: number): number => {
    const x = (a >>> shift) & 0xff;
    const y = (b >>> shift) & 0xff;
    return Math.round(x + (y - x) * t) << shift;
  };
  return ch(16) | ch(8) | ch(0);
}

function hsv(h: number, s: number, v: number): number {
  const f = (n: number): number => {
    const k = (n + h / 60) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return (f(5) << 16) | (f(3) << 8) | f(1);
}

function rectArgs(r: DirtyRect): [number, number, number, number] {
  return [r.left, r.top, r.right - r.left, r.bottom - r.top];
}

/**
 * Starts the demo guest on the current thread. Throws `RangeError` synchronously for a bad
 * size; bring-up failures reject {@link DemoGuest.ready}. Input received before the device is
 * up is dropped.
 */
export function startDemoGuest(opts: DemoGuestOptions): DemoGuest {
  const { width, height } = guestSurfaceSize(opts);
  const L = demoLayout(width, height);
  const log = (opts.logger ?? silentLogger).child('demo-guest');
  const now = opts.now ?? ((): Date => new Date());
  const canvas = new GuestCanvas(opts.vram, { width, height });
  const driver = new SynthvidGuestDriver(opts.video, { logger: log, ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) });
  const decoder = new KeyboardDecoder();
  const lines: string[] = Array.from({ length: L.rows }, () => '');
  let row = 0;
  let col = 0;
  let live = false;
  let stopped = false;
  let clockText = '';
  let clockTimer: ReturnType<typeof setTimeout> | undefined;

  const titleColour = (x: number): number => lerp(0x1e3c72, 0x7b2a8c, x / Math.max(1, width - 1));
  const cell = (r: number, c: number): DirtyRect => ({
    left: L.console.left + c * FONT_CELL_WIDTH,
    top: L.console.top + r * FONT_CELL_HEIGHT,
    right: L.console.left + (c + 1) * FONT_CELL_WIDTH,
    bottom: L.console.top + (r + 1) * FONT_CELL_HEIGHT,
  });
  /** Redraws cell (r, c) from the text buffer, with the cursor if it is there. */
  const drawCell = (r: number, c: number): DirtyRect => {
    const rect = cell(r, c);
    canvas.drawText(rect.left, rect.top, lines[r]![c] ?? ' ', DEMO_CONSOLE_FG, DEMO_CONSOLE_BG);
    if (r === row && c === col && c < L.cols) canvas.fillRect(rect.left, rect.bottom - 3, FONT_CELL_WIDTH, 2, DEMO_CONSOLE_FG);
    return rect;
  };
  const drawConsole = (): DirtyRect => {
    canvas.fillRect(...rectArgs(L.console), DEMO_CONSOLE_BG);
    lines.forEach((text, r) => canvas.drawText(L.console.left, L.console.top + r * FONT_CELL_HEIGHT, text, DEMO_CONSOLE_FG, undefined));
    drawCell(row, col);
    return L.console;
  };

  const drawClock = (): DirtyRect | undefined => {
    const text = formatClock(now());
    if (text === clockText) return undefined;
    clockText = text;
    canvas.fillWith(...rectArgs(L.clock), (x) => titleColour(x));
    return canvas.drawText(L.clock.left, L.clock.top, text, TITLE_FG, undefined);
  };
  let mouseText = 'mouse    -,   - -----';
  let keyText = 'key -';
  const drawStatusField = (field: DirtyRect, text: string, chars: number): DirtyRect | undefined =>
    canvas.drawText(field.left, field.top, text.padEnd(chars).slice(0, chars), STATUS_FG, STATUS_BG);

  const drawAll = (): DirtyRect => {
    canvas.clear(DESKTOP_BG);
    canvas.fillWith(...rectArgs(L.titleBar), (x) => titleColour(x));
    const title = `openvmm-vnc-ts demo ${width}x${height}`;
    const maxChars = Math.max(0, Math.floor((L.clock.left - 16) / FONT_CELL_WIDTH));
    canvas.drawText(8, 4, title.slice(0, maxChars), TITLE_FG, undefined);
    clockText = '';
    drawClock();
    canvas.strokeRect(L.console.left - 1, L.console.top - 1, L.console.right - L.console.left + 2, L.console.bottom - L.console.top + 2, 0x607080);
    drawConsole();
    if (L.panel) {
      const p = L.panel;
      const pw = p.right - p.left;
      const ph = p.bottom - p.top;
      canvas.fillWith(...rectArgs(p), (x, y) => hsv((360 * (y - p.top)) / ph, 1, 1 - (0.8 * (x - p.left)) / pw));
    }
    canvas.fillRect(...rectArgs(L.statusBar), STATUS_BG);
    drawStatusField(L.mouseField, mouseText, DEMO_MOUSE_FIELD_CHARS);
    drawStatusField(L.keyField, keyText, DEMO_KEY_FIELD_CHARS);
    return canvas.bounds;
  };

  /** Moves the cursor to the next line, scrolling when at the bottom; returns what changed. */
  const newline = (): DirtyRect[] => {
    const old = { r: row, c: col };
    col = 0;
    if (row + 1 < L.rows) {
      row++;
      return [drawCell(old.r, Math.min(old.c, L.cols - 1)), drawCell(row, col)];
    }
    lines.shift();
    lines.push('');
    canvas.scroll(...rectArgs(L.console), FONT_CELL_HEIGHT, DEMO_CONSOLE_BG);
    // The old cursor row moved up one line; redraw it without the cursor, then the new cursor.
    drawCell(row - 1, Math.min(old.c, L.cols - 1));
    drawCell(row, col);
    return [L.console];
  };
  const putChar = (ch: string): DirtyRect[] => {
    const line = lines[row] ?? '';
    lines[row] = line.padEnd(col).slice(0, col) + ch + line.slice(col + 1);
    col++;
    const written = drawCell(row, col - 1);
    if (col >= L.cols) return [written, ...newline()];
    return [unionRects(written, drawCell(row, col))!];
  };
  const backspace = (): DirtyRect[] => {
    if (col === 0) return [];
    col--;
    lines[row] = (lines[row] ?? '').slice(0, col);
    return [unionRects(drawCell(row, col + 1), drawCell(row, col))!];
  };

  const onKey = (a: KeyAction): DirtyRect[] => {
    const label = a.kind === 'char' ? (a.char === ' ' ? 'Space' : a.char) : a.key;
    keyText = `key ${a.ctrl ? 'Ctrl+' : ''}${a.alt ? 'Alt+' : ''}${label}`;
    const dirty: (DirtyRect | undefined)[] = [drawStatusField(L.keyField, keyText, DEMO_KEY_FIELD_CHARS)];
    if (a.kind === 'char' && a.ctrl && a.char.toLowerCase() === 'l') {
      lines.fill('');
      row = 0;
      col = 0;
      dirty.push(drawConsole());
    } else if (a.kind === 'char' && !a.ctrl && !a.alt) {
      dirty.push(...putChar(a.char));
    } else if (a.kind === 'key') {
      if (a.key === 'Enter') dirty.push(...newline());
      else if (a.key === 'Backspace') dirty.push(...backspace());
      else if (a.key === 'Tab') {
        do dirty.push(...putChar(' '));
        while (col % 4 !== 0 && col !== 0);
      }
    }
    return dirty.filter((r): r is DirtyRect => r !== undefined);
  };
  /** Redraws the mouse field if needed; returns what changed and where the pointer goes. */
  const onMouse = (buttons: number, x: number, y: number): { dirty: DirtyRect[]; px: number; py: number } => {
    const px = Math.round((Math.max(0, Math.min(MOUSE_ABSOLUTE_MAX, x)) * (width - 1)) / MOUSE_ABSOLUTE_MAX);
    const py = Math.round((Math.max(0, Math.min(MOUSE_ABSOLUTE_MAX, y)) * (height - 1)) / MOUSE_ABSOLUTE_MAX);
    const b = (bit: number, c: string): string => (buttons & bit ? c : '-');
    const text = `mouse ${String(px).padStart(4)},${String(py).padStart(4)} ${b(MouseButton.LEFT, 'L')}${b(MouseButton.MIDDLE, 'M')}${b(MouseButton.RIGHT, 'R')}${b(MouseButton.BACK, 'B')}${b(MouseButton.FORWARD, 'F')}`;
    if (text === mouseText) return { dirty: [], px, py };
    mouseText = text;
    const r = drawStatusField(L.mouseField, mouseText, DEMO_MOUSE_FIELD_CHARS);
    return { dirty: r ? [r] : [], px, py };
  };

  /** Tells the host the lock LEDs, as a keyboard driver does after a lock key. */
  const reportLeds = (): void => {
    const leds: KeyboardLeds = { kind: 'leds', scroll: false, num: false, caps: decoder.modifiers.capsLock };
    opts.input.postMessage(leds);
  };

  const onInput = (data: unknown): void => {
    const ev: InputEvent | undefined = parseInputEvent(data);
    if (!ev) {
      log.limited('warn', 'demo-bad-input', 'ignoring malformed input message');
      return;
    }
    if (!live) return;
    try {
      if (ev.kind === 'keyboard') {
        const capsBefore = decoder.modifiers.capsLock;
        const a = decoder.feed(ev.code, ev.make);
        if (a) driver.sendDirt(onKey(a));
        if (decoder.modifiers.capsLock !== capsBefore) reportLeds();
      } else {
        const m = onMouse(ev.buttons, ev.x, ev.y);
        driver.sendDirt(m.dirty);
        // Move the pointer after reporting the status redraw, so a host that sees the new
        // position has already seen the DIRT for it.
        driver.setPointerPosition(m.px, m.py);
      }
    } catch (e) {
      log.limited('warn', 'demo-input-failed', 'handling input failed', { error: String(e) });
    }
  };
  opts.input.on('message', onInput);

  const scheduleClock = (): void => {
    if (stopped) return;
    const delay = opts.clockIntervalMs ?? 1000 - (Date.now() % 1000);
    clockTimer = setTimeout(() => {
      clockTimer = undefined;
      if (stopped) return;
      try {
        const r = drawClock();
        if (r) driver.sendDirt([r]);
      } catch (e) {
        log.limited('warn', 'demo-clock-failed', 'clock update failed', { error: String(e) });
      }
      scheduleClock();
    }, Math.max(1, delay));
  };

  const ready = quietly(
    (async () => {
      await driver.connect({ width, height });
      if (stopped) throw new Error('demo guest stopped');
      lines[0] = 'Welcome to the openvmm-vnc-ts demo guest.'.slice(0, L.cols);
      lines[1] = 'Type here; Ctrl+L clears the console.'.slice(0, L.cols);
      row = 3;
      col = 0;
      driver.sendDirt([drawAll()]);
      driver.setPointerShape(ARROW_POINTER);
      driver.setPointerPosition(width >> 1, height >> 1);
      reportLeds();
      live = true;
      scheduleClock();
      log.info('demo guest running', { width, height });
    })(),
  );
  ready.catch((e: unknown) => {
    if (!stopped) log.error('demo guest failed to start', { error: String(e) });
  });

  return {
    layout: L,
    canvas,
    driver,
    ready,
    consoleText: () => lines.join('\n').replace(/\n+$/, ''),
    stop(): void {
      if (stopped) return;
      stopped = true;
      live = false;
      if (clockTimer) clearTimeout(clockTimer);
      clockTimer = undefined;
      driver.close();
      opts.input.off('message', onInput);
      opts.video.close();
      opts.input.close();
    },
  };
}
