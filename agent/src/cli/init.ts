import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeCause } from '../errors.js';
import type { NodeConfig } from '../api/schema.js';
import {
  applyConfigPhase,
  applyRunPhase,
  createSystemctl,
  earlyStartBlocker,
  favourCloudInit,
  readRunPhaseState,
  staleFiles,
  startEarly,
  statePath,
  type StepTiming,
} from '../apply/index.js';
import { writeFiles } from '../apply/write-files.js';
import { proxySettings } from '../aws/proxy.js';
import { AwsTrust, trustOptions } from '../aws/trust.js';
import { planNode, type Step } from '../boot.js';
import { PATHS, RESOLVED_UNIT, renderResolvedDropIn } from '../render/index.js';
import { stableJson } from '../common/json.js';
import { fnv1a64 } from '../common/digest.js';
import { loadConfig, NoNodeConfigError, type LoadedConfig, validateLoadedConfig } from '../sources/index.js';
import { awsApis, imdsEndpoint, lazyImds, type Env } from './deps.js';
import type { Imds } from '../aws/imds.js';
import { instanceRoleCredentials } from '../aws/instance-role.js';
import { endpointVariant } from '../aws/endpoint-variant.js';
import { clusterNeedsEks } from '../facts/cluster.js';
import {
  IMDS_ANSWERS_PATH,
  keepImdsAnswers,
  readImdsAnswers,
  recordingImds,
  replayingImds,
  type RecordingImds,
  type ReplayingImds,
} from '../aws/imds-answers.js';
import {
  applyLocalStorage,
  clearFstabReload,
  describeLocalStorageOn,
  fstabReloadPending,
  leftoverLocalStorage,
  readLocalStorageIntent,
  recordLocalStorageIntent,
} from '../apply/local-storage.js';
import { createProcessRunner } from '../apply/process.js';
import { localStorageIntent, type LocalStorageIntent } from '../storage/plan.js';
import { HOSTS_PATH, describePin, pinApiServer, restorePin } from '../apply/hosts-pin.js';
import { monotonicMs } from '../common/clock.js';
import { stderrLog, timed, type Log } from './log.js';
import { formatPlan } from './plan-format.js';
import { processDuration, systemClock, type ClockReader } from './process-clock.js';

export interface InitOptions {
  configSources: string[];
  root: string;
  skip?: 'config' | 'run';
  dryRun: boolean;
  /**
   * with skip 'run' (the config unit): when nothing can run between the phases, queue containerd's
   * and the kubelet's start as the config phase ends instead of leaving it to the run unit
   */
  earlyStart?: boolean;
}

function logSteps(log: Log, timings: StepTiming[]) {
  for (const t of timings) {
    const note = [t.skipped ? 'skipped' : '', t.detail ?? ''].filter(Boolean).join(': ');
    log(`${t.step} ${t.ms} ms${note ? ` (${note})` : ''}`, { phase: t.step, durationMs: t.ms });
  }
}

/** The digest the config phase records and the run phase compares: the merged NodeConfig, canonical (common/digest.ts). */
export function configDigest(config: NodeConfig): string {
  return fnv1a64(stableJson(config));
}

/** A node file's content and mode before the agent changes it, or undefined when there is none. */
function readEarlier(root: string, path: string): { content: string; mode: number } | undefined {
  try {
    const file = join(root, path);
    return { content: readFileSync(file, 'utf8'), mode: statSync(file).mode & 0o7777 };
  } catch {
    return undefined;
  }
}

/** The error instead of a config when no source holds a NodeConfig yet (user data that is only a script). */
async function loadOrNothing(load: () => Promise<LoadedConfig>): Promise<LoadedConfig | NoNodeConfigError> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof NoNodeConfigError) return err;
    throw err;
  }
}

/**
 * Config phase: resolve the NodeConfig, then the boot path's plan (facts, cluster, render), then
 * write it. Run phase: re-read the same sources (user-data scripts may have dropped a NodeConfig
 * into /etc/eks/nodeadm.d/ since), configure again if the merged result differs from what the
 * config phase rendered, then daemon-reload if needed, restart containerd and wait for it,
 * restart kubelet. A machine is booting: advisory problems are warnings, and the boot goes on.
 * No NodeConfig anywhere is not a failure for either phase: a user-data script (bootstrap.sh)
 * may still bring one; until then nothing is written and nothing is started.
 */
export async function run(
  options: InitOptions,
  env: Env,
  out: (line: string) => void,
  log: Log = stderrLog,
  clock: ClockReader = systemClock,
): Promise<number> {
  const live = lazyImds(env, log);
  // The config unit keeps what IMDS answered for the run unit, which gives those answers back
  // instead of asking again (aws/imds-answers.ts).
  let recorder: RecordingImds | undefined;
  let replay: ReplayingImds | undefined;
  let imds: () => Imds = live;
  if (options.skip === 'run' && !options.dryRun) {
    imds = () => (recorder ??= recordingImds(live()));
  } else if (options.skip === 'config') {
    const endpoint = imdsEndpoint(env);
    const kept = readImdsAnswers(options.root, endpoint);
    if (kept.problem) log(`note: ${IMDS_ANSWERS_PATH}: ${kept.problem}; asking IMDS instead`);
    if (kept.answers) {
      const replaying = replayingImds(kept.answers, endpoint, live);
      replay = replaying;
      imds = () => replaying;
    }
  }
  const step: Step = (name, work, detail) => timed(log, name, work, detail);
  const applyStorageStep = (intent: LocalStorageIntent) =>
    timed(
      log,
      'local storage',
      () => applyLocalStorage(intent, { root: options.root, run: createProcessRunner(env), log }),
      (p) => p.kind,
    );
  const done = () => {
    // the process's whole life, so the journal says what the boot waited, not what our code took
    const { totalMs, runtimeStartMs } = processDuration(clock);
    log(`done in ${totalMs} ms (runtime start ${runtimeStartMs} ms)`, { phase: 'done', durationMs: totalMs, runtimeStartMs });
    return 0;
  };
  // The run phase compares before it validates: an unchanged merge passed validation in the
  // config phase (and its CEL compiler need not load again); a changed one is validated below.
  let loaded = await loadOrNothing(() =>
    step(
      'resolve config',
      () => loadConfig(options.configSources, { imds }, { validate: options.skip !== 'config' }),
      (l) => `${l.documents.length} document(s)${l.ignored.length ? `, ${l.ignored.length} ignored` : ''}`,
    ),
  );
  if (loaded instanceof NoNodeConfigError) {
    log(
      options.skip === 'config'
        ? `run phase: ${loaded.message}; containerd and kubelet not started until a source provides a complete NodeConfig`
        : `config phase: ${loaded.message}; nothing written (a user-data script may still provide one, e.g. /etc/eks/bootstrap.sh or a file in /etc/eks/nodeadm.d/)`,
    );
    // the join now waits for what cloud-init runs, as when the early start is declined
    if (options.skip === 'run' && options.earlyStart && !options.dryRun) log(await favourCloudInit(createSystemctl({ env })));
    return done();
  }
  let configure = options.skip !== 'config';
  if (!configure) {
    const state = await readRunPhaseState(options.root).catch(() => undefined);
    configure = state?.configDigest !== configDigest(loaded.config);
    log(
      !configure
        ? 'run phase: the merged NodeConfig is the one the config phase applied'
        : state?.configDigest
          ? `run phase: the merged NodeConfig changed since the config phase (${loaded.documents.join(', ')}): configuring again`
          : 'run phase: no configuration recorded by a config phase: configuring first',
    );
    if (configure) {
      // the merge just read, validated: reading the sources again would only fetch the same user data
      const unvalidated = loaded;
      loaded = await step(
        'validate config',
        () => validateLoadedConfig(unvalidated),
        (l) => `${l.documents.length} document(s)`,
      );
    }
  }
  if (configure) {
    for (const warning of [...loaded.advisories, ...loaded.warnings]) log(`warning: ${warning}`);
    for (const note of loaded.notes) log(`note: ${note}`);
    const spec = loaded.config.spec;
    // The resolvers must be in place before the first call that needs DNS (eks:DescribeCluster,
    // ec2:DescribeInstances); the same file is planned again below and then left unchanged.
    const resolver = renderResolvedDropIn(spec?.instance?.network);
    // A failure before the configuration is written (EKS unreachable, say) puts the earlier
    // resolvers back, so that a failed run leaves the node as it found it.
    let undoResolvers: (() => Promise<void>) | undefined;
    if (resolver.length > 0 && !options.dryRun) {
      await step(
        'resolvers',
        async () => {
          const earlier = readEarlier(options.root, PATHS.resolvedDropIn);
          const written = await writeFiles(resolver, { root: options.root });
          if (written.changed.length === 0) return false;
          await createSystemctl({ env }).tryRestart(RESOLVED_UNIT);
          undoResolvers = async () => {
            if (earlier) await writeFiles([{ path: PATHS.resolvedDropIn, ...earlier }], { root: options.root });
            else rmSync(join(options.root, PATHS.resolvedDropIn), { force: true });
            await createSystemctl({ env }).tryRestart(RESOLVED_UNIT);
            log(
              `resolvers: ${earlier ? `${PATHS.resolvedDropIn} put back as it was` : `${PATHS.resolvedDropIn} removed`} (the configuration failed), restarted ${RESOLVED_UNIT}`,
            );
          };
          return true;
        },
        (changed) => (changed ? `wrote ${resolver.map((f) => f.path).join(', ')}, restarted ${RESOLVED_UNIT}` : 'unchanged'),
      );
    }
    const orUndo = <T>(work: Promise<T>): Promise<T> =>
      work.catch(async (err: unknown) => {
        // the failure is the one to tell: a resolver that cannot be put back is a warning beside it
        await undoResolvers?.().catch((undo) => log(`warning: resolvers: could not put the earlier ones back: ${describeCause(undo)}`));
        throw err;
      });
    // The user data's default environment is what every service will get (proxies above all);
    // the agent's own AWS calls take it first, then the agent's process environment, for the
    // proxy and for the certificate authorities they trust (AWS_CA_BUNDLE, SSL_CERT_FILE).
    // The instance role's credentials are read with our IMDS client (never the recording one:
    // they must not reach the answers file), beside the facts when the cluster must be described;
    // the SDK's chain would ask for them only after, in three requests one after another.
    const roleCredentials = instanceRoleCredentials(env, live);
    if (clusterNeedsEks(spec?.cluster, options.root)) void roleCredentials();
    const defaults = spec?.instance?.environment?.default;
    const aws = awsApis(
      env,
      {
        proxy: proxySettings(defaults, env),
        trust: new AwsTrust(trustOptions(defaults, env)),
        variant: endpointVariant(defaults, env),
        ...(defaults ? { defaults } : {}),
      },
      log,
      roleCredentials,
    );
    const instanceIdNodeName = spec?.featureGates?.InstanceIdNodeName === true;
    const {
      plan,
      config: resolvedConfig,
      facts,
    } = await orUndo(
      planNode(
        loaded.config,
        { facts: { root: options.root, instance: { imds: imds(), instanceIdNodeName }, ec2: aws.ec2 }, cluster: { cacheRoot: options.root, eks: aws.eks } },
        step,
      ),
    );
    for (const warning of plan.warnings) log(`warning: ${warning}`);
    for (const note of plan.notes ?? []) log(`note: ${note}`);
    const storage = localStorageIntent(loaded.config.spec, { sociSnapshotter: facts.facts.sociSnapshotter === true });
    const pinOptions = { root: options.root, cluster: resolvedConfig.spec.cluster, seed: facts.facts.instance.instanceId };
    if (options.dryRun) {
      for (const line of formatPlan(plan)) out(line);
      for (const path of staleFiles(plan, options.root)) out(`remove ${path} (written by an earlier plan, no longer planned)`);
      const storageLine = describeLocalStorageOn(options.root, storage);
      if (storageLine) out(storageLine);
      const pin = await pinApiServer({ ...pinOptions, dryRun: true });
      if (pin.kind !== 'none') out(`api server pin: ${describePin(pin).line}`);
      return 0;
    }
    const ranBefore = existsSync(statePath(options.root));
    const written = await orUndo(applyConfigPhase(plan, { root: options.root, configDigest: configDigest(loaded.config) }));
    logSteps(log, written.timings);
    if (recorder) {
      // a shortcut for the run phase: without the file it asks IMDS, so failing to keep it fails nothing
      try {
        keepImdsAnswers(options.root, recorder);
      } catch (err) {
        log(`warning: keeping the IMDS answers for the run phase: ${describeCause(err)}`);
      }
    }
    // resolvers taken out of the user data: systemd-resolved keeps serving them until it restarts
    if (written.removed.includes(PATHS.resolvedDropIn)) {
      await createSystemctl({ env }).tryRestart(RESOLVED_UNIT);
      log(`resolvers: removed ${PATHS.resolvedDropIn}, restarted ${RESOLVED_UNIT}`);
    }
    await recordLocalStorageIntent(options.root, storage);
    // before anything starts the kubelet (the early start below, or the run phase); a regional
    // cluster's boot logs nothing for it (it reads /etc/hosts and finds no earlier pin)
    const pinStarted = monotonicMs();
    const pin = await pinApiServer(pinOptions);
    if (pin.kind !== 'none') {
      const { line, warning } = describePin(pin);
      const durationMs = Math.round(monotonicMs() - pinStarted);
      log(warning ? `warning: api server pin: ${line}` : `api server pin ${durationMs} ms (${line})`, { phase: 'api server pin', durationMs });
    }
    if (options.skip === 'run' && options.earlyStart) {
      // a shortcut, never a reason to fail the boot: whatever goes wrong leaves the start to the run phase
      try {
        const blocker = earlyStartBlocker({ root: options.root, otherParts: loaded.otherParts, units: plan.units, ranBefore });
        if (blocker) {
          log(`early start: no, ${blocker}; the run phase starts containerd and the kubelet`);
          log(await favourCloudInit(createSystemctl({ env })));
        } else {
          // The disks first, as the run phase would: containerd's and the kubelet's state
          // directories must be on them before either starts. Nothing of the user's runs before
          // this point either way (that is what let the start come early).
          if (storage) await applyStorageStep(storage);
          const timings = await startEarly(options.root, createSystemctl({ env }));
          if (reloadedSystemd(timings)) clearFstabReload(options.root);
          logSteps(log, timings);
          log('early start: nothing runs between the phases, so containerd and the kubelet start now; the run phase checks them');
        }
      } catch (err) {
        log(`warning: early start failed (${err instanceof Error ? err.message : String(err)}); the run phase starts containerd and the kubelet`);
      }
    }
  }
  if (options.skip !== 'run' && !options.dryRun) {
    // a local cluster's pin, written again if /etc/hosts was written anew since the config phase
    const pin = await restorePin(options.root);
    if (pin?.restored) {
      log(
        `api server pin: ${HOSTS_PATH} lost the pin of ${pin.pin.host} since the config phase (cloud-init's manage_etc_hosts or a user-data script wrote it anew): written again (${pin.pin.entries.join(', ')})`,
      );
    }
    // before containerd and the kubelet start, so their state directories are already on the disks
    const storage = readLocalStorageIntent(options.root);
    // after the config phase's early start this finds everything in place and changes nothing,
    // as after a reboot; it is also how `init --skip config` repairs what went missing since
    if (storage) await applyStorageStep(storage);
    else {
      // an earlier config's array stays mounted: never unmounted under a running node
      const leftover = leftoverLocalStorage(options.root);
      if (leftover) log(`note: ${leftover}`);
    }
    const systemctl = createSystemctl({ env });
    const result = await applyRunPhase(undefined, { root: options.root, systemctl });
    if (reloadedSystemd(result.timings)) clearFstabReload(options.root);
    logSteps(log, result.timings);
    // containerd and the kubelet are up: now systemd may read the fstab the storage step changed
    if (fstabReloadPending(options.root)) {
      await step(
        'daemon-reload',
        () => systemctl.daemonReload(),
        () => 'for /etc/fstab, changed by the local storage step',
      );
      clearFstabReload(options.root);
    }
  }
  if (replay) {
    const { kept, asked } = replay.counts();
    log(`run phase: ${kept} IMDS answer${kept === 1 ? '' : 's'} kept by the config phase (${IMDS_ANSWERS_PATH}), ${asked} asked of IMDS`);
  }
  return done();
}

/** Whether systemd read its configuration again in these steps (which covers an fstab written before them). */
const reloadedSystemd = (timings: readonly StepTiming[]) => timings.some((t) => t.step === 'daemon-reload' && !t.skipped);
