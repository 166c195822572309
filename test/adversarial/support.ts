import http from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { agentCommand, agentEnv } from '../support/agent.js';
import { closeServer } from '../emulators/listen.js';

/**
 * The adversarial suite: hostile inputs and misbehaving services against the built agent, each
 * case with a bound on wall time and peak memory. The bounds are generous (several times what a
 * quiet machine needs) because they guard against hangs and runaway growth, not slowness.
 */

export { completeCluster, nodeConfig } from '../support/user-data.js';

export interface Bounded {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** wall time of the whole process, start-up included */
  ms: number;
  /**
   * peak resident set size (GNU time's %M); NaN without GNU time, so only the cases that bound
   * memory (inputs.tools.test.ts, `npm run test:tools`) need it
   */
  maxRssMiB: number;
}

const GNU_TIME = '/usr/bin/time';

/**
 * Runs the built agent under GNU time to learn its peak memory. `killAfterMs` is only a backstop
 * so a regression fails the bound instead of hanging the suite.
 */
export async function runBounded(args: string[], opts: { env?: Record<string, string>; killAfterMs?: number; stdout?: string } = {}): Promise<Bounded> {
  const dir = mkdtempSync(join(tmpdir(), 'eks-adv-time-'));
  const rssFile = join(dir, 'rss');
  const [file, ...argv] = agentCommand();
  // A shell redirection, not execa's { file }: the agent itself must meet the file (a device, say),
  // not a pipe that execa drains into it.
  const redirect = opts.stdout ? ['/bin/sh', '-c', 'exec "$@" >"$EKS_ADV_STDOUT"', 'sh'] : [];
  const start = performance.now();
  const time = existsSync(GNU_TIME) ? [GNU_TIME, '-q', '-f', '%M', '-o', rssFile] : [];
  const [command, ...rest] = [...time, ...redirect, file, ...argv, ...args] as [string, ...string[]];
  const r = await execa(command, rest, {
    reject: false,
    extendEnv: false,
    env: agentEnv({ ...(opts.stdout ? { EKS_ADV_STDOUT: opts.stdout } : {}), ...opts.env }),
    timeout: opts.killAfterMs ?? 60_000,
    stripFinalNewline: false,
  });
  const ms = performance.now() - start;
  let maxRssMiB = Number.NaN;
  try {
    maxRssMiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) / 1024;
  } catch {
    // killed by the backstop: no figure, and the exit code already fails the case
  }
  rmSync(dir, { recursive: true, force: true });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), ms, maxRssMiB };
}

/** A loopback HTTP server whose every answer the test writes; gives its URL and closes on demand. */
export async function hostileServer(handler: http.RequestListener): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => closeServer(server),
  };
}

/** One line on stderr, `error: ...`, and no stack trace. */
export function oneErrorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('error:'));
  if (lines.length !== 1 || /\n\s+at /.test(stderr)) throw new Error(`expected one error line, got:\n${stderr}`);
  return lines[0]!;
}
