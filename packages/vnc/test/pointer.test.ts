/** Tests for pointer scaling: pixels to the synthetic mouse's absolute 0..=0x7FFF range. */
import { describe, it, expect } from 'vitest';
import { MOUSE_ABSOLUTE_MAX } from '@openvmm-vnc-ts/video-core';
import { scaleAxis } from '../src/pointer.js';

describe('scaleAxis', () => {
  it('maps the last pixel of a 32-pixel axis to 0x7FFF', () => {
    expect(scaleAxis(31, 32)).toBe(0x7fff);
    expect(MOUSE_ABSOLUTE_MAX).toBe(0x7fff);
  });

  it('maps the first pixel to 0', () => {
    expect(scaleAxis(0, 32)).toBe(0);
    expect(scaleAxis(0, 1920)).toBe(0);
  });

  it('clamps 65535 to the last pixel', () => {
    expect(scaleAxis(65535, 32)).toBe(0x7fff);
    expect(scaleAxis(65535, 64)).toBe(0x7fff);
    expect(scaleAxis(32, 32)).toBe(0x7fff);
  });

  it('clamps negative positions to 0', () => {
    expect(scaleAxis(-5, 32)).toBe(0);
  });

  it('gives 0 on an axis of size 1 or 0', () => {
    expect(scaleAxis(0, 1)).toBe(0);
    expect(scaleAxis(500, 1)).toBe(0);
    expect(scaleAxis(10, 0)).toBe(0);
  });

  it('uses integer maths: x * 0x7FFF / (size - 1) rounded down', () => {
    expect(scaleAxis(1, 32)).toBe(Math.floor(0x7fff / 31));
    expect(scaleAxis(15, 32)).toBe(Math.floor((15 * 0x7fff) / 31));
    expect(scaleAxis(959, 1920)).toBe(Math.floor((959 * 0x7fff) / 1919));
    expect(scaleAxis(1, 2)).toBe(0x7fff);
  });

  it('is monotonic and stays in range over a whole 1080-pixel axis', () => {
    let prev = -1;
    for (let v = 0; v < 1080; v++) {
      const s = scaleAxis(v, 1080);
      expect(Number.isInteger(s)).toBe(true);
      expect(s).toBeGreaterThan(prev);
      expect(s).toBeLessThanOrEqual(0x7fff);
      prev = s;
    }
    expect(prev).toBe(0x7fff);
  });
});
