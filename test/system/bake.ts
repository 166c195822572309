import { createWriteStream } from 'node:fs';
import { copyFile, cp, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { onCleanup } from './cleanup.js';
import type { BaseImage } from './base-image.js';

const REPO = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');

export interface BakeOptions {
  work: string;
  base: BaseImage;
  sshKeyFile: string;
  sshPublicKey: string;
  artifactBaseUrl: string;
  kubernetesVersion: string;
  buildDate: string;
  agentBinary: string;
  pauseImage: string;
  pauseImageTar: string;
  log: (line: string) => void;
  timeoutMs: number;
}

export interface Baked {
  image: string;
  seconds: number;
  logFile: string;
  versionManifest: string;
}

/**
 * Packer 1.6.6 (Debian's) rejects plugins.pkr.hcl's `required_plugins` and the amazon plugin's
 * IMDS settings, so the template is built from a copy laid out like the repository (it finds
 * ../scripts and ../package.json) without those, as scripts/check-packer.sh validates it. Every
 * other line of the template and every provisioning script is the real one.
 */
async function templateCopy(work: string, _log: (line: string) => void): Promise<string> {
  const repo = join(work, 'repo');
  await mkdir(join(repo, 'packer'), { recursive: true });
  await cp(join(REPO, 'scripts'), join(repo, 'scripts'), { recursive: true });
  await symlink(join(REPO, 'package.json'), join(repo, 'package.json'));
  await symlink(join(REPO, 'node_modules'), join(repo, 'node_modules'));
  await symlink(join(REPO, 'packer', 'rootfs'), join(repo, 'packer', 'rootfs'));
  const packerVersion = (await execa('packer', ['version'], { timeout: 30_000 })).stdout;
  const old = /Packer v1\.[0-6]\./.test(packerVersion);
  for (const name of await readdir(join(REPO, 'packer'))) {
    if (!name.endsWith('.pkr.hcl')) continue;
    if (old && name === 'plugins.pkr.hcl') continue;
    let text = await readFile(join(REPO, 'packer', name), 'utf8');
    if (old && name === 'source-amazon-ebs.pkr.hcl') {
      text = text.replace(/^ {2}metadata_options \{[\s\S]*?^ {2}\}\n/m, '').replace(/^ {2}imds_support .*\n/m, '');
    }
    await writeFile(join(repo, 'packer', name), text);
  }
  return join(repo, 'packer');
}

export async function bake(o: BakeOptions): Promise<Baked> {
  const started = Date.now();
  const packerDir = await templateCopy(o.work, o.log);
  // The agent is copied so a rebuild of dist/ during the bake cannot change what is baked.
  const agent = join(o.work, 'eks-node-agent');
  await copyFile(o.agentBinary, agent);
  await copyFile(`${o.agentBinary}.sha256`, `${agent}.sha256`);
  const output = join(o.work, 'output');
  const artifacts = join(o.work, 'artifacts');
  const logFile = join(o.work, 'packer.log');
  const vars: Record<string, string> = {
    base_image: o.base.disk,
    kernel_path: o.base.kernel,
    initrd_path: o.base.initrd,
    // Packer logs in as root with the run's key, handed over as a systemd credential that
    // tmpfiles installs as /root/.ssh/authorized_keys (cleanup.sh removes it at the end).
    // The bake boot is no node boot: there is no IMDS behind it, and cloud-init (which sshd
    // waits for) would look for one for five minutes.
    kernel_cmdline: `root=/dev/vda rw console=ttyS0 net.ifnames=0 cloud-init=disabled "systemd.set_credential=ssh.authorized_keys.root:${o.sshPublicKey}"`,
    ssh_username: 'root',
    ssh_private_key_file: o.sshKeyFile,
    ssh_timeout: '8m',
    artifact_base_url: o.artifactBaseUrl,
    kubernetes_version: o.kubernetesVersion,
    kubernetes_build_date: o.buildDate,
    agent_binary_path: agent,
    instance_types_file: join(REPO, 'test', 'fixtures', 'instance-types.jsonl'),
    pause_image: o.pauseImage,
    pause_image_tar: o.pauseImageTar,
    output_directory: output,
    artifacts_directory: artifacts,
    vm_name: 'eks-node.qcow2',
    qemu_memory: '2048',
    qemu_cpus: '2',
  };
  const args = ['build', '-only=qemu.local', '-color=false', ...Object.entries(vars).flatMap(([k, v]) => ['-var', `${k}=${v}`]), packerDir];
  o.log(`bake: packer build -only=qemu.local (log: ${logFile})`);
  const logStream = createWriteStream(logFile);
  const child = execa('packer', args, {
    cwd: o.work,
    env: { CHECKPOINT_DISABLE: '1', PACKER_CACHE_DIR: join(o.work, 'packer-cache'), PACKER_NO_COLOR: '1' },
    timeout: o.timeoutMs,
    reject: false,
    all: true,
    forceKillAfterDelay: 10_000,
  });
  const unregister = onCleanup('packer build', () => void child.kill('SIGTERM'));
  child.all?.on('data', (d: Buffer) => {
    logStream.write(d);
    for (const line of d.toString().split('\n')) {
      // Step headlines only; the full output is in the log file.
      if (/==> qemu\.local: (Provisioning with|Running local shell script|Uploading|Gracefully|Waiting for SSH|Connected to SSH|Starting VM)/.test(line)) {
        o.log(`bake: ${line.replace(/^.*==> qemu\.local: /, '').trim()}`);
      }
    }
  });
  const result = await child;
  unregister();
  await new Promise<void>((resolve) => logStream.end(resolve));
  if (result.timedOut) throw new Error(`bake: packer build did not finish within ${o.timeoutMs / 60_000} min (log: ${logFile})`);
  if (result.exitCode !== 0) {
    const tail = (result.all ?? '').split('\n').slice(-40).join('\n');
    throw new Error(`bake: packer build exited ${result.exitCode} (log: ${logFile}):\n${tail}`);
  }
  return {
    image: join(output, 'eks-node.qcow2'),
    seconds: Math.round((Date.now() - started) / 1000),
    logFile,
    versionManifest: join(artifacts, 'version-manifest-local.json'),
  };
}
