/**
 * Continuous updates (-313, EnableContinuousUpdates) and the fence-paced flow control that keeps
 * them honest.
 *
 * Without continuous updates a client paces the server itself: one FramebufferUpdateRequest, one
 * update. With them the server pushes updates whenever something changed, so something else
 * must stop a slow link from collecting a backlog. TigerVNC runs a TCP-Vegas-like congestion
 * window on fence round trips; we keep the idea and the simplest window that works: after each
 * pushed update a fence request follows, and while {@link MAX_FENCES_IN_FLIGHT} fences are
 * unanswered no further update is pushed. Changes keep accumulating in the client's dirty bitmap
 * meanwhile, so when the client catches up it gets one fresh update of everything that changed,
 * instead of every intermediate frame. A client that never answers fences simply stops getting
 * pushed updates (its non-incremental requests are still answered), and the socket's queue
 * limits in `connection.ts` still apply underneath.
 *
 * Clients that take continuous updates without fences (none we know of: TigerVNC requires fences
 * and noVNC supports both) are paced by the socket queue alone.
 */

import { FenceFlag, encodeFence } from './fence.js';

/** Pushed updates whose fence has not come back before pushing stops. */
export const MAX_FENCES_IN_FLIGHT = 2;

/** The region a client asked to be kept up to date. */
export interface UpdateRegion {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** One connection's continuous-update state. */
export class FlowControl {
  private region: UpdateRegion | undefined;
  private nextSeq = 1;
  /** Sequence numbers of our fences not answered yet, oldest first. */
  private readonly inFlight: number[] = [];
  private started = 0;
  /** Sequence number of the newest answered fence. */
  private answered = 0;
  private rttMs = 0;
  private readonly sentAt = new Map<number, number>();

  /** Whether the client has continuous updates on. */
  get enabled(): boolean {
    return this.region !== undefined;
  }

  /**
   * EnableContinuousUpdates with enable = 1. The region is kept for `inspect()`; changes anywhere
   * are pushed (every client we know asks for the whole screen; see docs/clients.md).
   */
  enable(region: UpdateRegion): void {
    this.region = region;
  }

  /** EnableContinuousUpdates with enable = 0. Unanswered fences stay counted until they return. */
  disable(): void {
    this.region = undefined;
  }

  /** True when an update may be pushed now: enabled and fewer than the window of fences out. */
  canPush(fenceSupported: boolean): boolean {
    return this.region !== undefined && (!fenceSupported || this.inFlight.length < MAX_FENCES_IN_FLIGHT);
  }

  /**
   * A fence request (BlockBefore: answered only after everything sent before it), sent after each
   * pushed update and once as the "fences supported" announcement; counted in the window.
   */
  fenceRequest(now: number): Buffer {
    const seq = this.nextSeq++ >>> 0;
    this.inFlight.push(seq);
    this.sentAt.set(seq, now);
    this.started++;
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(seq, 0);
    return encodeFence(FenceFlag.REQUEST | FenceFlag.BLOCK_BEFORE, payload);
  }

  /**
   * A fence answer from the client. Returns false if it answers nothing we sent (wrong payload),
   * which the connection treats as a protocol error.
   */
  answer(payload: Uint8Array, now: number): boolean {
    if (payload.length !== 4) return false;
    const seq = ((payload[0]! << 24) | (payload[1]! << 16) | (payload[2]! << 8) | payload[3]!) >>> 0;
    const at = this.inFlight.indexOf(seq);
    if (at < 0) return false;
    this.rttMs = now - (this.sentAt.get(seq) ?? now);
    // Fences come back in order; an answer also settles any older ones.
    for (const s of this.inFlight.splice(0, at + 1)) this.sentAt.delete(s);
    this.answered = seq;
    return true;
  }

  /** A plain snapshot for `inspect()`. */
  inspect(): Record<string, unknown> {
    return { enabled: this.enabled, region: this.region, fencesInFlight: this.inFlight.length, fencesSent: this.started, lastAnsweredFence: this.answered, lastRttMs: this.rttMs };
  }
}
