import { missingClusterFields } from '../api/validate.js';
import { InputError } from '../errors.js';
import { loadConfig, validateLoadedConfig, type LoadedConfig } from '../sources/index.js';
import { hasSociSnapshotter } from '../facts/soci-snapshotter.js';
import { checkedProblems, configRemarks, describeNodeEnvironment } from './config-describe.js';
import { lazyImds, type Env } from './deps.js';
import { describeLocalStorageOn } from '../apply/local-storage.js';
import { localStorageIntent } from '../storage/plan.js';
import { stderrLog, type Log } from './log.js';
import { oneLine } from '../common/one-line.js';

export interface ConfigCheckOptions {
  configSources: string[];
  /** where the node's files are read (its kubelet version, its disks); "/" unless a test says */
  root?: string;
}

/** A person is reading: every problem is an error, advisory ones included. */
export async function run(options: ConfigCheckOptions, env: Env, print: (line: string) => void, log: Log = stderrLog): Promise<number> {
  const out = (line: string) => print(oneLine(line));
  const merged = await loadConfig(options.configSources, { imds: lazyImds(env, log) }, { validate: false });
  // a refused config still gets what a boot would warn about, so that one pass shows every change to make
  const refused = (err: unknown): never => {
    for (const line of bootWarnings(merged)) out(line);
    throw err;
  };
  const loaded = await validateLoadedConfig(merged).catch(refused);
  const { problems, kubelet } = await checkedProblems(loaded, env, options.root);
  if (problems.length > 0) refused(new InputError(problems));
  out('configuration is valid');
  if (kubelet) out(`judged for this node's kubelet ${kubelet.version} too (${kubelet.from})`);
  out(`merged ${loaded.documents.length} NodeConfig document(s): ${loaded.documents.join(', ')}`);
  for (const note of loaded.ignored) out(`ignored: ${note}`);
  for (const line of configRemarks(loaded)) out(line);
  // what the run phase would do with this machine's disks (on a workstation: none found)
  const root = options.root ?? '/';
  const storage = localStorageIntent(loaded.config.spec, { sociSnapshotter: hasSociSnapshotter(root) });
  const storageLine = describeLocalStorageOn(root, storage);
  if (storageLine) out(storageLine);
  const missing = missingClusterFields(loaded.config.spec?.cluster);
  out(
    missing.length > 0
      ? `will fetch with eks:DescribeCluster: ${missing.map((f) => `spec.cluster.${f}`).join(', ')}`
      : 'cluster details are complete: no EKS API call on boot',
  );
  for (const line of describeNodeEnvironment(loaded.config)) out(line);
  return 0;
}

/**
 * The `warning:` lines of a merged config, which may be one the validator refused: a rule that
 * cannot read a value the validator names (a TOML that does not parse, say) leaves its warnings
 * out rather than hide the errors.
 */
function bootWarnings(loaded: LoadedConfig): string[] {
  try {
    return configRemarks(loaded).filter((line) => line.startsWith('warning: '));
  } catch {
    return [];
  }
}
