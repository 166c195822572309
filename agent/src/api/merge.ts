import { deepMerge } from '../common/merge.js';
import type { NodeConfig } from './schema.js';
import { parseContainerdToml, stringifyContainerdToml } from './toml.js';

type Tree = Record<string, unknown>;

/** Two containerd TOML fragments deep-merged into one, later keys winning. */
export function mergeToml(base: string, over: string): string {
  return stringifyContainerdToml(deepMerge(parseContainerdToml(base), parseContainerdToml(over)) as Tree);
}

/**
 * Merges NodeConfigs in order, as user data with several parts expects: scalars later-wins,
 * maps deep-merge, lists replace, except kubelet.flags which append, and the containerd TOML
 * which deep-merges as TOML.
 */
export function mergeNodeConfigs(configs: readonly NodeConfig[]): NodeConfig {
  if (configs.length === 0) throw new Error('mergeNodeConfigs needs at least one config');
  let merged = configs[0]!;
  for (const next of configs.slice(1)) {
    const out = deepMerge(merged, next) as NodeConfig;
    const flagsA = merged.spec?.kubelet?.flags;
    const flagsB = next.spec?.kubelet?.flags;
    if (flagsA && flagsB) out.spec!.kubelet!.flags = [...flagsA, ...flagsB];
    const tomlA = merged.spec?.containerd?.config;
    const tomlB = next.spec?.containerd?.config;
    if (tomlA !== undefined && tomlB !== undefined) out.spec!.containerd!.config = mergeToml(tomlA, tomlB);
    merged = out;
  }
  return merged;
}
