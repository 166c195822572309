import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsyncSync, lstatSync, openSync, renameSync, rmSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { NodeConfig } from '../api/schema.js';
import { serviceUnitName } from '../api/validate.js';
import { EnvironmentError, describeCause } from '../errors.js';
import { CLUSTER_CACHE_PATH } from '../facts/cluster.js';
import { PATHS, unitEnvironmentPath } from '../render/paths.js';
import type { ConfigValue } from './checks/config.js';
import type { ForwardChain } from './checks/forward.js';
import type { RegistrationValue } from './checks/apiserver.js';
import type { PodsValue } from './checks/pods.js';
import type { PodDnsValue } from './checks/pod-dns.js';
import type { Plan } from '../render/plan.js';
import { formatJson } from './report.js';
import { tarGz, type TarEntry } from './tar.js';
import { JOURNAL_LINES, UNITS, pullsThroughSoci } from './checks/services.js';
import { SOCI } from '../render/fast-image-pull.js';
import { CNI_CONF_DIR, cniConfigs } from './pod-network.js';
import { CNI_PLUGIN_LOG, IPAMD_LOG, IPAMD_TAIL_BYTES } from './pod-sandboxes.js';
import { REDACTED, scrub, secretsOf } from './scrub.js';
import type { InstanceIdentity, InstanceRole } from './checks/imds.js';
import type { DoctorOutcome } from './index.js';
import type { DoctorDeps } from './types.js';

/**
 * The files the agent writes, for when the plan could not be computed (no facts): every fixed
 * path, the cluster cache, and the unit drop-ins the config's environment names, resolved by the
 * same rule set that plans them.
 */
export function expectedPathsWithoutPlan(config: NodeConfig | undefined): string[] {
  const fixed = [
    PATHS.kubeletConfig,
    PATHS.kubeletDropIn,
    PATHS.kubeletEnvironment,
    PATHS.kubeconfig,
    PATHS.bootstrapKubeconfig,
    PATHS.caCert,
    PATHS.credentialProviderConfig,
    PATHS.containerdConfig,
    PATHS.baseRuntimeSpec,
  ];
  const units = Object.keys(config?.spec?.instance?.environment ?? {}).flatMap((key) => {
    const unit = serviceUnitName(key);
    return 'value' in unit ? [unitEnvironmentPath(unit.value)] : [];
  });
  return [...fixed, CLUSTER_CACHE_PATH, ...units].sort();
}

/** The node's storage state, as the doctor's local-storage check reads it (under the root). */
const STORAGE_STATE = [
  ['fstab', '/etc/fstab'],
  ['mounts', '/proc/mounts'],
  ['mdstat', '/proc/mdstat'],
] as const;

/**
 * Environment drop-ins carry the user's variables (proxy passwords, ...): keep only the names.
 * Each assignment is one double-quoted `"NAME=value"` word (unit and system.conf.d alike).
 */
function scrubEnvironmentFile(path: string, text: string): string {
  if (!/\/environment\.conf$/.test(path)) return text;
  return text.replace(/"([A-Za-z_][A-Za-z0-9_]*)=(?:[^"\\]|\\.)*"/g, `"$1=${REDACTED}"`);
}

export async function buildBundle(deps: DoctorDeps, outcome: DoctorOutcome, timeoutMs: number): Promise<Buffer> {
  const deadline = Date.now() + timeoutMs;
  const left = (): number => Math.max(1, deadline - Date.now());
  const role = outcome.values.get('instance-profile') as InstanceRole | undefined;
  const secrets = secretsOf(outcome.values);
  const clean = (text: string): string => scrub(text, secrets);
  const entries: TarEntry[] = [];
  const add = (path: string, text: string): void => void entries.push({ path: `eks-node-doctor/${path}`, content: clean(text) });

  add('report.json', formatJson(outcome.results));

  const plan = (outcome.values.get('files') as { plan?: Plan } | undefined)?.plan;
  const config = outcome.values.get('config') as ConfigValue | undefined;
  const paths = plan ? plan.files.map((f) => f.path) : expectedPathsWithoutPlan(config?.source);
  // A file that is there and cannot be read (a directory in its place, a permission) gets an
  // entry beside where it would be, saying why, and the bundle goes on.
  const addFile = async (entry: string, path: string, text: (content: string) => string = (c) => c): Promise<void> => {
    try {
      const onDisk = await deps.readFile(path);
      if (onDisk) add(entry, text(onDisk.content.toString('utf8')));
    } catch (err) {
      add(`${entry}.unreadable`, `${describeCause(err)}\n`);
    }
  };
  for (const path of [...new Set(paths)].sort()) await addFile(`files${path}`, path, (c) => scrubEnvironmentFile(path, c));
  for (const f of plan?.files ?? []) add(`rendered${f.path}`, scrubEnvironmentFile(f.path, f.content));
  // what local storage is judged against: the agent's fstab block, what is mounted, the md arrays
  for (const [name, path] of STORAGE_STATE) await addFile(`storage/${name}`, path);

  // the pod network's configuration, which a Node NotReady for its network lacks (registration line)
  const cniEntries = await deps.listDir(CNI_CONF_DIR).catch((err: unknown) => `unreadable: ${describeCause(err)}`);
  const cniFiles = Array.isArray(cniEntries) ? cniConfigs(cniEntries) : [];
  add(
    'cni/net.d.txt',
    typeof cniEntries === 'string'
      ? `${CNI_CONF_DIR}: ${cniEntries}\n`
      : cniEntries === undefined
        ? `${CNI_CONF_DIR}: missing\n`
        : `${cniEntries.sort().join('\n')}\n`,
  );
  for (const name of cniFiles) await addFile(`cni/net.d/${name}`, `${CNI_CONF_DIR}/${name}`);
  // the VPC CNI's logs, their ends (they grow to many MB): why a pod got no address (pods line)
  for (const log of [IPAMD_LOG, CNI_PLUGIN_LOG]) {
    const tail = await deps.readTail(log, IPAMD_TAIL_BYTES).catch((err: unknown) => `unreadable: ${describeCause(err)}\n`);
    if (tail !== undefined) add(`cni/${basename(log)}`, tail);
  }

  // why an entry a check would have given is not there: that check's line
  const notRead = (check: string): string => {
    const line = outcome.results.find((c) => c.name === check);
    return `not read: ${line ? `${line.status}: ${line.detail}` : `the ${check} check did not run`}`;
  };
  const notReadJson = (check: string): string => `${JSON.stringify({ error: notRead(check) }, null, 2)}\n`;

  // the Node and the pods bound to it as the API server gave them (their state, not their specs)
  const node = (outcome.values.get('registration') as RegistrationValue | undefined)?.node;
  add('kubernetes/node.json', node ? `${JSON.stringify(node, null, 2)}\n` : notReadJson('registration'));
  const pods = (outcome.values.get('pods') as PodsValue | undefined)?.pods;
  add('kubernetes/pods.json', pods ? `${JSON.stringify(pods, null, 2)}\n` : notReadJson('pods'));

  // the nameservers the kubelet hands pods (pod-dns line)
  const podDns = outcome.values.get('pod-dns') as PodDnsValue | undefined;
  if (podDns) add('dns/kubelet-resolv.conf', `# ${podDns.path}\n${podDns.text}`);

  // the chain the forward-policy check judged: its rules too, which the report line only counts
  const forward = outcome.values.get('forward-policy') as ForwardChain | undefined;
  add('iptables/FORWARD', forward ? `${forward.lines.join('\n')}\n` : `${notRead('forward-policy')}\n`);
  if (forward?.ipv6Lines) add('iptables/FORWARD-ipv6', `${forward.ipv6Lines.join('\n')}\n`);

  // the SOCI snapshotter's too where the plan pulls through it: containerd does not start without it
  const units = [...UNITS.map((u) => u.unit), ...(plan && pullsThroughSoci(plan) ? [SOCI.unit] : [])];
  for (const unit of units) {
    try {
      add(`units/${unit}.json`, `${JSON.stringify(await deps.systemctlShow(unit, left()), null, 2)}\n`);
    } catch (err) {
      add(`units/${unit}.json`, `${JSON.stringify({ unit, error: describeCause(err) }, null, 2)}\n`);
    }
    try {
      const lines = await deps.journal(unit, JOURNAL_LINES, left());
      add(`journal/${unit}.log`, lines.length > 0 ? `${lines.join('\n')}\n` : '');
    } catch (err) {
      add(`journal/${unit}.log`, `journal unreadable: ${describeCause(err)}\n`);
    }
  }

  let versions: Record<string, string>;
  try {
    versions = await deps.versions(left());
  } catch (err) {
    versions = { error: describeCause(err) };
  }
  add('versions.json', `${JSON.stringify(Object.fromEntries(Object.entries(versions).sort(([a], [b]) => a.localeCompare(b))), null, 2)}\n`);

  // IMDS's own answer, else the one the checks took from this boot's kept answers
  const live = outcome.values.get('imds') as InstanceIdentity | undefined;
  const identity = live ?? (outcome.values.get('config') as ConfigValue | undefined)?.identity;
  const instance = identity
    ? {
        ...Object.fromEntries(Object.entries(identity).sort(([a], [b]) => a.localeCompare(b))),
        ...(live ? {} : { source: "this boot's kept IMDS answers (IMDS did not answer doctor)" }),
        ...(role ? { roleName: role.roleName, ...(role.instanceProfileArn ? { instanceProfileArn: role.instanceProfileArn } : {}) } : {}),
      }
    : { error: 'IMDS did not answer (see report.json)' };
  add('instance.json', `${JSON.stringify(instance, null, 2)}\n`);
  return tarGz(entries);
}

function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Writes the bundle as root may be asked to, in a directory others can write: into a new file
 * (O_EXCL|O_NOFOLLOW, 0600, so no planted symlink or file is written through), renamed over the
 * target only when the target is absent or a regular file of ours. The rename replaces a name,
 * never follows it, so even a swap after the check cannot redirect the bytes.
 */
export function writeBundleFile(path: string, data: Buffer): void {
  const fail = (why: string, cause?: unknown): never => {
    throw new EnvironmentError(`--bundle ${path}: ${why}`, cause === undefined ? {} : { cause });
  };
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, data);
      fchmodSync(fd, 0o600);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    rmSync(temp, { force: true });
    fail(`cannot write (${describeCause(err)})`, err);
  }
  try {
    const existing = lstatSync(path, { throwIfNoEntry: false });
    if (existing && !existing.isFile()) fail(`exists and is ${kindOf(existing)}; refusing to replace it (name a new file)`);
    const uid = process.geteuid?.();
    if (existing && uid !== undefined && existing.uid !== uid) fail(`exists and belongs to uid ${existing.uid}; refusing to replace it (name a new file)`);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    if (err instanceof EnvironmentError) throw err;
    fail(`cannot write (${describeCause(err)})`, err);
  }
}
