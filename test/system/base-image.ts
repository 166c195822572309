import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/** The debootstrapped base disk and its kernel, as test/system/base-image.sh leaves them. */
export interface BaseImage {
  dir: string;
  disk: string;
  kernel: string;
  initrd: string;
  /** seconds spent building it in this run; 0 when it came from the cache */
  builtSeconds: number;
}

const SCRIPT = new URL('./base-image.sh', import.meta.url).pathname;

/** Outside the repository, so `git clean` and fresh checkouts keep it. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EKS_NODE_SYSTEM_TEST_CACHE) return env.EKS_NODE_SYSTEM_TEST_CACHE;
  return env.XDG_CACHE_HOME ? join(env.XDG_CACHE_HOME, 'eks-node-system-test') : '/var/cache/eks-node-system-test';
}

/**
 * Returns the cached base image for the script's current content, building it first when
 * absent. Keyed by the script's hash: changing a package list or a setting rebuilds, nothing
 * else does. A lock serialises concurrent runs on one machine.
 */
export async function ensureBaseImage(log: (line: string) => void): Promise<BaseImage> {
  const hash = createHash('sha256')
    .update(await readFile(SCRIPT))
    .digest('hex')
    .slice(0, 16);
  const root = cacheRoot();
  await mkdir(root, { recursive: true });
  const dir = join(root, `base-${hash}`);
  const image = { dir, disk: join(dir, 'disk.qcow2'), kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img') };
  if (existsSync(image.disk)) return { ...image, builtSeconds: 0 };
  log(`base image: building ${dir} (debootstrap; about 2 minutes)`);
  const started = Date.now();
  // flock: a second run waits for the first build instead of racing it; the script refuses an
  // existing directory, so the waiter checks again before building.
  await execa('flock', [join(root, '.lock'), 'sh', '-c', `[ -e "$1/disk.qcow2" ] || "$2" "$1"`, 'sh', dir, SCRIPT], {
    stdout: 'inherit',
    stderr: 'inherit',
    timeout: 90 * 60_000,
  });
  return { ...image, builtSeconds: Math.round((Date.now() - started) / 1000) };
}
