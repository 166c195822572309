import { mkdtemp, readFile, readdir, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFiles } from '../../src/apply/write-files.js';
import { EnvironmentError } from '../../src/errors.js';
import type { PlannedFile } from '../../src/render/plan.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'eks-node-write-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const files: PlannedFile[] = [
  { path: '/etc/eks/kubelet/environment', mode: 0o644, content: 'KUBELET_ARGS="--a"\n' },
  { path: '/var/lib/kubelet/kubeconfig', mode: 0o600, content: 'apiVersion: v1\n' },
  { path: '/etc/containerd/config.toml', mode: 0o644, content: 'version = 2\n' },
];

async function modeOf(p: string): Promise<number> {
  return (await stat(join(root, p))).mode & 0o7777;
}

describe('writeFiles', () => {
  it('writes every file under the root with its mode and creates directories 0755', async () => {
    const old = process.umask(0o077);
    try {
      const result = await writeFiles(files, { root });
      expect(result.changed).toEqual(files.map((f) => f.path));
    } finally {
      process.umask(old);
    }
    for (const f of files) {
      expect(await readFile(join(root, f.path), 'utf8')).toBe(f.content);
      expect(await modeOf(f.path)).toBe(f.mode);
    }
    expect(await modeOf('/var/lib/kubelet')).toBe(0o755);
    expect(await modeOf('/etc')).toBe(0o755);
  });

  it('changes nothing on an identical second write, and rewrites a file whose mode alone differs', async () => {
    await writeFiles(files, { root });
    const before = (await stat(join(root, files[0]!.path))).mtimeMs;
    const second = await writeFiles(files, { root });
    expect(second.changed).toEqual([]);
    expect(second.unchanged).toHaveLength(3);
    expect((await stat(join(root, files[0]!.path))).mtimeMs).toBe(before);

    const third = await writeFiles([{ ...files[1]!, mode: 0o640 }], { root });
    expect(third.changed).toEqual(['/var/lib/kubelet/kubeconfig']);
    expect(await modeOf('/var/lib/kubelet/kubeconfig')).toBe(0o640);
  });

  it('leaves every previous file intact when staging fails part-way, and no temp files behind', async () => {
    await writeFiles(files, { root });
    // A regular file where a directory must be: mkdir fails even for root.
    await writeFile(join(root, 'opt'), 'not a directory');
    const next: PlannedFile[] = [
      ...files.map((f) => ({ ...f, content: `${f.content}# new\n` })),
      { path: '/opt/cni/net.d/10.conf', mode: 0o644, content: '{}\n' },
    ];
    const err = await writeFiles(next, { root }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toMatch(/^writing \/opt\/cni\/net\.d\/10\.conf under /);
    for (const f of files) expect(await readFile(join(root, f.path), 'utf8')).toBe(f.content);
    for (const dir of ['/etc/eks/kubelet', '/var/lib/kubelet', '/etc/containerd']) {
      expect((await readdir(join(root, dir))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    }
  });

  it('refuses to replace a directory with a file, before renaming anything', async () => {
    await writeFiles(files, { root });
    await mkdir(join(root, '/etc/kubernetes/pki/ca.crt'), { recursive: true });
    const next = [
      { ...files[0]!, content: 'changed\n' },
      { path: '/etc/kubernetes/pki/ca.crt', mode: 0o644, content: 'pem\n' },
    ];
    await expect(writeFiles(next, { root })).rejects.toThrow(/ca\.crt.*is a directory/);
    expect(await readFile(join(root, files[0]!.path), 'utf8')).toBe(files[0]!.content);
  });

  it('rejects paths that could leave the root', async () => {
    await expect(writeFiles([{ path: '/etc/../../x', mode: 0o644, content: '' }], { root })).rejects.toThrow(/normalised absolute/);
    await expect(writeFiles([{ path: 'etc/x', mode: 0o644, content: '' }], { root })).rejects.toThrow(/normalised absolute/);
  });
});

describe('writeFiles after a crash', () => {
  it('removes temp files of a run that died, keeps those of a live run', async () => {
    const { spawnSync } = await import('node:child_process');
    const deadPid = spawnSync('true').pid!;
    await mkdir(join(root, 'etc/containerd'), { recursive: true });
    const dead = `.config.toml.${deadPid}-0123456789ab.eks-node-agent.tmp`;
    const live = `.config.toml.${process.pid}-0123456789ab.eks-node-agent.tmp`;
    await writeFile(join(root, 'etc/containerd', dead), 'half');
    await writeFile(join(root, 'etc/containerd', live), 'in flight');
    await writeFiles(files, { root });
    const left = await readdir(join(root, 'etc/containerd'));
    expect(left).not.toContain(dead);
    expect(left).toContain(live);
  });

  it('calls beforeCommit once everything is staged and before any rename, then deletes what it was told to', async () => {
    await writeFiles(files, { root });
    await writeFile(join(root, 'etc/eks/old.conf'), 'stale');
    const changedFiles = files.map((f) => (f.path === '/etc/containerd/config.toml' ? { ...f, content: 'version = 3\n' } : f));
    let seen: unknown;
    const result = await writeFiles(changedFiles, {
      root,
      remove: ['/etc/eks/old.conf', '/etc/eks/never-existed.conf'],
      beforeCommit: async (change) => {
        seen = {
          ...change,
          onDisk: await readFile(join(root, 'etc/containerd/config.toml'), 'utf8'),
          stillThere: (await readdir(join(root, 'etc/eks'))).includes('old.conf'),
        };
      },
    });
    expect(seen).toEqual({ changed: ['/etc/containerd/config.toml'], removed: ['/etc/eks/old.conf'], onDisk: 'version = 2\n', stillThere: true });
    expect(result.removed).toEqual(['/etc/eks/old.conf']);
    expect(await readdir(join(root, 'etc/eks'))).not.toContain('old.conf');
  });
});
