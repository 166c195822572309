import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The SOCI snapshotter's daemon, which the image installs where its distribution has it (Amazon Linux 2023). */
export const SOCI_SNAPSHOTTER_BINARY = '/usr/bin/soci-snapshotter-grpc';
/** The image's unit for it (packer/rootfs), and where it keeps its snapshots: render and local storage name both. */
export const SOCI_SNAPSHOTTER_UNIT = 'soci-snapshotter.service';
export const SOCI_SNAPSHOTTER_ROOT = '/var/lib/soci-snapshotter-grpc';

/** Whether the image under `root` has the SOCI snapshotter, which FastImagePull needs (render/fast-image-pull.ts). */
export function hasSociSnapshotter(root: string): boolean {
  return existsSync(join(root, SOCI_SNAPSHOTTER_BINARY));
}
