import { EnvironmentError, describeCause } from '../errors.js';

/** What `systemctl show` says about a unit, the properties the doctor judges. */
export interface UnitStatus {
  unit: string;
  /** LoadState: loaded, not-found, masked */
  loadState: string;
  /** ActiveState: active, inactive, failed, activating, deactivating */
  activeState: string;
  subState: string;
  /** Result: success, exit-code, signal, timeout, ... */
  result: string;
  /** ExecMainStatus: the main process's last exit status */
  execMainStatus: string;
}

async function run(file: string, args: string[], timeoutMs: number) {
  const { execa } = await import('execa');
  const r = await execa(file, args, { timeout: timeoutMs, stdin: 'ignore', reject: false });
  const what = `${file} ${args.slice(0, 2).join(' ')}`;
  if (r.timedOut) throw new EnvironmentError(`${what}: no answer within ${timeoutMs} ms`);
  if (r.exitCode !== 0) throw new EnvironmentError(`${what}: ${String(r.stderr).trim() || describeCause(r)}`);
  return String(r.stdout);
}

/** `KEY=value` lines of `systemctl show` as a UnitStatus. */
export function parseSystemctlShow(unit: string, text: string): UnitStatus {
  const props = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) props.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  const get = (k: string) => props.get(k) ?? '';
  return {
    unit,
    loadState: get('LoadState'),
    activeState: get('ActiveState'),
    subState: get('SubState'),
    result: get('Result'),
    execMainStatus: get('ExecMainStatus'),
  };
}

export async function systemctlShow(unit: string, timeoutMs: number): Promise<UnitStatus> {
  return parseSystemctlShow(unit, await run('systemctl', ['show', unit, '--property=LoadState,ActiveState,SubState,Result,ExecMainStatus'], timeoutMs));
}

/**
 * The environment systemd gives a unit's processes as it holds it now: the unit's `Environment=`
 * (its file and drop-ins merged, a later assignment of a name replacing the earlier) and the
 * manager's (`DefaultEnvironment=` and `set-environment`), each as `systemctl` prints it, one
 * assignment per line. What `EnvironmentFile=` files hold is not among them. Undefined when the
 * unit is not loaded.
 */
export interface ServiceEnvironment {
  unit: string;
  manager: string;
}

export async function serviceEnvironment(unit: string, timeoutMs: number): Promise<ServiceEnvironment | undefined> {
  const [shown, manager] = await Promise.all([
    run('systemctl', ['show', unit, '--property=LoadState,Environment'], timeoutMs),
    run('systemctl', ['show-environment'], timeoutMs),
  ]);
  return parseServiceEnvironment(shown, manager);
}

/** `systemctl show UNIT --property=LoadState,Environment` and `systemctl show-environment` as a ServiceEnvironment. */
export function parseServiceEnvironment(shown: string, manager: string): ServiceEnvironment | undefined {
  if (!/^LoadState=loaded$/m.test(shown)) return undefined;
  return { unit: /^Environment=(.*)$/m.exec(shown)?.[1] ?? '', manager };
}

/** The last `lines` journal lines of a unit, oldest first. */
export async function journal(unit: string, lines: number, timeoutMs: number): Promise<string[]> {
  const out = await run('journalctl', ['--unit', unit, '--lines', String(lines), '--no-pager', '--output', 'short-iso'], timeoutMs);
  return out.split('\n').filter((l) => l !== '' && !l.startsWith('-- '));
}
