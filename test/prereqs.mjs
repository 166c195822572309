// The tools each test script needs beyond Node.js and npm, and the Debian 12 packages that give
// them. `node test/prereqs.mjs SCRIPT...` checks them all first and, when something is missing,
// prints one `apt-get install` line naming every package, instead of a test failing on the
// first `spawn ENOENT`. `node test/prereqs.mjs --packages SCRIPT...` prints the package names
// (.ci/run installs them). Importable: scripts/test.mjs asks `missing('exe-x64')`.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** [what the tests run, how to find it (a command on PATH or an absolute path), Debian package] */
const TOOL = {
  'llvm-strip': ['llvm-strip', 'llvm'],
  readelf: ['readelf', 'binutils'],
  'qemu-aarch64-static': ['qemu-aarch64-static', 'qemu-user-static'],
  'arm64 C library': ['/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1', 'libc6-arm64-cross'],
  'arm64 C++ library': ['/usr/aarch64-linux-gnu/lib/libstdc++.so.6', 'libstdc++6-arm64-cross'],
  'arm64 libgcc': ['/usr/aarch64-linux-gnu/lib/libgcc_s.so.1', 'libgcc-s1-arm64-cross'],
  kubectl: ['kubectl', 'kubernetes-client'],
  containerd: ['containerd', 'containerd'],
  runc: ['runc', 'runc'],
  'systemd-analyze': ['systemd-analyze', 'systemd'],
  python3: ['python3', 'python3'],
  curl: ['curl', 'curl'],
  openssl: ['openssl', 'openssl'],
  shellcheck: ['shellcheck', 'shellcheck'],
  packer: ['packer', 'packer'],
  'qemu-system-x86_64': ['qemu-system-x86_64', 'qemu-system-x86'],
  'qemu-img': ['qemu-img', 'qemu-utils'],
  debootstrap: ['debootstrap', 'debootstrap'],
  socat: ['socat', 'socat'],
  ssh: ['ssh', 'openssh-client'],
  'mkfs.ext4': ['mkfs.ext4', 'e2fsprogs'],
  'GNU time': ['/usr/bin/time', 'time'],
};

/** What each npm script needs. */
export const NEEDS = {
  // the x64 executable `npm test` builds when it can (else it tests the bundle, and says so)
  'exe-x64': ['llvm-strip'],
  'test:exe': ['llvm-strip', 'readelf', 'qemu-aarch64-static', 'arm64 C library', 'arm64 C++ library', 'arm64 libgcc'],
  'test:tools': ['kubectl', 'containerd', 'systemd-analyze', 'python3', 'curl', 'GNU time', 'shellcheck'],
  'check:ami': ['packer', 'shellcheck', 'systemd-analyze', 'containerd'],
  'build:exe': ['llvm-strip', 'qemu-aarch64-static', 'arm64 C library', 'arm64 C++ library', 'arm64 libgcc'],
  'test:system': [
    'packer',
    'qemu-system-x86_64',
    'qemu-img',
    'qemu-aarch64-static',
    'debootstrap',
    'socat',
    'openssl',
    'ssh',
    'mkfs.ext4',
    'kubectl',
    'llvm-strip',
    'arm64 C library',
    'arm64 C++ library',
    'arm64 libgcc',
  ],
};

function found(where) {
  if (where.startsWith('/')) {
    try {
      accessSync(where, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, where), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** The tools `script` needs that are not on this machine. */
export function missing(script) {
  const tools = NEEDS[script];
  if (!tools) throw new Error(`unknown script ${script} (expected one of ${Object.keys(NEEDS).join(', ')})`);
  return tools.filter((t) => !found(TOOL[t][0]));
}

export function packagesFor(tools) {
  return [...new Set(tools.map((t) => TOOL[t][1]))];
}

/** The one line that installs them all. */
export function installLine(tools) {
  return `apt-get install -y --no-install-recommends ${packagesFor(tools).join(' ')}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const listOnly = args[0] === '--packages';
  const scripts = listOnly ? args.slice(1) : args;
  if (listOnly) {
    console.log(packagesFor(scripts.flatMap((s) => NEEDS[s] ?? [])).join(' '));
  } else {
    const absent = [...new Set(scripts.flatMap(missing))];
    if (absent.length > 0) {
      console.error(`${scripts.join(', ')}: missing ${absent.join(', ')}. Install with (as root):\n${installLine(absent)}`);
      process.exitCode = 1;
    }
  }
}
