import { DEFAULT_ENVIRONMENT_KEY, instanceEnvironments } from '../../api/validate.js';
import type { ServiceEnvironment } from '../../apply/unit-status.js';
import { describeCause } from '../../errors.js';
import { KUBELET_UNIT, unitEnvironmentPath } from '../../render/paths.js';
import type { Check } from '../runner.js';
import type { DoctorDeps } from '../types.js';
import type { ConfigValue } from './config.js';

/** The units on the join path: every service's environment (`default`) is judged on these too. */
const JOIN_UNITS = ['containerd.service', KUBELET_UNIT];

/** What the user data asks each unit's processes to get (as the rules read it): every service's variables, then the unit's own over them. */
function expectedEnvironments(value: ConfigValue): Map<string, Map<string, { value: string; key: string }>> {
  const { defaultEnvironment, unitEnvironments } = instanceEnvironments(value.source.spec?.instance?.environment ?? {});
  const out = new Map<string, Map<string, { value: string; key: string }>>();
  const units = [...(defaultEnvironment.length > 0 ? JOIN_UNITS : []), ...unitEnvironments.map((e) => e.unit)];
  for (const unit of new Set(units)) {
    const expected = new Map<string, { value: string; key: string }>();
    for (const { name, value: v } of defaultEnvironment) expected.set(name, { value: v, key: DEFAULT_ENVIRONMENT_KEY });
    const own = unitEnvironments.find((e) => e.unit === unit);
    for (const { name, value: v } of own?.variables ?? []) expected.set(name, { value: v, key: own!.key });
    out.set(unit, expected);
  }
  return out;
}

/**
 * What the user data's spec.instance.environment asks for against what systemd gives the units
 * now (their Environment= and EnvironmentFile= over what their PassEnvironment= takes from PID 1,
 * over the manager's): the agent writes every
 * service's variables as DefaultEnvironment= and a unit's as a drop-in, but an image's own drop-in
 * later in name order, or an EnvironmentFile= of the unit, wins over them, and systemd takes a
 * DefaultEnvironment= only when re-executed. A proxy the user data set that containerd does not
 * get leaves images unpulled and the node NotReady. Values are never printed: they may hold
 * passwords.
 */
export function environmentCheck(deps: DoctorDeps): Check {
  return {
    name: 'environment',
    needs: ['config'],
    timeoutMs: 10_000,
    async run(ctx) {
      const expected = expectedEnvironments(ctx.value<ConfigValue>('config'));
      if (expected.size === 0) return { status: 'ok', detail: 'the user data sets no service environment' };
      const ask = deps.serviceEnvironment;
      const differences: string[] = [];
      const units: string[] = [];
      let variables = 0;
      let daemonReexec = false;
      for (const [unit, wanted] of expected) {
        let given: ServiceEnvironment;
        try {
          if (!ask) throw new Error('systemd cannot be asked here');
          given = await ask(unit, Math.max(1, ctx.remainingMs() - 500));
        } catch (err) {
          return {
            status: 'warn',
            detail: `not judged: systemd did not give ${unit}'s environment (${describeCause(err)})`,
            hint: `see \`systemctl show ${unit} --property=Environment,EnvironmentFiles\``,
          };
        }
        if (given.unit === undefined) {
          differences.push(`${unit} is not loaded, so it gets none of it`);
          continue;
        }
        units.push(unit);
        for (const [name, { value, key }] of wanted) {
          variables++;
          const own = given.unit[name];
          const actual = own ?? given.manager[name];
          if (actual === value) continue;
          if (given.unset?.includes(name)) {
            differences.push(`${unit}: ${name} is taken away by the unit's UnsetEnvironment=, which systemd applies after every other setting`);
          } else if (given.passed?.includes(name)) {
            differences.push(
              `${unit}: ${name} is PID 1's own (from the kernel command line or the initrd), which the unit's PassEnvironment= passes ${key === DEFAULT_ENVIRONMENT_KEY ? "over systemd's default environment" : `while systemd has not loaded the agent's ${unitEnvironmentPath(unit)}`}`,
            );
          } else if (own !== undefined) {
            differences.push(
              `${unit}: ${name} is not spec.instance.environment.${key}'s (a drop-in of the unit after the agent's ${unitEnvironmentPath(unit)}, or an EnvironmentFile= it names, sets another)`,
            );
          } else if (key === DEFAULT_ENVIRONMENT_KEY) {
            daemonReexec = true;
            differences.push(
              `${unit}: ${name} ${actual === undefined ? 'is not set' : 'is another value'}: systemd's default environment is not spec.instance.environment.default's`,
            );
          } else {
            differences.push(`${unit}: ${name} is not set: systemd has not loaded the agent's ${unitEnvironmentPath(unit)}`);
          }
        }
      }
      if (differences.length === 0) {
        return { status: 'ok', detail: `${units.join(', ')} get the ${variables} variable${variables === 1 ? '' : 's'} the user data sets for them` };
      }
      return {
        status: 'warn',
        detail: `what the user data sets is not what the units get: ${differences.join('; ')}`,
        hint:
          "`systemctl cat UNIT` shows every drop-in, EnvironmentFile=, PassEnvironment= and UnsetEnvironment=: a drop-in later in name order, or an EnvironmentFile=, wins over the agent's" +
          (daemonReexec ? '; systemd takes DefaultEnvironment= when re-executed (`systemctl daemon-reexec`, which `eks-node-agent init` runs)' : ''),
      };
    },
  };
}
