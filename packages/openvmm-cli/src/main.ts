/**
 * The command-line entry: parse, start the VM, print where the console listens, and shut down
 * cleanly on Ctrl-C (SIGINT) or SIGTERM.
 */

import { createLogger } from '@openvmm-vnc-ts/video-core';
import { applyVncProcessV8Flags } from '@openvmm-vnc-ts/vnc-worker';
import { PROGRAM_NAME } from './options.js';
import { parseCli } from './vnc-cli.js';
import { startVm } from './vm.js';

/** Formats a host and port the way users type them (`[::1]:5901` for IPv6). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Runs the CLI with `argv` (without node and script). Resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseCli([...argv]);
  switch (parsed.kind) {
    case 'help':
      process.stdout.write(parsed.text.endsWith('\n') ? parsed.text : `${parsed.text}\n`);
      return 0;
    case 'version':
      process.stdout.write(`${PROGRAM_NAME} ${await packageVersion()}\n`);
      return 0;
    case 'error':
      process.stderr.write(`${PROGRAM_NAME}: ${parsed.message}\n`);
      return 2;
  }
  const options = parsed.options;
  const logger = createLogger(PROGRAM_NAME, { level: options.logLevel });
  // Before any worker thread exists: V8 settings for an often idle server (see v8-flags.ts in
  // @openvmm-vnc-ts/vnc-worker; docs/performance.md has the measurement).
  applyVncProcessV8Flags();
  let vm;
  try {
    vm = await startVm(options, logger, options.logLevel);
  } catch (err) {
    const e = err as { code?: string; message: string };
    const where = formatHostPort(options.params.listener.host, options.params.listener.port);
    const why = e.code === 'EADDRINUSE' ? `${where} is already in use` : e.code === 'EADDRNOTAVAIL' ? `${where} is not an address of this machine` : e.message;
    process.stderr.write(`${PROGRAM_NAME}: cannot start the VNC server: ${why}\n`);
    return 1;
  }
  if (vm.vnc) {
    const vnc = vm.vnc;
    process.stdout.write(`VNC server listening on ${formatHostPort(vnc.host, vnc.port)} (guest: ${options.guest}). Press Ctrl-C to stop.\n`);
    // `kill -USR2 <pid>` prints the live state of the worker and every connection.
    process.on('SIGUSR2', () => {
      void vnc.inspect().then(
        (state) => process.stderr.write(`${JSON.stringify({ vnc: state, device: vm.device.inspect() }, null, 2)}\n`),
        (err: unknown) => process.stderr.write(`${PROGRAM_NAME}: inspect failed: ${String(err)}\n`),
      );
    });
  } else {
    process.stdout.write(`VM running (guest: ${options.guest}) with no console; pass --gfx or --vnc for one. Press Ctrl-C to stop.\n`);
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string): void => {
      // A Ctrl-C in a terminal may reach us twice (directly and through a wrapper such as
      // `pnpm start`); the first one starts a clean shutdown, repeats are ignored.
      if (stopping) return;
      stopping = true;
      logger.info('shutting down', { signal });
      const force = setTimeout(() => {
        process.stderr.write(`${PROGRAM_NAME}: shutdown took too long; exiting\n`);
        resolve(1);
      }, 10_000);
      force.unref();
      void vm.stop().then(() => {
        clearTimeout(force);
        process.stdout.write('Stopped.\n');
        resolve(0);
      });
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  });
}

async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
