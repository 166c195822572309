import type { NodeConfig } from '../api/schema.js';
import { kubeletFlagWarnings, maxPodsFlag } from '../api/kubelet-flags.js';
import { containerdConfigWarnings } from './containerd-config.js';
import { maxPodsFlagOverrides } from './max-pods.js';

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
  ];
}
