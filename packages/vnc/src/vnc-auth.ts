/**
 * VNC Authentication (RFB security type 2): the server sends 16 random bytes, the client
 * returns them DES-encrypted (ECB, two blocks) with the password as the key.
 *
 * The key is the password's first 8 bytes, zero-padded, with the bits of every byte reversed
 * (a quirk of the original implementation every client follows). Node's OpenSSL 3 refuses
 * single `des-ecb`, but three-key `des-ede-ecb` with the same 8-byte key three times is single
 * DES (E(K) D(K) E(K) = E(K)), so no home-made cipher is needed. Responses are compared in
 * constant time. This is weak, legacy cryptography: it keeps casual users out; use TLS for
 * anything beyond a trusted network.
 */

import { createCipheriv, randomBytes, timingSafeEqual } from 'node:crypto';

/** Length of the challenge and of the response. */
export const VNC_AUTH_CHALLENGE_LENGTH = 16;

function reverseBits(b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
}

/** The DES key for a password: first 8 bytes (Latin-1), zero-padded, each byte bit-reversed. */
export function vncAuthKey(password: string): Buffer {
  const key = Buffer.alloc(8);
  const bytes = Buffer.from(password, 'latin1');
  for (let i = 0; i < 8 && i < bytes.length; i++) key[i] = reverseBits(bytes[i]!);
  return key;
}

/** DES-ECB encrypts `data` (a multiple of 8 bytes) with an 8-byte key. */
export function desEcbEncrypt(key: Uint8Array, data: Uint8Array): Buffer {
  const k = Buffer.from(key);
  const cipher = createCipheriv('des-ede3-ecb', Buffer.concat([k, k, k]), null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** The response a client holding `password` sends for `challenge`. */
export function vncAuthResponse(challenge: Uint8Array, password: string): Buffer {
  return desEcbEncrypt(vncAuthKey(password), challenge);
}

/** A fresh challenge from the CSPRNG. */
export function newVncAuthChallenge(): Buffer {
  return randomBytes(VNC_AUTH_CHALLENGE_LENGTH);
}

/** True when `response` is the right answer to `challenge` for `password` (constant time). */
export function verifyVncAuth(challenge: Uint8Array, response: Uint8Array, password: string): boolean {
  if (response.length !== VNC_AUTH_CHALLENGE_LENGTH) return false;
  return timingSafeEqual(vncAuthResponse(challenge, password), response);
}
