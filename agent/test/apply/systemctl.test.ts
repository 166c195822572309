import { mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSystemctl } from '../../src/apply/systemctl.js';
import { EnvironmentError } from '../../src/errors.js';

// The real implementation (node:child_process), run against the repository's systemctl TEST DOUBLE
// (test/doubles/systemctl), since no systemd runs here.
const DOUBLE = resolve(import.meta.dirname, '../../../test/doubles/systemctl');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eks-node-systemctl-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}) {
  return { ...process.env, SYSTEMCTL_DOUBLE_LOG: join(dir, 'log'), SYSTEMCTL_DOUBLE_STATE: join(dir, 'state'), ...extra };
}

describe('createSystemctl', () => {
  it('runs daemon-reload, restart and is-active through the executable', async () => {
    const systemctl = createSystemctl({ command: DOUBLE, env: env() });
    expect(await systemctl.isActive('kubelet.service')).toBe(false);
    await systemctl.daemonReload();
    await systemctl.restart('kubelet.service');
    expect(await systemctl.isActive('kubelet.service')).toBe(true);
    expect(await readFile(join(dir, 'log'), 'utf8')).toBe(
      '--quiet is-active kubelet.service\ndaemon-reload\nrestart kubelet.service\n--quiet is-active kubelet.service\n',
    );
  });

  it('reads a unit state from is-active whatever its exit code, and queues starts without waiting', async () => {
    const systemctl = createSystemctl({ command: DOUBLE, env: env() });
    expect(await systemctl.activeState('containerd.service')).toBe('inactive');
    await systemctl.startNoBlock(['containerd.service', 'kubelet.service']);
    expect(await systemctl.activeState('kubelet.service')).toBe('active');
    expect(await readFile(join(dir, 'log'), 'utf8')).toBe(
      'is-active containerd.service\nstart --no-block containerd.service kubelet.service\nis-active kubelet.service\n',
    );
  });

  it('reports a failed restart with the command, exit code and first stderr line', async () => {
    const systemctl = createSystemctl({ command: DOUBLE, env: env({ SYSTEMCTL_DOUBLE_FAIL: 'containerd' }) });
    await expect(systemctl.restart('containerd.service')).rejects.toThrow(
      new EnvironmentError('systemctl restart containerd.service: failed with exit code 1: Job for containerd.service failed.'),
    );
  });

  it('sets a CPU weight for this boot only, and names a unit systemd does not know', async () => {
    await createSystemctl({ command: DOUBLE, env: env() }).setCpuWeight('cloud-final.service', 1000);
    expect(await readFile(join(dir, 'log'), 'utf8')).toBe('set-property --runtime cloud-final.service CPUWeight=1000\n');
    const unknown = createSystemctl({ command: DOUBLE, env: env({ SYSTEMCTL_DOUBLE_FAIL: 'cloud-config.service' }) });
    await expect(unknown.setCpuWeight('cloud-config.service', 1000)).rejects.toThrow(
      new EnvironmentError(
        'systemctl set-property --runtime cloud-config.service CPUWeight=1000: failed with exit code 1: Failed to set unit properties on cloud-config.service: Unit cloud-config.service not found.',
      ),
    );
  });

  it('bounds every call and says which one timed out', async () => {
    const slow = join(dir, 'slow-systemctl');
    await writeFile(slow, '#!/bin/sh\nexec sleep 5\n');
    await chmod(slow, 0o755);
    const systemctl = createSystemctl({ command: slow, timeoutMs: { daemonReload: 200 } });
    await expect(systemctl.daemonReload()).rejects.toThrow('systemctl daemon-reload: timed out after 0.2 s');
  });

  it('says when systemctl cannot be run at all', async () => {
    const systemctl = createSystemctl({ command: join(dir, 'missing') });
    await expect(systemctl.isActive('x.service')).rejects.toThrow(/^systemctl --quiet is-active x.service: could not run /);
  });
});
