/**
 * Typed errors for the synthvid codec and device.
 *
 * Everything a guest can get wrong on the synthvid channel (a truncated packet, a type number
 * we do not know, a message in the wrong state, a field out of range) is reported as one
 * {@link SynthvidError} with a stable machine-readable `code`, so callers and tests can branch
 * on the kind of failure without parsing message text.
 */

/** The stable codes a {@link SynthvidError} carries. */
export const SynthvidErrorCode = {
  /** The packet is shorter than its message type needs. */
  SHORT_PACKET: 'SYNTHVID_SHORT_PACKET',
  /** The header names a message type this side does not handle. */
  UNKNOWN_TYPE: 'SYNTHVID_UNKNOWN_TYPE',
  /** The message is not allowed in the current state (e.g. a request before version negotiation). */
  UNEXPECTED_ORDER: 'SYNTHVID_UNEXPECTED_ORDER',
  /** A field holds a value that cannot be encoded or accepted (e.g. more than 255 dirty rects). */
  INVALID_FIELD: 'SYNTHVID_INVALID_FIELD',
} as const;

/** One of the {@link SynthvidErrorCode} values. */
export type SynthvidErrorCode = (typeof SynthvidErrorCode)[keyof typeof SynthvidErrorCode];

/** Extra facts attached to a {@link SynthvidError}. */
export interface SynthvidErrorDetails {
  /** The message type number involved, when known. */
  readonly messageType?: number;
  /** Bytes the packet had. */
  readonly actualSize?: number;
  /** Bytes the message type needed. */
  readonly expectedSize?: number;
}

/** A synthvid protocol failure with a stable {@link SynthvidError.code}. */
export class SynthvidError extends Error {
  /** What kind of failure this is; stable across releases. */
  readonly code: SynthvidErrorCode;
  /** The message type number involved, when known (for UNKNOWN_TYPE, the unknown number). */
  readonly messageType: number | undefined;
  /** Bytes the packet had (SHORT_PACKET). */
  readonly actualSize: number | undefined;
  /** Bytes the message type needed (SHORT_PACKET). */
  readonly expectedSize: number | undefined;

  /** Creates an error with `code` and a human-readable `message`. */
  constructor(code: SynthvidErrorCode, message: string, details: SynthvidErrorDetails = {}) {
    super(message);
    this.name = 'SynthvidError';
    this.code = code;
    this.messageType = details.messageType;
    this.actualSize = details.actualSize;
    this.expectedSize = details.expectedSize;
  }
}

/** True when `e` is a {@link SynthvidError}, optionally with the given `code`. */
export function isSynthvidError(e: unknown, code?: SynthvidErrorCode): e is SynthvidError {
  return e instanceof SynthvidError && (code === undefined || e.code === code);
}
