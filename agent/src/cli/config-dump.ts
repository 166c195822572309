import { stringify } from 'yaml';
import { resolve } from 'node:path';
import { writeFiles } from '../apply/write-files.js';
import { loadConfig } from '../sources/index.js';
import { sortKeys, stableJson } from '../common/json.js';
import { EnvironmentError, InputError, describeCause } from '../errors.js';
import { lazyImds, type Env } from './deps.js';
import { stderrLog, type Log } from './log.js';
import { checkedProblems, configRemarks } from './config-describe.js';

export interface ConfigDumpOptions {
  configSources: string[];
  output: string;
  configOutput?: string;
  /** where the node's kubelet version is read; "/" unless a test says */
  root?: string;
}

export async function run(options: ConfigDumpOptions, env: Env, out: (text: string) => void, log: Log = stderrLog): Promise<number> {
  if (options.output !== 'yaml' && options.output !== 'json') {
    throw new InputError(`--output: ${JSON.stringify(options.output)} is not supported (expected yaml or json)`);
  }
  const loaded = await loadConfig(options.configSources, { imds: lazyImds(env, log) });
  // stdout stays the machine-readable dump; what `config check` would say about it goes to stderr
  for (const problem of (await checkedProblems(loaded, env, options.root)).problems) log(`warning: ${problem}`);
  for (const line of configRemarks(loaded)) log(line);
  const { config } = loaded;
  const sorted = sortKeys(config);
  const text = options.output === 'json' ? stableJson(config) : stringify(sorted, { lineWidth: 0 });
  if (options.configOutput) {
    try {
      await writeFiles([{ path: resolve(options.configOutput), mode: 0o600, content: text }], { root: '/' });
    } catch (err) {
      throw new EnvironmentError(`--config-output ${options.configOutput}: cannot write (${describeCause(err)})`, { cause: err });
    }
  } else {
    out(text.replace(/\n$/, ''));
  }
  return 0;
}
