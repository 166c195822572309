import { describe, expect, it } from 'vitest';
import { checkKubeletConfigFields } from '../../src/api/kubelet-config-fields.js';
import { softEvictionProblems } from '../../src/api/kubelet-config-rules.js';
import { KUBELET_CONFIG_FIELDS_VERSION, KUBELET_CONFIG_TYPES } from '../../src/api/kubelet-config-fields.generated.js';
import { generate } from '../../../scripts/gen-kubelet-config-fields.js';

describe('KubeletConfiguration field check', () => {
  it('accepts a realistic fragment, apiVersion and kind included', () => {
    expect(
      checkKubeletConfigFields({
        apiVersion: 'kubelet.config.k8s.io/v1beta1',
        kind: 'KubeletConfiguration',
        maxPods: 58,
        shutdownGracePeriod: '2m30s',
        featureGates: { DynamicResourceAllocation: false },
        kubeReserved: { cpu: '100m' },
        evictionHard: { 'memory.available': '5%' },
        registerWithTaints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
        authentication: { webhook: { enabled: true, cacheTTL: '2m0s' } },
        authorization: { mode: 'Webhook' },
        logging: { format: 'json', verbosity: 4 },
        cpuManagerPolicy: 'static',
        systemReserved: null,
      }),
    ).toEqual([]);
  });

  it("accepts every unit of Go's durations, microseconds' three spellings included", () => {
    for (const d of ['0', '300ms', '-1.5h', '+1h2m3s', '10ns', '20us', '20\u00b5s', '20\u03bcs', '1m.5s']) {
      expect(checkKubeletConfigFields({ nodeStatusUpdateFrequency: d }), d).toEqual([]);
    }
    for (const d of ['20\u03bcm', '1d', '5', 's', '1h 2m']) {
      expect(
        checkKubeletConfigFields({ nodeStatusUpdateFrequency: d }).map((p) => p.severity),
        d,
      ).toEqual(['error']);
    }
  });

  it('names a misspelt field with a suggestion, as advisory', () => {
    expect(checkKubeletConfigFields({ maxPod: 20, registerWithTaint: [] })).toEqual([
      {
        path: 'spec.kubelet.config.maxPod',
        severity: 'advisory',
        message: `spec.kubelet.config.maxPod: unknown KubeletConfiguration field (did you mean "maxPods"?) (the field list is of Kubernetes ${KUBELET_CONFIG_FIELDS_VERSION}; a newer kubelet may know it)`,
      },
      expect.objectContaining({
        path: 'spec.kubelet.config.registerWithTaint',
        severity: 'advisory',
        message: expect.stringContaining('(did you mean "registerWithTaints"?)'),
      }),
    ]);
  });

  it('looks into nested structs and list elements', () => {
    const problems = checkKubeletConfigFields({
      authentication: { webhok: {} },
      registerWithTaints: [
        { key: 'a', effect: 'NoSchedule' },
        { key: 'b', efect: 'NoExecute' },
      ],
    });
    expect(problems.map((p) => [p.path, p.severity])).toEqual([
      ['spec.kubelet.config.authentication.webhok', 'advisory'],
      ['spec.kubelet.config.registerWithTaints[1].efect', 'advisory'],
    ]);
  });

  it('rejects a bad value of a known field as an error: taint effect, kinds, durations, enums', () => {
    const problems = checkKubeletConfigFields({
      registerWithTaints: [{ key: 'a', effect: 'NoSchedul' }],
      serializeImagePulls: 'false',
      shutdownGracePeriod: 30,
      imageGCHighThresholdPercent: 85.5,
      authorization: { mode: 'Always' },
      clusterDNS: '10.100.0.10',
      nodeStatusUpdateFrequency: '10 seconds',
    });
    expect(problems.every((p) => p.severity === 'error')).toBe(true);
    expect(problems.map((p) => p.message)).toEqual([
      'spec.kubelet.config.registerWithTaints[0].effect: "NoSchedul" is not allowed (expected "NoSchedule")',
      'spec.kubelet.config.serializeImagePulls: "false" is a string (expected true or false)',
      'spec.kubelet.config.shutdownGracePeriod: 30 is not a duration (expected a duration such as "30s" or "2m30s")',
      'spec.kubelet.config.imageGCHighThresholdPercent: 85.5 is a number (expected a whole number)',
      'spec.kubelet.config.authorization.mode: "Always" is not allowed (expected one of "AlwaysAllow", "Webhook")',
      'spec.kubelet.config.clusterDNS: "10.100.0.10" is a string (expected a list)',
      'spec.kubelet.config.nodeStatusUpdateFrequency: "10 seconds" is not a duration (expected a duration such as "30s" or "2m30s")',
    ]);
  });

  it("refuses a whole number outside the Go type's range, which the kubelet cannot read", () => {
    const problems = checkKubeletConfigFields({
      kubeAPIBurst: 2 ** 31,
      podsPerCore: 2 ** 31 - 1,
      oomScoreAdj: -(2 ** 31) - 1,
      podPidsLimit: 2 ** 40,
      maxOpenFiles: 1e300,
    });
    expect(problems.map((p) => p.message)).toEqual([
      "spec.kubelet.config.kubeAPIBurst: 2147483648 is out of range (expected a whole number from -2147483648 to 2147483647, the kubelet's int32)",
      "spec.kubelet.config.oomScoreAdj: -2147483649 is out of range (expected a whole number from -2147483648 to 2147483647, the kubelet's int32)",
      "spec.kubelet.config.maxOpenFiles: 1e+300 is out of range (expected a whole number from -9007199254740991 to 9007199254740991, the kubelet's int64)",
    ]);
    expect(problems.every((p) => p.severity === 'error')).toBe(true);
  });

  it("is generated with each integer field's Go type", () => {
    const source = [
      'type KubeletConfiguration struct {',
      '\tMaxPods int32 `json:"maxPods,omitempty"`',
      '\tPodPidsLimit *int64 `json:"podPidsLimit,omitempty"`',
      '}',
    ].join('\n');
    const text = generate(source, '0.0.0');
    expect(text).toContain('"maxPods": "int32"');
    expect(text).toContain('"podPidsLimit": "int64"');
    expect(KUBELET_CONFIG_TYPES.KubeletConfiguration!.maxPods).toBe('int32');
    expect(KUBELET_CONFIG_TYPES.KubeletConfiguration!.podPidsLimit).toBe('int64');
  });

  it('judges reservation and eviction amounts as the kubelet parses them: quantities, and percentages for eviction', () => {
    expect(
      checkKubeletConfigFields({
        kubeReserved: { cpu: '250m', memory: '1Gi', 'ephemeral-storage': '1e9' },
        systemReserved: { memory: '512Mi' },
        evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '10%' },
        evictionMinimumReclaim: { 'memory.available': '0.5Gi' },
      }),
    ).toEqual([]);
    const problems = checkKubeletConfigFields({
      kubeReserved: { memory: '1GB', cpu: 1 },
      systemReserved: { memory: '1 Gi' },
      evictionSoft: { 'memory.available': '10 %' },
    });
    expect(problems.map((p) => p.message)).toEqual([
      'spec.kubelet.config.kubeReserved.memory: "1GB" is not a quantity of 0 or more (expected e.g. "100m", "512Mi" or "1Gi")',
      'spec.kubelet.config.kubeReserved.cpu: 1 is a whole number (expected a quantity of 0 or more as a string, e.g. "100m", "512Mi" or "1Gi")',
      'spec.kubelet.config.systemReserved.memory: "1 Gi" is not a quantity of 0 or more (expected e.g. "100m", "512Mi" or "1Gi")',
      'spec.kubelet.config.evictionSoft.memory.available: "10 %" is not a quantity above zero or a percentage from 0% to 100% (expected e.g. "100Mi" or "10%")',
    ]);
    expect(problems.every((p) => p.severity === 'error')).toBe(true);
  });

  it('refuses whole numbers outside what the kubelet accepts, where that is narrower than the Go type', () => {
    expect(checkKubeletConfigFields({ kubeAPIQPS: 0, port: 0, readOnlyPort: 10255, nodeStatusMaxImages: -1, oomScoreAdj: -999 })).toEqual([]);
    expect(checkKubeletConfigFields({ iptablesDropBit: 15, iptablesMasqueradeBit: 14 })).toEqual([]);
    expect(checkKubeletConfigFields({ iptablesMasqueradeBit: 32 }).map((p) => p.message)).toEqual([
      'spec.kubelet.config.iptablesMasqueradeBit: 32 is outside what the kubelet accepts, and it stops at start (expected a whole number from 0 to 31)',
    ]);
    expect(checkKubeletConfigFields({ kubeAPIQPS: -5, healthzPort: 70000, oomScoreAdj: -1001, containerLogMaxWorkers: 0 }).map((p) => p.message)).toEqual([
      'spec.kubelet.config.kubeAPIQPS: -5 is outside what the kubelet accepts, and it stops at start (expected a whole number from 0 up)',
      'spec.kubelet.config.healthzPort: 70000 is outside what the kubelet accepts, and it stops at start (expected a whole number from 0 to 65535)',
      'spec.kubelet.config.oomScoreAdj: -1001 is outside what the kubelet accepts, and it stops at start (expected a whole number from -1000 to 1000)',
      'spec.kubelet.config.containerLogMaxWorkers: 0 is outside what the kubelet accepts, and it stops at start (expected a whole number from 1 up)',
    ]);
  });

  it('refuses policies and modes the kubelet does not know, naming the right spelling', () => {
    expect(
      checkKubeletConfigFields({
        cpuManagerPolicy: 'static',
        memoryManagerPolicy: 'Static',
        topologyManagerPolicy: 'single-numa-node',
        topologyManagerScope: 'pod',
        hairpinMode: 'hairpin-veth',
        enforceNodeAllocatable: ['pods', 'kube-reserved'],
        tlsMinVersion: 'VersionTLS13',
      }),
    ).toEqual([]);
    expect(checkKubeletConfigFields({ cpuManagerPolicy: '', topologyManagerPolicy: '' })).toEqual([]);
    const problems = checkKubeletConfigFields({
      cpuManagerPolicy: 'Static',
      memoryManagerPolicy: 'static',
      topologyManagerPolicy: 'single-numa',
      topologyManagerScope: 'node',
      enforceNodeAllocatable: ['pods', 'kube-reserverd'],
      tlsMinVersion: 'VersionTLS1.2',
    });
    expect(problems.map((p) => p.message)).toEqual([
      'spec.kubelet.config.cpuManagerPolicy: "Static" is not one the kubelet accepts, and it stops at start (expected "static")',
      'spec.kubelet.config.memoryManagerPolicy: "static" is not one the kubelet accepts, and it stops at start (expected "Static")',
      'spec.kubelet.config.topologyManagerPolicy: "single-numa" is not one the kubelet accepts, and it stops at start (expected one of "none", "best-effort", "restricted", "single-numa-node")',
      'spec.kubelet.config.topologyManagerScope: "node" is not one the kubelet accepts, and it stops at start (expected "pod")',
      'spec.kubelet.config.enforceNodeAllocatable[1]: "kube-reserverd" is not one the kubelet accepts, and it stops at start (expected "kube-reserved")',
      'spec.kubelet.config.tlsMinVersion: "VersionTLS1.2" is not one the kubelet accepts, and it stops at start (expected "VersionTLS12")',
    ]);
    expect(problems.every((p) => p.severity === 'error')).toBe(true);
  });

  it('refuses what the kubelet refuses before it starts: a resource it does not reserve, a reservation below zero, a threshold of zero', () => {
    expect(
      checkKubeletConfigFields({
        kubeReserved: { pid: '1000', cpu: '0' },
        evictionHard: { 'memory.available': '0%', 'nodefs.available': '100%' },
        evictionMinimumReclaim: { 'memory.available': '0' },
      }),
    ).toEqual([]);
    const problems = checkKubeletConfigFields({
      kubeReserved: { storage: '1Gi', ephemeral_storage: '1Gi', memory: '-1Gi' },
      systemReserved: { 'hugepages-2Mi': '0' },
      evictionHard: { 'memory.available': '0', 'nodefs.available': '-1Gi', 'imagefs.available': '150%' },
      evictionMinimumReclaim: { 'memory.available': '0%', 'nodefs.available': '-5Gi' },
    });
    expect(problems.map((p) => p.message)).toEqual([
      'spec.kubelet.config.kubeReserved.storage: "storage" is not a resource the kubelet reserves, and the kubelet stops at start (expected one of cpu, memory, ephemeral-storage, pid)',
      'spec.kubelet.config.kubeReserved.ephemeral_storage: "ephemeral_storage" is not a resource the kubelet reserves, and the kubelet stops at start (expected "ephemeral-storage")',
      'spec.kubelet.config.kubeReserved.memory: "-1Gi" is not a quantity of 0 or more (expected e.g. "100m", "512Mi" or "1Gi")',
      'spec.kubelet.config.systemReserved.hugepages-2Mi: "hugepages-2Mi" is not a resource the kubelet reserves, and the kubelet stops at start (expected one of cpu, memory, ephemeral-storage, pid)',
      'spec.kubelet.config.evictionHard.memory.available: "0" is not a quantity above zero or a percentage from 0% to 100% (expected e.g. "100Mi" or "10%")',
      'spec.kubelet.config.evictionHard.nodefs.available: "-1Gi" is not a quantity above zero or a percentage from 0% to 100% (expected e.g. "100Mi" or "10%")',
      'spec.kubelet.config.evictionHard.imagefs.available: "150%" is not a quantity above zero or a percentage from 0% to 100% (expected e.g. "100Mi" or "10%")',
      'spec.kubelet.config.evictionMinimumReclaim.memory.available: "0%" is not a quantity of 0 or more or a percentage above zero (expected e.g. "500Mi" or "5%")',
      'spec.kubelet.config.evictionMinimumReclaim.nodefs.available: "-5Gi" is not a quantity of 0 or more or a percentage above zero (expected e.g. "500Mi" or "5%")',
    ]);
    expect(problems.every((p) => p.severity === 'error')).toBe(true);
  });

  it('judges soft eviction grace periods as the kubelet does: durations of 0 or more, one for each soft threshold', () => {
    const soft = {
      evictionSoft: { 'memory.available': '500Mi', 'nodefs.available': '15%', 'imagefs.available': '0%' },
      evictionSoftGracePeriod: { 'memory.available': '1m30s', 'nodefs.inodesFree': '-1s', 'pid.available': 90 },
    };
    expect(checkKubeletConfigFields(soft).map((p) => p.message)).toEqual([
      'spec.kubelet.config.evictionSoftGracePeriod.nodefs.inodesFree: "-1s" is not a duration of 0 or more (expected e.g. "1m30s")',
      'spec.kubelet.config.evictionSoftGracePeriod.pid.available: 90 is a whole number (expected a duration of 0 or more as a string, e.g. "1m30s")',
    ]);
    // nodefs.available has no grace period; "0%" is a threshold the kubelet ignores
    expect(softEvictionProblems(soft, ['--v=2'])).toEqual([
      {
        path: 'spec.kubelet.config.evictionSoft.nodefs.available',
        severity: 'error',
        message:
          'spec.kubelet.config.evictionSoft.nodefs.available: has no grace period, and the kubelet stops at start for a soft threshold without one (expected spec.kubelet.config.evictionSoftGracePeriod.nodefs.available, e.g. "1m30s")',
      },
    ]);
    expect(softEvictionProblems({ evictionSoft: { 'memory.available': '1Gi' } }, undefined).map((p) => p.path)).toEqual([
      'spec.kubelet.config.evictionSoft.memory.available',
    ]);
    // a flag replaces either map, so the config's alone does not tell
    expect(softEvictionProblems(soft, ['--eviction-soft-grace-period=nodefs.available=1m'])).toEqual([]);
  });

  it('comes from a list with the fields the agent itself writes', () => {
    const fields = KUBELET_CONFIG_TYPES.KubeletConfiguration!;
    for (const f of [
      'kubeReservedCgroup',
      'systemReservedCgroup',
      'shutdownGracePeriodCriticalPods',
      'containerRuntimeEndpoint',
      'providerID',
      'tlsCipherSuites',
      'featureGates',
    ]) {
      expect(fields[f], f).toBeDefined();
    }
  });
});
