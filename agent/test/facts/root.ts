import { mkdir, mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A throw-away machine root for facts tests: write files by their on-node path. */
export interface TempRoot {
  dir: string;
  write(file: string, content: string, mode?: number): Promise<string>;
  remove(): Promise<void>;
}

export async function tempRoot(): Promise<TempRoot> {
  const dir = await mkdtemp(path.join(tmpdir(), 'eks-node-facts-'));
  return {
    dir,
    async write(file, content, mode) {
      const full = path.join(dir, file);
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, content);
      if (mode !== undefined) await chmod(full, mode);
      return full;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The files a node's root has for gatherInstanceFacts: 2 CPUs, ~7.5 GiB, versions baked. */
export async function populateNodeRoot(root: TempRoot): Promise<void> {
  await root.write('/sys/devices/system/cpu/online', '0-1\n');
  await root.write('/proc/meminfo', 'MemTotal:        7910616 kB\nMemFree:         7000000 kB\n');
  await root.write('/etc/eks/kubelet-version.txt', 'v1.33.1\n');
  await root.write('/etc/eks/containerd-version.txt', '1.7.27\n');
}
