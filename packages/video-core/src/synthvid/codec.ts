/**
 * Byte-level encoder and decoder for synthvid messages, plus the EDID block the host reports.
 *
 * The device handler (`device.ts`) and the built-in guests speak {@link SynthvidMessage} objects;
 * this module is the only place that knows the packed little-endian layouts. Decoding is written
 * for hostile input: every read is bounds-checked against the packet first, the header's `size`
 * field is ignored (OpenVMM does the same, and Linux fills it differently), and the only errors
 * that can escape are {@link SynthvidError}s.
 */

import { SynthvidError, SynthvidErrorCode } from './errors.js';
import {
  CURSOR_MAX_PAYLOAD_SIZE,
  CURSOR_MAX_SIZE,
  EDID_SIZE,
  MAX_DIRTY_REGIONS,
  SYNTHVID_HEADER_SIZE,
  SynthvidType,
  packVersion,
  unpackVersion,
} from './protocol.js';
import type { ScreenInfo, SynthvidMessage, SynthvidMessageKind, SynthvidRect, SynthvidVersion } from './protocol.js';

/** The wire type number of each {@link SynthvidMessageKind}. */
export const SYNTHVID_KIND_TYPE: Readonly<Record<SynthvidMessageKind, number>> = Object.freeze({
  versionRequest: SynthvidType.VERSION_REQUEST,
  versionResponse: SynthvidType.VERSION_RESPONSE,
  vramLocation: SynthvidType.VRAM_LOCATION,
  vramLocationAck: SynthvidType.VRAM_LOCATION_ACK,
  situationUpdate: SynthvidType.SITUATION_UPDATE,
  situationUpdateAck: SynthvidType.SITUATION_UPDATE_ACK,
  pointerPosition: SynthvidType.POINTER_POSITION,
  pointerShape: SynthvidType.POINTER_SHAPE,
  featureChange: SynthvidType.FEATURE_CHANGE,
  dirt: SynthvidType.DIRT,
  biosInfoRequest: SynthvidType.BIOS_INFO_REQUEST,
  biosInfoResponse: SynthvidType.BIOS_INFO_RESPONSE,
  supportedResolutionsRequest: SynthvidType.SUPPORTED_RESOLUTIONS_REQUEST,
  supportedResolutionsResponse: SynthvidType.SUPPORTED_RESOLUTIONS_RESPONSE,
  capabilityRequest: SynthvidType.CAPABILITY_REQUEST,
  capabilityResponse: SynthvidType.CAPABILITY_RESPONSE,
});

/**
 * Fixed payload bytes (after the header) of each type number: the whole payload for fixed-size
 * messages, the part before the variable tail for DIRT, POINTER_SHAPE and
 * SUPPORTED_RESOLUTIONS_RESPONSE, and the V1 size for FEATURE_CHANGE.
 */
export const SYNTHVID_MIN_PAYLOAD_SIZE: Readonly<Record<number, number>> = Object.freeze({
  1: 4, 2: 6, 3: 17, 4: 8, 5: 27, 6: 8, 7: 10, 8: 18, 9: 4, 10: 2, 11: 0, 12: 16, 13: 1, 14: 131, 15: 0, 16: 64,
});

/** FEATURE_CHANGE payload size of the V2 variant, which appends an EDID block. */
export const FEATURE_CHANGE_V2_PAYLOAD_SIZE = 4 + EDID_SIZE;

const TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(SynthvidType).map(([name, n]) => [n, name]),
);

/** The spec name of a type number (e.g. `DIRT`), or `type N` when unknown. */
export function synthvidTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/**
 * Bytes of pixel data a complete pointer shape needs: `w*h*4` for colour (flags 1),
 * `ceil(w/8)*h*2` (AND + XOR masks) for monochrome (flags 0), `undefined` for other flags.
 */
export function pointerShapeDataSize(flags: number, width: number, height: number): number | undefined {
  if (flags === 1) return width * height * 4;
  if (flags === 0) return Math.ceil(width / 8) * height * 2;
  return undefined;
}

function invalid(field: string, value: unknown, why: string): SynthvidError {
  return new SynthvidError(SynthvidErrorCode.INVALID_FIELD, `cannot encode ${field}=${String(value)}: ${why}`);
}

function checkInt(field: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw invalid(field, v, `must be an integer in ${min}..${max}`);
  return v;
}
const u8 = (f: string, v: number): number => checkInt(f, v, 0, 0xff);
const u16 = (f: string, v: number): number => checkInt(f, v, 0, 0xffff);
const u32 = (f: string, v: number): number => checkInt(f, v, 0, 0xffff_ffff);
const i32 = (f: string, v: number): number => checkInt(f, v, -0x8000_0000, 0x7fff_ffff);
function u64(field: string, v: bigint): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > 0xffff_ffff_ffff_ffffn) throw invalid(field, v, 'must be a bigint in 0..2^64-1');
  return v;
}
function edidBytes(field: string, e: Uint8Array): Uint8Array {
  if (!(e instanceof Uint8Array) || e.length !== EDID_SIZE) throw invalid(field, `${e?.length} bytes`, `must be ${EDID_SIZE} bytes`);
  return e;
}
function versionWord(v: SynthvidVersion): number {
  u16('version.major', v.major);
  u16('version.minor', v.minor);
  return packVersion(v);
}

function payloadSize(msg: SynthvidMessage): number {
  switch (msg.type) {
    case 'pointerShape':
      return 18 + msg.data.length;
    case 'featureChange':
      return msg.edid ? FEATURE_CHANGE_V2_PAYLOAD_SIZE : 4;
    case 'dirt':
      return 2 + 16 * msg.rects.length;
    case 'supportedResolutionsResponse':
      return 131 + 4 * msg.resolutions.length;
    default:
      return SYNTHVID_MIN_PAYLOAD_SIZE[SYNTHVID_KIND_TYPE[msg.type]] as number;
  }
}

function validateVariable(msg: SynthvidMessage): void {
  if (msg.type === 'dirt' && msg.rects.length > MAX_DIRTY_REGIONS) {
    throw invalid('dirt_count', msg.rects.length, `at most ${MAX_DIRTY_REGIONS} rects per DIRT message`);
  }
  if (msg.type === 'supportedResolutionsResponse' && msg.resolutions.length > 0xff) {
    throw invalid('resolution_count', msg.resolutions.length, 'at most 255 resolutions');
  }
  if (msg.type === 'pointerShape') {
    if (msg.width > 96 || msg.height > 96) throw invalid('pointer size', `${msg.width}x${msg.height}`, 'cursor is at most 96x96');
    const need = pointerShapeDataSize(msg.flags, msg.width, msg.height);
    if (msg.data.length > CURSOR_MAX_PAYLOAD_SIZE || (need !== undefined && msg.data.length > need)) {
      throw invalid('pointer data', `${msg.data.length} bytes`, `at most ${Math.min(CURSOR_MAX_PAYLOAD_SIZE, need ?? Infinity)} bytes`);
    }
  }
}

/**
 * Encodes `msg` as one packet: the 8-byte header (type, size = payload bytes excluding the
 * header) followed by the packed little-endian payload. Throws {@link SynthvidError}
 * `INVALID_FIELD` when a field does not fit its wire width, there are more than 255 dirty rects,
 * an EDID is not 128 bytes, or a pointer shape is larger than a message may carry.
 */
export function encodeSynthvid(msg: SynthvidMessage): Uint8Array {
  validateVariable(msg);
  const size = payloadSize(msg);
  const out = new Uint8Array(SYNTHVID_HEADER_SIZE + size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, SYNTHVID_KIND_TYPE[msg.type], true);
  dv.setUint32(4, size, true);
  const p = SYNTHVID_HEADER_SIZE;
  switch (msg.type) {
    case 'versionRequest':
      dv.setUint32(p, versionWord(msg.version), true);
      break;
    case 'versionResponse':
      dv.setUint32(p, versionWord(msg.version), true);
      dv.setUint8(p + 4, u8('isAccepted', msg.isAccepted));
      dv.setUint8(p + 5, u8('maxVideoOutputs', msg.maxVideoOutputs));
      break;
    case 'vramLocation':
      dv.setBigUint64(p, u64('userContext', msg.userContext), true);
      dv.setUint8(p + 8, msg.isVramGpaSpecified ? 1 : 0);
      dv.setBigUint64(p + 9, u64('vramGpa', msg.vramGpa), true);
      break;
    case 'vramLocationAck':
    case 'situationUpdateAck':
      dv.setBigUint64(p, u64('userContext', msg.userContext), true);
      break;
    case 'situationUpdate': {
      const o = msg.output;
      dv.setBigUint64(p, u64('userContext', msg.userContext), true);
      dv.setUint8(p + 8, u8('videoOutputCount', msg.videoOutputCount));
      dv.setUint8(p + 9, o.active ? 1 : 0);
      dv.setUint32(p + 10, u32('vramOffset', o.vramOffset), true);
      dv.setUint8(p + 14, u8('depthBits', o.depthBits));
      dv.setUint32(p + 15, u32('width', o.width), true);
      dv.setUint32(p + 19, u32('height', o.height), true);
      dv.setUint32(p + 23, u32('pitch', o.pitch), true);
      break;
    }
    case 'pointerPosition':
      dv.setUint8(p, msg.isVisible ? 1 : 0);
      dv.setUint8(p + 1, u8('videoOutput', msg.videoOutput));
      dv.setInt32(p + 2, i32('x', msg.x), true);
      dv.setInt32(p + 6, i32('y', msg.y), true);
      break;
    case 'pointerShape':
      dv.setUint8(p, u8('partialIndex', msg.partialIndex));
      dv.setUint8(p + 1, u8('flags', msg.flags));
      dv.setUint32(p + 2, u32('width', msg.width), true);
      dv.setUint32(p + 6, u32('height', msg.height), true);
      dv.setUint32(p + 10, u32('hotX', msg.hotX), true);
      dv.setUint32(p + 14, u32('hotY', msg.hotY), true);
      out.set(msg.data, p + 18);
      break;
    case 'featureChange':
      dv.setUint8(p, msg.isDirtNeeded ? 1 : 0);
      dv.setUint8(p + 1, msg.isPointerPositionUpdatesNeeded ? 1 : 0);
      dv.setUint8(p + 2, msg.isPointerShapeUpdatesNeeded ? 1 : 0);
      dv.setUint8(p + 3, msg.isVideoSituationUpdatesNeeded ? 1 : 0);
      if (msg.edid) out.set(edidBytes('edid', msg.edid), p + 4);
      break;
    case 'dirt':
      dv.setUint8(p, u8('videoOutput', msg.videoOutput));
      dv.setUint8(p + 1, msg.rects.length);
      msg.rects.forEach((r, i) => {
        const q = p + 2 + 16 * i;
        dv.setInt32(q, i32(`rects[${i}].left`, r.left), true);
        dv.setInt32(q + 4, i32(`rects[${i}].top`, r.top), true);
        dv.setInt32(q + 8, i32(`rects[${i}].right`, r.right), true);
        dv.setInt32(q + 12, i32(`rects[${i}].bottom`, r.bottom), true);
      });
      break;
    case 'biosInfoRequest':
    case 'capabilityRequest':
      break;
    case 'biosInfoResponse':
      dv.setUint32(p, u32('stopDeviceSupported', msg.stopDeviceSupported), true);
      break;
    case 'supportedResolutionsRequest':
      dv.setUint8(p, u8('maximumResolutionCount', msg.maximumResolutionCount));
      break;
    case 'supportedResolutionsResponse':
      out.set(edidBytes('edid', msg.edid), p);
      dv.setUint8(p + 128, msg.resolutions.length);
      dv.setUint8(p + 129, u8('defaultResolutionIndex', msg.defaultResolutionIndex));
      dv.setUint8(p + 130, msg.isStandard ? 1 : 0);
      msg.resolutions.forEach((r, i) => {
        dv.setUint16(p + 131 + 4 * i, u16(`resolutions[${i}].width`, r.width), true);
        dv.setUint16(p + 133 + 4 * i, u16(`resolutions[${i}].height`, r.height), true);
      });
      break;
    case 'capabilityResponse':
      dv.setUint32(p, u32('lockOnDisconnect', msg.lockOnDisconnect), true);
      break;
  }
  return out;
}

function short(type: number, have: number, need: number): SynthvidError {
  return new SynthvidError(
    SynthvidErrorCode.SHORT_PACKET,
    `${synthvidTypeName(type)} packet is ${have} bytes, needs at least ${need}`,
    { messageType: type, actualSize: have, expectedSize: need },
  );
}

/**
 * Decodes one packet. The header's `size` field is ignored and trailing bytes beyond what the
 * type needs are ignored too. Throws {@link SynthvidError} `SHORT_PACKET` when the packet is
 * shorter than the header plus the type's payload (DIRT: 2+16n bytes for n rects;
 * SUPPORTED_RESOLUTIONS_RESPONSE: 131+4n), and `UNKNOWN_TYPE` for a type number outside 1..16.
 * Nothing else is thrown and nothing outside `packet` is read; returned byte arrays are copies.
 *
 * POINTER_SHAPE data is the rest of the packet after its 18 fixed bytes, cut to the size a
 * complete shape of that kind needs (and to {@link CURSOR_MAX_SIZE}); a partial or final piece
 * may be shorter. FEATURE_CHANGE carries an EDID (V2) when the packet holds 132 payload bytes.
 */
export function decodeSynthvid(packet: Uint8Array): SynthvidMessage {
  const len = packet.length;
  if (len < 4) {
    throw new SynthvidError(SynthvidErrorCode.SHORT_PACKET, `packet is ${len} bytes, shorter than the ${SYNTHVID_HEADER_SIZE}-byte header`, {
      actualSize: len,
      expectedSize: SYNTHVID_HEADER_SIZE,
    });
  }
  const dv = new DataView(packet.buffer, packet.byteOffset, len);
  const type = dv.getUint32(0, true);
  const min = SYNTHVID_MIN_PAYLOAD_SIZE[type];
  if (min === undefined) {
    throw new SynthvidError(SynthvidErrorCode.UNKNOWN_TYPE, `unknown synthvid message type ${type} (0x${type.toString(16)})`, {
      messageType: type,
    });
  }
  const p = SYNTHVID_HEADER_SIZE;
  if (len < p + min) throw short(type, len, p + min);
  const copy = (start: number, end: number): Uint8Array => packet.slice(start, end);
  switch (type) {
    case SynthvidType.VERSION_REQUEST:
      return { type: 'versionRequest', version: unpackVersion(dv.getUint32(p, true)) };
    case SynthvidType.VERSION_RESPONSE:
      return {
        type: 'versionResponse',
        version: unpackVersion(dv.getUint32(p, true)),
        isAccepted: dv.getUint8(p + 4),
        maxVideoOutputs: dv.getUint8(p + 5),
      };
    case SynthvidType.VRAM_LOCATION:
      return {
        type: 'vramLocation',
        userContext: dv.getBigUint64(p, true),
        isVramGpaSpecified: dv.getUint8(p + 8) !== 0,
        vramGpa: dv.getBigUint64(p + 9, true),
      };
    case SynthvidType.VRAM_LOCATION_ACK:
      return { type: 'vramLocationAck', userContext: dv.getBigUint64(p, true) };
    case SynthvidType.SITUATION_UPDATE:
      return {
        type: 'situationUpdate',
        userContext: dv.getBigUint64(p, true),
        videoOutputCount: dv.getUint8(p + 8),
        output: {
          active: dv.getUint8(p + 9) !== 0,
          vramOffset: dv.getUint32(p + 10, true),
          depthBits: dv.getUint8(p + 14),
          width: dv.getUint32(p + 15, true),
          height: dv.getUint32(p + 19, true),
          pitch: dv.getUint32(p + 23, true),
        },
      };
    case SynthvidType.SITUATION_UPDATE_ACK:
      return { type: 'situationUpdateAck', userContext: dv.getBigUint64(p, true) };
    case SynthvidType.POINTER_POSITION:
      return {
        type: 'pointerPosition',
        isVisible: dv.getUint8(p) !== 0,
        videoOutput: dv.getUint8(p + 1),
        x: dv.getInt32(p + 2, true),
        y: dv.getInt32(p + 6, true),
      };
    case SynthvidType.POINTER_SHAPE: {
      const flags = dv.getUint8(p + 1);
      const width = dv.getUint32(p + 2, true);
      const height = dv.getUint32(p + 6, true);
      const start = p + 18;
      const need = pointerShapeDataSize(flags, width, height) ?? CURSOR_MAX_SIZE;
      const n = Math.min(len - start, need, CURSOR_MAX_SIZE);
      return {
        type: 'pointerShape',
        partialIndex: dv.getUint8(p),
        flags,
        width,
        height,
        hotX: dv.getUint32(p + 10, true),
        hotY: dv.getUint32(p + 14, true),
        data: copy(start, start + n),
      };
    }
    case SynthvidType.FEATURE_CHANGE: {
      const base = {
        type: 'featureChange',
        isDirtNeeded: dv.getUint8(p) !== 0,
        isPointerPositionUpdatesNeeded: dv.getUint8(p + 1) !== 0,
        isPointerShapeUpdatesNeeded: dv.getUint8(p + 2) !== 0,
        isVideoSituationUpdatesNeeded: dv.getUint8(p + 3) !== 0,
      } as const;
      return len >= p + FEATURE_CHANGE_V2_PAYLOAD_SIZE ? { ...base, edid: copy(p + 4, p + 4 + EDID_SIZE) } : base;
    }
    case SynthvidType.DIRT: {
      const count = dv.getUint8(p + 1);
      if (len < p + 2 + 16 * count) throw short(type, len, p + 2 + 16 * count);
      const rects: SynthvidRect[] = [];
      for (let i = 0; i < count; i++) {
        const q = p + 2 + 16 * i;
        rects.push({
          left: dv.getInt32(q, true),
          top: dv.getInt32(q + 4, true),
          right: dv.getInt32(q + 8, true),
          bottom: dv.getInt32(q + 12, true),
        });
      }
      return { type: 'dirt', videoOutput: dv.getUint8(p), rects };
    }
    case SynthvidType.BIOS_INFO_REQUEST:
      return { type: 'biosInfoRequest' };
    case SynthvidType.BIOS_INFO_RESPONSE:
      return { type: 'biosInfoResponse', stopDeviceSupported: dv.getUint32(p, true) };
    case SynthvidType.SUPPORTED_RESOLUTIONS_REQUEST:
      return { type: 'supportedResolutionsRequest', maximumResolutionCount: dv.getUint8(p) };
    case SynthvidType.SUPPORTED_RESOLUTIONS_RESPONSE: {
      const count = dv.getUint8(p + 128);
      if (len < p + 131 + 4 * count) throw short(type, len, p + 131 + 4 * count);
      const resolutions: ScreenInfo[] = [];
      for (let i = 0; i < count; i++) {
        resolutions.push({ width: dv.getUint16(p + 131 + 4 * i, true), height: dv.getUint16(p + 133 + 4 * i, true) });
      }
      return {
        type: 'supportedResolutionsResponse',
        edid: copy(p, p + EDID_SIZE),
        defaultResolutionIndex: dv.getUint8(p + 129),
        isStandard: dv.getUint8(p + 130) !== 0,
        resolutions,
      };
    }
    case SynthvidType.CAPABILITY_REQUEST:
      return { type: 'capabilityRequest' };
    default: // CAPABILITY_RESPONSE, the only number left in SYNTHVID_MIN_PAYLOAD_SIZE
      return { type: 'capabilityResponse', lockOnDisconnect: dv.getUint32(p, true) };
  }
}

/**
 * Builds the 128-byte EDID 1.3 base block the host reports: manufacturer "MSH", product 0x062E,
 * a 1024x768@60 preferred timing, a monitor-name descriptor "HyperVMonitor", no extensions, and
 * a checksum byte computed so that all 128 bytes sum to 0 mod 256. Returns a fresh copy.
 */
export function buildEdid(): Uint8Array {
  const e = new Uint8Array(EDID_SIZE);
  e.set([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00], 0); // fixed header pattern
  // Manufacturer: three 5-bit letters ('A' = 1), big-endian.
  const letter = (c: string): number => c.charCodeAt(0) - 0x40;
  const mfg = (letter('M') << 10) | (letter('S') << 5) | letter('H');
  e[8] = mfg >> 8;
  e[9] = mfg & 0xff;
  e[10] = 0x2e; // product code 0x062E, little-endian
  e[11] = 0x06;
  // Serial number 12..15 stays 0.
  e[16] = 1; // week of manufacture
  e[17] = 2012 - 1990; // year of manufacture
  e[18] = 1; // EDID version 1.3
  e[19] = 3;
  e[20] = 0x80; // digital input
  e[21] = 0; // screen size unknown (cm)
  e[22] = 0;
  e[23] = 120; // gamma 2.2 ((2.2 * 100) - 100)
  e[24] = 0x0a; // RGB colour, preferred timing is the first detailed descriptor
  e.set([0xee, 0x91, 0xa3, 0x54, 0x4c, 0x99, 0x26, 0x0f, 0x50, 0x54], 25); // sRGB chromaticity
  e[35] = 0x21; // established timings: 640x480@60, 800x600@60
  e[36] = 0x08; // 1024x768@60
  e[37] = 0x00;
  e.fill(0x01, 38, 54); // standard timings: all unused
  // Detailed timing 1: 1024x768@60 (65 MHz, blanking 320/38, sync 24+136 / 3+6).
  e.set([0x64, 0x19, 0x00, 0x40, 0x41, 0x00, 0x26, 0x30, 0x18, 0x88, 0x36, 0x00, 0, 0, 0, 0, 0, 0x18], 54);
  // Descriptor 2: monitor name.
  e.set([0x00, 0x00, 0x00, 0xfc, 0x00], 72);
  const name = 'HyperVMonitor'; // exactly 13 bytes, so no newline/padding
  for (let i = 0; i < 13; i++) e[77 + i] = name.charCodeAt(i);
  // Descriptors 3 and 4: dummy (type 0x10).
  e.set([0x00, 0x00, 0x00, 0x10, 0x00], 90);
  e.set([0x00, 0x00, 0x00, 0x10, 0x00], 108);
  e[126] = 0; // no extension blocks
  let sum = 0;
  for (let i = 0; i < 127; i++) sum += e[i] as number;
  e[127] = (256 - (sum & 0xff)) & 0xff;
  return e;
}
