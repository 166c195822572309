import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { compileMaxPodsExpression } from '../../src/api/max-pods-expression.js';
import { decideMaxPods, eniMaxPods, maxPodsFlagOverrides } from '../../src/render/max-pods.js';
import { reservedCpuMillicores, reservedMemoryMiB } from '../../src/render/reserved.js';
import { loadCel } from '../../src/api/cel.js';

// render compiles maxPodsExpression synchronously; the CLI loads CEL first, as these tests do
beforeAll(loadCel);

describe('max pods', () => {
  it('follows ENIs × (IPv4 per ENI − 1) + 2', () => {
    expect(eniMaxPods({ enis: 3, ipv4PerEni: 10 })).toBe(29); // m5.large
    expect(eniMaxPods({ enis: 4, ipv4PerEni: 15 })).toBe(58); // m4.xlarge
  });

  it('lets an explicit kubelet.config.maxPods win over the expression and the ENI formula', () => {
    const d = decideMaxPods({
      explicit: 17,
      expression: compileMaxPodsExpression('max_pods + 1'),
      eniLimits: { enis: 3, ipv4PerEni: 10 },
      instanceType: 'm5.large',
      cpuMillicores: 2000,
    });
    expect(d).toEqual({ maxPods: 17, source: 'kubelet.config.maxPods', warnings: [] });
  });

  it('lets a --max-pods kubelet flag win over everything, as in the kubelet, naming what it overrides', () => {
    const flag = { path: 'spec.kubelet.flags[1]', flag: '--max-pods=110', value: 110 };
    const input = { eniLimits: { enis: 3, ipv4PerEni: 10 }, instanceType: 'm5.large', cpuMillicores: 2000 };
    expect(decideMaxPods({ ...input, flag, explicit: undefined, expression: undefined })).toEqual({
      maxPods: 110,
      source: 'kubelet.flags',
      warnings: [],
    });
    // the same number in the config overrides nothing
    expect(decideMaxPods({ ...input, flag, explicit: 110, expression: undefined }).warnings).toEqual([]);
    expect(decideMaxPods({ ...input, flag, explicit: 58, expression: compileMaxPodsExpression('max_pods + 1') })).toEqual({
      maxPods: 110,
      source: 'kubelet.flags',
      warnings: [
        'spec.kubelet.flags[1]: "--max-pods=110" overrides spec.kubelet.config.maxPods (58) and spec.kubelet.maxPodsExpression: the kubelet takes a flag over its config, so max pods is 110, and the memory reserved for the kubelet follows it',
      ],
    });
    // unknown ENI limits do not matter: no fallback warning
    expect(decideMaxPods({ ...input, eniLimits: undefined, flag, explicit: undefined, expression: undefined })).toMatchObject({ maxPods: 110, warnings: [] });
    expect(maxPodsFlagOverrides(undefined, 58, true)).toEqual([]);
  });

  it('evaluates the CEL expression with the ENI numbers', () => {
    const d = decideMaxPods({
      explicit: undefined,
      expression: compileMaxPodsExpression('max_pods > 20 ? 20 : max_pods'),
      eniLimits: { enis: 3, ipv4PerEni: 10 },
      instanceType: 'm5.large',
      cpuMillicores: 2000,
    });
    expect(d).toMatchObject({ maxPods: 20, source: 'maxPodsExpression' });
    expect(compileMaxPodsExpression('default_enis * ips_per_eni')({ default_enis: 4, ips_per_eni: 15, max_pods: 58, vcpus: 4 })).toBe(60);
  });

  // The VPC CNI's prefix delegation formulas, capped as AWS recommends (110 below 30 vCPUs, else 250).
  it.each([
    // type, ENIs, IPv4 per ENI, vCPUs, expression, pods
    ['m5.large', 3, 10, 2, 'max_ipv4_prefixes * 16 + 2 < recommended_max_pods ? max_ipv4_prefixes * 16 + 2 : recommended_max_pods', 110],
    ['t3.micro', 2, 2, 2, 'max_ipv4_prefixes * 16 + 2 < recommended_max_pods ? max_ipv4_prefixes * 16 + 2 : recommended_max_pods', 34],
    ['m5.8xlarge', 8, 30, 32, 'max_ipv4_prefixes * 16 + 2 < recommended_max_pods ? max_ipv4_prefixes * 16 + 2 : recommended_max_pods', 250],
    // custom networking: the primary ENI carries no pods
    [
      't3.small',
      3,
      4,
      2,
      '((default_enis - 1) * (ips_per_eni - 1) * 16) + 2 < recommended_max_pods ? ((default_enis - 1) * (ips_per_eni - 1) * 16) + 2 : recommended_max_pods',
      98,
    ],
  ])('lets %s write prefix delegation capped at the recommendation', (type, enis, ips, vcpus, expression, pods) => {
    const d = decideMaxPods({
      explicit: undefined,
      expression: compileMaxPodsExpression(expression),
      eniLimits: { enis, ipv4PerEni: ips },
      instanceType: type,
      cpuMillicores: vcpus * 1000,
    });
    expect(d).toMatchObject({ maxPods: pods, source: 'maxPodsExpression' });
  });

  it('falls back to 110 with a warning when the ENI limits are unknown', () => {
    const d = decideMaxPods({
      explicit: undefined,
      expression: compileMaxPodsExpression('max_pods'),
      eniLimits: undefined,
      instanceType: 'x9.big',
      cpuMillicores: 2000,
    });
    expect(d.maxPods).toBe(110);
    expect(d.warnings).toEqual([
      'max pods: ENI limits of instance type x9.big are unknown, using 110; spec.kubelet.maxPodsExpression was not evaluated because its variables are unknown',
    ]);
  });

  it.each([
    ['max_pods +', /does not parse/],
    ['foo + 1', /failed: unresolved attribute/],
    ['"twenty"', /gives the string "twenty", not an int/],
    ['max_pods * 0.5', /failed: .*no matching overload/],
    ['max_pods > 3', /gives the bool true, not an int/],
  ])('rejects %j naming the field', (expr, message) => {
    let err: unknown;
    try {
      compileMaxPodsExpression(expr);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message.startsWith(`spec.kubelet.maxPodsExpression: ${JSON.stringify(expr)} `)).toBe(true);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('accepts an expression that is out of range only on some instances, judging it per instance', () => {
    // max_pods - 30 is -1 on an m5.large (29) but 28 on an m4.xlarge (58)
    const evaluate = compileMaxPodsExpression('max_pods - 30');
    expect(evaluate({ default_enis: 4, ips_per_eni: 15, max_pods: 58, vcpus: 4 })).toBe(28);
    expect(() => evaluate({ default_enis: 3, ips_per_eni: 10, max_pods: 29, vcpus: 2 })).toThrow(/gives -1 on this instance/);
  });

  it("refuses a result past the kubelet's int32 maxPods, which it could not read", () => {
    const evaluate = compileMaxPodsExpression('max_pods * 100000000');
    expect(evaluate({ default_enis: 1, ips_per_eni: 2, max_pods: 3, vcpus: 1 })).toBe(300_000_000);
    expect(() => evaluate({ default_enis: 3, ips_per_eni: 10, max_pods: 29, vcpus: 2 })).toThrow(
      /gives 2900000000 on this instance .*, more than the kubelet's maxPods holds \(2147483647\)$/,
    );
  });

  it('falls back to the ENI formula with a warning when the expression fails on this instance', () => {
    const d = decideMaxPods({
      explicit: undefined,
      expression: compileMaxPodsExpression('max_pods - 100'),
      eniLimits: { enis: 3, ipv4PerEni: 10 },
      instanceType: 'm5.large',
      cpuMillicores: 2000,
    });
    expect(d.maxPods).toBe(29);
    expect(d.warnings).toEqual([
      expect.stringMatching(/^spec\.kubelet\.maxPodsExpression: "max_pods - 100" gives -71 on this instance .*; using the ENI formula \(29\)$/),
    ]);
    const zero = decideMaxPods({
      explicit: undefined,
      expression: compileMaxPodsExpression('max_pods / (default_enis - 3)'),
      eniLimits: { enis: 3, ipv4PerEni: 10 },
      instanceType: 'm5.large',
      cpuMillicores: 2000,
    });
    expect(zero).toMatchObject({ maxPods: 29, warnings: [expect.stringMatching(/divide by zero/)] });
  });
});

describe('kubeReserved', () => {
  it.each([
    [1000, 60],
    [2000, 70],
    [4000, 80],
    [8000, 90],
    [5000, 82], // 82.5 floored
    [96_000, 310],
  ])('reserves CPU for %i millicores: %im', (cpu, reserved) => {
    expect(reservedCpuMillicores(cpu)).toBe(reserved);
  });

  it('reserves 11 MiB per pod + 255 MiB', () => {
    expect(reservedMemoryMiB(29)).toBe(574);
    expect(reservedMemoryMiB(110)).toBe(1465);
  });
});
