/**
 * Tests for the synthvid codec: round trips of all 16 message types, exact bytes written by hand
 * from the spec's offsets, truncation and unknown-type errors, and the EDID block.
 */
import { describe, it, expect } from 'vitest';
import {
  buildEdid,
  decodeSynthvid,
  encodeSynthvid,
  FEATURE_CHANGE_V2_PAYLOAD_SIZE,
  SYNTHVID_KIND_TYPE,
} from '../src/synthvid/codec.js';
import { SynthvidError, SynthvidErrorCode } from '../src/synthvid/errors.js';
import type { SynthvidErrorCode as Code } from '../src/synthvid/errors.js';
import type { SynthvidMessage, SynthvidRect } from '../src/synthvid/protocol.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function expectCode(fn: () => unknown, code: Code): SynthvidError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SynthvidError);
    expect((e as SynthvidError).code).toBe(code);
    return e as SynthvidError;
  }
  throw new Error(`expected a SynthvidError ${code}, nothing was thrown`);
}

const edid = buildEdid();
const rects = (n: number): SynthvidRect[] =>
  Array.from({ length: n }, (_, i) => ({ left: i, top: 0 - i || 0, right: i * 1000, bottom: 0x7fffffff - i }));

/** One sample of every type, with the bytes a decoder needs before any optional tail. */
const samples: { msg: SynthvidMessage; size: number; required?: number }[] = [
  { msg: { type: 'versionRequest', version: { major: 3, minor: 5 } }, size: 4 },
  { msg: { type: 'versionResponse', version: { major: 3, minor: 3 }, isAccepted: 2, maxVideoOutputs: 1 }, size: 6 },
  { msg: { type: 'vramLocation', userContext: 0xfedcba9876543210n, isVramGpaSpecified: true, vramGpa: 0xf8000000n }, size: 17 },
  { msg: { type: 'vramLocationAck', userContext: 0xffffffffffffffffn }, size: 8 },
  {
    msg: {
      type: 'situationUpdate',
      userContext: 7n,
      videoOutputCount: 1,
      output: { active: true, vramOffset: 0, depthBits: 32, width: 1920, height: 1080, pitch: 7680 },
    },
    size: 27,
  },
  { msg: { type: 'situationUpdateAck', userContext: 7n }, size: 8 },
  { msg: { type: 'pointerPosition', isVisible: true, videoOutput: 0, x: -5, y: 2147483647 }, size: 10 },
  {
    msg: { type: 'pointerShape', partialIndex: 0xff, flags: 1, width: 2, height: 2, hotX: 1, hotY: 0, data: new Uint8Array(16).fill(0xab) },
    size: 34,
    required: 18,
  },
  {
    msg: {
      type: 'featureChange',
      isDirtNeeded: true,
      isPointerPositionUpdatesNeeded: false,
      isPointerShapeUpdatesNeeded: true,
      isVideoSituationUpdatesNeeded: false,
    },
    size: 4,
  },
  {
    msg: {
      type: 'featureChange',
      isDirtNeeded: false,
      isPointerPositionUpdatesNeeded: true,
      isPointerShapeUpdatesNeeded: false,
      isVideoSituationUpdatesNeeded: true,
      edid,
    },
    size: 132,
    required: 4,
  },
  { msg: { type: 'dirt', videoOutput: 0, rects: rects(3) }, size: 2 + 48 },
  { msg: { type: 'biosInfoRequest' }, size: 0 },
  { msg: { type: 'biosInfoResponse', stopDeviceSupported: 1 }, size: 16 },
  { msg: { type: 'supportedResolutionsRequest', maximumResolutionCount: 64 }, size: 1 },
  {
    msg: {
      type: 'supportedResolutionsResponse',
      edid,
      defaultResolutionIndex: 1,
      isStandard: true,
      resolutions: [
        { width: 1024, height: 768 },
        { width: 1280, height: 1024 },
      ],
    },
    size: 139,
  },
  { msg: { type: 'capabilityRequest' }, size: 0 },
  { msg: { type: 'capabilityResponse', lockOnDisconnect: 1 }, size: 64 },
];

describe('synthvid codec', () => {
  it('has a sample of every one of the 16 types', () => {
    const types = new Set(samples.map((s) => SYNTHVID_KIND_TYPE[s.msg.type]));
    expect([...types].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  });

  for (const { msg, size } of samples) {
    it(`round-trips ${msg.type} (${size}-byte payload)`, () => {
      const bytes = encodeSynthvid(msg);
      expect(bytes.length).toBe(8 + size);
      const dv = new DataView(bytes.buffer, bytes.byteOffset);
      expect(dv.getUint32(0, true)).toBe(SYNTHVID_KIND_TYPE[msg.type]);
      expect(dv.getUint32(4, true)).toBe(size);
      expect(decodeSynthvid(bytes)).toEqual(msg);
    });
  }

  it('encodes exact bytes from the spec offsets', () => {
    expect(hex(encodeSynthvid({ type: 'versionRequest', version: { major: 3, minor: 5 } }))).toBe('01000000' + '04000000' + '03000500');
    expect(hex(encodeSynthvid({ type: 'versionResponse', version: { major: 3, minor: 3 }, isAccepted: 2, maxVideoOutputs: 1 }))).toBe(
      '02000000' + '06000000' + '03000300' + '02' + '01',
    );
    expect(hex(encodeSynthvid({ type: 'vramLocation', userContext: 0x1234n, isVramGpaSpecified: true, vramGpa: 0xf8000000n }))).toBe(
      '03000000' + '11000000' + '3412000000000000' + '01' + '000000f800000000',
    );
    expect(
      hex(
        encodeSynthvid({
          type: 'situationUpdate',
          userContext: 1n,
          videoOutputCount: 1,
          output: { active: true, vramOffset: 0, depthBits: 32, width: 800, height: 600, pitch: 3200 },
        }),
      ),
    ).toBe('05000000' + '1b000000' + '0100000000000000' + '01' + '01' + '00000000' + '20' + '20030000' + '58020000' + '800c0000');
    expect(hex(encodeSynthvid({ type: 'pointerPosition', isVisible: true, videoOutput: 0, x: -1, y: 16 }))).toBe(
      '07000000' + '0a000000' + '01' + '00' + 'ffffffff' + '10000000',
    );
    expect(hex(encodeSynthvid({ type: 'dirt', videoOutput: 0, rects: [{ left: 1, top: 2, right: 3, bottom: 4 }] }))).toBe(
      '0a000000' + '12000000' + '00' + '01' + '01000000' + '02000000' + '03000000' + '04000000',
    );
    expect(hex(encodeSynthvid({ type: 'biosInfoRequest' }))).toBe('0b000000' + '00000000');
    expect(hex(encodeSynthvid({ type: 'biosInfoResponse', stopDeviceSupported: 1 }))).toBe('0c000000' + '10000000' + '01000000' + '00'.repeat(12));
    expect(hex(encodeSynthvid({ type: 'supportedResolutionsRequest', maximumResolutionCount: 64 }))).toBe('0d000000' + '01000000' + '40');
    expect(hex(encodeSynthvid({ type: 'capabilityResponse', lockOnDisconnect: 0 }))).toBe('10000000' + '40000000' + '00'.repeat(64));
  });

  it('decodes hand-written bytes', () => {
    expect(decodeSynthvid(unhex('01000000 04000000 03000500'))).toEqual({ type: 'versionRequest', version: { major: 3, minor: 5 } });
    expect(decodeSynthvid(unhex('07000000 0a000000 00 00 feffffff 05000000'))).toEqual({
      type: 'pointerPosition',
      isVisible: false,
      videoOutput: 0,
      x: -2,
      y: 5,
    });
  });

  for (const { msg, size, required } of samples) {
    it(`${msg.type} truncated at every length throws SHORT_PACKET`, () => {
      const bytes = encodeSynthvid(msg);
      const need = 8 + (required ?? size);
      for (let len = 0; len < need; len++) {
        const err = expectCode(() => decodeSynthvid(bytes.subarray(0, len)), SynthvidErrorCode.SHORT_PACKET);
        expect(err.actualSize).toBe(len);
      }
      for (let len = need; len <= bytes.length; len++) {
        expect(() => decodeSynthvid(bytes.subarray(0, len))).not.toThrow();
      }
    });
  }

  it('names the type and sizes in a SHORT_PACKET message', () => {
    const err = expectCode(() => decodeSynthvid(unhex('05000000 1b000000 00')), SynthvidErrorCode.SHORT_PACKET);
    expect(err.message).toContain('SITUATION_UPDATE');
    expect(err.message).toContain('9');
    expect(err.message).toContain('35');
    expect(err.messageType).toBe(5);
    expect(err.expectedSize).toBe(35);
  });

  it('throws UNKNOWN_TYPE for types 0, 17 and 0xffffffff', () => {
    for (const t of [0, 17, 0xffffffff]) {
      const p = new Uint8Array(64);
      new DataView(p.buffer).setUint32(0, t, true);
      const err = expectCode(() => decodeSynthvid(p), SynthvidErrorCode.UNKNOWN_TYPE);
      expect(err.messageType).toBe(t);
    }
  });

  it('ignores the header size field', () => {
    for (const { msg } of samples) {
      const bytes = encodeSynthvid(msg);
      const dv = new DataView(bytes.buffer, bytes.byteOffset);
      for (const size of [bytes.length, 0, 0xffffffff]) {
        dv.setUint32(4, size, true);
        expect(decodeSynthvid(bytes)).toEqual(msg);
      }
    }
  });

  it('decodes packets that are subarrays of a larger buffer', () => {
    const bytes = encodeSynthvid({ type: 'vramLocation', userContext: 0x1234n, isVramGpaSpecified: false, vramGpa: 0n });
    const big = new Uint8Array(bytes.length + 13).fill(0xee);
    big.set(bytes, 5);
    expect(decodeSynthvid(big.subarray(5, 5 + bytes.length))).toEqual({
      type: 'vramLocation',
      userContext: 0x1234n,
      isVramGpaSpecified: false,
      vramGpa: 0n,
    });
  });

  it('round-trips a DIRT with 255 rects and rejects 256 when encoding', () => {
    const msg: SynthvidMessage = { type: 'dirt', videoOutput: 0, rects: rects(255) };
    const bytes = encodeSynthvid(msg);
    expect(bytes.length).toBe(8 + 2 + 16 * 255);
    expect(decodeSynthvid(bytes)).toEqual(msg);
    expectCode(() => encodeSynthvid({ type: 'dirt', videoOutput: 0, rects: rects(256) }), SynthvidErrorCode.INVALID_FIELD);
  });

  it('needs 2+16n bytes for a DIRT claiming n rects', () => {
    const p = unhex('0a000000 00000000 00 ff' + '00'.repeat(16 * 254));
    expectCode(() => decodeSynthvid(p), SynthvidErrorCode.SHORT_PACKET);
  });

  it('rejects fields that do not fit their wire width when encoding', () => {
    expectCode(() => encodeSynthvid({ type: 'versionRequest', version: { major: 0x10000, minor: 0 } }), SynthvidErrorCode.INVALID_FIELD);
    expectCode(() => encodeSynthvid({ type: 'supportedResolutionsRequest', maximumResolutionCount: 256 }), SynthvidErrorCode.INVALID_FIELD);
    expectCode(() => encodeSynthvid({ type: 'vramLocationAck', userContext: -1n }), SynthvidErrorCode.INVALID_FIELD);
    expectCode(() => encodeSynthvid({ type: 'pointerPosition', isVisible: true, videoOutput: 0, x: 2 ** 31, y: 0 }), SynthvidErrorCode.INVALID_FIELD);
    expectCode(
      () => encodeSynthvid({ type: 'supportedResolutionsResponse', edid: new Uint8Array(10), defaultResolutionIndex: 0, isStandard: false, resolutions: [] }),
      SynthvidErrorCode.INVALID_FIELD,
    );
  });

  it('rejects oversized pointer shapes when encoding', () => {
    const shape = { type: 'pointerShape', partialIndex: 0xff, flags: 1, hotX: 0, hotY: 0 } as const;
    expectCode(() => encodeSynthvid({ ...shape, width: 97, height: 1, data: new Uint8Array(0) }), SynthvidErrorCode.INVALID_FIELD);
    expectCode(() => encodeSynthvid({ ...shape, width: 1, height: 1, data: new Uint8Array(5) }), SynthvidErrorCode.INVALID_FIELD);
    expectCode(() => encodeSynthvid({ ...shape, width: 96, height: 96, data: new Uint8Array(8193) }), SynthvidErrorCode.INVALID_FIELD);
  });

  it('cuts pointer shape data to the size the flags need', () => {
    // 1x1 colour shape followed by 10 stray bytes: only 4 bytes of data.
    const p = unhex('08000000 00000000 ff 01 01000000 01000000 00000000 00000000 11223344' + 'ee'.repeat(10));
    const m = decodeSynthvid(p);
    expect(m.type === 'pointerShape' && hex(m.data)).toBe('11223344');
    // 16x2 monochrome needs ceil(16/8)*2*2 = 8 bytes.
    const q = unhex('08000000 00000000 ff 00 10000000 02000000 00000000 00000000' + '01'.repeat(20));
    const n = decodeSynthvid(q);
    expect(n.type === 'pointerShape' && n.data.length).toBe(8);
  });

  it('reads a V2 FEATURE_CHANGE only when 132 payload bytes are present', () => {
    const v2 = encodeSynthvid(samples[9]!.msg);
    expect(v2.length).toBe(8 + FEATURE_CHANGE_V2_PAYLOAD_SIZE);
    const m = decodeSynthvid(v2);
    expect(m.type === 'featureChange' && m.edid).toEqual(edid);
    const v1 = decodeSynthvid(v2.subarray(0, 8 + 131));
    expect(v1.type === 'featureChange' && v1.edid).toBeUndefined();
  });

  it('only ever throws SynthvidError on random input', () => {
    let seed = 0x12345678;
    const rand = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 8;
    };
    for (let i = 0; i < 5000; i++) {
      const p = new Uint8Array(rand() % 300);
      for (let j = 0; j < p.length; j++) p[j] = rand() & 0xff;
      if (p.length >= 4) new DataView(p.buffer).setUint32(0, rand() % 18, true);
      try {
        decodeSynthvid(p);
      } catch (e) {
        expect(e).toBeInstanceOf(SynthvidError);
      }
    }
  });
});

describe('buildEdid', () => {
  it('is a valid 128-byte EDID whose bytes sum to 0 mod 256', () => {
    const e = buildEdid();
    expect(e.length).toBe(128);
    expect(e.reduce((a, b) => a + b, 0) % 256).toBe(0);
    expect(hex(e.subarray(0, 8))).toBe('00ffffffffffff00');
  });

  it('carries manufacturer MSH, product 0x062E and the monitor name HyperVMonitor', () => {
    const e = buildEdid();
    const mfg = (e[8]! << 8) | e[9]!;
    const letters = [(mfg >> 10) & 31, (mfg >> 5) & 31, mfg & 31].map((c) => String.fromCharCode(c + 64)).join('');
    expect(letters).toBe('MSH');
    expect(e[10]! | (e[11]! << 8)).toBe(0x062e);
    const names = [54, 72, 90, 108]
      .filter((o) => e[o] === 0 && e[o + 1] === 0 && e[o + 3] === 0xfc)
      .map((o) => Buffer.from(e.subarray(o + 5, o + 18)).toString('latin1').replace(/\n.*$/s, ''));
    expect(names).toEqual(['HyperVMonitor']);
  });

  it('returns a fresh copy each time', () => {
    const a = buildEdid();
    a[0] = 9;
    expect(buildEdid()[0]).toBe(0);
  });
});
