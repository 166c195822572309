import { lookup } from 'node:dns/promises';
import { open, readdir, readFile, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { asUnitGets, journal, SERVICE_ENVIRONMENT_TIMEOUT_MS, type ServiceEnvironment, serviceEnvironments, systemctlShow } from '../apply/unit-status.js';
import { AGENT_CONFIG_UNIT, KUBELET_UNIT } from '../render/paths.js';
import { awsClientOptions } from '../aws/client.js';
import { createEc2Api } from '../aws/ec2.js';
import { createEksApi } from '../aws/eks.js';
import { createImds } from '../aws/imds.js';
import { getCallerIdentity } from '../aws/sts.js';
import { planNode } from '../boot.js';
import { buildBundle, writeBundleFile } from '../doctor/bundle.js';
import { componentVersions, execCredential, firstLineOf, forwardChain } from '../doctor/host.js';
import { doctor, failed } from '../doctor/index.js';
import { formatJson, formatText } from '../doctor/report.js';
import { NodeFileError } from '../doctor/runner.js';
import type { AwsCredentials, CredentialSource, DoctorDeps, KeptImds } from '../doctor/types.js';
import { IMDS_ANSWERS_PATH, readImdsAnswers, replayingImds } from '../aws/imds-answers.js';
import { resolveCluster } from '../facts/cluster.js';
import { readNodeIdentity } from '../facts/instance.js';
import { defaultExec, parseKubeletVersion, readKubeletVersion } from '../facts/versions.js';
import { hasSociSnapshotter } from '../facts/soci-snapshotter.js';
import { proxySettings } from '../aws/proxy.js';
import { AwsTrust, trustOptions } from '../aws/trust.js';
import { endpointVariant } from '../aws/endpoint-variant.js';
import { nodeNameOf } from '../render/context.js';
import { loadConfig } from '../sources/index.js';
import { inspectLocalStorage } from '../apply/local-storage.js';
import { imdsEndpoints, type Env } from './deps.js';

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
    writeBundleFile(options.bundle, data);
    if (options.output === 'text') deps.out(`bundle written to ${options.bundle} (${data.length} bytes)\n`);
  }
  return failed(outcome.results) ? 1 : 0;
}

const sdkCredentials = (c: AwsCredentials) => ({
  accessKeyId: c.accessKeyId,
  secretAccessKey: c.secretAccessKey,
  ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
});

/** Credentials given now, or asked for when the client is made (a check's wait for the instance-profile line). */
const credentialOptions = (c: CredentialSource | undefined) =>
  c === undefined ? {} : typeof c === 'function' ? { roleCredentials: async () => sdkCredentials(await c()) } : { credentials: sdkCredentials(c) };

/**
 * What a read under the root gives, or undefined when the path (or a directory on it) is not
 * there; any other errno is the node's (a NodeFileError naming `path`), not doctor's.
 */
async function unlessMissing<T>(path: string, read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (typeof code === 'string' && (err as NodeJS.ErrnoException).syscall !== undefined) throw new NodeFileError(path, code, err);
    throw err;
  }
}

type AwsContext = { timeoutMs: number; region?: string; credentials?: CredentialSource };

/** The real side effects, from the environment main.ts passes (nothing else reads process.env). */
export async function createDoctorDeps(env: Env, options: { timeoutSeconds?: number } = {}): Promise<DoctorCliDeps> {
  // On a node, the environment systemd gives the boot's services, which a login shell does not
  // get (an image's DefaultEnvironment= proxy, the kernel's systemd.setenv=, a drop-in or
  // EnvironmentFile= of a unit), each unit's over this process's. IMDS and the AWS calls take the
  // agent's config unit's, as init has it; the credential plugin the kubelet's, as the kubelet
  // runs it. A unit systemd has not loaded (not a node), or no systemd to ask: this process's
  // environment alone. Like the unit lines, this asks the running systemd whatever --root says.
  // One read of systemd per unit a run, shared with the imds line's look at the kubelet's.
  const serviceEnvironment = serviceEnvironments();
  const unitGets = (given: ServiceEnvironment | undefined): Env => asUnitGets(env, given);
  // the config unit's first: the IMDS client is made with the endpoint or mode the boot's agent was told
  const agentEnv: Env = unitGets(await serviceEnvironment(AGENT_CONFIG_UNIT, SERVICE_ENVIRONMENT_TIMEOUT_MS).catch(() => undefined));
  // A struggling IMDS is a finding only once the run deadline passes: each request may take
  // seconds on a loaded node, and retries go on until just past --timeout, so the runner's
  // deadline (which reports `timeout`) is what ends them. A refused connection is not
  // struggling: five in a row (about 2.5 s of backoff) end the wait.
  const imds = createImds({
    // an endpoint mode the unit's environment names wrongly failed the boot's agent, which the
    // config unit's line shows: doctor asks where this process's environment says
    ...(() => {
      try {
        return imdsEndpoints(agentEnv);
      } catch {
        return imdsEndpoints(env);
      }
    })(),
    requestTimeoutMs: 5_000,
    totalTimeoutMs: (options.timeoutSeconds ?? 30) * 1000 + 1_000,
    // a refused connection is an answer, not slowness: the imds line says so in seconds
    refusalsBeforeGivingUp: 5,
  });
  // the kubelet's, read when the credential plugin first runs
  const kubeletEnv = (): Promise<Env> =>
    serviceEnvironment(KUBELET_UNIT, SERVICE_ENVIRONMENT_TIMEOUT_MS)
      .catch(() => undefined)
      .then(unitGets);
  const definedOnly = (e: Env) => Object.fromEntries(Object.entries(e).filter((v): v is [string, string] => v[1] !== undefined));
  // The doctor calls AWS with the credentials its instance-profile check read, and fewer attempts than a boot.
  // The AWS calls take the proxy, the trust, the endpoint variant and any endpoint override as init
  // does: the NodeConfig's default environment, then the config unit's (above). The config check
  // needs nothing and so starts first; the calls come after it and use its load.
  let configDefaults: Record<string, string> | undefined;
  // One trust for the calls that see the same environments, as init's for its run: a call that
  // starts before the config is loaded gets its own, without the user data's bundle.
  let trust: { defaults: typeof configDefaults; trust: AwsTrust } | undefined;
  const trustNow = (): AwsTrust => {
    if (trust === undefined || trust.defaults !== configDefaults)
      trust = { defaults: configDefaults, trust: new AwsTrust(trustOptions(configDefaults, agentEnv)) };
    return trust.trust;
  };
  const aws = (service: 'eks' | 'ec2' | 'sts', region: string, ctx: AwsContext) =>
    awsClientOptions(service, [configDefaults, agentEnv], {
      region,
      timeoutMs: ctx.timeoutMs,
      maxAttempts: 2,
      proxy: proxySettings(configDefaults, agentEnv),
      trust: trustNow(),
      variant: endpointVariant(configDefaults, agentEnv),
      ...credentialOptions(ctx.credentials),
    });
  const ec2For = (ctx: AwsContext) => (ctx.credentials ? (region: string) => createEc2Api(aws('ec2', region, ctx)) : undefined);

  // This boot's answers, when root can read them: see DoctorDeps.keptImds.
  const keptAt = (root: string): KeptImds | undefined => {
    const path = join(root, IMDS_ANSWERS_PATH);
    const kept = readImdsAnswers(root, imds.endpoint);
    if (kept.answers) return { imds: replayingImds(kept.answers, imds.endpoint, () => imds), path };
    return kept.problem === undefined ? undefined : { problem: kept.problem, path };
  };

  // the kubelet version a boot reads (its file, else `kubelet --version`) once a run for each root:
  // the config and kubelet-version lines both judge it
  const kubeletVersions = new Map<string, Promise<string>>();
  // `kubelet --version` once a run: the kubelet-version line and the bundle's versions.json both read it
  let kubeletRun: Promise<string | undefined> | undefined;
  // a unit's last lines once a run: the registration, pods and registry lines each read the
  // kubelet's pull errors, two of them containerd's pulls; a read that fails may be tried again
  const journals = new Map<string, Promise<string[]>>();
  const journalOnce = (unit: string, lines: number, timeoutMs: number): Promise<string[]> => {
    const key = `${unit} ${lines}`;
    let read = journals.get(key);
    if (read === undefined) {
      read = journal(unit, lines, timeoutMs);
      journals.set(key, read);
      read.catch(() => journals.delete(key));
    }
    return read;
  };
  const kubeletLine = (timeoutMs: number) => (kubeletRun ??= firstLineOf('kubelet', ['--version'], timeoutMs));

  const build = (root: string, keptImds = keptAt(root)): DoctorDeps => {
    // an image fact, read once a root: the plan (render's facts) and the local-storage line both need it
    const sociSnapshotter = hasSociSnapshotter(root);
    return {
      imds,
      ...(keptImds ? { keptImds } : {}),
      async loadConfig(sources, from = imds) {
        const loaded = await loadConfig(sources, { imds: () => from });
        configDefaults = loaded.config.spec?.instance?.environment?.default;
        return { config: loaded.config, documents: loaded.documents, advisories: loaded.advisories, warnings: loaded.warnings };
      },
      resolveCluster: (config, ctx) =>
        resolveCluster(config.spec?.cluster, {
          cacheRoot: root,
          ...(ctx.instanceId ? { instanceId: ctx.instanceId } : {}),
          ...(ctx.region && ctx.credentials ? { eks: createEksApi(aws('eks', ctx.region, ctx)) } : {}),
        }),
      plan(config, cluster, ctx) {
        const ec2 = ec2For(ctx);
        const instanceIdNodeName = config.spec?.featureGates?.InstanceIdNodeName === true;
        return planNode(config, {
          facts: { root, instance: { imds: ctx.imds ?? imds, versionTimeoutMs: ctx.timeoutMs, instanceIdNodeName }, sociSnapshotter, ...(ec2 ? { ec2 } : {}) },
          cluster: { resolved: cluster },
        });
      },
      async nodeName(config, ctx) {
        const ec2 = ec2For(ctx);
        const identity = await readNodeIdentity(ctx.imds ?? imds, {
          instanceIdNodeName: config.spec?.featureGates?.InstanceIdNodeName === true,
          ...(ec2 ? { privateDnsNameFallback: (id: string, region: string) => ec2(region).describeInstancePrivateDnsName(id) } : {}),
        });
        return { name: nodeNameOf(config, identity), source: identity.source, ...(identity.localHostname ? { localHostname: identity.localHostname } : {}) };
      },
      describeCluster: (name, ctx) => createEksApi(aws('eks', ctx.region, ctx)).describeCluster(name),
      localStorage: (intent) => inspectLocalStorage(root, intent),
      sociSnapshotter,
      async getCallerIdentity(ctx) {
        const options = aws('sts', ctx.region, ctx);
        const caller = await getCallerIdentity(options);
        const trustedBundle = options.trust?.widenedTo;
        return { ...caller, ...(trustedBundle ? { trustedBundle } : {}) };
      },
      async lookup(host) {
        return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
      },
      readFile(path) {
        const full = join(root, path);
        return unlessMissing(
          path,
          Promise.all([readFile(full), stat(full)]).then(([content, info]) => ({ content, mode: info.mode & 0o7777 })),
        );
      },
      listDir: (path) => unlessMissing(path, readdir(join(root, path))),
      readTail: (path, bytes) =>
        unlessMissing(
          path,
          open(join(root, path), 'r').then(async (file) => {
            try {
              const { size } = await file.stat();
              const length = Math.min(size, bytes);
              const { buffer, bytesRead } = await file.read(Buffer.alloc(length), 0, length, size - length);
              return buffer.subarray(0, bytesRead).toString('utf8');
            } finally {
              await file.close();
            }
          }),
        ),
      fsUsage: (path) =>
        unlessMissing(
          path,
          Promise.all([stat(join(root, path)), statfs(join(root, path))]).then(([info, fs]) => ({
            device: info.dev,
            sizeBytes: fs.blocks * fs.bsize,
            usedBytes: (fs.blocks - fs.bfree) * fs.bsize,
            availableBytes: fs.bavail * fs.bsize,
          })),
        ),
      systemctlShow,
      serviceEnvironment,
      forwardChain,
      journal: journalOnce,
      execCredential: async (execConfig, timeoutMs) => {
        return execCredential(execConfig, timeoutMs, definedOnly(await kubeletEnv()));
      },
      kubeletVersion: (timeoutMs) => {
        let read = kubeletVersions.get(root);
        if (read === undefined) {
          read = readKubeletVersion(root, defaultExec, timeoutMs);
          kubeletVersions.set(root, read);
        }
        return read;
      },
      kubeletBinaryVersion: async (timeoutMs) => {
        const line = await kubeletLine(timeoutMs);
        return line === undefined ? undefined : parseKubeletVersion(line);
      },
      versions: (timeoutMs) => componentVersions(timeoutMs, kubeletLine),
      now: () => new Date(),
    };
  };

  return {
    ...build('/'),
    withRoot: (root) => build(root),
    out: (text) => process.stdout.write(text),
  };
}
