import { describe, expect, it } from 'vitest';
import { agentFstabEntries, bindEntry, escapeField, filesystemEntry, mergeFstab, mountTable, unescapeField } from '../../src/storage/fstab.js';

const entries = [filesystemEntry('0b1c-uuid', '/mnt/k8s-disks/0', 'xfs'), bindEntry('/mnt/k8s-disks/0/kubelet', '/var/lib/kubelet', '/mnt/k8s-disks/0')];

describe('mergeFstab', () => {
  const base = 'UUID=root / xfs defaults 0 1\n# a comment the user wrote\n';

  it('appends one marked block by UUID with nofail, keeping every other line', () => {
    const out = mergeFstab(base, entries);
    expect(out.startsWith(base)).toBe(true);
    const ours = out.slice(base.length).split('\n');
    expect(ours[0]).toMatch(/^# BEGIN eks-node-agent local storage/);
    expect(ours[1]).toBe(
      'UUID=0b1c-uuid /mnt/k8s-disks/0 xfs defaults,noatime,nofail,x-systemd.before=eks-node-agent-config.service,x-systemd.before=containerd.service,x-systemd.before=kubelet.service,x-systemd.device-timeout=10s 0 2',
    );
    expect(ours[2]).toBe(
      '/mnt/k8s-disks/0/kubelet /var/lib/kubelet none bind,nofail,x-systemd.before=eks-node-agent-config.service,x-systemd.before=containerd.service,x-systemd.before=kubelet.service,x-systemd.requires-mounts-for=/mnt/k8s-disks/0 0 0',
    );
    expect(ours[3]).toBe('# END eks-node-agent local storage');
  });

  it('is stable: merging the same entries again changes nothing; new entries replace the block; none removes it', () => {
    const once = mergeFstab(base, entries);
    expect(mergeFstab(once, entries)).toBe(once);
    const other = mergeFstab(once, [filesystemEntry('ffff', '/mnt/k8s-disks/0', 'ext4')]);
    expect(other).not.toContain('0b1c-uuid');
    expect(other.match(/# BEGIN/g)).toHaveLength(1);
    expect(mergeFstab(other, [])).toBe(base);
    expect(mergeFstab('', [])).toBe('');
  });

  it('reads its own block back (what a reboot will mount), and nothing when there is none', () => {
    const text = mergeFstab('UUID=root / xfs defaults 0 1\n/dev/sdb /data ext4 defaults 0 2\n', [
      ...entries,
      bindEntry('/mnt/my disks/0/pods', '/var/log/pods', '/mnt/my disks/0'),
    ]);
    expect(agentFstabEntries(text)).toEqual([...entries, bindEntry('/mnt/my disks/0/pods', '/var/log/pods', '/mnt/my disks/0')]);
    expect(agentFstabEntries('UUID=root / xfs defaults 0 1\n/dev/sdb /data ext4 defaults 0 2\n')).toBeUndefined();
    expect(agentFstabEntries('')).toBeUndefined();
  });

  it('escapes white space in paths so a field stays one field', () => {
    expect(escapeField('/mnt/my disks')).toBe('/mnt/my\\040disks');
    expect(unescapeField('/mnt/my\\040disks')).toBe('/mnt/my disks');
    expect([...mountTable('/dev/md127 /mnt/my\\040disks/0 xfs rw 0 0\n')]).toEqual([['/mnt/my disks/0', '/dev/md127']]);
  });
});
