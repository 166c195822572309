import { describe, expect, it } from 'vitest';
import { extractGlobals, parseCommandLine, type Program } from '../../src/cli/args.js';
import { InputError } from '../../src/errors.js';

const program: Program = {
  name: 'tool',
  description: 'a tool',
  groups: { config: 'inspect the config' },
  commands: [
    {
      path: ['init'],
      description: 'set things up',
      options: [
        { name: 'config-source', short: 'c', value: '<uri>', multiple: true, description: 'where from' },
        { name: 'root', value: '<dir>', default: '/', description: 'root' },
        { name: 'skip', value: '<phase>', choices: ['config', 'run'], description: 'skip a phase' },
        { name: 'dry-run', description: 'do nothing' },
        { name: 'daemon', short: 'd', value: '<name>', list: true, choices: ['containerd', 'kubelet'], description: 'daemons' },
      ],
    },
    {
      path: ['render'],
      description: 'write files',
      options: [
        { name: 'instance', value: '<file>', required: true, description: 'facts' },
        { name: 'out', value: '<dir>', required: true, description: 'output' },
      ],
    },
    { path: ['config', 'check'], description: 'check it', options: [] },
    { path: ['config', 'dump'], description: 'dump it', options: [{ name: 'config-output', short: 'o', value: '<file>', description: 'to a file' }] },
    { path: ['version'], description: 'print the version', options: [] },
    { path: ['completion'], description: 'a completion script', options: [], positionals: { usage: 'bash|zsh', choices: ['bash', 'zsh'], min: 1, max: 1 } },
    {
      path: ['config', 'from-old'],
      description: 'translate old arguments',
      options: [{ name: 'output', value: '<format>', default: 'yaml', description: 'format' }],
      passthrough: '<old arguments>',
    },
  ],
};

function problems(args: string[]): string[] {
  try {
    parseCommandLine(program, args);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as InputError).problems;
  }
  throw new Error(`${args.join(' ')} parsed without an error`);
}

describe('parseCommandLine', () => {
  it('finds the command and fills defaults; repeatable options keep their order', () => {
    const p = parseCommandLine(program, ['init', '-c', 'file:///a', '--config-source=file:///b', '--skip', 'run']);
    expect(p).toMatchObject({ kind: 'run', command: { path: ['init'] } });
    expect(p.kind === 'run' && p.values).toEqual({ 'config-source': ['file:///a', 'file:///b'], root: '/', skip: 'run', daemon: [] });
  });

  it('gives a repeatable option left out an empty list, and finds two-word commands', () => {
    const p = parseCommandLine(program, ['config', 'dump', '-o', '/tmp/x']);
    expect(p.kind === 'run' && p.command.path).toEqual(['config', 'dump']);
    expect(parseCommandLine(program, ['init'])).toMatchObject({ values: { 'config-source': [] } });
  });

  it('lets the global --debug stand before or after the command (the caller reads it)', () => {
    for (const args of [
      ['--debug', 'config', 'check'],
      ['config', 'check', '--debug'],
    ]) {
      expect(parseCommandLine(program, args), args.join(' ')).toEqual({ kind: 'run', command: program.commands[2], values: {} });
    }
  });

  it('reports every bad choice and missing required option, one line each', () => {
    expect(problems(['render'])).toEqual(["render: option '--instance <file>' is required", "render: option '--out <dir>' is required"]);
    expect(problems(['init', '--skip', 'both'])).toEqual([`init: option '--skip <phase>': "both" is not allowed (expected "config" or "run")`]);
  });

  it('names unknown options, commands and stray arguments', () => {
    expect(problems(['config', 'check', '--bogus'])).toEqual(["config check: unknown option '--bogus' (see 'tool config check --help')"]);
    expect(problems(['frob'])).toEqual(["unknown command 'frob' (see 'tool --help')"]);
    expect(problems(['config', 'frob'])).toEqual(["unknown command 'config frob' (see 'tool config --help')"]);
    expect(problems(['init', 'extra'])).toEqual(["init: unexpected argument 'extra' (init takes options only)"]);
    expect(problems(['init', '--root'])).toEqual(["init: option '--root <dir>' needs a value"]);
  });

  it('prints help for --help (exit 0), and for a bare group (exit 1)', () => {
    const top = parseCommandLine(program, ['--help']);
    expect(top).toMatchObject({ kind: 'help', exitCode: 0 });
    expect(top.kind === 'help' && top.text).toMatch(
      /^Usage: tool \[options\] \[command\]\n\na tool\n[\s\S]*Commands:\n {2}init {12}set things up\n {2}render {10}write files\n {2}config {10}inspect the config\n[\s\S]* {2}help \[command\] {2}display help for a command\n$/,
    );
    const init = parseCommandLine(program, ['init', '-h']);
    expect(init.kind === 'help' && init.text).toContain('  --skip <phase>             skip a phase (choices: "config", "run")\n');
    expect(init.kind === 'help' && init.text).toContain('  --root <dir>               root (default: "/")\n');
    expect(parseCommandLine(program, ['config'])).toMatchObject({ kind: 'help', exitCode: 1, text: expect.stringMatching(/^Usage: tool config \[command\]/) });
    expect(parseCommandLine(program, [])).toMatchObject({ kind: 'help', exitCode: 1 });
  });

  it('prints help for `help` and `help COMMAND` (exit 0), and names an unknown topic', () => {
    expect(parseCommandLine(program, ['help'])).toMatchObject({
      kind: 'help',
      exitCode: 0,
      text: expect.stringMatching(/^Usage: tool \[options\] \[command\]/),
    });
    expect(parseCommandLine(program, ['help', 'config'])).toMatchObject({
      kind: 'help',
      exitCode: 0,
      text: expect.stringMatching(/^Usage: tool config \[command\]/),
    });
    const check = parseCommandLine(program, ['help', 'config', 'check']);
    expect(check).toEqual(parseCommandLine(program, ['config', 'check', '--help']));
    expect(problems(['help', 'config', 'frob'])).toEqual(["unknown command 'config frob' (see 'tool config --help')"]);
  });

  it('runs the version command for --version and -v, and names an unknown option before any command', () => {
    for (const flag of ['--version', '-v']) expect(parseCommandLine(program, [flag])).toMatchObject({ kind: 'run', command: { path: ['version'] } });
    expect(problems(['--bogus'])).toEqual(["unknown option '--bogus' (see 'tool --help')"]);
    expect(problems(['--bogus=1'])).toEqual(["unknown option '--bogus' (see 'tool --help')"]);
    expect(problems(['config', '--bogus'])).toEqual(["config: unknown option '--bogus' (see 'tool config --help')"]);
  });

  it('splits comma-separated list options (nodeadm spelling) and checks every item', () => {
    const p = parseCommandLine(program, ['init', '-d', 'containerd,kubelet']);
    expect(p.kind === 'run' && p.values.daemon).toEqual(['containerd', 'kubelet']);
    const q = parseCommandLine(program, ['init', '--daemon', 'kubelet', '--daemon=containerd']);
    expect(q.kind === 'run' && q.values.daemon).toEqual(['kubelet', 'containerd']);
    expect(problems(['init', '-d', 'kubelet,dockerd'])).toEqual([
      `init: option '-d, --daemon <name>': "dockerd" is not allowed (expected "containerd" or "kubelet")`,
    ]);
  });

  it('takes declared positionals only, and checks them', () => {
    const p = parseCommandLine(program, ['completion', 'zsh']);
    expect(p.kind === 'run' && p.values._).toEqual(['zsh']);
    expect(problems(['completion'])).toEqual(['completion: expected bash|zsh, got nothing']);
    expect(problems(['completion', 'fish'])).toEqual([`completion: 'fish' is not allowed (expected "bash" or "zsh")`]);
    expect(problems(['completion', 'bash', 'zsh'])).toEqual(["completion: expected bash|zsh, got 'bash' 'zsh'"]);
  });
});

describe('extractGlobals', () => {
  it('takes --debug and --log-format from anywhere, leaving the rest in order', () => {
    expect(extractGlobals(['init', '--debug', '--log-format', 'json', '-c', 'file:///x'])).toEqual({
      debug: true,
      logFormat: 'json',
      rest: ['init', '-c', 'file:///x'],
    });
    expect(extractGlobals(['--log-format=json', 'version'])).toEqual({ debug: false, logFormat: 'json', rest: ['version'] });
    expect(extractGlobals(['version'])).toEqual({ debug: false, logFormat: 'text', rest: ['version'] });
  });

  it('names a bad or missing log format', () => {
    expect(() => extractGlobals(['--log-format', 'xml'])).toThrow(`option '--log-format <format>': "xml" is not allowed (expected "text" or "json")`);
    expect(() => extractGlobals(['init', '--log-format'])).toThrow("option '--log-format <format>' needs a value");
  });
});

describe('passthrough commands', () => {
  const run = (args: string[]) => {
    const p = parseCommandLine(program, args);
    if (p.kind !== 'run') throw new Error('expected a command');
    return p.values;
  };
  it('hands everything after -- over untouched, options and --help included', () => {
    const v = run(['config', 'from-old', '--output', 'json', '--', 'c', '--kubelet-extra-args', '--max-pods=3', '--help', '--']);
    expect(v.output).toBe('json');
    expect(v['--']).toEqual(['c', '--kubelet-extra-args', '--max-pods=3', '--help', '--']);
  });
  it('still parses its own options and help before --', () => {
    expect(run(['config', 'from-old'])['--']).toEqual([]);
    const help = parseCommandLine(program, ['config', 'from-old', '--help', '--', 'x']);
    expect(help.kind === 'help' && help.text).toContain('Usage: tool config from-old [options] -- <old arguments>');
    expect(problems(['config', 'from-old', 'c'])).toEqual([`config from-old: unexpected argument 'c' (put <old arguments> after '--')`]);
  });
  it('other commands keep refusing arguments after --', () => {
    expect(problems(['config', 'check', '--', 'x'])[0]).toMatch(/unexpected argument 'x'/);
  });
});
