import { describeCause } from '../../errors.js';
import type { Check } from '../runner.js';
import type { DoctorDeps } from '../types.js';
import { type IpFamily, serviceCidrFamily } from '../../api/cluster-values.js';
import type { ConfigValue } from './config.js';

/** The image's unit that sets the FORWARD policy to ACCEPT as the kubelet starts (on every kubelet start). */
export const FORWARD_UNIT = 'eks-node-forward-accept.service';

/** The forward-policy check's value: the `iptables -S FORWARD` lines it judged, and `ip6tables`' on an IPv6 cluster. */
export interface ForwardChain {
  lines: string[];
  ipv6Lines?: string[];
}

/** The policy from `iptables -S FORWARD` lines (`-P FORWARD ACCEPT`), or undefined when none is there. */
export function forwardPolicy(lines: string[]): string | undefined {
  for (const line of lines) {
    const m = /^-P FORWARD (\S+)$/.exec(line.trim());
    if (m) return m[1];
  }
  return undefined;
}

/** Who to suspect when the policy is not ACCEPT, from the state of the unit that sets it. */
async function suspect(deps: DoctorDeps, timeoutMs: number): Promise<string> {
  try {
    const s = await deps.systemctlShow(FORWARD_UNIT, timeoutMs);
    if (s.loadState === 'not-found') return `${FORWARD_UNIT} is not installed (an image not built from the eks-node template?)`;
    if (s.activeState === 'failed')
      return `${FORWARD_UNIT} failed (result ${s.result}, exit status ${s.execMainStatus}): see \`journalctl -u ${FORWARD_UNIT}\``;
    if (s.activeState === 'active')
      return `${FORWARD_UNIT} set ACCEPT when the kubelet last started, so something changed it since (a host firewall, or Docker)`;
    return `${FORWARD_UNIT} is ${s.activeState}: it runs as the kubelet starts and stops with it, so the kubelet has not started since boot or was stopped`;
  } catch (err) {
    return `the state of ${FORWARD_UNIT} is unknown (${describeCause(err)})`;
  }
}

/** The kernel's switch for forwarding IPv4 packets between interfaces, as /proc shows it. */
export const IP_FORWARD_PATH = '/proc/sys/net/ipv4/ip_forward';

/** Where systemd-sysctl reads settings at boot, the first masking a file of the same name in the others. */
const SYSCTL_DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d'];

/**
 * The sysctl file whose setting of `key` (dotted) systemd-sysctl applies last at boot, with the
 * value it gives: the `*.conf` files of SYSCTL_DIRS by name (a name in /etc masks the same name
 * further down), each line `key = value` (`/` for `.` allowed, a leading `-` ignoring errors).
 */
export async function sysctlSetter(deps: DoctorDeps, key: string): Promise<{ path: string; value: string } | undefined> {
  const files = new Map<string, string>();
  for (const dir of SYSCTL_DIRS) {
    const entries = await deps.listDir(dir).catch(() => undefined);
    for (const name of entries ?? []) if (name.endsWith('.conf') && !files.has(name)) files.set(name, `${dir}/${name}`);
  }
  let last: { path: string; value: string } | undefined;
  for (const name of [...files.keys()].sort()) {
    const path = files.get(name)!;
    const text = (await deps.readFile(path).catch(() => undefined))?.content.toString('utf8') ?? '';
    for (const line of text.split('\n')) {
      const m = /^\s*-?([^#;=\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(line);
      if (m && m[1]!.replaceAll('/', '.') === key) last = { path, value: m[2]! };
    }
  }
  return last;
}

/**
 * Whether the kernel forwards IPv4 (net.ipv4.ip_forward): pods' packets to other nodes, the VPC
 * and Service addresses leave through this host, so with it off the node joins and shows Ready
 * while its pods reach nothing beyond it. Hardening baselines (CIS, STIG) turn it off. Undefined
 * when /proc cannot be read (a --root that is not a running node).
 */
async function kernelForwarding(deps: DoctorDeps): Promise<{ found: string /** when off: what to undo */; off?: string } | undefined> {
  let value: string | undefined;
  try {
    value = (await deps.readFile(IP_FORWARD_PATH))?.content.toString('utf8').trim();
  } catch {
    value = undefined;
  }
  if (value === undefined || value === '') return undefined;
  if (value === '1') return { found: 'the kernel forwards IPv4 (net.ipv4.ip_forward = 1)' };
  const setter = await sysctlSetter(deps, 'net.ipv4.ip_forward');
  const by =
    setter && setter.value !== '1'
      ? `set to ${setter.value} by ${setter.path}, which systemd-sysctl applies last of the sysctl files`
      : `no sysctl file turns it off${setter ? ` (the last, ${setter.path}, sets ${setter.value})` : ''}: a script or \`sysctl -w\` did, after boot`;
  return {
    found: `the kernel does not forward IPv4 (net.ipv4.ip_forward = ${value}, ${by})`,
    off:
      setter && setter.value !== '1'
        ? `take the setting out of ${setter.path} (the image sets 1 in /etc/sysctl.d/99-eks-node.conf)`
        : 'find what set it after boot (a user-data script, a configuration agent) and stop it',
  };
}

/** One family's chain as judged: the words for the report line, and the policy when there is one. */
interface Judged {
  lines?: string[];
  policy?: string;
  /** what the line says of this chain */
  found: string;
}

async function judgeChain(deps: DoctorDeps, family: IpFamily, timeoutMs: number): Promise<Judged> {
  const tool = family === 'ipv6' ? 'ip6tables' : 'iptables';
  let lines: string[];
  try {
    lines = await deps.forwardChain(timeoutMs, family);
  } catch (err) {
    return { found: `cannot read the ${tool} FORWARD policy: ${describeCause(err)}` };
  }
  const policy = forwardPolicy(lines);
  if (policy === undefined) return { lines, found: `${tool} -S FORWARD printed no policy line (first line: ${JSON.stringify(lines[0] ?? '')})` };
  const rules = lines.filter((l) => l.startsWith('-A FORWARD ')).length;
  return { lines, policy, found: `${tool} FORWARD policy ${policy}, ${rules} rule(s) in the chain` };
}

/**
 * The FORWARD policy. A pod on another node reaches a pod here through this host's FORWARD
 * chain; with the policy DROP the node joins and looks Ready, but those connections die
 * silently. The image sets ACCEPT in its own unit, which the kubelet only wants (a failed
 * iptables does not keep the node from joining), so this check is where a wrong policy shows.
 * On an IPv6 cluster pods are reached over IPv6, and ip6tables' chain is judged too (the image's
 * unit sets both).
 */
export function forwardCheck(deps: DoctorDeps): Check {
  return {
    name: 'forward-policy',
    needs: [],
    timeoutMs: 5_000,
    timeoutHint: 'iptables waits for the xtables lock, which another process holds',
    async run(ctx) {
      const budget = () => Math.max(1, ctx.remainingMs() - 1_000);
      const kernel = await kernelForwarding(deps);
      const ipv4 = await judgeChain(deps, 'ipv4', budget());
      if (kernel?.off) {
        return {
          status: 'fail',
          detail: `${kernel.found}; ${ipv4.found}`,
          ...(ipv4.lines ? { value: { lines: ipv4.lines } satisfies ForwardChain } : {}),
          hint: `pods' packets to other nodes, the VPC and Service addresses are forwarded by this host, so they go nowhere (the node joins and shows Ready); a hardening baseline (CIS, STIG) often sets this: ${kernel.off}, and run \`sysctl -w net.ipv4.ip_forward=1\``,
        };
      }
      const kernelFound = kernel ? `; ${kernel.found}` : '';
      if (!ipv4.lines)
        return { status: 'warn', detail: `${ipv4.found}${kernelFound}`, hint: 'run the doctor as root (sudo eks-node-agent doctor) on a node with iptables' };
      const judged = [ipv4];
      // the cluster's family as the config line resolved it (none: IPv4, as before there was a config to say)
      if (serviceCidrFamily((await ctx.optional<ConfigValue>('config'))?.config.spec.cluster.cidr) === 'ipv6')
        judged.push(await judgeChain(deps, 'ipv6', budget()));
      const ipv6 = judged[1];
      // the chains as read go into the support bundle (bundle.ts), whatever the verdict
      const value: ForwardChain = { lines: ipv4.lines, ...(ipv6?.lines ? { ipv6Lines: ipv6.lines } : {}) };
      const found = judged.map((j) => j.found).join('; ');
      const wrong = judged.filter((j) => j.policy !== undefined && j.policy !== 'ACCEPT');
      if (wrong.length > 0) {
        const policies = [...new Set(wrong.map((j) => j.policy))].join(' and ');
        return {
          status: 'fail',
          value,
          detail: `${found}; ${await suspect(deps, Math.max(1, ctx.remainingMs() - 500))}${kernelFound}`,
          hint: `pods on other nodes cannot open connections to pods on this node (their packets are forwarded here and dropped); \`systemctl restart ${FORWARD_UNIT}\` sets ACCEPT now and every kubelet restart sets it again; stop whatever sets ${policies}`,
        };
      }
      if (judged.some((j) => j.policy === undefined)) {
        return {
          status: 'warn',
          detail: `${found}${kernelFound}`,
          value,
          ...(ipv6 && !ipv6.lines ? { hint: 'run the doctor as root on a node with ip6tables' } : {}),
        };
      }
      return { status: 'ok', detail: `${found}${kernelFound}`, value };
    },
  };
}
