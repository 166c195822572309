import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The SOCI snapshotter's daemon, which the image installs where its distribution has it (Amazon Linux 2023). */
export const SOCI_SNAPSHOTTER_BINARY = '/usr/bin/soci-snapshotter-grpc';

/** Whether the image under `root` has the SOCI snapshotter, which FastImagePull needs (render/fast-image-pull.ts). */
export function hasSociSnapshotter(root: string): boolean {
  return existsSync(join(root, SOCI_SNAPSHOTTER_BINARY));
}
