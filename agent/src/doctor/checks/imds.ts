import { describeCause } from '../../errors.js';
import { IMDS_ENDPOINT_VARIABLE, IMDS_MODE_VARIABLE, type Imds } from '../../aws/imds.js';
import { readInstanceRole, type RoleRead } from '../../aws/instance-role.js';
import { imdsThroughProxy } from '../../render/kubelet-proxy.js';
import { KUBELET_UNIT, PATHS, unitEnvironmentPath } from '../../render/paths.js';
import type { Check } from '../runner.js';
import type { AwsCredentials, DoctorDeps, KeptImds } from '../types.js';
import { IDENTITY_PATH, parseIdentity } from '../../aws/instance-identity.js';

/** The identity document fields the other checks and the bundle use (nothing secret). */
export interface InstanceIdentity {
  instanceId: string;
  instanceType: string;
  region: string;
  availabilityZone: string;
  accountId: string;
  imageId: string;
  architecture: string;
  privateIp: string;
  /** meta-data/local-hostname, when IMDS has one (a custom DHCP domain may leave it out) */
  localHostname?: string;
}

export interface InstanceRole {
  roleName: string;
  instanceProfileArn?: string;
  credentials: AwsCredentials;
}

/** What to check when IMDS at its endpoint (and its fallback, if any) does not answer or refuses tokens. */
function imdsHint(imds: Imds): string {
  const { endpoint, fallbackEndpoint } = imds;
  const hosts = [endpoint, fallbackEndpoint].flatMap((e) => (e ? [new URL(e).hostname] : []));
  const ipv6 = hosts.some((h) => h.startsWith('['));
  return (
    `IMDS at ${endpoint}${fallbackEndpoint ? ` (and at ${fallbackEndpoint}, asked when that one has no route)` : ''} is unreachable or refuses tokens: ` +
    'check the instance metadata options (HttpEndpoint enabled, ' +
    `${ipv6 ? 'HttpProtocolIpv6 enabled (a Nitro instance), ' : ''}HttpTokens optional/required, HttpPutResponseHopLimit >= 1 for the host) ` +
    `and that no firewall or proxy intercepts ${hosts.join(' or ')}`
  );
}

/** An assignment of an endpoint, and of a mode (its value), as the agent's Environment= or DefaultEnvironment= files hold them */
const ENDPOINT_NAMED = new RegExp(`\\b${IMDS_ENDPOINT_VARIABLE}=`, 'i');
const MODE_NAMED = new RegExp(`\\b${IMDS_MODE_VARIABLE}=["']?([^"'\\s]*)`, 'i');

/**
 * Whether the kubelet's environment names an IMDS endpoint or the IPv6 mode: the AWS SDKs of its
 * credential helpers ask 169.254.169.254 otherwise. On a node it is what systemd holds for the
 * unit (every drop-in, an image's own or configuration management's included) and for every
 * service; elsewhere (no systemd to ask, the unit not loaded) the two files the agent writes. Either
 * way the kubelet's own decides first when it names either variable, as its Environment= wins over
 * the default environment (render/unit-environment.ts judges the user data in the same order).
 */
async function kubeletToldImdsMode(deps: DoctorDeps, timeoutMs: number): Promise<boolean> {
  const live = await deps.serviceEnvironment?.(KUBELET_UNIT, timeoutMs).catch(() => undefined);
  if (live?.unit) {
    for (const environment of [live.unit, live.manager]) {
      if (environment[IMDS_ENDPOINT_VARIABLE] !== undefined) return true;
      const mode = environment[IMDS_MODE_VARIABLE];
      if (mode !== undefined) return mode.toLowerCase() === 'ipv6';
    }
    return false;
  }
  for (const path of [unitEnvironmentPath(KUBELET_UNIT), PATHS.systemEnvironment]) {
    const text = (await deps.readFile(path))?.content.toString('utf8') ?? '';
    if (ENDPOINT_NAMED.test(text)) return true;
    const mode = MODE_NAMED.exec(text);
    if (mode) return mode[1]!.toLowerCase() === 'ipv6';
  }
  return false;
}

/** The identity document's fields and the first local-hostname, as the imds line reads them from IMDS (or the boot's kept answers). */
export async function readIdentity(imds: Imds): Promise<InstanceIdentity> {
  // the boot's own reading: what it refuses (a region that names no host, say), doctor refuses
  const { document, ...required } = parseIdentity(await imds.get(IDENTITY_PATH));
  // several DHCP domains give several names; the first is the host's, as init takes it
  const localHostname = (await imds.getOptional('meta-data/local-hostname'))?.trim().split(/\s+/)[0] || undefined;
  const str = (k: string): string => (typeof document[k] === 'string' ? (document[k] as string) : '');
  return {
    ...required,
    accountId: str('accountId'),
    imageId: str('imageId'),
    architecture: str('architecture'),
    privateIp: str('privateIp'),
    ...(localHostname ? { localHostname } : {}),
  };
}

/** What the report says of this boot's kept answers when IMDS itself does not answer: that they served, or why not. */
function keptNote(kept: KeptImds | undefined): { served?: string; hint: string } {
  if (kept === undefined) return { hint: '' };
  if ('imds' in kept) return { served: `the checks that need the instance's answers took this boot's, kept in ${kept.path}`, hint: '' };
  if (/EACCES|EPERM/.test(kept.problem)) {
    return { hint: `; this boot's answers in ${kept.path} could serve the other checks but cannot be read (${kept.problem}): run doctor as root` };
  }
  return { hint: `; this boot's answers in ${kept.path} cannot serve the other checks (${kept.problem})` };
}

export function imdsCheck(deps: DoctorDeps): Check {
  const unreachable = imdsHint(deps.imds);
  const { served, hint } = keptNote(deps.keptImds);
  return {
    name: 'imds',
    needs: [],
    timeoutMs: 6_000,
    timeoutHint: `${unreachable}${hint}${served ? `; meanwhile ${served}` : ''}`,
    async run(ctx) {
      let identity: InstanceIdentity;
      try {
        identity = await readIdentity(deps.imds);
      } catch (err) {
        return { status: 'fail', detail: `${describeCause(err)}${served ? `; ${served}` : ''}`, hint: `${unreachable}${hint}` };
      }
      const { servedBy, endpoint } = deps.imds;
      const where = servedBy ? ` (at ${servedBy}: ${endpoint} has no route, as on an instance without IPv4)` : '';
      const detail = `IMDSv2 token and identity${where}: ${identity.instanceId} (${identity.instanceType}) in ${identity.availabilityZone}, account ${identity.accountId}`;
      // what systemd gives the kubelet (an image's drop-in included); the user data's alone is the config line's warning
      const live = await deps.serviceEnvironment?.(KUBELET_UNIT, Math.max(1, ctx.remainingMs() - 1_000)).catch(() => undefined);
      const proxied = live?.unit ? imdsThroughProxy({ ...live.manager, ...live.unit }) : undefined;
      if (proxied) {
        const { host } = proxied;
        return {
          status: 'warn',
          detail: `${detail}; the kubelet's environment sends its credential helpers' IMDS requests (${proxied.endpoint}) through the proxy ${proxied.variable} names, as NO_PROXY does not name ${host}`,
          hint: `a proxy cannot reach this instance's IMDS, so aws-iam-authenticator and ecr-credential-provider get no instance role credentials (no API token, no ECR pulls): add ${host} to NO_PROXY where the proxy is set (spec.instance.environment, or the drop-in that sets it)`,
          value: identity,
        };
      }
      if (servedBy && !(await kubeletToldImdsMode(deps, Math.max(1, ctx.remainingMs() - 1_000)))) {
        return {
          status: 'warn',
          detail: `${detail}; the kubelet's environment names no IMDS endpoint or mode, so its credential helpers (aws-iam-authenticator, ecr-credential-provider) ask ${endpoint}`,
          hint:
            "`eks-node-agent init` adds it to the kubelet's environment and restarts the kubelet, as init does whenever IMDS answers over IPv6 alone at boot; " +
            `a ${IMDS_MODE_VARIABLE} the user data gives the kubelet or every service (spec.instance.environment) is kept as written ` +
            "(the kubelet's token and image pulls need the instance role's credentials from IMDS)",
          value: identity,
        };
      }
      return { status: 'ok', detail, value: identity };
    },
  };
}

const PROFILE_HINT =
  'attach an instance profile to the instance (launch template IamInstanceProfile) whose role has AmazonEKSWorkerNodePolicy, ' +
  'AmazonEC2ContainerRegistryPullOnly and, for the VPC CNI, AmazonEKS_CNI_Policy';

export function instanceProfileCheck(deps: DoctorDeps): Check {
  const unreachable = imdsHint(deps.imds);
  return {
    name: 'instance-profile',
    needs: ['imds'],
    timeoutMs: 6_000,
    timeoutHint: unreachable,
    async run() {
      let read: RoleRead;
      try {
        read = await readInstanceRole(deps.imds);
      } catch (err) {
        return { status: 'fail', detail: describeCause(err), hint: unreachable };
      }
      if (!read.ok) {
        const hint =
          read.reason === 'unusable'
            ? 'the instance profile names a role EC2 cannot assume: the role trust policy must allow ec2.amazonaws.com (sts:AssumeRole)'
            : PROFILE_HINT;
        return { status: 'fail', detail: read.detail, hint };
      }
      const { roleName, credentials } = read;
      let instanceProfileArn: string | undefined;
      try {
        const info = await deps.imds.getOptional('meta-data/iam/info');
        const arn = info ? (JSON.parse(info) as { InstanceProfileArn?: unknown }).InstanceProfileArn : undefined;
        if (typeof arn === 'string') instanceProfileArn = arn;
      } catch {
        // iam/info only adds the profile ARN to the line; its absence is not a finding
      }
      const role: InstanceRole = { roleName, ...(instanceProfileArn ? { instanceProfileArn } : {}), credentials };
      const profile = instanceProfileArn ? ` (instance profile ${instanceProfileArn})` : '';
      return { status: 'ok', detail: `role ${roleName}${profile} has credentials`, value: role };
    },
  };
}
