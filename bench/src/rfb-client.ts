/**
 * A minimal RFB client over a raw socket, just enough to drive the server in benchmarks:
 * handshake 3.8 with security None, SetEncodings, FramebufferUpdateRequest, and a reader that
 * parses FramebufferUpdates (Raw rectangles in the server's 32-bpp format and the DesktopSize
 * pseudo-rectangle) without keeping pixel data. After each complete update it can send the next
 * incremental request, the way a viewer keeps one request outstanding.
 */

import { connect, type Socket } from 'node:net';

const ENC_RAW = 0;
const ENC_DESKTOP_SIZE = -223;

/** Byte queue with async "wait until n bytes are buffered". */
class ByteQueue {
  private chunks: Buffer[] = [];
  private length = 0;
  private waiter: { n: number; resolve: () => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    if (this.waiter && this.length >= this.waiter.n) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve();
    }
  }

  fail(err: Error): void {
    this.failure ??= err;
    this.waiter?.reject(err);
    this.waiter = undefined;
  }

  private async need(n: number): Promise<void> {
    if (this.length >= n) return;
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve, reject) => (this.waiter = { n, resolve, reject }));
  }

  /** Removes and returns exactly `n` bytes. */
  async take(n: number): Promise<Buffer> {
    await this.need(n);
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      this.consume(k);
    }
    return out;
  }

  /** Discards exactly `n` bytes as they arrive (never holds more than what is buffered). */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      await this.need(1);
      const k = Math.min(left, this.length);
      let done = 0;
      while (done < k) {
        const c = Math.min(this.chunks[0]!.length, k - done);
        this.consume(c);
        done += c;
      }
      left -= k;
    }
  }

  private consume(k: number): void {
    const c = this.chunks[0]!;
    if (k === c.length) this.chunks.shift();
    else this.chunks[0] = c.subarray(k);
    this.length -= k;
  }
}

/** What the client has seen so far. */
export interface ClientCounters {
  /** Complete FramebufferUpdate messages received. */
  updates: number;
  /** Rectangles received (pseudo-rectangles included). */
  rects: number;
  /** Total bytes received from the server. */
  bytes: number;
}

/** A benchmark RFB client. */
export class RfbBenchClient {
  /** Current framebuffer size as the client knows it. */
  width = 0;
  height = 0;
  /** Counters, updated as messages arrive. */
  readonly counters: ClientCounters = { updates: 0, rects: 0, bytes: 0 };
  /** Send an incremental request for the whole screen after each update (default true). */
  autoRequest = true;
  private readonly queue = new ByteQueue();
  private readonly updateListeners = new Set<() => void>();

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.counters.bytes += d.length;
      this.queue.push(d);
    });
    socket.on('error', (e) => this.queue.fail(e));
    socket.on('close', () => this.queue.fail(new Error('socket closed')));
  }

  /** Connects, completes the 3.8 / None handshake and ClientInit (shared), reads ServerInit. */
  static async connect(port: number, host = '127.0.0.1'): Promise<RfbBenchClient> {
    const socket = connect({ port, host });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const c = new RfbBenchClient(socket);
    const version = (await c.queue.take(12)).toString('latin1');
    if (version !== 'RFB 003.008\n') throw new Error(`unexpected server version ${JSON.stringify(version)}`);
    socket.write('RFB 003.008\n', 'latin1');
    const n = (await c.queue.take(1))[0]!;
    const types = await c.queue.take(n);
    if (!types.includes(1)) throw new Error(`server does not offer security None: ${[...types].join(',')}`);
    socket.write(Buffer.from([1]));
    const result = (await c.queue.take(4)).readUInt32BE(0);
    if (result !== 0) throw new Error(`security result ${result}`);
    socket.write(Buffer.from([1])); // ClientInit: shared
    const init = await c.queue.take(24);
    c.width = init.readUInt16BE(0);
    c.height = init.readUInt16BE(2);
    if (init[4] !== 32) throw new Error(`server bpp ${init[4]}, expected 32`);
    await c.queue.take(init.readUInt32BE(20)); // desktop name
    void c.readLoop();
    return c;
  }

  /** SetEncodings. */
  setEncodings(encodings: readonly number[]): void {
    const b = Buffer.alloc(4 + 4 * encodings.length);
    b[0] = 2;
    b.writeUInt16BE(encodings.length, 2);
    encodings.forEach((e, i) => b.writeInt32BE(e, 4 + 4 * i));
    this.socket.write(b);
  }

  /** FramebufferUpdateRequest for the whole screen. */
  requestUpdate(incremental: boolean): void {
    const b = Buffer.alloc(10);
    b[0] = 3;
    b[1] = incremental ? 1 : 0;
    b.writeUInt16BE(this.width, 6);
    b.writeUInt16BE(this.height, 8);
    this.socket.write(b);
  }

  /** Resolves once at least `count` updates have been received in total (or rejects on timeout). */
  waitForUpdates(count: number, timeoutMs = 10_000): Promise<void> {
    if (this.counters.updates >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.updateListeners.delete(check);
        reject(new Error(`timed out waiting for update #${count} (have ${this.counters.updates})`));
      }, timeoutMs);
      const check = (): void => {
        if (this.counters.updates < count) return;
        clearTimeout(timer);
        this.updateListeners.delete(check);
        resolve();
      };
      this.updateListeners.add(check);
    });
  }

  /** Closes the socket. */
  close(): void {
    this.socket.destroy();
  }

  private async readLoop(): Promise<void> {
    try {
      for (;;) {
        const head = await this.queue.take(4);
        if (head[0] !== 0) throw new Error(`unexpected server message type ${head[0]}`);
        const n = head.readUInt16BE(2);
        for (let i = 0; i < n; i++) {
          const r = await this.queue.take(12);
          const w = r.readUInt16BE(4);
          const h = r.readUInt16BE(6);
          const enc = r.readInt32BE(8);
          this.counters.rects++;
          if (enc === ENC_RAW) await this.queue.skip(w * h * 4);
          else if (enc === ENC_DESKTOP_SIZE) {
            this.width = w;
            this.height = h;
          } else throw new Error(`unexpected encoding ${enc}`);
        }
        this.counters.updates++;
        if (this.autoRequest) this.requestUpdate(true);
        for (const l of [...this.updateListeners]) l();
      }
    } catch {
      // Socket closed or protocol error: the waiters time out and report it.
    }
  }
}
