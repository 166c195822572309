import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { mergeNodeConfigs } from '../../src/api/merge.js';
import type { NodeConfig } from '../../src/api/schema.js';

const base = (spec: NodeConfig['spec']): NodeConfig => ({ apiVersion: 'node.eks.aws/v1alpha1', kind: 'NodeConfig', spec });

describe('mergeNodeConfigs', () => {
  it('later scalars win, maps deep-merge, lists replace, kubelet flags append', () => {
    const merged = mergeNodeConfigs([
      base({
        cluster: { name: 'a', cidr: '10.100.0.0/16' },
        kubelet: { config: { maxPods: 10, clusterDNS: ['10.100.0.10'], evictionHard: { 'memory.available': '100Mi' } }, flags: ['--v=2'] },
        instance: { network: { nameservers: ['10.0.0.2'] } },
      }),
      base({
        cluster: { cidr: '10.200.0.0/16' },
        kubelet: { config: { clusterDNS: ['10.200.0.10'], evictionHard: { 'nodefs.available': '5%' } }, flags: ['--node-labels=x=y'] },
        instance: { network: { nameservers: ['10.0.0.3'] } },
      }),
    ]);
    expect(merged.spec).toEqual({
      cluster: { name: 'a', cidr: '10.200.0.0/16' },
      kubelet: {
        config: { maxPods: 10, clusterDNS: ['10.200.0.10'], evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '5%' } },
        flags: ['--v=2', '--node-labels=x=y'],
      },
      instance: { network: { nameservers: ['10.0.0.3'] } },
    });
  });

  it('deep-merges containerd TOML', () => {
    const merged = mergeNodeConfigs([
      base({ containerd: { config: '[plugins."io.containerd.grpc.v1.cri".containerd]\ndiscard_unpacked_layers = false\nsnapshotter = "overlayfs"\n' } }),
      base({ containerd: { config: '[plugins."io.containerd.grpc.v1.cri".containerd]\nsnapshotter = "soci"\n' } }),
    ]);
    expect(parseToml(merged.spec!.containerd!.config!)).toEqual({
      plugins: { 'io.containerd.grpc.v1.cri': { containerd: { discard_unpacked_layers: false, snapshotter: 'soci' } } },
    });
  });

  it('does not mutate its inputs', () => {
    const a = base({ kubelet: { flags: ['--a'] } });
    const b = base({ kubelet: { flags: ['--b'] } });
    mergeNodeConfigs([a, b]);
    expect(a.spec!.kubelet!.flags).toEqual(['--a']);
  });
});
