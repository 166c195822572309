import { unappliedFields } from '../api/validate.js';
import { applyConfigPhase, applyRunPhase, createSystemctl, staleFiles, type StepTiming } from '../apply/index.js';
import { planNode, type Step } from '../boot.js';
import { loadConfig } from '../sources/index.js';
import { awsApis, lazyImds, type Env } from './deps.js';
import { stderrLog, timed, type Log } from './log.js';
import { formatPlan } from './plan-format.js';

export interface InitOptions {
  configSources: string[];
  root: string;
  skip?: 'config' | 'run';
  dryRun: boolean;
}

function logSteps(log: Log, timings: StepTiming[]) {
  for (const t of timings) {
    const note = [t.skipped ? 'skipped' : '', t.detail ?? ''].filter(Boolean).join(': ');
    log(`${t.step} ${t.ms} ms${note ? ` (${note})` : ''}`);
  }
}

/**
 * Config phase: resolve the NodeConfig, then the boot path's plan (facts, cluster, render), then
 * write it. Run phase: daemon-reload if needed, restart containerd and wait for it, restart
 * kubelet. A machine is booting: advisory problems are warnings, and the boot goes on.
 */
export async function run(options: InitOptions, env: Env, out: (line: string) => void, log: Log = stderrLog): Promise<number> {
  const started = performance.now();
  const imds = lazyImds(env);
  const step: Step = (name, work, detail) => timed(log, name, work, detail);
  if (options.skip !== 'config') {
    const loaded = await step('resolve config', () => loadConfig(options.configSources, { imds }), (l) =>
      `${l.documents.length} document(s)${l.ignored.length ? `, ${l.ignored.length} ignored` : ''}`,
    );
    for (const warning of [...loaded.advisories, ...unappliedFields(loaded.config)]) log(`warning: ${warning}`);
    for (const note of loaded.notes) log(`note: ${note}`);
    const aws = awsApis(env);
    const { plan } = await planNode(
      loaded.config,
      { facts: { root: options.root, instance: { imds: imds() }, ec2: aws.ec2 }, cluster: { cacheRoot: options.root, eks: aws.eks } },
      step,
    );
    for (const warning of plan.warnings) log(`warning: ${warning}`);
    if (options.dryRun) {
      for (const line of formatPlan(plan)) out(line);
      for (const path of staleFiles(plan, options.root)) out(`remove ${path} (written by an earlier plan, no longer planned)`);
      return 0;
    }
    const written = await applyConfigPhase(plan, { root: options.root });
    logSteps(log, written.timings);
  }
  if (options.skip !== 'run' && !options.dryRun) {
    const systemctl = createSystemctl({ env });
    const result = await applyRunPhase(undefined, { root: options.root, systemctl });
    logSteps(log, result.timings);
  }
  log(`done in ${Math.round(performance.now() - started)} ms`);
  return 0;
}
