import { describe, expect, it } from 'vitest';
import { VERSIONED_GATES } from '../../src/api/kubelet-config-rules.js';
import {
  featureGatesFlagFor,
  gateAt,
  offByDefault,
  gateVersionWarnings,
  unknownGateAdvisories,
  userGates,
  withoutAbsentGates,
} from '../../src/api/kubelet-feature-gates.js';
import { KUBELET_FEATURE_GATES, KUBELET_FEATURE_GATES_VERSION } from '../../src/api/kubelet-feature-gates.generated.js';
import { OLDEST_KUBELET_MINOR } from '../../src/api/kubelet-flags.js';
import { KUBELET_VERSIONED_DEFAULTS } from '../../src/render/kubelet-defaults.js';

/** The newest kubelet minor the gate table knows (the image's newest). */
const NEWEST_KUBELET_MINOR = Number(KUBELET_FEATURE_GATES_VERSION.split('.')[1]);

describe('the feature gates the user sets', () => {
  it('are read from featureGates and every --feature-gates item, with Go booleans', () => {
    expect(userGates({ featureGates: { NodeSwap: true } }, ['--feature-gates=A=false, B = 1,C', '--node-labels=x=y'])).toEqual([
      { path: 'spec.kubelet.config.featureGates.NodeSwap', name: 'NodeSwap', value: true },
      { path: 'spec.kubelet.flags[0]', name: 'A', value: false },
      { path: 'spec.kubelet.flags[0]', name: 'B', value: true },
    ]);
  });

  it('advise on a name no kubelet in the list knows, naming the near miss', () => {
    expect(unknownGateAdvisories({ featureGates: { NodeSwap: true, NodeSwp: true } }, ['--feature-gates=InstanceIdNodeName=true'])).toEqual([
      expect.stringMatching(
        /^spec\.kubelet\.config\.featureGates\.NodeSwp: "NodeSwp" is not a feature gate the kubelet knows \(did you mean "NodeSwap"\?\), and the kubelet stops at start/,
      ),
      // the agent's own gate, written among the kubelet's by mistake
      expect.stringMatching(/^spec\.kubelet\.flags\[0\]: "InstanceIdNodeName" is not a feature gate the kubelet knows/),
    ]);
    // the gates the kubelet takes from its libraries are known too
    expect(unknownGateAdvisories({ featureGates: { LoggingBetaOptions: true, WatchListClient: false, APIResponseCompression: true } }, undefined)).toEqual([]);
  });
});

describe('gates by kubelet version', () => {
  it('warn for a gate this kubelet does not have yet, or sets against its lock', () => {
    expect(gateVersionWarnings({ featureGates: { DynamicResourceAllocation: false } }, undefined, 33)).toEqual([]);
    expect(gateVersionWarnings({ featureGates: { DynamicResourceAllocation: false } }, undefined, 35)).toEqual([
      'spec.kubelet.config.featureGates.DynamicResourceAllocation: feature gate DynamicResourceAllocation is locked to true in kubelet 1.35, and this kubelet stops at start for false (expected DynamicResourceAllocation left out: it is true for good)',
    ]);
    // setting a locked gate to its locked value is accepted
    expect(gateVersionWarnings({ featureGates: { DynamicResourceAllocation: true } }, undefined, 35)).toEqual([]);
    // a removed gate (DisableKubeletCloudCredentialProviders, in nodeadm's own examples): known, and
    // refused only by the kubelets without it
    expect(unknownGateAdvisories({ featureGates: { DisableKubeletCloudCredentialProviders: true } }, undefined)).toEqual([]);
    expect(gateVersionWarnings({ featureGates: { DisableKubeletCloudCredentialProviders: true } }, undefined, 32)).toEqual([]);
    expect(gateVersionWarnings({ featureGates: { DisableKubeletCloudCredentialProviders: true } }, undefined, 33)).toEqual([
      expect.stringContaining(
        'feature gate DisableKubeletCloudCredentialProviders is gone from kubelets 1.33 and later (removed), and kubelet 1.33 would stop',
      ),
    ]);
    expect(unknownGateAdvisories({ featureGates: { SizeMemoryBackedVolumes: true } }, undefined)).toEqual([]);
    expect(gateVersionWarnings({ featureGates: { SizeMemoryBackedVolumes: true } }, undefined, 33)).toEqual([]);
    expect(gateVersionWarnings({ featureGates: { SizeMemoryBackedVolumes: true } }, undefined, 35)).toEqual([
      'spec.kubelet.config.featureGates.SizeMemoryBackedVolumes: feature gate SizeMemoryBackedVolumes is gone from kubelets 1.35 and later (removed), and kubelet 1.35 would stop at start for a gate it does not have: a boot leaves it out (it has no effect on this kubelet either way)',
    ]);
    expect(gateVersionWarnings(undefined, ['--feature-gates=KubeletCrashLoopBackOffMax=true'], 31)).toEqual([
      'spec.kubelet.flags[0]: feature gate KubeletCrashLoopBackOffMax comes in kubelet 1.32, after this one, and kubelet 1.31 would stop at start for a gate it does not have: a boot leaves it out (it has no effect on this kubelet either way)',
    ]);
  });

  it('agree with the gates the agent sets itself, on every kubelet from the oldest the image runs', () => {
    const newest = Math.max(...Object.values(KUBELET_FEATURE_GATES).flatMap((specs) => specs.map(([minor]) => minor)));
    for (let minor = OLDEST_KUBELET_MINOR; minor <= newest; minor++) {
      for (const entry of KUBELET_VERSIONED_DEFAULTS) {
        if (entry.since.minor > minor) continue;
        for (const [gate, value] of Object.entries(entry.featureGates ?? {})) {
          const spec = gateAt(gate, minor);
          expect(spec, `${gate} in 1.${minor}`).toBeDefined();
          expect(spec![3] === 1 && (spec![1] === 1) !== value, `${gate} locked against ${value} in 1.${minor}`).toBe(false);
        }
      }
    }
  });

  it('name the gates the rules need, each a gate the kubelet has', () => {
    for (const { gate } of VERSIONED_GATES) expect(Object.hasOwn(KUBELET_FEATURE_GATES, gate), gate).toBe(true);
    expect(offByDefault('NodeSwap', 29)).toEqual({ onFrom: 30 });
    expect(offByDefault('NodeSwap', 30)).toBeUndefined();
    expect(offByDefault('MemoryQoS', 35)).toEqual({ onFrom: undefined });
    expect(offByDefault('KubeletCrashLoopBackOffMax', 31)).toBeUndefined(); // not in 1.31 at all
    // and the gates the rules name are gates the kubelet has
    for (const gate of [
      'NodeLogQuery',
      'CustomCPUCFSQuotaPeriod',
      'LoggingBetaOptions',
      'LoggingAlphaOptions',
      'GracefulNodeShutdown',
      'GracefulNodeShutdownBasedOnPodPriority',
      'RotateKubeletServerCertificate',
      'MemoryQoS',
    ])
      expect(Object.hasOwn(KUBELET_FEATURE_GATES, gate), gate).toBe(true);
    // off by default in every kubelet the image runs, as the rules that refuse without them say
    for (const gate of ['LoggingAlphaOptions', 'MemoryQoS'])
      for (let minor = OLDEST_KUBELET_MINOR; minor <= NEWEST_KUBELET_MINOR; minor++) expect(gateAt(gate, minor)?.[1] ?? 0, `${gate} in 1.${minor}`).toBe(0);
    // and the two whose default changed are the versioned rules': on from 1.36
    expect([offByDefault('NodeLogQuery', 35), offByDefault('CustomCPUCFSQuotaPeriod', 35)]).toEqual([{ onFrom: 36 }, { onFrom: 36 }]);
    expect(VERSIONED_GATES.map(({ gate }) => gate)).toEqual(expect.arrayContaining(['NodeLogQuery', 'CustomCPUCFSQuotaPeriod']));
  });
});

describe('gates a kubelet lacks, left out on boot', () => {
  it('leave the config and the flag without them, and keep the rest', () => {
    const config = { maxPods: 20, featureGates: { DisableKubeletCloudCredentialProviders: true, NodeSwap: true } };
    expect(withoutAbsentGates(config, 32)).toBe(config);
    expect(withoutAbsentGates(config, 33)).toEqual({ maxPods: 20, featureGates: { NodeSwap: true } });
    expect(withoutAbsentGates({ featureGates: { DisableKubeletCloudCredentialProviders: true } }, 33)).toEqual({});
    // a name no list knows is written as given: a newer kubelet may have it
    expect(withoutAbsentGates({ featureGates: { SomeFutureGate: true } }, 33)).toEqual({ featureGates: { SomeFutureGate: true } });
    expect(featureGatesFlagFor('--feature-gates=NodeSwap=true,KubeletCrashLoopBackOffMax=true', 31)).toBe('--feature-gates=NodeSwap=true');
    expect(featureGatesFlagFor('--feature-gates=KubeletCrashLoopBackOffMax=true', 31)).toBeUndefined();
    expect(featureGatesFlagFor('--feature-gates=KubeletCrashLoopBackOffMax=true', 32)).toBe('--feature-gates=KubeletCrashLoopBackOffMax=true');
    expect(featureGatesFlagFor('--node-labels=a=b', 31)).toBe('--node-labels=a=b');
  });
});

describe('the gates of kubelet 1.36, the one the image bakes', () => {
  // MemoryManager (GA in 1.32) is gone from 1.36's feature files; PLEGOnDemandRelist (the kubelet's
  // own) and NativeHistograms (component-base metrics) are new in 1.36; UserNamespacesSupport is
  // locked to true from 1.36. A table of 1.35 kept MemoryManager on a 1.36 kubelet, which then
  // stops at start, and called the new gates unknown.
  const config = { featureGates: { MemoryManager: true, PLEGOnDemandRelist: true, NativeHistograms: true } };

  it('know the gates 1.36 added', () => {
    expect(unknownGateAdvisories(config, ['--feature-gates=PLEGOnDemandRelist=true'])).toEqual([]);
    expect(unknownGateAdvisories({ featureGates: { NodeSwp: true } }, undefined)).toEqual([
      expect.stringContaining('(the lists hold the gates of Kubernetes 1.27 to 1.36; a newer kubelet may know more)'),
    ]);
  });

  it('leave out a gate removed in 1.36 for a 1.36 kubelet, with the warning, and keep it for 1.35', () => {
    expect(gateVersionWarnings(config, undefined, 36)).toEqual([
      'spec.kubelet.config.featureGates.MemoryManager: feature gate MemoryManager is gone from kubelets 1.36 and later (removed), and kubelet 1.36 would stop at start for a gate it does not have: a boot leaves it out (it has no effect on this kubelet either way)',
    ]);
    expect(withoutAbsentGates(config, 36)).toEqual({ featureGates: { PLEGOnDemandRelist: true, NativeHistograms: true } });
    expect(featureGatesFlagFor('--feature-gates=MemoryManager=true,PLEGOnDemandRelist=true', 36)).toBe('--feature-gates=PLEGOnDemandRelist=true');
    expect(withoutAbsentGates(config, 35)).toEqual({ featureGates: { MemoryManager: true } });
    expect(gateVersionWarnings(config, undefined, 35)).toEqual([
      expect.stringContaining('feature gate PLEGOnDemandRelist comes in kubelet 1.36, after this one'),
      expect.stringContaining('feature gate NativeHistograms comes in kubelet 1.36, after this one'),
    ]);
  });

  it('warn for a gate set against its 1.36 lock, and not on 1.35', () => {
    const off = { featureGates: { UserNamespacesSupport: false } };
    expect(gateVersionWarnings(off, undefined, 35)).toEqual([]);
    expect(gateVersionWarnings(off, undefined, 36)).toEqual([
      expect.stringContaining('feature gate UserNamespacesSupport is locked to true in kubelet 1.36, and this kubelet stops at start for false'),
    ]);
    // 1.36's file dates TopologyManagerPolicyOptions' lock back to 1.32, which 1.32 to 1.35 did not have
    const topology = { featureGates: { TopologyManagerPolicyOptions: false } };
    expect(gateVersionWarnings(topology, undefined, 35)).toEqual([]);
    expect(gateVersionWarnings(topology, undefined, 36)).toEqual([expect.stringContaining('is locked to true in kubelet 1.36')]);
    // a gate 1.36 removed keeps its history for the kubelets that had it: MemoryManager was locked on from 1.32
    const manager = { featureGates: { MemoryManager: false } };
    expect(gateVersionWarnings(manager, undefined, 35)).toEqual([expect.stringContaining('feature gate MemoryManager is locked to true in kubelet 1.35')]);
    expect(gateVersionWarnings(manager, undefined, 36)).toEqual([expect.stringContaining('feature gate MemoryManager is gone from kubelets 1.36')]);
    // a release whose file gives a gate's default as a Go constant still has the gate (ContextualLogging, 1.27 to 1.32)
    expect(gateVersionWarnings({ featureGates: { ContextualLogging: true } }, undefined, 30)).toEqual([]);
    // and a gate 1.36's file dates to 1.35, which 1.35 lacked, comes in 1.36
    expect(gateVersionWarnings({ featureGates: { ImageVolumeWithDigest: true } }, undefined, 35)).toEqual([
      expect.stringContaining('feature gate ImageVolumeWithDigest comes in kubelet 1.36, after this one'),
    ]);
  });
});

describe('the gate table generator', () => {
  it('reads versioned and unversioned spec maps, client-go types and renamed constants, and skips other maps', async () => {
    const { featureNames, gatesOf } = await import('../../../scripts/gen-kubelet-feature-gates.js');
    const kube = `
const (
	CPUCFSQuotaPeriod featuregate.Feature = "CustomCPUCFSQuotaPeriod"
	SystemdWatchdog = featuregate.Feature("SystemdWatchdog")
)
var defaultVersionedKubernetesFeatureGates = map[featuregate.Feature]featuregate.VersionedSpecs{
	CPUCFSQuotaPeriod: {
		{Version: version.MustParse("1.12"), Default: false, PreRelease: featuregate.Alpha},
	},
	genericfeatures.APIResponseCompression: {
		{Version: version.MustParse("1.8"), Default: false, PreRelease: featuregate.Alpha},
		{Version: version.MustParse("1.16"), Default: true, PreRelease: featuregate.Beta},
	},
	NodeSwap: {
		{Version: version.MustParse("1.34"), Default: true, PreRelease: featuregate.GA, LockToDefault: true}, // remove in 1.37
	},
}
var defaultKubernetesFeatureGateDependencies = map[featuregate.Feature][]featuregate.Feature{
	NodeSwap: {},
}`;
    const old = `
var defaultKubernetesFeatureGates = map[featuregate.Feature]featuregate.FeatureSpec{
	DevicePlugins: {Default: true, PreRelease: featuregate.GA, LockToDefault: true}, // GA in 1.26
}`;
    const client = `
const (
	WatchListClient Feature = "WatchListClient"
)
var defaultVersionedKubernetesFeatureGates = map[Feature]VersionedSpecs{
	WatchListClient: {
		{Version: version.MustParse("1.30"), Default: false, PreRelease: Beta},
	},
}`;
    const names = featureNames([kube, old, client]);
    expect(Object.fromEntries(gatesOf(kube, names))).toEqual({
      CustomCPUCFSQuotaPeriod: [[12, 0, 'A']],
      APIResponseCompression: [
        [8, 0, 'A'],
        [16, 1, 'B'],
      ],
      NodeSwap: [[34, 1, 'G', 1]],
    });
    expect(Object.fromEntries(gatesOf(old, names))).toEqual({ DevicePlugins: [[0, 1, 'G', 1]] });
    expect(Object.fromEntries(gatesOf(client, names))).toEqual({ WatchListClient: [[30, 0, 'B']] });
  });

  it("takes each release's steps from that release's own files, not from the newest one's retelling", async () => {
    const { histories } = await import('../../../scripts/gen-kubelet-feature-gates.js');
    type Spec = [number, 0 | 1, 'A' | 'B' | 'G' | 'D', 1?];
    const release = (minor: number, gates: Record<string, Spec[]>) => ({ minor, gates: new Map(Object.entries(gates)) });
    const table = histories([
      release(36, {
        // the newest file locks it back to 1.32, dates another before any release had it, and keeps an unversioned one
        Locked: [
          [28, 1, 'B'],
          [32, 1, 'G', 1],
        ],
        Early: [[34, 0, 'A']],
        Old: [[0, 1, 'G']],
      }),
      release(34, {
        Locked: [
          [28, 1, 'B'],
          [32, 1, 'G'],
        ],
        Old: [[0, 1, 'G']],
      }),
      release(33, {
        Locked: [
          [20, 0, 'A'],
          [28, 1, 'B'],
          [32, 1, 'G'],
        ],
        Old: [[0, 1, 'G']],
      }),
    ]);
    expect(Object.fromEntries(table)).toEqual({
      // before the oldest release read, its own history; the lock from the release that has it
      Locked: [
        [20, 0, 'A'],
        [28, 1, 'B'],
        [32, 1, 'G'],
        [36, 1, 'G', 1],
      ],
      // first had by 1.36: it comes in there, whatever its file says
      Early: [[36, 0, 'A']],
      Old: [[0, 1, 'G']],
    });
  });
});
