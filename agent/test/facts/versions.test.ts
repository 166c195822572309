import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultExec, parseContainerdVersion, parseKubeletVersion, readContainerdVersion, readKubeletVersion, type Exec } from '../../src/facts/versions.js';
import { EnvironmentError } from '../../src/errors.js';
import { tempRoot, type TempRoot } from './root.js';

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.remove();
  root = undefined;
});

/** Runs binaries from `dir` (test doubles written there) with the real exec. */
const execFrom =
  (dir: string): Exec =>
  (file, args, o) =>
    defaultExec(path.join(dir, file), args, o);
/** An exec that must not be reached: the version file should have answered. */
const noExec: Exec = (file) => {
  throw new Error(`unexpected exec of ${file}`);
};

describe('version parsing', () => {
  it.each([
    ['Kubernetes v1.33.1', 'v1.33.1'],
    ['Kubernetes v1.30.0-eks-036c24b\n', 'v1.30.0'],
    ['1.33.1', 'v1.33.1'],
    ['v1.29.10\n', 'v1.29.10'],
  ])('kubelet %j -> %s', (text, v) => expect(parseKubeletVersion(text)).toBe(v));

  it.each([
    ['containerd github.com/containerd/containerd/v2 v2.1.0 0a1b2c3d', '2.1.0'],
    ['containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3', '1.6.20'],
    ['1.7.27\n', '1.7.27'],
  ])('containerd %j -> %s', (text, v) => expect(parseContainerdVersion(text)).toBe(v));

  it('finds no version in text without one', () => {
    expect(parseKubeletVersion('Kubernetes')).toBeUndefined();
    expect(parseContainerdVersion('containerd 1.7')).toBeUndefined();
  });
});

describe('reading versions', () => {
  it('prefers the version files baked into the image', async () => {
    root = await tempRoot();
    await root.write('/etc/eks/kubelet-version.txt', 'v1.33.1\n');
    await root.write('/etc/eks/containerd-version.txt', '2.1.0\n');
    expect(await readKubeletVersion(root.dir, noExec)).toBe('v1.33.1');
    expect(await readContainerdVersion(root.dir, noExec)).toBe('2.1.0');
  });

  it('says which file holds a malformed version', async () => {
    root = await tempRoot();
    const file = await root.write('/etc/eks/kubelet-version.txt', 'latest\n');
    await expect(readKubeletVersion(root.dir, noExec)).rejects.toThrow(`kubelet version: ${file} holds "latest"`);
  });

  it('falls back to `kubelet --version` (a test double) when the file is missing', async () => {
    root = await tempRoot();
    await root.write('/bin/kubelet', '#!/bin/sh\n[ "$1" = --version ] && echo "Kubernetes v1.32.4-eks-1a2b3c4"\n', 0o755);
    expect(await readKubeletVersion(root.dir, execFrom(path.join(root.dir, 'bin')))).toBe('v1.32.4');
  });

  it('bounds the fallback with a deadline and names both sources when it fails', async () => {
    root = await tempRoot();
    await root.write('/bin/kubelet', '#!/bin/sh\nexec sleep 10\n', 0o755);
    const started = Date.now();
    const err = await readKubeletVersion(root.dir, execFrom(path.join(root.dir, 'bin')), 300).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toMatch(/^kubelet version: .*\/etc\/eks\/kubelet-version.txt is missing and `kubelet --version` failed \(.*timed out/);
  });

  it('reports a binary that is not there', async () => {
    root = await tempRoot();
    const err = await readContainerdVersion(root.dir, execFrom(root.dir)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/containerd version: .* is missing and `containerd --version` failed \(.*ENOENT/);
  });
});
