#!/usr/bin/env -S node --no-memory-reducer --interrupt-budget=32768
/**
 * The `openvmm-cli` executable. The shebang starts node with the V8 flags the main thread needs
 * for an often idle server (`VNC_PROCESS_V8_FLAGS` in @openvmm-vnc-ts/vnc-worker, which a test
 * holds this line to: the main thread's isolate exists before any code runs, so only the command
 * line reaches it).
 */
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`openvmm-cli: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
