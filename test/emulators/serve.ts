import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startImds, type ImdsOptions } from './imds.js';
import { startEks, type EksOptions } from './eks.js';
import { startEc2, type Ec2Options } from './ec2.js';

/**
 * Starts the loopback emulators for `npm start` and the VM system test (host side):
 *
 *   npx tsx test/emulators/serve.ts [--config cfg.json] [--imds-start-delay-ms N] [--host H]
 *
 * cfg.json: {"host"?: "127.0.0.1", "imds"?: {...ImdsOptions, "userDataFile"?: path},
 *            "eks"?: EksOptions, "ec2"?: Ec2Options}; a section left out is not started, and
 * without --config all three start with their defaults. Prints one JSON line
 * {"imds": url, "eks": url, "ec2": url} on stdout once every server is bound (IMDS may still be
 * inside its start delay), then runs until SIGINT/SIGTERM.
 */

interface ServeConfig {
  host?: string;
  imds?: Omit<ImdsOptions, 'userData'> & { userData?: string; userDataFile?: string };
  eks?: EksOptions;
  ec2?: Ec2Options;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', short: 'c' },
      'imds-start-delay-ms': { type: 'string' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('usage: serve.ts [--config cfg.json] [--imds-start-delay-ms N] [--host 127.0.0.1]\n');
    return;
  }
  let config: ServeConfig = { imds: {}, eks: {}, ec2: {} };
  let configDir = process.cwd();
  if (values.config !== undefined) {
    config = JSON.parse(await readFile(values.config, 'utf8')) as ServeConfig;
    configDir = path.dirname(path.resolve(values.config));
  }
  const host = values.host ?? config.host ?? '127.0.0.1';
  const delayArg = values['imds-start-delay-ms'];
  if (delayArg !== undefined && !/^\d+$/.test(delayArg)) {
    throw new Error(`--imds-start-delay-ms: "${delayArg}" is not a whole number of milliseconds`);
  }

  const urls: Record<string, string> = {};
  const closers: Array<() => Promise<void>> = [];
  if (config.imds) {
    const { userDataFile, userData, ...rest } = config.imds;
    const data = userDataFile !== undefined ? await readFile(path.resolve(configDir, userDataFile)) : userData;
    const imds = await startImds({
      ...rest,
      host,
      ...(data === undefined ? {} : { userData: data }),
      ...(delayArg === undefined ? {} : { startDelayMs: Number(delayArg) }),
    });
    urls.imds = imds.url;
    closers.push(imds.close);
  }
  if (config.eks) {
    const eks = await startEks({ ...config.eks, host });
    urls.eks = eks.url;
    closers.push(eks.close);
  }
  if (config.ec2) {
    const ec2 = await startEc2({ ...config.ec2, host });
    urls.ec2 = ec2.url;
    closers.push(ec2.close);
  }
  process.stdout.write(`${JSON.stringify(urls)}\n`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await Promise.all(closers.map((close) => close()));
}

main().catch((err: unknown) => {
  process.stderr.write(`serve: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
