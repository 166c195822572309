import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../errors.js';

/*
 * The command line: a table of commands and their options, parsed with node:util's parseArgs
 * and checked here (choices, required options), with help generated from the same table.
 * Not commander: it loads node:child_process (and with it dgram, net, ...) at start-up, which
 * with commander itself was 7 of the ~10 ms `version` spent over a hello-world executable.
 */

export interface OptionSpec {
  /** long name without dashes, e.g. `config-source`; also the key of the parsed value */
  name: string;
  short?: string;
  /** placeholder of the option's value, e.g. `<uri>`; none means a boolean flag */
  value?: string;
  multiple?: boolean;
  default?: string;
  choices?: readonly string[];
  required?: boolean;
  description: string;
}

export interface CommandSpec {
  /** e.g. ['config', 'check'] */
  path: readonly string[];
  description: string;
  options: readonly OptionSpec[];
  /** the command takes arguments after `--` (e.g. `<bootstrap.sh arguments>`), handed over as values['--'] */
  passthrough?: string;
}

export type Values = Record<string, string | string[] | boolean | undefined>;

export type Parsed<C extends CommandSpec = CommandSpec> =
  | { kind: 'run'; command: C; values: Values }
  /** --help, or a command group without a command: print `text`, exit with `exitCode` */
  | { kind: 'help'; text: string; exitCode: 0 | 1 };

export interface Program<C extends CommandSpec = CommandSpec> {
  name: string;
  description: string;
  commands: readonly C[];
  /** descriptions of command groups such as `config` */
  groups: Readonly<Record<string, string>>;
}

const DEBUG: OptionSpec = { name: 'debug', description: 'print stack traces of errors' };
const HELP: OptionSpec = { name: 'help', short: 'h', description: 'display help for command' };

function flag(o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : ''}--${o.name}${o.value ? ` ${o.value}` : ''}`;
}

function table(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`.trimEnd());
}

function describe(o: OptionSpec): string {
  const extra = [o.choices ? `choices: ${o.choices.map((c) => `"${c}"`).join(', ')}` : '', o.default !== undefined ? `default: "${o.default}"` : ''];
  const notes = extra.filter(Boolean).join(', ');
  return `${o.description}${notes ? ` (${notes})` : ''}`;
}

function commandHelp(program: Program, command: CommandSpec): string {
  const tail = command.passthrough ? ` -- ${command.passthrough}` : '';
  const lines = [`Usage: ${program.name} ${command.path.join(' ')} [options]${tail}`, '', command.description, '', 'Options:'];
  lines.push(...table([...command.options, HELP].map((o) => [flag(o), describe(o)])));
  return `${lines.join('\n')}\n`;
}

function groupHelp(program: Program, prefix: readonly string[]): string {
  const here = program.commands.filter((c) => prefix.every((p, i) => c.path[i] === p) && c.path.length > prefix.length);
  const entries = new Map<string, string>();
  for (const c of here) {
    const next = c.path[prefix.length] as string;
    const isGroup = c.path.length > prefix.length + 1;
    entries.set(next, isGroup ? (program.groups[next] ?? '') : c.description);
  }
  const usage = prefix.length === 0 ? `${program.name} [options] [command]` : `${program.name} ${prefix.join(' ')} [command]`;
  const description = prefix.length === 0 ? program.description : (program.groups[prefix.join(' ')] ?? '');
  const lines = [`Usage: ${usage}`, '', description, '', 'Options:'];
  lines.push(...table((prefix.length === 0 ? [DEBUG, HELP] : [HELP]).map((o) => [flag(o), describe(o)])));
  lines.push('', 'Commands:', ...table([...entries].map(([name, text]) => [name, text])));
  return `${lines.join('\n')}\n`;
}

/** parseArgs' errors, in the words (and the one line) the rest of the CLI uses. */
function usageError(err: unknown, command: CommandSpec, programName: string): InputError {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  const where = command.path.join(' ');
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const name = /'([^']+)'/.exec(message)?.[1] ?? message;
    return new InputError(`${where}: unknown option '${name}' (see '${programName} ${where} --help')`, { cause: err });
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']+)'/.exec(message)?.[1] ?? '';
    const hint = command.passthrough ? `put ${command.passthrough} after '--'` : `${where} takes options only`;
    return new InputError(`${where}: unexpected argument '${arg}' (${hint})`, { cause: err });
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const opt = command.options.find((o) => message.includes(`--${o.name}`));
    return new InputError(`${where}: option '${opt ? flag(opt) : message}' needs a value`, { cause: err });
  }
  return new InputError(`${where}: ${message.split('\n')[0]}`, { cause: err });
}

/**
 * `--debug` is global: it may stand anywhere and is left to the caller (main.ts reads it before
 * parsing, so even a usage error can show its stack).
 */
export function parseCommandLine<C extends CommandSpec>(program: Program<C>, argv: readonly string[]): Parsed<C> {
  const args = argv.filter((a) => a !== '--debug');
  // The command is the longest run of leading words naming one.
  const words: string[] = [];
  for (const arg of args) {
    if (arg.startsWith('-') || !program.commands.some((c) => words.length < c.path.length && [...words, arg].every((w, k) => c.path[k] === w))) break;
    words.push(arg);
  }
  const afterWords = args.slice(words.length);
  const command = program.commands.find((c) => c.path.length === words.length && c.path.every((p, k) => words[k] === p));
  // what follows `--` belongs to a passthrough command's own interface, --help included
  const dashes = command?.passthrough ? afterWords.indexOf('--') : -1;
  const rest = dashes >= 0 ? afterWords.slice(0, dashes) : afterWords;
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  if (!command) {
    const next = rest[0];
    if (!wantsHelp && next !== undefined && !next.startsWith('-')) {
      throw new InputError(`unknown command '${[...words, next].join(' ')}' (see '${program.name} ${words.join(' ')}${words.length ? ' ' : ''}--help')`);
    }
    return { kind: 'help', text: groupHelp(program, words), exitCode: wantsHelp ? 0 : 1 };
  }
  if (wantsHelp) return { kind: 'help', text: commandHelp(program, command), exitCode: 0 };

  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const o of command.options) {
    options[o.name] = { type: o.value ? 'string' : 'boolean', ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let values: Values;
  try {
    values = parseArgs({ args: [...rest], options, strict: true, allowPositionals: false }).values as Values;
  } catch (err) {
    throw usageError(err, command, program.name);
  }
  if (command.passthrough) values['--'] = dashes >= 0 ? afterWords.slice(dashes + 1) : [];
  const problems: string[] = [];
  for (const o of command.options) {
    const v = values[o.name];
    if (v === undefined) {
      if (o.required) problems.push(`${command.path.join(' ')}: option '${flag(o)}' is required`);
      else if (o.default !== undefined) values[o.name] = o.default;
      else if (o.multiple) values[o.name] = [];
      continue;
    }
    if (o.choices && typeof v === 'string' && !o.choices.includes(v)) {
      problems.push(`${command.path.join(' ')}: option '${flag(o)}': "${v}" is not allowed (expected ${o.choices.map((c) => `"${c}"`).join(' or ')})`);
    }
  }
  if (problems.length) throw new InputError(problems);
  return { kind: 'run', command, values };
}
