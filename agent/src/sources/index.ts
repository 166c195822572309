import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, describeCause } from '../errors.js';
import type { Imds } from '../aws/imds.js';
import type { NodeConfig } from '../api/schema.js';
import { parseNodeConfigs } from '../api/parse.js';
import { readKubeletFlagItems } from '../api/kubelet-flag-items.js';
import { registerTaintsMergeWarnings } from '../api/kubelet-flags.js';
import { mergeNodeConfigs } from '../api/merge.js';
import { advisoryProblems, validateNodeConfig } from '../api/validate.js';
import { decodeUserData, type ConfigDocument } from './decode.js';
import { readRegularFile } from './read-file.js';
import { assertNestingDepth } from './nesting.js';

export const DEFAULT_SOURCE = 'imds://user-data';
/** Where bootstrap.sh and user-data scripts drop NodeConfig files; both boot units read them after user data. */
export const DROP_IN_DIRS = ['/etc/eks/nodeadm.d/', '/etc/eks/eks-node-agent.d/'] as const;
const DIR_ENTRY = /\.(ya?ml|json)$/i;

export interface SourceDeps {
  /** built on first use, so file-only runs never touch IMDS */
  imds: () => Imds;
}

export interface LoadedConfig {
  config: NodeConfig;
  /** where each merged document came from, in merge order */
  documents: string[];
  /** what was read but held no NodeConfig (scripts, other MIME parts, empty sources) */
  ignored: string[];
  /**
   * problems that only advise (unknown fields, a NodeConfig swallowed by a script part):
   * `config check` reports them as errors, a boot as warnings, and goes on without them
   */
  advisories: string[];
  /** empty optional values treated as not set */
  notes: string[];
  /**
   * what a boot warns about that only the documents show, not their merge (a later document's
   * registerWithTaints leaving out an earlier one's taints): warnings for every command
   */
  warnings: string[];
  /**
   * non-empty parts another program acts on (user-data scripts, cloud-config, boothooks: cloud-init
   * runs them between the two boot phases), by label; the config phase starts nothing early if any
   */
  otherParts: string[];
}

type Source = { kind: 'imds' } | { kind: 'file'; path: string };

export function parseSourceUri(uri: string): Source {
  if (uri === 'imds://user-data') return { kind: 'imds' };
  if (uri.startsWith('file://')) {
    let path: string;
    try {
      path = fileURLToPath(uri);
    } catch (err) {
      throw new InputError(`--config-source ${JSON.stringify(uri)}: ${describeCause(err)} (expected file:///absolute/path)`);
    }
    return { kind: 'file', path };
  }
  throw new InputError(`--config-source ${JSON.stringify(uri)}: unsupported source (expected imds://user-data or file:///path)`);
}

async function readSource(uri: string, source: Source, deps: SourceDeps) {
  if (source.kind === 'imds') {
    const data = await deps.imds().getBytesOptional('user-data');
    return data ? [decodeUserData(data, uri)] : [{ documents: [], ignored: [`${uri}: no user data`], advisories: [], otherParts: [] }];
  }
  let info;
  try {
    info = statSync(source.path);
  } catch (err) {
    // A drop-in directory (a URI ending in "/") that nobody created is simply empty: the units
    // name /etc/eks/nodeadm.d/ on every boot, and only some user data writes it.
    if (uri.endsWith('/') && (err as NodeJS.ErrnoException).code === 'ENOENT')
      return [{ documents: [], ignored: [`${uri}: no such directory`], advisories: [], otherParts: [] }];
    throw new InputError(`${uri}: cannot read (${describeCause(err)})`, { cause: err });
  }
  const files = info.isDirectory()
    ? readdirSync(source.path)
        .filter((name) => DIR_ENTRY.test(name))
        .sort()
        .map((name) => join(source.path, name))
    : [source.path];
  if (files.length === 0) return [{ documents: [], ignored: [`${uri}: no *.yaml, *.yml or *.json files`], advisories: [], otherParts: [] }];
  return files.map((file) => decodeUserData(readRegularFile(file, `file://${file}`), `file://${file}`));
}

/** No source held a NodeConfig: an error for `config check`, a reason to wait for `init`. */
export class NoNodeConfigError extends InputError {
  override name = 'NoNodeConfigError';
}

/**
 * Reads every source in order, parses the NodeConfig documents they hold, merges them (later
 * wins) and validates the result. Fails with every problem found, each naming its field;
 * advisory problems are returned for the caller to weigh (see LoadedConfig.advisories).
 */
/**
 * On a node booted by bootstrap.sh the NodeConfig lives in a drop-in directory, not in the user
 * data: a person running `doctor` or `config check` with the default source is told where it is
 * and how the boot units read it, instead of only that the user data holds none.
 */
function unreadDropIns(uris: readonly string[], dirs: readonly string[]): string {
  const hints: string[] = [];
  for (const dir of dirs) {
    const uri = `file://${dir}`;
    if (uris.some((u) => u === uri || u === uri.replace(/\/$/, ''))) continue;
    let count = 0;
    try {
      count = readdirSync(dir).filter((name) => DIR_ENTRY.test(name)).length;
    } catch {
      continue;
    }
    if (count > 0) hints.push(`${dir} holds ${count} NodeConfig file(s), which the boot units read: add -c ${uri}`);
  }
  return hints.length > 0 ? `; ${hints.join('; ')}` : '';
}

export async function loadConfig(
  uris: readonly string[],
  deps: SourceDeps,
  options: { validate?: boolean /** for tests: where drop-ins would be looked for */; dropInDirs?: readonly string[] } = {},
): Promise<LoadedConfig> {
  const list = uris.length > 0 ? uris : [DEFAULT_SOURCE];
  const sources = list.map((uri) => ({ uri, source: parseSourceUri(uri) }));
  const documents: ConfigDocument[] = [];
  const ignored: string[] = [];
  // Advisory problems: a NodeConfig swallowed by a script part, then unknown fields.
  const advisories: string[] = [];
  const otherParts: string[] = [];
  for (const { uri, source } of sources) {
    for (const decoded of await readSource(uri, source, deps)) {
      documents.push(...decoded.documents);
      ignored.push(...decoded.ignored);
      advisories.push(...decoded.advisories);
      otherParts.push(...decoded.otherParts);
    }
  }
  const configs: NodeConfig[] = [];
  const where: string[] = [];
  const notes: string[] = [];
  for (const doc of documents) {
    assertNestingDepth(doc.text, doc.where);
    for (const parsed of parseNodeConfigs(doc.text, doc.where)) {
      configs.push(parsed.config);
      where.push(parsed.where);
      advisories.push(...parsed.advisories);
      notes.push(...parsed.notes);
    }
  }
  if (configs.length === 0) {
    const seen = ignored.length > 0 ? ` (${ignored.join('; ')})` : '';
    const unread = unreadDropIns(list, options.dropInDirs ?? DROP_IN_DIRS);
    throw new NoNodeConfigError([`no NodeConfig found in ${list.join(', ')}${seen}${unread}`, ...advisories]);
  }
  const config = withFlagItemsRead(mergeNodeConfigs(configs), advisories);
  advisories.push(...advisoryProblems(config));
  const warnings = registerTaintsMergeWarnings(configs.map((c, i) => ({ where: where[i]!, kubeletConfig: c.spec?.kubelet?.config })));
  const loaded = { config, documents: where, ignored, advisories, notes, warnings, otherParts };
  // Unvalidated only for a caller comparing the merge with one validated before (the run phase),
  // which validates it with validateLoadedConfig once it differs.
  return options.validate === false ? loaded : validateLoadedConfig(loaded);
}

/** The merged config with its kubelet flags read one per item (api/kubelet-flag-items.ts), saying so in advisories. */
function withFlagItemsRead(config: NodeConfig, advisories: string[]): NodeConfig {
  const read = readKubeletFlagItems(config.spec?.kubelet?.flags);
  if (read.advisories.length === 0) return config;
  advisories.push(...read.advisories);
  return { ...config, spec: { ...config.spec, kubelet: { ...config.spec?.kubelet, flags: read.flags } } };
}

/**
 * The validation loadConfig does, for a merge it returned unvalidated: the same rules and the
 * same error, without reading the sources again.
 */
export async function validateLoadedConfig(loaded: LoadedConfig): Promise<LoadedConfig> {
  const problems = await validateNodeConfig(loaded.config);
  if (problems.length > 0) throw new InputError([...problems, ...loaded.advisories]);
  return loaded;
}
