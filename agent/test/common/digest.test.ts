import { describe, expect, it } from 'vitest';
import { fnv1a64 } from '../../src/common/digest.js';

describe('fnv1a64', () => {
  it('gives the published FNV-1a 64-bit test vectors', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });

  it('agrees with the same algorithm on BigInt over long and non-ASCII input', () => {
    const reference = (text: string) => {
      let h = 0xcbf29ce484222325n;
      for (const byte of Buffer.from(text, 'utf8')) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
      return h.toString(16).padStart(16, '0');
    };
    const config = `${JSON.stringify({ spec: { cluster: { name: 'Zürich', certificateAuthority: 'Q'.repeat(1500) } } }, null, 2)}\n`;
    // every code point below U+0800 (one- and two-byte UTF-8) and a four-byte one: every limb carries
    const mixed = Array.from({ length: 0x800 }, (_, i) => String.fromCodePoint(i)).join('');
    for (const text of [config, '\u{1F600}', 'x'.repeat(4096), mixed, '\xff'.repeat(777)]) expect(fnv1a64(text)).toBe(reference(text));
    expect(fnv1a64(config)).not.toBe(fnv1a64(config.replace('Zürich', 'Zurich')));
  });
});
