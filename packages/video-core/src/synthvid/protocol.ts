/**
 * Synthvid wire constants and message shapes (Hyper-V synthetic video, as OpenVMM's
 * `uidevices/src/video/protocol.rs` defines it).
 *
 * Every packet is an 8-byte header (`type` u32, `size` u32, little-endian) followed by a packed
 * payload. Senders here set `size` to the payload length excluding the header, as OpenVMM does;
 * receivers ignore `size` (Linux's hyperv_drm counts the header too) and parse by type.
 * The codec (`codec.ts`) turns these shapes into bytes and back.
 */

/** Size of the message header. */
export const SYNTHVID_HEADER_SIZE = 8;

/** Message type numbers. */
export const SynthvidType = {
  VERSION_REQUEST: 1,
  VERSION_RESPONSE: 2,
  VRAM_LOCATION: 3,
  VRAM_LOCATION_ACK: 4,
  SITUATION_UPDATE: 5,
  SITUATION_UPDATE_ACK: 6,
  POINTER_POSITION: 7,
  POINTER_SHAPE: 8,
  FEATURE_CHANGE: 9,
  DIRT: 10,
  BIOS_INFO_REQUEST: 11,
  BIOS_INFO_RESPONSE: 12,
  SUPPORTED_RESOLUTIONS_REQUEST: 13,
  SUPPORTED_RESOLUTIONS_RESPONSE: 14,
  CAPABILITY_REQUEST: 15,
  CAPABILITY_RESPONSE: 16,
} as const;

/** A synthvid protocol version: major 3 is the only one a host accepts. */
export interface SynthvidVersion {
  readonly major: number;
  readonly minor: number;
}

/** The newest version (3.5, "WIN10"). */
export const SYNTHVID_VERSION_LATEST: SynthvidVersion = Object.freeze({ major: 3, minor: 5 });

/** Packs a version as on the wire: low 16 bits major, high 16 bits minor. */
export function packVersion(v: SynthvidVersion): number {
  return ((v.minor & 0xffff) << 16 | (v.major & 0xffff)) >>> 0;
}

/** Unpacks a wire version word. */
export function unpackVersion(word: number): SynthvidVersion {
  return { major: word & 0xffff, minor: word >>> 16 };
}

/** `is_accepted` value OpenVMM answers an accepted version with. */
export const ACCEPTED_WITH_VERSION_EXCHANGE = 2;
/** Most dirty rectangles in one DIRT message. */
export const MAX_DIRTY_REGIONS = 255;
/** Largest cursor (96x96 ARGB). */
export const CURSOR_MAX_SIZE = 96 * 96 * 4;
/** Largest cursor payload a single message may carry. */
export const CURSOR_MAX_PAYLOAD_SIZE = 8192;
/** `partial_index` of a complete (final or unsplit) pointer shape. */
export const CURSOR_COMPLETE = 0xff;
/** Most resolutions a SUPPORTED_RESOLUTIONS_RESPONSE lists. */
export const MAXIMUM_RESOLUTIONS_COUNT = 64;
/** Largest guest-to-host message (header + pointer shape with a full payload). */
export const MAX_VSC_TO_VSP_MESSAGE_SIZE = 18 + CURSOR_MAX_PAYLOAD_SIZE;
/** Size of the EDID block in SUPPORTED_RESOLUTIONS_RESPONSE and FEATURE_CHANGE v2. */
export const EDID_SIZE = 128;

/** A rectangle as DIRT carries it (signed edges, right/bottom exclusive). */
export interface SynthvidRect {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** A resolution in a SUPPORTED_RESOLUTIONS_RESPONSE. */
export interface ScreenInfo {
  readonly width: number;
  readonly height: number;
}

/** One video output's situation (the first and only output in practice). */
export interface VideoOutputSituation {
  readonly active: boolean;
  /** Offset of the primary surface in VRAM (0 since Windows Threshold). */
  readonly vramOffset: number;
  readonly depthBits: number;
  readonly width: number;
  readonly height: number;
  /** Bytes per row. */
  readonly pitch: number;
}

/** Every synthvid message, discriminated by `type`. */
export type SynthvidMessage =
  | { readonly type: 'versionRequest'; readonly version: SynthvidVersion }
  | { readonly type: 'versionResponse'; readonly version: SynthvidVersion; readonly isAccepted: number; readonly maxVideoOutputs: number }
  | { readonly type: 'vramLocation'; readonly userContext: bigint; readonly isVramGpaSpecified: boolean; readonly vramGpa: bigint }
  | { readonly type: 'vramLocationAck'; readonly userContext: bigint }
  | { readonly type: 'situationUpdate'; readonly userContext: bigint; readonly videoOutputCount: number; readonly output: VideoOutputSituation }
  | { readonly type: 'situationUpdateAck'; readonly userContext: bigint }
  | { readonly type: 'pointerPosition'; readonly isVisible: boolean; readonly videoOutput: number; readonly x: number; readonly y: number }
  | {
      readonly type: 'pointerShape';
      readonly partialIndex: number;
      /** 0 = monochrome (AND/XOR masks), 1 = colour ARGB32. */
      readonly flags: number;
      readonly width: number;
      readonly height: number;
      readonly hotX: number;
      readonly hotY: number;
      readonly data: Uint8Array;
    }
  | {
      readonly type: 'featureChange';
      readonly isDirtNeeded: boolean;
      readonly isPointerPositionUpdatesNeeded: boolean;
      readonly isPointerShapeUpdatesNeeded: boolean;
      readonly isVideoSituationUpdatesNeeded: boolean;
      /** Present in the V2 variant. */
      readonly edid?: Uint8Array;
    }
  | { readonly type: 'dirt'; readonly videoOutput: number; readonly rects: readonly SynthvidRect[] }
  | { readonly type: 'biosInfoRequest' }
  | { readonly type: 'biosInfoResponse'; readonly stopDeviceSupported: number }
  | { readonly type: 'supportedResolutionsRequest'; readonly maximumResolutionCount: number }
  | {
      readonly type: 'supportedResolutionsResponse';
      readonly edid: Uint8Array;
      readonly defaultResolutionIndex: number;
      readonly isStandard: boolean;
      readonly resolutions: readonly ScreenInfo[];
    }
  | { readonly type: 'capabilityRequest' }
  | { readonly type: 'capabilityResponse'; readonly lockOnDisconnect: number };

/** The `type` names of {@link SynthvidMessage}. */
export type SynthvidMessageKind = SynthvidMessage['type'];
