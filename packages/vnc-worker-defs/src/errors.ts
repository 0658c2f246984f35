/**
 * The error thrown when VNC worker parameters fail validation.
 *
 * One error class with a stable `code` so that callers in another package (or on the other side
 * of a worker boundary, where `instanceof` may not hold) can recognise it, and a `field` path so
 * that a launcher can point at the offending setting. (Note that structured clone keeps only an
 * error's `name` and `message`, so send the message, not the error, across a worker boundary.)
 */

/** The `code` carried by every {@link VncParametersError}. */
export const VNC_PARAMS_INVALID = 'VNC_PARAMS_INVALID';

/**
 * Thrown by `validateVncParameters` and `defaultVncParameters` when a value is missing, has the
 * wrong type, is out of range, or is not a known field.
 *
 * The message always starts with the field path, e.g.
 * `listener.port: must be an integer 0..65535, got 70000`.
 */
export class VncParametersError extends Error {
  /** Stable machine-readable code, always {@link VNC_PARAMS_INVALID}. */
  readonly code: typeof VNC_PARAMS_INVALID = VNC_PARAMS_INVALID;
  /**
   * Dotted path of the offending field, e.g. `listener.port` or `maxClients`. The empty string
   * means the parameters object itself (for example when it is not an object at all).
   */
  readonly field: string;
  /** The reason without the field prefix, e.g. `must be an integer 0..65535, got 70000`. */
  readonly reason: string;

  /**
   * @param field - dotted path of the offending field (`''` for the whole object).
   * @param reason - what is wrong and what was expected, without the field prefix.
   */
  constructor(field: string, reason: string) {
    super(`${field === '' ? 'VNC parameters' : field}: ${reason}`);
    this.name = 'VncParametersError';
    this.field = field;
    this.reason = reason;
  }
}

/**
 * True when `e` is a {@link VncParametersError}, also recognising one from another realm or another
 * copy of this package (matched by its `code` and `field`, since `instanceof` fails there).
 */
export function isVncParametersError(e: unknown): e is VncParametersError {
  if (e instanceof VncParametersError) return true;
  if (typeof e !== 'object' || e === null) return false;
  const r = e as { code?: unknown; field?: unknown };
  return r.code === VNC_PARAMS_INVALID && typeof r.field === 'string';
}
