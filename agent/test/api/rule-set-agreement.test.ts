import { describe, expect, it } from 'vitest';
import { KUBELET_CONFIG_TYPES } from '../../src/api/kubelet-config-fields.generated.js';
import type { ResolvedNodeConfig } from '../../src/api/schema.js';
import { advisoryProblems, validateNodeConfig } from '../../src/api/validate.js';
import { render } from '../../src/render/index.js';
import type { Facts } from '../../src/facts/types.js';
import { TEST_CLUSTER_CA_BASE64 } from '../../../test/emulators/eks.js';
import { baseFacts } from '../render/fixtures.js';

/*
 * One rule set, checked from the other side: whatever `config check` finds no error in (the
 * configs init boots with, warnings aside), render must turn into files for every kubelet and
 * containerd the image runs and every instance size, never throwing and never refusing a value
 * the check let through. The configs are generated (a seeded generator, so a failure repeats):
 * random KubeletConfiguration fields from the generated field table with values of every kind
 * the rules judge, kubelet flags, feature gates, containerd TOML and a maxPodsExpression.
 */

function generator(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  return { next, pick: <T>(a: readonly T[]): T => a[Math.floor(next() * a.length)]! };
}

const TEXT = [
  '',
  'abc',
  '10s',
  '0s',
  '-1s',
  '1m30s',
  '100ms',
  '1Gi',
  '500Mi',
  '10%',
  '0%',
  '100%',
  '0',
  '1',
  'none',
  'static',
  'Static',
  'systemd',
  'cgroupfs',
];
const MORE_TEXT = [
  'best-effort',
  'restricted',
  'single-numa-node',
  'pod',
  'container',
  'NoSwap',
  'LimitedSwap',
  'json',
  'text',
  'VersionTLS13',
  'hairpin-veth',
  'Webhook',
  '10.100.0.10',
  'fd00::a',
  'pods',
  'kube-reserved',
  '0-1',
  '1.34',
];
const STRINGS = [...TEXT, ...MORE_TEXT];
const NUMBERS = [-1, 0, 1, 2, 5, 10, 50, 80, 85, 100, 101, 110, 65535, 65536, 2147483647, 2147483648, 0.5];
const MAP_KEYS = ['memory', 'cpu', 'ephemeral-storage', 'pid', 'memory.available', 'nodefs.available', 'imagefs.available', 'nodefs.inodesFree', 'storage'];
const GATES = [
  'NodeSwap',
  'GracefulNodeShutdown',
  'MemoryQoS',
  'ImageMaximumGCAge',
  'KubeletCrashLoopBackOffMax',
  'RotateKubeletServerCertificate',
  'NodeLogQuery',
  'LoggingAlphaOptions',
  'DynamicResourceAllocation',
];
const FLAGS = [
  '--max-pods=',
  '--node-labels=',
  '--register-with-taints=',
  '--kube-reserved=',
  '--system-reserved=',
  '--eviction-hard=',
  '--eviction-soft=',
  '--feature-gates=',
  '--node-ip=',
  '--cluster-dns=',
  '--reserved-cpus=',
  '--hostname-override=',
  '--v=',
  '--pod-infra-container-image=',
  '--fail-swap-on=',
];
const FLAG_VALUES = [
  '',
  '110',
  'a=b',
  'a=b:NoSchedule',
  'memory=1Gi',
  'memory=1Gi,cpu=100m',
  'memory.available<100Mi',
  'NodeSwap=true',
  '10.0.1.23',
  '10.100.0.10',
  '0-1',
  'worker-1',
  '2',
  'false',
  'x',
];
const CONTAINERD = [
  'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\nconfig_path = "/etc/containerd/certs.d"\n',
  '[plugins."io.containerd.grpc.v1.cri".containerd]\ndiscard_unpacked_layers = false\n',
  'oom_score = -999\n[grpc]\nmax_recv_message_size = 16777216\n',
  'version = 3\n[plugins."io.containerd.cri.v1.images"]\nmax_concurrent_downloads = 10\n',
  // removed in containerd 2.0: config check must refuse it, since a containerd 2 node cannot take it
  'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\nsystemd_cgroup = true\n',
];
const EXPRESSIONS = ['max_pods - 30', 'default_enis * 2', 'max_pods > 50 ? 50 : max_pods', 'max_pods * 1000000000'];

function configOf(g: ReturnType<typeof generator>): ResolvedNodeConfig {
  const value = (kind: string, depth = 0): unknown => {
    if (kind === 'bool') return g.next() < 0.5;
    if (/^(u?int|number)/.test(kind)) return g.pick(NUMBERS);
    if (kind.startsWith('list:')) return Array.from({ length: Math.floor(g.next() * 3) }, () => value(kind.slice(5), depth + 1));
    if (kind === 'map') return Object.fromEntries(Array.from({ length: Math.floor(g.next() * 3) }, () => [g.pick(MAP_KEYS), g.pick(STRINGS)]));
    if (kind.startsWith('struct:') && depth < 3) {
      const fields = Object.entries(KUBELET_CONFIG_TYPES[kind.slice('struct:'.length)] ?? {}).filter(() => g.next() < 0.3);
      return Object.fromEntries(fields.map(([k, v]) => [k, value(v, depth + 1)]));
    }
    return g.pick(STRINGS);
  };
  const fields = Object.entries(KUBELET_CONFIG_TYPES.KubeletConfiguration!);
  const kubeletConfig: Record<string, unknown> = {};
  for (let i = Math.floor(g.next() * 5); i > 0; i--) {
    const [name, kind] = g.pick(fields);
    kubeletConfig[name] = value(kind);
  }
  if (g.next() < 0.3) kubeletConfig.featureGates = { [g.pick(GATES)]: g.next() < 0.5, [g.pick(GATES)]: g.next() < 0.5 };
  const flags = g.next() < 0.4 ? [g.pick(FLAGS) + g.pick(FLAG_VALUES), g.pick(FLAGS) + g.pick(FLAG_VALUES)] : undefined;
  return {
    apiVersion: 'node.eks.aws/v1alpha1',
    kind: 'NodeConfig',
    spec: {
      cluster: {
        name: 'prod',
        apiServerEndpoint: 'https://0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com',
        certificateAuthority: TEST_CLUSTER_CA_BASE64,
        cidr: g.pick(['10.100.0.0/16', 'fd00::/108']),
      },
      kubelet: {
        config: kubeletConfig,
        ...(flags ? { flags } : {}),
        ...(g.next() < 0.1 ? { maxPodsExpression: g.pick(EXPRESSIONS) } : {}),
      },
      ...(g.next() < 0.2 ? { containerd: { config: g.pick(CONTAINERD) } } : {}),
    },
  };
}

/** The kubelets and containerds the image runs, on a small and a large instance. */
const MACHINES: Facts[] = [
  ['v1.28.5', '1.7.27', 2000],
  ['v1.31.2', '1.7.27', 2000],
  ['v1.33.1', '2.1.0', 2000],
  ['v1.34.2', '2.1.0', 96000],
  ['v1.35.0', '2.1.0', 1000],
].map(([kubeletVersion, containerdVersion, cpuMillicores]) => {
  const facts = baseFacts({ ipv6: '2600:1f14::10' });
  return { ...facts, instance: { ...facts.instance, kubeletVersion, containerdVersion, cpuMillicores } } as Facts;
});

describe('what config check lets through, render turns into files', () => {
  for (const seed of [1, 2, 3]) {
    it(`generated configs, seed ${seed}`, async () => {
      const g = generator(seed);
      let valid = 0;
      const refused: string[] = [];
      for (let i = 0; i < 600; i++) {
        const config = configOf(g);
        // what `config check` reports: errors, and the advisories it calls errors too
        if ((await validateNodeConfig(config)).length > 0 || advisoryProblems(config).length > 0) continue;
        valid++;
        for (const facts of MACHINES) {
          try {
            render(config, facts);
          } catch (err) {
            refused.push(`kubelet ${facts.instance.kubeletVersion}: ${(err as Error).message} for ${JSON.stringify(config.spec.kubelet)}`);
          }
        }
      }
      // the generator must give the check both kinds, or the property proves nothing
      expect(valid).toBeGreaterThan(100);
      expect(valid).toBeLessThan(550);
      expect(refused.slice(0, 3)).toEqual([]);
    });
  }
});
