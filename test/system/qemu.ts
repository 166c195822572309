import { spawn, type ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import net from 'node:net';
import { onCleanup } from './cleanup.js';

/** A TCP service in the guest's link-local network, forwarded to a loopback port on the host. */
export interface GuestForward {
  /** address the guest connects to, inside 169.254.0.0/16 */
  guestIp: string;
  guestPort: number;
  hostPort: number;
}

export interface VmOptions {
  name: string;
  disk: string;
  kernel: string;
  initrd: string;
  /** extra kernel command-line words (each may hold spaces; they are quoted) */
  cmdline: string[];
  forwards: GuestForward[];
  consoleLog: string;
  memoryMiB?: number;
  cpus?: number;
  /** raw files attached as NVMe disks (`-device nvme`), each with its serial */
  nvme?: Array<{ file: string; serial: string }>;
  /** further QEMU arguments (extra NICs, a hot-plug port) */
  extraArgs?: string[];
  /** a Unix socket for QEMU's human monitor (device_add), instead of no monitor */
  monitorSocket?: string;
}

export interface Vm {
  sshPort: number;
  startedAt: number;
  /** a reason when QEMU is no longer running, else undefined */
  exited(): string | undefined;
  stop(): Promise<void>;
}

/** Address the guest gets from QEMU's DHCP in net=169.254.0.0/16 (the first lease is .15). */
export const GUEST_IP = '169.254.0.15';
/** An EC2-shaped SMBIOS UUID (EC2's start with "ec2"; the serial repeats it). */
const EC2_UUID = 'ec2e1916-9099-7caf-fd21-012345abcdef';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function createOverlay(base: string, overlay: string): Promise<void> {
  await execa('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'qcow2', overlay], { timeout: 30_000 });
}

/**
 * Boots a VM under TCG (no KVM in CI) with direct kernel boot and QEMU user networking in
 * 169.254.0.0/16 with restrict=on: the guest reaches nothing but the forwarded services, just
 * like a node that sees only IMDS and its cluster. Each guest connection to a forwarded
 * address runs its own socat (`cmd:`), so concurrent connections work.
 */
export async function bootVm(options: VmOptions): Promise<Vm> {
  const sshPort = await freePort();
  const quote = (word: string) => (/\s/.test(word) ? `"${word}"` : word);
  const append = ['root=/dev/vda', 'rw', 'console=ttyS0', 'net.ifnames=0', ...options.cmdline].map(quote).join(' ');
  const netdev = [
    // Addresses pinned: left to itself QEMU puts the guest at 169.254.2.15 in a /16.
    'user',
    'id=net0',
    'net=169.254.0.0/16',
    'host=169.254.0.2',
    'dns=169.254.0.3',
    'dhcpstart=169.254.0.15',
    'restrict=on',
    `hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
    ...options.forwards.map((f) => `guestfwd=tcp:${f.guestIp}:${f.guestPort}-cmd:socat STDIO TCP:127.0.0.1:${f.hostPort}`),
  ].join(',');
  const args = [
    '-name',
    options.name,
    '-machine',
    'q35',
    '-accel',
    'tcg,thread=multi',
    '-cpu',
    'max',
    '-smp',
    String(options.cpus ?? 2),
    '-m',
    String(options.memoryMiB ?? 2048),
    '-kernel',
    options.kernel,
    '-initrd',
    options.initrd,
    '-append',
    append,
    '-drive',
    `file=${options.disk},if=virtio,format=qcow2,cache=unsafe`,
    '-netdev',
    netdev,
    '-device',
    'virtio-net-pci,netdev=net0',
    // The DMI strings of an EC2 instance: cloud-init then takes the platform for AWS and asks
    // IMDS with a session token (IMDSv2), as on EC2; on "some EC2-compatible cloud" it would
    // ask without one, and IMDS (v2 only, as the image requires) refuses that.
    '-smbios',
    `type=1,manufacturer=Amazon EC2,uuid=${EC2_UUID},serial=${EC2_UUID}`,
    '-smbios',
    'type=3,manufacturer=Amazon EC2,asset=Amazon EC2',
    ...(options.nvme ?? []).flatMap((d, i) => [
      '-drive',
      `file=${d.file},if=none,id=nvme${i},format=raw,cache=unsafe`,
      '-device',
      `nvme,serial=${d.serial},drive=nvme${i}`,
    ]),
    ...(options.extraArgs ?? []),
    '-display',
    'none',
    '-serial',
    `file:${options.consoleLog}`,
    '-monitor',
    options.monitorSocket ? `unix:${options.monitorSocket},server=on,wait=off` : 'none',
    '-nodefaults',
    '-no-user-config',
  ];
  const child: ChildProcess = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = `QEMU exited (${signal ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`;
      resolve();
    });
    child.once('error', (err) => {
      exit = `QEMU could not start: ${err.message}`;
      resolve();
    });
  });
  const stop = async () => {
    if (exit) return;
    child.kill('SIGTERM');
    const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
    if (!killed) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const unregister = onCleanup(`VM ${options.name}`, stop);
  return {
    sshPort,
    startedAt: Date.now(),
    exited: () => exit,
    async stop() {
      await stop();
      unregister();
    },
  };
}
