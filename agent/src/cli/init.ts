import { loadConfig } from '../sources/index.js';
import { unappliedFields } from '../api/validate.js';
import { createEksApi } from '../aws/eks.js';
import { createEc2Api, type Ec2Api } from '../aws/ec2.js';
import { gatherInstanceFacts } from '../facts/instance.js';
import { resolveCluster } from '../facts/cluster.js';
import { lookupEniLimits } from '../facts/eni-limits.js';
import { readSandboxImage } from '../facts/sandbox-image.js';
import { render } from '../render/index.js';
import { applyConfigPhase, applyRunPhase, createSystemctl, type StepTiming } from '../apply/index.js';
import { configChecks } from './config-checks.js';
import { lazyImds, type Env } from './deps.js';
import { cachedEks } from './cluster-cache.js';
import { formatPlan } from './plan-format.js';
import { withCluster } from './render.js';
import { stderrLog, timed, type Log } from './log.js';

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
 * Config phase: resolve the NodeConfig, gather facts, fill in cluster details, render and write.
 * Run phase: daemon-reload if needed, restart containerd and wait for it, restart kubelet.
 * The two run as separate systemd units on a node; without --skip both run here in order.
 */
export async function run(options: InitOptions, env: Env, out: (line: string) => void, log: Log = stderrLog): Promise<number> {
  const started = performance.now();
  const imds = lazyImds(env);
  if (options.skip !== 'config') {
    const loaded = await timed(log, 'resolve config', () => loadConfig(options.configSources, { imds }, configChecks), (l) =>
      `${l.documents.length} document(s)${l.ignored.length ? `, ${l.ignored.length} ignored` : ''}`,
    );
    for (const note of unappliedFields(loaded.config)) log(`warning: ${note}`);
    let region = '';
    const aws = (endpoint: string | undefined) => ({ region, ...(endpoint ? { endpoint } : {}) });
    let ec2: Ec2Api | undefined;
    const ec2Api = () => (ec2 ??= createEc2Api(aws(env.AWS_ENDPOINT_URL_EC2)));
    const instance = await timed(
      log,
      'facts',
      () =>
        gatherInstanceFacts({
          imds: imds(),
          root: options.root,
          privateDnsNameFallback: (id, r) => {
            region = r;
            return ec2Api().describeInstancePrivateDnsName(id);
          },
        }),
      (f) => `${f.instanceType} in ${f.availabilityZone}, ${f.cpuMillicores}m CPU, ${f.memoryMiB} MiB, kubelet ${f.kubeletVersion}, containerd ${f.containerdVersion}`,
    );
    region = instance.region;
    let cacheHit = false;
    const eks = cachedEks(options.root, () => createEksApi(aws(env.AWS_ENDPOINT_URL_EKS)), () => (cacheHit = true));
    const { cluster } = await timed(
      log,
      'cluster',
      () => resolveCluster(loaded.config.spec?.cluster, { eks }),
      (r) =>
        r.fetched.length === 0
          ? 'complete in user data, no EKS call'
          : `${r.fetched.join(', ')} from ${cacheHit ? 'the cached DescribeCluster answer' : 'eks:DescribeCluster'}`,
    );
    const [eni, sandboxImage] = await timed(
      log,
      'max pods data',
      () =>
        Promise.all([
          lookupEniLimits(instance.instanceType, { root: options.root, ec2: { describeInstanceTypeEnis: (t) => ec2Api().describeInstanceTypeEnis(t) } }),
          readSandboxImage(options.root),
        ]),
      ([e]) => `ENI limits from ${e.source === 'none' ? 'nowhere' : e.source}`,
    );
    for (const warning of eni.warnings) log(`warning: ${warning}`);
    const plan = await timed(
      log,
      'render',
      () => render(withCluster(loaded.config, cluster), { instance, ...(eni.limits ? { eniLimits: eni.limits } : {}), ...(sandboxImage ? { sandboxImage } : {}) }),
      (p) => `${p.files.length} files, ${p.units.length} unit actions`,
    );
    for (const warning of plan.warnings) log(`warning: ${warning}`);
    if (options.dryRun) {
      for (const line of formatPlan(plan)) out(line);
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
