import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, posix } from 'node:path';
import { EnvironmentError, describeCause } from '../errors.js';
import type { PlannedFile } from '../render/plan.js';

export interface WriteOptions {
  /** the directory standing for `/` (the node's `/` in production, a temp dir in tests) */
  root: string;
  /** mode of directories the writer creates */
  dirMode?: number;
}

export interface WriteResult {
  /** node paths (as in the plan) whose content or mode changed, in plan order */
  changed: string[];
  unchanged: string[];
}

interface Staged {
  file: PlannedFile;
  target: string;
  temp: string;
}

/**
 * Writes the planned files under `root` in two steps: every changed file is first staged as a
 * synced temp file beside its target, and only when all are staged are they renamed into place.
 * A failure while staging (a full disk, a path blocked by a file) removes the temp files and
 * leaves every existing file as it was. Files whose bytes and mode already match are not
 * touched, so a second run changes nothing. (write-file-atomic renames each file as soon as it
 * is written, which would leave a half-applied configuration after a failure.)
 */
export async function writeFiles(files: readonly PlannedFile[], options: WriteOptions): Promise<WriteResult> {
  checkPaths(files);
  const dirMode = options.dirMode ?? 0o755;
  const changed: PlannedFile[] = [];
  const unchanged: string[] = [];
  for (const file of files) {
    (await isCurrent(join(options.root, file.path), file)) ? unchanged.push(file.path) : changed.push(file);
  }

  const staged: Staged[] = [];
  try {
    for (const file of changed) staged.push(await stage(options.root, file, dirMode));
  } catch (err) {
    await Promise.all(staged.map((s) => unlink(s.temp).catch(() => undefined)));
    throw err;
  }

  const dirs = new Set<string>();
  for (const s of staged) {
    try {
      await rename(s.temp, s.target);
    } catch (err) {
      await Promise.all(staged.map((t) => unlink(t.temp).catch(() => undefined)));
      throw new EnvironmentError(`writing ${s.file.path} under ${options.root}: rename failed: ${describeCause(err)}`, { cause: err });
    }
    dirs.add(dirname(s.target));
  }
  // The renames are durable only once their directories are synced.
  await Promise.all([...dirs].map(syncDir));
  return { changed: changed.map((f) => f.path), unchanged };
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

async function isCurrent(target: string, file: PlannedFile): Promise<boolean> {
  try {
    const st = await lstat(target);
    if (!st.isFile() || (st.mode & 0o7777) !== file.mode) return false;
    return (await readFile(target)).equals(Buffer.from(file.content, 'utf8'));
  } catch {
    return false;
  }
}

async function stage(root: string, file: PlannedFile, dirMode: number): Promise<Staged> {
  const target = join(root, file.path);
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.eks-node-agent.tmp`);
  try {
    await ensureDir(root, dir, dirMode);
    const existing = await lstat(target).catch(() => undefined);
    if (existing?.isDirectory()) throw new Error(`${target} is a directory`);
    const handle = await open(temp, 'wx', file.mode);
    try {
      await handle.writeFile(file.content, 'utf8');
      // open() applies the umask; the plan's mode is exact.
      await handle.chmod(file.mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw new EnvironmentError(`writing ${file.path} under ${root}: ${describeCause(err)}`, { cause: err });
  }
  return { file, target, temp };
}

/** mkdir -p, giving each directory it creates `mode` regardless of the umask. */
async function ensureDir(root: string, dir: string, mode: number): Promise<void> {
  const missing: string[] = [];
  let cursor = dir;
  while (cursor !== root && cursor !== dirname(cursor)) {
    const st = await lstat(cursor).catch(() => undefined);
    if (st) break;
    missing.unshift(cursor);
    cursor = dirname(cursor);
  }
  for (const d of missing) {
    await mkdir(d).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    await chmod(d, mode);
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself has happened.
  } finally {
    await handle.close();
  }
}
