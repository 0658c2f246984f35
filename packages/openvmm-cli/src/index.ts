/**
 * `@openvmm-vnc-ts/openvmm-cli`: the command line. Exposes the option definitions (so docs and
 * tests can use the same table as `--help`), the parser, and the VM wiring.
 */
export * from './options.js';
export * from './vnc-cli.js';
export * from './help.js';
export * from './vm.js';
export { main, formatHostPort } from './main.js';
export * from './cli-reference.js';
