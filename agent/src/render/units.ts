import { CONTAINERD_UNIT, KUBELET_UNIT, PATHS, unitEnvironmentPath } from './paths.js';
import type { PlannedFile, UnitAction } from './plan.js';
import { SOCI } from './fast-image-pull.js';

/** How long the run phase waits for containerd to report active before it gives up. */
export const CONTAINERD_ACTIVE_TIMEOUT_SECONDS = 60;

/**
 * The run phase: re-execute systemd when the default environment changed, reload it when a unit
 * drop-in is planned, restart containerd and wait for
 * it (the kubelet fails its first CRI calls otherwise), then restart the kubelet. Each action
 * lists the files whose change makes it necessary.
 */
export function planUnits(files: PlannedFile[]): UnitAction[] {
  const planned = new Set(files.map((f) => f.path));
  const present = (paths: string[]) => paths.filter((p) => planned.has(p));
  const dropIns = files
    .map((f) => f.path)
    .filter((p) => p.startsWith('/etc/systemd/system/'))
    .sort();
  const actions: UnitAction[] = [];
  // DefaultEnvironment= belongs to the manager's own configuration; a re-exec re-reads it on every
  // systemd version, and units started afterwards (the restarts below) inherit it.
  if (planned.has(PATHS.systemEnvironment)) actions.push({ kind: 'daemon-reexec', triggeredBy: [PATHS.systemEnvironment] });
  if (dropIns.length > 0) actions.push({ kind: 'daemon-reload', triggeredBy: dropIns });
  // FastImagePull (its configuration is planned): the snapshotter reads it as it starts, and containerd needs it serving
  if (planned.has(SOCI.config)) actions.push({ kind: 'restart', unit: SOCI.unit, triggeredBy: present([SOCI.config, PATHS.systemEnvironment]) });
  actions.push({
    kind: 'restart',
    unit: CONTAINERD_UNIT,
    waitActiveSeconds: CONTAINERD_ACTIVE_TIMEOUT_SECONDS,
    triggeredBy: present([PATHS.containerdConfig, PATHS.baseRuntimeSpec, PATHS.systemEnvironment, SOCI.containerdDropIn, unitEnvironmentPath(CONTAINERD_UNIT)]),
  });
  actions.push({
    kind: 'restart',
    unit: KUBELET_UNIT,
    triggeredBy: present([
      PATHS.bootstrapKubeconfig,
      PATHS.caCert,
      PATHS.credentialProviderConfig,
      PATHS.kubeconfig,
      PATHS.kubeletConfig,
      PATHS.kubeletDropIn,
      PATHS.kubeletEnvironment,
      PATHS.systemEnvironment,
      unitEnvironmentPath(KUBELET_UNIT),
    ]).sort(),
  });
  return actions;
}
