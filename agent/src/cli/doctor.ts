import { lookup } from 'node:dns/promises';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import { createImds, DEFAULT_IMDS_ENDPOINT } from '../aws/imds.js';
import { describeCluster } from '../aws/eks.js';
import { createEc2Api } from '../aws/ec2.js';
import { EnvironmentError, describeCause } from '../errors.js';
import { loadConfig } from '../sources/index.js';
import { configChecks } from './config-checks.js';
import { gatherInstanceFacts } from '../facts/instance.js';
import { lookupEniLimits } from '../facts/eni-limits.js';
import { readSandboxImage } from '../facts/sandbox-image.js';
import { render } from '../render/index.js';
import { AGENT_VERSION } from '../version.js';
import { doctor, failed } from '../doctor/index.js';
import { formatJson, formatText } from '../doctor/report.js';
import { buildBundle } from '../doctor/bundle.js';
import { tokenOf } from '../doctor/kubeconfig.js';
import type { AwsCredentials, DoctorDeps, UnitStatus } from '../doctor/types.js';
import type { Env } from './deps.js';

export interface DoctorOptions {
  configSources: string[];
  root: string;
  output: 'text' | 'json';
  timeoutSeconds: number;
  bundle?: string;
  debug?: boolean;
}

/** What run() needs: the side effects, plus where the report goes. */
export type DoctorCliDeps = DoctorDeps & {
  /** sets the filesystem root for every file the checks read */
  withRoot(root: string): DoctorDeps;
  out(text: string): void;
};

/** Runs every check, prints the report, writes the bundle if asked; 0 when nothing failed, else 1. */
export async function run(options: DoctorOptions, deps: DoctorCliDeps): Promise<number> {
  const rooted = deps.withRoot(options.root);
  const outcome = await doctor(rooted, { configSources: options.configSources, timeoutSeconds: options.timeoutSeconds });
  deps.out(options.output === 'json' ? formatJson(outcome.results) : formatText(outcome.results));
  if (options.bundle) {
    const data = await buildBundle(rooted, outcome, 15_000);
    try {
      await writeFile(options.bundle, data, { mode: 0o600 });
    } catch (err) {
      throw new EnvironmentError(`--bundle ${options.bundle}: cannot write (${describeCause(err)})`, { cause: err });
    }
    if (options.output === 'text') deps.out(`bundle written to ${options.bundle} (${data.length} bytes)\n`);
  }
  return failed(outcome.results) ? 1 : 0;
}

const sdkCredentials = (c: AwsCredentials) => ({
  accessKeyId: c.accessKeyId,
  secretAccessKey: c.secretAccessKey,
  ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
});

async function exec(file: string, args: string[], timeoutMs: number, env?: Record<string, string>) {
  const { execa } = await import('execa');
  return execa(file, args, { timeout: timeoutMs, stdin: 'ignore', reject: false, ...(env ? { env } : {}) });
}

function parseShow(unit: string, text: string): UnitStatus {
  const props = Object.fromEntries(
    text
      .split('\n')
      .map((l) => l.split('='))
      .filter((p) => p.length >= 2)
      .map(([k, ...v]) => [k!.trim(), v.join('=').trim()]),
  );
  return {
    unit,
    loadState: props.LoadState ?? '',
    activeState: props.ActiveState ?? '',
    subState: props.SubState ?? '',
    result: props.Result ?? '',
    execMainStatus: props.ExecMainStatus ?? '',
  };
}

/** The real side effects, from the environment main.ts passes (nothing else reads process.env). */
export function createDoctorDeps(env: Env): DoctorCliDeps {
  const imds = createImds({
    endpoint: env.AWS_EC2_METADATA_SERVICE_ENDPOINT || DEFAULT_IMDS_ENDPOINT,
    requestTimeoutMs: 1_000,
    totalTimeoutMs: 4_000,
  });
  const childEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));

  const build = (root: string): DoctorDeps => ({
    imds,
    async loadConfig(sources) {
      const loaded = await loadConfig(sources, { imds: () => imds }, configChecks);
      return { config: loaded.config, documents: loaded.documents };
    },
    async describeCluster(name, ctx) {
      const d = await describeCluster(name, {
        region: ctx.region,
        credentials: sdkCredentials(ctx.credentials),
        timeoutMs: ctx.timeoutMs,
        maxAttempts: 2,
        ...(env.AWS_ENDPOINT_URL_EKS ? { endpoint: env.AWS_ENDPOINT_URL_EKS } : {}),
      });
      return {
        name: d.name,
        ...(d.endpoint ? { apiServerEndpoint: d.endpoint } : {}),
        ...(d.caData ? { certificateAuthority: d.caData } : {}),
        ...(d.serviceCidr ? { cidr: d.serviceCidr } : {}),
      };
    },
    async gatherFacts(ctx) {
      const instance = await gatherInstanceFacts({ imds, root, versionTimeoutMs: ctx.timeoutMs });
      const ec2 =
        ctx.region && ctx.credentials
          ? createEc2Api({
              region: ctx.region,
              credentials: sdkCredentials(ctx.credentials),
              timeoutMs: ctx.timeoutMs,
              maxAttempts: 2,
              ...(env.AWS_ENDPOINT_URL_EC2 ? { endpoint: env.AWS_ENDPOINT_URL_EC2 } : {}),
            })
          : undefined;
      const [eni, sandboxImage] = await Promise.all([lookupEniLimits(instance.instanceType, { root, ...(ec2 ? { ec2 } : {}) }), readSandboxImage(root)]);
      return { instance, ...(eni.limits ? { eniLimits: eni.limits } : {}), ...(sandboxImage ? { sandboxImage } : {}) };
    },
    render: (config, facts) => render(config, facts),
    async getCallerIdentity(ctx) {
      const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
      const client = new STSClient({
        region: ctx.region,
        credentials: sdkCredentials(ctx.credentials),
        maxAttempts: 2,
        requestHandler: { connectionTimeout: Math.min(ctx.timeoutMs, 3_000), requestTimeout: ctx.timeoutMs },
        ...(env.AWS_ENDPOINT_URL_STS ? { endpoint: env.AWS_ENDPOINT_URL_STS } : {}),
      });
      try {
        const out = await client.send(new GetCallerIdentityCommand({}), { abortSignal: AbortSignal.timeout(ctx.timeoutMs) });
        return { arn: out.Arn ?? '', account: out.Account ?? '', userId: out.UserId ?? '' };
      } finally {
        client.destroy();
      }
    },
    async lookup(host) {
      return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    },
    async readFile(path) {
      const full = join(root, path);
      try {
        const [content, info] = await Promise.all([readFile(full), stat(full)]);
        return { content, mode: info.mode & 0o7777 };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
        throw err;
      }
    },
    async systemctlShow(unit, timeoutMs) {
      const r = await exec('systemctl', ['show', unit, '--property=LoadState,ActiveState,SubState,Result,ExecMainStatus'], timeoutMs);
      if (r.timedOut) throw new EnvironmentError(`systemctl show ${unit}: no answer within ${timeoutMs} ms`);
      if (r.exitCode !== 0) throw new EnvironmentError(`systemctl show ${unit}: ${String(r.stderr).trim() || describeCause(r)}`);
      return parseShow(unit, String(r.stdout));
    },
    async journal(unit, lines, timeoutMs) {
      const r = await exec('journalctl', ['--unit', unit, '--lines', String(lines), '--no-pager', '--output', 'short-iso'], timeoutMs);
      if (r.timedOut) throw new EnvironmentError(`journalctl --unit ${unit}: no answer within ${timeoutMs} ms`);
      if (r.exitCode !== 0) throw new EnvironmentError(`journalctl --unit ${unit}: ${String(r.stderr).trim() || describeCause(r)}`);
      return String(r.stdout).split('\n').filter((l) => l !== '' && !l.startsWith('-- '));
    },
    async execCredential(execConfig, timeoutMs) {
      const info = { apiVersion: execConfig.apiVersion ?? 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', spec: { interactive: false } };
      const r = await exec(execConfig.command, execConfig.args ?? [], timeoutMs, {
        ...childEnv,
        ...Object.fromEntries((execConfig.env ?? []).map((e) => [e.name, e.value])),
        KUBERNETES_EXEC_INFO: JSON.stringify(info),
      });
      if (r.timedOut) throw new EnvironmentError(`no token within ${timeoutMs} ms`);
      if (r.failed) {
        const why = String(r.stderr).trim().split('\n').at(-1) || r.shortMessage;
        throw new EnvironmentError(`exit ${r.exitCode ?? '?'}: ${why}`);
      }
      return tokenOf(String(r.stdout));
    },
    async versions(timeoutMs) {
      const probe = async (file: string, args: string[]): Promise<string> => {
        const r = await exec(file, args, timeoutMs).catch((err: unknown) => ({ failed: true, stdout: '', stderr: describeCause(err) }));
        return r.failed ? 'not found' : String(r.stdout).trim().split('\n')[0] ?? '';
      };
      const [kubelet, containerd, runc, authenticator] = await Promise.all([
        probe('kubelet', ['--version']),
        probe('containerd', ['--version']),
        probe('runc', ['--version']),
        probe('aws-iam-authenticator', ['version']),
      ]);
      return { 'aws-iam-authenticator': authenticator, containerd, 'eks-node-agent': AGENT_VERSION, kernel: release(), kubelet, node: process.version, runc };
    },
    now: () => new Date(),
  });

  return {
    ...build('/'),
    withRoot: build,
    out: (text) => process.stdout.write(text),
  };
}
