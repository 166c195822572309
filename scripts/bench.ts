// `npm run bench`: start-up figures of the shipped x64 executable, each beside a hello-world
// single executable built the same way (scripts/sea/hello.cjs), so the ratio shows what our code
// adds on top of Node itself.
//
//   npm run bench -- [--runs N] [--no-build] [--agent FILE]
//
// --agent FILE  bench another x64 executable instead of the one built from the current sources
//               into .cache/bench/ (implies --no-build)
//
// Wall time is measured from spawn to exit, peak RSS is the kernel's ru_maxrss (through
// /usr/bin/time, which wraps every run of both programs alike). Bytes read: see readBytes().
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEc2 } from '../test/emulators/ec2.js';
import { startEks } from '../test/emulators/eks.js';
import { startImds } from '../test/emulators/imds.js';
import { layoutNodeRoot } from '../test/support/node.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    'no-build': { type: 'boolean', default: false },
    agent: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs: "${values.runs}" is not a positive whole number`);

const TIME = '/usr/bin/time';
const benchDir = join(root, '.cache/bench');
// Built here rather than in dist/ so the bench never leaves behind an executable that tests
// (test/support/agent.ts prefers dist/'s) would run after the sources moved on.
const AGENT = resolve(values.agent ?? join(benchDir, 'eks-node-agent-linux-x64'));
const HELLO = join(benchDir, 'hello-linux-x64');
// What systemd gives a unit, plus the endpoints: nothing from this shell leaks into the runs.
const scratch = mkdtempSync(join(tmpdir(), 'eks-node-bench-'));
const BASE_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: scratch, LANG: 'C.UTF-8' };

interface Sample {
  wallMs: number;
  rssKiB: number;
  /** minor page faults: on this kind of machine a fresh page costs 10-15 µs to fault in, which callgrind does not count */
  minorFaults: number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

function sh(cmd: string, args: string[]): string {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${res.status}: ${res.stderr || res.error}`);
  return res.stdout;
}

/** Runs a command to its end without blocking this process (the emulators the agent asks live here). */
async function spawnCollect(cmd: string, args: string[], env: Record<string, string>): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, { env: { ...BASE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exitCode = await new Promise<number | null>((res, rej) => {
    child.once('error', rej);
    child.once('close', (code) => res(code));
  });
  return { exitCode, stdout, stderr };
}

async function runOnce(file: string, args: string[], env: Record<string, string> = {}): Promise<Sample> {
  const timeOut = join(scratch, 'time.out');
  const started = process.hrtime.bigint();
  const { exitCode, stdout, stderr } = await spawnCollect(TIME, ['-f', '%M %R', '-o', timeOut, file, ...args], env);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  // GNU time prefixes "Command exited with non-zero status N" when the command fails.
  const [rssKiB, minorFaults] = (readFileSync(timeOut, 'utf8').trim().split('\n').at(-1) ?? '').split(' ').map(Number) as [number, number];
  return { wallMs, rssKiB, minorFaults, exitCode, stdout, stderr };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

class RunFailed extends Error {}

/**
 * Drops a file's pages from the page cache (after writing back any the build left dirty), so it
 * is read back from disk the way a node booted from a snapshot reads it. Why it matters for peak
 * RSS: pages of a file this machine just wrote sit in the cache as large folios, and a process
 * mapping them gets whole folios mapped: the same hello-world SEA peaked at 62 MB run right after
 * its build and at 43 MB once read back from disk (RssFile 54 vs 34 MB; anonymous memory alike).
 * Returns false where eviction is not possible (then the figures carry a note).
 */
function evict(file: string): boolean {
  const sync = spawnSync('sync', [file]);
  const dd = spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
  return sync.status === 0 && dd.status === 0 && cachedBytes(file) === 0;
}

/** Bytes of a file in the page cache (mincore, through fincore); NaN when fincore fails. */
function cachedBytes(file: string): number {
  const res = spawnSync('fincore', ['-b', '-n', '-o', 'RES', file], { encoding: 'utf8' });
  return res.status === 0 ? Number(res.stdout.trim()) : Number.NaN;
}

/**
 * Runs `agent` and `hello` alternately so drift (CPU frequency, other load) hits both alike.
 * Both start out of the page cache (evict), then warm up the same way.
 */
async function compare(agentArgs: () => string[], env: Record<string, string>): Promise<{ agent: Sample[]; hello: Sample[] }> {
  const agent: Sample[] = [];
  const hello: Sample[] = [];
  if (!(evict(AGENT) && evict(HELLO)) && !notes.some((n) => n.startsWith('page cache:'))) {
    notes.push('page cache: could not evict the executables first; peak RSS may include large folios left by the build');
  }
  for (let i = -2; i < RUNS; i++) {
    const h = await runOnce(HELLO, [], env);
    const args = agentArgs();
    const a = await runOnce(AGENT, args, env);
    if (a.exitCode !== 0) {
      throw new RunFailed(`eks-node-agent ${args.join(' ')} exited ${a.exitCode}: ${a.stderr.trim().split('\n').slice(0, 5).join(' | ')}`);
    }
    // The first two runs warm the page cache; they are not counted.
    if (i >= 0) {
      agent.push(a);
      hello.push(h);
    }
  }
  return { agent, hello };
}

/**
 * A fresh root per init, laid out like the baked image on a new node (as test/support/node.ts
 * does): version files, the instance-type table, and the /proc and /sys facts the agent reads.
 */
function freshRoot(): string {
  return layoutNodeRoot(mkdtempSync(join(scratch, 'root-')));
}

function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n++;
  return n;
}

/**
 * Bytes of an executable that a cold start pulls into the page cache. A fresh EBS volume fetches
 * blocks from S3 on first read, so this is what a boot pays. The file is copied onto a private
 * loop-mounted ext4 whose read-ahead we can set without touching the host's disks, evicted with
 * POSIX_FADV_DONTNEED (dd iflag=nocache), run once, and its resident pages counted with mincore
 * (fincore). Read-ahead 128 KiB is what an EC2 NVMe volume uses by default; read-ahead 0 leaves
 * only the pages the process faulted (plus the kernel's 64 KiB fault-around).
 */
async function readBytes(
  programs: Array<{ file: string; args: () => string[]; env: Record<string, string> }>,
  readAheadKiB: number[],
): Promise<{ method: string; bytes: number[][] }> {
  const img = join(scratch, 'fs.img');
  const mnt = join(scratch, 'mnt');
  mkdirSync(mnt);
  const size = programs.reduce((s, p) => s + statSync(p.file).size, 0);
  writeFileSync(img, '');
  sh('truncate', ['-s', String(size + (64 << 20)), img]);
  sh('mkfs.ext4', ['-q', '-F', img]);
  let mounted = false;
  try {
    sh('mount', ['-o', 'loop', img, mnt]);
    mounted = true;
    const dev = sh('findmnt', ['-n', '-o', 'SOURCE', mnt]).trim();
    const raFile = `/sys/block/${dev.replace('/dev/', '')}/queue/read_ahead_kb`;
    const copies = programs.map((p, i) => {
      const dst = join(mnt, `prog${i}`);
      copyFileSync(p.file, dst);
      return dst;
    });
    sh('chmod', ['755', ...copies]);
    sh('sync', []);
    const bytes: number[][] = [];
    for (const ra of readAheadKiB) {
      writeFileSync(raFile, `${ra}\n`);
      const row: number[] = [];
      for (const [i, p] of programs.entries()) {
        const copy = copies[i] as string;
        if (!evict(copy)) throw new Error(`${copy}: ${cachedBytes(copy)} bytes still cached after eviction`);
        const args = p.args();
        const s = await runOnce(copy, args, p.env);
        if (s.exitCode !== 0) throw new RunFailed(`${args.join(' ')} exited ${s.exitCode}: ${s.stderr.trim()}`);
        const after = cachedBytes(copy);
        if (Number.isNaN(after)) throw new Error(`fincore ${copy} failed`);
        row.push(after);
      }
      bytes.push(row);
    }
    return { method: 'loop ext4', bytes };
  } finally {
    if (mounted) spawnSync('umount', [mnt]);
    rmSync(img, { force: true });
  }
}

/**
 * Runs behind each instruction figure. One count of the same binary and input moved by up to
 * 14 % (`version`: 113-116 M in four runs, 129.5 M in one bench), likely V8's background threads
 * (GC, compile tasks), whose share of the work depends on how they are scheduled.
 */
const INSTRUCTION_RUNS = 3;

/** The median of INSTRUCTION_RUNS counts (see instructions()); undefined without valgrind. */
async function medianInstructions(file: string, args: () => string[], env: Record<string, string>): Promise<number | undefined> {
  const counts: number[] = [];
  for (let i = 0; i < INSTRUCTION_RUNS; i++) {
    const count = await instructions(file, args(), env);
    if (count === undefined) return undefined;
    counts.push(count);
  }
  return median(counts);
}

/**
 * Instructions one run executes, counted by valgrind's callgrind: within a few per cent for the
 * same binary and input whatever else the machine is doing, unlike wall time here (the hello-world
 * SEA took 27 to 53 ms on this kind of machine). undefined when valgrind is not installed.
 */
async function instructions(file: string, args: string[], env: Record<string, string>): Promise<number | undefined> {
  if (spawnSync('valgrind', ['--version']).error) return undefined;
  const out = join(scratch, 'callgrind.out');
  const { exitCode, stderr } = await spawnCollect('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, file, ...args], env);
  if (exitCode !== 0) throw new RunFailed(`valgrind ${file} ${args.join(' ')} exited ${exitCode}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const m = /Collected : (\d+)/.exec(stderr);
  if (!m) throw new RunFailed(`valgrind ${file}: no instruction count in its output`);
  return Number(m[1]);
}

/**
 * Where a run of init went, by the agent's own step lines (median over the runs): each step's
 * name and duration, the runtime's start before our first line, and what the wall time holds
 * beyond the agent's "done" (process exit, spawn).
 */
function stepMedians(samples: Sample[]): string {
  const byStep = new Map<string, number[]>();
  const add = (k: string, v: number) => byStep.set(k, [...(byStep.get(k) ?? []), v]);
  for (const s of samples) {
    for (const line of s.stderr.split('\n')) {
      const done = /^eks-node-agent: done in (\d+) ms \(runtime start (\d+) ms\)/.exec(line);
      if (done) {
        add('runtime start', Number(done[2]));
        add('after done (exit)', s.wallMs - Number(done[1]));
        add('done', Number(done[1]));
        continue;
      }
      const step = /^eks-node-agent: ([a-z][a-z -]*?) (\d+) ms\b/.exec(line);
      if (step) add(step[1] as string, Number(step[2]));
    }
  }
  return [...byStep].map(([k, v]) => `${k} ${median(v).toFixed(0)}`).join(', ');
}

function fmtM(x: number): string {
  return `${(x / 1e6).toFixed(1)} M`;
}

function fmtMs(x: number): string {
  return `${x.toFixed(1)} ms`;
}
function fmtMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

interface Row {
  figure: string;
  ours: string;
  base: string;
  ratio: string;
  goal: string;
}
const rows: Row[] = [];
const notes: string[] = [];
/**
 * Time goals are ratios to the hello-world SEA of the same run: this machine's speed varies
 * (other tenants, CPU; the hello took 27 to 100 ms on different days), the ratio much less, and
 * the same ratio is judged on instruction counts, which do not depend on load. Memory goals are
 * absolute.
 */
const VERSION_GOAL = { ratio: 1.2 };
const INIT_GOAL = { ratio: 2.0 };
/** name-only user data: the AWS SDK is loaded and eks:DescribeCluster asked */
const NAME_ONLY_GOAL = { ratio: 2.5 };
/** `max` is judged on our figure, `ratio` on ours over hello's. */
interface Goal {
  max?: number;
  ratio?: number;
}
function addRow(figure: string, ours: number, base: number, fmt: (x: number) => string, goal: Goal = {}): void {
  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  const parts: string[] = [];
  if (goal.max !== undefined) parts.push(`<= ${fmt(goal.max)} ${verdict(ours <= goal.max)}`);
  if (goal.ratio !== undefined) parts.push(`<= ${goal.ratio.toFixed(2)}x ${verdict(ours / base <= goal.ratio)}`);
  rows.push({ figure, ours: fmt(ours), base: fmt(base), ratio: `${(ours / base).toFixed(2)}x`, goal: parts.join('; ') });
}

/**
 * The rows of one comparison: wall time, peak RSS and minor page faults, each the median of its
 * runs. The faults are printed because the instruction rows cannot show them: each is a fresh
 * page the kernel maps, about 11 µs here (a virtual machine), so a change can run fewer
 * instructions and still take longer (scripts/sea/README.md, *a bigger young generation*).
 */
function addRunRows(label: string, runs: { agent: Sample[]; hello: Sample[] }, goals: { wall?: Goal; rss?: Goal } = {}): void {
  const med = (xs: Sample[], key: 'wallMs' | 'rssKiB' | 'minorFaults') => median(xs.map((s) => s[key]));
  addRow(`${label} wall`, med(runs.agent, 'wallMs'), med(runs.hello, 'wallMs'), fmtMs, goals.wall);
  addRow(`${label} peak RSS`, med(runs.agent, 'rssKiB') * 1024, med(runs.hello, 'rssKiB') * 1024, fmtMB, goals.rss);
  addRow(`${label} minor page faults`, med(runs.agent, 'minorFaults'), med(runs.hello, 'minorFaults'), (x) => x.toFixed(0));
}
function addFailure(figure: string, err: unknown): void {
  if (!(err instanceof RunFailed)) throw err;
  rows.push({ figure, ours: 'FAILED', base: '', ratio: '', goal: '' });
  notes.push(`${figure}: ${err.message}`);
}

function printTable(): void {
  const head: Row = { figure: 'figure', ours: 'eks-node-agent', base: 'hello SEA', ratio: 'ratio', goal: 'goal' };
  const all = [head, ...rows];
  const keys = ['figure', 'ours', 'base', 'ratio', 'goal'] as const;
  const widths = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
  const line = (r: Row): string =>
    keys
      .map((k, i) => (i === 0 ? r[k].padEnd(widths[i] as number) : r[k].padStart(widths[i] as number)))
      .join('  ')
      .trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  for (const n of notes) console.log(`note: ${n}`);
}

async function main(): Promise<void> {
  if (spawnSync(TIME, ['-f', '%M', 'true']).status !== 0) {
    throw new Error(`${TIME} (GNU time) is needed for peak RSS: apt-get install -y time`);
  }
  const buildExe = (extra: string[]): void => {
    const res = spawnSync(process.execPath, [join(root, 'scripts/build-exe.mjs'), '--arch', 'x64', '--quiet', ...extra], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (res.status !== 0) throw new Error(`build-exe ${extra.join(' ')} failed (exit ${res.status})`);
  };
  if (!values['no-build'] && values.agent === undefined) buildExe(['--out-dir', benchDir]);
  if (!existsSync(AGENT)) throw new Error(`${AGENT} does not exist: run without --no-build, or name one with --agent`);
  buildExe(['--no-bundle', '--no-train', '--input', join(root, 'scripts/sea/hello.cjs'), '--name', 'hello', '--out-dir', benchDir]);

  const fixture = (name: string): Buffer => readFileSync(join(root, 'test/fixtures/userdata', name));
  const imdsComplete = await startImds({ userData: fixture('karpenter.mime') });
  const imdsNameOnly = await startImds({ userData: fixture('name-only.yaml') });
  // name-only on an instance type newer than the image's table: its ENI limits come from EC2
  const imdsUnknownType = await startImds({ userData: fixture('name-only.yaml'), instance: { instanceType: 'm99i.large' } });
  const eks = await startEks({ clusters: { demo: {} } });
  const ec2 = await startEc2();
  const envFor = (imdsUrl: string): Record<string, string> => ({
    AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsUrl,
    AWS_ENDPOINT_URL_EKS: eks.url,
    AWS_ENDPOINT_URL_EC2: ec2.url,
  });
  const completeEnv = envFor(imdsComplete.url);
  let lastRoot = '';
  const initArgs = (): string[] => {
    lastRoot = freshRoot();
    return ['init', '--skip', 'run', '--root', lastRoot];
  };

  try {
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '?';
    console.log(`eks-node-agent bench: ${RUNS} runs each, medians; x64 on ${sh('uname', ['-m']).trim()}, ${sh('nproc', []).trim()} cores, load ${load}`);
    // Wall times of other work on the machine land in ours; the ratio to hello suffers less.
    if (Number(load) > 1) console.log('warning: the machine is busy; absolute times are inflated, read the ratios');
    console.log('');
    try {
      const v = await compare(() => ['version'], {});
      addRunRows('version', v, { wall: VERSION_GOAL });
    } catch (err) {
      addFailure('version', err);
    }
    try {
      const eksBefore = eks.requests.length;
      const c = await compare(initArgs, completeEnv);
      addRunRows('init (complete user data)', c, { wall: INIT_GOAL, rss: { max: 80e6 } });
      notes.push(`init (complete): wrote ${countFiles(lastRoot)} files; EKS requests: ${eks.requests.length - eksBefore} (expected 0)`);
      notes.push(`init (complete) by the agent's step lines, ms: ${stepMedians(c.agent)}`);
    } catch (err) {
      addFailure('init (complete user data)', err);
    }
    try {
      const eksBefore = eks.requests.length;
      const n = await compare(initArgs, envFor(imdsNameOnly.url));
      addRunRows('init (name-only, EKS)', n, { wall: NAME_ONLY_GOAL, rss: { max: 70e6 } });
      notes.push(`init (name-only): wrote ${countFiles(lastRoot)} files; EKS requests: ${eks.requests.length - eksBefore}`);
      notes.push(`init (name-only) by the agent's step lines, ms: ${stepMedians(n.agent)}`);
    } catch (err) {
      addFailure('init (name-only, EKS)', err);
    }
    try {
      const ec2Before = ec2.requests.length;
      const u = await compare(initArgs, envFor(imdsUnknownType.url));
      addRunRows('init (name-only, EKS + EC2)', u);
      notes.push(`init (name-only, type not in the table): EC2 requests: ${ec2.requests.length - ec2Before}`);
    } catch (err) {
      addFailure('init (name-only, EKS + EC2)', err);
    }
    try {
      const hello = await medianInstructions(HELLO, () => [], {});
      if (hello === undefined) {
        notes.push('instructions: not counted (valgrind is not installed: apt-get install -y valgrind)');
      } else {
        // Time goals as instructions: the same ratio to hello as the wall-time goals.
        addRow('version instructions (callgrind)', (await medianInstructions(AGENT, () => ['version'], {})) as number, hello, fmtM, {
          ratio: VERSION_GOAL.ratio,
        });
        addRow('init (complete) instructions (callgrind)', (await medianInstructions(AGENT, initArgs, completeEnv)) as number, hello, fmtM, {
          ratio: INIT_GOAL.ratio,
        });
        const nameOnly = await medianInstructions(AGENT, initArgs, envFor(imdsNameOnly.url));
        addRow('init (name-only) instructions (callgrind)', nameOnly as number, hello, fmtM, { ratio: NAME_ONLY_GOAL.ratio });
        addRow('init (name-only, EKS + EC2) instructions', (await medianInstructions(AGENT, initArgs, envFor(imdsUnknownType.url))) as number, hello, fmtM);
      }
    } catch (err) {
      addFailure('instructions', err);
    }
    addRow('executable size', statSync(AGENT).size, statSync(HELLO).size, fmtMB);
    try {
      const read = await readBytes(
        [
          { file: AGENT, args: initArgs, env: completeEnv },
          { file: HELLO, args: () => [], env: {} },
        ],
        [128, 0],
      );
      const [ra128, ra0] = read.bytes as [number[], number[]];
      addRow('exe bytes read by init, cold, readahead 128K', ra128[0] as number, ra128[1] as number, fmtMB);
      addRow('exe bytes faulted by init, readahead 0', ra0[0] as number, ra0[1] as number, fmtMB);
    } catch (err) {
      if (err instanceof RunFailed) addFailure('exe bytes read', err);
      else notes.push(`exe bytes read: not measured (${err instanceof Error ? err.message : String(err)}); needs root, loop devices, fincore`);
    }
  } finally {
    await Promise.all([imdsComplete.close(), imdsNameOnly.close(), imdsUnknownType.close(), eks.close(), ec2.close()]);
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log('');
  printTable();
  if (rows.some((r) => r.ours === 'FAILED')) process.exitCode = 1;
}

await main();
