/**
 * The protocol extensions a client switches on through SetEncodings, and the one-time answers
 * each of them needs, kept out of `connection.ts`:
 *
 * - Fence (-312): a first ServerFence tells the client we speak fences (noVNC and TigerVNC wait
 *   for it); client fence requests are answered.
 * - ContinuousUpdates (-313): a first EndOfContinuousUpdates says we support them; the client
 *   then sends EnableContinuousUpdates, and {@link FlowControl} paces what we push.
 * - ExtendedMouseButtons (-316): acknowledged with an empty pseudo-rect, after which the client
 *   may send 7-byte pointer events with back and forward buttons.
 * - Extended Clipboard (0xc0a1e5ce): our Caps on every SetEncodings that lists it.
 *
 * Each announcement is sent once per connection (the clipboard caps excepted, as the spec asks),
 * and each switches the parser's framing for that extension on for good: a client that stops
 * listing an encoding may still have messages of that kind in flight.
 */

import type { ClientParser } from './client-parser.js';
import { ExtendedClipboard, clipboardCaps } from './extended-clipboard.js';
import { END_OF_CONTINUOUS_UPDATES, FenceFlag, fenceAnswer } from './fence.js';
import { FlowControl } from './flow-control.js';
import { Encoding } from './rfb.js';
import { pseudoRectUpdate } from './server-messages.js';

/** One connection's negotiated extensions. */
export class Extensions {
  /** Continuous updates and their fence-paced window. */
  readonly flow = new FlowControl();
  /** Extended clipboard state. */
  readonly clipboard = new ExtendedClipboard();

  constructor(private readonly parser: ClientParser) {}

  /** Whether the client has told us it speaks fences. */
  get fence(): boolean {
    return this.parser.extensions.fence;
  }

  /** Applies a SetEncodings list; returns the messages to send in reply, in order. */
  setEncodings(list: readonly number[], now: number): Buffer[] {
    const ext = this.parser.extensions;
    const replies: Buffer[] = [];
    const has = new Set(list);
    if (has.has(Encoding.FENCE) && !ext.fence) {
      ext.fence = true;
      replies.push(this.flow.fenceRequest(now));
    }
    if (has.has(Encoding.CONTINUOUS_UPDATES) && !ext.continuousUpdates) {
      ext.continuousUpdates = true;
      replies.push(END_OF_CONTINUOUS_UPDATES);
    }
    if (has.has(Encoding.EXTENDED_MOUSE_BUTTONS) && !ext.extendedMouseButtons) {
      ext.extendedMouseButtons = true;
      replies.push(pseudoRectUpdate(0, 0, 0, 0, Encoding.EXTENDED_MOUSE_BUTTONS));
    }
    if (has.has(Encoding.EXTENDED_CLIPBOARD)) {
      ext.extendedClipboard = true;
      replies.push(clipboardCaps());
    }
    return replies;
  }

  /**
   * A ClientFence: a request is answered (returned); an answer feeds the flow control, and false
   * means it answers nothing we sent.
   */
  fenceMessage(flags: number, payload: Uint8Array, now: number): { reply?: Buffer; ok: boolean } {
    if (flags & FenceFlag.REQUEST) return { reply: fenceAnswer(flags, payload), ok: true };
    return { ok: this.flow.answer(payload, now) };
  }

  /** A plain snapshot for `inspect()`. */
  inspect(): Record<string, unknown> {
    return { negotiated: { ...this.parser.extensions }, continuousUpdates: this.flow.inspect() };
  }
}
