/**
 * Instance-store local storage in the VM: blank NVMe disks for QEMU, and the checks that the
 * agent built the array, moved containerd's and the kubelet's state onto it, and that a reboot
 * brings it all back from /etc/fstab without the agent redoing anything.
 *
 * QEMU 7.2's nvme device cannot set the model ("QEMU NVMe Ctrl"), so the disks get a serial
 * starting with SERIAL_PREFIX, and a udev rule that only the test base image carries
 * (test/system/base-image.sh) gives them the by-id link EC2 instance-store disks get. The agent's
 * detection is unchanged; on AWS that rule does not exist, and an EBS serial ("vol…") could not
 * match it anyway.
 */
import { execa } from 'execa';
import { join } from 'node:path';
import { type Checks, expect } from './node-checks.js';
import { ssh, sshOk, type SshTarget } from './ssh.js';

export const SERIAL_PREFIX = 'ekstestis';
/** Sparse: only what the array's metadata, xfs and containerd write takes space. */
const DISK_SIZE = '1G';

export async function createInstanceStoreDisks(work: string, count: number): Promise<Array<{ file: string; serial: string }>> {
  const disks = [];
  for (let i = 0; i < count; i++) {
    const file = join(work, `instance-store-${i}.raw`);
    await execa('truncate', ['-s', DISK_SIZE, file], { timeout: 30_000 });
    disks.push({ file, serial: `${SERIAL_PREFIX}${i}` });
  }
  return disks;
}

/** What must not change across a reboot. */
export interface StorageIdentity {
  arrayUuid: string;
  fsUuid: string;
  blob: string;
}

/** Both agent units' journals this boot: the config phase sets up the disks when it starts containerd early, else the run phase. */
const AGENT_LOG = 'journalctl -b -u eks-node-agent-config.service -u eks-node-agent-run.service -o cat --no-pager';
const BLOBS = '/mnt/k8s-disks/0/containerd/io.containerd.content.v1.content/blobs/sha256';

/** The agent's local storage lines this boot, without the journal's `eks-node-agent: ` prefix. */
async function storageLines(vm: SshTarget, prefix: string): Promise<string[]> {
  return (await sshOk(vm, AGENT_LOG))
    .split('\n')
    .map((l) => l.replace(/^eks-node-agent: /, ''))
    .filter((l) => l.startsWith(prefix));
}

async function sourceOf(vm: SshTarget, mountPoint: string): Promise<string> {
  return (await ssh(vm, `findmnt -n -o SOURCE,FSTYPE --mountpoint ${mountPoint}`)).stdout.trim();
}

/** The three bind mounts, each from its directory on the array `md`: `path ← source` lines. */
async function expectBindsFrom(vm: SshTarget, md: string): Promise<string[]> {
  const got = [];
  for (const [path, sub] of [
    ['/var/lib/containerd', 'containerd'],
    ['/var/lib/kubelet', 'kubelet'],
    ['/var/log/pods', 'pods'],
  ] as const) {
    const source = (await sourceOf(vm, path)).split(/\s+/)[0];
    expect(source === `${md}[/${sub}]`, `${path} is mounted from ${source || 'nothing'}, expected ${md}[/${sub}]`);
    got.push(`${path} ← ${source}`);
  }
  return got;
}

/** After the first join: the array, its filesystem, the bind mounts, fstab, containerd writing there. */
export async function checkRaid0(checks: Checks, vm: SshTarget, disks: number): Promise<StorageIdentity | undefined> {
  let md = '';
  await checks.check(`local storage: RAID0 md array over the ${disks} NVMe disks, xfs at /mnt/k8s-disks/0`, async () => {
    const mdstat = await sshOk(vm, 'cat /proc/mdstat');
    const line = mdstat.split('\n').find((l) => / : active raid0 /.test(l)) ?? '';
    expect((line.match(/nvme\d+n\d+/g) ?? []).length === disks, `/proc/mdstat:\n${mdstat}`);
    const [source, fstype] = (await sourceOf(vm, '/mnt/k8s-disks/0')).split(/\s+/);
    expect(source?.startsWith('/dev/md') && fstype === 'xfs', `/mnt/k8s-disks/0 is mounted from ${source} (${fstype})`);
    md = source!;
    return `${line.trim()}; ${source} xfs`;
  });
  if (!md) return undefined;
  await checks.check('local storage: the config phase built it before it queued the start of containerd and the kubelet', async () => {
    const config = (await sshOk(vm, 'journalctl -b -u eks-node-agent-config.service -o cat --no-pager')).split('\n');
    const created = config.findIndex((l) => /local storage: created RAID0/.test(l));
    const bound = config.findIndex((l) => /local storage: bind-mounted \S+ at \/var\/lib\/containerd/.test(l));
    const queued = config.findIndex((l) => /queue start containerd\.service kubelet\.service/.test(l));
    expect(created >= 0 && bound > created && queued > bound, `config unit's journal:\n${config.join('\n')}`);
    return `${config[created]!.replace(/^eks-node-agent: /, '')}, then bind mounts, then the queued start`;
  });
  await checks.check('local storage: /var/lib/containerd, /var/lib/kubelet and /var/log/pods are on the array', async () =>
    (await expectBindsFrom(vm, md)).join(', '),
  );
  await checks.check('local storage: /etc/fstab names the array by UUID with nofail', async () => {
    const fstab = await sshOk(vm, 'cat /etc/fstab');
    const uuid = (await sshOk(vm, `blkid -s UUID -o value ${md}`)).trim();
    expect(new RegExp(`^UUID=${uuid} /mnt/k8s-disks/0 xfs \\S*nofail`, 'm').test(fstab), `no nofail line for UUID=${uuid}:\n${fstab}`);
    expect(/^\/mnt\/k8s-disks\/0\/containerd \/var\/lib\/containerd none bind,nofail/m.test(fstab), `no bind line for containerd:\n${fstab}`);
    // systemd read the new file once the kubelet was up (the run phase's last step), not on the boot path
    const unit = (await sshOk(vm, 'systemctl show -p SourcePath -p NeedDaemonReload "$(systemd-escape -p --suffix=mount /mnt/k8s-disks/0)"')).trim();
    expect(/^SourcePath=\/etc\/fstab$/m.test(unit) && /^NeedDaemonReload=no$/m.test(unit), `systemd has not read the new /etc/fstab:\n${unit}`);
    const run = await sshOk(vm, 'journalctl -b -u eks-node-agent-run.service -o cat --no-pager');
    const reload = run.split('\n').find((l) => /daemon-reload \d+ ms \(for \/etc\/fstab/.test(l));
    const config = await sshOk(vm, 'journalctl -b -u eks-node-agent-config.service -o cat --no-pager');
    expect(reload !== undefined && !/daemon-reload/.test(config), `the reload for /etc/fstab is not the run phase's alone:\nconfig:\n${config}\nrun:\n${run}`);
    return `UUID=${uuid}; systemd reloaded by the run phase (${reload!.replace(/^eks-node-agent: /, '')})`;
  });
  let blob = '';
  await checks.check("local storage: containerd's content store writes onto the array, the baked images came along", async () => {
    // a new blob through containerd's API, then looked for on the array's own path
    const r = await sshOk(
      vm,
      [
        'set -e; b=$(mktemp); cat /proc/sys/kernel/random/uuid > "$b"',
        'd=$(sha256sum "$b" | cut -d" " -f1)',
        'ctr -n k8s.io content ingest --expected-digest "sha256:$d" --expected-size "$(stat -c %s "$b")" eks-node-local-storage-check < "$b"',
        // a GC root, or containerd's garbage collector removes the unreferenced blob when it
        // starts again after the reboot, and the check after it would blame the array
        'ctr -n k8s.io content label "sha256:$d" containerd.io/gc.root=local-storage-check >/dev/null',
        `test -f ${BLOBS}/$d && echo "$d"`,
      ].join('\n'),
    );
    blob = r.trim();
    const sandbox = (await sshOk(vm, 'cat /etc/eks/sandbox-image.txt')).trim();
    const target = (await sshOk(vm, `ctr -n k8s.io images ls name==${sandbox} | awk 'NR==2 {print $3}'`)).trim();
    const kept = await ssh(vm, `test -f ${BLOBS}/${target.replace('sha256:', '')}`);
    expect(kept.exitCode === 0, `the sandbox image's manifest ${target} is not on the array`);
    return `blob ${blob.slice(0, 12)}… in ${BLOBS}; ${sandbox} kept`;
  });
  const arrayUuid = (await sshOk(vm, `mdadm --detail --export ${md} | sed -n 's/^MD_UUID=//p'`)).trim();
  const fsUuid = (await sshOk(vm, `blkid -s UUID -o value ${md}`)).trim();
  return { arrayUuid, fsUuid, blob };
}

/** systemd's unit name for a by-uuid device, as its journal lines spell it. */
function uuidDeviceUnit(fsUuid: string): string {
  return `dev-disk-by\\x2duuid-${fsUuid.replace(/-/g, '\\x2d')}.device`;
}

/** A unit's monotonic timestamp property in seconds since boot, or undefined when systemd has none (0). */
async function monotonicSecondsOf(vm: SshTarget, unit: string, property: string): Promise<number | undefined> {
  const out = (await sshOk(vm, `systemctl show --value -p ${property} '${unit}'`)).trim();
  const us = /^\d+$/.test(out) ? Number(out) : 0;
  return us > 0 ? us / 1e6 : undefined;
}

/** A journal line's monotonic seconds (`journalctl -o short-monotonic`), or undefined. */
function secondsOf(journal: string, text: string): number | undefined {
  const line = journal.split('\n').find((l) => l.includes(text));
  const m = line?.match(/^\[\s*(\d+\.\d+)\]/);
  return m ? Number(m[1]) : undefined;
}

/**
 * After the reboot: the same array and filesystem, and the agent rebuilt and copied nothing.
 * fstab mounts the array before the agent runs when udev names the filesystem within fstab's
 * 10 s device wait. Under TCG on a loaded host udev can name it after those 10 s have run out
 * (seen in CI: udevd itself started 2 s after the wait timed out, and once 5.5 s before it, too
 * late to assemble the array and probe it in time); then the mount unit fails as `nofail` allows,
 * and the agent mounts the same array. That fallback passes only when systemd saw the
 * filesystem's device appear after the wait had run out (its device unit's ActiveEnter time
 * against the journal's time-out line, both on the boot's monotonic clock): a device that was
 * there in time and still not mounted by fstab fails the check. It says which path the boot took.
 */
export async function checkRaid0AfterReboot(checks: Checks, vm: SshTarget, before: StorageIdentity): Promise<void> {
  await checks.check(
    'after reboot: the same array and filesystem, mounted from fstab (or by the agent when the filesystem appeared too late for it), nothing rebuilt',
    async () => {
      const [source] = (await sourceOf(vm, '/mnt/k8s-disks/0')).split(/\s+/);
      expect(source?.startsWith('/dev/md'), `/mnt/k8s-disks/0 is not mounted after the reboot (${source})`);
      const arrayUuid = (await sshOk(vm, `mdadm --detail --export ${source} | sed -n 's/^MD_UUID=//p'`)).trim();
      const fsUuid = (await sshOk(vm, `blkid -s UUID -o value ${source}`)).trim();
      expect(arrayUuid === before.arrayUuid && fsUuid === before.fsUuid, `array ${before.arrayUuid} → ${arrayUuid}, filesystem ${before.fsUuid} → ${fsUuid}`);
      const containerd = (await sourceOf(vm, '/var/lib/containerd')).split(/\s+/)[0];
      expect(containerd === `${source}[/containerd]`, `/var/lib/containerd is mounted from ${containerd}`);
      const blob = await ssh(vm, `test -f ${BLOBS}/${before.blob}`);
      expect(blob.exitCode === 0, `the blob written before the reboot is gone from ${BLOBS}`);
      const lines = await storageLines(vm, 'local storage');
      const rebuilt = lines.filter((l) => /created|made|wrote|copied|stopped/.test(l));
      expect(lines.length > 0 && rebuilt.length === 0, `agent after reboot:\n${lines.join('\n')}`);
      const mountedByAgent = lines.filter((l) => /mounted/.test(l));
      let path = 'fstab mounted it before the agent ran';
      if (mountedByAgent.length > 0) {
        const journal = await sshOk(vm, 'journalctl -b -o short-monotonic --no-pager', 60_000);
        const timedOut = secondsOf(journal, `Timed out waiting for device ${uuidDeviceUnit(fsUuid)}`);
        const udevd = secondsOf(journal, 'Started systemd-udevd.service');
        const appeared = await monotonicSecondsOf(vm, uuidDeviceUnit(fsUuid), 'ActiveEnterTimestampMonotonic');
        expect(
          timedOut !== undefined && appeared !== undefined && appeared >= timedOut,
          `the agent mounted the array, but fstab's device wait did not run out before the filesystem appeared ` +
            `(device wait timed out at ${timedOut ?? 'never'} s, device appeared at ${appeared ?? 'never'} s, udevd started at ${udevd ?? 'never'} s):\n${lines.join('\n')}`,
        );
        path = `fstab's device wait ran out at ${timedOut} s, the filesystem appeared at ${appeared} s (udevd started at ${udevd} s; TCG); the agent mounted the same array`;
      }
      const unit = (await ssh(vm, "systemctl is-active 'mnt-k8s\\x2ddisks-0.mount'")).stdout.trim();
      expect(unit === 'active', `systemd does not see /mnt/k8s-disks/0 as its fstab mount unit: ${unit}`);
      return `array ${arrayUuid}, filesystem ${fsUuid}; ${path}; agent said: ${lines.join(' | ')}`;
    },
  );
}

/**
 * Last in the case, as it stops the node's services: the fstab lines alone mount the same array
 * and the bind mounts when systemd starts their units, whichever path this boot took.
 */
export async function checkFstabMountsAlone(checks: Checks, vm: SshTarget, before: StorageIdentity): Promise<void> {
  await checks.check('after reboot: systemd mounts the array and the bind mounts from the fstab lines alone', async () => {
    const units = ['mnt-k8s\\x2ddisks-0.mount', 'var-lib-containerd.mount', 'var-log-pods.mount', 'var-lib-kubelet.mount'];
    await sshOk(
      vm,
      [
        'set -e',
        'systemctl stop kubelet.service containerd.service',
        // containerd leaves its shim and snapshot mounts below its root; -R takes them too
        'for m in /var/lib/kubelet /var/log/pods /var/lib/containerd /mnt/k8s-disks/0; do umount -R "$m"; done',
        `systemctl start ${units.map((u) => `'${u}'`).join(' ')}`,
      ].join('\n'),
      120_000,
    );
    const [source, fstype] = (await sourceOf(vm, '/mnt/k8s-disks/0')).split(/\s+/);
    const fsUuid = (await sshOk(vm, `blkid -s UUID -o value ${source}`)).trim();
    expect(fsUuid === before.fsUuid && fstype === 'xfs', `/mnt/k8s-disks/0 is ${source} (${fstype}, UUID ${fsUuid}), expected UUID ${before.fsUuid}`);
    await expectBindsFrom(vm, source!);
    return `${units.length} units started; ${source} UUID=${fsUuid} and its three bind mounts back in place`;
  });
}

/** Without disks: one line, nothing mounted. */
export async function checkNoDisks(checks: Checks, vm: SshTarget): Promise<void> {
  await checks.check('local storage: one line per phase saying there are no instance-store disks, nothing mounted', async () => {
    const lines = await storageLines(vm, 'local storage:');
    expect(lines.length === 2 && lines.every((l) => l.includes('no instance-store NVMe disks were found')), `agent:\n${lines.join('\n')}`);
    const m = await ssh(vm, 'findmnt -n --mountpoint /var/lib/containerd');
    expect(m.stdout.trim() === '', `/var/lib/containerd is a mount point: ${m.stdout}`);
    return lines[0]!;
  });
}
