import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { translateBootstrapArgs } from '../bootstrap-sh/translate.js';
import { validateNodeConfig } from '../api/validate.js';
import { writeFiles } from '../apply/write-files.js';
import { sortKeys, stableJson } from '../common/json.js';
import { EnvironmentError, InputError, describeCause } from '../errors.js';
import { run as init } from './init.js';
import { DROP_IN_DIRS } from '../sources/index.js';
import { stderrLog, type Log } from './log.js';
import type { Env } from './deps.js';

/**
 * The AL2 `/etc/eks/bootstrap.sh` interface on this image. `config from-bootstrap` prints the
 * NodeConfig its arguments mean (for migrating user data); `bootstrap-sh`, which the image's
 * bootstrap.sh calls, drops that NodeConfig into /etc/eks/eks-node-agent.d/ and runs init with
 * the sources the boot units read, so the run unit afterwards finds the same configuration.
 */

export const BOOTSTRAP_SH_DROP_IN = '/etc/eks/eks-node-agent.d/50-bootstrap-sh.yaml';

/** The sources both boot units read, in merge order; drop-ins after user data. */
export function bootSources(root: string): string[] {
  return ['imds://user-data', ...DROP_IN_DIRS.map((dir) => `file://${join(root, dir)}`)];
}

export interface FromBootstrapOptions {
  args: string[];
  output: string;
}

export async function fromBootstrap(options: FromBootstrapOptions, out: (text: string) => void, log: Log = stderrLog): Promise<number> {
  if (options.output !== 'yaml' && options.output !== 'json') {
    throw new InputError(`--output: ${JSON.stringify(options.output)} is not supported (expected yaml or json)`);
  }
  const { config, warnings } = translateBootstrapArgs(options.args, { readFile: (path) => readFileSync(path, 'utf8') });
  for (const w of warnings) log(`warning: ${w}`);
  // what `config check` would say of the output, so the printed NodeConfig is one it accepts
  const problems = await validateNodeConfig(config);
  if (problems.length) throw new InputError(problems);
  out((options.output === 'json' ? stableJson(config) : stringify(sortKeys(config), { lineWidth: 0 })).replace(/\n$/, ''));
  return 0;
}

export interface BootstrapShOptions {
  args: string[];
  root: string;
}

export async function bootstrapSh(options: BootstrapShOptions, env: Env, out: (line: string) => void, log: Log = stderrLog): Promise<number> {
  const { config, warnings } = translateBootstrapArgs(options.args, {
    env,
    readFile: (path) => readFileSync(join(options.root, path), 'utf8'),
  });
  for (const w of warnings) log(`warning: ${w}`);
  const header = '# Written by /etc/eks/bootstrap.sh from its arguments; merged after the user data NodeConfig.\n';
  const file = join(options.root, BOOTSTRAP_SH_DROP_IN);
  const previous = await readFile(file, 'utf8').catch(() => undefined);
  const write = (content: string) => writeFiles([{ path: BOOTSTRAP_SH_DROP_IN, mode: 0o600, content }], { root: options.root });
  try {
    await write(header + stringify(sortKeys(config), { lineWidth: 0 }));
  } catch (err) {
    throw new EnvironmentError(`writing ${file}: ${describeCause(err)}`, { cause: err });
  }
  log(`bootstrap.sh: wrote ${BOOTSTRAP_SH_DROP_IN}`);
  try {
    return await init({ configSources: bootSources(options.root), root: options.root, dryRun: false }, env, out, log);
  } catch (err) {
    // A translation the merged configuration rejects must not stay behind for the run unit.
    if (err instanceof InputError) await (previous === undefined ? rm(file, { force: true }) : write(previous));
    throw err;
  }
}
