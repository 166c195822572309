import { existsSync } from 'node:fs';
import { asUnitGets, SERVICE_ENVIRONMENT_TIMEOUT_MS, type ServiceEnvironment, serviceEnvironments } from '../apply/unit-status.js';
import { AGENT_CONFIG_UNIT, AGENT_RUN_UNIT } from '../render/paths.js';
import type { Env } from './deps.js';
import type { Log } from './log.js';
import { startedByUnit } from './run-context.js';

/** The marker systemd leaves when it is the running init, and where an image installs units. */
const SYSTEMD_RUNNING = '/run/systemd/system';
const UNIT_DIRS = ['/etc/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];

/** What asBootGets looks at on the machine: paths, and systemd's answer for a unit (tests give their own). */
export interface BootEnvironmentProbe {
  exists?: (path: string) => boolean;
  environment?: (unit: string, timeoutMs: number) => Promise<ServiceEnvironment>;
  /** /proc/self/cgroup's text, or undefined (run-context.ts) */
  cgroup?: () => string | undefined;
}

/**
 * The environment a person's run of a boot command gets on a node: the one systemd gives the
 * phase's unit (`eks-node-agent-config.service`, or `-run` for `init --skip config`)
 * (the manager's `DefaultEnvironment=` and `systemd.setenv=`, the unit's drop-ins and
 * `EnvironmentFile=`s) over this shell's, as doctor reads it, so that `init` or `config check`
 * typed into a login shell asks IMDS where the boot asked and calls AWS through the boot's proxy,
 * CA bundle and endpoints. A note names the variables that differ from the shell's (never their
 * values). Only for a run no unit started for itself (run-context.ts: a boot, and a user-data
 * script, keep their own environment and pay nothing; an SSM session's shell does not), on the
 * live root of a machine systemd runs whose image has the unit; otherwise, and when systemd does
 * not answer, `env` unchanged.
 */
export async function asBootGets(env: Env, phase: 'config' | 'run', root: string, log: Log, probe: BootEnvironmentProbe = {}): Promise<Env> {
  const { exists = existsSync, environment = serviceEnvironments(), cgroup } = probe;
  const unit = phase === 'config' ? AGENT_CONFIG_UNIT : AGENT_RUN_UNIT;
  if (root !== '/' || startedByUnit(env, cgroup) || !exists(SYSTEMD_RUNNING)) return env;
  if (!UNIT_DIRS.some((dir) => exists(`${dir}/${unit}`))) return env;
  const boot = asUnitGets(env, await environment(unit, SERVICE_ENVIRONMENT_TIMEOUT_MS).catch(() => undefined));
  if (boot === env) return env;
  const differ = Object.keys(boot)
    .filter((name) => boot[name] !== env[name])
    .sort();
  if (differ.length > 0)
    log(
      `note: run from a shell, so with the environment systemd gives ${unit} at boot over this shell's: ${differ.join(', ')} ${differ.length === 1 ? 'differs' : 'differ'} from the shell's`,
    );
  return boot;
}
