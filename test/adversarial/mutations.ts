import fc from 'fast-check';
import { completeCluster } from './support.js';

/*
 * User data as tools and people get it wrong, for the property tests: a NodeConfig that fills
 * every section of the spec, and mutations of it (a value replaced by another shape, from
 * fast-check's JSON values and a pool of edge values; removed; or joined by an unknown key).
 */

export const rich = (): Record<string, unknown> => ({
  apiVersion: 'node.eks.aws/v1alpha1',
  kind: 'NodeConfig',
  spec: {
    cluster: { ...completeCluster, enableOutpost: false, id: 'b2c3d4e5-f6a7-4890-8123-456789abcdef' },
    containerd: {
      config: "[plugins.'io.containerd.grpc.v1.cri'.containerd]\ndiscard_unpacked_layers = false\n",
      baseRuntimeSpec: { process: { rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }] } },
    },
    instance: {
      localStorage: { strategy: 'RAID0', mountPath: '/mnt/k8s-disks', disabledMounts: ['PodLogs'] },
      environment: {
        default: { HTTPS_PROXY: 'http://proxy.corp.example:3128', NO_PROXY: '10.0.0.0/8,.internal', AWS_USE_FIPS_ENDPOINT: 'true' },
        kubelet: { GODEBUG: 'http2client=0', AWS_ENDPOINT_URL_ECR: 'https://ecr.corp.example', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'false' },
      },
      network: { nameservers: ['10.0.0.2', 'fd00::2'], domains: ['corp.example'] },
    },
    kubelet: {
      config: {
        shutdownGracePeriod: '30s',
        maxPods: 58,
        kubeReserved: { cpu: '100m', memory: '300Mi' },
        systemReserved: { cpu: '100m' },
        evictionHard: { 'memory.available': '5%' },
        featureGates: { DisableKubeletCloudCredentialProviders: true },
        clusterDNS: ['10.100.0.10'],
        registerWithTaints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
        cpuManagerPolicy: 'static',
        reservedSystemCPUs: '0-1',
        topologyManagerPolicy: 'single-numa-node',
      },
      flags: ['--node-labels=team=platform,env=prod', '--register-with-taints=spot=true:PreferNoSchedule', '--v=2'],
      maxPodsExpression: 'default_enis * (ips_per_eni - 1) + 2',
    },
    featureGates: { InstanceIdNodeName: true, FastImagePull: true },
  },
});

type Path = Array<string | number>;

/** Every place in the document below `spec` (the API version and kind are read before anything else). */
function places(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (path.length > 1) out.push(path);
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) places(child, [...path, Array.isArray(value) ? Number(key) : key], out);
  }
  return out;
}
const PLACES = places(rich());

/** Values that have broken readers elsewhere: empty, negative, huge, non-finite as text, NUL, deep. */
const EDGES = [
  null,
  0,
  -1,
  1.5,
  2 ** 53,
  1e308,
  '',
  ' ',
  '0',
  '-1',
  'true',
  '10.0.0.0/33',
  '::',
  'http://',
  '%',
  '$\u007BX}', // a shell-style reference, which no reader may expand
  '\u0000',
  'x'.repeat(5000),
  [],
  {},
  [null],
  [[]],
  [{}],
  { '': '' },
];

export const mutation = fc.record({
  at: fc.nat({ max: PLACES.length - 1 }),
  op: fc.constantFrom('replace', 'replace', 'remove', 'add'),
  value: fc.oneof(fc.constantFrom(...EDGES), fc.jsonValue({ maxDepth: 2 })),
});

export function mutate(doc: Record<string, unknown>, mutations: Array<{ at: number; op: string; value: unknown }>): void {
  for (const { at, op, value } of mutations) {
    const path = PLACES[at]!;
    let parent: unknown = doc;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, unknown> | null)?.[key];
    if (parent === null || typeof parent !== 'object') continue; // an earlier mutation took it away
    const container = parent as Record<string | number, unknown>;
    const key = path.at(-1)!;
    if (op === 'remove') {
      if (Array.isArray(container)) container.splice(Number(key), 1);
      else delete container[key];
    } else if (op === 'add' && !Array.isArray(container)) {
      container.unknownField = structuredClone(value);
    } else {
      container[key] = structuredClone(value);
    }
  }
}
