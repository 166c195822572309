import type { RoleCredentials } from '../aws/instance-role.js';
import type { NodeConfig } from '../api/schema.js';
import type { ServiceEnvironment, UnitStatus } from '../apply/unit-status.js';
import type { LocalStorageState } from '../apply/local-storage.js';
import type { LocalStorageIntent } from '../storage/plan.js';
import type { Imds } from '../aws/imds.js';
import type { CallerIdentity } from '../aws/sts.js';
import type { NodePlan } from '../boot.js';
import type { ClusterResolution } from '../facts/cluster.js';
import type { ClusterDescription } from '../aws/eks.js';
import type { NodeNameSource } from '../facts/instance.js';

export type { CallerIdentity } from '../aws/sts.js';
export type { UnitStatus } from '../apply/unit-status.js';

/** `timeout`: the run deadline (--timeout) cut the check before it could tell ok from fail. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'timeout' | 'skipped';

/** One line of the report. */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** what was found */
  detail: string;
  /** for warn/fail: the likely cause and the fix */
  hint?: string;
  /** for skipped: the prerequisite check that did not pass */
  skippedBecause?: string;
}

/** Instance role credentials as IMDS gives them. Kept in memory only, never reported. */
export type AwsCredentials = RoleCredentials;

/** The kubeconfig `users[].user.exec` stanza (client.authentication.k8s.io). */
export interface ExecConfig {
  apiVersion?: string;
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }>;
}

/**
 * Every side effect the checks use. The real ones are built at the CLI edge
 * (cli/doctor.ts createDoctorDeps); unit tests pass fakes.
 */
export interface NodeName {
  name: string;
  source: NodeNameSource;
  /** IMDS local-hostname, when it has one */
  localHostname?: string;
}

/**
 * The instance role's credentials, or a function that gives them when an AWS call needs them:
 * a check that may never call AWS does not wait for the instance-profile line (and, through it,
 * for IMDS). The function throws when there are none.
 */
export type CredentialSource = AwsCredentials | (() => Promise<AwsCredentials>);

/** This boot's IMDS answers, as the config phase kept them (aws/imds-answers.ts). */
export type KeptImds = { imds: Imds; path: string } | { problem: string; path: string };

export interface DoctorDeps {
  /** IMDS itself: what the imds and instance-profile lines probe */
  imds: Imds;
  /**
   * this boot's answers (root's file), the rest asked of IMDS: the checks that need what the boot
   * read (user data, identity, addresses) take them from here, so they work, and do not wait,
   * when IMDS does not answer doctor; `problem` when the file is there but cannot be used
   */
  keptImds?: KeptImds;
  /**
   * resolves, merges and validates the NodeConfig (the `config check` code); advisories are what
   * init warns about and goes on, warnings what it warns about that only the documents show
   */
  loadConfig(sources: string[], imds?: Imds): Promise<{ config: NodeConfig; documents: string[]; advisories: string[]; warnings: string[] }>;
  /** the boot path's cluster resolution: user data, the cached answer, then eks:DescribeCluster (with these credentials) */
  resolveCluster(
    config: NodeConfig,
    ctx: { region?: string; credentials?: CredentialSource; instanceId?: string; timeoutMs: number },
  ): Promise<ClusterResolution>;
  /**
   * the boot path's plan for this config and cluster: the same fact gathering (with credentials
   * it may ask EC2, as init does) and render, so the expected files are exactly init's
   */
  plan(
    config: NodeConfig,
    cluster: ClusterResolution,
    ctx: { timeoutMs: number; region?: string; credentials?: CredentialSource; imds?: Imds },
  ): Promise<NodePlan>;
  /** the node name the boot path registers (IMDS local-hostname, else ec2:DescribeInstances; or the instance id), and where it came from */
  nodeName(config: NodeConfig, ctx: { timeoutMs: number; region?: string; credentials?: CredentialSource; imds?: Imds }): Promise<NodeName>;
  /** eks:DescribeCluster for this name, asked only to tell why the API server refused the node's token */
  describeCluster(name: string, ctx: { region: string; credentials: AwsCredentials; timeoutMs: number }): Promise<ClusterDescription>;
  /** who the credentials are (sts:GetCallerIdentity); `trustedBundle`: the system CA bundle the run's AWS calls needed, if any (aws/trust.ts) */
  getCallerIdentity(ctx: { region: string; credentials: AwsCredentials; timeoutMs: number }): Promise<CallerIdentity & { trustedBundle?: string }>;
  /** the instance-store disks, array, mounts and the agent's fstab block under the root, read as the run phase reads them */
  localStorage(intent: LocalStorageIntent | undefined): LocalStorageState;
  /** the image under the root has the SOCI snapshotter (facts/soci-snapshotter.ts), whose directory local storage moves too */
  sociSnapshotter?: boolean;
  /** every address a host name resolves to */
  lookup(host: string): Promise<string[]>;
  /** reads a file under the root (absolute node path); undefined when missing */
  readFile(path: string): Promise<{ content: Buffer; mode: number } | undefined>;
  /** the entries of a directory under the root (absolute node path); undefined when missing */
  listDir(path: string): Promise<string[] | undefined>;
  /** the last `bytes` of a file under the root (a log that may be large), as text; undefined when missing */
  readTail(path: string, bytes: number): Promise<string | undefined>;
  /** the filesystem holding a path under the root: its device (to tell two paths on one filesystem) and sizes as df counts them; undefined when the path is missing */
  fsUsage(path: string): Promise<{ device: number; sizeBytes: number; usedBytes: number; availableBytes: number } | undefined>;
  systemctlShow(unit: string, timeoutMs: number): Promise<UnitStatus>;
  /** what the running systemd gives a unit's processes now (apply/unit-status.ts); a unit it has not loaded has none (not a node) */
  serviceEnvironment?(unit: string, timeoutMs: number): Promise<ServiceEnvironment>;
  /** `iptables -S FORWARD` (`ip6tables` for ipv6): the FORWARD chain's policy and rules, one per line; throws when it cannot be read */
  forwardChain(timeoutMs: number, family?: 'ipv4' | 'ipv6'): Promise<string[]>;
  /** the last `lines` journal lines of a unit, oldest first */
  journal(unit: string, lines: number, timeoutMs: number): Promise<string[]>;
  /** runs a kubeconfig exec credential plugin and returns its token */
  execCredential(exec: ExecConfig, timeoutMs: number): Promise<string>;
  /** the kubelet's version as the boot path reads it (the image's version file, else `kubelet --version`) */
  kubeletVersion(timeoutMs: number): Promise<string>;
  /** what `kubelet --version` says, or undefined when there is no kubelet to ask or it names no version */
  kubeletBinaryVersion(timeoutMs: number): Promise<string | undefined>;
  /** name -> version of every component (agent, kubelet, containerd, runc, ...) */
  versions(timeoutMs: number): Promise<Record<string, string>>;
  now(): Date;
}
