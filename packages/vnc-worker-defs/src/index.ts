/**
 * `@openvmm-vnc-ts/vnc-worker-defs`: the VNC worker's parameters, shared by the worker and its
 * launcher.
 *
 * - {@link VncParameters}: listener address, client limit and eviction, shared-flag policy,
 *   desktop name and update interval, as plain data that survives JSON and structured clone.
 * - {@link defaultVncParameters} / {@link validateVncParameters}: build and check a parameter set;
 *   both throw {@link VncParametersError} naming the offending field.
 * - {@link isLoopbackHost}: whether a bind address is reachable only from this machine.
 * - {@link VNC_WORKER_ID}: the worker's registered name.
 */
export * from './errors.js';
export * from './params.js';
export * from './channels.js';
