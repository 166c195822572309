import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../errors.js';
import type { LogFormat } from './log.js';

/*
 * The command line: a table of commands and their options, parsed with node:util's parseArgs
 * and checked here (choices, required options), with help generated from the same table.
 * Not commander: it loads node:child_process (and with it dgram, net, ...) at start-up, which
 * with commander itself was most of what `version` spent over a hello-world executable.
 */

export interface OptionSpec {
  /** long name without dashes, e.g. `config-source`; also the key of the parsed value */
  name: string;
  short?: string;
  /** placeholder of the option's value, e.g. `<uri>`; none means a boolean flag */
  value?: string;
  multiple?: boolean;
  /** the value is a comma-separated list (`--skip config,run`, as nodeadm takes it); implies multiple */
  list?: boolean;
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
  /** positional arguments the command takes (e.g. `completion bash`), checked against `choices` */
  positionals?: { usage: string; choices: readonly string[]; min: number; max: number };
  /** the command takes arguments after `--` (e.g. `<bootstrap.sh arguments>`), handed over as values['--'] */
  passthrough?: string;
}

export type Values = Record<string, string | string[] | boolean | undefined>;

export type Parsed<C extends CommandSpec = CommandSpec> =
  | { kind: 'run'; command: C; values: Values }
  /** --help, `help [command]`, or a command group without a command: print `text`, exit with `exitCode` */
  | { kind: 'help'; text: string; exitCode: 0 | 1 };

/** Options that may stand anywhere on the line, read before the command is parsed. */
export interface Globals {
  debug: boolean;
  logFormat: LogFormat;
  /** argv without them */
  rest: string[];
}

export interface Program<C extends CommandSpec = CommandSpec> {
  name: string;
  description: string;
  commands: readonly C[];
  /** descriptions of command groups such as `config` */
  groups: Readonly<Record<string, string>>;
}

const DEBUG: OptionSpec = { name: 'debug', description: 'print stack traces of errors' };
const LOG_FORMAT: OptionSpec = {
  name: 'log-format',
  value: '<format>',
  choices: ['text', 'json'],
  default: 'text',
  description: 'log lines on stderr as text, or one JSON object per line (time, level, phase, message, duration in ms)',
};
const VERSION: OptionSpec = { name: 'version', short: 'v', description: 'print the agent version' };
const HELP: OptionSpec = { name: 'help', short: 'h', description: 'display help for command' };

/** Everything the completion scripts need to know about the global options. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [DEBUG, LOG_FORMAT, VERSION, HELP];

/**
 * Takes `--debug` and `--log-format FORMAT` out of argv wherever they stand, so even a usage
 * error can show its stack and be logged in the format asked for.
 */
export function extractGlobals(argv: readonly string[]): Globals {
  const rest: string[] = [];
  let debug = false;
  let logFormat: string = LOG_FORMAT.default as string;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--debug') debug = true;
    else if (arg === '--log-format') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('-')) throw new InputError(`option '${flag(LOG_FORMAT)}' needs a value`);
      logFormat = value;
      i++;
    } else if (arg.startsWith('--log-format=')) logFormat = arg.slice('--log-format='.length);
    else rest.push(arg);
  }
  if (logFormat !== 'text' && logFormat !== 'json') {
    throw new InputError(`option '${flag(LOG_FORMAT)}': "${logFormat}" is not allowed (expected "text" or "json")`);
  }
  return { debug, logFormat: logFormat as LogFormat, rest };
}

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
  const usage = `${program.name} ${command.path.join(' ')}${command.options.length ? ' [options]' : ''}${command.positionals ? ` ${command.positionals.usage}` : ''}${tail}`;
  const lines = [`Usage: ${usage}`, '', command.description, '', 'Options:'];
  lines.push(...table([...command.options, HELP].map((o) => [flag(o), describe(o)])));
  lines.push('', `Global options (anywhere on the line): ${flag(DEBUG)}, ${flag(LOG_FORMAT)}`);
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
  lines.push(...table((prefix.length === 0 ? GLOBAL_OPTIONS : [HELP]).map((o) => [flag(o), describe(o)])));
  if (prefix.length === 0) entries.set('help [command]', 'display help for a command');
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

function findCommand<C extends CommandSpec>(program: Program<C>, args: readonly string[]): { words: string[]; command: C | undefined } {
  // The command is the longest run of leading words naming one.
  const words: string[] = [];
  for (const arg of args) {
    if (arg.startsWith('-') || !program.commands.some((c) => words.length < c.path.length && [...words, arg].every((w, k) => c.path[k] === w))) break;
    words.push(arg);
  }
  const command = program.commands.find((c) => c.path.length === words.length && c.path.every((p, k) => words[k] === p));
  return { words, command };
}

function unknownCommand(program: Program, words: readonly string[], next: string): InputError {
  return new InputError(`unknown command '${[...words, next].join(' ')}' (see '${program.name} ${words.join(' ')}${words.length ? ' ' : ''}--help')`);
}

/** `help [command...]`: the help of that command or group, exit 0. */
function helpFor<C extends CommandSpec>(program: Program<C>, topic: readonly string[]): Parsed<C> {
  const { words, command } = findCommand(program, topic);
  const next = topic[words.length];
  if (next !== undefined) throw unknownCommand(program, words, next);
  return { kind: 'help', text: command ? commandHelp(program, command) : groupHelp(program, words), exitCode: 0 };
}

/**
 * Parses argv after extractGlobals took the global options out (a stray `--debug` is still
 * ignored here, for callers that did not).
 */
export function parseCommandLine<C extends CommandSpec>(program: Program<C>, argv: readonly string[]): Parsed<C> {
  const args = argv.filter((a) => a !== '--debug');
  if (args[0] === 'help') return helpFor(program, args.slice(1));
  const { words, command } = findCommand(program, args);
  const afterWords = args.slice(words.length);
  // what follows `--` belongs to a passthrough command's own interface, --help included
  const dashes = command?.passthrough ? afterWords.indexOf('--') : -1;
  const rest = dashes >= 0 ? afterWords.slice(0, dashes) : afterWords;
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  if (!command) {
    const next = rest[0];
    if (words.length === 0 && (next === '--version' || next === '-v')) {
      const version = program.commands.find((c) => c.path.length === 1 && c.path[0] === 'version');
      if (version) return { kind: 'run', command: version, values: {} };
    }
    if (!wantsHelp && next !== undefined) {
      if (!next.startsWith('-')) throw unknownCommand(program, words, next);
      const where = words.length ? `${words.join(' ')}: ` : '';
      throw new InputError(`${where}unknown option '${next.split('=')[0]}' (see '${program.name} ${words.join(' ')}${words.length ? ' ' : ''}--help')`);
    }
    return { kind: 'help', text: groupHelp(program, words), exitCode: wantsHelp ? 0 : 1 };
  }
  if (wantsHelp) return { kind: 'help', text: commandHelp(program, command), exitCode: 0 };

  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const o of command.options) {
    options[o.name] = { type: o.value ? 'string' : 'boolean', ...(o.short ? { short: o.short } : {}), ...(o.multiple || o.list ? { multiple: true } : {}) };
  }
  let values: Values;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: [...rest], options, strict: true, allowPositionals: command.positionals !== undefined });
    values = parsed.values as Values;
    positionals = parsed.positionals;
  } catch (err) {
    throw usageError(err, command, program.name);
  }
  const where = command.path.join(' ');
  if (command.passthrough) values['--'] = dashes >= 0 ? afterWords.slice(dashes + 1) : [];
  const problems: string[] = [];
  for (const o of command.options) {
    let v = values[o.name];
    if (o.list && Array.isArray(v)) values[o.name] = v = v.flatMap((item) => item.split(',')).filter((item) => item !== '');
    if (v === undefined) {
      if (o.required) problems.push(`${where}: option '${flag(o)}' is required`);
      else if (o.default !== undefined) values[o.name] = o.default;
      else if (o.multiple || o.list) values[o.name] = [];
      continue;
    }
    const choices = o.choices;
    if (!choices) continue;
    for (const item of typeof v === 'string' ? [v] : Array.isArray(v) ? v : []) {
      if (!choices.includes(item)) {
        problems.push(`${where}: option '${flag(o)}': "${item}" is not allowed (expected ${choices.map((c) => `"${c}"`).join(' or ')})`);
      }
    }
  }
  const spec = command.positionals;
  if (spec) {
    if (positionals.length < spec.min || positionals.length > spec.max) {
      problems.push(`${where}: expected ${spec.usage}, got ${positionals.length === 0 ? 'nothing' : positionals.map((a) => `'${a}'`).join(' ')}`);
    } else {
      for (const arg of positionals) {
        if (!spec.choices.includes(arg)) problems.push(`${where}: '${arg}' is not allowed (expected ${spec.choices.map((c) => `"${c}"`).join(' or ')})`);
      }
    }
    values._ = positionals;
  }
  if (problems.length) throw new InputError(problems);
  return { kind: 'run', command, values };
}
