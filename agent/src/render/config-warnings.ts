import type { NodeConfig } from '../api/schema.js';
import { kubeletFlagWarnings, maxPodsFlag } from '../api/kubelet-flags.js';
import { containerdConfigWarnings } from './containerd-config.js';
import { imdsProxyWarnings, pullProxyWarnings } from './kubelet-proxy.js';
import { maxPodsFlagOverrides } from './max-pods.js';
import { gateDefaultWarnings } from '../api/kubelet-config-rules.js';
import { gateVersionWarnings, withoutAbsentGates } from '../api/kubelet-feature-gates.js';
import { shutdownShareWarnings } from './kubelet-config.js';
import { kubeletVersionedDefaults } from './kubelet-defaults.js';
import type { Version } from './versions.js';

/**
 * What render and init will warn about in a config whatever the instance, for the readers that
 * know no facts: `config check` prints these as `warning:` lines and `doctor`'s config line
 * names them, so neither calls a config plainly valid that a boot warns about.
 */
export function configWarnings(config: NodeConfig): string[] {
  const kubelet = config.spec?.kubelet;
  return [
    ...containerdConfigWarnings(config.spec?.containerd?.config),
    ...maxPodsFlagOverrides(maxPodsFlag(kubelet?.flags), kubelet?.config?.maxPods, kubelet?.maxPodsExpression !== undefined),
    ...kubeletFlagWarnings(kubelet?.flags, kubelet?.config),
    ...imdsProxyWarnings(config),
    ...pullProxyWarnings(config),
  ];
}

/** The user's kubelet.config as this kubelet gets it: without the gates it lacks (it would stop at start for them); undefined when no key is left. */
export function kubeletFragmentFor(config: NodeConfig, kubelet: Version): Record<string, unknown> | undefined {
  const fragment = config.spec?.kubelet?.config;
  const kept = kubelet.major === 1 ? withoutAbsentGates(fragment, kubelet.minor) : fragment;
  return kept && Object.keys(kept).length > 0 ? kept : undefined;
}

/**
 * What render and init warn about in a config for one kubelet version, whatever the instance: a
 * gate this kubelet lacks (left out) or locks, a field whose gate it has off by default, a
 * showHiddenMetricsForVersion not its previous minor, a critical pods' share longer than the grace
 * period it gets. render takes them into its warnings; `config check`, on a node whose image
 * records its kubelet's version, refuses them.
 */
export function kubeletVersionWarnings(config: NodeConfig, kubelet: Version): string[] {
  const flags = config.spec?.kubelet?.flags;
  const fragment = kubeletFragmentFor(config, kubelet);
  return [
    ...shutdownShareWarnings(kubeletVersionedDefaults(kubelet).config, fragment, flags),
    ...(kubelet.major === 1 ? gateDefaultWarnings(fragment, flags, kubelet.minor) : []),
    ...(kubelet.major === 1 ? gateVersionWarnings(config.spec?.kubelet?.config, flags, kubelet.minor) : []),
  ];
}
