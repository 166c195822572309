/**
 * The agent's lines in /etc/fstab, so a reboot mounts the same filesystems by UUID before the
 * agent runs, without the agent redoing anything. fstab rather than hand-written mount units
 * because its generator understands `nofail` and `x-systemd.device-timeout`: after a stop/start
 * the instance-store disks come back blank, the UUID never appears, and the boot must wait
 * seconds for it, not the default 90, then let the run phase rebuild.
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
  const lines = existing.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const kept: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (line === BEGIN) inside = true;
    else if (line === END) inside = false;
    else if (!inside) kept.push(line);
  }
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

/** Mount targets in a mounts table (proc/mounts format), unescaped. */
export function mountedTargets(mounts: string): Set<string> {
  const targets = new Set<string>();
  for (const line of mounts.split('\n')) {
    const target = line.split(' ')[1];
    if (target) targets.add(unescapeField(target));
  }
  return targets;
}
