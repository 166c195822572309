import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The pause image the AMI build cached and pinned under a fixed local name. Using it as the
 * sandbox image means the first pod needs no registry and the configuration does not depend on
 * the region's ECR; without the file (a node not baked by us) render uses the regional image.
 */
export const SANDBOX_IMAGE_FILE = '/etc/eks/sandbox-image.txt';

export async function readSandboxImage(root: string): Promise<string | undefined> {
  try {
    const name = readFileSync(join(root, SANDBOX_IMAGE_FILE), 'utf8').trim();
    return /^[^\s"'\\]+$/.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}
