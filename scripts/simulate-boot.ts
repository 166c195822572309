/**
 * `npm start`: a simulated node boot. Starts the loopback IMDS and EKS emulators, lays out a
 * node root the way the baked image does (version files, instance-type table, /proc and /sys
 * facts), runs the built agent's `init --root` against them with a systemctl TEST DOUBLE (no
 * containerd or kubelet runs here), and shows what the agent did.
 *
 *   npm start [-- --user-data FILE] [-- --name-only] [-- --help]
 */
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { startImds } from '../test/emulators/imds.js';
import { startEks } from '../test/emulators/eks.js';
import { REPO, runAgent } from '../test/support/agent.js';
import { layoutNodeRoot } from '../test/support/node.js';

const USAGE = `Usage: npm start [-- options]

A simulated node boot: loopback IMDS and EKS emulators, a node root laid out like the baked image,
and the built agent's \`init --root\` run against them (systemctl is a test double; no containerd or
kubelet runs). Prints each phase's duration, every file written and the decisions that matter;
the node root is left under the temporary directory (its path is printed) to look at.

Options:
  --user-data <file>  boot with this user data (default: test/fixtures/userdata/karpenter.mime)
  --name-only         boot with user data naming only the cluster, so the agent calls eks:DescribeCluster
  -h, --help          show this help
`;

let values: { 'user-data'?: string; 'name-only'?: boolean; help?: boolean };
try {
  ({ values } = parseArgs({
    options: { 'user-data': { type: 'string' }, 'name-only': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  }));
} catch (err) {
  process.stderr.write(`npm start: ${(err as Error).message.split('\n')[0]}\n\n${USAGE}`);
  process.exit(1);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const defaultUserData = values['name-only'] ? 'test/fixtures/userdata/name-only.yaml' : 'test/fixtures/userdata/karpenter.mime';
const userDataPath = values['user-data'] ?? join(REPO, defaultUserData);

// What the baked image carries, and what the kernel would show on an m5.large.
const root = layoutNodeRoot(mkdtempSync(join(tmpdir(), 'eks-node-boot-')));

const imds = await startImds({ userData: readFileSync(userDataPath) });
const eks = await startEks({ clusters: { demo: {} } });
const systemctlLog = join(root, '..', `${relative(tmpdir(), root)}-systemctl.log`);
try {
  console.log(`simulated node boot: user data ${relative(process.cwd(), userDataPath)}, m5.large, 2 CPUs, root ${root}\n`);
  const started = process.hrtime.bigint();
  const result = await runAgent(['init', '--root', root], {
    env: {
      PATH: `${join(REPO, 'test/doubles')}:${process.env.PATH}`,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
      AWS_ENDPOINT_URL_EKS: eks.url,
      AWS_ACCESS_KEY_ID: 'AKIDSIMULATEDBOOT',
      AWS_SECRET_ACCESS_KEY: 'simulated',
      SYSTEMCTL_DOUBLE_LOG: systemctlLog,
      SYSTEMCTL_DOUBLE_STATE: join(root, '..', `${relative(tmpdir(), root)}-units`),
    },
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  console.log('agent log (stderr):');
  for (const line of result.stderr.trimEnd().split('\n')) console.log(`  ${line}`);
  if (result.stdout.trim()) console.log(result.stdout.trimEnd());
  console.log(`\nexit code ${result.exitCode}, ${wallMs.toFixed(0)} ms wall including process start\n`);
  if (result.exitCode !== 0) process.exitCode = result.exitCode;

  console.log('files written:');
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  const inputs = new Set(['etc/eks/kubelet-version.txt', 'etc/eks/containerd-version.txt', 'etc/eks/instance-types.jsonl']);
  for (const file of walk(root).sort()) {
    const rel = relative(root, file);
    if (inputs.has(rel) || rel.startsWith('proc/') || rel.startsWith('sys/')) continue;
    const st = statSync(file);
    console.log(`  ${(st.mode & 0o777).toString(8).padStart(4, '0')} ${String(st.size).padStart(6)}  /${rel}`);
  }
  try {
    const kubelet = JSON.parse(readFileSync(join(root, 'etc/kubernetes/kubelet/config.json'), 'utf8'));
    console.log('\ndecisions:');
    console.log(`  maxPods ${kubelet.maxPods}, kubeReserved ${JSON.stringify(kubelet.kubeReserved)}`);
    console.log(`  clusterDNS ${JSON.stringify(kubelet.clusterDNS)}, providerID ${kubelet.providerID}`);
    const args = readFileSync(join(root, 'etc/eks/kubelet/environment'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('KUBELET_ARGS='));
    for (const line of args) console.log(`  ${line}`);
  } catch {
    // no kubelet config: the error above says why
  }
  console.log(`\neks:DescribeCluster calls: ${eks.requests.length}; IMDS requests: ${imds.requests.length}`);
  try {
    console.log(`systemctl calls (test double): ${readFileSync(systemctlLog, 'utf8').trim().split('\n').join('; ')}`);
  } catch {
    console.log('systemctl calls (test double): none');
  }
} finally {
  await imds.close();
  await eks.close();
}
