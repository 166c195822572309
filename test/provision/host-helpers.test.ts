import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';

const INTERFACES = path.resolve('packer/rootfs/usr/libexec/eks-node/interfaces');
const TIME_SYNC = path.resolve('scripts/provision/configure-time-sync.sh');

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'host-helpers-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A /sys/class/net with hardware NICs (a device link) and virtual ones (none). */
async function sysClassNet(nics: Record<string, { mac: string; hardware: boolean }>): Promise<string> {
  const dir = path.join(root, 'sys/class/net');
  for (const [name, nic] of Object.entries(nics)) {
    await mkdir(path.join(dir, name), { recursive: true });
    await writeFile(path.join(dir, name, 'address'), `${nic.mac}\n`);
    if (nic.hardware) await symlink('/', path.join(dir, name, 'device'));
  }
  return dir;
}

describe("interfaces (udev hook: boot interfaces vs the CNI's)", () => {
  const run = (sys: string, ...args: string[]) =>
    execa(INTERFACES, args, {
      reject: false,
      env: { EKS_NODE_INTERFACES_RECORD: path.join(root, 'var/lib/eks-node/boot-interfaces'), EKS_NODE_SYS_CLASS_NET: sys },
    });

  it('calls every interface boot until the run phase records the present ones, then only those', async () => {
    const sys = await sysClassNet({
      eth0: { mac: '0E:12:34:56:78:9A', hardware: true },
      eth1: { mac: '0e:12:34:56:78:9b', hardware: true },
      veth1234: { mac: '6a:00:00:00:00:01', hardware: false },
    });
    expect((await run(sys, 'classify', '0e:aa:aa:aa:aa:aa')).stdout).toBe('EKS_NODE_INTERFACE=boot');
    const mark = await run(sys, 'mark');
    expect(mark.exitCode).toBe(0);
    expect(await readFile(path.join(root, 'var/lib/eks-node/boot-interfaces'), 'utf8')).toBe('0e:12:34:56:78:9a\n0e:12:34:56:78:9b\n');
    expect((await run(sys, 'classify', '0e:12:34:56:78:9A')).stdout).toBe('EKS_NODE_INTERFACE=boot');
    expect((await run(sys, 'classify', '0e:aa:aa:aa:aa:aa')).stdout).toBe('EKS_NODE_INTERFACE=late');
  });

  it('keeps the first record: a re-run or a reboot does not adopt ENIs attached since', async () => {
    const sys = await sysClassNet({ eth0: { mac: '0e:12:34:56:78:9a', hardware: true } });
    await run(sys, 'mark');
    await mkdir(path.join(sys, 'eth2'));
    await writeFile(path.join(sys, 'eth2', 'address'), '0e:cc:cc:cc:cc:cc\n');
    await symlink('/', path.join(sys, 'eth2', 'device'));
    const again = await run(sys, 'mark');
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('boot interfaces stay as recorded');
    expect((await run(sys, 'classify', '0e:cc:cc:cc:cc:cc')).stdout).toBe('EKS_NODE_INTERFACE=late');
  });

  it('rejects a call it does not know with its usage, exit 2', async () => {
    const r = await run(root, 'classify');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('usage: interfaces mark | interfaces classify MAC');
  });
});

describe('configure-time-sync.sh', () => {
  const run = () => execa('bash', [TIME_SYNC], { reject: false, env: { INSTALL_ROOT: root } });

  it("writes the Amazon Time Sync sources into the first /etc sourcedir of Debian's chrony.conf", async () => {
    await mkdir(path.join(root, 'etc/chrony'), { recursive: true });
    await writeFile(
      path.join(root, 'etc/chrony/chrony.conf'),
      'confdir /etc/chrony/conf.d\npool 2.debian.pool.ntp.org iburst\nsourcedir /run/chrony-dhcp\nsourcedir /etc/chrony/sources.d\n',
    );
    const r = await run();
    expect(r.exitCode).toBe(0);
    const sources = await readFile(path.join(root, 'etc/chrony/sources.d/eks-node-time-sync.sources'), 'utf8');
    expect(sources).toMatch(/^server 169\.254\.169\.123 prefer iburst/m);
    expect(sources).toMatch(/^server fd00:ec2::123 /m);
  });

  it('uses /etc/chrony.conf (Amazon Linux) and its sourcedir', async () => {
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await writeFile(path.join(root, 'etc/chrony.conf'), 'sourcedir /run/chrony.d\nsourcedir /etc/chrony.d\n');
    expect((await run()).exitCode).toBe(0);
    expect(await readFile(path.join(root, 'etc/chrony.d/eks-node-time-sync.sources'), 'utf8')).toContain('169.254.169.123');
  });

  it('fails naming the file when chrony.conf reads no sourcedir under /etc', async () => {
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await writeFile(path.join(root, 'etc/chrony.conf'), 'pool pool.ntp.org iburst\n');
    const r = await run();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('/etc/chrony.conf has no sourcedir under /etc');
  });
});

describe('configure-kernel-args (bake: the kernel arguments every boot entry gets)', () => {
  const SCRIPT = path.resolve('scripts/provision/configure-kernel-args.sh');
  /** A grubby test double that records its arguments, on a PATH of its own. */
  async function withGrubby(): Promise<{ path: string; calls: () => Promise<string> }> {
    const bin = path.join(root, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, 'grubby'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${root}/grubby.calls"\n`, { mode: 0o755 });
    return { path: `${bin}:${process.env.PATH}`, calls: () => readFile(path.join(root, 'grubby.calls'), 'utf8') };
  }
  const run = (env: Record<string, string>) => execa(SCRIPT, [], { reject: false, env: { INSTALL_ROOT: root, ...env } });

  it('adds the TSC clock source to every entry and to GRUB_CMDLINE_LINUX, once, keeping what was there', async () => {
    const grubby = await withGrubby();
    await mkdir(path.join(root, 'etc/default'), { recursive: true });
    await writeFile(path.join(root, 'etc/default/grub'), 'GRUB_TIMEOUT=0\nGRUB_CMDLINE_LINUX="console=ttyS0 tsc=reliable"\n');
    const env = { PATH: grubby.path, ARCH: 'x86_64', KERNEL_ARGS: 'clocksource=tsc tsc=reliable' };
    const r = await run(env);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await grubby.calls()).toBe('--update-kernel=ALL --args=clocksource=tsc tsc=reliable\n');
    const grub = await readFile(path.join(root, 'etc/default/grub'), 'utf8');
    expect(grub).toBe('GRUB_TIMEOUT=0\nGRUB_CMDLINE_LINUX="console=ttyS0 tsc=reliable clocksource=tsc"\n');
    // a second run (a rebuilt image from this one) changes nothing more
    await run(env);
    expect(await readFile(path.join(root, 'etc/default/grub'), 'utf8')).toBe(grub);
  });

  it('says so and changes nothing without grubby (an image booted by the builder kernel) or with no arguments', async () => {
    const noGrubby = await run({ PATH: '/usr/bin:/bin', ARCH: 'x86_64', KERNEL_ARGS: 'clocksource=tsc' });
    expect(noGrubby.exitCode).toBe(0);
    expect(noGrubby.stdout).toContain('no grubby');
    const none = await run({ PATH: '/usr/bin:/bin', KERNEL_ARGS: '' });
    expect(none.stdout).toContain('kernel_args is empty');
  });

  it('refuses the TSC clock source on arm64, which has no TSC', async () => {
    const r = await run({ PATH: '/usr/bin:/bin', ARCH: 'arm64', KERNEL_ARGS: 'clocksource=tsc tsc=reliable' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('arm64 has no TSC');
  });
});
