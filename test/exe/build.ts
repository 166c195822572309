import { execa } from 'execa';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Builds the executables for tests and runs them, x64 natively and arm64 under qemu. */

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const BUNDLE = join(REPO, 'dist/eks-node-agent.cjs');
export type Arch = 'x64' | 'arm64';

export interface Built {
  dir: string;
  exe: Record<Arch, string>;
  sha256: Record<Arch, string>;
}

/** A private copy of the bundle and its chunks, so builds compared with each other share one input. */
export function snapshotBundle(dir: string): string {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first`);
  for (const f of readdirSync(dirname(BUNDLE))) {
    if (f === basename(BUNDLE) || (f.startsWith('eks-node-agent.') && f.endsWith('.cjs'))) copyFileSync(join(dirname(BUNDLE), f), join(dir, f));
  }
  return join(dir, basename(BUNDLE));
}

/**
 * Builds both executables from `input` into a fresh temporary directory. Never writes dist/:
 * other tests run dist/eks-node-agent-linux-x64 at the same time.
 */
export async function buildInto(label: string, input: string): Promise<Built> {
  const dir = mkdtempSync(join(tmpdir(), `eks-node-exe-${label}-`));
  await execa(process.execPath, [join(REPO, 'scripts/build-exe.mjs'), '--no-bundle', '--quiet', '--input', input, '--out-dir', dir], {
    cwd: REPO,
    timeout: 180_000,
  });
  const exe = { x64: join(dir, 'eks-node-agent-linux-x64'), arm64: join(dir, 'eks-node-agent-linux-arm64') };
  const sum = (a: Arch): string => readFileSync(`${exe[a]}.sha256`, 'utf8');
  return { dir, exe, sha256: { x64: sum('x64'), arm64: sum('arm64') } };
}

export interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs one executable with a clean environment; arm64 goes through qemu user emulation. */
export async function runExe(built: Built, arch: Arch, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const [file, argv] = arch === 'x64' ? [built.exe.x64, args] : ['qemu-aarch64-static', [built.exe.arm64, ...args]];
  const r = await execa(file, argv, {
    reject: false,
    extendEnv: false,
    env: {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      QEMU_LD_PREFIX: '/usr/aarch64-linux-gnu',
      // Nothing here may reach a real IMDS.
      AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9',
      ...opts.env,
    },
    cwd: opts.cwd,
    timeout: 60_000,
    stripFinalNewline: false,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** One line per run, for assertion messages that say what actually happened. */
export function describeRun(args: string[], r: Run): string {
  return `eks-node-agent ${args.join(' ')} -> exit ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}
