import { describeCause, InputError } from '../errors.js';
import { loadedCel } from './cel.js';
import { KUBELET_INT32_MAX } from './kubelet-config-fields.js';

export const MAX_PODS_EXPRESSION_FIELD = 'spec.kubelet.maxPodsExpression';
const EXPECTED =
  'expected a CEL expression giving a positive int from default_enis, ips_per_eni, max_pods, vcpus, max_ipv4_prefixes and recommended_max_pods, e.g. "max_pods > 110 ? 110 : max_pods"';

/** What the instance gives the expression; the other variables are derived from it. */
export interface MaxPodsInputs {
  /** ENIs of the default network card */
  default_enis: number;
  /** IPv4 addresses per ENI */
  ips_per_eni: number;
  /** the ENI formula's answer: default_enis × (ips_per_eni − 1) + 2 */
  max_pods: number;
  /** the instance's vCPUs */
  vcpus: number;
}

/**
 * Every variable of maxPodsExpression. The prefix-delegation ones make the VPC CNI's formulas
 * writable without repeating the ENI arithmetic:
 * - max_ipv4_prefixes: /28 prefixes the default card's ENIs can hold, one per secondary IPv4
 *   slot, default_enis × (ips_per_eni − 1). Pods with prefix delegation: max_ipv4_prefixes × 16 + 2
 *   (with custom networking the primary ENI carries no pods: (default_enis − 1) × (ips_per_eni − 1) × 16 + 2).
 * - recommended_max_pods: the cap AWS recommends for prefix delegation, 110 below 30 vCPUs, else 250.
 */
export interface MaxPodsVariables extends MaxPodsInputs {
  max_ipv4_prefixes: number;
  recommended_max_pods: number;
}

export function maxPodsVariables(inputs: MaxPodsInputs): MaxPodsVariables {
  return {
    ...inputs,
    max_ipv4_prefixes: inputs.default_enis * (inputs.ips_per_eni - 1),
    recommended_max_pods: inputs.vcpus < 30 ? 110 : 250,
  };
}

const VARIABLE_NAMES = ['default_enis', 'ips_per_eni', 'max_pods', 'vcpus', 'max_ipv4_prefixes', 'recommended_max_pods'] as const;

/** The compiled expression; throws InputError naming the field when it fails for these variables. */
export type MaxPodsEvaluator = (inputs: MaxPodsInputs) => number;

let env: ReturnType<ReturnType<typeof loadedCel>['celEnv']> | undefined;

/** Numbers of two instance types (m5.large, c5.24xlarge), only to learn the result's type (see below). */
const TYPE_PROBES: MaxPodsInputs[] = [
  { default_enis: 3, ips_per_eni: 10, max_pods: 29, vcpus: 2 },
  { default_enis: 15, ips_per_eni: 50, max_pods: 737, vcpus: 96 },
];

/**
 * Parses and plans the expression. The CEL library has no public type checker, so the program
 * is run on sample numbers to learn whether it gives an int at all: what fails on every sample
 * (an unknown variable, a string result) is wrong on every instance. Whether the int is a
 * usable max pods depends on the instance, so the range is judged only on the node's numbers.
 */
export function compileMaxPodsExpression(expr: string): MaxPodsEvaluator {
  const { CelScalar, celEnv, isCelError, isCelUint, parse, plan } = loadedCel();
  env ??= celEnv({ variables: Object.fromEntries(VARIABLE_NAMES.map((name) => [name, CelScalar.INT])) });
  let program: (ctx: Record<string, bigint>) => unknown;
  try {
    program = plan(env, parse(expr));
  } catch (err) {
    throw new InputError(`${MAX_PODS_EXPRESSION_FIELD}: ${JSON.stringify(expr)} does not parse: ${describeCause(err)} (${EXPECTED})`, { cause: err });
  }
  const run = (inputs: MaxPodsInputs): bigint => {
    const vars = maxPodsVariables(inputs);
    const result = program(Object.fromEntries(VARIABLE_NAMES.map((name) => [name, BigInt(vars[name])])));
    if (isCelError(result)) {
      throw new InputError(`${MAX_PODS_EXPRESSION_FIELD}: ${JSON.stringify(expr)} failed: ${result.message} (${EXPECTED})`, { cause: result });
    }
    const n = typeof result === 'bigint' ? result : isCelUint(result) ? result.value : undefined;
    if (n === undefined) throw new InputError(`${MAX_PODS_EXPRESSION_FIELD}: ${JSON.stringify(expr)} gives ${describeValue(result)}, not an int (${EXPECTED})`);
    return n;
  };
  let firstFailure: unknown;
  for (const probe of TYPE_PROBES) {
    try {
      run(probe);
      firstFailure = undefined;
      break;
    } catch (err) {
      firstFailure ??= err;
    }
  }
  if (firstFailure) throw firstFailure;
  return (vars) => {
    const n = run(vars);
    if (n < 1n || n > BigInt(KUBELET_INT32_MAX)) {
      const why = n < 1n ? 'not a positive max pods' : `more than the kubelet's maxPods holds (${KUBELET_INT32_MAX})`;
      throw new InputError(`${MAX_PODS_EXPRESSION_FIELD}: ${JSON.stringify(expr)} gives ${n} on this instance (${JSON.stringify(vars)}), ${why}`);
    }
    return Number(n);
  };
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return `the double ${value}`;
  if (typeof value === 'boolean') return `the bool ${value}`;
  return `a ${typeof value}`;
}
