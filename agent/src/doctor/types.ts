import type { Imds } from '../aws/imds.js';
import type { NodeConfig, ResolvedCluster, ResolvedNodeConfig } from '../api/schema.js';
import type { Facts } from '../facts/types.js';
import type { Plan } from '../render/plan.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skipped';

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
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export interface CallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

export interface UnitStatus {
  unit: string;
  /** LoadState: loaded, not-found, masked */
  loadState: string;
  /** ActiveState: active, inactive, failed, activating, deactivating */
  activeState: string;
  subState: string;
  /** Result: success, exit-code, signal, timeout, ... */
  result: string;
  /** ExecMainStatus: the main process's last exit status */
  execMainStatus: string;
}

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
export interface DoctorDeps {
  imds: Imds;
  /** resolves, merges and validates the NodeConfig (the `config check` code) */
  loadConfig(sources: string[]): Promise<{ config: NodeConfig; documents: string[] }>;
  /** fills missing cluster fields through eks:DescribeCluster */
  describeCluster(name: string, ctx: { region: string; credentials: AwsCredentials; timeoutMs: number }): Promise<Partial<ResolvedCluster>>;
  /**
   * instance facts for render (IMDS identity, CPU, memory, component versions, ENI limits);
   * with credentials it may ask ec2:DescribeInstanceTypes for a type the baked table lacks, as init does
   */
  gatherFacts(ctx: { timeoutMs: number; region?: string; credentials?: AwsCredentials }): Promise<Facts>;
  render(config: ResolvedNodeConfig, facts: Facts): Plan;
  getCallerIdentity(ctx: { region: string; credentials: AwsCredentials; timeoutMs: number }): Promise<CallerIdentity>;
  /** every address a host name resolves to */
  lookup(host: string): Promise<string[]>;
  /** reads a file under the root (absolute node path); undefined when missing */
  readFile(path: string): Promise<{ content: Buffer; mode: number } | undefined>;
  systemctlShow(unit: string, timeoutMs: number): Promise<UnitStatus>;
  /** the last `lines` journal lines of a unit, oldest first */
  journal(unit: string, lines: number, timeoutMs: number): Promise<string[]>;
  /** runs a kubeconfig exec credential plugin and returns its token */
  execCredential(exec: ExecConfig, timeoutMs: number): Promise<string>;
  /** name -> version of every component (agent, kubelet, containerd, runc, ...) */
  versions(timeoutMs: number): Promise<Record<string, string>>;
  now(): Date;
}
