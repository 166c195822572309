// First: it marks when our first line ran, for the true duration `init` logs.
import './cli/process-clock.js';
import { extractGlobals, parseCommandLine, type CommandSpec, type Globals, type OptionSpec, type Program, type Values } from './cli/args.js';
import { createLog, formatLogLine, type Log } from './cli/log.js';
import { InputError, EnvironmentError, describeCause } from './errors.js';
import { oneLine } from './common/one-line.js';
import { startedByUnit } from './cli/run-context.js';

/*
 * The CLI entry: parses argv, lazily imports the one command that runs (so `version` and
 * `config check` never evaluate the AWS SDK), and is the only place that turns errors into
 * exit codes: 0 ok, 1 invalid input, 2 environment failure.
 */

// The AWS SDK warns on every client built under Node < 22; on a node that line would only be
// journal noise, as the agent runs on the Node it ships with.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const env = process.env;
// A reader that stops early (`config dump | head`) is not a failure: the rest of the output is
// dropped and the command finishes as it would have (exiting mid-init could split its renames).
// Any other write error (a full disk, a revoked terminal) also lets the command finish, then
// turns into one line and exit 2, since the output the caller asked for is lost.
let stdoutClosed = false;
let stdoutError: NodeJS.ErrnoException | undefined;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  stdoutClosed = true;
  if (err.code !== 'EPIPE') stdoutError ??= err;
});
const out = (text: string) => {
  if (!stdoutClosed) process.stdout.write(`${text}\n`);
};

const configSource: OptionSpec = {
  name: 'config-source',
  short: 'c',
  value: '<uri>',
  multiple: true,
  description: 'imds://user-data (default), file:///path (file or directory); repeatable, later wins',
};
const root: OptionSpec = { name: 'root', value: '<dir>', default: '/', description: 'filesystem root' };

type Action = (values: Values, debug: boolean, log: Log) => Promise<number>;

/**
 * The environment for a boot command: this process's when a unit runs it for itself (a boot:
 * nothing loaded or asked; cli/run-context.ts) or it works on another root; on a node's live
 * root from a shell, the one systemd gives the boot phase's unit over it (cli/boot-environment.ts).
 */
const asBootGets = async (phase: 'config' | 'run', nodeRoot: string, log: Log) =>
  nodeRoot !== '/' || startedByUnit(env) ? env : (await import('./cli/boot-environment.js')).asBootGets(env, phase, nodeRoot, log);

const str = (v: Values[string]) => (typeof v === 'string' ? v : undefined);
const list = (v: Values[string]) => (Array.isArray(v) ? v : []);

const commands: Array<CommandSpec & { action: Action }> = [
  {
    path: ['init'],
    description: 'configure this node (config phase) and start containerd and kubelet (run phase)',
    options: [
      configSource,
      { ...root, description: 'filesystem root to configure' },
      {
        name: 'skip',
        short: 's',
        value: '<phase>',
        list: true,
        choices: ['config', 'run'],
        description: 'skip a phase; repeatable or comma-separated (config,run only reads and validates the NodeConfig)',
      },
      { name: 'dry-run', description: 'print the plan, write and start nothing' },
      {
        name: 'early-start',
        description:
          "with --skip run (the config unit): when no user-data script, cloud-config or image script can run before the run phase, start containerd and the kubelet as this phase ends (after local storage, if asked); otherwise give cloud-init's config and final stages this unit's CPU weight for the boot",
      },
      {
        name: 'config-cache',
        value: '<file>',
        description: "accepted for nodeadm's command line; nothing is cached there (the run phase re-reads the sources)",
      },
      {
        name: 'daemon',
        short: 'd',
        value: '<name>',
        list: true,
        choices: ['containerd', 'kubelet'],
        description: "accepted for nodeadm's command line; both daemons are always configured and started",
      },
    ],
    action: async (v, _debug, log) => {
      // nodeadm's flags are taken so runbooks and scripts written for it run unchanged; say
      // what they do here, once, rather than ignore them.
      if (v['config-cache']) {
        log(
          `note: --config-cache ${str(v['config-cache'])}: eks-node-agent keeps no NodeConfig cache; each phase re-reads its sources (the EKS cluster details are kept in /var/lib/eks-node-agent/cluster.json)`,
        );
      }
      const daemons = new Set(list(v.daemon));
      if (daemons.size > 0 && !(daemons.has('containerd') && daemons.has('kubelet'))) {
        log(`note: --daemon ${[...daemons].join(',')}: eks-node-agent always configures and starts both containerd and kubelet`);
      }
      const skips = new Set(list(v.skip));
      const nodeRoot = str(v.root) ?? '/';
      if (skips.has('config') && skips.has('run')) {
        const { run } = await import('./cli/config-check.js');
        return run({ configSources: list(v['config-source']) }, await asBootGets('config', nodeRoot, log), out, log);
      }
      const { run } = await import('./cli/init.js');
      const skip = skips.has('config') ? 'config' : skips.has('run') ? 'run' : undefined;
      return run(
        {
          configSources: list(v['config-source']),
          root: nodeRoot,
          ...(skip ? { skip } : {}),
          dryRun: v['dry-run'] === true,
          earlyStart: v['early-start'] === true,
        },
        await asBootGets(skip === 'config' ? 'run' : 'config', nodeRoot, log),
        out,
        log,
      );
    },
  },
  {
    path: ['render'],
    description: 'offline: write every file init would write under --out, from user data and instance facts',
    options: [
      configSource,
      { name: 'instance', value: '<file>', required: true, description: 'instance facts JSON' },
      {
        name: 'cluster',
        value: '<file>',
        description: 'cluster details JSON (name, apiServerEndpoint, certificateAuthority, serviceCidr, id of a local cluster)',
      },
      { name: 'out', value: '<dir>', required: true, description: 'output directory (absolute node paths are mirrored under it)' },
      { name: 'instance-types', value: '<file>', description: 'instance-type table (jsonl) for max pods, instead of /etc/eks/instance-types.jsonl' },
    ],
    action: async (v) => {
      const { run } = await import('./cli/render.js');
      return run(
        {
          configSources: list(v['config-source']),
          instance: str(v.instance) as string,
          cluster: str(v.cluster),
          out: str(v.out) as string,
          instanceTypes: str(v['instance-types']),
        },
        env,
        out,
      );
    },
  },
  {
    path: ['config', 'check'],
    description: 'validate the merged NodeConfig and say which cluster fields will be fetched',
    options: [configSource],
    action: async (v, _debug, log) => {
      const { run } = await import('./cli/config-check.js');
      return run({ configSources: list(v['config-source']) }, await asBootGets('config', '/', log), out, log);
    },
  },
  {
    path: ['config', 'dump'],
    description: 'print the merged NodeConfig (warnings and notes, as config check gives them, go to stderr)',
    options: [
      configSource,
      { name: 'output', value: '<format>', choices: ['yaml', 'json'], default: 'yaml', description: 'yaml or json' },
      { name: 'config-output', short: 'o', value: '<file>', description: 'write to a file instead of stdout (as nodeadm)' },
    ],
    action: async (v, _debug, log) => {
      const { run } = await import('./cli/config-dump.js');
      return run(
        { configSources: list(v['config-source']), output: str(v.output) as string, configOutput: str(v['config-output']) },
        await asBootGets('config', '/', log),
        out,
        log,
      );
    },
  },
  {
    path: ['config', 'from-bootstrap'],
    description: 'print the NodeConfig equivalent to AL2 /etc/eks/bootstrap.sh arguments',
    options: [{ name: 'output', value: '<format>', choices: ['yaml', 'json'], default: 'yaml', description: 'yaml or json' }],
    passthrough: '<bootstrap.sh arguments>',
    action: async (v) => {
      const { fromBootstrap } = await import('./cli/bootstrap-sh.js');
      return fromBootstrap({ args: list(v['--']), output: str(v.output) as string }, out);
    },
  },
  {
    path: ['bootstrap-sh'],
    description: 'what /etc/eks/bootstrap.sh runs: configure this node from AL2 bootstrap.sh arguments (merged after user data)',
    options: [{ ...root, description: 'filesystem root to configure' }],
    passthrough: '<bootstrap.sh arguments>',
    action: async (v) => {
      const { bootstrapSh } = await import('./cli/bootstrap-sh.js');
      return bootstrapSh({ args: list(v['--']), root: str(v.root) ?? '/' }, env, out);
    },
  },
  {
    path: ['doctor'],
    description: 'check why this node does or does not join its cluster',
    options: [
      configSource,
      root,
      { name: 'output', value: '<format>', choices: ['text', 'json'], default: 'text', description: 'text or json' },
      { name: 'timeout', value: '<seconds>', default: '30', description: 'bound for the whole run' },
      { name: 'bundle', value: '<file>', description: 'also write a support bundle (.tar.gz)' },
    ],
    action: async (v, debug) => {
      const timeoutSeconds = Number(v.timeout);
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
        throw new InputError(`--timeout: ${JSON.stringify(v.timeout)} is not a positive number of seconds`);
      }
      const { run, createDoctorDeps } = await import('./cli/doctor.js');
      return run(
        {
          configSources: list(v['config-source']),
          root: str(v.root) ?? '/',
          output: str(v.output) as 'text' | 'json',
          timeoutSeconds,
          bundle: str(v.bundle),
          debug,
        },
        await createDoctorDeps(env, { timeoutSeconds }),
      );
    },
  },
  {
    path: ['version'],
    description: 'print the agent version',
    options: [],
    action: async () => {
      const { run } = await import('./cli/version.js');
      return run(out);
    },
  },
  {
    path: ['completion'],
    description: 'print a shell completion script (source <(eks-node-agent completion bash))',
    options: [],
    positionals: { usage: 'bash|zsh', choices: ['bash', 'zsh'], min: 1, max: 1 },
    action: async (v) => {
      const { completionScript } = await import('./cli/completion.js');
      out(completionScript(program, list(v._)[0] as 'bash' | 'zsh').replace(/\n$/, ''));
      return 0;
    },
  },
];

const program: Program<(typeof commands)[number]> = {
  name: 'eks-node-agent',
  description: 'Bootstraps an Amazon EKS node: reads NodeConfig user data, writes containerd and kubelet configuration, starts them.',
  commands,
  groups: { config: 'inspect the NodeConfig' },
};

let globals: Globals = { debug: process.argv.includes('--debug'), logFormat: 'text', rest: [] };
const logFormat = () => globals.logFormat;

function report(err: unknown): number {
  const lines =
    err instanceof InputError
      ? err.problems
      : err instanceof EnvironmentError
        ? [err.message]
        : [`internal: ${describeCause(err)} (run with --debug for details)`];
  // Text errors carry no program prefix (a person reads them at a prompt); JSON ones are log lines.
  for (const line of lines) process.stderr.write(logFormat() === 'json' ? formatLogLine('json', `error: ${line}`) : `error: ${oneLine(line)}\n`);
  if (globals.debug && err instanceof Error)
    process.stderr.write(`${err.stack}\n${err.cause ? `cause: ${String((err.cause as Error).stack ?? err.cause)}\n` : ''}`);
  return err instanceof InputError ? 1 : 2;
}

async function main(): Promise<number> {
  globals = extractGlobals(process.argv.slice(2));
  const parsed = parseCommandLine(program, globals.rest);
  if (parsed.kind === 'help') {
    (parsed.exitCode === 0 ? process.stdout : process.stderr).write(parsed.text);
    return parsed.exitCode;
  }
  return parsed.command.action(parsed.values, globals.debug, createLog(globals.logFormat));
}

function stdoutFailed(): number {
  return report(new EnvironmentError(`writing to stdout: ${describeCause(stdoutError)}`, { cause: stdoutError }));
}

main().then(
  (code) => {
    // A file stdout is written synchronously, so its errors have been emitted by now; a pipe's
    // may come later, hence the check again before the process ends.
    process.exitCode = stdoutError ? stdoutFailed() : code;
    const lateStdoutError = () => {
      if (stdoutError && process.exitCode !== 2) process.exitCode = stdoutFailed();
    };
    // The command is done: once a turn of the loop has passed (a failed write's error is emitted
    // by then) and nothing is left to write (a pipe takes what fits in its buffer and the rest
    // waits in the stream), the process ends here. Left to end by itself, Node would tear down
    // its environment and free the V8 heap page by page, which the kernel does at once for an
    // exiting process: 3-4 ms of every `init` (scripts/sea/README.md).
    setImmediate(() => {
      lateStdoutError();
      if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();
      process.once('beforeExit', lateStdoutError);
    });
  },
  (err: unknown) => {
    process.exitCode = report(err);
  },
);
