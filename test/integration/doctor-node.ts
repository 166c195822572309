import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { stringify } from 'yaml';
import { render } from '../../agent/src/render/index.js';
import type { ResolvedNodeConfig } from '../../agent/src/api/schema.js';
import type { Facts } from '../../agent/src/facts/types.js';
import { DEFAULT_IMDS_INSTANCE, startImds, type ImdsEmulator } from '../emulators/imds.js';
import { startApiServer, type ApiServer } from '../emulators/apiserver.js';
import { createTestCa, issueServerCert, type TestCert } from '../support/pki.js';
import { startSts, type StsEmulator } from '../emulators/sts.js';
import { BUNDLE, REPO, fixture, runAgent } from '../support/agent.js';

/*
 * A configured node for `eks-node-agent doctor` tests: loopback emulators (IMDS, STS, a fake TLS
 * Kubernetes API server), a node root holding what `init` writes, and doubles of systemctl,
 * journalctl and aws-iam-authenticator on the PATH. Shared by doctor.test.ts and
 * doctor.tools.test.ts (the cases that need tools outside npm); the bindings below are live, so
 * tests read them after the hooks ran.
 */

export const run = promisify(execFile);

export interface Check {
  name: string;
  status: string;
  detail: string;
  hint?: string;
  skippedBecause?: string;
}

export const INSTANCE = DEFAULT_IMDS_INSTANCE;
export const NODE = INSTANCE.privateDnsName;
export const KUBELET_VERSION = 'v1.33.1';
export const CONTAINERD_VERSION = '1.7.27';

export let api: ApiServer;
export let sts: StsEmulator;
export let imds: ImdsEmulator;
export let otherCa: TestCert;
/** the kubelet's serving certificate, as EKS signs it for an approved kubernetes.io/kubelet-serving CSR */
export let servingCert: TestCert;
export let work: string;
export let root: string;
export let unitState: string;
export let journalDir: string;
export let endpoint: string;

export function nodeConfig(overrides: { apiServerEndpoint?: string; certificateAuthority?: string } = {}): ResolvedNodeConfig {
  return {
    apiVersion: 'node.eks.aws/v1alpha1',
    kind: 'NodeConfig',
    spec: {
      cluster: {
        name: 'doctor-test',
        apiServerEndpoint: overrides.apiServerEndpoint ?? endpoint,
        certificateAuthority: overrides.certificateAuthority ?? api.caBase64,
        cidr: '10.100.0.0/16',
      },
    },
  };
}

/** What gatherInstanceFacts finds on the emulated instance and the prepared root. */
export function facts(): Facts {
  return {
    instance: {
      instanceId: INSTANCE.instanceId,
      instanceType: INSTANCE.instanceType,
      region: INSTANCE.region,
      availabilityZone: INSTANCE.availabilityZone,
      mac: INSTANCE.mac,
      privateIpv4: INSTANCE.privateIpv4,
      privateDnsName: INSTANCE.privateDnsName,
      cpuMillicores: 2000,
      memoryMiB: 7812,
      kubeletVersion: KUBELET_VERSION,
      containerdVersion: CONTAINERD_VERSION,
    },
    eniLimits: { enis: 3, ipv4PerEni: 10 },
  };
}

/** Writes what `init` would have written for this config, as a configured node has it. */
export async function configureNode(config: ResolvedNodeConfig, extra: Partial<Facts> = {}): Promise<void> {
  for (const file of render(config, { ...facts(), ...extra }).files) {
    const path = join(root, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.content);
    await chmod(path, file.mode);
  }
}

export async function setUnits(states: Record<string, string>): Promise<void> {
  await rm(unitState, { recursive: true, force: true });
  await mkdir(unitState, { recursive: true });
  for (const [unit, state] of Object.entries(states)) await writeFile(join(unitState, unit), `${state}\n`);
}

export async function doctor(args: string[] = [], env: Record<string, string> = {}) {
  const result = await runAgent(['doctor', '--root', root, ...args], {
    env: {
      PATH: `${REPO}test/doubles/doctor-bin:${REPO}test/doubles:${process.env.PATH}`,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
      AWS_ENDPOINT_URL_STS: sts.url,
      // never let a fallback reach for the real AWS: these ports are closed
      AWS_ENDPOINT_URL_EKS: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9',
      SYSTEMCTL_DOUBLE_STATE: unitState,
      JOURNALCTL_DOUBLE_DIR: journalDir,
      ...env,
    },
    timeoutMs: 60_000,
  });
  return result;
}

export async function doctorJson(args: string[] = [], env: Record<string, string> = {}) {
  const result = await doctor(['--output', 'json', ...args], env);
  let checks: Check[];
  try {
    checks = JSON.parse(result.stdout) as Check[];
  } catch {
    throw new Error(`doctor printed no JSON (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
  }
  const by = (name: string): Check => {
    const c = checks.find((x) => x.name === name);
    if (!c) throw new Error(`no check ${name} in ${result.stdout}`);
    return c;
  };
  return { ...result, checks, by };
}

/** Registers the hooks that start the emulators and lay out the node root, for the file calling it. */
export function useDoctorNode(): void {
  beforeAll(async () => {
    // `npm test` builds the agent first; a file run on its own builds it only when it is missing
    // (rebuilding under other test files would make them switch from the executable mid-run).
    if (!existsSync(BUNDLE)) await run('npm', ['run', 'build', '--silent'], { cwd: REPO });
    [api, sts, otherCa] = await Promise.all([
      startApiServer(),
      startSts({ sessionName: INSTANCE.instanceId }),
      createTestCa({ commonName: 'other-cluster', days: 3650 }),
    ]);
    imds = await startImds();
    servingCert = await issueServerCert(api.ca, { commonName: `system:node:${NODE}`, sans: [`DNS:${NODE}`, `IP:${INSTANCE.privateIpv4}`], days: 365 });
    endpoint = `https://localhost:${api.port}`;
    work = await mkdtemp(join(tmpdir(), 'doctor-test-'));
    root = join(work, 'root');
    unitState = join(work, 'units');
    journalDir = join(work, 'journal');
    await mkdir(join(root, 'sys/devices/system/cpu'), { recursive: true });
    await mkdir(join(root, 'proc'), { recursive: true });
    await mkdir(join(root, 'etc/eks'), { recursive: true });
    await mkdir(journalDir, { recursive: true });
    await writeFile(join(root, 'sys/devices/system/cpu/online'), '0-1\n');
    await writeFile(join(root, 'proc/meminfo'), 'MemTotal:        8000000 kB\nMemFree:         4000000 kB\n');
    await writeFile(join(root, 'etc/eks/kubelet-version.txt'), `${KUBELET_VERSION}\n`);
    await writeFile(join(root, 'etc/eks/containerd-version.txt'), `${CONTAINERD_VERSION}\n`);
    await copyFile(fixture('instance-types.jsonl'), join(root, 'etc/eks/instance-types.jsonl'));
    // the instance's one PCI device, its ENA network adapter (Amazon's vendor id): no GPU
    await mkdir(join(root, 'sys/bus/pci/devices/0000:00:05.0'), { recursive: true });
    await writeFile(join(root, 'sys/bus/pci/devices/0000:00:05.0/vendor'), '0x1d0f\n');
  }, 120_000);

  afterAll(async () => {
    await Promise.all([api?.close(), sts?.close(), imds?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  beforeEach(async () => {
    api.setAuth('ok');
    api.setClockSkew(0);
    api.setVersion('v1.33.1-eks-fake');
    sts.setAccessDenied(false);
    // a fresh Node: a case's conditions (pressure), capacity or registration time do not carry over
    api.nodes.delete(NODE);
    api.setNodeReady(NODE, 'True');
    const config = nodeConfig();
    imds.setUserData(stringify(config));
    await rm(join(root, 'etc/kubernetes'), { recursive: true, force: true });
    // each case is a boot of its own: no IMDS answers kept by an earlier case's config phase
    await rm(join(root, 'run/eks-node-agent'), { recursive: true, force: true });
    // a local-cluster case's bootstrap kubeconfig and pin
    await rm(join(root, 'var/lib/kubelet/bootstrap-kubeconfig'), { force: true });
    await rm(join(root, 'etc/hosts'), { force: true });
    // a pod network case's CNI configuration, a stuck pods case's pods and ipamd log
    await rm(join(root, 'etc/cni'), { recursive: true, force: true });
    await rm(join(root, 'var/log/aws-routed-eni'), { recursive: true, force: true });
    api.pods.length = 0;
    api.csrs.clear();
    // the kernel forwarding IPv4, as the image's sysctl file sets it; a case's hardening files go
    await mkdir(join(root, 'proc/sys/net/ipv4'), { recursive: true });
    await writeFile(join(root, 'proc/sys/net/ipv4/ip_forward'), '1\n');
    await rm(join(root, 'etc/sysctl.d'), { recursive: true, force: true });
    // the nameservers the kubelet hands pods, as DHCP writes them on an EC2 instance
    await rm(join(root, 'etc/resolv.conf'), { force: true });
    await writeFile(join(root, 'etc/resolv.conf'), 'nameserver 169.254.169.253\nsearch us-west-2.compute.internal\n');
    // the kernel's view of an instance without md arrays, and its host name as EC2 sets it
    await writeFile(join(root, 'proc/mdstat'), 'Personalities : \nunused devices: <none>\n');
    await mkdir(join(root, 'proc/sys/kernel'), { recursive: true });
    await writeFile(join(root, 'proc/sys/kernel/hostname'), `${NODE}\n`);
    await configureNode(config);
    await setUnits({ 'containerd.service': 'active', 'kubelet.service': 'active' });
    for (const f of await readdir(journalDir)) await rm(join(journalDir, f));
    // the kubelet's serving certificate and key, in one file as the kubelet keeps them
    await rm(join(root, 'var/lib/kubelet/pki'), { recursive: true, force: true });
    await mkdir(join(root, 'var/lib/kubelet/pki'), { recursive: true });
    await writeFile(join(root, 'var/lib/kubelet/pki/kubelet-server-current.pem'), `${servingCert.certPem}${servingCert.keyPem}`, { mode: 0o600 });
  });
}
