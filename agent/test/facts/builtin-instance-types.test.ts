import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_TABLE_SOURCE, builtinEniLimits, decodeBuiltinTable } from '../../src/facts/builtin-instance-types.js';
import { BUILTIN_TABLE } from '../../src/facts/instance-types.generated.js';
import { eniMaxPods } from '../../src/render/max-pods.js';
import { DEFAULT_OUT, generateModule, parseRows } from '../../../scripts/gen-builtin-instance-types.js';

const SHARED = new URL('../../../../shared/data/instance-info.jsonl', import.meta.url);

describe("the agent's built-in instance-type table", () => {
  // Published max pods of the AL2 AMI's eni-max-pods.txt, which the formula must reproduce.
  it.each([
    ['m5.large', 29],
    ['c6g.medium', 8],
    ['m4.xlarge', 58],
    ['t3.micro', 4],
    ['t3.small', 11],
    ['t3.medium', 17],
    ['t2.micro', 4],
    ['a1.medium', 8],
    ['r5.large', 29],
    ['c5.4xlarge', 234],
    ['m5.24xlarge', 737],
    ['p4d.24xlarge', 737],
    ['g5.xlarge', 58],
  ])('gives %s %i pods', (type, pods) => {
    const limits = builtinEniLimits(type);
    expect(limits, type).toBeDefined();
    expect(eniMaxPods(limits!)).toBe(pods);
  });

  it('knows nothing it was not given', () => {
    expect(builtinEniLimits('m5')).toBeUndefined();
    expect(builtinEniLimits('m99i.large')).toBeUndefined();
  });

  it('holds every row of the source table, exactly', () => {
    const rows = parseRows(readFileSync(SHARED, 'utf8'), 'instance-info.jsonl');
    const decoded = decodeBuiltinTable(BUILTIN_TABLE.data);
    expect(decoded.size).toBe(rows.length);
    expect(BUILTIN_TABLE.count).toBe(rows.length);
    for (const r of rows) expect(decoded.get(r.instanceType), r.instanceType).toEqual({ enis: r.enis, ipv4PerEni: r.ipv4PerEni });
  });

  it('is what the generator writes from the recorded source (regenerate, do not edit)', () => {
    const rows = parseRows(readFileSync(SHARED, 'utf8'), 'instance-info.jsonl');
    expect(BUILTIN_TABLE_SOURCE).toContain('81fec2e (2026-07-23)');
    expect(readFileSync(new URL(`../../../${DEFAULT_OUT}`, import.meta.url), 'utf8')).toBe(generateModule(rows, BUILTIN_TABLE_SOURCE));
  });

  it('stays small in the bundle', () => {
    expect(BUILTIN_TABLE.data.length).toBeLessThan(16 * 1024);
  });

  it('reads the generator shape of DescribeInstanceTypes tables too', () => {
    const ours = '{"instanceType":"m5.large","defaultNetworkCardEnis":3,"ipv4PerEni":10,"ipv6":true}\n';
    expect(parseRows(ours, 'x')).toEqual([{ instanceType: 'm5.large', enis: 3, ipv4PerEni: 10 }]);
    expect(() => parseRows('{"instanceType":"m5.large","defaultMaxENIs":0,"ipv4AddressesPerInterface":10}\n', 'x.jsonl')).toThrow(/x.jsonl line 1/);
  });
});
