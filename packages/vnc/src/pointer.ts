/**
 * Pointer scaling: RFB pointer positions are screen pixels, the guest's synthetic mouse is
 * absolute 0..=0x7FFF on each axis. Clamp to the screen, then scale with integer maths so the
 * last pixel maps exactly to 0x7FFF.
 */

import { MOUSE_ABSOLUTE_MAX } from '@openvmm-vnc-ts/video-core';

/** Scales a pixel coordinate on an axis of `size` pixels to 0..=0x7FFF. */
export function scaleAxis(v: number, size: number): number {
  if (size <= 1) return 0;
  const c = Math.min(Math.max(v, 0), size - 1);
  return Math.floor((c * MOUSE_ABSOLUTE_MAX) / (size - 1));
}
