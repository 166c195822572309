import type { NodeConfig, ResolvedCluster, ResolvedNodeConfig } from './api/schema.js';
import { parseResolvedConfig } from './api/validate.js';
import type { EksApi } from './aws/eks.js';
import { type ClusterResolution, type ClusterSources, resolveCluster } from './facts/cluster.js';
import { type FactSources, type GatheredFacts, gatherFacts, withInterfaceIpv6 } from './facts/index.js';
import { serviceCidrFamily } from './api/cluster-values.js';
import { needsEniLimits } from './facts/eni-limits.js';
import { kubeletSkewProblem, minorOf } from './facts/version-skew.js';
import { render } from './render/index.js';
import type { Plan } from './render/plan.js';

/*
 * The boot path's decisions, in one function that init, render and doctor all call: gather the
 * facts, resolve the cluster, judge the complete config with the rule set, render. The cached
 * DescribeCluster answer joins the plan as one more file, so writing it is apply's job.
 */

/** Runs one step; init passes a function that logs each step with its duration. */
export type Step = <T>(name: string, work: () => Promise<T>, detail?: (value: T) => string) => Promise<T>;
const untimed: Step = (_name, work) => work();

export interface PlanSources {
  facts: FactSources;
  /** the cluster's sources (`eks` is built for the instance's region once it is known), or a resolution already made */
  cluster: (Omit<ClusterSources, 'eks'> & { eks?: (region: string) => EksApi }) | { resolved: ClusterResolution };
}

export interface NodePlan {
  plan: Plan;
  config: ResolvedNodeConfig;
  facts: GatheredFacts;
  cluster: ClusterResolution;
}

/** A NodeConfig whose cluster section is complete, the input of render(). */
export function withCluster(config: NodeConfig, cluster: ResolvedCluster): ResolvedNodeConfig {
  return { apiVersion: config.apiVersion, kind: config.kind, spec: { ...config.spec, cluster } };
}

export async function planNode(config: NodeConfig, sources: PlanSources, step: Step = untimed): Promise<NodePlan> {
  // The interface's IPv6 address matters only to an IPv6 cluster: asked with the other facts
  // when the user data says so, after the cluster is resolved when only EKS can say.
  const statedFamily = serviceCidrFamily(config.spec?.cluster?.cidr);
  let facts = await step(
    'facts',
    () => gatherFacts({ needEniLimits: needsEniLimits(config), needIpv6: statedFamily === 'ipv6', ...sources.facts }),
    (f) => describeFacts(f),
  );
  const clusterFrom = sources.cluster;
  const cluster = await step(
    'cluster',
    async () => {
      if ('resolved' in clusterFrom) return clusterFrom.resolved;
      const { eks, ...rest } = clusterFrom;
      return resolveCluster(config.spec?.cluster, {
        ...rest,
        instanceId: facts.facts.instance.instanceId,
        ...(eks ? { eks: eks(facts.facts.instance.region) } : {}),
      });
    },
    (r) => (r.fetched.length === 0 ? 'complete in user data, no EKS call' : `${r.fetched.join(', ')} from ${r.origin}`),
  );
  const from = sources.facts.instance;
  if (statedFamily === undefined && serviceCidrFamily(cluster.cluster.cidr) === 'ipv6' && 'imds' in from) {
    const before = facts;
    facts = await step(
      'facts (IPv6)',
      () => withInterfaceIpv6(before, from.imds),
      (f) => `the cluster is IPv6: the interface's address ${f.facts.instance.ipv6 ?? 'is missing'}`,
    );
  }
  const resolved = withCluster(config, cluster.cluster);
  const plan = await step(
    'render',
    async () => {
      const p = render(resolved, facts.facts, { parsed: parseResolvedConfig(resolved) });
      if (cluster.cacheFile) p.files = [...p.files, cluster.cacheFile].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const skew = versionSkewWarning(facts.facts.instance.kubeletVersion, cluster);
      p.warnings.unshift(...cluster.warnings, ...(skew ? [skew] : []), ...facts.warnings.filter((w) => !p.warnings.includes(w)));
      return p;
    },
    (p) => `${p.files.length} files, ${p.units.length} unit actions`,
  );
  return { plan, config: resolved, facts, cluster };
}

/**
 * The kubelet against the cluster's version, when the cluster was described (EKS, its cache or
 * `--cluster`): complete user data names no version, and doctor's kubelet-version line asks the
 * API server itself.
 */
export function versionSkewWarning(kubeletVersion: string, cluster: Pick<ClusterResolution, 'version' | 'origin' | 'cluster'>): string | undefined {
  const kubelet = minorOf(kubeletVersion);
  const server = cluster.version ? minorOf(cluster.version) : undefined;
  if (!kubelet || !server) return undefined;
  const said =
    cluster.origin === 'cached answer'
      ? 'as the cached eks:DescribeCluster answer gives it'
      : cluster.origin === 'cluster file'
        ? 'as the --cluster file gives it'
        : 'as eks:DescribeCluster gives it';
  return kubeletSkewProblem(kubelet, server, `cluster "${cluster.cluster.name}" (Kubernetes ${cluster.version}, ${said})`);
}

function describeFacts({ facts: { instance: f }, eniSource, nodeName }: GatheredFacts): string {
  return `${f.instanceType} in ${f.availabilityZone}, ${f.cpuMillicores}m CPU, ${f.memoryMiB} MiB, kubelet ${f.kubeletVersion}, containerd ${f.containerdVersion}, ENI limits ${eniSource === 'not needed' ? 'not needed (max pods is explicit)' : `from ${eniSource === 'none' ? 'nowhere' : eniSource === 'table' ? 'the image table' : eniSource}`}, node name from ${nodeName}`;
}
