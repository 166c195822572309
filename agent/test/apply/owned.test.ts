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
});
