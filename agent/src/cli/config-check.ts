import { missingClusterFields, unappliedFields } from '../api/validate.js';
import { InputError } from '../errors.js';
import { loadConfig } from '../sources/index.js';
import { containerdConfigWarnings } from '../render/containerd-config.js';
import { lazyImds, type Env } from './deps.js';

export interface ConfigCheckOptions {
  configSources: string[];
}

/** A person is reading: every problem is an error, advisory ones included. */
export async function run(options: ConfigCheckOptions, env: Env, out: (line: string) => void): Promise<number> {
  const loaded = await loadConfig(options.configSources, { imds: lazyImds(env) });
  if (loaded.advisories.length > 0) throw new InputError(loaded.advisories);
  out('configuration is valid');
  out(`merged ${loaded.documents.length} NodeConfig document(s): ${loaded.documents.join(', ')}`);
  for (const note of loaded.ignored) out(`ignored: ${note}`);
  for (const note of loaded.notes) out(`note: ${note}`);
  for (const note of unappliedFields(loaded.config)) out(`note: ${note}`);
  // what render and init will warn about, so a reader sees it before a node does
  for (const warning of containerdConfigWarnings(loaded.config.spec?.containerd?.config)) out(`warning: ${warning}`);
  const missing = missingClusterFields(loaded.config.spec?.cluster);
  out(
    missing.length > 0
      ? `will fetch with eks:DescribeCluster: ${missing.map((f) => `spec.cluster.${f}`).join(', ')}`
      : 'cluster details are complete: no EKS API call on boot',
  );
  return 0;
}
