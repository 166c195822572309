import { describeCause } from '../../errors.js';
import { kubeletSkewProblem, minorOf } from '../../facts/version-skew.js';
import { KUBELET_VERSION_FILE } from '../../facts/versions.js';
import { CNI_CONF_DIR, cniConfigs, networkNotReady, passedFailures, pullFailures, pullHint } from '../pod-network.js';
import { CONTAINERD_UNIT } from '../../render/paths.js';
import { readNode, readUserInfo } from '../api-objects.js';
import { stuckTaints } from '../node-status.js';
import { nodeSummary } from '../kube-summary.js';
import { providerIdOf } from '../../render/kubelet-config.js';
import { apiRequest } from '../net.js';
import { KUBELET_BOOTSTRAP_KUBECONFIG, KUBELET_KUBECONFIG, execOf } from '../kubeconfig.js';
import type { Check, CheckContext } from '../runner.js';
import type { ConfigValue } from './config.js';
import type { InstanceRole } from './imds.js';
import type { NodeNameValue } from './node-name.js';
import type { DoctorDeps } from '../types.js';
import type { Reach } from './endpoint.js';
import type { IdentityValue } from './identity.js';

export interface AuthValue {
  reach: Reach;
  /** the kubelet's token; used by registration, never reported */
  token: string;
  /** who the API server says the token is (SelfSubjectReview), when it said */
  username?: string;
}

const NODE_GROUP = 'system:nodes';

/** One request to the API server the tls line reached (through the kubelet's proxy, if it has one), bounded by what is left of the run. */
export function askApiServer(reach: Reach, ctx: CheckContext, request: { method: 'GET' | 'POST'; path: string; token?: string; body?: unknown }) {
  return apiRequest({
    endpoint: reach.endpoint,
    caPem: reach.caPem,
    ...request,
    timeoutMs: Math.max(1, ctx.remainingMs() - 100),
    signal: ctx.signal,
    ...(reach.proxy ? { proxy: reach.proxy } : {}),
  });
}

/** The message of a Kubernetes Status answer, else the start of the body. */
export function firstLine(body: string): string {
  try {
    const msg = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof msg === 'string') return msg;
  } catch {
    // not a Status object: show the start of the text
  }
  return body.split('\n')[0]!.slice(0, 200);
}

const sameEndpoint = (a: string, b: string): boolean => a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

/**
 * Whether a 401 is the cluster name's fault rather than the role mapping's: the kubelet's token
 * is signed for spec.cluster.name, and an API server refuses a token signed for another cluster
 * whatever the mappings. Only a name the user data gives beside its own endpoint can be wrong so
 * (a name EKS described is right by construction; a local cluster's token names its id); asked of
 * eks:DescribeCluster, the node role's own permission. Undefined when the name is not to blame
 * or cannot be checked.
 */
async function wrongClusterName(deps: DoctorDeps, ctx: CheckContext): Promise<{ found: string; hint: string } | undefined> {
  const config = await ctx.optional<ConfigValue>('config');
  const identity = config?.identity;
  const role = await ctx.optional<InstanceRole>('instance-profile');
  if (!config || !identity || !role || config.cluster.origin !== 'user data' || config.config.spec.cluster.enableOutpost === true) return undefined;
  const { name, apiServerEndpoint } = config.config.spec.cluster;
  let described;
  try {
    described = await deps.describeCluster(name, { region: identity.region, credentials: role.credentials, timeoutMs: Math.max(1, ctx.remainingMs() - 500) });
  } catch (err) {
    if ((err as { cause?: { name?: unknown } }).cause?.name !== 'ResourceNotFoundException') return undefined;
    return {
      found: `${identity.region} has no EKS cluster named "${name}" (eks:DescribeCluster), the name the node's token is signed for`,
      hint: `spec.cluster.name must be this cluster's name exactly (the API server at ${apiServerEndpoint} refuses a token signed for another); \`aws eks list-clusters --region ${identity.region}\` lists them`,
    };
  }
  if (!described.apiServerEndpoint || sameEndpoint(described.apiServerEndpoint, apiServerEndpoint)) return undefined;
  return {
    found: `spec.cluster.name "${name}" is another cluster than the one at ${apiServerEndpoint} (eks:DescribeCluster gives "${name}" the endpoint ${described.apiServerEndpoint}), and the node's token is signed for "${name}"`,
    hint: "spec.cluster.name, apiServerEndpoint and certificateAuthority must all be one cluster's: copy them from `aws eks describe-cluster`, or give only the name and let the agent ask",
  };
}

export function authCheck(deps: DoctorDeps): Check {
  return {
    name: 'auth',
    needs: ['tls'],
    timeoutMs: 15_000,
    async run(ctx) {
      const reach = ctx.value<Reach>('tls');
      // A local cluster's kubelet holds a certificate; the bootstrap kubeconfig's token is the
      // identity it got it with, and the one that must still be mapped for a new node to join.
      const bootstrap = await deps.readFile(KUBELET_BOOTSTRAP_KUBECONFIG);
      const path = bootstrap ? KUBELET_BOOTSTRAP_KUBECONFIG : KUBELET_KUBECONFIG;
      const file = bootstrap ?? (await deps.readFile(KUBELET_KUBECONFIG));
      if (!file) {
        return {
          status: 'fail',
          detail: `${KUBELET_KUBECONFIG} is missing`,
          hint: 'the agent has not configured this node: see the files line and `journalctl -u eks-node-agent-config`',
        };
      }
      const exec = execOf(file.content.toString('utf8'));
      if (typeof exec === 'string') return { status: 'fail', detail: `${path} ${exec}`, hint: 'see the files line: the kubeconfig has drifted' };
      let token: string;
      try {
        token = await deps.execCredential(exec, Math.max(1, ctx.remainingMs() - 3_000));
      } catch (err) {
        return {
          status: 'fail',
          detail: `credential plugin ${exec.command} failed: ${describeCause(err)}`,
          hint: `${exec.command} must be installed on the PATH (it is baked into the AMI) and needs the instance credentials (see instance-profile)`,
        };
      }
      let answer;
      try {
        answer = await askApiServer(reach, ctx, {
          method: 'POST',
          path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
          token,
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
        });
      } catch (err) {
        return { status: 'fail', detail: `request to the API server failed: ${describeCause(err)}`, hint: 'see the tcp and tls lines' };
      }
      // only a refusal names the role: an accepted token does not wait for the aws-identity line (and IMDS)
      const roleName = async () => (await ctx.optional<IdentityValue>('aws-identity'))?.roleArn ?? 'the node role';
      if (answer.status === 401) {
        const role = await roleName();
        const otherCluster = await wrongClusterName(deps, ctx);
        if (otherCluster) return { status: 'fail', detail: `the API server answered 401 Unauthorized: ${otherCluster.found}`, hint: otherCluster.hint };
        return {
          status: 'fail',
          detail: `the API server answered 401 Unauthorized: it does not know ${role}`,
          hint: `the role is not mapped: create an access entry of type EC2_LINUX for ${role} (aws eks create-access-entry) or add it to aws-auth mapRoles; a clock off by minutes also invalidates tokens (see clock)`,
        };
      }
      if (answer.status === 403) {
        return {
          status: 'fail',
          detail: `the API server answered 403 Forbidden: ${firstLine(answer.body)}`,
          hint: `${await roleName()} is mapped without node permissions: the access entry must be of type EC2_LINUX (aws-auth: groups system:bootstrappers and system:nodes, username system:node:{{EC2PrivateDNSName}})`,
        };
      }
      if (answer.status === 404) {
        // SelfSubjectReview is GA in 1.28; older servers still authenticate a discovery request.
        return {
          status: 'ok',
          detail: 'token accepted (the server has no SelfSubjectReview, so the groups are unknown)',
          value: { reach, token } satisfies AuthValue,
        };
      }
      if (answer.status !== 200 && answer.status !== 201) {
        return {
          status: 'fail',
          detail: `unexpected HTTP ${answer.status} from the API server: ${firstLine(answer.body)}`,
          hint: 'the endpoint may not be a Kubernetes API server (check spec.cluster.apiServerEndpoint)',
        };
      }
      let user: ReturnType<typeof readUserInfo> = {};
      try {
        user = readUserInfo(JSON.parse(answer.body));
      } catch {
        // an unreadable body still proves the token was accepted
      }
      const groups = user.groups ?? [];
      const who = `${user.username ?? '?'} (groups ${groups.join(', ') || 'none'})`;
      if (!groups.includes(NODE_GROUP)) {
        return {
          status: 'fail',
          detail: `authenticated as ${who}, not in ${NODE_GROUP}`,
          hint: `${await roleName()} is mapped without node permissions: the access entry must be of type EC2_LINUX (aws-auth: groups system:bootstrappers and system:nodes, username system:node:{{EC2PrivateDNSName}})`,
        };
      }
      const through = bootstrap ? ` with the bootstrap token of ${KUBELET_BOOTSTRAP_KUBECONFIG}` : '';
      const value: AuthValue = { reach, token, ...(user.username ? { username: user.username } : {}) };
      return { status: 'ok', detail: `authenticated as ${who}${through}`, value };
    },
  };
}

export function clockCheck(deps: DoctorDeps): Check {
  return {
    name: 'clock',
    needs: ['tls'],
    timeoutMs: 5_000,
    async run(ctx) {
      const reach = ctx.value<Reach>('tls');
      let answer;
      try {
        answer = await askApiServer(reach, ctx, { method: 'GET', path: '/version' });
      } catch (err) {
        return { status: 'fail', detail: `GET /version failed: ${describeCause(err)}`, hint: 'see the tcp and tls lines' };
      }
      const server = answer.date ? Date.parse(answer.date) : NaN;
      if (Number.isNaN(server))
        return { status: 'warn', detail: 'the API server sent no Date header; skew unknown', hint: 'check the clock with `chronyc tracking`' };
      // The Date header has one-second resolution and the request takes time: below 2 s is noise.
      const skew = Math.round((deps.now().getTime() - server) / 1000);
      const text = Math.abs(skew) <= 2 ? 'in step with the API server (within 2s)' : `${Math.abs(skew)}s ${skew > 0 ? 'ahead of' : 'behind'} the API server`;
      const hint =
        'sync the clock: enable chronyd with the Amazon Time Sync Service (169.254.169.123, or fd00:ec2::123 on an instance without IPv4); tokens and certificates are checked against time';
      if (Math.abs(skew) > 300) return { status: 'fail', detail: `node clock ${text}`, hint: `${hint}; more than 5 minutes breaks token signatures` };
      if (Math.abs(skew) > 60) return { status: 'warn', detail: `node clock ${text}`, hint };
      return { status: 'ok', detail: `node clock ${text}` };
    },
  };
}

/**
 * The kubelet's version against the API server's own (`/version`, which kube-apiserver serves to
 * anyone), by the version skew policy init and render judge a described cluster's version with.
 */
export function kubeletVersionCheck(deps: DoctorDeps): Check {
  return {
    name: 'kubelet-version',
    needs: ['tls'],
    timeoutMs: 10_000,
    async run(ctx) {
      const reach = ctx.value<Reach>('tls');
      const [kubelet, answer, binary] = await Promise.allSettled([
        deps.kubeletVersion(Math.max(1, ctx.remainingMs() - 100)),
        askApiServer(reach, ctx, { method: 'GET', path: '/version' }),
        deps.kubeletBinaryVersion(Math.max(1, ctx.remainingMs() - 100)),
      ]);
      if (kubelet.status === 'rejected') {
        return {
          status: 'fail',
          detail: describeCause(kubelet.reason),
          hint: `the image records the kubelet version in ${KUBELET_VERSION_FILE}; kubelet must be installed`,
        };
      }
      // the agent decides flags, gates and defaults by the recorded version: a kubelet swapped
      // in without its record is configured for another release
      const ran = binary.status === 'fulfilled' ? binary.value : undefined;
      if (ran !== undefined && ran !== kubelet.value) {
        return {
          status: 'warn',
          detail: `the image records kubelet ${kubelet.value} (${KUBELET_VERSION_FILE}), but \`kubelet --version\` says ${ran}: the agent configured the kubelet for ${kubelet.value}`,
          hint: `write the installed kubelet's version to ${KUBELET_VERSION_FILE} when replacing the binary (the bake's install-binaries.sh does), then rerun \`eks-node-agent init\``,
        };
      }
      if (answer.status === 'rejected') {
        return { status: 'fail', detail: `GET /version failed: ${describeCause(answer.reason)}`, hint: 'see the tcp and tls lines' };
      }
      let gitVersion: unknown;
      try {
        gitVersion = (JSON.parse(answer.value.body) as { gitVersion?: unknown }).gitVersion;
      } catch {
        // judged below, with a non-JSON answer
      }
      const server = typeof gitVersion === 'string' ? minorOf(gitVersion) : undefined;
      const kubeletMinor = minorOf(kubelet.value);
      if (answer.value.status !== 200 || !server || !kubeletMinor) {
        return {
          status: 'warn',
          detail: `kubelet ${kubelet.value}; the API server's version is unknown (GET /version: HTTP ${answer.value.status}${server ? '' : ', no gitVersion'})`,
          hint: 'the endpoint may not be a Kubernetes API server, or it refuses anonymous /version',
        };
      }
      const problem = kubeletSkewProblem(kubeletMinor, server, `the API server (${gitVersion as string})`);
      if (problem) {
        return {
          status: 'warn',
          detail: problem,
          hint: 'such a node often registers, then fails in ways that hide the cause; pick the AMI (or Karpenter amiSelectorTerms alias) by the cluster version',
        };
      }
      return { status: 'ok', detail: `kubelet ${kubelet.value} with API server ${gitVersion as string}: within the version skew policy` };
    },
  };
}

/** How far back the kubelet's journal is read for image pull and sandbox errors: a busy kubelet logs many lines a minute. */
export const PULL_JOURNAL_LINES = 2_000;

/**
 * For a Node whose network is not ready: whether the CNI plugin wrote its configuration, and the
 * image pulls the kubelet's journal shows failing, with the fix the first one calls for.
 */
async function networkEvidence(deps: DoctorDeps, budget: () => number): Promise<{ found: string[]; hint?: string }> {
  const found: string[] = [];
  const entries = await deps.listDir(CNI_CONF_DIR).catch(() => undefined);
  const configs = entries === undefined ? [] : cniConfigs(entries);
  found.push(configs.length === 0 ? `${CNI_CONF_DIR} holds no CNI network configuration` : `${CNI_CONF_DIR}: ${configs.join(', ')}`);
  let lines: string[] = [];
  try {
    lines = await deps.journal('kubelet.service', PULL_JOURNAL_LINES, budget());
  } catch {
    // the unit:kubelet line reports an unreadable journal
  }
  const all = pullFailures(lines);
  // a pull containerd's journal shows done since has passed: not why the network is not ready
  const passed = all.length === 0 ? [] : passedFailures(all, await deps.journal(CONTAINERD_UNIT, PULL_JOURNAL_LINES, budget()).catch(() => [] as string[]));
  const failures = all.filter((f) => !passed.includes(f));
  if (failures.length > 0) {
    found.push(`kubelet cannot pull ${failures.map((f) => `${f.image} (${f.reason})`).join(', ')}`);
    return { found, hint: pullHint(failures[0]!) };
  }
  if (configs.length === 0) {
    return {
      found,
      hint: 'the CNI plugin has not started on this node: see its pod (the VPC CNI: `kubectl -n kube-system get pods -l k8s-app=aws-node -o wide`) and that the subnet has free IP addresses',
    };
  }
  return { found };
}

export function registrationCheck(deps: DoctorDeps): Check {
  return {
    name: 'registration',
    needs: ['auth', 'node-name'],
    timeoutMs: 10_000,
    async run(ctx) {
      const { reach, token } = ctx.value<AuthValue>('auth');
      const name = ctx.value<NodeNameValue>('node-name').nodeName;
      let answer;
      try {
        answer = await askApiServer(reach, ctx, { method: 'GET', path: `/api/v1/nodes/${encodeURIComponent(name)}`, token });
      } catch (err) {
        return { status: 'fail', detail: `GET node ${name} failed: ${describeCause(err)}`, hint: 'see the tcp and tls lines' };
      }
      if (answer.status === 404) {
        return {
          status: 'fail',
          detail: `Node ${name} is not registered`,
          hint: 'kubelet has not registered the node: see the kubelet line and `journalctl -u kubelet`',
        };
      }
      if (answer.status !== 200) {
        return { status: 'fail', detail: `GET node ${name}: HTTP ${answer.status}: ${firstLine(answer.body)}`, hint: 'see the auth line' };
      }
      let raw: unknown;
      try {
        raw = JSON.parse(answer.body);
      } catch {
        return { status: 'fail', detail: `the Node ${name} answer is not JSON`, hint: 'the endpoint may not be a Kubernetes API server' };
      }
      const node = readNode(raw);
      const conditions = node.status?.conditions ?? [];
      const capacityPods = Number.parseInt(String(node.status?.capacity?.pods ?? ''), 10) || undefined;
      const registeredAt = node.metadata?.creationTimestamp;
      // the bundle keeps the Node's state whatever the line says
      const summary = nodeSummary(raw);
      const ready = conditions.find((c) => c.type === 'Ready');
      if (!ready)
        return {
          status: 'warn',
          detail: `Node ${name} exists but has no Ready condition yet`,
          hint: 'kubelet has just registered; wait a few seconds and rerun',
          value: { node: summary } satisfies RegistrationValue,
        };
      const why = [ready.reason, ready.message].filter(Boolean).join(': ');
      if (ready.status === 'True') {
        const value: RegistrationValue = { capacityPods, ...(registeredAt ? { registeredAt } : {}), node: summary };
        const found: string[] = [];
        const hints: string[] = [];
        const pressures = conditions.filter((c) => PRESSURES.includes(c.type ?? '') && c.status === 'True');
        if (pressures.length > 0) {
          const named = pressures.map((c) => `${c.type} (${[c.reason, c.message].filter(Boolean).join(': ')})`);
          const disk = pressures.some((c) => c.type === 'DiskPressure') ? await diskUsage(deps) : [];
          found.push(`with ${named.join(', ')}${disk.length > 0 ? `; ${disk.join(', ')}` : ''}`);
          hints.push(...pressures.map((c) => PRESSURE_HINTS[c.type!]!));
        }
        const identity = (await ctx.optional<ConfigValue>('config'))?.identity;
        const taints = stuckTaints(node, deps.now(), identity ? providerIdOf(identity) : undefined);
        found.push(...taints.map((t) => t.found));
        hints.push(...taints.map((t) => t.hint));
        if (found.length === 0) return { status: 'ok', detail: `Node ${name} is Ready`, value };
        return { status: 'warn', detail: `Node ${name} is Ready, ${found.join('; ')}`, hint: hints.join('; '), value };
      }
      if (ready.status === 'Unknown') {
        return {
          status: 'fail',
          detail: `Node ${name} Ready is Unknown (${why})`,
          hint: 'kubelet stopped posting status: see the kubelet line',
          value: { node: summary } satisfies RegistrationValue,
        };
      }
      const hint = 'most often the network plugin is not ready: check the aws-node (VPC CNI) pod on this node and that the subnet has free IP addresses';
      const value: RegistrationValue = { node: summary };
      if (!networkNotReady(ready.message)) return { status: 'fail', detail: `Node ${name} is NotReady (${why})`, hint, value };
      const evidence = await networkEvidence(deps, () => Math.max(1, ctx.remainingMs() - 100));
      return { status: 'fail', detail: `Node ${name} is NotReady (${why}); ${evidence.found.join('; ')}`, hint: evidence.hint ?? hint, value };
    },
  };
}

/** The Node conditions under which the kubelet evicts pods and the scheduler keeps new ones away. */
const PRESSURES = ['MemoryPressure', 'DiskPressure', 'PIDPressure'];

const PRESSURE_HINTS: Record<string, string> = {
  DiskPressure:
    "the kubelet evicts pods and deletes unused images while a filesystem's free space is under its eviction threshold (nodefs.available 10%, imagefs.available 15% by default): give the node a larger root volume (the launch template's block device mapping), or put /var/lib/containerd and /var/lib/kubelet on instance store (spec.instance.localStorage.strategy RAID0); `crictl images` and `du -sh /var/log/pods` show what fills it",
  MemoryPressure:
    "the node's free memory is under the kubelet's eviction threshold (memory.available): pods use more than their requests leave; set memory limits, or a larger instance type; kubeReserved/systemReserved keep the node's own services out of the pods' share",
  PIDPressure: "the node's processes are near the kernel's pid limit: a pod forks without bound; set podPidsLimit in spec.kubelet.config",
};

const GIB = 1024 ** 3;

/** How full the kubelet's filesystem (nodefs) and containerd's (imagefs) are, once per filesystem. */
async function diskUsage(deps: DoctorDeps): Promise<string[]> {
  const seen = new Set<number>();
  const out: string[] = [];
  for (const path of ['/var/lib/kubelet', '/var/lib/containerd']) {
    const usage = await deps.fsUsage(path).catch(() => undefined);
    if (!usage || usage.sizeBytes === 0 || seen.has(usage.device)) continue;
    seen.add(usage.device);
    // as df: the share of what users may fill (the root-reserved blocks left out)
    const share = Math.round((100 * usage.usedBytes) / (usage.usedBytes + usage.availableBytes));
    out.push(`${path}: ${(usage.usedBytes / GIB).toFixed(1)} of ${(usage.sizeBytes / GIB).toFixed(1)} GiB used (${share}%)`);
  }
  return out;
}

export interface RegistrationValue {
  /** the Node's status.capacity.pods: the maxPods the kubelet runs with */
  capacityPods?: number;
  /** the Node's metadata.creationTimestamp: when the kubelet registered it */
  registeredAt?: string;
  /** the Node's state, for the support bundle */
  node?: Record<string, unknown>;
}
