import { describe, expect, it } from 'vitest';
import { VERSIONED_GATES } from '../../src/api/kubelet-config-rules.js';
import { gateAt, gateVersionWarnings, unknownGateAdvisories, userGates } from '../../src/api/kubelet-feature-gates.js';
import { KUBELET_FEATURE_GATES } from '../../src/api/kubelet-feature-gates.data.js';
import { OLDEST_KUBELET_MINOR } from '../../src/api/kubelet-flags.js';
import { KUBELET_VERSIONED_DEFAULTS } from '../../src/render/kubelet-defaults.js';

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
    // a gate removed after it graduated: known, and refused only by the kubelets without it
    expect(unknownGateAdvisories({ featureGates: { SizeMemoryBackedVolumes: true } }, undefined)).toEqual([]);
    expect(gateVersionWarnings({ featureGates: { SizeMemoryBackedVolumes: true } }, undefined, 33)).toEqual([]);
    expect(gateVersionWarnings({ featureGates: { SizeMemoryBackedVolumes: true } }, undefined, 35)).toEqual([
      'spec.kubelet.config.featureGates.SizeMemoryBackedVolumes: feature gate SizeMemoryBackedVolumes is gone from kubelet 1.35 on (removed after it graduated), and this kubelet stops at start for a gate it does not know (expected no SizeMemoryBackedVolumes)',
    ]);
    expect(gateVersionWarnings(undefined, ['--feature-gates=KubeletCrashLoopBackOffMax=true'], 31)).toEqual([
      'spec.kubelet.flags[0]: feature gate KubeletCrashLoopBackOffMax is not in kubelet 1.31 (it comes in 1.32), and this kubelet stops at start for a gate it does not know (expected no KubeletCrashLoopBackOffMax for this kubelet)',
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

  it('agree with the versions the rules give for gates whose default changed', () => {
    for (const { gate, onFrom } of VERSIONED_GATES) {
      expect(gateAt(gate, onFrom - 1)?.[1] ?? 0, `${gate} off before 1.${onFrom}`).toBe(0);
      expect(gateAt(gate, onFrom)?.[1], `${gate} on in 1.${onFrom}`).toBe(1);
    }
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
    // off by default in every kubelet the image runs, as the rules say
    for (const gate of ['NodeLogQuery', 'CustomCPUCFSQuotaPeriod', 'LoggingAlphaOptions', 'MemoryQoS'])
      for (let minor = OLDEST_KUBELET_MINOR; minor <= 35; minor++) expect(gateAt(gate, minor)?.[1] ?? 0, `${gate} in 1.${minor}`).toBe(0);
  });
});
