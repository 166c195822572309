import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ssh, sshOk, sshPut, type SshTarget } from './ssh.js';

/** One named assertion's outcome; a case passes when all of its checks pass. */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export class Checks {
  readonly results: CheckResult[] = [];
  constructor(private readonly log: (line: string) => void) {}

  /**
   * Runs `fn`; a thrown error fails the check. Each line ends with the check's own seconds, so
   * a case that nears the CI budget shows which check spends its time.
   */
  async check(name: string, fn: () => Promise<string> | string): Promise<boolean> {
    const started = performance.now();
    const took = () => `(${((performance.now() - started) / 1000).toFixed(1)} s)`;
    try {
      const detail = await fn();
      this.results.push({ name, ok: true, detail });
      this.log(`  ok   ${name}${detail ? `: ${detail}` : ''} ${took()}`);
      return true;
    } catch (err) {
      const detail = (err as Error).message;
      this.results.push({ name, ok: false, detail });
      this.log(`  FAIL ${name}: ${detail} ${took()}`);
      return false;
    }
  }

  get ok(): boolean {
    return this.results.every((r) => r.ok);
  }
}

export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Files the agent writes on a node; their digests must survive a reboot unchanged. */
export const AGENT_FILE_GLOBS = [
  '/etc/kubernetes',
  '/etc/eks/kubelet',
  '/var/lib/kubelet/kubeconfig',
  '/etc/containerd',
  '/etc/eks/image-credential-provider/config.json',
];

export async function agentFileDigests(vm: SshTarget): Promise<string> {
  return sshOk(vm, `find ${AGENT_FILE_GLOBS.join(' ')} -type f 2>/dev/null | LC_ALL=C sort | xargs -r sha256sum`);
}

export async function unitState(vm: SshTarget, unit: string, more: string[] = []): Promise<Record<string, string>> {
  const props = ['ActiveState', 'SubState', 'Result', 'ExecMainStatus', 'ExecMainStartTimestampMonotonic', 'NRestarts', ...more];
  const out = await sshOk(vm, `systemctl show ${unit} ${props.map((p) => `-p ${p}`).join(' ')}`);
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/**
 * The instance facts the agent gathered on this VM, rebuilt from the same sources (IMDS values
 * the harness served, /sys and /proc of the VM, the versions the bake recorded), as
 * `eks-node-agent render --instance` takes them.
 */
export async function vmFacts(vm: SshTarget, imds: Record<string, string>): Promise<Record<string, unknown>> {
  const out = await sshOk(
    vm,
    'cat /sys/devices/system/cpu/online; grep ^MemTotal: /proc/meminfo; head -n1 /etc/eks/kubelet-version.txt; head -n1 /etc/eks/containerd-version.txt',
  );
  const [online = '', mem = '', kubelet = '', containerd = ''] = out.trim().split('\n');
  const cpus = online.split(',').reduce((n, part) => {
    const [a, b] = part.split('-').map(Number);
    return n + (b === undefined ? 1 : b - a! + 1);
  }, 0);
  const kib = Number(/(\d+)/.exec(mem)?.[1]);
  const version = (s: string) => /v?(\d+\.\d+\.\d+)/.exec(s)?.[1] ?? s;
  return {
    ...imds,
    cpuMillicores: cpus * 1000,
    memoryMiB: Math.floor(kib / 1024),
    kubeletVersion: `v${version(kubelet)}`,
    containerdVersion: version(containerd),
  };
}

/**
 * Runs `eks-node-agent render` in the VM (the same executable, the same baked instance-type
 * table and sandbox image) for the case's user data and facts, and compares every file it
 * renders with the file `init` left on disk. Returns the list of compared paths.
 */
/** The drop-in directories the units read after user data, so render sees what init saw. */
const DROP_IN_SOURCES = '-c file:///etc/eks/nodeadm.d/ -c file:///etc/eks/eks-node-agent.d/';

export async function compareWithRender(
  vm: SshTarget,
  work: string,
  userData: string,
  facts: Record<string, unknown>,
  cluster: Record<string, string> | undefined,
): Promise<string[]> {
  await writeFile(join(work, 'user-data'), userData);
  await writeFile(join(work, 'facts.json'), `${JSON.stringify(facts, null, 2)}\n`);
  await sshOk(vm, 'rm -rf /tmp/system-test && mkdir -p /tmp/system-test/render');
  await sshPut(vm, join(work, 'user-data'), '/tmp/system-test/user-data');
  await sshPut(vm, join(work, 'facts.json'), '/tmp/system-test/facts.json');
  let clusterArg = '';
  if (cluster) {
    await writeFile(join(work, 'cluster.json'), `${JSON.stringify(cluster, null, 2)}\n`);
    await sshPut(vm, join(work, 'cluster.json'), '/tmp/system-test/cluster.json');
    clusterArg = '--cluster /tmp/system-test/cluster.json';
  }
  const r = await ssh(
    vm,
    `eks-node-agent render -c file:///tmp/system-test/user-data ${DROP_IN_SOURCES} --instance /tmp/system-test/facts.json ${clusterArg} --out /tmp/system-test/render`,
    300_000,
  );
  expect(r.exitCode === 0, `eks-node-agent render exited ${r.exitCode}: ${r.stderr.trim()}`);
  const diff = await ssh(
    vm,
    `cd /tmp/system-test/render && find . -type f | LC_ALL=C sort | while read -r f; do p="/\${f#./}"; if cmp -s "$f" "$p"; then echo "same $p"; else echo "DIFF $p"; diff -u "$p" "$f" | head -n 20; fi; done`,
  );
  const lines = diff.stdout.trim().split('\n').filter(Boolean);
  const same = lines.filter((l) => l.startsWith('same ')).map((l) => l.slice(5));
  const differing = lines.filter((l) => l.startsWith('DIFF '));
  expect(same.length > 0, `render produced no files (${diff.stdout.trim() || diff.stderr.trim()})`);
  expect(differing.length === 0, `on disk and rendered differ:\n${diff.stdout}`);
  return same;
}
