import type { RenderContext } from './context.js';
import { stableJson } from '../common/json.js';
import { deepMerge } from '../common/merge.js';
import { PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';

const CAPABILITIES = [
  'CAP_AUDIT_WRITE',
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_MKNOD',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_RAW',
  'CAP_SETFCAP',
  'CAP_SETGID',
  'CAP_SETPCAP',
  'CAP_SETUID',
  'CAP_SYS_CHROOT',
];

/**
 * The OCI spec containerd's CRI plugin starts every container from (base_runtime_spec). It
 * replaces CRI's built-in default, so it carries the same mounts, capabilities and masked
 * paths, and raises the open-file limit that the 1024 default makes too small for servers.
 */
export function defaultRuntimeSpec(): Record<string, unknown> {
  const nosuidNoexecNodev = ['nosuid', 'noexec', 'nodev'];
  return {
    ociVersion: '1.1.0',
    process: {
      user: { uid: 0, gid: 0 },
      cwd: '/',
      capabilities: { bounding: CAPABILITIES, effective: CAPABILITIES, permitted: CAPABILITIES },
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 65536, hard: 1048576 }],
    },
    root: { path: 'rootfs' },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: nosuidNoexecNodev },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: nosuidNoexecNodev },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: [...nosuidNoexecNodev, 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [...nosuidNoexecNodev, 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/sched_debug',
        '/proc/scsi',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/sys/firmware',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** spec.containerd.baseRuntimeSpec deep-merged over the default: maps merge, lists replace. */
export function renderRuntimeSpec(ctx: RenderContext): PlannedFile {
  const user = ctx.config.spec.containerd?.baseRuntimeSpec;
  const spec = user ? deepMerge(defaultRuntimeSpec(), user) : defaultRuntimeSpec();
  return { path: PATHS.baseRuntimeSpec, mode: 0o644, content: stableJson(spec) };
}
