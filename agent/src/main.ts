import { Command, CommanderError, Option } from 'commander';
import { InputError, EnvironmentError, describeCause } from './errors.js';

/*
 * The CLI entry: parses argv, lazily imports the one command that runs (so `version` and
 * `config check` never evaluate the AWS SDK), and is the only place that turns errors into
 * exit codes: 0 ok, 1 invalid input, 2 environment failure.
 */

// The AWS SDK warns on every client built under Node < 22; on a node that line would only be
// journal noise, as the agent runs on the Node it ships with.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const env = process.env;
const out = (text: string) => process.stdout.write(`${text}\n`);
let debug = false;

const collect = (value: string, previous: string[]) => [...previous, value];
const sourceOption = () =>
  new Option('-c, --config-source <uri>', 'imds://user-data, file:///path (file or directory); repeatable, later wins')
    .argParser(collect)
    .default([]);

const program = new Command('eks-node-agent')
  .description('Bootstraps an Amazon EKS node: reads NodeConfig user data, writes containerd and kubelet configuration, starts them.')
  .option('--debug', 'print stack traces of errors')
  .showHelpAfterError(false)
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });
program.hook('preAction', (cmd) => {
  debug = Boolean(cmd.opts().debug);
});

let exitCode = 0;

program
  .command('init')
  .description('configure this node (config phase) and start containerd and kubelet (run phase)')
  .addOption(sourceOption())
  .option('--root <dir>', 'filesystem root to configure', '/')
  .addOption(new Option('--skip <phase>', 'skip a phase').choices(['config', 'run']))
  .option('--dry-run', 'print the plan, write and start nothing')
  .action(async (opts) => {
    const { run } = await import('./cli/init.js');
    exitCode = await run(
      { configSources: opts.configSource, root: opts.root, skip: opts.skip, dryRun: Boolean(opts.dryRun) },
      env,
      out,
    );
  });

program
  .command('render')
  .description('offline: write every file init would write under --out, from user data and instance facts')
  .addOption(sourceOption())
  .requiredOption('--instance <file>', 'instance facts JSON')
  .option('--cluster <file>', 'cluster details JSON (name, apiServerEndpoint, certificateAuthority, serviceCidr)')
  .requiredOption('--out <dir>', 'output directory (absolute node paths are mirrored under it)')
  .option('--instance-types <file>', 'instance-type table (jsonl) for max pods, instead of /etc/eks/instance-types.jsonl')
  .action(async (opts) => {
    const { run } = await import('./cli/render.js');
    exitCode = await run(
      { configSources: opts.configSource, instance: opts.instance, cluster: opts.cluster, out: opts.out, instanceTypes: opts.instanceTypes },
      env,
      out,
    );
  });

const config = program.command('config').description('inspect the NodeConfig');
config
  .command('check')
  .description('validate the merged NodeConfig and say which cluster fields will be fetched')
  .addOption(sourceOption())
  .action(async (opts) => {
    const { run } = await import('./cli/config-check.js');
    exitCode = await run({ configSources: opts.configSource }, env, out);
  });
config
  .command('dump')
  .description('print the merged NodeConfig')
  .addOption(sourceOption())
  .option('--output <format>', 'yaml or json', 'yaml')
  .option('-o, --config-output <file>', 'write to a file instead of stdout')
  .action(async (opts) => {
    const { run } = await import('./cli/config-dump.js');
    exitCode = await run({ configSources: opts.configSource, output: opts.output, configOutput: opts.configOutput }, env, out);
  });

program
  .command('doctor')
  .description('check why this node does or does not join its cluster')
  .addOption(sourceOption())
  .option('--root <dir>', 'filesystem root', '/')
  .addOption(new Option('--output <format>', 'text or json').choices(['text', 'json']).default('text'))
  .option('--timeout <seconds>', 'bound for the whole run', '30')
  .option('--bundle <file>', 'also write a support bundle (.tar.gz)')
  .action(async (opts) => {
    const timeoutSeconds = Number(opts.timeout);
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
      throw new InputError(`--timeout: ${JSON.stringify(opts.timeout)} is not a positive number of seconds`);
    }
    const { run, createDoctorDeps } = await import('./cli/doctor.js');
    exitCode = await run(
      { configSources: opts.configSource, root: opts.root, output: opts.output, timeoutSeconds, bundle: opts.bundle, debug },
      createDoctorDeps(env),
    );
  });

program
  .command('version')
  .description('print the agent version')
  .action(async () => {
    const { run } = await import('./cli/version.js');
    exitCode = run(out);
  });

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // help and version output are not failures; usage errors are bad input
    return err.exitCode === 0 ? 0 : 1;
  }
  if (err instanceof InputError) {
    for (const problem of err.problems) process.stderr.write(`error: ${problem}\n`);
  } else if (err instanceof EnvironmentError) {
    process.stderr.write(`error: ${err.message}\n`);
  } else {
    process.stderr.write(`error: internal: ${describeCause(err)} (run with --debug for details)\n`);
  }
  if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n${err.cause ? `cause: ${String((err.cause as Error).stack ?? err.cause)}\n` : ''}`);
  return err instanceof InputError ? 1 : 2;
}

program
  .parseAsync(process.argv)
  .then(
    () => exitCode,
    (err: unknown) => report(err),
  )
  .then((code) => {
    process.exitCode = code;
  });
