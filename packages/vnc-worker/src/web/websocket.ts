/**
 * `WebSocketStream`: an upgraded socket as a byte-stream `Duplex`, so that an RFB connection
 * runs over WebSocket exactly as over TCP.
 *
 * Reading: client frames go through a {@link FrameReceiver}; binary payload bytes are pushed as
 * they arrive (frame boundaries mean nothing to RFB), pings are answered with pongs, a close
 * frame is echoed and ends the stream, and a protocol violation sends the matching close code
 * (1002, 1003, 1007, 1009) and destroys the stream with a {@link WebSocketError}. When the reader
 * falls behind, the socket is paused until it reads again.
 *
 * Writing: each write (or each batch of writes queued meanwhile) becomes one unmasked binary
 * frame. A write completes only once the socket is below its high-water mark again (its
 * `'drain'`), so this stream's `writableLength` is the bytes queued here plus the frame the socket
 * still holds (within the socket's 16 KiB high-water mark of the true backlog), and its `'drain'`
 * follows the socket's: what `VncConnection` expects of a `net.Socket`.
 *
 * Closing: {@link WebSocketStream.close} (server shutdown) flushes queued writes, sends a close
 * frame, and closes the TCP connection when the peer answers or after `closeTimeoutMs`.
 * `destroy()` (what `VncConnection.close()` calls) sends a close frame (1000, or the error's
 * code) if none was sent yet and ends the socket at once.
 */

import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { type Logger, silentLogger } from '@openvmm-vnc-ts/video-core';
import { CloseCode, DEFAULT_MAX_PAYLOAD, FrameReceiver, Opcode, WebSocketError, closePayload, encodeFrame, frameHeader } from './frames.js';

/** Default wait for the peer's close frame (and TCP close) after ours (ms). */
export const DEFAULT_CLOSE_TIMEOUT_MS = 2000;

/** Payloads up to this size are copied behind their header into one buffer; larger ones are corked. */
const COPY_LIMIT = 16 * 1024;

/** Options for a {@link WebSocketStream}. */
export interface WebSocketStreamOptions {
  /** Largest client message (bytes); default {@link DEFAULT_MAX_PAYLOAD}. */
  maxPayload?: number;
  /** How long to wait for the peer after a close frame (ms); default {@link DEFAULT_CLOSE_TIMEOUT_MS}. */
  closeTimeoutMs?: number;
  /** The negotiated sub-protocol (`binary`), if any; informational. */
  protocol?: string;
  /** Bytes that arrived behind the upgrade request (frames the client already sent). */
  head?: Buffer;
  /** Logger; default silent. */
  logger?: Logger;
}

/** A WebSocket connection (server side) as a byte stream. */
export class WebSocketStream extends Duplex {
  /** The negotiated sub-protocol, if any. */
  readonly protocol: string | undefined;
  private readonly receiver: FrameReceiver;
  private readonly log: Logger;
  private readonly closeTimeoutMs: number;
  private closeSent = false;
  private received: { code: number | undefined; reason: string } | undefined;
  private pendingClose: { code: number; reason: string } | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private socketPaused = false;
  private writeWaitingForDrain: ((error?: Error | null) => void) | undefined;
  private pendingPong: Buffer | undefined;

  constructor(
    /** The upgraded TCP socket (the 101 response already written). */
    readonly socket: Socket,
    options: WebSocketStreamOptions = {},
  ) {
    super({ allowHalfOpen: true });
    this.protocol = options.protocol;
    this.log = options.logger ?? silentLogger;
    this.closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.receiver = new FrameReceiver(
      {
        onData: (bytes) => this.onData(bytes),
        onPing: (payload) => this.sendPong(payload),
        onPong: () => {},
        onClose: (code, reason) => this.onPeerClose(code, reason),
      },
      options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
    );
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('drain', () => this.onSocketDrain());
    socket.on('end', () => this.onSocketEnd());
    socket.on('close', () => this.onSocketClose());
    socket.on('error', (err) => this.destroy(err));
    if (options.head && options.head.length > 0) this.onSocketData(options.head);
  }

  /** The peer's address (as `net.Socket.remoteAddress`). */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** The peer's port (as `net.Socket.remotePort`). */
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  /** The close frame the peer sent (`code` undefined when it carried none), once it has. */
  get peerClose(): { code: number | undefined; reason: string } | undefined {
    return this.received;
  }

  /** Sets `TCP_NODELAY` on the socket (as `net.Socket.setNoDelay`). */
  setNoDelay(noDelay = true): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  /**
   * Closes gracefully: queued writes are sent, then a close frame with `code` and `reason`; the
   * TCP connection closes when the peer answers, or after `closeTimeoutMs`. Use 1001 for a
   * server shutdown, 1013 for a client limit. Idempotent.
   */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (this.pendingClose || this.closeSent || this.destroyed) return;
    this.pendingClose = { code, reason };
    // Bounds the whole close, including flushing writes to a peer that has stopped reading.
    this.armKillTimer();
    this.end();
  }

  /** @internal Duplex implementation. */
  override _read(): void {
    if (!this.socketPaused) return;
    this.socketPaused = false;
    this.socket.resume();
  }

  /** @internal Duplex implementation. */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.sendData([chunk], callback);
  }

  /** @internal Duplex implementation. */
  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.sendData(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  /** @internal Duplex implementation. */
  override _final(callback: (error?: Error | null) => void): void {
    const { code, reason } = this.pendingClose ?? { code: CloseCode.NORMAL, reason: '' };
    this.sendClose(code, reason);
    this.armKillTimer();
    callback();
  }

  /** @internal Duplex implementation. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.writeWaitingForDrain = undefined;
    if (!this.socket.destroyed) {
      this.sendClose(error instanceof WebSocketError ? error.closeCode : error ? CloseCode.INTERNAL_ERROR : CloseCode.NORMAL, '');
      this.socket.end();
      this.armKillTimer();
    }
    callback(error);
  }

  /**
   * One binary frame carrying `bufs`. A small frame is copied and completes when the socket is
   * below its high-water mark; a large one completes when the socket has flushed it.
   */
  private sendData(bufs: Buffer[], callback: (error?: Error | null) => void): void {
    let length = 0;
    for (const b of bufs) length += b.length;
    if (this.closeSent || !this.socket.writable || length === 0) return callback();
    const header = frameHeader(Opcode.BINARY, length);
    let ok: boolean;
    if (length <= COPY_LIMIT) ok = this.socket.write(Buffer.concat([header, ...bufs], header.length + length));
    else {
      // Large payloads go out by reference, so this write completes only once the socket has
      // flushed them: the caller may then reuse its buffer (VncConnection recycles updates).
      this.socket.cork();
      this.socket.write(header);
      bufs.forEach((b, i) => (i === bufs.length - 1 ? this.socket.write(b, (err) => callback(err ?? null)) : this.socket.write(b)));
      this.socket.uncork();
      return;
    }
    if (ok) callback();
    else this.writeWaitingForDrain = callback;
  }

  private onSocketData(chunk: Buffer): void {
    if (this.destroyed) return;
    try {
      this.receiver.push(chunk);
    } catch (err) {
      if (err instanceof WebSocketError) {
        this.log.limited('info', 'ws-protocol-error', 'WebSocket protocol error; closing', { code: err.code, closeCode: err.closeCode, error: err.message });
      }
      this.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private onData(bytes: Buffer): void {
    if (this.destroyed || this.received) return;
    if (!this.push(bytes) && !this.socketPaused) {
      this.socketPaused = true;
      this.socket.pause();
    }
  }

  private sendPong(payload: Buffer): void {
    if (this.closeSent || !this.socket.writable) return;
    // A peer that pings without reading gets one pong per drain, for its latest ping (RFC 6455 5.5.3).
    if (this.socket.writableNeedDrain) this.pendingPong = payload;
    else this.socket.write(encodeFrame(Opcode.PONG, payload));
  }

  private onPeerClose(code: number | undefined, reason: string): void {
    this.received = { code, reason };
    this.log.debug('WebSocket close frame received', { code, reason });
    // Echo the status code (RFC 6455 5.5.1); the server then closes the TCP connection.
    this.sendClose(code, '');
    this.socket.end();
    this.armKillTimer();
    this.push(null);
  }

  private sendClose(code: number | undefined, reason: string): void {
    if (this.closeSent) return;
    this.closeSent = true;
    if (this.socket.writable) this.socket.write(encodeFrame(Opcode.CLOSE, closePayload(code, reason)));
  }

  private onSocketDrain(): void {
    if (this.pendingPong && !this.closeSent) {
      const payload = this.pendingPong;
      this.pendingPong = undefined;
      this.socket.write(encodeFrame(Opcode.PONG, payload));
    }
    const callback = this.writeWaitingForDrain;
    this.writeWaitingForDrain = undefined;
    callback?.();
  }

  private onSocketEnd(): void {
    if (this.received) return;
    this.log.debug('WebSocket peer ended the TCP connection without a close frame');
    this.push(null);
  }

  private onSocketClose(): void {
    clearTimeout(this.killTimer);
    this.killTimer = undefined;
    if (!this.destroyed) this.destroy();
  }

  /** Destroys the socket if it has not closed within `closeTimeoutMs`. */
  private armKillTimer(): void {
    if (this.killTimer || this.socket.destroyed) return;
    this.killTimer = setTimeout(() => this.socket.destroy(), this.closeTimeoutMs);
    this.killTimer.unref?.();
  }
}
