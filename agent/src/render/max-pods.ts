import { MAX_PODS_EXPRESSION_FIELD, type MaxPodsEvaluator } from '../api/max-pods-expression.js';
import { describeCause } from '../errors.js';
import type { EniLimits } from '../facts/types.js';
import type { MaxPodsFlag } from '../api/kubelet-flags.js';

/** Kubernetes' own default, used when the instance type's ENI limits are unknown. */
export const FALLBACK_MAX_PODS = 110;

/** ENIs of the default network card × (IPv4 per ENI − 1, the ENI's own address) + 2 host-network pods. */
export function eniMaxPods(limits: EniLimits): number {
  return limits.enis * (limits.ipv4PerEni - 1) + 2;
}

/** The same with the VPC CNI's prefix delegation: each secondary address slot holds a /28 (16 addresses). */
export function eniMaxPodsWithPrefixes(limits: EniLimits): number {
  return limits.enis * (limits.ipv4PerEni - 1) * 16 + 2;
}

export interface MaxPodsDecision {
  maxPods: number;
  /** how it was decided, for the log */
  source: 'kubelet.flags' | 'kubelet.config.maxPods' | 'maxPodsExpression' | 'eni-limits' | 'fallback';
  warnings: string[];
}

/**
 * What a `--max-pods` flag overrides, one warning each: the kubelet takes the flag over its
 * config, so kubelet.config.maxPods or maxPodsExpression would only seem to apply. The same lines
 * for `config check` (from the spec) and render (which decides by them).
 */
export function maxPodsFlagOverrides(flag: MaxPodsFlag | undefined, explicit: unknown, hasExpression: boolean): string[] {
  if (flag?.value === undefined) return [];
  const overridden = [
    ...(explicit !== undefined && explicit !== flag.value ? [`spec.kubelet.config.maxPods (${JSON.stringify(explicit)})`] : []),
    ...(hasExpression ? [MAX_PODS_EXPRESSION_FIELD] : []),
  ];
  if (overridden.length === 0) return [];
  return [
    `${flag.path}: "${flag.flag}" overrides ${overridden.join(' and ')}: the kubelet takes a flag over its config, so max pods is ${flag.value}, and the memory reserved for the kubelet follows it`,
  ];
}

/**
 * A `--max-pods` kubelet flag wins, as it does in the kubelet (the rule set read it); else an
 * explicit kubelet.config.maxPods (checked by the rule set too); else the CEL expression over the
 * ENI numbers; else the ENI formula; else 110 with a warning. An expression that fails on this
 * instance is advisory at boot: a warning, and the ENI formula, as nodeadm does.
 */
export function decideMaxPods(input: {
  flag?: MaxPodsFlag | undefined;
  explicit: number | undefined;
  expression: MaxPodsEvaluator | undefined;
  eniLimits: EniLimits | undefined;
  instanceType: string;
  cpuMillicores: number;
  /** why the ENI limits are unknown, when they are */
  unknownWhy?: string | undefined;
}): MaxPodsDecision {
  if (input.flag?.value !== undefined) {
    return { maxPods: input.flag.value, source: 'kubelet.flags', warnings: maxPodsFlagOverrides(input.flag, input.explicit, input.expression !== undefined) };
  }
  if (input.explicit !== undefined) return { maxPods: input.explicit, source: 'kubelet.config.maxPods', warnings: [] };
  if (!input.eniLimits) {
    const why = `max pods: ENI limits of instance type ${input.instanceType} are unknown${input.unknownWhy ? ` (${input.unknownWhy})` : ''}, using ${FALLBACK_MAX_PODS}`;
    return {
      maxPods: FALLBACK_MAX_PODS,
      source: 'fallback',
      warnings: [input.expression ? `${why}; ${MAX_PODS_EXPRESSION_FIELD} was not evaluated because its variables are unknown` : why],
    };
  }
  const base = eniMaxPods(input.eniLimits);
  if (!input.expression) return { maxPods: base, source: 'eni-limits', warnings: [] };
  try {
    const maxPods = input.expression({
      default_enis: input.eniLimits.enis,
      ips_per_eni: input.eniLimits.ipv4PerEni,
      max_pods: base,
      vcpus: Math.max(1, Math.round(input.cpuMillicores / 1000)),
    });
    return { maxPods, source: 'maxPodsExpression', warnings: [] };
  } catch (err) {
    return { maxPods: base, source: 'eni-limits', warnings: [`${err instanceof Error ? err.message : describeCause(err)}; using the ENI formula (${base})`] };
  }
}
