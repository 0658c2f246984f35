/**
 * Extended Clipboard (pseudo-encoding 0xc0a1e5ce): UTF-8 clipboard text from the client, instead
 * of the Latin-1 of plain ClientCutText.
 *
 * Both directions use Client/ServerCutText with a negative length, followed by U32 flags: the
 * high byte holds one action (bit 24 caps, 25 request, 26 peek, 27 notify, 28 provide), the low
 * 16 bits the formats (bit 0 text). The guest has no clipboard we could read, so this server
 * only ever receives text:
 *
 * - on every SetEncodings that lists the pseudo-encoding we send our Caps: text, up to
 *   {@link MAX_CLIPBOARD_TEXT} bytes, and the actions peek/notify/provide;
 * - a client's Notify (its clipboard changed, text available) is answered with a Request;
 * - its Provide carries a zlib stream of (U32 size, bytes) per format; we inflate at most
 *   {@link MAX_CLIPBOARD_TEXT} + 4 bytes (so a decompression bomb stops there, logged), take the
 *   text (UTF-8, CRLF line ends, NUL terminated) and keep it for Ctrl+Alt+P;
 * - Peek (what do you have?) is answered with an empty Notify; Request asks for something we
 *   never offered, so it is ignored.
 */

import { inflateSync, constants as zlibConstants } from 'node:zlib';
import { VncError, VncErrorCode } from './errors.js';

/** Action bits (high byte of the flags). */
export const ClipboardAction = {
  CAPS: 1 << 24,
  REQUEST: 1 << 25,
  PEEK: 1 << 26,
  NOTIFY: 1 << 27,
  PROVIDE: 1 << 28,
} as const;

/** The text format bit (formats are the low 16 bits). */
export const CLIPBOARD_FORMAT_TEXT = 1;

/** Largest clipboard text (bytes, UTF-8) we accept; larger text is dropped with a log line. */
export const MAX_CLIPBOARD_TEXT = 1024 * 1024;

const ACTION_MASK = 0xff000000;
const FORMAT_MASK = 0xffff;

/** A ServerCutText message in the extended form: U8 3, 3 padding, S32 -length, U32 flags, data. */
function serverCutTextExtended(flags: number, data: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out[0] = 3;
  out.writeInt32BE(-(4 + data.length), 4);
  out.writeUInt32BE(flags >>> 0, 8);
  out.set(data, 12);
  return out;
}

/**
 * Our Caps: text up to {@link MAX_CLIPBOARD_TEXT}; we accept caps, peek, notify and provide (not
 * request: the guest has no clipboard to give).
 */
export function clipboardCaps(): Buffer {
  const sizes = Buffer.alloc(4);
  sizes.writeUInt32BE(MAX_CLIPBOARD_TEXT, 0);
  const actions = ClipboardAction.CAPS | ClipboardAction.PEEK | ClipboardAction.NOTIFY | ClipboardAction.PROVIDE;
  return serverCutTextExtended(actions | CLIPBOARD_FORMAT_TEXT, sizes);
}

/** What handling one client message produced. */
export interface ClipboardOutcome {
  /** A message to send back, if any. */
  readonly reply?: Buffer;
  /** New clipboard text from the client, if this was a Provide with text. */
  readonly text?: string;
  /** Why a Provide was dropped (logged by the connection; the connection stays open). */
  readonly dropped?: string;
}

/** One connection's extended-clipboard state. */
export class ExtendedClipboard {
  /** Actions the client said it accepts (from its Caps); unknown until it sends them. */
  private clientActions: number | undefined;
  /**
   * True from our Request until the client's Provide: a Ctrl+Alt+P typed right after the client
   * changed its clipboard arrives before the text does, so the paste waits for it.
   */
  awaitingProvide = false;

  /**
   * Handles one extended ClientCutText. `payload` is what follows the flags, `declared` its real
   * length (larger when the parser dropped the tail beyond its cap). Throws {@link VncError}
   * for a Provide whose zlib data is corrupt.
   */
  handle(flags: number, payload: Uint8Array, declared: number): ClipboardOutcome {
    const action = (flags & ACTION_MASK) >>> 0;
    const formats = flags & FORMAT_MASK;
    if (action & ClipboardAction.CAPS) {
      this.clientActions = action;
      return {};
    }
    switch (action) {
      case ClipboardAction.NOTIFY:
        // Spec: without the client's caps, assume it can answer a request.
        if (formats & CLIPBOARD_FORMAT_TEXT && (this.clientActions === undefined || this.clientActions & ClipboardAction.REQUEST)) {
          this.awaitingProvide = true;
          return { reply: serverCutTextExtended(ClipboardAction.REQUEST | CLIPBOARD_FORMAT_TEXT) };
        }
        return {};
      case ClipboardAction.PEEK:
        return { reply: serverCutTextExtended(ClipboardAction.NOTIFY) };
      case ClipboardAction.PROVIDE:
        this.awaitingProvide = false;
        if (declared > payload.length) return { dropped: `provide of ${declared} compressed bytes is over the cap` };
        return provideText(formats, payload);
      default:
        return {};
    }
  }
}

/** Inflates a Provide and takes its text format, if present. */
function provideText(formats: number, payload: Uint8Array): ClipboardOutcome {
  if (!(formats & CLIPBOARD_FORMAT_TEXT)) return {};
  let data: Buffer;
  try {
    // The sender may or may not finish its stream; a sync flush is enough to read what came.
    // Only the text format (the first one) is read, so the other formats need not be inflated.
    data = inflateSync(payload, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: MAX_CLIPBOARD_TEXT + 4 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') return { dropped: `clipboard text inflates past ${MAX_CLIPBOARD_TEXT} bytes` };
    throw new VncError(VncErrorCode.INVALID_CLIPBOARD, `extended clipboard provide is not valid zlib data: ${(err as Error).message}`);
  }
  if (data.length < 4) throw new VncError(VncErrorCode.INVALID_CLIPBOARD, 'extended clipboard provide has no text size');
  const size = data.readUInt32BE(0);
  if (size > MAX_CLIPBOARD_TEXT) return { dropped: `clipboard text of ${size} bytes is over the cap` };
  if (data.length < 4 + size) throw new VncError(VncErrorCode.INVALID_CLIPBOARD, `extended clipboard text claims ${size} bytes, ${data.length - 4} present`);
  let text = data.toString('utf8', 4, 4 + size);
  if (text.endsWith('\0')) text = text.slice(0, -1);
  return { text: text.replace(/\r\n/g, '\n') };
}
