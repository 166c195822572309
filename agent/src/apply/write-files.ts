import {
  chmodSync,
  closeSync,
  fchmodSync,
  fsync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, posix } from 'node:path';
import { EnvironmentError, describeCause } from '../errors.js';
import type { PlannedFile } from '../render/plan.js';

export interface WriteOptions {
  /** the directory standing for `/` (the node's `/` in production, a temp dir in tests) */
  root: string;
  /** mode of directories the writer creates */
  dirMode?: number;
  /**
   * node paths to delete in the same step (files the agent wrote before and no longer plans);
   * only regular files are deleted, and a path also in `files` is an error
   */
  remove?: readonly string[];
  /**
   * called once everything is staged and before the first rename, with what is about to change:
   * the place to record durably that units must be restarted, so a crash between the renames
   * and the run phase cannot lose the change
   */
  beforeCommit?: (change: { changed: string[]; removed: string[] }) => Promise<void> | void;
}

export interface WriteResult {
  /** node paths (as in the plan) whose content or mode changed, in plan order */
  changed: string[];
  unchanged: string[];
  /** node paths deleted (from `remove`, those that existed) */
  removed: string[];
}

const TEMP_SUFFIX = '.eks-node-agent.tmp';
/** `.<name>.<pid>-<random>.eks-node-agent.tmp`: the pid tells a dead run's leftover from a live run's file. */
const TEMP_NAME = /^\..+\.(\d+)-[0-9a-f]{12}\.eks-node-agent\.tmp$/;

interface Staged {
  file: PlannedFile;
  target: string;
  temp: string;
  /** open until the staged files are synced */
  fd?: number;
}

/**
 * Writes the planned files under `root` in two steps: every changed file is first staged as a
 * synced temp file beside its target, and only when all are staged are they renamed into place.
 * A failure while staging (a full disk, a path blocked by a file) removes the temp files and
 * leaves every existing file as it was. Files whose bytes and mode already match are not
 * touched, so a second run changes nothing. (write-file-atomic renames each file as soon as it
 * is written, which would leave a half-applied configuration after a failure.)
 *
 * The file system calls are synchronous on purpose: a plan is a dozen small files, and each
 * asynchronous call is a hop to libuv's thread pool and back; that, not the disk, was most of
 * the time `init` spent writing. The fsyncs are the exception: they wait on the disk, and
 * issued together they share journal commits (15 files in 5 directories: 5.8 -> 3.0 ms here).
 */
export async function writeFiles(files: readonly PlannedFile[], options: WriteOptions): Promise<WriteResult> {
  checkPaths(files);
  const remove = options.remove ?? [];
  checkRemovals(files, remove);
  const dirMode = options.dirMode ?? 0o755;
  for (const dir of new Set([...files.map((f) => f.path), ...remove].map((p) => dirname(join(options.root, p))))) removeDeadTemps(dir);
  const changed: PlannedFile[] = [];
  const unchanged: string[] = [];
  for (const file of files) {
    isCurrent(join(options.root, file.path), file) ? unchanged.push(file.path) : changed.push(file);
  }
  const removed = remove.filter((p) => lstatSync(join(options.root, p), { throwIfNoEntry: false })?.isFile());

  const staged: Staged[] = [];
  try {
    for (const file of changed) staged.push(stage(options.root, file, dirMode));
    // All at once: concurrent fsyncs share the file system's journal commits, where one
    // after each write would commit once per file (on an EBS volume each commit is a round trip).
    await syncStaged(staged, options.root);
    if (options.beforeCommit && (staged.length > 0 || removed.length > 0)) {
      await options.beforeCommit({ changed: changed.map((f) => f.path), removed });
    }
  } catch (err) {
    for (const s of staged) {
      closeStaged(s);
      removeQuietly(s.temp);
    }
    throw err;
  }

  const dirs = new Set<string>();
  for (const s of staged) {
    try {
      renameSync(s.temp, s.target);
    } catch (err) {
      for (const t of staged) removeQuietly(t.temp);
      throw new EnvironmentError(`writing ${s.file.path} under ${options.root}: rename failed: ${describeCause(err)}`, { cause: err });
    }
    dirs.add(dirname(s.target));
  }
  for (const path of removed) {
    const target = join(options.root, path);
    try {
      unlinkSync(target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new EnvironmentError(`removing ${path} under ${options.root} (no longer planned): ${describeCause(err)}`, { cause: err });
      }
    }
    dirs.add(dirname(target));
  }
  // The renames and unlinks are durable only once their directories are synced.
  await Promise.all([...dirs].map(syncDir));
  return { changed: changed.map((f) => f.path), unchanged, removed };
}

function checkRemovals(files: readonly PlannedFile[], remove: readonly string[]): void {
  const planned = new Set(files.map((f) => f.path));
  for (const p of remove) {
    if (!isAbsolute(p) || posix.normalize(p) !== p || p.endsWith('/')) throw new Error(`path to remove ${JSON.stringify(p)} is not a normalised absolute path`);
    if (planned.has(p)) throw new Error(`path ${p} is both planned and to be removed`);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp files a killed run left beside its targets (its renames never happened, so they
 * hold nothing anyone reads). A temp file of a run that is still alive is left alone.
 */
function removeDeadTemps(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = name.endsWith(TEMP_SUFFIX) ? TEMP_NAME.exec(name) : null;
    if (m && !processAlive(Number(m[1]))) removeQuietly(join(dir, name));
  }
}

function checkPaths(files: readonly PlannedFile[]): void {
  const seen = new Set<string>();
  for (const f of files) {
    if (!isAbsolute(f.path) || posix.normalize(f.path) !== f.path || f.path.endsWith('/')) {
      throw new Error(`plan file path ${JSON.stringify(f.path)} is not a normalised absolute path`);
    }
    if (seen.has(f.path)) throw new Error(`plan file path ${f.path} appears twice`);
    seen.add(f.path);
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone, or never created
  }
}

function isCurrent(target: string, file: PlannedFile): boolean {
  try {
    const st = lstatSync(target);
    if (!st.isFile() || (st.mode & 0o7777) !== file.mode) return false;
    return readFileSync(target).equals(Buffer.from(file.content, 'utf8'));
  } catch {
    return false;
  }
}

let tempCount = 0;
/**
 * The 12 hex digits of a temp name (TEMP_NAME): a counter, unique among this process's temp
 * files, then 32 random bits against a stale file of an earlier process with the same pid; `wx`
 * refuses a name that exists rather than write through it. Not from node:crypto, whose loading
 * costs more than the whole write step (see api/certificate.ts): the directories written are
 * root's, so the name needs no secrecy.
 */
function tempNonce(): string {
  tempCount = (tempCount + 1) & 0xffff;
  return (
    tempCount.toString(16).padStart(4, '0') +
    Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0')
  );
}

function stage(root: string, file: PlannedFile, dirMode: number): Staged {
  const target = join(root, file.path);
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${process.pid}-${tempNonce()}${TEMP_SUFFIX}`);
  try {
    ensureDir(root, dir, dirMode);
    if (lstatSync(target, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${target} is a directory`);
    const fd = openSync(temp, 'wx', file.mode);
    try {
      writeFileSync(fd, file.content, 'utf8');
      // open() applies the umask; the plan's mode is exact.
      fchmodSync(fd, file.mode);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return { file, target, temp, fd };
  } catch (err) {
    removeQuietly(temp);
    throw new EnvironmentError(`writing ${file.path} under ${root}: ${describeCause(err)}`, { cause: err });
  }
}

function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
}

function closeStaged(s: Staged): void {
  if (s.fd === undefined) return;
  try {
    closeSync(s.fd);
  } catch {
    // closed already; nothing is lost
  }
  s.fd = undefined;
}

/** Syncs every staged temp file (concurrently) and closes it; the first failure names its file. */
async function syncStaged(staged: readonly Staged[], root: string): Promise<void> {
  const results = await Promise.allSettled(staged.map((s) => (s.fd === undefined ? Promise.resolve() : fsyncAsync(s.fd))));
  for (const s of staged) closeStaged(s);
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed >= 0) {
    const err = (results[failed] as PromiseRejectedResult).reason;
    throw new EnvironmentError(`writing ${staged[failed]?.file.path} under ${root}: ${describeCause(err)}`, { cause: err });
  }
}

/** mkdir -p, giving each directory it creates `mode` regardless of the umask. */
function ensureDir(root: string, dir: string, mode: number): void {
  const missing: string[] = [];
  let cursor = dir;
  while (cursor !== root && cursor !== dirname(cursor)) {
    if (lstatSync(cursor, { throwIfNoEntry: false })) break;
    missing.unshift(cursor);
    cursor = dirname(cursor);
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    chmodSync(d, mode);
  }
}

async function syncDir(dir: string): Promise<void> {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    await fsyncAsync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself has happened.
  } finally {
    closeSync(fd);
  }
}
