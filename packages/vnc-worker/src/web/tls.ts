/**
 * HTTPS and wss:// on the VNC port. A client that opens with a TLS handshake record (first byte
 * 0x16; neither an RFB client, which waits for the server, nor plain HTTP starts so) is a browser
 * asking for `https://` or `wss://`, or an RFB client behind a TLS tunnel. When TLS is configured
 * the socket is wrapped in a server TLS socket with the listener's certificate, and once the
 * handshake is done the same classification runs again inside (`index.ts`): page, WebSocket or
 * raw RFB, now encrypted.
 *
 * The handshake is bounded in time (the request-head timeout); a failure or a peer that leaves
 * is logged and ends that connection only.
 */

import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import type { Logger } from '@openvmm-vnc-ts/video-core';

/** The first byte of a TLS handshake record (a ClientHello). */
export const TLS_HANDSHAKE_RECORD = 0x16;

/**
 * Runs the server side of a TLS handshake on `socket`, whose first bytes (already read and put
 * back) are the ClientHello. Resolves the TLS socket once secure, or `undefined` (socket
 * destroyed, reason logged) when the handshake fails, the peer leaves or `timeoutMs` passes.
 */
export function acceptTls(socket: Socket, context: SecureContext, timeoutMs: number, log: Logger): Promise<TLSSocket | undefined> {
  const remote = `${socket.remoteAddress}:${socket.remotePort}`;
  socket.pause();
  const tlsSocket = new TLSSocket(socket, { isServer: true, secureContext: context, ALPNProtocols: ['http/1.1'] });
  return new Promise((resolve) => {
    let settled = false;
    const finish = (ok: boolean, reason?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (ok) {
        log.debug('TLS established (https/wss or RFB over TLS)', { remote, protocol: tlsSocket.getProtocol() });
        resolve(tlsSocket);
        return;
      }
      log.limited('info', 'tls-failed', 'TLS handshake failed on the web port', { remote, reason });
      tlsSocket.destroy();
      socket.destroy();
      resolve(undefined);
    };
    const timer = setTimeout(() => finish(false, `not done within ${timeoutMs} ms`), timeoutMs);
    timer.unref?.();
    tlsSocket.once('secure', () => finish(true));
    // The error listener stays: a late error must not crash the process (the caller adds its own).
    tlsSocket.on('error', (err: Error) => finish(false, err.message));
    tlsSocket.once('close', () => finish(false, 'peer closed during the handshake'));
  });
}
