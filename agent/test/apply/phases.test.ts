import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { favourCloudInit, startEarly } from '../../src/apply/early-start.js';
import { applyConfigPhase, applyRunPhase } from '../../src/apply/phases.js';
import { readRunPhaseState, statePath } from '../../src/apply/state.js';
import type { Systemctl } from '../../src/apply/systemctl.js';
import type { Plan } from '../../src/render/plan.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'eks-node-phases-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function plan(toml: string): Plan {
  return {
    files: [
      { path: '/etc/containerd/config.toml', mode: 0o644, content: toml },
      { path: '/etc/kubernetes/kubelet/config.json', mode: 0o644, content: '{}\n' },
    ],
    units: [
      { kind: 'restart', unit: 'containerd.service', waitActiveSeconds: 5, triggeredBy: ['/etc/containerd/config.toml'] },
      { kind: 'restart', unit: 'kubelet.service', triggeredBy: ['/etc/kubernetes/kubelet/config.json'] },
    ],
    warnings: [],
  };
}

/** Records calls; every unit is active once restarted. */
function recorder() {
  const active = new Set<string>();
  const calls: string[] = [];
  const systemctl: Systemctl = {
    daemonReload: async () => void calls.push('daemon-reload'),
    daemonReexec: async () => void calls.push('daemon-reexec'),
    tryRestart: async () => {
      throw new Error('try-restart not expected in this test');
    },
    restart: async (u) => {
      calls.push(`restart ${u}`);
      active.add(u);
    },
    isActive: async (u) => active.has(u),
    activeState: async (u) => (active.has(u) ? 'active' : 'inactive'),
    setCpuWeight: async (u, w) => void calls.push(`set-property --runtime ${u} CPUWeight=${w}`),
    startNoBlock: async (units) => {
      calls.push(`start --no-block ${units.join(' ')}`);
      for (const u of units) active.add(u);
    },
    enable: async () => {
      throw new Error('enable not expected');
    },
  };
  return { systemctl, calls };
}

describe('config and run phases in separate processes', () => {
  it('records the config digest for the run phase, which keeps it after acting', async () => {
    const { systemctl } = recorder();
    await applyConfigPhase(plan('version = 2\n'), { root, configDigest: 'abc123' });
    expect((await readRunPhaseState(root))?.configDigest).toBe('abc123');
    await applyRunPhase(undefined, { root, systemctl });
    const after = await readRunPhaseState(root);
    expect(after?.configDigest).toBe('abc123');
    expect(after?.pendingChanges).toEqual([]);
  });

  it('first boot restarts both; an identical second init restarts nothing; a changed file restarts only its unit', async () => {
    const { systemctl, calls } = recorder();

    const first = await applyConfigPhase(plan('version = 2\n'), { root });
    expect(first.changed).toHaveLength(2);
    expect(first.timings.map((t) => t.step)).toEqual(['write', 'record run-phase state']);
    // The run phase reads the units from the recorded state: no plan needed.
    const run1 = await applyRunPhase(undefined, { root, systemctl });
    expect(calls).toEqual(['restart containerd.service', 'restart kubelet.service']);
    expect(run1.acted).toEqual(['/etc/containerd/config.toml', '/etc/kubernetes/kubelet/config.json']);
    expect((await readRunPhaseState(root))?.pendingChanges).toEqual([]);

    calls.length = 0;
    const second = await applyConfigPhase(plan('version = 2\n'), { root });
    expect(second.changed).toEqual([]);
    await applyRunPhase(undefined, { root, systemctl });
    expect(calls).toEqual([]);

    await applyConfigPhase(plan('version = 2\n# mirror\n'), { root });
    await applyRunPhase(undefined, { root, systemctl });
    expect(calls).toEqual(['restart containerd.service']);
  });

  it('keeps changes pending across config phases until a run phase succeeds', async () => {
    await applyConfigPhase(plan('a = 1\n'), { root });
    const again = await applyConfigPhase(plan('a = 1\n'), { root });
    expect(again.changed).toEqual([]);
    expect(again.pendingChanges).toEqual(['/etc/containerd/config.toml', '/etc/kubernetes/kubelet/config.json']);

    const failing: Systemctl = {
      daemonReload: async () => undefined,
      daemonReexec: async () => undefined,
      tryRestart: async () => {
        throw new Error('try-restart not expected in this test');
      },
      restart: async (u) => {
        throw new Error(`restart ${u} failed`);
      },
      isActive: async () => false,
      activeState: async () => 'inactive',
      setCpuWeight: async () => undefined,
      startNoBlock: async () => {
        throw new Error('start --no-block not expected in this test');
      },
      enable: async () => undefined,
    };
    await expect(applyRunPhase(undefined, { root, systemctl: failing })).rejects.toThrow('restart containerd.service failed');
    expect((await readRunPhaseState(root))?.pendingChanges).toHaveLength(2);
  });

  it('treats an unreadable state as every file changed', async () => {
    await applyConfigPhase(plan('a = 1\n'), { root });
    await writeFile(statePath(root), 'garbage');
    const result = await applyConfigPhase(plan('a = 1\n'), { root });
    expect(result.changed).toEqual([]);
    expect(result.pendingChanges).toEqual(['/etc/containerd/config.toml', '/etc/kubernetes/kubelet/config.json']);
    expect(JSON.parse(await readFile(statePath(root), 'utf8'))).toMatchObject({ version: 1 });
  });

  it('refuses a run phase with no plan and no recorded state, naming the state file', async () => {
    const { systemctl } = recorder();
    await expect(applyRunPhase(undefined, { root, systemctl })).rejects.toThrow(
      `run phase: no plan recorded at ${statePath(root)}; run the config phase first (init --skip run)`,
    );
  });
});

describe('the config phase early start', () => {
  const withDropIn = (): Plan => {
    const p = plan('version = 2\n');
    const dropIn = '/etc/systemd/system/kubelet.service.d/environment.conf';
    return {
      ...p,
      files: [...p.files, { path: dropIn, mode: 0o644, content: '[Service]\n' }],
      units: [{ kind: 'daemon-reload', triggeredBy: [dropIn] }, ...p.units],
    };
  };

  it('reloads for a written drop-in, queues both units in one call, and leaves the run phase nothing to restart', async () => {
    const { systemctl, calls } = recorder();
    await applyConfigPhase(withDropIn(), { root });
    const timings = await startEarly(root, systemctl);
    expect(calls).toEqual(['daemon-reload', 'start --no-block containerd.service kubelet.service']);
    expect(timings.map((t) => t.step)).toEqual(['daemon-reload', 'queue start containerd.service kubelet.service']);
    expect(await readRunPhaseState(root)).toMatchObject({ pendingChanges: [], startedEarly: ['containerd.service', 'kubelet.service'] });
    const run = await applyRunPhase(undefined, { root, systemctl });
    expect(run.timings.filter((t) => !t.skipped)).toEqual([]);
    expect(calls).toHaveLength(2);
  });

  it('keeps the pending changes when the start cannot be queued, so the run phase still restarts', async () => {
    const { systemctl } = recorder();
    await applyConfigPhase(plan('version = 2\n'), { root });
    const refusing: Systemctl = {
      ...systemctl,
      startNoBlock: async () => {
        throw new Error('systemctl start --no-block: failed');
      },
    };
    await expect(startEarly(root, refusing)).rejects.toThrow('failed');
    expect((await readRunPhaseState(root))?.pendingChanges).toEqual(['/etc/containerd/config.toml', '/etc/kubernetes/kubelet/config.json']);
  });
});

describe('cloud-init stages, when the start is left to the run phase', () => {
  it("get the config unit's CPU weight for this boot, both at once", async () => {
    const { systemctl, calls } = recorder();
    const line = await favourCloudInit(systemctl);
    expect(calls).toEqual(['set-property --runtime cloud-config.service CPUWeight=1000', 'set-property --runtime cloud-final.service CPUWeight=1000']);
    expect(line).toBe('cloud-init stages the run phase waits for: CPU weight 1000 for this boot (cloud-config.service, cloud-final.service)');
  });

  it('name a stage systemd does not know (an image without cloud-init) and fail nothing', async () => {
    const { systemctl } = recorder();
    const absent = (unit: string) => new Error(`systemctl set-property --runtime ${unit} CPUWeight=1000: failed with exit code 1: Unit ${unit} not found.`);
    const partly: Systemctl = {
      ...systemctl,
      setCpuWeight: async (u, w) => (u === 'cloud-config.service' ? Promise.reject(absent(u)) : systemctl.setCpuWeight(u, w)),
    };
    expect(await favourCloudInit(partly)).toBe(
      `cloud-init stages the run phase waits for: CPU weight 1000 for this boot (cloud-final.service); CPU weight not raised: cloud-config.service (${absent('cloud-config.service').message})`,
    );
    const none: Systemctl = { ...systemctl, setCpuWeight: async (u) => Promise.reject(absent(u)) };
    expect(await favourCloudInit(none)).toMatch(/^CPU weight not raised: cloud-config\.service \(.*not found\.\); cloud-final\.service \(.*not found\.\)$/);
  });
});
