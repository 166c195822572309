import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const EXE = `${REPO}dist/eks-node-agent-linux-x64`;
export const BUNDLE = `${REPO}dist/eks-node-agent.cjs`;

export interface AgentResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The executable counts only when built from the current bundle (not left over from an older build). */
function exeIsCurrent(): boolean {
  try {
    return statSync(EXE).mtimeMs >= statSync(BUNDLE).mtimeMs;
  } catch {
    return false;
  }
}

/**
 * The command line that starts the built agent: the x64 executable when it is built from the
 * current bundle (what ships; `npm test` builds it), else the JS bundle under this Node. Node
 * options (e.g. a preload) need the bundle.
 */
export function agentCommand(nodeArgs?: string[]): [string, ...string[]] {
  return exeIsCurrent() && !nodeArgs ? [EXE] : [process.execPath, ...(nodeArgs ?? []), BUNDLE];
}

/**
 * The whole environment of an agent run in a test (no variable of this process leaks in): IMDS
 * and every AWS endpoint on the discard port, refused at once, unless `env` points one at an
 * emulator.
 */
export function agentEnv(env: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9',
    AWS_ENDPOINT_URL_EKS: 'http://127.0.0.1:9',
    AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9',
    AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9',
    ...env,
  };
}

/** Runs the built agent (see agentCommand) as a process. Never throws on a non-zero exit; the caller asserts it. */
export async function runAgent(
  args: string[],
  opts: { env?: Record<string, string>; input?: string; cwd?: string; timeoutMs?: number; nodeArgs?: string[]; sigkillAfterMs?: number } = {},
): Promise<AgentResult> {
  const [file, ...argv] = [...agentCommand(opts.nodeArgs), ...args];
  const child = execa(file, argv, {
    reject: false,
    env: agentEnv(opts.env),
    extendEnv: false,
    input: opts.input,
    cwd: opts.cwd,
    timeout: opts.timeoutMs ?? 60_000,
    stripFinalNewline: false,
  });
  // A crash at a chosen moment (crash-safety tests): this child only, by its own handle.
  const killer = opts.sigkillAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.sigkillAfterMs);
  const result = await child;
  clearTimeout(killer);
  const stderr = String(result.stderr);
  // The runtime's own warnings land in the boot's journal, where nobody can act on them: none
  // may come out of any run (the executable's import() printed one, see instance-role.ts).
  const runtimeWarning = /^\(node:\d+\) \w*Warning: .*$/m.exec(stderr);
  if (runtimeWarning) throw new Error(`the agent printed a runtime warning (${args.join(' ')}): ${runtimeWarning[0]}`);
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr };
}

export const fixture = (name: string) => `${REPO}test/fixtures/${name}`;
export const fileUri = (path: string) => `file://${path}`;
