import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createEc2Api, type Ec2Api } from '../../src/aws/ec2.js';
import { findInstanceTypeRow, lookupEniLimits, needsEniLimits } from '../../src/facts/eni-limits.js';
import { startEc2, type Ec2Emulator } from '../../../test/emulators/ec2.js';
import { tempRoot, type TempRoot } from './root.js';

const FIXTURE = new URL('../../../test/fixtures/instance-types.jsonl', import.meta.url);
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'emulator-secret' };

let ec2: Ec2Emulator | undefined;
let root: TempRoot | undefined;
afterEach(async () => {
  await ec2?.close();
  await root?.remove();
  ec2 = undefined;
  root = undefined;
});

/** A root whose image has the fixture table, and an EC2 client on the emulator. */
async function setUp(table?: string): Promise<{ root: string; ec2: Ec2Api }> {
  root = await tempRoot();
  await root.write('/etc/eks/instance-types.jsonl', table ?? (await readFile(FIXTURE, 'utf8')));
  ec2 = await startEc2();
  return {
    root: root.dir,
    ec2: createEc2Api({ region: 'us-west-2', endpoint: ec2.url, credentials, timeoutMs: 3_000, maxAttempts: 1 }),
  };
}

describe('the instance-types fixture', () => {
  it('is sorted, one valid row a line, and has the reference types', async () => {
    const text = await readFile(FIXTURE, 'utf8');
    const lines = text.trimEnd().split('\n');
    const types = lines.map((l) => (JSON.parse(l) as { instanceType: string }).instanceType);
    expect(types).toEqual([...types].sort());
    expect(findInstanceTypeRow(text, 'm5.large')).toEqual({ instanceType: 'm5.large', defaultNetworkCardEnis: 3, ipv4PerEni: 10, ipv6: true });
    expect(findInstanceTypeRow(text, 'm4.xlarge')).toMatchObject({ defaultNetworkCardEnis: 4, ipv4PerEni: 15 });
    expect(findInstanceTypeRow(text, 't3.medium')).toMatchObject({ defaultNetworkCardEnis: 3, ipv4PerEni: 6 });
    // left out on purpose, so the DescribeInstanceTypes fallback is exercised
    expect(findInstanceTypeRow(text, 'm7i.large')).toBeUndefined();
    expect(findInstanceTypeRow(text, 'p4d.24xlarge')).toBeUndefined();
  });

  it('does not match a type by prefix', () => {
    expect(findInstanceTypeRow('{"instanceType":"m5.large","defaultNetworkCardEnis":3,"ipv4PerEni":10,"ipv6":true}\n', 'm5')).toBeUndefined();
  });
});

describe('lookupEniLimits', () => {
  it('answers from the baked table without calling EC2', async () => {
    const deps = await setUp();
    expect(await lookupEniLimits('m5.large', deps)).toEqual({ limits: { enis: 3, ipv4PerEni: 10 }, source: 'table', warnings: [] });
    expect(ec2!.requests).toHaveLength(0);
  });

  it('prefers the baked table to the built-in one (the image is fresher)', async () => {
    const deps = await setUp('{"instanceType":"m5.large","defaultNetworkCardEnis":4,"ipv4PerEni":10,"ipv6":true}\n');
    expect((await lookupEniLimits('m5.large', deps)).limits).toEqual({ enis: 4, ipv4PerEni: 10 });
  });

  it('answers a type the baked table lacks from the built-in table, without EC2 or a warning', async () => {
    const deps = await setUp();
    expect(await lookupEniLimits('m7i.large', deps)).toEqual({ limits: { enis: 3, ipv4PerEni: 10 }, source: 'built-in', warnings: [] });
    await root!.remove();
    expect(await lookupEniLimits('c6g.medium', deps)).toEqual({ limits: { enis: 2, ipv4PerEni: 4 }, source: 'built-in', warnings: [] });
    expect(ec2!.requests).toHaveLength(0);
  });

  it('asks ec2:DescribeInstanceTypes only for a type newer than both tables', async () => {
    const deps = await setUp();
    const out = await lookupEniLimits('m99i.large', deps);
    expect(out).toEqual({ limits: { enis: 3, ipv4PerEni: 10 }, source: 'ec2', warnings: [] });
    expect(ec2!.requests).toHaveLength(1);
  });

  it('gives no limits and no warning, but the reason, when no source knows the type', async () => {
    const deps = await setUp();
    const out = await lookupEniLimits('x9z.large', deps);
    expect(out.source).toBe('none');
    expect(out.limits).toBeUndefined();
    expect(out.warnings).toEqual([]);
    expect(out.missing).toMatch(
      /^not in .*instance-types.jsonl; not in the agent's built-in table; ec2:DescribeInstanceTypes for "x9z.large" failed: InvalidInstanceType: /,
    );
  });

  it('warns about a malformed baked table and goes on with the built-in one', async () => {
    const deps = await setUp('{"instanceType":"m5.large","defaultNetworkCardEnis":"3","ipv4PerEni":10}\n');
    const out = await lookupEniLimits('m5.large', deps);
    expect(out).toMatchObject({ limits: { enis: 3, ipv4PerEni: 10 }, source: 'built-in' });
    expect(out.warnings[0]).toMatch(/instance-types.jsonl: line 1: defaultNetworkCardEnis and ipv4PerEni must be positive integers/);
  });

  it('does not call EC2 when no client is given', async () => {
    const deps = await setUp();
    const out = await lookupEniLimits('m99i.large', { root: deps.root });
    expect(out).toMatchObject({ source: 'none', warnings: [] });
    expect(out.missing).toContain('ec2:DescribeInstanceTypes not tried (offline)');
    expect(ec2!.requests).toHaveLength(0);
  });

  it('gives the reason and no limits when EC2 denies the call', async () => {
    const deps = await setUp();
    ec2!.set({ unauthorized: true });
    const out = await lookupEniLimits('m99i.large', deps);
    expect(out.source).toBe('none');
    expect(out.missing).toMatch(/UnauthorizedOperation/);
  });
});

describe('needsEniLimits', () => {
  it('skips the lookup when max pods is explicit: kubelet.config.maxPods or a --max-pods flag the kubelet keeps', () => {
    expect(needsEniLimits({ spec: {} })).toBe(true);
    expect(needsEniLimits({ spec: { kubelet: { config: { maxPods: 58 } } } })).toBe(false);
    expect(needsEniLimits({ spec: { kubelet: { flags: ['--v=2', '--max-pods=110'] } } })).toBe(false);
    // a flag without a usable number decides nothing (the rule set refuses it anyway)
    expect(needsEniLimits({ spec: { kubelet: { flags: ['--max-pods=lots'] } } })).toBe(true);
  });
});
