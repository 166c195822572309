import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { EnvironmentError, describeCause } from '../errors.js';

/**
 * kubelet and containerd versions. The image records them in /etc/eks/*-version.txt when it is
 * baked, because running a large binary on a fresh EBS volume is a slow first read at boot;
 * `<binary> --version` is the fallback for images without the files.
 */

/** Runs a program and gives its stdout; injected so tests and --root runs choose the binary. */
export type Exec = (file: string, args: string[], options: { timeoutMs: number }) => Promise<string>;

export const defaultExec: Exec = async (file, args, { timeoutMs }) => {
  const { execa } = await import('execa');
  const result = await execa(file, args, { timeout: timeoutMs, stdin: 'ignore' });
  return result.stdout;
};

/** "v1.33.1" from "Kubernetes v1.33.1-eks-b9b0e6a", "1.33.1" or "v1.33.1"; undefined if none. */
export function parseKubeletVersion(text: string): string | undefined {
  const m = /(?:^|\s)v?(\d+)\.(\d+)\.(\d+)(?=[-+~\s]|$)/.exec(text.trim());
  return m ? `v${m[1]}.${m[2]}.${m[3]}` : undefined;
}

/**
 * "1.7.27" from "containerd github.com/containerd/containerd/v2 v2.1.0 <commit>",
 * "containerd github.com/containerd/containerd 1.6.20~ds1 ..." or a bare "1.7.27".
 */
export function parseContainerdVersion(text: string): string | undefined {
  const m = /(?:^|\s)v?(\d+)\.(\d+)\.(\d+)(?=[-+~\s]|$)/.exec(text.trim());
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

interface VersionSource {
  label: string;
  /** on-node path of the version file */
  file: string;
  binary: string;
  parse: (text: string) => string | undefined;
}

/** Where the image records its kubelet's version when it is baked. */
export const KUBELET_VERSION_FILE = '/etc/eks/kubelet-version.txt';

const KUBELET: VersionSource = {
  label: 'kubelet version',
  file: KUBELET_VERSION_FILE,
  binary: 'kubelet',
  parse: parseKubeletVersion,
};
const CONTAINERD: VersionSource = {
  label: 'containerd version',
  file: '/etc/eks/containerd-version.txt',
  binary: 'containerd',
  parse: parseContainerdVersion,
};

/** A version and where it was read: the version file's on-node path, or the `--version` command. */
export interface FoundVersion {
  version: string;
  from: string;
}

async function readVersion(source: VersionSource, root: string, exec: Exec, timeoutMs: number, binary = source.binary): Promise<FoundVersion> {
  const full = path.join(root, source.file);
  let text: string | undefined;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new EnvironmentError(`${source.label}: cannot read ${full} (${describeCause(err)})`, { cause: err });
    }
  }
  if (text !== undefined) {
    const v = source.parse(text);
    if (!v) throw new EnvironmentError(`${source.label}: ${full} holds "${text.trim().slice(0, 80)}", not a version like 1.2.3`);
    return { version: v, from: source.file };
  }
  let out: string;
  try {
    out = await exec(binary, ['--version'], { timeoutMs });
  } catch (err) {
    throw new EnvironmentError(`${source.label}: ${full} is missing and \`${source.binary} --version\` failed (${describeCause(err)})`, { cause: err });
  }
  const v = source.parse(out);
  if (!v) {
    throw new EnvironmentError(`${source.label}: \`${source.binary} --version\` printed "${out.trim().slice(0, 80)}", no version in it`);
  }
  return { version: v, from: `\`${source.binary} --version\`` };
}

/**
 * The kubelet version a boot configures for: the image's version file, else `kubelet --version`
 * (`binary` names the program to run, a path found on PATH). `init`, `config check`,
 * `config dump` and `doctor` all read it here.
 */
export function findKubeletVersion(root: string, exec: Exec = defaultExec, timeoutMs = 10_000, binary = KUBELET.binary): Promise<FoundVersion> {
  return readVersion(KUBELET, root, exec, timeoutMs, binary);
}

/** Whether the image records its kubelet's version (a read of it may still find no version there). */
export function kubeletVersionRecorded(root: string): boolean {
  return existsSync(path.join(root, KUBELET.file));
}

/**
 * Where PATH (a colon-separated list) holds an executable file of this name, without running
 * anything: a workstation with no kubelet is told so in a few stat calls.
 */
export function findOnPath(name: string, pathList: string | undefined): string | undefined {
  for (const dir of (pathList ?? '').split(':')) {
    if (!dir.startsWith('/')) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export async function readKubeletVersion(root: string, exec: Exec = defaultExec, timeoutMs = 10_000): Promise<string> {
  return (await readVersion(KUBELET, root, exec, timeoutMs)).version;
}

export async function readContainerdVersion(root: string, exec: Exec = defaultExec, timeoutMs = 10_000): Promise<string> {
  return (await readVersion(CONTAINERD, root, exec, timeoutMs)).version;
}
