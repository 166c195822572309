import { describe, expect, it } from 'vitest';
import { runUnits } from '../../src/apply/run-units.js';
import type { Systemctl } from '../../src/apply/systemctl.js';
import { EnvironmentError } from '../../src/errors.js';
import type { UnitAction } from '../../src/render/plan.js';

/** An in-memory systemd: records calls; units become active on restart unless told otherwise. */
function fakeSystemctl(initial: Record<string, boolean>, opts: { neverActive?: string[]; states?: Record<string, string> } = {}) {
  const active = new Map(Object.entries(initial));
  const calls: string[] = [];
  const systemctl: Systemctl = {
    async daemonReload() {
      calls.push('daemon-reload');
    },
    async daemonReexec() {
      calls.push('daemon-reexec');
    },
    async tryRestart() {
      throw new Error('try-restart not expected in this test');
    },
    async setCpuWeight() {
      throw new Error('set-property not expected in this test');
    },
    async restart(unit) {
      calls.push(`restart ${unit}`);
      active.set(unit, !(opts.neverActive ?? []).includes(unit));
    },
    async isActive(unit) {
      calls.push(`is-active ${unit}`);
      return active.get(unit) ?? false;
    },
    async activeState(unit) {
      calls.push(`state ${unit}`);
      return opts.states?.[unit] ?? (active.get(unit) ? 'active' : 'inactive');
    },
    async startNoBlock() {
      throw new Error('start --no-block not expected in this test');
    },
    async enable() {
      throw new Error('enable not expected in this test');
    },
  };
  return { systemctl, calls };
}

const actions: UnitAction[] = [
  { kind: 'daemon-reload', triggeredBy: ['/etc/systemd/system/kubelet.service.d/environment.conf'] },
  { kind: 'restart', unit: 'containerd.service', waitActiveSeconds: 1, triggeredBy: ['/etc/containerd/config.toml'] },
  { kind: 'restart', unit: 'kubelet.service', triggeredBy: ['/etc/kubernetes/kubelet/config.json', '/etc/systemd/system/kubelet.service.d/environment.conf'] },
];

describe('runUnits', () => {
  it('on first boot restarts both units, waiting for containerd, and reloads for a changed drop-in', async () => {
    const { systemctl, calls } = fakeSystemctl({ 'containerd.service': true });
    const timings = await runUnits(actions, {
      systemctl,
      changed: ['/etc/containerd/config.toml', '/etc/kubernetes/kubelet/config.json', '/etc/systemd/system/kubelet.service.d/environment.conf'],
    });
    expect(calls).toEqual(['daemon-reload', 'restart containerd.service', 'is-active containerd.service', 'restart kubelet.service']);
    expect(timings.map((t) => t.step)).toEqual(['daemon-reload', 'restart containerd.service', 'wait containerd.service active', 'restart kubelet.service']);
    expect(timings.every((t) => t.ms >= 0)).toBe(true);
  });

  it('re-executes systemd only when the default environment changed', async () => {
    const reexec: UnitAction[] = [{ kind: 'daemon-reexec', triggeredBy: ['/etc/systemd/system.conf.d/environment.conf'] }];
    const { systemctl, calls } = fakeSystemctl({});
    expect((await runUnits(reexec, { systemctl, changed: [] }))[0]).toMatchObject({ step: 'daemon-reexec', skipped: true });
    expect(calls).toEqual([]);
    await runUnits(reexec, { systemctl, changed: ['/etc/systemd/system.conf.d/environment.conf'] });
    expect(calls).toEqual(['daemon-reexec']);
  });

  it('restarts nothing when nothing changed and both units are active', async () => {
    const { systemctl, calls } = fakeSystemctl({ 'containerd.service': true, 'kubelet.service': true });
    const timings = await runUnits(actions, { systemctl, changed: [] });
    expect(calls).toEqual(['state containerd.service', 'state kubelet.service']);
    expect(timings.every((t) => t.skipped)).toBe(true);
  });

  it('waits for a containerd that is already starting and leaves a starting kubelet alone (the early start)', async () => {
    const states: Record<string, string> = { 'containerd.service': 'activating', 'kubelet.service': 'activating' };
    const { systemctl, calls } = fakeSystemctl({ 'containerd.service': true }, { states });
    const timings = await runUnits(actions, { systemctl, changed: [] });
    expect(calls).toEqual(['state containerd.service', 'is-active containerd.service', 'state kubelet.service']);
    expect(timings.map((t) => [t.step, t.detail, t.skipped ?? false])).toEqual([
      ['daemon-reload', 'no unit file changed', true],
      ['restart containerd.service', 'unchanged and activating', true],
      ['wait containerd.service active', 'up to 1 s', false],
      ['restart kubelet.service', 'unchanged and activating', true],
    ]);
  });

  it('restarts a unit that failed, naming its state', async () => {
    const { systemctl, calls } = fakeSystemctl({ 'containerd.service': true }, { states: { 'kubelet.service': 'failed' } });
    const timings = await runUnits(actions, { systemctl, changed: [] });
    expect(calls).toEqual(['state containerd.service', 'state kubelet.service', 'restart kubelet.service']);
    expect(timings.find((t) => t.step === 'restart kubelet.service')?.detail).toBe('not active (failed)');
  });

  it('starts a unit that is not active even when its files did not change', async () => {
    const { systemctl, calls } = fakeSystemctl({ 'containerd.service': true, 'kubelet.service': false });
    const timings = await runUnits(actions, { systemctl, changed: [] });
    expect(calls).toEqual(['state containerd.service', 'state kubelet.service', 'restart kubelet.service']);
    expect(timings.find((t) => t.step === 'restart kubelet.service')?.detail).toBe('not active (inactive)');
  });

  it('names the unit when the wait for active expires', async () => {
    const { systemctl } = fakeSystemctl({}, { neverActive: ['containerd.service'] });
    let clock = 0;
    const err = await runUnits(actions, {
      systemctl,
      changed: ['/etc/containerd/config.toml'],
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toBe('containerd.service did not become active within 1 s after its restart (see journalctl -u containerd.service)');
    expect(clock).toBe(1000);
  });
});
