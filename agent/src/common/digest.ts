/**
 * FNV-1a, 64 bits, of the UTF-8 bytes of `text`, as 16 hex digits: a change detector, not a
 * cryptographic digest. The config phase records it and the run phase compares its own, within
 * one boot, on root's files. SHA-256 was the digest until measured: node:crypto costs 6-20 ms of
 * `init` to load, and a JavaScript SHA-256 (@noble/hashes) 5-7 ms for the 3 kB config, since a
 * function run once is interpreted; this loop, 1-3.5 ms on 3 kB in plain Node 24 (1 ms interpreted,
 * more when V8 compiles it mid-loop).
 */
export function fnv1a64(text: string): string {
  // the 64-bit state as two 32-bit halves; the prime is 2^40 + 0x1b3
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (const byte of Buffer.from(text, 'utf8')) {
    lo = (lo ^ byte) >>> 0;
    const low = lo * 0x1b3; // below 2^41: exact in a double
    hi = (Math.imul(hi, 0x1b3) + Math.floor(low / 0x1_0000_0000) + (lo << 8)) >>> 0;
    lo = low >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
