import { stringify } from 'yaml';
import { resolve } from 'node:path';
import { writeFiles } from '../apply/write-files.js';
import { loadConfig } from '../sources/index.js';
import { sortKeys, stableJson } from '../common/json.js';
import { EnvironmentError, InputError, describeCause } from '../errors.js';
import { lazyImds, type Env } from './deps.js';
import { stderrLog, type Log } from './log.js';

export interface ConfigDumpOptions {
  configSources: string[];
  output: string;
  configOutput?: string;
}

export async function run(options: ConfigDumpOptions, env: Env, out: (text: string) => void, log: Log = stderrLog): Promise<number> {
  if (options.output !== 'yaml' && options.output !== 'json') {
    throw new InputError(`--output: ${JSON.stringify(options.output)} is not supported (expected yaml or json)`);
  }
  const { config } = await loadConfig(options.configSources, { imds: lazyImds(env, log) });
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
