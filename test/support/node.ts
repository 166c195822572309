import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startImds, type ImdsEmulator, type ImdsOptions } from '../emulators/imds.js';
import { startEks, type EksEmulator, type EksOptions } from '../emulators/eks.js';
import { startEc2, type Ec2Emulator, type Ec2Options } from '../emulators/ec2.js';
import { REPO, runAgent, type AgentResult } from './agent.js';

/**
 * A simulated node for integration tests: a root laid out like the baked image (version files,
 * instance-type table, /proc and /sys facts), the IMDS, EKS and EC2 emulators, and the
 * systemctl TEST DOUBLE on PATH recording what the agent asks of systemd.
 */
export interface SimulatedNode {
  root: string;
  imds: ImdsEmulator;
  eks: EksEmulator;
  ec2: Ec2Emulator;
  /** runs the built agent with this node's endpoints and root */
  agent(args: string[], env?: Record<string, string>, opts?: { nodeArgs?: string[]; sigkillAfterMs?: number }): Promise<AgentResult>;
  systemctlCalls(): string[];
  /** sets a unit's state in the systemctl double (active, activating, inactive, failed) */
  setUnitState(unit: string, state: string): void;
  read(path: string): string;
  /** every file under the root (node paths), with content, for before/after comparisons */
  snapshot(): Record<string, string>;
  close(): Promise<void>;
}

export interface NodeOptions {
  imds?: ImdsOptions;
  eks?: EksOptions;
  ec2?: Ec2Options;
  cpus?: number;
  containerdVersion?: string;
  kubeletVersion?: string;
}

/**
 * Lays `dir` out like the baked image on a new m5.large-ish node: version files, the
 * instance-type table, and the /proc and /sys facts the agent reads. Returns `dir`.
 */
export function layoutNodeRoot(dir: string, options: Pick<NodeOptions, 'cpus' | 'containerdVersion' | 'kubeletVersion'> = {}): string {
  const put = (path: string, content: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  };
  put('/etc/eks/kubelet-version.txt', `${options.kubeletVersion ?? 'v1.33.1'}\n`);
  put('/etc/eks/containerd-version.txt', `${options.containerdVersion ?? '1.7.27'}\n`);
  put('/etc/eks/instance-types.jsonl', readFileSync(join(REPO, 'test/fixtures/instance-types.jsonl'), 'utf8'));
  put('/sys/devices/system/cpu/online', `0-${(options.cpus ?? 2) - 1}\n`);
  put('/proc/meminfo', 'MemTotal:        7910616 kB\nMemFree:         7000000 kB\n');
  return dir;
}

export async function startNode(options: NodeOptions = {}): Promise<SimulatedNode> {
  const root = layoutNodeRoot(mkdtempSync(join(tmpdir(), 'eks-node-root-')), options);
  const state = mkdtempSync(join(tmpdir(), 'eks-node-units-'));
  const [imds, eks, ec2] = await Promise.all([startImds(options.imds), startEks(options.eks), startEc2(options.ec2)]);
  const log = join(state, 'calls.log');
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  return {
    root,
    imds,
    eks,
    ec2,
    agent: (args, env = {}, opts = {}) =>
      runAgent(args, {
        ...opts,
        env: {
          PATH: `${join(REPO, 'test/doubles')}:${process.env.PATH}`,
          AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
          AWS_ENDPOINT_URL_EKS: eks.url,
          AWS_ENDPOINT_URL_EC2: ec2.url,
          AWS_ACCESS_KEY_ID: 'AKIDTESTNODE',
          AWS_SECRET_ACCESS_KEY: 'test-secret',
          SYSTEMCTL_DOUBLE_LOG: log,
          SYSTEMCTL_DOUBLE_STATE: state,
          ...env,
        },
      }),
    systemctlCalls: () => {
      try {
        return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    setUnitState: (unit, unitState) => writeFileSync(join(state, unit), `${unitState}\n`),
    read: (path) => readFileSync(join(root, path), 'utf8'),
    snapshot: () =>
      Object.fromEntries(
        walk(root)
          .sort()
          .map((f) => [`/${relative(root, f)}`, `${(statSync(f).mode & 0o777).toString(8)}:${readFileSync(f, 'utf8')}`]),
      ),
    close: async () => {
      await Promise.all([imds.close(), eks.close(), ec2.close()]);
      for (const dir of [root, state]) rmSync(dir, { recursive: true, force: true });
    },
  };
}
