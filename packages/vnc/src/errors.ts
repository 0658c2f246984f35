/**
 * The errors a connection can end with. Each has a stable `code` (public API: logs and tests
 * match on it) and a lowercase message that carries the offending value.
 */

/** Stable error codes. */
export const VncErrorCode = {
  UNSUPPORTED_VERSION: 'VNC_UNSUPPORTED_VERSION',
  UNSUPPORTED_SECURITY_TYPE: 'VNC_UNSUPPORTED_SECURITY_TYPE',
  UNKNOWN_MESSAGE: 'VNC_UNKNOWN_MESSAGE',
  UNKNOWN_QEMU_MESSAGE: 'VNC_UNKNOWN_QEMU_MESSAGE',
  UNSUPPORTED_PIXEL_FORMAT: 'VNC_UNSUPPORTED_PIXEL_FORMAT',
  RESIZE_UNSUPPORTED: 'VNC_RESIZE_UNSUPPORTED',
  BUFFER_LIMIT: 'VNC_BUFFER_LIMIT',
  HANDSHAKE_TIMEOUT: 'VNC_HANDSHAKE_TIMEOUT',
  SLOW_CLIENT: 'VNC_SLOW_CLIENT',
  AUTH_FAILED: 'VNC_AUTH_FAILED',
  INVALID_CLIPBOARD: 'VNC_INVALID_CLIPBOARD',
  UNEXPECTED_FENCE: 'VNC_UNEXPECTED_FENCE',
  VENCRYPT_VERSION: 'VNC_VENCRYPT_VERSION',
  UNSUPPORTED_VENCRYPT_SUBTYPE: 'VNC_UNSUPPORTED_VENCRYPT_SUBTYPE',
  TLS_HANDSHAKE_FAILED: 'VNC_TLS_HANDSHAKE_FAILED',
  TLS_REQUIRED: 'VNC_TLS_REQUIRED',
} as const;

/** One of {@link VncErrorCode}. */
export type VncErrorCodeValue = (typeof VncErrorCode)[keyof typeof VncErrorCode];

/** A protocol error that ends one connection (never the server). */
export class VncError extends Error {
  constructor(
    /** Stable code. */
    readonly code: VncErrorCodeValue,
    message: string,
  ) {
    super(message);
    this.name = 'VncError';
  }
}
