import { describe, expect, it } from 'vitest';
import { readCsrList, readNode, readPodList, readUserInfo } from '../../src/doctor/api-objects.js';

describe('API objects read leniently', () => {
  it('a Node: a field of the wrong type is absent, a list entry that is not an object is left out', () => {
    const node = readNode({
      metadata: { name: 'n', creationTimestamp: 5, labels: { a: 'b' } },
      spec: { providerID: ['aws:///x'], taints: [null, 'NoSchedule', { key: 'k', effect: 1 }] },
      status: { conditions: [null, 'Ready', { type: 'Ready', status: 'True', reason: {} }], capacity: { pods: '110' }, addresses: 'x' },
    });
    expect(node).toEqual({
      metadata: { name: 'n' },
      spec: { taints: [{ key: 'k' }] },
      status: { conditions: [{ type: 'Ready', status: 'True' }], capacity: { pods: '110' } },
    });
    expect(readNode({ status: { conditions: 'Ready' } })).toEqual({ status: {} });
    expect(readNode({ status: null, spec: [] })).toEqual({});
    for (const odd of [null, 'Node', 7, [], [{}]]) expect(readNode(odd)).toEqual({});
  });

  it('a PodList and a CSR list: odd items and fields dropped, the rest kept as read', () => {
    const pods = readPodList({
      items: [
        null,
        'pod',
        {
          metadata: { name: 'p', labels: { 'k8s-app': 'kube-dns', bad: 1 }, ownerReferences: [null, { kind: 'DaemonSet', name: 'aws-node' }] },
          spec: { hostNetwork: 'yes', containers: [{ name: 'c', env: [{ name: 'A', valueFrom: { fieldRef: {} } }, 'B=1'] }] },
          status: { phase: 'Pending', containerStatuses: [null, { ready: 'false', restartCount: 2, state: { waiting: { reason: 'ContainerCreating' } } }] },
        },
      ],
      metadata: { continue: 3 },
    });
    expect(pods).toEqual({
      items: [
        {
          metadata: { name: 'p', ownerReferences: [{ kind: 'DaemonSet', name: 'aws-node' }] },
          spec: { containers: [{ name: 'c', env: [{ name: 'A', valueFrom: { fieldRef: {} } }] }] },
          status: { phase: 'Pending', containerStatuses: [{ restartCount: 2, state: { waiting: { reason: 'ContainerCreating' } } }] },
        },
      ],
      metadata: {},
    });
    expect(
      readCsrList({ items: [null, { spec: { username: 'u' }, status: { conditions: [{ type: 'Approved' }], certificate: 1 } }], metadata: { continue: 'c' } }),
    ).toEqual({
      items: [{ spec: { username: 'u' }, status: { conditions: [{ type: 'Approved' }] } }],
      metadata: { continue: 'c' },
    });
    for (const odd of [null, 'list', [], { items: 'x' }]) expect(readCsrList(odd).items ?? []).toEqual([]);
  });

  it('a SelfSubjectReview: groups that are not a list of strings are unknown, not a crash', () => {
    expect(readUserInfo({ status: { userInfo: { username: 'system:node:n', groups: ['system:nodes'] } } })).toEqual({
      username: 'system:node:n',
      groups: ['system:nodes'],
    });
    expect(readUserInfo({ status: { userInfo: { username: 1, groups: 'system:nodes' } } })).toEqual({});
    expect(readUserInfo({ status: { userInfo: { groups: ['system:nodes', 2] } } })).toEqual({});
    for (const odd of [null, [], 'x', { status: 'x' }]) expect(readUserInfo(odd)).toEqual({});
  });
});
