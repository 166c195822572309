import { readFile } from 'node:fs/promises';
import { EnvironmentError, describeCause } from '../errors.js';
import { expandGlob, isGlob, parseEnvironmentFile } from './environment-file.js';

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
 * (its file and drop-ins merged, a later assignment of a name replacing the earlier) with what
 * its `EnvironmentFile=` files hold now over it, in their order (undefined when systemd has not
 * loaded the unit), and the manager's, every service's before its unit's
 * (`DefaultEnvironment=`, `systemd.setenv=`, `set-environment`), by name. A file that cannot be
 * read is left out (a required one stops the unit starting, which the unit's own line shows); a
 * wildcard expression (`EnvironmentFile=/etc/env.d/*.env`) reads the files it matches, in name
 * order. The variables its `PassEnvironment=` names come from the manager's own process
 * environment (PID 1's: what the kernel command line and the initrd gave it), over the manager's
 * and under the unit's `Environment=`, as systemd merges them. The unit's `UnsetEnvironment=` is
 * applied last, to both: a name takes the variable away wherever it came from, a `NAME=value`
 * only when that is the value the unit would get.
 */
export interface ServiceEnvironment {
  unit: Record<string, string> | undefined;
  manager: Record<string, string>;
  /** the names the unit's UnsetEnvironment= took away, when it took any */
  unset?: string[];
  /** the names in `unit` whose value is PID 1's, by its PassEnvironment= (nothing set them over it), when any */
  passed?: string[];
}

/** How long systemd may take to give a unit's environment before a command goes on with its own. */
export const SERVICE_ENVIRONMENT_TIMEOUT_MS = 5_000;

/**
 * What a process of the unit gets, for a command run outside it (doctor; a boot command typed
 * into a shell): the manager's environment and the unit's over this process's; this process's
 * alone when systemd did not answer or has not loaded the unit.
 */
export function asUnitGets(env: Record<string, string | undefined>, given: ServiceEnvironment | undefined): Record<string, string | undefined> {
  return given?.unit ? { ...env, ...given.manager, ...given.unit } : env;
}

/** Reads an EnvironmentFile= path (and PID1_ENVIRON); undefined when it cannot. */
export type ReadEnvironmentFile = (path: string) => Promise<string | undefined>;

/** The manager's own process environment, which PassEnvironment= draws on (root may read it). */
export const PID1_ENVIRON = '/proc/1/environ';

/** A process environment as /proc/PID/environ holds it: `NAME=value` entries, each ended by a NUL. */
export function parseProcessEnvironment(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of text.split('\0')) {
    const at = entry.indexOf('=');
    if (at > 0) out[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return out;
}

const readEnvironmentFile: ReadEnvironmentFile = (path) => readFile(path, 'utf8').catch(() => undefined);

/**
 * ServiceEnvironment reads for one run: the manager's environment is asked of systemd once, and
 * each unit's once, however many callers ask (the first caller's bound applies).
 */
export function serviceEnvironments(read: ReadEnvironmentFile = readEnvironmentFile): (unit: string, timeoutMs: number) => Promise<ServiceEnvironment> {
  let manager: Promise<string> | undefined;
  let pid1: Promise<Record<string, string>> | undefined;
  const units = new Map<string, Promise<ServiceEnvironment>>();
  return (unit, timeoutMs) => {
    let result = units.get(unit);
    if (result === undefined) {
      manager ??= run('systemctl', ['show', '--property=Environment'], timeoutMs);
      result = Promise.all([
        run('systemctl', ['show', unit, '--property=LoadState,Environment,EnvironmentFiles,UnsetEnvironment,PassEnvironment'], timeoutMs),
        manager,
      ]).then(async ([shown, all]) => {
        const { unit: assigned, manager: managerEnvironment, files, unset, pass } = parseServiceEnvironment(shown, all);
        if (assigned === undefined) return { unit: undefined, manager: managerEnvironment };
        const paths = (await Promise.all(files.map((file) => (isGlob(file) ? expandGlob(file) : [file])))).flat();
        const texts = await Promise.all(paths.map((path) => read(path)));
        const fromFiles = texts.map((text) => (text === undefined ? {} : parseEnvironmentFile(text)));
        // only a unit that passes variables costs the read (a non-root caller cannot: none passed)
        let passed: Record<string, string> = {};
        if (pass.length > 0) {
          pid1 ??= read(PID1_ENVIRON).then((text) => parseProcessEnvironment(text ?? ''));
          const own = await pid1;
          passed = Object.fromEntries(pass.filter((name) => Object.hasOwn(own, name)).map((name) => [name, own[name]!]));
        }
        const unitEnvironment: Record<string, string> = Object.assign({}, passed, assigned, ...fromFiles);
        const given = unsetEnvironment({ unit: unitEnvironment, manager: managerEnvironment }, unset);
        const fromPid1 = Object.keys(passed).filter((name) => Object.hasOwn(given.unit, name) && !setOver(name, assigned, fromFiles));
        return fromPid1.length > 0 ? { ...given, passed: fromPid1 } : given;
      });
      units.set(unit, result);
    }
    return result;
  };
}

/**
 * `systemctl show UNIT --property=LoadState,Environment,EnvironmentFiles,UnsetEnvironment,PassEnvironment`
 * and `systemctl show --property=Environment`: the unit's Environment= (undefined when not
 * loaded), the manager's, the paths of the unit's EnvironmentFiles= (a line each,
 * `PATH (ignore_errors=no)`), the items of its UnsetEnvironment= (names, or `NAME=value`) and the
 * names its PassEnvironment= passes.
 */
export function parseServiceEnvironment(shown: string, manager: string): ServiceEnvironment & { files: string[]; unset: string[]; pass: string[] } {
  const environment = (text: string) => environmentList(/^Environment=(.*)$/m.exec(text)?.[1] ?? '');
  const loaded = /^LoadState=loaded$/m.test(shown);
  const files = [...shown.matchAll(/^EnvironmentFiles=(.+) \(ignore_errors=(?:yes|no)\)$/gm)].map((m) => m[1]!);
  const unset = environmentItems(/^UnsetEnvironment=(.*)$/m.exec(shown)?.[1] ?? '');
  const pass = environmentItems(/^PassEnvironment=(.*)$/m.exec(shown)?.[1] ?? '');
  return {
    unit: loaded ? environment(shown) : undefined,
    manager: environment(manager),
    files: loaded ? files : [],
    unset: loaded ? unset : [],
    pass: loaded ? pass : [],
  };
}

/** Whether the unit's Environment= or one of its EnvironmentFile= files sets `name` (over what PassEnvironment= passes). */
function setOver(name: string, assigned: Record<string, string>, files: ReadonlyArray<Record<string, string>>): boolean {
  return Object.hasOwn(assigned, name) || files.some((file) => Object.hasOwn(file, name));
}

/** A loaded unit's environment with its UnsetEnvironment= items applied (the manager's copied, not changed). */
function unsetEnvironment(given: { unit: Record<string, string>; manager: Record<string, string> }, unset: readonly string[]) {
  if (unset.length === 0) return given;
  const unit = { ...given.unit };
  const manager = { ...given.manager };
  const removed = new Set<string>();
  for (const item of unset) {
    const at = item.indexOf('=');
    const name = at < 0 ? item : item.slice(0, at);
    const value = Object.hasOwn(unit, name) ? unit[name] : manager[name];
    if (value !== undefined && (at < 0 || value === item.slice(at + 1))) {
      delete unit[name];
      delete manager[name];
      removed.add(name);
    }
  }
  return removed.size > 0 ? { unit, manager, unset: [...removed] } : { unit, manager };
}

const C_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * The assignments of an environment list as `systemctl show` prints one: separated by spaces,
 * an assignment holding a space or a character a shell treats specially in double quotes, with
 * `\\`, `\"`, `\$` and `` \` `` escaped and control characters as C escapes (`\n`, `\x1b`). A later
 * assignment of a name wins; an item without "=" is skipped.
 */
export function environmentList(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const assignment of environmentItems(text)) {
    const at = assignment.indexOf('=');
    if (at > 0) out[assignment.slice(0, at)] = assignment.slice(at + 1);
  }
  return out;
}

/** The items of a string list as `systemctl show` prints one (see environmentList), in order. */
export function environmentItems(text: string): string[] {
  const items: string[] = [];
  let item: string | undefined;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      quoted = !quoted;
      item ??= '';
    } else if (c === ' ' && !quoted) {
      if (item !== undefined) items.push(item);
      item = undefined;
    } else if (c === '\\' && i + 1 < text.length) {
      const next = text[++i]!;
      if (next === 'x' && /^[0-9a-f]{2}$/i.test(text.slice(i + 1, i + 3))) {
        item = (item ?? '') + String.fromCharCode(Number.parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else item = (item ?? '') + (C_ESCAPES[next] ?? next);
    } else item = (item ?? '') + c;
  }
  if (item !== undefined) items.push(item);
  return items;
}

/** The last `lines` journal lines of a unit, oldest first. */
export async function journal(unit: string, lines: number, timeoutMs: number): Promise<string[]> {
  const out = await run('journalctl', ['--unit', unit, '--lines', String(lines), '--no-pager', '--output', 'short-iso'], timeoutMs);
  return out.split('\n').filter((l) => l !== '' && !l.startsWith('-- '));
}
