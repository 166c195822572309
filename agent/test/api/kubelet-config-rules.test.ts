import { describe, expect, it } from 'vitest';
import {
  allowlistPatternProblem,
  featureGate,
  gateDefaultWarnings,
  kubeletConfigPairProblems,
  reservedSystemCpus,
  serverCertificateGateOff,
  ignoredCipherSuiteAdvisories,
  qosReservedAdvisories,
  relativePathAdvisories,
  takenAwayAdvisories,
} from '../../src/api/kubelet-config-rules.js';

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
      { numaNode: 0, limits: { memory: '674Mi', 'hugepages-2Mi': '10Mi' } },
      { numaNode: 1, limits: { memory: '100Mi' } },
    ];
    expect(messages({ memoryManagerPolicy: 'Static', reservedMemory })).toEqual([
      'spec.kubelet.config.reservedMemory[0].limits.hugepages-2Mi: "10Mi" reserves hugepages, which node allocatable never reserves (kubeReserved and systemReserved hold none), so with memoryManagerPolicy "Static" the kubelet stops at start (expected no hugepages-2Mi in reservedMemory)',
    ]);
    // other policies do not check the totals; a flag leaves it to the kubelet
    expect(messages({ memoryManagerPolicy: 'None', reservedMemory })).toEqual([]);
    expect(messages({ memoryManagerPolicy: 'Static', reservedMemory }, ['--reserved-memory=0:memory=1Gi'])).toEqual([]);
  });

  it('refuses, whatever the policy, a limit that is not memory or hugepages, a zero or non-quantity one, and a NUMA node named twice for a type', () => {
    const reservedMemory = [
      { numaNode: 0, limits: { memory: '1Gi', cpu: '1', 'hugepages-1Gi': '0' } },
      { limits: { memory: '512Mi' } },
      { numaNode: 1, limits: { memory: 0, 'hugepages-2Mi': '10 Mi' } },
    ];
    expect(messages({ reservedMemory })).toEqual([
      'spec.kubelet.config.reservedMemory[0].limits.cpu: the kubelet reserves only "memory" and "hugepages-<size>" by NUMA node, and stops at start for "cpu" (expected "memory", or e.g. "hugepages-2Mi")',
      'spec.kubelet.config.reservedMemory[0].limits.hugepages-1Gi: "0" reserves nothing, and the kubelet stops at start for a zero reservation (expected the limit left out, or e.g. "1Gi")',
      'spec.kubelet.config.reservedMemory[1].limits.memory: is the second memory reservation for NUMA node 0, and the kubelet stops at start (expected one entry per NUMA node, or one memory limit in it)',
      'spec.kubelet.config.reservedMemory[2].limits.memory: 0 reserves nothing, and the kubelet stops at start for a zero reservation (expected the limit left out, or e.g. "1Gi")',
      'spec.kubelet.config.reservedMemory[2].limits.hugepages-2Mi: "10 Mi" is not a quantity, and the kubelet stops at start (expected e.g. "1Gi")',
    ]);
    expect(messages({ reservedMemory }, ['--reserved-memory=0:memory=1Gi'])).toEqual([]);
    expect(
      messages({
        reservedMemory: [
          { numaNode: 0, limits: { memory: '1Gi' } },
          { numaNode: 1, limits: { memory: '1Gi' } },
        ],
      }),
    ).toEqual([]);
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
    // with its gate off the kubelet skips this rule, and refuses the list itself
    expect(
      messages({ shutdownGracePeriodByPodPriority: byPriority, shutdownGracePeriod: '30s', featureGates: { GracefulNodeShutdownBasedOnPodPriority: false } }),
    ).toEqual([
      expect.stringMatching(/^spec\.kubelet\.config\.shutdownGracePeriodByPodPriority: needs the GracefulNodeShutdownBasedOnPodPriority feature gate/),
    ]);
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

  it('reads the gate from a --feature-gates flag too, which wins over featureGates', () => {
    const flagOff = ['--feature-gates=DynamicResourceAllocation=true, RotateKubeletServerCertificate=f'];
    expect(messages({ serverTLSBootstrap: true }, flagOff)).toEqual([
      'spec.kubelet.config.serverTLSBootstrap: true needs the RotateKubeletServerCertificate feature gate, which a --feature-gates flag turns off: the kubelet stops at start (expected one of the two)',
    ]);
    expect(serverCertificateGateOff({}, flagOff)).toBe(true);
    // the flag turns it back on over the config
    expect(
      messages({ serverTLSBootstrap: true, featureGates: { RotateKubeletServerCertificate: false } }, ['--feature-gates=RotateKubeletServerCertificate=true']),
    ).toEqual([]);
    // --rotate-server-certificates decides serverTLSBootstrap instead
    expect(messages({ serverTLSBootstrap: true }, [...flagOff, '--rotate-server-certificates=false'])).toEqual([]);
  });
});

describe('feature gates as the kubelet runs with them', () => {
  it('lays every --feature-gates flag over featureGates key by key, the later flag winning, and reads Go booleans', () => {
    const config = { featureGates: { NodeSwap: false, NodeLogQuery: true } };
    expect(featureGate(config, undefined, 'NodeSwap')).toBe(false);
    expect(featureGate(config, ['--feature-gates=NodeSwap=1', '--feature-gates=A=true'], 'NodeSwap')).toBe(true);
    expect(featureGate(config, ['--feature-gates=NodeSwap=1', '--feature-gates=NodeSwap=FALSE'], 'NodeSwap')).toBe(false);
    // a flag that does not name the gate leaves the config's; an unreadable value is not read
    expect(featureGate(config, ['--feature-gates=NodeSwap=maybe'], 'NodeLogQuery')).toBe(true);
    expect(featureGate(config, ['--feature-gates=NodeSwap=maybe'], 'NodeSwap')).toBe(false);
    expect(featureGate({}, undefined, 'NodeSwap')).toBeUndefined();
  });
});

describe('fields behind a gate that is off by default', () => {
  it("refuses enableSystemLogQuery with NodeLogQuery turned off, or without the log handler; the gate left alone is the version's to judge", () => {
    expect(messages({ enableSystemLogQuery: true, featureGates: { NodeLogQuery: false } })).toEqual([
      'spec.kubelet.config.enableSystemLogQuery: needs the NodeLogQuery feature gate, which featureGates turns off: the kubelet stops at start (expected one of the two)',
    ]);
    // off by default before 1.36, locked on from it: render and init warn for the kubelet they know
    expect(messages({ enableSystemLogQuery: true })).toEqual([]);
    expect(gateDefaultWarnings({ enableSystemLogQuery: true }, undefined, 35)).toEqual([
      'spec.kubelet.config.enableSystemLogQuery: needs the NodeLogQuery feature gate, which kubelet 1.35 has off by default (on from 1.36), so this kubelet stops at start (expected featureGates: {NodeLogQuery: true} beside it)',
    ]);
    expect(gateDefaultWarnings({ enableSystemLogQuery: true }, undefined, 36)).toEqual([]);
    expect(messages({ enableSystemLogQuery: true, featureGates: { NodeLogQuery: true } })).toEqual([]);
    expect(messages({ enableSystemLogQuery: true }, ['--feature-gates=NodeLogQuery=true'])).toEqual([]);
    expect(messages({ enableSystemLogQuery: true, enableSystemLogHandler: false, featureGates: { NodeLogQuery: true } })).toEqual([
      'spec.kubelet.config.enableSystemLogHandler: false while enableSystemLogQuery is true: the kubelet stops at start (expected true, its default, or no enableSystemLogQuery)',
    ]);
  });

  it("refuses a cpuCFSQuotaPeriod other than 100ms with CustomCPUCFSQuotaPeriod turned off, and outside 1ms-1s; the gate left alone is the version's", () => {
    expect(messages({ cpuCFSQuotaPeriod: '100ms' })).toEqual([]);
    expect(messages({ cpuCFSQuotaPeriod: '50ms', featureGates: { CustomCPUCFSQuotaPeriod: false } })).toEqual([
      'spec.kubelet.config.cpuCFSQuotaPeriod: needs the CustomCPUCFSQuotaPeriod feature gate, which featureGates turns off: the kubelet stops at start (expected one of the two)',
    ]);
    // off by default before 1.36, on (GA) from it
    expect(messages({ cpuCFSQuotaPeriod: '50ms' })).toEqual([]);
    expect(gateDefaultWarnings({ cpuCFSQuotaPeriod: '50ms' }, undefined, 34)).toEqual([
      'spec.kubelet.config.cpuCFSQuotaPeriod: needs the CustomCPUCFSQuotaPeriod feature gate, which kubelet 1.34 has off by default (on from 1.36), so this kubelet stops at start (expected featureGates: {CustomCPUCFSQuotaPeriod: true} beside it)',
    ]);
    expect(gateDefaultWarnings({ cpuCFSQuotaPeriod: '50ms' }, undefined, 36)).toEqual([]);
    expect(gateDefaultWarnings({ cpuCFSQuotaPeriod: '100ms' }, undefined, 34)).toEqual([]);
    const gateOn = { featureGates: { CustomCPUCFSQuotaPeriod: true } };
    expect(messages({ ...gateOn, cpuCFSQuotaPeriod: '50ms' })).toEqual([]);
    expect(messages({ ...gateOn, cpuCFSQuotaPeriod: '2s' })).toEqual([
      'spec.kubelet.config.cpuCFSQuotaPeriod: "2s" is not from 1ms to 1s, and the kubelet stops at start (expected e.g. "50ms")',
    ]);
    expect(messages({ cpuCFSQuotaPeriod: '50ms' }, ['--cpu-cfs-quota-period=50ms'])).toEqual([]);
  });

  it('bounds memoryThrottlingFactor and ties the preloaded-image allowlist to its policy', () => {
    expect(messages({ memoryThrottlingFactor: 0.8 })).toEqual([]);
    expect(messages({ memoryThrottlingFactor: 0 })).toEqual([
      'spec.kubelet.config.memoryThrottlingFactor: 0 is not above 0 and at most 1, and the kubelet stops at start (expected e.g. 0.9, its default)',
    ]);
    const allowlist = { preloadedImagesVerificationAllowlist: ['registry.k8s.io/pause'] };
    expect(messages({ ...allowlist, imagePullCredentialsVerificationPolicy: 'NeverVerifyAllowlistedImages' })).toEqual([]);
    expect(messages({ ...allowlist, imagePullCredentialsVerificationPolicy: 'AlwaysVerify' })).toEqual([
      'spec.kubelet.config.preloadedImagesVerificationAllowlist: is read only with imagePullCredentialsVerificationPolicy "NeverVerifyAllowlistedImages", not "AlwaysVerify": the kubelet stops at start (expected that policy beside the list)',
    ]);
  });

  it('takes image names and "/*" prefixes in preloadedImagesVerificationAllowlist, and names each entry the kubelet refuses', () => {
    const policy = { imagePullCredentialsVerificationPolicy: 'NeverVerifyAllowlistedImages' };
    const good = [
      'registry.k8s.io/pause',
      '602401143452.dkr.ecr.us-west-2.amazonaws.com/*',
      '602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/*',
      'localhost:5000/team/app',
      'MyRegistry/app',
      '[fd00::1]:5000/app',
      'alpine',
      'public.ecr.aws/eks-distro/kubernetes/pause',
      'my__repo/a-b--c.d',
    ];
    expect(messages({ ...policy, preloadedImagesVerificationAllowlist: good })).toEqual([]);
    const refused = (pattern: string) => allowlistPatternProblem(pattern);
    expect(refused('registry.k8s.io/*/pause')).toBe('has a wildcard other than a whole last path segment "/*"');
    expect(refused('registry.k8s.io/pause*')).toBe('has a wildcard other than a whole last path segment "/*"');
    expect(refused('*')).toBe('has a wildcard other than a whole last path segment "/*"');
    expect(refused('/*')).toBe('has no registry before its "/*"');
    expect(refused('')).toBe('is empty');
    expect(refused('registry.k8s.io/')).toBe('ends with "/"');
    expect(refused(' registry.k8s.io/pause')).toBe('has blanks around it');
    expect(refused('registry.k8s.io/pause:3.10')).toBe('has a tag');
    expect(refused(`registry.k8s.io/pause@sha256:${'a'.repeat(64)}`)).toBe('has a digest');
    expect(refused('registry.k8s.io/Pause')).toMatch(/^is not an image name/);
    expect(refused('registry.k8s.io/pause-')).toMatch(/^is not an image name/);
    expect(refused('bad_host.example/app')).toBe('has a registry that is not a host name with an optional port');
    expect(refused(`registry.example/${'a'.repeat(250)}`)).toBe('is longer than an image name may be (255 characters)');
    expect(messages({ ...policy, preloadedImagesVerificationAllowlist: ['registry.k8s.io/pause', 'registry.k8s.io/pause:3.10'] })).toEqual([
      'spec.kubelet.config.preloadedImagesVerificationAllowlist[1]: "registry.k8s.io/pause:3.10" has a tag, and the kubelet stops at start (expected an image name without tag or digest, such as "registry.k8s.io/pause", or a registry or repository prefix ending in "/*", such as "123456789012.dkr.ecr.us-west-2.amazonaws.com/*")',
    ]);
  });
});

describe("a null or empty value takes the agent's away (the fragment is a JSON merge patch)", () => {
  it("refuses a runtime endpoint taken away, unless a flag gives one; a reservation taken away is the user's to drop", () => {
    const refused = (shown: string) =>
      `spec.kubelet.config.containerRuntimeEndpoint: ${shown} takes away the agent's runtime endpoint, and the kubelet stops at start without one (expected the field left out, for the agent's "unix:///run/containerd/containerd.sock", or a socket such as that)`;
    expect(messages({ containerRuntimeEndpoint: null })).toEqual([refused('null')]);
    expect(messages({ containerRuntimeEndpoint: '' })).toEqual([refused('""')]);
    expect(messages({ containerRuntimeEndpoint: null }, ['--container-runtime-endpoint=unix:///run/containerd/containerd.sock'])).toEqual([]);
    expect(messages({ containerRuntimeEndpoint: 'unix:///run/other.sock', kubeReserved: null, evictionHard: null })).toEqual([]);
  });

  it('advises on cluster DNS and domain taken away, which leave pods unable to resolve services', () => {
    expect(takenAwayAdvisories({ clusterDNS: null, clusterDomain: '' }, undefined)).toEqual([
      'spec.kubelet.config.clusterDNS: null takes away the agent\'s cluster DNS address (the service CIDR\'s .10): the kubelet starts, and pods get no cluster DNS (expected the field left out, or addresses such as ["169.254.20.10"])',
      'spec.kubelet.config.clusterDomain: "" takes away the agent\'s "cluster.local": the kubelet starts, and pods get no cluster search domain (expected the field left out)',
    ]);
    expect(takenAwayAdvisories({ clusterDNS: [] }, undefined)).toHaveLength(1);
    expect(takenAwayAdvisories({ clusterDNS: [], clusterDomain: null }, ['--cluster-dns=169.254.20.10', '--cluster-domain=cluster.local'])).toEqual([]);
    expect(takenAwayAdvisories({ clusterDNS: ['169.254.20.10'], clusterDomain: 'corp.local' }, undefined)).toEqual([]);
    expect(takenAwayAdvisories(undefined, undefined)).toEqual([]);
  });
});

describe('image ages', () => {
  it('needs a maximum age longer than the minimum, the default 2m when none is set, and neither below zero', () => {
    expect(messages({ imageMaximumGCAge: '168h' })).toEqual([]);
    expect(messages({ imageMaximumGCAge: '0s', imageMinimumGCAge: '5m' })).toEqual([]);
    expect(messages({ imageMaximumGCAge: '1m' })).toEqual([
      'spec.kubelet.config.imageMaximumGCAge: "1m" is not longer than the kubelet\'s default imageMinimumGCAge of 2m, and the kubelet stops at start (expected e.g. "168h")',
    ]);
    expect(messages({ imageMaximumGCAge: '1h', imageMinimumGCAge: '1h' })).toEqual([
      'spec.kubelet.config.imageMaximumGCAge: "1h" is not longer than imageMinimumGCAge "1h", and the kubelet stops at start (expected e.g. "168h")',
    ]);
    expect(messages({ imageMinimumGCAge: '-1m' })).toEqual([
      'spec.kubelet.config.imageMinimumGCAge: "-1m" is below zero, and the kubelet stops at start (expected e.g. "2m", or "0s")',
    ]);
    // --minimum-image-ttl-duration sets the minimum instead
    expect(messages({ imageMaximumGCAge: '1h', imageMinimumGCAge: '2h' }, ['--minimum-image-ttl-duration=10m'])).toEqual([]);
  });

  it('refuses a maximum age beside its gate turned off', () => {
    expect(messages({ imageMaximumGCAge: '168h', featureGates: { ImageMaximumGCAge: false } })).toEqual([
      'spec.kubelet.config.imageMaximumGCAge: needs the ImageMaximumGCAge feature gate, which featureGates turns off: the kubelet stops at start (expected one of the two)',
    ]);
  });
});

describe('memorySwap', () => {
  it('takes NoSwap or LimitedSwap, and nothing with NodeSwap turned off', () => {
    expect(messages({ memorySwap: { swapBehavior: 'LimitedSwap' } })).toEqual([]);
    expect(messages({ memorySwap: { swapBehavior: 'limitedswap' } })).toEqual([
      'spec.kubelet.config.memorySwap.swapBehavior: "limitedswap" is not one the kubelet accepts, and it stops at start (expected "LimitedSwap")',
    ]);
    expect(messages({ memorySwap: { swapBehavior: 'UnlimitedSwap' } })).toEqual([
      'spec.kubelet.config.memorySwap.swapBehavior: "UnlimitedSwap" is gone from kubelet 1.30, and the kubelet stops at start (expected "LimitedSwap" or "NoSwap")',
    ]);
    expect(messages({ memorySwap: { swapBehavior: 'NoSwap' } }, ['--feature-gates=NodeSwap=false'])).toEqual([
      'spec.kubelet.config.memorySwap.swapBehavior: needs the NodeSwap feature gate, which a --feature-gates flag turns off: the kubelet stops at start (expected one of the two)',
    ]);
  });
});

describe('logging', () => {
  it('takes the text or json format, vmodule only with text, and the alpha output options only with their gate', () => {
    expect(messages({ logging: { format: 'json', verbosity: 2 } })).toEqual([]);
    expect(messages({ logging: { format: 'JSON' } })).toEqual([
      'spec.kubelet.config.logging.format: "JSON" is not a log format the kubelet has, and it stops at start (expected "json")',
    ]);
    expect(messages({ logging: { format: 'JSON' } }, ['--logging-format=text'])).toEqual([]);
    expect(messages({ logging: { format: 'json', vmodule: [{ filePattern: 'kubelet*', verbosity: 4 }] } })).toEqual([
      'spec.kubelet.config.logging.vmodule: works only with the text format, not "json": the kubelet stops at start (expected no vmodule, or format "text")',
    ]);
    expect(messages({ logging: { format: 'json' }, featureGates: { LoggingBetaOptions: false } })).toEqual([
      'spec.kubelet.config.logging.format: "json" needs the LoggingBetaOptions feature gate, which featureGates turns off: the kubelet stops at start (expected one of the two)',
    ]);
    const split = { logging: { format: 'json', options: { json: { splitStream: true, infoBufferSize: '0' } } } };
    expect(messages(split)).toEqual([
      'spec.kubelet.config.logging.options.json.splitStream: needs the LoggingAlphaOptions feature gate, which is off unless turned on: the kubelet stops at start (expected featureGates: {LoggingAlphaOptions: true} beside it)',
    ]);
    expect(messages({ ...split, featureGates: { LoggingAlphaOptions: true } })).toEqual([]);
  });
});

describe('tlsCipherSuites', () => {
  it('takes the names Go knows, and names a near miss', () => {
    expect(messages({ tlsCipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_256_GCM_SHA384'] })).toEqual([]);
    expect(messages({ tlsCipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA265', 'ECDHE-RSA-AES128-GCM-SHA256'] })).toEqual([
      'spec.kubelet.config.tlsCipherSuites[0]: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA265" is not a cipher suite the kubelet knows, and it stops at start (expected "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")',
      'spec.kubelet.config.tlsCipherSuites[1]: "ECDHE-RSA-AES128-GCM-SHA256" is not a cipher suite the kubelet knows, and it stops at start (expected a Go crypto/tls name such as "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")',
    ]);
    expect(messages({ tlsCipherSuites: ['nope'] }, ['--tls-cipher-suites=TLS_AES_128_GCM_SHA256'])).toEqual([]);
  });

  it('advises that suites beside a TLS 1.3 minimum are ignored, the flags winning over the fields', () => {
    const suites = ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'];
    expect(ignoredCipherSuiteAdvisories({ tlsMinVersion: 'VersionTLS13', tlsCipherSuites: suites }, undefined)).toEqual([
      'spec.kubelet.config.tlsCipherSuites: the kubelet ignores cipher suites beside tlsMinVersion "VersionTLS13", as TLS 1.3\'s are not configurable: it starts and serves every TLS 1.3 suite (expected no cipher suites, or tlsMinVersion "VersionTLS12" for them to narrow TLS 1.2)',
    ]);
    expect(ignoredCipherSuiteAdvisories({ tlsMinVersion: 'VersionTLS12', tlsCipherSuites: suites }, undefined)).toEqual([]);
    expect(ignoredCipherSuiteAdvisories({ tlsMinVersion: 'VersionTLS13', tlsCipherSuites: [] }, undefined)).toEqual([]);
    // a flag's minimum replaces the field's, either way
    expect(ignoredCipherSuiteAdvisories({ tlsMinVersion: 'VersionTLS13', tlsCipherSuites: suites }, ['--tls-min-version=VersionTLS12'])).toEqual([]);
    expect(ignoredCipherSuiteAdvisories({ tlsCipherSuites: suites }, ['--v=2', '--tls-min-version=VersionTLS13'])).toEqual([
      'spec.kubelet.config.tlsCipherSuites: the kubelet ignores cipher suites beside --tls-min-version=VersionTLS13 (spec.kubelet.flags[1]), as TLS 1.3\'s are not configurable: it starts and serves every TLS 1.3 suite (expected no cipher suites, or tlsMinVersion "VersionTLS12" for them to narrow TLS 1.2)',
    ]);
    // the suites' flag replaces the field's list
    expect(ignoredCipherSuiteAdvisories({ tlsMinVersion: 'VersionTLS13' }, ['--tls-cipher-suites=TLS_AES_128_GCM_SHA256'])[0]).toMatch(
      /^spec\.kubelet\.flags\[0\]: --tls-cipher-suites: the kubelet ignores cipher suites beside tlsMinVersion "VersionTLS13"/,
    );
    expect(ignoredCipherSuiteAdvisories({ tlsMinVersion: 'VersionTLS13', tlsCipherSuites: suites }, ['--tls-cipher-suites='])).toEqual([]);
    expect(ignoredCipherSuiteAdvisories(undefined, undefined)).toEqual([]);
  });
});

describe('systemCgroups', () => {
  it("needs a cgroupRoot: stands beside the agent's, and is refused beside one taken away or emptied, unless a flag sets either", () => {
    expect(messages({ systemCgroups: '/system.slice' })).toEqual([]);
    expect(messages({ systemCgroups: '/system.slice', cgroupRoot: '/' })).toEqual([]);
    expect(messages({ systemCgroups: '/system.slice', cgroupRoot: '' })).toEqual([
      'spec.kubelet.config.systemCgroups: needs a cgroupRoot, and cgroupRoot is "": the kubelet stops at start (expected cgroupRoot left out, for the agent\'s "/")',
    ]);
    expect(messages({ systemCgroups: '/system.slice', cgroupRoot: null })[0]).toMatch(
      /cgroupRoot null takes the agent's "\/" away: the kubelet stops at start/,
    );
    expect(messages({ systemCgroups: '', cgroupRoot: '' })).toEqual([]);
    expect(messages({ systemCgroups: '/system.slice', cgroupRoot: '' }, ['--cgroup-root=/'])).toEqual([]);
  });
});

describe('pod log paths and intervals', () => {
  it('needs podLogsDir absolute, clean and ASCII, and containerLogMonitorInterval at least 3s', () => {
    expect(messages({ podLogsDir: '/var/log/pods', containerLogMonitorInterval: '3s' })).toEqual([]);
    expect(messages({ podLogsDir: 'var/log/pods' })[0]).toMatch(/podLogsDir: "var\/log\/pods" is not an absolute path, and the kubelet stops at start/);
    expect(messages({ podLogsDir: '/var/log/pods/' })[0]).toMatch(/is not a clean path/);
    expect(messages({ podLogsDir: '/var//log/./pods' })[0]).toMatch(/is not a clean path/);
    expect(messages({ podLogsDir: '/var/log/p\u00f6ds' })[0]).toMatch(/holds a character outside ASCII/);
    expect(messages({ containerLogMonitorInterval: '1s' })).toEqual([
      'spec.kubelet.config.containerLogMonitorInterval: "1s" is shorter than 3s, and the kubelet stops at start (expected e.g. "10s", its default)',
    ]);
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

describe('fields whose gate changed its default across kubelet versions', () => {
  const policy = { imagePullCredentialsVerificationPolicy: 'NeverVerifyPreloadedImages' };

  it('refuses the field beside its gate turned off, on every version', () => {
    expect(messages({ ...policy, featureGates: { KubeletEnsureSecretPulledImages: false } })).toEqual([
      'spec.kubelet.config.imagePullCredentialsVerificationPolicy: needs the KubeletEnsureSecretPulledImages feature gate, which featureGates turns off: the kubelet stops at start (expected one of the two)',
    ]);
    expect(messages(policy)).toEqual([]);
  });

  it('warns only for a kubelet that has the field but the gate off by default, the gate left alone', () => {
    expect(gateDefaultWarnings(policy, undefined, 33)).toEqual([
      'spec.kubelet.config.imagePullCredentialsVerificationPolicy: needs the KubeletEnsureSecretPulledImages feature gate, which kubelet 1.33 has off by default (on from 1.35), so this kubelet stops at start (expected featureGates: {KubeletEnsureSecretPulledImages: true} beside it)',
    ]);
    expect(gateDefaultWarnings(policy, undefined, 35)).toEqual([]);
    expect(gateDefaultWarnings(policy, ['--feature-gates=KubeletEnsureSecretPulledImages=true'], 34)).toEqual([]);
    expect(gateDefaultWarnings({ imageMaximumGCAge: '168h' }, undefined, 29)).toEqual([
      expect.stringContaining('kubelet 1.29 has off by default (on from 1.30)'),
    ]);
    expect(gateDefaultWarnings({ imageMaximumGCAge: '0s' }, undefined, 29)).toEqual([]);
  });

  it('bounds the crash-loop back-off from 1s to 300s', () => {
    expect(messages({ crashLoopBackOff: { maxContainerRestartPeriod: '10m' } })).toEqual([
      'spec.kubelet.config.crashLoopBackOff.maxContainerRestartPeriod: "10m" is not from 1s to 300s, and the kubelet stops at start (expected e.g. "1m")',
    ]);
  });
});

describe('graceful shutdown gates', () => {
  it('refuses a grace period above zero with GracefulNodeShutdown off, and a by-priority list with its own gate off', () => {
    const off = { featureGates: { GracefulNodeShutdown: false } };
    expect(messages({ ...off, shutdownGracePeriod: '0s' })).toEqual([]);
    // the kubelet then checks nothing else about the pair: only this
    expect(messages({ ...off, shutdownGracePeriod: '30s', shutdownGracePeriodCriticalPods: '1m' })).toEqual([
      'spec.kubelet.config.shutdownGracePeriod: "30s" needs the GracefulNodeShutdown feature gate, which featureGates turns off: the kubelet stops at start (expected one of the two; the agent leaves its own grace periods out with the gate off)',
      'spec.kubelet.config.shutdownGracePeriodCriticalPods: "1m" needs the GracefulNodeShutdown feature gate, which featureGates turns off: the kubelet stops at start (expected one of the two; the agent leaves its own grace periods out with the gate off)',
    ]);
    expect(
      messages({ shutdownGracePeriodByPodPriority: [{ priority: 0, shutdownGracePeriodSeconds: 30 }] }, [
        '--feature-gates=GracefulNodeShutdownBasedOnPodPriority=false',
      ]),
    ).toEqual([
      'spec.kubelet.config.shutdownGracePeriodByPodPriority: needs the GracefulNodeShutdownBasedOnPodPriority feature gate, which a --feature-gates flag turns off: the kubelet stops at start (expected one of the two)',
    ]);
  });
});

describe('reserved CPUs and enforced reservations', () => {
  it('refuses enforcing a reservation beside reserved CPUs, whose cgroup the kubelet refuses there', () => {
    expect(messages({ reservedSystemCPUs: '0', enforceNodeAllocatable: ['pods'] })).toEqual([]);
    expect(messages({ enforceNodeAllocatable: ['pods', 'system-reserved', 'kube-reserved-compressible'] }, ['--reserved-cpus=0-1'])).toEqual([
      'spec.kubelet.config.enforceNodeAllocatable: enforces system-reserved, kube-reserved-compressible, which needs systemReservedCgroup and kubeReservedCgroup, and the kubelet refuses a reserved cgroup beside reservedSystemCPUs "0-1": it stops at start either way (expected enforceNodeAllocatable ["pods"] beside reserved CPUs)',
    ]);
  });

  it('refuses TieredReservation without MemoryQoS', () => {
    expect(messages({ memoryReservationPolicy: 'TieredReservation' })[0]).toMatch(
      /memoryReservationPolicy: "TieredReservation" needs the MemoryQoS feature gate/,
    );
    expect(messages({ memoryReservationPolicy: 'TieredReservation', featureGates: { MemoryQoS: true } })).toEqual([]);
    expect(messages({ memoryReservationPolicy: 'None' })).toEqual([]);
  });
});

describe('showHiddenMetricsForVersion', () => {
  it('is a minor in config check, and the one before this kubelet in render', () => {
    expect(messages({ showHiddenMetricsForVersion: '1.32' })).toEqual([]);
    expect(messages({ showHiddenMetricsForVersion: 'v1.32.0' })).toEqual([
      'spec.kubelet.config.showHiddenMetricsForVersion: "v1.32.0" is not a Kubernetes minor such as "1.32", and the kubelet stops at start (expected the minor before the kubelet\'s own)',
    ]);
    expect(gateDefaultWarnings({ showHiddenMetricsForVersion: '1.32' }, undefined, 33)).toEqual([]);
    expect(gateDefaultWarnings({ showHiddenMetricsForVersion: '1.32' }, undefined, 34)).toEqual([
      'spec.kubelet.config.showHiddenMetricsForVersion: "1.32" is not the minor before this kubelet\'s 1.34, and the kubelet stops at start (expected "1.33", or none: only the previous minor\'s hidden metrics can be shown)',
    ]);
    expect(gateDefaultWarnings({ showHiddenMetricsForVersion: '1.32' }, ['--show-hidden-metrics-for-version=1.33'], 34)).toEqual([]);
  });
});

describe('tracing', () => {
  it('needs samplingRatePerMillion a whole number from 0 to 1000000 and endpoint a string', () => {
    expect(messages({ tracing: { endpoint: 'localhost:4317', samplingRatePerMillion: 1_000_000 } })).toEqual([]);
    expect(messages({ tracing: { samplingRatePerMillion: 0 } })).toEqual([]);
    expect(messages({ tracing: { samplingRatePerMillion: 1_000_001, endpoint: 4317 } })).toEqual([
      'spec.kubelet.config.tracing.samplingRatePerMillion: 1000001 is not a whole number from 0 to 1000000, and the kubelet stops at start (expected e.g. 10000, one span in a hundred)',
      'spec.kubelet.config.tracing.endpoint: 4317 is not a string, and the kubelet stops at start (expected e.g. "localhost:4317")',
    ]);
    expect(messages({ tracing: { samplingRatePerMillion: -1 } })).toHaveLength(1);
    expect(messages({ tracing: { samplingRatePerMillion: '100' } })[0]).toMatch(/samplingRatePerMillion: "100" is not a whole number/);
    expect(messages({ tracing: { samplingRatePerMillion: 0.5 } })).toHaveLength(1);
  });
});

describe('runOnce', () => {
  it('refuses the removed run-once mode, and leaves false alone', () => {
    expect(messages({ runOnce: true })).toEqual([
      'spec.kubelet.config.runOnce: true asks for the removed run-once mode: kubelets from 1.31 stop at start for it, older ones exit after starting the static pods, and the node never joins (expected the field left out)',
    ]);
    expect(messages({ runOnce: false })).toEqual([]);
  });
});

describe('the serving address', () => {
  it('refuses an address the kubelet cannot listen on, and leaves its default, an IP and a flag alone', () => {
    expect(messages({ address: 'node.internal' })).toEqual([
      'spec.kubelet.config.address: "node.internal" is not an IP address, and the kubelet exits as it starts to serve (expected e.g. "0.0.0.0", its default, or one of the node\'s addresses)',
    ]);
    expect(messages({ address: '10.0.0.300' })).toHaveLength(1);
    for (const address of ['', '0.0.0.0', '10.0.1.23', '::', 'fd00::1']) expect(messages({ address }), address).toEqual([]);
    expect(messages({ address: 'node.internal' }, ['--address=0.0.0.0'])).toEqual([]);
  });
});

describe('the serving certificate files', () => {
  it('refuses a certificate without its key, or a key without its certificate, and leaves the pair to a flag', () => {
    expect(messages({ tlsCertFile: '/etc/kubernetes/pki/kubelet.crt' })).toEqual([
      'spec.kubelet.config.tlsCertFile: is set without tlsPrivateKeyFile, and the kubelet exits as it starts to serve (expected both, naming the certificate and its key, or neither)',
    ]);
    expect(messages({ tlsPrivateKeyFile: '/k.key', tlsCertFile: '' })[0]).toMatch(/^spec\.kubelet\.config\.tlsPrivateKeyFile: is set without tlsCertFile/);
    expect(messages({ tlsCertFile: '/c.crt', tlsPrivateKeyFile: '/c.key' })).toEqual([]);
    expect(messages({ tlsCertFile: '/c.crt' }, ['--tls-private-key-file=/c.key'])).toEqual([]);
  });
});

describe('qosReserved', () => {
  it('takes memory as a whole percentage from 0 to 100, as the kubelet parses it at start', () => {
    for (const value of ['0%', '50%', '100%', '+25%', '007%']) expect(messages({ qosReserved: { memory: value } }), value).toEqual([]);
    expect(messages({ qosReserved: { memory: '50' } })).toEqual([
      'spec.kubelet.config.qosReserved.memory: "50" is not a percentage from 0% to 100%, and the kubelet stops at start (expected e.g. "50%")',
    ]);
    for (const value of ['101%', '-1%', '12.5%', '', 50]) expect(messages({ qosReserved: { memory: value } }), String(value)).toHaveLength(1);
  });

  it('refuses a resource other than memory, and leaves the field to a --qos-reserved flag', () => {
    expect(messages({ qosReserved: { cpu: '50%', memory: '10%' } })).toEqual([
      'spec.kubelet.config.qosReserved.cpu: the kubelet reserves only memory by QoS class and stops at start for "cpu" (expected "memory")',
    ]);
    expect(messages({ qosReserved: { cpu: '50%' } }, ['--qos-reserved=memory=50%'])).toEqual([]);
  });
});

describe('relative paths', () => {
  it('advises an absolute path for each path field the kubelet resolves by where it reads it', () => {
    expect(relativePathAdvisories({ staticPodPath: 'manifests', authentication: { x509: { clientCAFile: 'pki/ca.crt' } } }, undefined)).toEqual([
      'spec.kubelet.config.staticPodPath: "manifests" is a relative path, which the kubelet reads against a directory that depends on which of its files holds it (expected an absolute path, e.g. "/etc/kubernetes/manifests")',
      'spec.kubelet.config.authentication.x509.clientCAFile: "pki/ca.crt" is a relative path, which the kubelet reads against a directory that depends on which of its files holds it (expected an absolute path, e.g. "/etc/kubernetes/pki/ca.crt")',
    ]);
    for (const field of ['tlsCertFile', 'tlsPrivateKeyFile', 'resolvConf', 'volumePluginDir']) {
      expect(relativePathAdvisories({ [field]: 'x' }, undefined), field).toHaveLength(1);
    }
  });

  it('leaves absolute paths, the empty "no path" and a field a flag sets alone', () => {
    expect(relativePathAdvisories({ staticPodPath: '/etc/kubernetes/manifests', resolvConf: '', tlsCertFile: 'a.crt' }, ['--tls-cert-file=/x.crt'])).toEqual(
      [],
    );
    expect(relativePathAdvisories(undefined, undefined)).toEqual([]);
  });
});

describe('CPU and topology manager policy options', () => {
  it('takes known options with string values, the CPU ones beside the static policy only', () => {
    expect(messages({ cpuManagerPolicy: 'static', cpuManagerPolicyOptions: { 'full-pcpus-only': 'true', 'strict-cpu-reservation': 'False' } })).toEqual([]);
    expect(messages({ topologyManagerPolicyOptions: { 'prefer-closest-numa-nodes': 'true', 'max-allowable-numa-nodes': '16' } })).toEqual([]);
    expect(messages({ cpuManagerPolicyOptions: { 'full-pcpus-only': 'true' } })).toEqual([
      'spec.kubelet.config.cpuManagerPolicyOptions: are options of the static CPU manager policy, and the kubelet stops at start for any beside its default policy none (expected cpuManagerPolicy "static" beside them)',
    ]);
    expect(messages({ cpuManagerPolicy: 'none', cpuManagerPolicyOptions: { 'full-pcpus-only': 'true' } })[0]).toMatch(
      /stops at start for any beside the none policy/,
    );
    // a flag naming the static policy, or setting the options, wins over the fields
    expect(messages({ cpuManagerPolicyOptions: { 'full-pcpus-only': 'true' } }, ['--cpu-manager-policy=static'])).toEqual([]);
    expect(messages({ cpuManagerPolicyOptions: { nope: 'x' } }, ['--cpu-manager-policy-options=full-pcpus-only=true'])).toEqual([]);
  });

  it('refuses an unknown option, a YAML bool and a value of the wrong kind', () => {
    expect(
      messages({ cpuManagerPolicy: 'static', cpuManagerPolicyOptions: { 'full-pcpu-only': 'true', 'align-by-socket': true, 'strict-cpu-reservation': 'yes' } }),
    ).toEqual([
      'spec.kubelet.config.cpuManagerPolicyOptions.full-pcpu-only: is not an option the kubelet knows, and it stops at start (expected "full-pcpus-only")',
      'spec.kubelet.config.cpuManagerPolicyOptions.align-by-socket: true is not a string, and the kubelet cannot read it and stops at start (expected "true", quoted)',
      'spec.kubelet.config.cpuManagerPolicyOptions.strict-cpu-reservation: "yes" is not true or false, and the kubelet stops at start (expected "true")',
    ]);
    expect(messages({ topologyManagerPolicyOptions: { 'max-allowable-numa-nodes': 'eight', other: '1' } })).toEqual([
      'spec.kubelet.config.topologyManagerPolicyOptions.max-allowable-numa-nodes: "eight" is not a whole number, and the kubelet stops at start (expected "8")',
      'spec.kubelet.config.topologyManagerPolicyOptions.other: is not an option the kubelet knows, and it stops at start (expected one of prefer-closest-numa-nodes, max-allowable-numa-nodes)',
    ]);
    expect(messages({ topologyManagerPolicyOptions: { 'max-allowable-numa-nodes': 8 } })[0]).toMatch(/8 is not a string, .* \(expected "8", quoted\)$/);
    expect(messages({ topologyManagerPolicyOptions: { bogus: 'x' } }, ['--topology-manager-policy-options=prefer-closest-numa-nodes=true'])).toEqual([]);
  });
});

describe('qosReserved, which the kubelet honours only with its alpha gate', () => {
  it('advises that qosReserved (or --qos-reserved) reserves nothing without QOSReserved, and is quiet with it', () => {
    expect(qosReservedAdvisories({ qosReserved: { memory: '50%' } }, undefined)).toEqual([
      'spec.kubelet.config.qosReserved: the kubelet reserves memory by QoS class only with the QOSReserved feature gate, alpha and off unless turned on: it starts and reserves nothing (expected featureGates: {QOSReserved: true} beside it, or no qosReserved)',
    ]);
    expect(qosReservedAdvisories({ qosReserved: { memory: '50%' }, featureGates: { QOSReserved: true } }, undefined)).toEqual([]);
    expect(qosReservedAdvisories({ qosReserved: { memory: '50%' } }, ['--feature-gates=QOSReserved=true'])).toEqual([]);
    expect(qosReservedAdvisories({ qosReserved: { memory: '50%' }, featureGates: { QOSReserved: true } }, ['--feature-gates=QOSReserved=false'])).toHaveLength(
      1,
    );
    expect(qosReservedAdvisories(undefined, ['--node-ip=10.0.0.1', '--qos-reserved=memory=50%'])[0]).toMatch(/^spec\.kubelet\.flags\[1\]: --qos-reserved: /);
    expect(qosReservedAdvisories({ qosReserved: {} }, undefined)).toEqual([]);
    expect(qosReservedAdvisories({}, undefined)).toEqual([]);
  });
});
