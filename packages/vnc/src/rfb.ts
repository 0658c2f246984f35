/**
 * RFB wire constants (RFC 6143 and the community rfbproto document).
 *
 * Names carry their direction, as in OpenVMM's `rfb.rs`: `ClientMessage` is client-to-server,
 * `ServerMessage` server-to-client. Encodings and pseudo-encodings share one table; negative
 * numbers are pseudo-encodings. All multi-byte RFB fields are big-endian.
 */

/** Protocol versions we speak, keyed by the exact 12-byte ProtocolVersion string. */
export const RFB_VERSIONS = {
  'RFB 003.003\n': '3.3',
  'RFB 003.007\n': '3.7',
  'RFB 003.008\n': '3.8',
} as const;

/** A negotiated protocol version. */
export type RfbVersion = (typeof RFB_VERSIONS)[keyof typeof RFB_VERSIONS];

/** What the server announces: the newest version it speaks. */
export const SERVER_VERSION_STRING = 'RFB 003.008\n';

/** Security types. */
export const SecurityType = {
  INVALID: 0,
  NONE: 1,
  VNC_AUTH: 2,
  VENCRYPT: 19,
} as const;

/** Client-to-server message types. */
export const ClientMessage = {
  SET_PIXEL_FORMAT: 0,
  SET_ENCODINGS: 2,
  FRAMEBUFFER_UPDATE_REQUEST: 3,
  KEY_EVENT: 4,
  POINTER_EVENT: 5,
  CLIENT_CUT_TEXT: 6,
  ENABLE_CONTINUOUS_UPDATES: 150,
  CLIENT_FENCE: 248,
  SET_DESKTOP_SIZE: 251,
  QEMU: 255,
} as const;

/** QEMU client sub-message types (under {@link ClientMessage.QEMU}). */
export const QemuClientMessage = {
  EXTENDED_KEY_EVENT: 0,
} as const;

/** Server-to-client message types. */
export const ServerMessage = {
  FRAMEBUFFER_UPDATE: 0,
  SET_COLOUR_MAP_ENTRIES: 1,
  BELL: 2,
  SERVER_CUT_TEXT: 3,
  END_OF_CONTINUOUS_UPDATES: 150,
  SERVER_FENCE: 248,
} as const;

/** Encodings and pseudo-encodings. */
export const Encoding = {
  RAW: 0,
  COPY_RECT: 1,
  RRE: 2,
  HEXTILE: 5,
  ZLIB: 6,
  TIGHT: 7,
  ZRLE: 16,
  CURSOR: -239,
  DESKTOP_SIZE: -223,
  LAST_RECT: -224,
  QEMU_EXTENDED_KEY_EVENT: -258,
  QEMU_LED_STATE: -261,
  DESKTOP_NAME: -307,
  EXTENDED_DESKTOP_SIZE: -308,
  FENCE: -312,
  CONTINUOUS_UPDATES: -313,
  CURSOR_WITH_ALPHA: -314,
  EXTENDED_MOUSE_BUTTONS: -316,
  /** 0xc0a1e5ce as a signed 32-bit number. */
  EXTENDED_CLIPBOARD: 0xc0a1e5ce | 0,
} as const;

const ENCODING_NAMES = new Map<number, string>(Object.entries(Encoding).map(([k, v]) => [v, k]));

/** A readable name for an encoding number, for logs. */
export function encodingName(n: number): string {
  return ENCODING_NAMES.get(n) ?? `${n}`;
}

/** Size of a rectangle header inside a FramebufferUpdate. */
export const RECT_HEADER_SIZE = 12;
/** Size of the FramebufferUpdate message header (type, padding, rect count). */
export const UPDATE_HEADER_SIZE = 4;
/** Most rectangles one FramebufferUpdate can announce. */
export const MAX_RECTS_PER_UPDATE = 0xffff;
