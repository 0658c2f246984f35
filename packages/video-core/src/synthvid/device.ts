/**
 * The host side of the synthvid channel: the state machine OpenVMM's video device runs.
 *
 * A guest (a real driver behind some transport, or one of our built-in guests on a worker
 * thread) sends packets over a `MessagePort`; {@link SynthvidDevice} negotiates the version,
 * answers requests, applies the guest's framebuffer layout to a {@link FramebufferView}, and
 * forwards dirty rectangles and pointer updates to callbacks. Any protocol error ends the
 * channel, as in OpenVMM, but never escapes as an exception: the port is closed, the error is
 * kept in {@link SynthvidDevice.error}, and `onClose` is told.
 */

import type { MessagePort } from 'node:worker_threads';
import type { DirtyRect } from '../dirty-rect.js';
import { formatProblem } from '../framebuffer.js';
import type { FramebufferFormat, FramebufferView } from '../framebuffer.js';
import { silentLogger } from '../log.js';
import type { Logger } from '../log.js';
import { buildEdid, decodeSynthvid, encodeSynthvid, pointerShapeDataSize, SYNTHVID_KIND_TYPE } from './codec.js';
import { SynthvidError, SynthvidErrorCode } from './errors.js';
import { ACCEPTED_WITH_VERSION_EXCHANGE, CURSOR_COMPLETE, MAXIMUM_RESOLUTIONS_COUNT } from './protocol.js';
import type { ScreenInfo, SynthvidMessage, SynthvidVersion } from './protocol.js';

/** A complete pointer shape as the guest sent it. */
export interface PointerShape {
  /** 0 = monochrome (AND mask then XOR mask, 1 bpp each), 1 = colour ARGB32. */
  readonly flags: number;
  /** Width in pixels (1..96). */
  readonly width: number;
  /** Height in pixels (1..96). */
  readonly height: number;
  /** Hotspot column. */
  readonly hotX: number;
  /** Hotspot row. */
  readonly hotY: number;
  /** Pixel data, exactly as many bytes as the shape needs (see `pointerShapeDataSize`). */
  readonly data: Uint8Array;
}

/** A pointer position update. */
export interface PointerPosition {
  /** Whether the guest shows the pointer. */
  readonly visible: boolean;
  /** Column of the hotspot (signed; may be off-screen). */
  readonly x: number;
  /** Row of the hotspot (signed; may be off-screen). */
  readonly y: number;
}

/** Lifecycle state of a {@link SynthvidDevice}. */
export type SynthvidDeviceState = 'readVersion' | 'active' | 'closed';

/** Options for {@link SynthvidDevice}. */
export interface SynthvidDeviceOptions {
  /** The channel to the guest. Packets arrive as `Uint8Array` or `ArrayBuffer`; replies are posted as `Uint8Array`. */
  port: MessagePort;
  /** The framebuffer whose format SITUATION_UPDATE sets. */
  view: FramebufferView;
  /** Where to log; default {@link silentLogger}. */
  logger?: Logger;
  /** Called with the rectangles of each DIRT message, unclamped (consumers clamp). */
  onDirt?: (rects: DirtyRect[]) => void;
  /** Called on each POINTER_POSITION. */
  onPointerPosition?: (p: PointerPosition) => void;
  /** Called on each complete, valid POINTER_SHAPE. */
  onPointerShape?: (s: PointerShape) => void;
  /** Called once when the device closes: with the protocol error, or with nothing on a clean close. */
  onClose?: (err?: SynthvidError) => void;
}

/** The plain-object snapshot {@link SynthvidDevice.inspect} returns. */
export interface SynthvidDeviceInspect {
  readonly state: SynthvidDeviceState;
  /** Negotiated version as `major.minor`, or undefined before negotiation. */
  readonly version: string | undefined;
  /** Whether the last VRAM_LOCATION specified a guest address. */
  readonly vramMapped: boolean;
  /** The guest address of VRAM, when mapped. */
  readonly vramGpa: string | undefined;
  /** The view's current format. */
  readonly format: FramebufferFormat;
  /** DIRT messages received. */
  readonly dirtMessages: number;
  /** Rectangles received across all DIRT messages. */
  readonly dirtRects: number;
  /** Packets received (including the one that failed, if any). */
  readonly packets: number;
  /** The protocol error that closed the device, if any. */
  readonly lastError: { readonly code: string; readonly message: string } | undefined;
}

/** Resolutions offered when the guest asks for at least {@link MAXIMUM_RESOLUTIONS_COUNT}. */
const OFFERED_RESOLUTIONS: readonly ScreenInfo[] = [
  { width: 1024, height: 768 },
  { width: 1280, height: 1024 },
];

/** Largest cursor edge in pixels. */
const CURSOR_MAX_EDGE = 96;

/** Message kinds only the host sends; a guest sending one is treated as an unknown type. */
const HOST_TO_GUEST: ReadonlySet<SynthvidMessage['type']> = new Set([
  'versionResponse',
  'vramLocationAck',
  'situationUpdateAck',
  'featureChange',
  'biosInfoResponse',
  'supportedResolutionsResponse',
  'capabilityResponse',
] as const);

function asBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer || data instanceof SharedArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/**
 * The device-side synthvid handler. It starts listening on `port` as soon as it is constructed.
 *
 * States: `readVersion` (only VERSION_REQUEST is allowed; a major other than 3 is answered with
 * `isAccepted=0` and the device keeps waiting), `active` (requests are served), `closed` (after a
 * protocol error, {@link SynthvidDevice.close}, or the peer closing the port).
 *
 * Pointer shapes: only complete shapes (`partialIndex` 0xFF) with flags 0 or 1, a size of
 * 1..96 x 1..96 and enough data are delivered; partial pieces are not assembled but dropped with
 * a (rate-limited) debug log, and invalid complete shapes are dropped with a warning. Neither
 * closes the channel, since OpenVMM ignores pointer shapes altogether.
 */
export class SynthvidDevice {
  private readonly port: MessagePort;
  private readonly view: FramebufferView;
  private readonly log: Logger;
  private readonly opts: SynthvidDeviceOptions;
  private st: SynthvidDeviceState = 'readVersion';
  private ver: SynthvidVersion | undefined;
  private err: SynthvidError | undefined;
  private vramMapped = false;
  private vramGpa: bigint | undefined;
  private dirtMessages = 0;
  private dirtRects = 0;
  private packets = 0;
  private readonly onMessage = (data: unknown): void => this.receive(data);
  private readonly onPortClose = (): void => {
    this.log.info('synthvid peer closed the channel');
    this.shutdown(undefined);
  };

  /** Creates the device and starts serving `options.port`. */
  constructor(options: SynthvidDeviceOptions) {
    this.opts = options;
    this.port = options.port;
    this.view = options.view;
    this.log = options.logger ?? silentLogger;
    this.port.on('message', this.onMessage);
    this.port.on('close', this.onPortClose);
  }

  /** Current state. */
  get state(): SynthvidDeviceState {
    return this.st;
  }

  /** The negotiated version, or undefined before a version was accepted. */
  get version(): SynthvidVersion | undefined {
    return this.ver;
  }

  /** The protocol error that closed the device, if any. */
  get error(): SynthvidError | undefined {
    return this.err;
  }

  /** A plain-object snapshot of the live state, for diagnostics. */
  inspect(): SynthvidDeviceInspect {
    return {
      state: this.st,
      version: this.ver ? `${this.ver.major}.${this.ver.minor}` : undefined,
      vramMapped: this.vramMapped,
      vramGpa: this.vramGpa === undefined ? undefined : `0x${this.vramGpa.toString(16)}`,
      format: this.view.format,
      dirtMessages: this.dirtMessages,
      dirtRects: this.dirtRects,
      packets: this.packets,
      lastError: this.err ? { code: this.err.code, message: this.err.message } : undefined,
    };
  }

  /** Stops serving and closes the port (no error is recorded). Idempotent. */
  close(): void {
    this.shutdown(undefined);
  }

  private shutdown(err: SynthvidError | undefined): void {
    if (this.st === 'closed') return;
    this.st = 'closed';
    this.err = err;
    this.port.off('message', this.onMessage);
    this.port.off('close', this.onPortClose);
    try {
      this.port.close();
    } catch (e) {
      this.log.debug('closing the synthvid port failed', { error: String(e) });
    }
    this.callback('onClose', () => this.opts.onClose?.(err));
  }

  /** Runs a consumer callback; a throwing consumer is logged, never allowed to break the channel. */
  private callback(name: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.error(`synthvid ${name} callback threw`, { error: String(e) });
    }
  }

  private receive(data: unknown): void {
    if (this.st === 'closed') return;
    this.packets++;
    try {
      const bytes = asBytes(data);
      if (!bytes) {
        throw new SynthvidError(SynthvidErrorCode.INVALID_FIELD, `channel message is not binary (${typeof data})`);
      }
      this.dispatch(decodeSynthvid(bytes));
    } catch (e) {
      if (e instanceof SynthvidError) {
        this.log.warn('synthvid protocol error, closing the channel', { code: e.code, error: e.message, state: this.st });
        this.shutdown(e);
      } else {
        this.log.error('synthvid device internal error, closing the channel', { error: String(e) });
        this.shutdown(undefined);
      }
    }
  }

  private send(msg: SynthvidMessage): void {
    const bytes = encodeSynthvid(msg);
    this.port.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
  }

  private dispatch(msg: SynthvidMessage): void {
    if (HOST_TO_GUEST.has(msg.type)) {
      const n = SYNTHVID_KIND_TYPE[msg.type];
      throw new SynthvidError(SynthvidErrorCode.UNKNOWN_TYPE, `unknown synthvid request type ${n} (a host-to-guest message)`, {
        messageType: n,
      });
    }
    if (this.st === 'readVersion') {
      if (msg.type !== 'versionRequest') {
        throw new SynthvidError(SynthvidErrorCode.UNEXPECTED_ORDER, `${msg.type} before version negotiation`, {
          messageType: SYNTHVID_KIND_TYPE[msg.type],
        });
      }
      const accepted = msg.version.major === 3;
      this.send({
        type: 'versionResponse',
        version: msg.version,
        isAccepted: accepted ? ACCEPTED_WITH_VERSION_EXCHANGE : 0,
        maxVideoOutputs: 1,
      });
      const version = `${msg.version.major}.${msg.version.minor}`;
      if (accepted) {
        this.ver = { major: msg.version.major, minor: msg.version.minor };
        this.st = 'active';
        this.log.info('synthvid version negotiated', { version });
      } else {
        this.log.limited('warn', 'synthvid-version-rejected', 'synthvid version rejected', { version });
      }
      return;
    }
    switch (msg.type) {
      case 'versionRequest':
        throw new SynthvidError(SynthvidErrorCode.UNEXPECTED_ORDER, 'second VERSION_REQUEST after negotiation', {
          messageType: SYNTHVID_KIND_TYPE.versionRequest,
        });
      case 'vramLocation':
        this.vramMapped = msg.isVramGpaSpecified;
        this.vramGpa = msg.isVramGpaSpecified ? msg.vramGpa : undefined;
        this.log.debug('synthvid vram location', { mapped: this.vramMapped, gpa: this.inspect().vramGpa });
        this.send({ type: 'vramLocationAck', userContext: msg.userContext });
        return;
      case 'situationUpdate':
        this.applySituation(msg.output.width, msg.output.height, msg.output.pitch, msg.output.vramOffset);
        this.send({ type: 'situationUpdateAck', userContext: msg.userContext });
        return;
      case 'pointerPosition': {
        const p: PointerPosition = { visible: msg.isVisible, x: msg.x, y: msg.y };
        this.callback('onPointerPosition', () => this.opts.onPointerPosition?.(p));
        return;
      }
      case 'pointerShape':
        this.pointerShape(msg);
        return;
      case 'dirt': {
        const rects: DirtyRect[] = msg.rects.map((r) => ({ left: r.left, top: r.top, right: r.right, bottom: r.bottom }));
        this.dirtMessages++;
        this.dirtRects += rects.length;
        this.callback('onDirt', () => this.opts.onDirt?.(rects));
        return;
      }
      case 'biosInfoRequest':
        this.send({ type: 'biosInfoResponse', stopDeviceSupported: 1 });
        return;
      case 'supportedResolutionsRequest': {
        const full = msg.maximumResolutionCount >= MAXIMUM_RESOLUTIONS_COUNT;
        this.send({
          type: 'supportedResolutionsResponse',
          edid: buildEdid(),
          defaultResolutionIndex: 0,
          isStandard: false,
          resolutions: full ? OFFERED_RESOLUTIONS : [],
        });
        return;
      }
      case 'capabilityRequest':
        this.send({ type: 'capabilityResponse', lockOnDisconnect: 0 });
        return;
      default:
        // Host-to-guest kinds were rejected above; nothing else remains.
        return;
    }
  }

  private applySituation(width: number, height: number, stride: number, offset: number): void {
    const format: FramebufferFormat = { width, height, stride, offset };
    let ok = false;
    try {
      ok = this.view.setFormat(format);
    } catch (e) {
      // A format listener threw; the view already switched, so report and carry on.
      this.log.error('framebuffer format listener threw', { error: String(e) });
      return;
    }
    if (ok) {
      this.log.debug('synthvid situation update', { width, height, stride, offset });
    } else {
      this.log.limited('warn', 'synthvid-bad-format', 'synthvid situation update ignored, keeping the old format', {
        width,
        height,
        stride,
        offset,
        reason: formatProblem(format, this.view.vram.size) ?? 'rejected by the view',
      });
    }
  }

  private pointerShape(msg: Extract<SynthvidMessage, { type: 'pointerShape' }>): void {
    if (msg.partialIndex !== CURSOR_COMPLETE) {
      this.log.limited('debug', 'synthvid-partial-cursor', 'partial pointer shape piece ignored', {
        partialIndex: msg.partialIndex,
      });
      return;
    }
    const need = pointerShapeDataSize(msg.flags, msg.width, msg.height);
    const sizeOk = msg.width >= 1 && msg.width <= CURSOR_MAX_EDGE && msg.height >= 1 && msg.height <= CURSOR_MAX_EDGE;
    if (need === undefined || !sizeOk || msg.data.length < need) {
      this.log.limited('warn', 'synthvid-bad-cursor', 'invalid pointer shape ignored', {
        flags: msg.flags,
        width: msg.width,
        height: msg.height,
        bytes: msg.data.length,
      });
      return;
    }
    const shape: PointerShape = {
      flags: msg.flags,
      width: msg.width,
      height: msg.height,
      hotX: msg.hotX,
      hotY: msg.hotY,
      data: msg.data.subarray(0, need),
    };
    this.callback('onPointerShape', () => this.opts.onPointerShape?.(shape));
  }
}
