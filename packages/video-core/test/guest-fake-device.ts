/**
 * A minimal host-side synthvid device for guest tests: answers VERSION_REQUEST, VRAM_LOCATION
 * and SITUATION_UPDATE like OpenVMM does (using the shared codec) and records everything else
 * the guest sends, DIRT in particular.
 */

import type { MessagePort } from 'node:worker_threads';
import { decodeSynthvid, encodeSynthvid } from '../src/synthvid/codec.js';
import type { SynthvidMessage, SynthvidRect } from '../src/synthvid/protocol.js';

export interface FakeDeviceOptions {
  /** Answer VERSION_REQUEST with is_accepted = 0. */
  readonly rejectVersion?: boolean;
  /** Never answer anything. */
  readonly mute?: boolean;
}

export class FakeSynthvidDevice {
  readonly received: SynthvidMessage[] = [];
  private listeners: (() => void)[] = [];

  constructor(
    readonly port: MessagePort,
    private readonly opts: FakeDeviceOptions = {},
  ) {
    port.on('message', (data: Uint8Array) => this.onPacket(data));
  }

  private onPacket(data: Uint8Array): void {
    const msg = decodeSynthvid(data);
    this.received.push(msg);
    if (!this.opts.mute) {
      const reply = this.reply(msg);
      if (reply) this.port.postMessage(encodeSynthvid(reply));
    }
    for (const l of this.listeners) l();
  }

  private reply(msg: SynthvidMessage): SynthvidMessage | undefined {
    switch (msg.type) {
      case 'versionRequest':
        return { type: 'versionResponse', version: msg.version, isAccepted: this.opts.rejectVersion ? 0 : 2, maxVideoOutputs: 1 };
      case 'vramLocation':
        return { type: 'vramLocationAck', userContext: msg.userContext };
      case 'situationUpdate':
        return { type: 'situationUpdateAck', userContext: msg.userContext };
      default:
        return undefined;
    }
  }

  /** Sends an arbitrary message to the guest. */
  send(msg: SynthvidMessage): void {
    this.port.postMessage(encodeSynthvid(msg));
  }

  /** All messages of a type, in order. */
  ofType<K extends SynthvidMessage['type']>(type: K): Extract<SynthvidMessage, { type: K }>[] {
    return this.received.filter((m): m is Extract<SynthvidMessage, { type: K }> => m.type === type);
  }

  /** Every DIRT message's rects, one array per message. */
  get dirt(): SynthvidRect[][] {
    return this.ofType('dirt').map((m) => [...m.rects]);
  }

  /** Number of messages received so far (use as a mark before an action). */
  get count(): number {
    return this.received.length;
  }

  /** Messages received after `mark`. */
  since(mark: number): SynthvidMessage[] {
    return this.received.slice(mark);
  }

  /** Resolves once `pred` is true (checked after each message), or rejects after `timeoutMs`. */
  waitFor(pred: () => boolean, timeoutMs = 3000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error('fake device: timed out waiting'));
      }, timeoutMs);
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve();
      };
      this.listeners.push(check);
    });
  }

  close(): void {
    this.port.close();
  }
}

/** Sorted list of every pixel coordinate covered by `rects`, as "x,y" keys (for small surfaces). */
export function coveredPixels(rects: readonly SynthvidRect[]): Set<string> {
  const s = new Set<string>();
  for (const r of rects) for (let y = r.top; y < r.bottom; y++) for (let x = r.left; x < r.right; x++) s.add(`${x},${y}`);
  return s;
}

/** Bounding box of `rects`. */
export function bbox(rects: readonly SynthvidRect[]): SynthvidRect {
  return {
    left: Math.min(...rects.map((r) => r.left)),
    top: Math.min(...rects.map((r) => r.top)),
    right: Math.max(...rects.map((r) => r.right)),
    bottom: Math.max(...rects.map((r) => r.bottom)),
  };
}
