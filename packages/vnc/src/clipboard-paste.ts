/**
 * The client's clipboard and the Ctrl+Alt+P paste that types it into the guest.
 *
 * The text comes from plain ClientCutText (Latin-1) or the Extended Clipboard (UTF-8); a paste
 * types it with {@link pasteSequence}, {@link PASTE_CHUNK_CHARS} characters per event-loop turn,
 * so a large clipboard (up to 1 MiB, about ten key events per character) never stalls the other
 * clients. One paste at a time per connection; a trigger while one runs is ignored.
 *
 * With the Extended Clipboard a client announces a change (Notify) and sends the text only when
 * asked; a browser's paste button sends Ctrl+Alt+P right behind the Notify, so the keys arrive
 * before the text. A paste triggered while our Request is unanswered waits for the text, at most
 * {@link PASTE_WAIT_MS}, and then types whatever it has.
 */

import type { InputSink, Logger } from '@openvmm-vnc-ts/video-core';
import type { ExtendedClipboard } from './extended-clipboard.js';
import type { ShiftState } from './keyboard.js';
import { pasteSequence } from './paste.js';

/** Clipboard characters typed per event-loop turn by a paste. */
export const PASTE_CHUNK_CHARS = 256;
/** How long a Ctrl+Alt+P waits for clipboard text the client was asked for (Extended Clipboard). */
export const PASTE_WAIT_MS = 2000;

/** Counters for `inspect()`. */
export interface PasteStats {
  /** Clipboard texts received. */
  clipboards: number;
  /** Pastes started. */
  pastes: number;
  /** Characters pastes could not type (no key, no Alt+Numpad code). */
  pasteSkipped: number;
}

/** One connection's clipboard text and paste. */
export class ClipboardPaste {
  /** Counters, for `inspect()`. */
  readonly stats: PasteStats = { clipboards: 0, pastes: 0, pasteSkipped: 0 };
  private text = '';
  private typing = false;
  private waiting: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly input: InputSink,
    /** The Shift keys the client holds now (a long paste may outlive a Shift press). */
    private readonly shift: () => ShiftState,
    private readonly extended: ExtendedClipboard,
    private readonly log: Logger,
  ) {}

  /** New clipboard text from the client (replaces the old). */
  setText(text: string): void {
    this.text = text;
    this.stats.clipboards++;
  }

  /** Called after each Extended Clipboard message: runs a paste that waited for this text. */
  textArrived(): void {
    if (this.waiting && !this.extended.awaitingProvide) this.runWaiting();
  }

  /** Ctrl+Alt+P: types the clipboard (or waits for text already requested). */
  paste(): void {
    if (this.stopped) return;
    if (this.extended.awaitingProvide) {
      this.waiting ??= setTimeout(() => this.runWaiting(), PASTE_WAIT_MS);
      return;
    }
    if (this.typing) {
      this.log.limited('info', 'paste-busy', 'paste ignored: the previous one is still typing');
      return;
    }
    const text = this.text;
    this.typing = true;
    this.stats.pastes++;
    let next = 0;
    let skipped = 0;
    const step = (): void => {
      if (this.stopped) {
        this.typing = false;
        return;
      }
      const end = Math.min(text.length, next + PASTE_CHUNK_CHARS);
      const seq = pasteSequence(text.slice(next, end), this.shift());
      skipped += seq.skipped;
      this.stats.pasteSkipped += seq.skipped;
      for (const k of seq.events) this.input.send(k);
      next = end;
      if (next < text.length) {
        setImmediate(step);
        return;
      }
      this.typing = false;
      if (skipped > 0) this.log.info('paste: characters the keyboard path cannot type were skipped', { skipped });
    };
    step();
  }

  /** The connection closed: no more typing, no timer left behind. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.waiting);
    this.waiting = undefined;
  }

  /** Runs the paste that waited for clipboard text (or gave up waiting). */
  private runWaiting(): void {
    clearTimeout(this.waiting);
    this.waiting = undefined;
    this.extended.awaitingProvide = false;
    this.paste();
  }
}
