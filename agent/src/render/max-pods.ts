import { loadedCel } from './cel.js';
import { InputError, describeCause } from '../errors.js';
import type { EniLimits } from '../facts/types.js';

const FIELD = 'spec.kubelet.maxPodsExpression';
const EXPECTED = 'expected a CEL expression giving a positive int from default_enis, ips_per_eni and max_pods, e.g. "max_pods > 110 ? 110 : max_pods"';
/** Kubernetes' own default, used when the instance type's ENI limits are unknown. */
export const FALLBACK_MAX_PODS = 110;

export interface MaxPodsVariables {
  default_enis: number;
  ips_per_eni: number;
  max_pods: number;
}

export type MaxPodsEvaluator = (vars: MaxPodsVariables) => number;

let env: ReturnType<ReturnType<typeof loadedCel>['celEnv']> | undefined;

/** A typical instance (m5.large) used to try the expression once at compile time. */
const PROBE: MaxPodsVariables = { default_enis: 3, ips_per_eni: 10, max_pods: 29 };

/**
 * Parses and plans the expression, then evaluates it once with m5.large's numbers: the CEL
 * library has no public type checker, and a trial run catches unknown variables, unknown
 * functions and non-int results before the node is half configured. Throws InputError naming
 * spec.kubelet.maxPodsExpression, so the validator can call it too.
 */
export function compileMaxPodsExpression(expr: string): MaxPodsEvaluator {
  const { CelScalar, celEnv, isCelError, isCelUint, parse, plan } = loadedCel();
  env ??= celEnv({ variables: { default_enis: CelScalar.INT, ips_per_eni: CelScalar.INT, max_pods: CelScalar.INT } });
  let evaluate: (ctx: { default_enis: bigint; ips_per_eni: bigint; max_pods: bigint }) => unknown;
  try {
    evaluate = plan(env, parse(expr));
  } catch (err) {
    throw new InputError(`${FIELD}: ${JSON.stringify(expr)} does not parse: ${describeCause(err)} (${EXPECTED})`, { cause: err });
  }
  const evaluator: MaxPodsEvaluator = (vars) => {
    const result = evaluate({
      default_enis: BigInt(vars.default_enis),
      ips_per_eni: BigInt(vars.ips_per_eni),
      max_pods: BigInt(vars.max_pods),
    });
    if (isCelError(result)) {
      throw new InputError(`${FIELD}: ${JSON.stringify(expr)} failed: ${result.message} (${EXPECTED})`, { cause: result });
    }
    const n = typeof result === 'bigint' ? result : isCelUint(result) ? result.value : undefined;
    if (n === undefined) {
      throw new InputError(`${FIELD}: ${JSON.stringify(expr)} gives ${describeValue(result)}, not an int (${EXPECTED})`);
    }
    if (n < 1n || n > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new InputError(`${FIELD}: ${JSON.stringify(expr)} gives ${n} for ${JSON.stringify(vars)} (${EXPECTED})`);
    }
    return Number(n);
  };
  evaluator(PROBE);
  return evaluator;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return `the double ${value}`;
  if (typeof value === 'boolean') return `the bool ${value}`;
  return `a ${typeof value}`;
}

/** ENIs of the default network card × (IPv4 per ENI − 1, the ENI's own address) + 2 host-network pods. */
export function eniMaxPods(limits: EniLimits): number {
  return limits.enis * (limits.ipv4PerEni - 1) + 2;
}

export interface MaxPodsDecision {
  maxPods: number;
  /** how it was decided, for the log */
  source: 'kubelet.config.maxPods' | 'maxPodsExpression' | 'eni-limits' | 'fallback';
  warnings: string[];
}

/**
 * An explicit kubelet.config.maxPods wins; else the CEL expression over the ENI numbers; else
 * the ENI formula; else 110 with a warning.
 */
export function decideMaxPods(input: {
  explicit: unknown;
  expression: string | undefined;
  eniLimits: EniLimits | undefined;
  instanceType: string;
}): MaxPodsDecision {
  if (input.explicit !== undefined) {
    const v = input.explicit;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new InputError(`spec.kubelet.config.maxPods: ${JSON.stringify(v)} is not a positive integer (expected e.g. 58)`);
    }
    return { maxPods: v, source: 'kubelet.config.maxPods', warnings: [] };
  }
  const evaluator = input.expression === undefined ? undefined : compileMaxPodsExpression(input.expression);
  if (!input.eniLimits) {
    const why = `max pods: ENI limits of instance type ${input.instanceType} are unknown, using ${FALLBACK_MAX_PODS}`;
    return {
      maxPods: FALLBACK_MAX_PODS,
      source: 'fallback',
      warnings: [evaluator ? `${why}; ${FIELD} was not evaluated because its variables are unknown` : why],
    };
  }
  const base = eniMaxPods(input.eniLimits);
  if (!evaluator) return { maxPods: base, source: 'eni-limits', warnings: [] };
  const maxPods = evaluator({
    default_enis: input.eniLimits.enis,
    ips_per_eni: input.eniLimits.ipv4PerEni,
    max_pods: base,
  });
  return { maxPods, source: 'maxPodsExpression', warnings: [] };
}
