/**
 * TLS test helpers: a throwaway self-signed certificate (`cert.ts`) and a VeNCrypt client that negotiates in clear and then
 * runs Node's TLS client on the same socket, optionally sending its ClientHello in the same TCP
 * write as its subtype choice (as a client that does not wait for the accept byte would).
 */

import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { RfbTestClient } from './rfb-client.js';

export { type TestCert, testCert } from './cert.js';

/** What the client saw of the negotiation. */
export interface VencryptResult {
  /** The security types offered. */
  readonly types: number[];
  /** The VeNCrypt subtypes offered. */
  readonly subtypes: number[];
  /** The RFB client, now over TLS (after the accept byte; nothing of the inner security read yet). */
  readonly client: RfbTestClient;
  /** The TLS socket. */
  readonly tlsSocket: tls.TLSSocket;
}

/** Options of {@link vencryptConnect}. */
export interface VencryptConnectOptions {
  /** The subtype to choose. */
  subtype: number;
  /** Send the ClientHello in the same write as the subtype, before the accept byte arrives. */
  ahead?: boolean;
  /** Trust this CA (PEM) and check the server name; without it the certificate is not checked. */
  ca?: string;
}

const anonymous = (subtype: number): boolean => subtype === 257 || subtype === 258;

/** RFB 3.8 up to the end of the TLS handshake with VeNCrypt `subtype`. */
export async function vencryptConnect(port: number, o: VencryptConnectOptions): Promise<VencryptResult> {
  const c = await RfbTestClient.connect(port);
  await c.readExactly(12);
  c.write(Buffer.from('RFB 003.008\n', 'latin1'));
  const types = [...(await c.readExactly(await c.readU8()))];
  if (!types.includes(19)) throw new Error(`VeNCrypt not offered: ${types}`);
  c.write(Uint8Array.of(19));
  const version = await c.readExactly(2);
  if (version[0] !== 0 || version[1] !== 2) throw new Error(`server VeNCrypt version ${version[0]}.${version[1]}`);
  c.write(Uint8Array.of(0, 2));
  if ((await c.readU8()) !== 0) throw new Error('version refused');
  const n = await c.readU8();
  const list = Buffer.from(await c.readExactly(4 * n));
  const subtypes = Array.from({ length: n }, (_, i) => list.readUInt32BE(4 * i));
  const choice = Buffer.alloc(4);
  choice.writeUInt32BE(o.subtype);
  const tlsOptions: tls.ConnectionOptions = anonymous(o.subtype)
    ? { ciphers: 'aNULL:@SECLEVEL=0', maxVersion: 'TLSv1.2', rejectUnauthorized: false, checkServerIdentity: () => undefined }
    : o.ca !== undefined
      ? { ca: o.ca, servername: 'localhost' }
      : { rejectUnauthorized: false };
  let transport: Duplex;
  if (!o.ahead) {
    c.write(choice);
    const accept = await c.readU8();
    if (accept !== 1) throw new Error(`subtype ${o.subtype} refused (${accept})`);
    transport = c.release();
  } else {
    transport = aheadTransport(c.release(), choice);
  }
  const tlsSocket = tls.connect({ socket: transport, ...tlsOptions });
  await new Promise<void>((resolve, reject) => {
    tlsSocket.once('secureConnect', resolve);
    tlsSocket.once('error', reject);
  });
  tlsSocket.removeAllListeners('error');
  return { types, subtypes, client: RfbTestClient.adopt(tlsSocket), tlsSocket };
}

/**
 * A Duplex over `raw` whose first write is prefixed with `prefix` (so the subtype and the
 * ClientHello leave in one write) and whose first received byte (the accept byte) is checked
 * and dropped.
 */
function aheadTransport(raw: import('node:net').Socket, prefix: Buffer): Duplex {
  let first = true;
  let acceptSeen = false;
  const d = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      const data = first ? Buffer.concat([prefix, chunk]) : chunk;
      first = false;
      raw.write(data, cb);
    },
    read() {},
    final(cb) {
      raw.end(cb);
    },
    destroy(err, cb) {
      raw.destroy();
      cb(err);
    },
  });
  raw.on('data', (chunk: Buffer) => {
    let c = chunk;
    if (!acceptSeen) {
      acceptSeen = true;
      if (c[0] !== 1) {
        d.destroy(new Error(`subtype refused (${c[0]})`));
        return;
      }
      c = c.subarray(1);
    }
    if (c.length > 0) d.push(c);
  });
  raw.on('end', () => d.push(null));
  raw.on('close', () => d.destroy());
  return d;
}
