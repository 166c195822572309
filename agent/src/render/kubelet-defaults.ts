import type { Facts } from '../facts/types.js';
import { type Version, atLeast } from './versions.js';

/**
 * Settings the AL2023 EKS AMI gives a kubelet from some version on, in one table so that each
 * appears with the version that starts it and nowhere else. The user's kubelet.config is
 * layered over the result (drop-in or merge), so any of these can still be turned off.
 */
export interface VersionedDefault {
  /** first kubelet minor (1.x) that gets it */
  since: { major: number; minor: number };
  why: string;
  featureGates?: Record<string, boolean>;
  config?: Record<string, unknown>;
  /** node labels, decided from facts (labels about hardware the kubelet cannot see itself) */
  labels?: (facts: Facts) => Record<string, string>;
}

export const KUBELET_VERSIONED_DEFAULTS: readonly VersionedDefault[] = [
  {
    since: { major: 1, minor: 0 },
    why: 'serving certificates are rotated like client ones (serverTLSBootstrap)',
    featureGates: { RotateKubeletServerCertificate: true },
  },
  {
    since: { major: 1, minor: 33 },
    why: 'EKS serves the resource.k8s.io API from 1.33, so nodes advertise devices through DRA',
    featureGates: { DynamicResourceAllocation: true },
  },
  {
    since: { major: 1, minor: 34 },
    why: 'CSI drivers may update the volume-attach limit of a running node',
    featureGates: { MutableCSINodeAllocatableCount: true },
  },
  {
    since: { major: 1, minor: 34 },
    why: 'graceful node shutdown: pods get 2m30s when the instance stops, the last 30s kept for critical pods',
    config: { shutdownGracePeriod: '2m30s', shutdownGracePeriodCriticalPods: '30s' },
  },
  {
    since: { major: 1, minor: 35 },
    why: 'the NVIDIA GPU operator schedules its components on nodes labelled as carrying a GPU',
    labels: (facts): Record<string, string> => (facts.accelerators?.nvidiaGpu ? { 'nvidia.com/gpu.present': 'true' } : {}),
  },
];

export interface KubeletDefaults {
  featureGates: Record<string, boolean>;
  config: Record<string, unknown>;
  labels: Record<string, string>;
}

/** Everything the table gives this kubelet version on this machine (without facts, no labels: what any machine gets). */
export function kubeletVersionedDefaults(kubelet: Version, facts?: Facts): KubeletDefaults {
  const out: KubeletDefaults = { featureGates: {}, config: {}, labels: {} };
  for (const entry of KUBELET_VERSIONED_DEFAULTS) {
    if (!atLeast(kubelet, entry.since.major, entry.since.minor)) continue;
    Object.assign(out.featureGates, entry.featureGates);
    Object.assign(out.config, entry.config);
    if (entry.labels && facts) Object.assign(out.labels, entry.labels(facts));
  }
  return out;
}
