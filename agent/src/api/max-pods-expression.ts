import { describeCause, InputError } from '../errors.js';
import { loadedCel } from './cel.js';

export const MAX_PODS_EXPRESSION_FIELD = 'spec.kubelet.maxPodsExpression';
const EXPECTED = 'expected a CEL expression giving a positive int from default_enis, ips_per_eni and max_pods, e.g. "max_pods > 110 ? 110 : max_pods"';

export interface MaxPodsVariables {
  default_enis: number;
  ips_per_eni: number;
  max_pods: number;
}

/** The compiled expression; throws InputError naming the field when it fails for these variables. */
export type MaxPodsEvaluator = (vars: MaxPodsVariables) => number;

let env: ReturnType<ReturnType<typeof loadedCel>['celEnv']> | undefined;

/** Numbers of two instance types (m5.large, c5.24xlarge), only to learn the result's type (see below). */
const TYPE_PROBES: MaxPodsVariables[] = [
  { default_enis: 3, ips_per_eni: 10, max_pods: 29 },
  { default_enis: 15, ips_per_eni: 50, max_pods: 737 },
];

/**
 * Parses and plans the expression. The CEL library has no public type checker, so the program
 * is run on sample numbers to learn whether it gives an int at all: what fails on every sample
 * (an unknown variable, a string result) is wrong on every instance. Whether the int is a
 * usable max pods depends on the instance, so the range is judged only on the node's numbers.
 */
export function compileMaxPodsExpression(expr: string): MaxPodsEvaluator {
  const { CelScalar, celEnv, isCelError, isCelUint, parse, plan } = loadedCel();
  env ??= celEnv({ variables: { default_enis: CelScalar.INT, ips_per_eni: CelScalar.INT, max_pods: CelScalar.INT } });
  let program: (ctx: { default_enis: bigint; ips_per_eni: bigint; max_pods: bigint }) => unknown;
  try {
    program = plan(env, parse(expr));
  } catch (err) {
    throw new InputError(`${MAX_PODS_EXPRESSION_FIELD}: ${JSON.stringify(expr)} does not parse: ${describeCause(err)} (${EXPECTED})`, { cause: err });
  }
  const run = (vars: MaxPodsVariables): bigint => {
    const result = program({ default_enis: BigInt(vars.default_enis), ips_per_eni: BigInt(vars.ips_per_eni), max_pods: BigInt(vars.max_pods) });
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
    if (n < 1n || n > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new InputError(`${MAX_PODS_EXPRESSION_FIELD}: ${JSON.stringify(expr)} gives ${n} on this instance (${JSON.stringify(vars)}), not a positive max pods`);
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
