import { describeCause } from '../../errors.js';
import type { Check } from '../runner.js';
import type { DoctorDeps } from '../types.js';
import { type IpFamily, serviceCidrFamily } from '../../api/cluster-values.js';
import type { ConfigValue } from './config.js';
import { CNI_CONF_DIR } from '../pod-network.js';

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
/** The same for IPv6: `all`'s value, which the kernel copies to every interface. */
export const IPV6_FORWARD_PATH = '/proc/sys/net/ipv6/conf/all/forwarding';

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
 * What the line says of one kernel switch; `off`, when it stops pods' packets: what to undo, the
 * `key=value` to set again (none: a reboot's), and what it does when it is not forwarding's.
 */
interface KernelForwarding {
  found: string;
  off?: { undo: string; set?: string; effect?: string };
}

/** What a switch that stops forwarding does to a node. */
const NO_FORWARDING =
  "pods' packets to other nodes, the VPC and Service addresses are forwarded by this host, so they go nowhere (the node joins and shows Ready)";

/** A /proc file's trimmed text, undefined when it cannot be read (a --root that is not a running node, or a switch the kernel lacks). */
async function procValue(deps: DoctorDeps, path: string): Promise<string | undefined> {
  try {
    const value = (await deps.readFile(path))?.content.toString('utf8').trim();
    return value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}

/** Which sysctl file set a switch found off (not `on`), as words for the line and what to undo; `file` when a sysctl file did. */
async function offBy(deps: DoctorDeps, key: string, after: string, on = '1'): Promise<{ by: string; undo: string; file?: string }> {
  const setter = await sysctlSetter(deps, key);
  return setter && setter.value !== on
    ? {
        by: `set to ${setter.value} by ${setter.path}, which systemd-sysctl applies last of the sysctl files`,
        undo: `take the setting out of ${setter.path}`,
        file: setter.path,
      }
    : {
        by: `no sysctl file turns it off${setter ? ` (the last, ${setter.path}, sets ${setter.value})` : ''}: a script or \`sysctl -w\` did, ${after}`,
        undo: `find what set it ${after} (a user-data script, a configuration agent) and stop it`,
      };
}

/**
 * Whether the kernel forwards IPv4 (net.ipv4.ip_forward): pods' packets to other nodes, the VPC
 * and Service addresses leave through this host, so with it off the node joins and shows Ready
 * while its pods reach nothing beyond it. Hardening baselines (CIS, STIG) turn it off. Undefined
 * when /proc cannot be read.
 */
async function ipv4Forwarding(deps: DoctorDeps): Promise<KernelForwarding | undefined> {
  const value = await procValue(deps, IP_FORWARD_PATH);
  if (value === undefined) return undefined;
  if (value === '1') return { found: 'the kernel forwards IPv4 (net.ipv4.ip_forward = 1)' };
  const { by, undo, file } = await offBy(deps, 'net.ipv4.ip_forward', 'after boot');
  return {
    found: `the kernel does not forward IPv4 (net.ipv4.ip_forward = ${value}, ${by})`,
    off: { undo: file ? `${undo} (the image sets 1 in /etc/sysctl.d/99-eks-node.conf)` : undo, set: 'net.ipv4.ip_forward=1' },
  };
}

/**
 * On an IPv6 cluster, whether the kernel forwards IPv6, which pods' packets need as IPv4's do. The
 * image leaves it to the VPC CNI: aws-node's init container turns net.ipv6.conf.all.forwarding on
 * as it starts in IPv6 mode. So it being off before the CNI has written its configuration is the
 * order of a boot; after, something turned it off again (a configuration agent running
 * `sysctl --system` over a hardening file). A kernel booted with ipv6.disable=1 (another
 * hardening step) has no IPv6 at all. Undefined when /proc cannot be read.
 */
async function ipv6Forwarding(deps: DoctorDeps): Promise<KernelForwarding | undefined> {
  const value = await procValue(deps, IPV6_FORWARD_PATH);
  if (value === undefined) {
    const cmdline = await procValue(deps, KERNEL_CMDLINE_PATH);
    if (cmdline === undefined || !/(^|\s)ipv6\.disable=1(\s|$)/.test(cmdline)) return undefined;
    return {
      found: 'the kernel has no IPv6 (ipv6.disable=1 on its command line, /proc/cmdline)',
      off: {
        undo: 'take ipv6.disable=1 out of the kernel command line (`grubby --update-kernel=ALL --remove-args=ipv6.disable`) and reboot: an IPv6 cluster gives pods and Services IPv6 addresses alone',
      },
    };
  }
  if (value === '1') return { found: 'the kernel forwards IPv6 (net.ipv6.conf.all.forwarding = 1)' };
  return cniSwitch(deps, {
    key: 'net.ipv6.conf.all.forwarding',
    value,
    on: '1',
    isOff: 'the kernel does not forward IPv6',
  });
}

/** The CNI configuration files in CNI_CONF_DIR, sorted: none until aws-node has started. */
async function cniConfigs(deps: DoctorDeps): Promise<string[]> {
  return ((await deps.listDir(CNI_CONF_DIR).catch(() => undefined)) ?? []).filter((name) => !name.startsWith('.')).sort();
}

/**
 * A switch aws-node's init container sets as it starts in IPv6 mode, found not at `on`: before the
 * CNI has written its configuration that is a boot's order (said, not failed); after, something
 * set it back (a configuration agent running `sysctl --system` over a hardening file).
 */
async function cniSwitch(deps: DoctorDeps, s: { key: string; value: string; on: string; isOff: string; effect?: string }): Promise<KernelForwarding> {
  const cni = await cniConfigs(deps);
  if (cni.length === 0) {
    return {
      found: `${s.isOff} yet (${s.key} = ${s.value}): aws-node's init container sets ${s.on} as it starts, and ${CNI_CONF_DIR} holds no CNI configuration yet`,
    };
  }
  const { by, undo } = await offBy(deps, s.key, 'after aws-node started', s.on);
  return {
    found: `${s.isOff} (${s.key} = ${s.value}, ${by}) though aws-node, which sets ${s.on} as it starts, has run (${CNI_CONF_DIR}: ${cni.join(', ')})`,
    off: { undo: `${undo}; restarting aws-node sets it again too`, set: `${s.key}=${s.on}`, ...(s.effect ? { effect: s.effect } : {}) },
  };
}

/** Whether IPv6 is off on every interface (1: no IPv6 addresses, the node's own included). */
export const IPV6_DISABLE_PATH = '/proc/sys/net/ipv6/conf/all/disable_ipv6';

/**
 * On an IPv6 cluster, whether the interfaces have IPv6 at all: a hardening baseline's
 * `net.ipv6.conf.all.disable_ipv6 = 1` takes every IPv6 address off them, the node's and its pods'
 * with them. aws-node's init container sets 0 as it starts in IPv6 mode, so 1 before it has run is
 * a boot's order, and after it something set it back. Undefined when it is 0 or unread (a kernel
 * without IPv6 is ipv6Forwarding's).
 */
async function ipv6Interfaces(deps: DoctorDeps): Promise<KernelForwarding | undefined> {
  const value = await procValue(deps, IPV6_DISABLE_PATH);
  if (value === undefined || value === '0') return undefined;
  return cniSwitch(deps, {
    key: 'net.ipv6.conf.all.disable_ipv6',
    value,
    on: '0',
    isOff: 'IPv6 is turned off on every interface',
    effect: "the node's and its pods' IPv6 addresses are gone, and an IPv6 cluster reaches both by them alone",
  });
}

/** The kernel's command line, where ipv6.disable=1 turns IPv6 off for the whole boot. */
const KERNEL_CMDLINE_PATH = '/proc/cmdline';

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
      const kernel4 = await ipv4Forwarding(deps);
      const ipv4 = await judgeChain(deps, 'ipv4', budget());
      // the cluster's family as the config line resolved it (none: IPv4, as before there was a config to say)
      const ipv6Cluster = serviceCidrFamily((await ctx.optional<ConfigValue>('config'))?.config.spec.cluster.cidr) === 'ipv6';
      const kernels = [kernel4, ...(ipv6Cluster ? [await ipv6Interfaces(deps), await ipv6Forwarding(deps)] : [])].filter((k) => k !== undefined);
      const off = kernels.filter((k) => k.off);
      if (off.length > 0) {
        const set = off.map((k) => k.off!.set).filter((kv) => kv !== undefined);
        return {
          status: 'fail',
          detail: `${off.map((k) => k.found).join('; ')}; ${ipv4.found}`,
          ...(ipv4.lines ? { value: { lines: ipv4.lines } satisfies ForwardChain } : {}),
          hint: `${[...new Set(off.map((k) => k.off!.effect ?? NO_FORWARDING))].join('; ')}; a hardening baseline (CIS, STIG) often sets this: ${off.map((k) => k.off!.undo).join('; ')}${set.length > 0 ? `, and run \`sysctl -w ${set.join(' ')}\`` : ''}`,
        };
      }
      const kernelFound = kernels.map((k) => `; ${k.found}`).join('');
      if (!ipv4.lines)
        return { status: 'warn', detail: `${ipv4.found}${kernelFound}`, hint: 'run the doctor as root (sudo eks-node-agent doctor) on a node with iptables' };
      const judged = [ipv4];
      if (ipv6Cluster) judged.push(await judgeChain(deps, 'ipv6', budget()));
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
