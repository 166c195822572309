import { describe, expect, it } from 'vitest';
import { withRemovedTriggers, type Owned } from '../../src/apply/owned.js';
import type { UnitAction } from '../../src/render/plan.js';

const SYSTEM_ENV = '/etc/systemd/system.conf.d/environment.conf';
const KUBELET_ENV = '/etc/systemd/system/kubelet.service.d/environment.conf';

describe('withRemovedTriggers', () => {
  it('a removed file triggers what it triggered before; a vanished reload or re-exec comes back first, for this run only', () => {
    const previous: Owned = {
      version: 1,
      files: [SYSTEM_ENV, KUBELET_ENV, '/etc/kubernetes/kubelet/config.json'],
      units: [
        { kind: 'daemon-reexec', triggeredBy: [SYSTEM_ENV] },
        { kind: 'daemon-reload', triggeredBy: [KUBELET_ENV] },
        { kind: 'restart', unit: 'kubelet.service', triggeredBy: ['/etc/kubernetes/kubelet/config.json', KUBELET_ENV] },
      ],
    };
    const now: UnitAction[] = [{ kind: 'restart', unit: 'kubelet.service', triggeredBy: ['/etc/kubernetes/kubelet/config.json'] }];
    expect(withRemovedTriggers(now, [SYSTEM_ENV, KUBELET_ENV], previous)).toEqual([
      { kind: 'daemon-reexec', triggeredBy: [SYSTEM_ENV] },
      { kind: 'daemon-reload', triggeredBy: [KUBELET_ENV] },
      { kind: 'restart', unit: 'kubelet.service', triggeredBy: ['/etc/kubernetes/kubelet/config.json', KUBELET_ENV] },
    ]);
    expect(withRemovedTriggers(now, [], previous)).toBe(now);
  });

  it('does not start a unit the plan no longer restarts for its removed files (FastImagePull turned off)', () => {
    const SOCI_CONFIG = '/etc/soci-snapshotter-grpc/config.toml';
    const SOCI_DROP_IN = '/etc/systemd/system/containerd.service.d/20-eks-node-soci.conf';
    const CONTAINERD = '/etc/containerd/config.toml';
    const previous: Owned = {
      version: 1,
      files: [CONTAINERD, SOCI_CONFIG, SOCI_DROP_IN],
      units: [
        { kind: 'daemon-reload', triggeredBy: [SOCI_DROP_IN] },
        { kind: 'restart', unit: 'soci-snapshotter.service', triggeredBy: [SOCI_CONFIG] },
        { kind: 'restart', unit: 'containerd.service', waitActiveSeconds: 60, triggeredBy: [CONTAINERD, SOCI_DROP_IN] },
      ],
    };
    const now: UnitAction[] = [{ kind: 'restart', unit: 'containerd.service', waitActiveSeconds: 60, triggeredBy: [CONTAINERD] }];
    expect(withRemovedTriggers(now, [SOCI_CONFIG, SOCI_DROP_IN], previous)).toEqual([
      { kind: 'daemon-reload', triggeredBy: [SOCI_DROP_IN] },
      { kind: 'restart', unit: 'containerd.service', waitActiveSeconds: 60, triggeredBy: [CONTAINERD, SOCI_DROP_IN] },
    ]);
  });
});
