/**
 * A boot's critical path, read from its journal (`journalctl -o short-monotonic`), as a result:
 * the phases in seconds since the kernel started, the stretch that is ours (network-online →
 * kubelet started) and the OS's own boot to network-online beside it as the yardstick. Pure, so
 * the table the system test prints is tested on a canned journal.
 */

/** Seconds since the kernel started (the journal's monotonic clock); absent when the boot never got there. */
export interface BootPhases {
  networkOnline?: number;
  configStart?: number;
  configEnd?: number;
  configFailed?: number;
  /** cloud-init's final stage (user-data scripts) finished: the run phase waits for it */
  cloudFinalEnd?: number;
  runStart?: number;
  runEnd?: number;
  /** the containerd start the kubelet found: the last one before the kubelet started */
  containerdActive?: number;
  /** how often containerd became active before the kubelet started (2: started early, restarted by the run phase) */
  containerdStarts: number;
  kubeletStarted?: number;
  nodeRegistered?: number;
  ready?: number;
}

export interface BootTimeline {
  case: string;
  /** 'first' boot, 'after reboot', or 'boot N' of a measurement series */
  boot: string;
  phases: BootPhases;
  /** the OS's own boot, the yardstick: kernel → network-online */
  os?: number;
  /** ours: network-online → kubelet started */
  ours?: number;
  /** the agent's own step lines (`resolve config 120 ms`), with when each was logged */
  agentSteps: Array<{ at: number; step: string }>;
}

const PATTERNS: Array<[Exclude<keyof BootPhases, 'containerdStarts' | 'containerdActive'>, RegExp]> = [
  ['networkOnline', /Reached target network-online\.target/],
  ['configStart', /Starting eks-node-agent-config\.service|Starting eks-node-agent: resolve/],
  ['configEnd', /Finished eks-node-agent-config\.service|Finished eks-node-agent: resolve/],
  ['configFailed', /eks-node-agent-config\.service: Failed with result/],
  ['cloudFinalEnd', /Finished cloud-final\.service/],
  ['runStart', /Starting eks-node-agent-run\.service|Starting eks-node-agent: start/],
  ['runEnd', /Finished eks-node-agent-run\.service|Finished eks-node-agent: start/],
  ['kubeletStarted', /kubelet test double: started/],
  ['nodeRegistered', /kubelet test double: registered node/],
  ['ready', /kubelet test double: node .* Ready \(first heartbeat\)/],
];
const CONTAINERD_ACTIVE = /Started containerd\.service|Started containerd container runtime/;
const AGENT_STEP = /eks-node-agent(?:\[\d+\])?: eks-node-agent: (.+? \d+ ms(?: \(.*\))?)$/;

const round = (s: number) => Math.round(s * 100) / 100;

/** The phases of one boot; each is the first matching journal line (containerd: the last before the kubelet). */
export function bootTimeline(journal: string, name: string, boot: string): BootTimeline {
  const phases: BootPhases = { containerdStarts: 0 };
  const agentSteps: BootTimeline['agentSteps'] = [];
  const containerd: number[] = [];
  for (const line of journal.split('\n')) {
    const m = /^\[\s*(\d+\.\d+)\]/.exec(line);
    if (!m) continue;
    const at = Number(m[1]);
    const step = AGENT_STEP.exec(line);
    if (step) {
      agentSteps.push({ at, step: step[1]! });
      continue;
    }
    if (CONTAINERD_ACTIVE.test(line)) containerd.push(at);
    for (const [key, re] of PATTERNS) if (phases[key] === undefined && re.test(line)) phases[key] = at;
  }
  const beforeKubelet = phases.kubeletStarted === undefined ? containerd : containerd.filter((at) => at <= phases.kubeletStarted!);
  phases.containerdStarts = beforeKubelet.length;
  if (beforeKubelet.length > 0) phases.containerdActive = beforeKubelet.at(-1);
  const t: BootTimeline = { case: name, boot, phases, agentSteps };
  if (phases.networkOnline !== undefined) t.os = phases.networkOnline;
  if (phases.networkOnline !== undefined && phases.kubeletStarted !== undefined) t.ours = round(phases.kubeletStarted - phases.networkOnline);
  return t;
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

const COLUMNS: Array<[string, (t: BootTimeline) => number | undefined]> = [
  ['net-online', (t) => t.phases.networkOnline],
  ['config', (t) => t.phases.configStart],
  ['config end', (t) => t.phases.configEnd ?? t.phases.configFailed],
  ['cloud-final end', (t) => t.phases.cloudFinalEnd],
  ['run', (t) => t.phases.runStart],
  ['containerd', (t) => t.phases.containerdActive],
  ['kubelet', (t) => t.phases.kubeletStarted],
  ['run end', (t) => t.phases.runEnd],
  ['registered', (t) => t.phases.nodeRegistered],
  ['Ready', (t) => t.phases.ready],
  ['OS', (t) => t.os],
  ['ours', (t) => t.ours],
];

/**
 * The columns a series' median row fills: the two stretches, and the kubelet's start since the
 * kernel's, which tells whether a shorter `ours` came from the OS's stretch growing.
 */
const MEDIAN_COLUMNS = new Set(['kubelet', 'OS', 'ours']);

/**
 * One table, a row per boot, phases in seconds since kernel start; `OS` is kernel →
 * network-online, `ours` network-online → kubelet started. A case booted more than once gets
 * a median row for those two and for the kubelet's start.
 */
export function timelineTable(timelines: readonly BootTimeline[]): string[] {
  const rows: string[][] = [];
  const cell = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(1));
  const cases = [...new Set(timelines.map((t) => t.case))];
  for (const name of cases) {
    const boots = timelines.filter((t) => t.case === name);
    for (const t of boots) rows.push([`${t.case} (${t.boot})`, ...COLUMNS.map(([, get]) => cell(get(t)))]);
    const series = boots.filter((t) => t.boot.startsWith('boot '));
    if (series.length > 1) {
      const med = (get: (t: BootTimeline) => number | undefined) => median(series.map(get).filter((v): v is number => v !== undefined));
      rows.push([`${name} (median of ${series.length})`, ...COLUMNS.map(([title, get]) => (MEDIAN_COLUMNS.has(title) ? cell(med(get)) : ''))]);
    }
  }
  const header = ['case (boot)', ...COLUMNS.map(([title]) => title)];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)];
}
