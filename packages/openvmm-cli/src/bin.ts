#!/usr/bin/env -S node --no-memory-reducer
/**
 * The `openvmm-cli` executable. The shebang starts node with the V8 flag the main thread needs
 * for an often idle server (`VNC_PROCESS_V8_FLAGS` in @openvmm-vnc-ts/vnc-worker: the main
 * thread's isolate exists before any code runs, so only the command line reaches it).
 */
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`openvmm-cli: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
