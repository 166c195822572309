import { describe, expect, it } from 'vitest';
import { kubeletConfigPairProblems, reservedSystemCpus } from '../../src/api/kubelet-config-rules.js';

const messages = (config: Record<string, unknown>, flags?: string[]) => kubeletConfigPairProblems(config, flags).map((p) => p.message);

describe('image garbage collection thresholds, as the kubelet pairs them', () => {
  it('judges one threshold alone against the kubelet default of the other', () => {
    expect(messages({ imageGCHighThresholdPercent: 75 })).toEqual([
      "spec.kubelet.config.imageGCHighThresholdPercent: leaves the kubelet's default imageGCLowThresholdPercent of 80 not below imageGCHighThresholdPercent 75, and the kubelet stops at start (expected low < high, e.g. high 85 and low 80)",
    ]);
    expect(messages({ imageGCLowThresholdPercent: 85 })[0]).toMatch(
      /imageGCLowThresholdPercent: leaves imageGCLowThresholdPercent 85 not below the kubelet's default imageGCHighThresholdPercent of 85/,
    );
    expect(messages({ imageGCHighThresholdPercent: 90 })).toEqual([]);
    expect(messages({ imageGCHighThresholdPercent: 70, imageGCLowThresholdPercent: 60 })).toEqual([]);
  });

  it('refuses a percentage outside 0-100, and leaves the pair to a flag that sets one', () => {
    expect(messages({ imageGCHighThresholdPercent: 101 })).toEqual([
      'spec.kubelet.config.imageGCHighThresholdPercent: 101 is not a percentage from 0 to 100 (expected e.g. 85)',
    ]);
    expect(messages({ imageGCHighThresholdPercent: 75 }, ['--image-gc-low-threshold=50'])).toEqual([]);
  });
});

describe('reservedSystemCPUs', () => {
  it('is a CPU list, and cannot stand beside a reserved cgroup the user sets', () => {
    expect(messages({ reservedSystemCPUs: '0-1,4' })).toEqual([]);
    expect(messages({ reservedSystemCPUs: '1-0' })).toEqual(['spec.kubelet.config.reservedSystemCPUs: "1-0" is not a CPU list (expected e.g. "0-1" or "0,2")']);
    expect(messages({ reservedSystemCPUs: '0', kubeReservedCgroup: '/runtime' })).toEqual([
      'spec.kubelet.config.kubeReservedCgroup: cannot be set beside reservedSystemCPUs: the kubelet stops at start (expected one of the two; the agent leaves its own cgroups out when CPUs are reserved)',
    ]);
    expect(messages({ reservedSystemCPUs: '0', systemReservedCgroup: '' })).toEqual([]);
  });

  it('is read from the config or from the last --reserved-cpus flag, which wins', () => {
    expect(reservedSystemCpus({ reservedSystemCPUs: '0-1' }, undefined)).toBe('0-1');
    expect(reservedSystemCpus({ reservedSystemCPUs: '0-1' }, ['--reserved-cpus=2', '--reserved-cpus=3'])).toBe('3');
    expect(reservedSystemCpus({ reservedSystemCPUs: '0-1' }, ['--reserved-cpus='])).toBeUndefined();
    expect(reservedSystemCpus(undefined, undefined)).toBeUndefined();
  });
});

describe('graceful node shutdown', () => {
  it('needs the critical pods share to fit in the whole, each 0 or at least 1s', () => {
    expect(messages({ shutdownGracePeriod: '30s', shutdownGracePeriodCriticalPods: '10s' })).toEqual([]);
    expect(messages({ shutdownGracePeriod: '30s', shutdownGracePeriodCriticalPods: '1m' })).toEqual([
      'spec.kubelet.config.shutdownGracePeriodCriticalPods: "1m" is longer than shutdownGracePeriod "30s", and the kubelet stops at start (expected the critical pods\' share of the whole, e.g. "30s" of "2m30s")',
    ]);
    expect(messages({ shutdownGracePeriod: '500ms' })).toEqual([
      'spec.kubelet.config.shutdownGracePeriod: "500ms" is neither 0 nor at least 1s, and the kubelet stops at start (expected e.g. "30s")',
    ]);
    // one alone meets the agent's value for the other, which depends on the kubelet version
    expect(messages({ shutdownGracePeriodCriticalPods: '5m' })).toEqual([]);
    expect(messages({ shutdownGracePeriod: '30s', shutdownGracePeriodCriticalPods: '1m' }, ['--shutdown-grace-period=2m'])).toEqual([]);
  });
});

describe('reservedMemory for the Static memory manager', () => {
  it('refuses a hugepages reservation, which node allocatable never holds, on every instance', () => {
    const reservedMemory = [
      { numaNode: 0, limits: { memory: '674Mi', 'hugepages-2Mi': '10Mi', 'hugepages-1Gi': '0' } },
      { numaNode: 1, limits: { 'hugepages-2Mi': 0 } },
    ];
    expect(messages({ memoryManagerPolicy: 'Static', reservedMemory })).toEqual([
      'spec.kubelet.config.reservedMemory[0].limits.hugepages-2Mi: "10Mi" reserves hugepages, which node allocatable never reserves (kubeReserved and systemReserved hold none), so with memoryManagerPolicy "Static" the kubelet stops at start (expected no hugepages-2Mi in reservedMemory)',
    ]);
    // other policies do not check reservedMemory; a flag leaves it to the kubelet
    expect(messages({ memoryManagerPolicy: 'None', reservedMemory })).toEqual([]);
    expect(messages({ memoryManagerPolicy: 'Static', reservedMemory }, ['--reserved-memory=0:memory=1Gi'])).toEqual([]);
  });
});

describe('counts the kubelet refuses at start', () => {
  it('refuses containerLogMaxFiles of 1 or less and maxParallelImagePulls below 1', () => {
    expect(messages({ containerLogMaxFiles: 1, maxParallelImagePulls: 0 })).toEqual([
      'spec.kubelet.config.containerLogMaxFiles: 1 is not more than 1, and the kubelet stops at start (expected e.g. 5: the file being written and the rotated ones)',
      'spec.kubelet.config.maxParallelImagePulls: 0 is not a positive number, and the kubelet stops at start (expected e.g. 5)',
    ]);
    expect(messages({ containerLogMaxFiles: 2, maxParallelImagePulls: 1 })).toEqual([]);
    expect(messages({ containerLogMaxSize: '10MB' })).toEqual([
      'spec.kubelet.config.containerLogMaxSize: "10MB" is not a quantity, and the kubelet stops at start (expected e.g. "10Mi"; "10MB" is not one)',
    ]);
    // a negative size turns rotation off
    expect(messages({ containerLogMaxSize: '50Mi' }).concat(messages({ containerLogMaxSize: '-1' }))).toEqual([]);
  });

  it("refuses parallel pulls beside the user's own serializeImagePulls true, and accepts them beside the agent's false", () => {
    expect(messages({ maxParallelImagePulls: 5, serializeImagePulls: true })).toEqual([
      'spec.kubelet.config.maxParallelImagePulls: 5 cannot be more than 1 beside serializeImagePulls true: the kubelet stops at start (expected serializeImagePulls false, which the agent writes unless told otherwise, or no maxParallelImagePulls)',
    ]);
    expect(messages({ maxParallelImagePulls: 5 })).toEqual([]);
    expect(messages({ maxParallelImagePulls: 5, serializeImagePulls: true }, ['--serialize-image-pulls=false'])).toEqual([]);
  });
});

describe('shutdown by pod priority', () => {
  const byPriority = [
    { priority: 100000, shutdownGracePeriodSeconds: 10 },
    { priority: 0, shutdownGracePeriodSeconds: 60 },
  ];

  it('refuses a shutdown grace period beside the list, which the kubelet refuses', () => {
    expect(messages({ shutdownGracePeriodByPodPriority: byPriority, shutdownGracePeriod: '30s', shutdownGracePeriodCriticalPods: '0s' })).toEqual([
      'spec.kubelet.config.shutdownGracePeriod: "30s" cannot be set beside shutdownGracePeriodByPodPriority: the kubelet stops at start (expected one of the two; the agent leaves its own grace periods out beside the list)',
    ]);
    expect(messages({ shutdownGracePeriodByPodPriority: byPriority })).toEqual([]);
    // with its gate off the kubelet ignores the list for this rule
    expect(
      messages({ shutdownGracePeriodByPodPriority: byPriority, shutdownGracePeriod: '30s', featureGates: { GracefulNodeShutdownBasedOnPodPriority: false } }),
    ).toEqual([]);
  });
});

describe('serving certificates', () => {
  it('refuses serverTLSBootstrap beside the gate it needs turned off', () => {
    const gateOff = { featureGates: { RotateKubeletServerCertificate: false } };
    expect(messages({ ...gateOff, serverTLSBootstrap: true })).toEqual([
      'spec.kubelet.config.serverTLSBootstrap: true needs the RotateKubeletServerCertificate feature gate, which featureGates turns off: the kubelet stops at start (expected one of the two)',
    ]);
    expect(messages(gateOff)).toEqual([]);
    expect(messages({ ...gateOff, serverTLSBootstrap: false })).toEqual([]);
  });
});

describe('enforceNodeAllocatable', () => {
  it('refuses an item twice, "none" beside others, a reservation beside its compressible form, and cgroupsPerQOS off', () => {
    expect(messages({ enforceNodeAllocatable: ['pods', 'kube-reserved'] })).toEqual([]);
    expect(messages({ enforceNodeAllocatable: ['none'], cgroupsPerQOS: false })).toEqual([]);
    expect(messages({ enforceNodeAllocatable: ['pods', 'pods', 'none', 'kube-reserved', 'kube-reserved-compressible'], cgroupsPerQOS: false })).toEqual([
      'spec.kubelet.config.enforceNodeAllocatable: names "pods" twice, and the kubelet stops at start (expected each once)',
      'spec.kubelet.config.enforceNodeAllocatable: has "none" beside other items, and the kubelet stops at start (expected "none" alone)',
      'spec.kubelet.config.enforceNodeAllocatable: has "kube-reserved" beside "kube-reserved-compressible", and the kubelet stops at start (expected one of the two)',
      'spec.kubelet.config.cgroupsPerQOS: false while enforceNodeAllocatable enforces pods, kube-reserved, kube-reserved-compressible: the kubelet stops at start (expected cgroupsPerQOS true, its default, or enforceNodeAllocatable ["none"])',
    ]);
    expect(messages({ cgroupsPerQOS: false })).toEqual([
      'spec.kubelet.config.cgroupsPerQOS: false while enforceNodeAllocatable enforces pods (its default): the kubelet stops at start (expected cgroupsPerQOS true, its default, or enforceNodeAllocatable ["none"])',
    ]);
  });
});
