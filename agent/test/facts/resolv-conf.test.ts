import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RESOLVED_UPSTREAM, readPodResolvConf } from '../../src/facts/resolv-conf.js';

describe('readPodResolvConf', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'eks-node-resolv-'));
    await mkdir(join(root, 'etc'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it("names systemd-resolved's real servers when /etc/resolv.conf links to its stub, relative or absolute", async () => {
    await symlink('../run/systemd/resolve/stub-resolv.conf', join(root, 'etc/resolv.conf'));
    // decided by the link alone: the stub file is not written yet early in boot
    expect(readPodResolvConf(root)).toBe(RESOLVED_UPSTREAM);
    await rm(join(root, 'etc/resolv.conf'));
    await symlink('/usr/lib/systemd/resolv.conf', join(root, 'etc/resolv.conf'));
    expect(readPodResolvConf(root)).toBe(RESOLVED_UPSTREAM);
  });

  it("leaves the kubelet's default for a link to the real servers, a plain file, or none", async () => {
    expect(readPodResolvConf(root)).toBeUndefined();
    await writeFile(join(root, 'etc/resolv.conf'), 'nameserver 127.0.0.53\n');
    expect(readPodResolvConf(root)).toBeUndefined();
    await rm(join(root, 'etc/resolv.conf'));
    await symlink('../run/systemd/resolve/resolv.conf', join(root, 'etc/resolv.conf'));
    expect(readPodResolvConf(root)).toBeUndefined();
  });
});
