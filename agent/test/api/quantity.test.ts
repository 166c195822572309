import { describe, expect, it } from 'vitest';
import { isQuantity, quantitySign, wholeBytes } from '../../src/api/quantity.js';

describe('quantities, read once for the rules and for render', () => {
  it('reads binary, decimal and exponent forms exactly', () => {
    expect(['574Mi', '.5Gi', '1G', '1e3', '1.5Ki', '100m'].map(wholeBytes)).toEqual([601882624n, 536870912n, 1000000000n, 1000n, 1536n, undefined]);
    expect(['1GB', '1 Gi', '', 'Mi', '1.2.3'].map(isQuantity)).toEqual([false, false, false, false, false]);
  });

  it('gives the sign the kubelet compares with zero', () => {
    expect(['-1Gi', '0', '0.0Mi', '+0', '0e3', '1n', 'x'].map(quantitySign)).toEqual([-1, 0, 0, 0, 0, 1, Number.NaN]);
  });
});
