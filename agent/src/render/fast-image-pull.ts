import type { Facts } from '../facts/types.js';
import { SOCI_SNAPSHOTTER_BINARY, SOCI_SNAPSHOTTER_ROOT, SOCI_SNAPSHOTTER_UNIT } from '../facts/soci-snapshotter.js';
import { CONTAINERD_UNIT, PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';

/**
 * The `FastImagePull` feature gate: containerd hands image pulls to the SOCI snapshotter in its
 * parallel pull-and-unpack mode (layers fetched in chunks and unpacked concurrently), which takes
 * more CPU, memory and disk bandwidth while a pull runs. As on the AL2023 EKS AMI it applies only
 * to instances with at least 4 vCPUs and 7 GiB of memory, where a pull cannot starve the node;
 * unlike it, the agent also asks whether the image has the snapshotter, so user data written for
 * another image never points containerd at a socket nobody serves.
 */
export const SOCI = {
  binary: SOCI_SNAPSHOTTER_BINARY,
  unit: SOCI_SNAPSHOTTER_UNIT,
  socket: '/run/soci-snapshotter-grpc/soci-snapshotter-grpc.sock',
  root: SOCI_SNAPSHOTTER_ROOT,
  config: '/etc/soci-snapshotter-grpc/config.toml',
  /** containerd starts after the snapshotter, and imports the pause image into its store before it counts as started */
  containerdDropIn: `/etc/systemd/system/${CONTAINERD_UNIT}.d/20-eks-node-soci.conf`,
} as const;

export const FAST_PULL_MIN_CPU_MILLICORES = 4000;
/** MemTotal, which is a little below the instance's memory (the kernel keeps some): 8 GiB instances qualify */
export const FAST_PULL_MIN_MEMORY_MIB = 7 * 1024;

/** What `config check` says of the gate, which it cannot decide without the instance and the image. */
export const fastImagePullNote = `spec.featureGates.FastImagePull: images are pulled through the SOCI snapshotter (parallel pull and unpack) on instances with at least ${FAST_PULL_MIN_CPU_MILLICORES / 1000} vCPUs and ${FAST_PULL_MIN_MEMORY_MIB / 1024} GiB of memory whose image has it; elsewhere init says why and pulls as without the gate`;

export interface FastImagePullDecision {
  use: boolean;
  /** the gate is on and the instance too small: documented behaviour, one line for the notes */
  note?: string;
  /** the gate is on and the image has no snapshotter, which a user does not expect: one line for the warnings */
  warning?: string;
}

const gib = (mib: number) => `${(mib / 1024).toFixed(1)} GiB`;

/** Whether this node pulls through SOCI: the gate, the instance's size, and the snapshotter in the image. */
export function decideFastImagePull(featureGates: Record<string, boolean> | undefined, facts: Facts): FastImagePullDecision {
  if (featureGates?.FastImagePull !== true) return { use: false };
  const { cpuMillicores, memoryMiB } = facts.instance;
  const short: string[] = [];
  if (cpuMillicores < FAST_PULL_MIN_CPU_MILLICORES) short.push(`${cpuMillicores / 1000} vCPUs`);
  if (memoryMiB < FAST_PULL_MIN_MEMORY_MIB) short.push(`${gib(memoryMiB)} of memory`);
  if (short.length > 0) {
    // a fleet's user data may turn the gate on for every size: on a small one this is expected
    return {
      use: false,
      note: `spec.featureGates.FastImagePull: not taken on this instance (${short.join(' and ')}; parallel pulls need at least ${FAST_PULL_MIN_CPU_MILLICORES / 1000} vCPUs and ${FAST_PULL_MIN_MEMORY_MIB / 1024} GiB): images are pulled as without the gate`,
    };
  }
  if (facts.sociSnapshotter !== true) {
    return {
      use: false,
      warning: `spec.featureGates.FastImagePull: not taken: this image has no SOCI snapshotter (${SOCI.binary}): images are pulled as without the gate`,
    };
  }
  return { use: true };
}

/**
 * The snapshotter's own configuration: the parallel pull-and-unpack mode, with credentials for
 * private registries taken from the CRI requests it proxies to containerd (the kubelet's
 * credential provider fills them in), a layer's compressed blob dropped once it is unpacked (as
 * containerd's CRI is told to), and gzip layers inflated by pigz's unpigz, which the image installs.
 */
export function renderSociConfig(): PlannedFile {
  const content = [
    '# Written by eks-node-agent for spec.featureGates.FastImagePull; rewritten at every boot.',
    '[content_store]',
    "type = 'containerd'",
    '',
    '[cri_keychain]',
    'enable_keychain = true',
    `image_service_path = '${PATHS.containerdSocket}'`,
    '',
    '[pull_modes.parallel_pull_unpack]',
    'enable = true',
    "concurrent_download_chunk_size = '16mb'",
    'discard_unpacked_layers = true',
    // -1: no bound across images; the per-image bounds below keep one pull from taking every core
    'max_concurrent_downloads = -1',
    'max_concurrent_downloads_per_image = 20',
    'max_concurrent_unpacks = -1',
    'max_concurrent_unpacks_per_image = 12',
    '',
    "[pull_modes.parallel_pull_unpack.decompress_streams.'gzip']",
    "path = '/usr/bin/unpigz'",
    "args = ['-d', '-c']",
    '',
  ].join('\n');
  return { path: SOCI.config, mode: 0o644, content };
}

/**
 * containerd needs the snapshotter serving before it starts (its CRI plugin checks the
 * snapshotter it is given). The pause image baked into the image was unpacked by containerd's
 * own snapshotter, which SOCI cannot use: it is imported into SOCI's store from the image's
 * tarball before containerd counts as started, so the kubelet (ordered after containerd) never
 * creates a pod sandbox without it, whether the run phase or the early start started containerd.
 */
export function renderSociDropIn(pauseArchive: string, containerdMajor: number): PlannedFile {
  // containerd 2's ctr imports through the transfer service unless told to import locally,
  // and the transfer service does not take a snapshotter from the command line
  const local = containerdMajor >= 2 ? ' --local' : '';
  const content = [
    '# Written by eks-node-agent for spec.featureGates.FastImagePull; rewritten at every boot.',
    '[Unit]',
    `Requires=${SOCI.unit}`,
    `After=${SOCI.unit}`,
    '',
    '[Service]',
    `ExecStartPost=/bin/sh -c 'if [ -s ${pauseArchive} ]; then exec /usr/bin/ctr --namespace k8s.io images import${local} --snapshotter soci ${pauseArchive}; fi'`,
    '',
  ].join('\n');
  return { path: SOCI.containerdDropIn, mode: 0o644, content };
}
