/**
 * Kubernetes quantities as the kubelet reads reservations, eviction amounts and log sizes: a
 * decimal number and one suffix, binary (Ki, Mi, Gi, Ti, Pi, Ei), decimal (n, u, m, k, M, G, T,
 * P, E) or an exponent (e3). "1GB" or "1 Gi" make the kubelet exit at start. One reader, exact
 * (BigInt fractions), for the rules that judge a quantity's sign and for render's sums of bytes.
 */
const QUANTITY = /^([+-]?)(\d+\.?\d*|\.\d+)(?:([KMGTPE])i|([numkMGTPE])|[eE]([+-]?\d+))?$/;

const DECIMAL_POWERS: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** A quantity's exact value as a fraction n/d (d > 0), or undefined when the text is not a quantity. */
export function parseQuantity(text: string): { n: bigint; d: bigint } | undefined {
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, sign, number, binary, decimal, exponent] = m;
  const [whole = '', fraction = ''] = number!.split('.');
  let n = BigInt(`${whole}${fraction}` || '0');
  let d = 10n ** BigInt(fraction.length);
  if (binary) n *= 1024n ** BigInt('KMGTPE'.indexOf(binary) + 1);
  const power = decimal ? DECIMAL_POWERS[decimal]! : exponent ? Number(exponent) : 0;
  if (power >= 0) n *= 10n ** BigInt(power);
  else d *= 10n ** BigInt(-power);
  return { n: sign === '-' ? -n : n, d };
}

export const isQuantity = (text: string): boolean => QUANTITY.test(text);

/** The sign of a quantity (-1, 0 or 1), as the kubelet compares it with zero; NaN when the text is not one. */
export function quantitySign(text: string): number {
  const q = parseQuantity(text);
  return q === undefined ? Number.NaN : q.n === 0n ? 0 : q.n < 0n ? -1 : 1;
}

/** A quantity in whole bytes, or undefined when it is not a quantity or not a whole number of bytes. */
export function wholeBytes(text: string): bigint | undefined {
  const q = parseQuantity(text);
  return q && q.n % q.d === 0n ? q.n / q.d : undefined;
}
