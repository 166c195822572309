import { describe, expect, it } from 'vitest';
import { nodeSummary, podSummary } from '../../src/doctor/kube-summary.js';

describe('nodeSummary and podSummary', () => {
  it("keep a Node's state and drop its annotations and managed fields", () => {
    const node = {
      metadata: {
        name: 'n1',
        creationTimestamp: '2026-12-05T10:00:00Z',
        labels: { 'node.kubernetes.io/instance-type': 'm5.large' },
        annotations: { a: 'b' },
        managedFields: [{}],
      },
      spec: { providerID: 'aws:///us-west-2a/i-1', taints: [{ key: 'k', effect: 'NoSchedule' }], podCIDR: '10.1.0.0/24' },
      status: {
        conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'cni plugin not initialized', lastHeartbeatTime: 'x' }],
        addresses: [{ type: 'InternalIP', address: '10.0.1.23' }],
        capacity: { pods: '29' },
        nodeInfo: { kubeletVersion: 'v1.33.1', machineID: 'm', bootID: 'b' },
        images: [{ names: ['a'] }],
      },
    };
    expect(nodeSummary(node)).toEqual({
      name: 'n1',
      creationTimestamp: '2026-12-05T10:00:00Z',
      labels: { 'node.kubernetes.io/instance-type': 'm5.large' },
      providerID: 'aws:///us-west-2a/i-1',
      taints: [{ key: 'k', effect: 'NoSchedule' }],
      conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'cni plugin not initialized' }],
      addresses: [{ type: 'InternalIP', address: '10.0.1.23' }],
      capacity: { pods: '29' },
      nodeInfo: { kubeletVersion: 'v1.33.1' },
    });
  });

  it('take whatever shape the answer has without throwing', () => {
    for (const odd of [null, 'text', 42, [], { metadata: 'x', status: { conditions: 'y', containerStatuses: {} } }]) {
      expect(() => nodeSummary(odd)).not.toThrow();
      expect(podSummary(odd)).toMatchObject({ conditions: [], containers: [] });
    }
    const pod = podSummary({
      metadata: { namespace: 'kube-system', name: 'aws-node-1' },
      status: { initContainerStatuses: [{ name: 'init', state: { waiting: { reason: 'ImagePullBackOff', message: 'pull access denied' } } }] },
    });
    expect(pod).toEqual({
      namespace: 'kube-system',
      name: 'aws-node-1',
      conditions: [],
      initContainers: [{ name: 'init', state: { waiting: { reason: 'ImagePullBackOff', message: 'pull access denied' } } }],
      containers: [],
    });
  });
});
