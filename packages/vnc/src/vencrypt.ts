/**
 * VeNCrypt (RFB security type 19): TLS on the RFB socket itself, so the console can be reached
 * from other machines without its pixels, keys and VNC Authentication exchange going in clear.
 *
 * The negotiation (rfbproto, "VeNCrypt"): the server sends version 0.2; the client answers with
 * the version it speaks and the server acks it (0 = ok, anything else ends the connection); the
 * server lists its subtypes (U8 count, U32 each), the client picks one (U32), the server accepts
 * (U8 1). Then the TLS handshake runs on the same socket, and inside TLS the subtype's inner
 * security (None or VNC Authentication) and the usual SecurityResult follow.
 *
 * Subtypes offered: `X509None`/`X509Vnc` (TLS with the configured certificate: the client can
 * check the server's identity) and `TLSNone`/`TLSVnc` (anonymous TLS, ECDH/DH without a
 * certificate: protects against eavesdropping only, not a man in the middle; the only TLS
 * several clients do without a CA file). Anonymous cipher suites exist only up to TLS 1.2 and
 * sit below OpenSSL 3's default security level, hence their own context at `@SECLEVEL=0`.
 * Plain subtypes (username and password) are not offered: RFB has no user names here.
 *
 * Which security types a connection is offered is {@link securityOffer}'s decision; the
 * connection runs the bytes (`connection.ts`) and swaps its transport with {@link startServerTls}.
 */

import { type SecureContext, TLSSocket, createSecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';
import { SecurityType } from './rfb.js';

/** VeNCrypt subtypes (rfbproto). Only the TLS and X509 None/Vnc ones are offered. */
export const VencryptSubtype = {
  PLAIN: 256,
  TLS_NONE: 257,
  TLS_VNC: 258,
  TLS_PLAIN: 259,
  X509_NONE: 260,
  X509_VNC: 261,
  X509_PLAIN: 262,
} as const;

/** The VeNCrypt version this server speaks (0.2, the only one in use). */
export const VENCRYPT_VERSION = { major: 0, minor: 2 } as const;

/** The two TLS contexts VeNCrypt (and the web console's wss://) use, built once per listener. */
export interface VncTlsContexts {
  /** Certificate and key: X509 subtypes and HTTPS/wss. */
  readonly x509: SecureContext;
  /** Anonymous (ECDH/DH, no certificate), TLS 1.2 only: TLSNone and TLSVnc. */
  readonly anonymous: SecureContext;
}

/** PEM text of a certificate (chain) and its private key. */
export interface TlsPem {
  /** The certificate, PEM; may hold a chain. */
  readonly cert: string;
  /** The private key, PEM, unencrypted. */
  readonly key: string;
}

/** Cipher suites for anonymous TLS: unauthenticated key exchange, never null encryption. */
export const ANONYMOUS_TLS_CIPHERS = 'aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:@SECLEVEL=0';

/**
 * Builds the TLS contexts for `pem`. Throws (the OpenSSL reason in the message) when the
 * certificate or key cannot be parsed or do not belong together.
 */
export function createVncTlsContexts(pem: TlsPem): VncTlsContexts {
  return {
    x509: createSecureContext({ cert: pem.cert, key: pem.key, minVersion: 'TLSv1.2' }),
    anonymous: createSecureContext({ ciphers: ANONYMOUS_TLS_CIPHERS, dhparam: 'auto', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }),
  };
}

/** What one connection is offered. */
export interface SecurityOffer {
  /** RFB security types, in preference order (VeNCrypt first). */
  readonly types: readonly number[];
  /** VeNCrypt subtypes, in preference order; empty when VeNCrypt is not offered. */
  readonly subtypes: readonly number[];
  /** The type an RFB 3.3 client gets (3.3 has no VeNCrypt); undefined: refuse 3.3. */
  readonly type33: number | undefined;
}

/** Inputs of {@link securityOffer}. */
export interface SecurityOfferInput {
  /** A VNC Authentication password is configured. */
  readonly password: boolean;
  /** TLS is configured. */
  readonly tls: boolean;
  /** None / VNC Authentication may be offered outside TLS (loopback peer, or already-encrypted transport). */
  readonly plain: boolean;
}

/**
 * The security policy. With a password, only types that ask for it (VNC Authentication, TLSVnc,
 * X509Vnc); without, only None-like ones. With TLS, VeNCrypt is offered (certificate subtypes
 * first), and the plain type only when `plain` allows it; a connection allowed neither would
 * have nothing to choose, so without TLS the plain type is always offered (the CLI refuses to
 * start such a server on a reachable address without `--vnc-allow-insecure`).
 */
export function securityOffer({ password, tls, plain }: SecurityOfferInput): SecurityOffer {
  const plainType = password ? SecurityType.VNC_AUTH : SecurityType.NONE;
  if (!tls) return { types: [plainType], subtypes: [], type33: plainType };
  const subtypes = password ? [VencryptSubtype.X509_VNC, VencryptSubtype.TLS_VNC] : [VencryptSubtype.X509_NONE, VencryptSubtype.TLS_NONE];
  return plain
    ? { types: [SecurityType.VENCRYPT, plainType], subtypes, type33: plainType }
    : { types: [SecurityType.VENCRYPT], subtypes, type33: undefined };
}

/** The security that runs inside TLS for a subtype: VNC Authentication or None. */
export function innerSecurityType(subtype: number): number {
  return subtype === VencryptSubtype.TLS_VNC || subtype === VencryptSubtype.X509_VNC ? SecurityType.VNC_AUTH : SecurityType.NONE;
}

/** True for the subtypes that use the certificate (X509*), false for anonymous TLS. */
export function isX509Subtype(subtype: number): boolean {
  return subtype >= VencryptSubtype.X509_NONE && subtype <= VencryptSubtype.X509_PLAIN;
}

/** A readable name for a subtype, for logs. */
export function vencryptSubtypeName(subtype: number): string {
  const names: Record<number, string> = { 257: 'TLSNone', 258: 'TLSVnc', 260: 'X509None', 261: 'X509Vnc' };
  return names[subtype] ?? `${subtype}`;
}

/** The server's VeNCrypt greeting: version 0.2. */
export function vencryptServerVersion(): Buffer {
  return Buffer.from([VENCRYPT_VERSION.major, VENCRYPT_VERSION.minor]);
}

/** The version ack (0) followed by the subtype list (U8 count, U32 each). */
export function vencryptSubtypeList(subtypes: readonly number[]): Buffer {
  const out = Buffer.alloc(2 + 4 * subtypes.length);
  out[0] = 0;
  out[1] = subtypes.length;
  subtypes.forEach((s, i) => out.writeUInt32BE(s, 2 + 4 * i));
  return out;
}

/**
 * Wraps `raw` in a server-side TLS socket. Bytes the client sent ahead (its ClientHello right
 * behind the subtype) must already be back in `raw` (`unshift` on a paused socket): the TLS
 * socket reads what is buffered there before anything new.
 */
export function startServerTls(raw: Duplex, context: SecureContext): TLSSocket {
  return new TLSSocket(raw, { isServer: true, secureContext: context, requestCert: false, rejectUnauthorized: false });
}
