/**
 * A throwaway self-signed certificate for tests, made by the `openssl` command into a temporary
 * directory once per process (no dependency but the command, so any package's tests can use it).
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A self-signed certificate for `localhost` / 127.0.0.1 and its key, as PEM text and files. */
export interface TestCert {
  readonly cert: string;
  readonly key: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly dir: string;
}

let cached: TestCert | undefined;

/** A self-signed EC certificate for CN=localhost (SAN localhost and 127.0.0.1), valid one day. */
export function testCert(): TestCert {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'vnc-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost', '-days', '1',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-keyout', keyPath, '-out', certPath,
  ], { stdio: 'ignore' });
  cached = { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), certPath, keyPath, dir };
  return cached;
}

