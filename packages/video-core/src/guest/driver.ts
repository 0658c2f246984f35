/**
 * `SynthvidGuestDriver`: the guest's half of the synthvid protocol, as a guest video driver
 * (Windows' or Linux's hyperv_drm) speaks it.
 *
 * The built-in guests use it to bring the device up exactly as a real VM would: negotiate the
 * version (3.5), place VRAM (VRAM_LOCATION, wait for the ACK), announce the surface
 * (SITUATION_UPDATE, wait for the ACK), then report drawing with DIRT and drive the pointer with
 * POINTER_SHAPE / POINTER_POSITION. Packets travel as `Uint8Array`s over a node `MessagePort`
 * (the stand-in for the VMBus pipe), encoded by the shared codec. Every wait has a timeout, so a
 * host that never answers produces an error instead of a hang.
 */

import type { MessagePort } from 'node:worker_threads';
import type { DirtyRect } from '../dirty-rect.js';
import { BYTES_PER_PIXEL } from '../framebuffer.js';
import { silentLogger } from '../log.js';
import type { Logger } from '../log.js';
import { decodeSynthvid, encodeSynthvid } from '../synthvid/codec.js';
import { CURSOR_COMPLETE, MAX_DIRTY_REGIONS, SYNTHVID_VERSION_LATEST } from '../synthvid/protocol.js';
import type { SynthvidMessage, SynthvidMessageKind, SynthvidVersion } from '../synthvid/protocol.js';

/** Default time to wait for each host reply. */
export const GUEST_DRIVER_TIMEOUT_MS = 5000;
/** Default guest-physical address the driver asks the host to map VRAM at. */
export const GUEST_DEFAULT_VRAM_GPA = 0xf800_0000n;
/** `user_context` the driver puts in VRAM_LOCATION (the host must echo it). */
export const GUEST_VRAM_USER_CONTEXT = 0x7476_6e63_2d76_6d6dn;

/** Options for {@link SynthvidGuestDriver}. */
export interface GuestDriverOptions {
  /** How long to wait for each reply; default {@link GUEST_DRIVER_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Where to log; default silent. */
  readonly logger?: Logger;
  /** VRAM guest-physical address to request; default {@link GUEST_DEFAULT_VRAM_GPA}. */
  readonly vramGpa?: bigint;
  /** Protocol version to request; default 3.5. */
  readonly version?: SynthvidVersion;
}

/** The surface size the guest announces. */
export interface GuestSurfaceSize {
  /** Width in pixels (1..65535). */
  readonly width: number;
  /** Height in pixels (1..65535). */
  readonly height: number;
}

/** A colour pointer image. */
export interface GuestPointerShape {
  /** Width in pixels (at most 96; at most 45x45 fits one message). */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Hotspot column. */
  readonly hotX: number;
  /** Hotspot row. */
  readonly hotY: number;
  /** `width*height` pixels of 32-bit little-endian ARGB (bytes B, G, R, A), rows top to bottom. */
  readonly argb: Uint8Array;
}

/** Thrown when the host refuses or breaks the protocol, times out, or the port closes. */
export class GuestDriverError extends Error {
  /** Creates the error with a human-readable `message`. */
  constructor(message: string) {
    super(message);
    this.name = 'GuestDriverError';
  }
}

interface Waiter {
  readonly type: SynthvidMessageKind;
  readonly resolve: (m: SynthvidMessage) => void;
  readonly reject: (e: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

type Of<K extends SynthvidMessageKind> = Extract<SynthvidMessage, { type: K }>;

/** The guest side of a synthvid channel over a `MessagePort`. */
export class SynthvidGuestDriver {
  private readonly timeoutMs: number;
  private readonly log: Logger;
  private readonly vramGpa: bigint;
  private readonly version: SynthvidVersion;
  private waiters: Waiter[] = [];
  private closed = false;
  private size: GuestSurfaceSize | undefined;
  private dirt = true;
  private readonly onMessage = (data: unknown): void => this.receive(data);
  private readonly onClose = (): void => this.shutdown(new GuestDriverError('synthvid port closed'));

  /** Takes over `port`'s message events; call {@link SynthvidGuestDriver.connect} next. */
  constructor(
    /** The channel to the host's synthvid device. */
    readonly port: MessagePort,
    options: GuestDriverOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? GUEST_DRIVER_TIMEOUT_MS;
    this.log = options.logger ?? silentLogger;
    this.vramGpa = options.vramGpa ?? GUEST_DEFAULT_VRAM_GPA;
    this.version = options.version ?? SYNTHVID_VERSION_LATEST;
    port.on('message', this.onMessage);
    port.on('close', this.onClose);
  }

  /** The surface last acknowledged by the host, or `undefined` before {@link SynthvidGuestDriver.connect}. */
  get surface(): GuestSurfaceSize | undefined {
    return this.size;
  }

  /** Whether the host wants DIRT (true unless a FEATURE_CHANGE said otherwise). */
  get dirtNeeded(): boolean {
    return this.dirt;
  }

  /**
   * Brings the device up: VERSION_REQUEST (throws if the host rejects it), VRAM_LOCATION (GPA
   * specified), then SITUATION_UPDATE for a `width` x `height` 32-bpp surface at VRAM offset 0
   * with pitch `width*4`. Each step waits for its reply.
   */
  async connect(size: GuestSurfaceSize): Promise<void> {
    checkSize(size);
    const vr = await this.request({ type: 'versionRequest', version: this.version }, 'versionResponse');
    if (vr.isAccepted === 0) {
      throw new GuestDriverError(`host rejected synthvid version ${this.version.major}.${this.version.minor}`);
    }
    this.log.debug('version accepted', { major: vr.version.major, minor: vr.version.minor, outputs: vr.maxVideoOutputs });
    const ack = await this.request(
      { type: 'vramLocation', userContext: GUEST_VRAM_USER_CONTEXT, isVramGpaSpecified: true, vramGpa: this.vramGpa },
      'vramLocationAck',
    );
    if (ack.userContext !== GUEST_VRAM_USER_CONTEXT) {
      throw new GuestDriverError(`VRAM_LOCATION_ACK echoed context ${ack.userContext}, sent ${GUEST_VRAM_USER_CONTEXT}`);
    }
    await this.situation(size);
  }

  /** Announces a new surface size (SITUATION_UPDATE) and waits for the ACK. */
  async resize(width: number, height: number): Promise<void> {
    const size = { width, height };
    checkSize(size);
    await this.situation(size);
  }

  /**
   * Reports changed pixels: sends DIRT messages of at most 255 rects each (nothing for an empty
   * list, or when the host turned DIRT off). Returns the number of messages sent.
   */
  sendDirt(rects: readonly DirtyRect[]): number {
    if (!this.dirt || rects.length === 0) return 0;
    let sent = 0;
    for (let i = 0; i < rects.length; i += MAX_DIRTY_REGIONS) {
      const chunk = rects.slice(i, i + MAX_DIRTY_REGIONS).map((r) => ({ left: r.left, top: r.top, right: r.right, bottom: r.bottom }));
      this.send({ type: 'dirt', videoOutput: 0, rects: chunk });
      sent++;
    }
    return sent;
  }

  /** Sends a colour (ARGB32) pointer image as one complete POINTER_SHAPE (partial index 0xFF). */
  setPointerShape(shape: GuestPointerShape): void {
    if (shape.argb.length !== shape.width * shape.height * 4) {
      throw new RangeError(`pointer data is ${shape.argb.length} bytes, want ${shape.width * shape.height * 4}`);
    }
    this.send({
      type: 'pointerShape',
      partialIndex: CURSOR_COMPLETE,
      flags: 1,
      width: shape.width,
      height: shape.height,
      hotX: shape.hotX,
      hotY: shape.hotY,
      data: shape.argb,
    });
  }

  /** Sends POINTER_POSITION: the pointer's hotspot at surface pixel (x, y). */
  setPointerPosition(x: number, y: number, visible = true): void {
    this.send({ type: 'pointerPosition', isVisible: visible, videoOutput: 0, x: Math.trunc(x), y: Math.trunc(y) });
  }

  /** Stops listening on the port and fails any pending wait. Does not close the port. */
  close(): void {
    this.shutdown(new GuestDriverError('driver closed'));
  }

  private async situation(size: GuestSurfaceSize): Promise<void> {
    const userContext = 0n;
    const ack = await this.request(
      {
        type: 'situationUpdate',
        userContext,
        videoOutputCount: 1,
        output: { active: true, vramOffset: 0, depthBits: 32, width: size.width, height: size.height, pitch: size.width * BYTES_PER_PIXEL },
      },
      'situationUpdateAck',
    );
    if (ack.userContext !== userContext) throw new GuestDriverError(`SITUATION_UPDATE_ACK echoed context ${ack.userContext}`);
    this.size = { width: size.width, height: size.height };
  }

  private send(msg: SynthvidMessage): void {
    if (this.closed) throw new GuestDriverError(`cannot send ${msg.type}: driver closed`);
    this.port.postMessage(encodeSynthvid(msg));
  }

  /** Sends `msg` and waits for the next message of type `reply`. */
  private request<K extends SynthvidMessageKind>(msg: SynthvidMessage, reply: K): Promise<Of<K>> {
    if (this.closed) return Promise.reject(new GuestDriverError(`cannot send ${msg.type}: driver closed`));
    const p = new Promise<Of<K>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new GuestDriverError(`no ${reply} from host within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiters.push({ type: reply, resolve: resolve as (m: SynthvidMessage) => void, reject, timer });
    });
    try {
      this.send(msg);
    } catch (e) {
      this.shutdownWaiters(e instanceof Error ? e : new Error(String(e)));
    }
    return p;
  }

  private receive(data: unknown): void {
    let bytes: Uint8Array;
    if (data instanceof Uint8Array) bytes = data;
    else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else {
      this.log.limited('warn', 'guest-nonbinary', 'ignoring non-binary message from host');
      return;
    }
    let msg: SynthvidMessage;
    try {
      msg = decodeSynthvid(bytes);
    } catch (e) {
      this.log.limited('warn', 'guest-bad-packet', 'ignoring undecodable packet from host', { error: String(e) });
      return;
    }
    const i = this.waiters.findIndex((w) => w.type === msg.type);
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      clearTimeout(w!.timer);
      w!.resolve(msg);
      return;
    }
    if (msg.type === 'featureChange') {
      this.dirt = msg.isDirtNeeded;
      this.log.debug('feature change', { dirtNeeded: msg.isDirtNeeded });
      return;
    }
    this.log.limited('debug', 'guest-unsolicited', 'ignoring unsolicited message', { type: msg.type });
  }

  private shutdownWaiters(err: Error): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private shutdown(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.port.off('message', this.onMessage);
    this.port.off('close', this.onClose);
    this.shutdownWaiters(err);
  }
}

function checkSize(s: GuestSurfaceSize): void {
  const ok = (v: number): boolean => Number.isInteger(v) && v >= 1 && v <= 0xffff;
  if (!ok(s.width) || !ok(s.height)) throw new RangeError(`invalid surface size ${s.width}x${s.height}`);
}
