/**
 * The agent's lines in /etc/fstab, so a reboot mounts the same filesystems by UUID before the
 * agent runs, without the agent redoing anything. fstab rather than hand-written mount units
 * because its generator understands `nofail` and `x-systemd.device-timeout`: after a stop/start
 * the instance-store disks come back blank, the UUID never appears, and the boot must wait
 * seconds for it, not the default 90, then let the agent rebuild (the config phase when it starts
 * containerd early, else the run phase).
 */
export const FSTAB_PATH = '/etc/fstab';
const BEGIN = '# BEGIN eks-node-agent local storage (rewritten by eks-node-agent from spec.instance.localStorage)';
const END = '# END eks-node-agent local storage';

/** The units that must find the mounts in place: ordering them after the mounts keeps their files off the root disk. */
const BEFORE = ['eks-node-agent-config.service', 'containerd.service', 'kubelet.service'];
const COMMON = ['nofail', ...BEFORE.map((u) => `x-systemd.before=${u}`)];

export interface FstabEntry {
  /** UUID=… for a filesystem, a directory for a bind mount */
  source: string;
  target: string;
  type: string;
  options: string[];
  pass: 0 | 2;
}

export function filesystemEntry(uuid: string, target: string, type: string): FstabEntry {
  return { source: `UUID=${uuid}`, target, type, options: ['defaults', 'noatime', ...COMMON, 'x-systemd.device-timeout=10s'], pass: 2 };
}

export function bindEntry(source: string, target: string, filesystem: string): FstabEntry {
  // requires-mounts-for: when the array's mount fails, the bind fails too, instead of binding a root-disk directory
  return { source, target, type: 'none', options: ['bind', ...COMMON, `x-systemd.requires-mounts-for=${filesystem}`], pass: 0 };
}

/** fstab separates fields by white space; octal escapes keep a path in one field. */
export function escapeField(value: string): string {
  return value.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

export function unescapeField(value: string): string {
  return value.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Pure: `existing` with the agent's block replaced by `entries` (removed when there are none),
 * every other line kept as it was. The same entries give the same text, so a second run writes nothing.
 */
export function mergeFstab(existing: string, entries: readonly FstabEntry[]): string {
  const { kept } = splitFstab(existing);
  const block = entries.length
    ? [
        BEGIN,
        ...entries.map((e) =>
          [e.source, e.target, e.type, e.options.join(',')]
            .map(escapeField)
            .concat(['0', String(e.pass)])
            .join(' '),
        ),
        END,
      ]
    : [];
  const all = [...kept, ...block];
  return all.length ? `${all.join('\n')}\n` : '';
}

/**
 * The agent's block as fstab holds it now, or undefined when there is none: what a reboot will
 * mount whatever the current NodeConfig says (lines outside the markers are the user's).
 */
export function agentFstabEntries(fstab: string): FstabEntry[] | undefined {
  return splitFstab(fstab)
    .block?.filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [source = '', target = '', type = '', options = '', , pass] = line.trim().split(/\s+/).map(unescapeField);
      return { source, target, type, options: options.split(','), pass: pass === '2' ? 2 : 0 };
    });
}

/** fstab's lines outside the agent's markers, and those between them (undefined when there are no markers). */
function splitFstab(text: string): { kept: string[]; block: string[] | undefined } {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const kept: string[] = [];
  let block: string[] | undefined;
  let inside = false;
  for (const line of lines) {
    if (line === BEGIN) {
      inside = true;
      block ??= [];
    } else if (line === END) inside = false;
    else if (inside) block!.push(line);
    else kept.push(line);
  }
  return { kept, block };
}

/** Mount target -> source in a mounts table (proc/mounts format), unescaped; the last mount on a target wins, as the kernel shows it. */
export function mountTable(mounts: string): Map<string, string> {
  const table = new Map<string, string>();
  for (const line of mounts.split('\n')) {
    const [source, target] = line.split(' ');
    if (source && target) table.set(unescapeField(target), unescapeField(source));
  }
  return table;
}

/**
 * The one line `init`, `config check` and `doctor` give when the NodeConfig names no local
 * storage but an earlier one left the agent's block in /etc/fstab. The agent leaves that block
 * and its mounts alone: unmounting the array under a running node would pull containerd's and
 * the kubelet's state from under them, and rewriting fstab alone would only move the surprise
 * to the next reboot, when /var/lib/kubelet would come back empty on the root disk.
 */
export function leftoverFstabNote(entries: readonly FstabEntry[]): string {
  const targets = entries.map((e) => e.target).join(', ');
  return `spec.instance.localStorage is not set, but ${FSTAB_PATH} still holds the agent's local-storage block from an earlier configuration (${targets}): left in place, so those mounts stay and every reboot mounts them again`;
}
