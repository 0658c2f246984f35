/**
 * Fences (pseudo-encoding -312, message 248 both ways): a marker in the message stream that the
 * other side answers once it has processed everything before it.
 *
 * We use them two ways. A client's fence request is answered at once, because this server
 * handles each client's messages strictly in order, which is exactly what BlockBefore,
 * BlockAfter and SyncNext ask for. Our own fence requests, sent after updates under continuous
 * updates, measure how far behind the client is (see `flow-control.ts`).
 */

/** Fence flag bits. */
export const FenceFlag = {
  /** Everything before the fence must be processed before it is answered. */
  BLOCK_BEFORE: 1 << 0,
  /** Nothing after the fence may be processed before it is answered. */
  BLOCK_AFTER: 1 << 1,
  /** The message after the answer is processed before anything else. */
  SYNC_NEXT: 1 << 2,
  /** Set on a request, clear on the answer. */
  REQUEST: 1 << 31,
} as const;

/** The flags we understand (and so may leave set in an answer). */
export const SUPPORTED_FENCE_FLAGS = FenceFlag.BLOCK_BEFORE | FenceFlag.BLOCK_AFTER | FenceFlag.SYNC_NEXT;

/** A ServerFence message (type 248): 3 bytes of padding, U32 flags, U8 length, payload (at most 64 bytes). */
export function encodeFence(flags: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  if (payload.length > 64) throw new RangeError(`fence payload of ${payload.length} bytes (at most 64)`);
  const out = Buffer.alloc(9 + payload.length);
  out[0] = 248;
  out.writeUInt32BE(flags >>> 0, 4);
  out[8] = payload.length;
  out.set(payload, 9);
  return out;
}

/** The answer to a client's fence request: the same payload, Request cleared, unknown flags cleared. */
export function fenceAnswer(flags: number, payload: Uint8Array): Buffer {
  return encodeFence(flags & SUPPORTED_FENCE_FLAGS, payload);
}

/** EndOfContinuousUpdates (message 150, one byte): "I support them" at first, then "they stopped". */
export const END_OF_CONTINUOUS_UPDATES: Buffer = Buffer.from([150]);
