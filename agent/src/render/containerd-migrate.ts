import { InputError } from '../errors.js';
import { isPlainObject } from '../common/json.js';

/**
 * containerd 2.x reads config version 3, where version 2's single CRI plugin
 * (`io.containerd.grpc.v1.cri`) is split into an images plugin, a runtime plugin and the CRI
 * server's own settings. User data written for containerd 1.7 nodes carries version 2 tables;
 * merged as written they would land in a plugin containerd 2 no longer reads, so the node would
 * silently run without them. They are moved the way `containerd config migrate` moves them.
 * Keys containerd 2 removed outright cannot be moved; those are rejected, naming the key and
 * what replaces it.
 */
export const CRI_V2 = 'io.containerd.grpc.v1.cri';
export const CRI_IMAGES = 'io.containerd.cri.v1.images';
export const CRI_RUNTIME = 'io.containerd.cri.v1.runtime';

const FIELD = 'spec.containerd.config';

/** Keys of the version 2 CRI table that belong to the images plugin in version 3. */
const IMAGE_KEYS = [
  'registry',
  'image_decryption',
  'max_concurrent_downloads',
  'image_pull_progress_timeout',
  'image_pull_with_sync_fs',
  'stats_collect_period',
];
/** Keys of `containerd` in the version 2 CRI table that belong to the images plugin. */
const IMAGE_CONTAINERD_KEYS = ['snapshotter', 'disable_snapshot_annotations', 'discard_unpacked_layers'];
/** The CRI server's own settings: they stay under io.containerd.grpc.v1.cri. */
const SERVER_KEYS = [
  'disable_tcp_service',
  'stream_server_address',
  'stream_server_port',
  'stream_idle_timeout',
  'enable_tls_streaming',
  'x509_key_pair_streaming',
];

/** Removed in containerd 2.0: the key (relative to the CRI table) and what to write instead. */
const REMOVED: ReadonlyArray<{ path: string[]; instead: string }> = [
  { path: ['systemd_cgroup'], instead: `runtimes.<name>.options.SystemdCgroup under plugins."${CRI_RUNTIME}".containerd (the agent already sets it for runc)` },
  { path: ['containerd', 'default_runtime'], instead: `a runtime under plugins."${CRI_RUNTIME}".containerd.runtimes named by default_runtime_name` },
  { path: ['containerd', 'untrusted_workload_runtime'], instead: 'a runtime under runtimes and a Kubernetes RuntimeClass' },
  { path: ['registry', 'auths'], instead: `registry.configs.<host>.auth under plugins."${CRI_IMAGES}", or the kubelet's credential provider` },
];
const REMOVED_RUNTIME_KEYS: Record<string, string> = {
  runtime_engine: 'runtime_type = "io.containerd.runc.v2" with options.BinaryName',
  runtime_root: 'options.Root',
};

type Table = Record<string, unknown>;
const table = (v: unknown): Table | undefined => (isPlainObject(v) ? v : undefined);
const quoted = (key: string) => (/^[A-Za-z0-9_-]+$/.test(key) ? key : `"${key}"`);
const at = (plugin: string, ...keys: string[]) => [`plugins`, quoted(plugin), ...keys.map(quoted)].join('.');

export interface Migration {
  tree: Table;
  /** "old -> new" for each key moved, for the log */
  moved: string[];
}

/** Does this user TOML need migrating before it is merged over a version 3 config? */
export function isVersion2Shaped(user: Table): boolean {
  if (user.version === 2n || user.version === 2) return true;
  return table(table(user.plugins)?.[CRI_V2]) !== undefined && user.version === undefined;
}

/**
 * The keys of a version 2 tree that containerd 2.0 removed, each with what to write instead:
 * nothing can carry them to a containerd 2 node. `config check`, which does not know the node's
 * containerd, names them (render/init on containerd 1.7 warn, and on containerd 2 refuse them).
 */
export function removedInContainerd2(user: Table): Array<{ key: string; instead: string }> {
  const src = table(table(user.plugins)?.[CRI_V2]);
  if (!src || !isVersion2Shaped(user)) return [];
  const found: Array<{ key: string; instead: string }> = [];
  for (const { path, instead } of REMOVED) {
    let cur: unknown = src;
    for (const key of path) cur = table(cur)?.[key];
    if (cur !== undefined) found.push({ key: at(CRI_V2, ...path), instead });
  }
  for (const [name, runtime] of Object.entries(table(table(src.containerd)?.runtimes) ?? {})) {
    for (const [key, instead] of Object.entries(REMOVED_RUNTIME_KEYS)) {
      if (table(runtime)?.[key] !== undefined) found.push({ key: at(CRI_V2, 'containerd', 'runtimes', name, key), instead });
    }
  }
  return found;
}

/**
 * The user's version 2 tree rewritten into version 3's layout (without `version`); throws an
 * InputError naming every removed key. Values already set under the version 3 plugins win over
 * migrated ones, as in containerd.
 */
export function migrateToVersion3(user: Table): Migration {
  const { version: _version, ...rest } = user;
  const plugins = table(rest.plugins);
  const src = table(plugins?.[CRI_V2]);
  if (!plugins || !src) return { tree: rest, moved: [] };

  const removed = removedInContainerd2(user);
  if (removed.length > 0)
    throw new InputError(removed.map(({ key, instead }) => `${FIELD}: ${key} was removed in containerd 2.0 and cannot be migrated (write ${instead})`));

  const moved: string[] = [];
  const images: Table = { ...table(plugins[CRI_IMAGES]) };
  const runtime: Table = { ...table(plugins[CRI_RUNTIME]) };
  const server: Table = {};
  const put = (dst: Table, key: string, value: unknown, from: string, to: string) => {
    if (!(key in dst)) dst[key] = value;
    moved.push(`${from} -> ${to}`);
  };

  for (const [key, value] of Object.entries(src)) {
    if (key === 'sandbox_image') {
      const pinned: Table = { ...table(images.pinned_images) };
      put(pinned, 'sandbox', value, at(CRI_V2, key), at(CRI_IMAGES, 'pinned_images', 'sandbox'));
      images.pinned_images = pinned;
    } else if (IMAGE_KEYS.includes(key)) {
      put(images, key, value, at(CRI_V2, key), at(CRI_IMAGES, key));
    } else if (SERVER_KEYS.includes(key)) {
      server[key] = value;
    } else if (key === 'cni' && table(value)) {
      const cni: Table = { ...table(runtime.cni) };
      for (const [k, v] of Object.entries(table(value)!)) {
        // version 3 takes a list of CNI binary directories
        if (k === 'bin_dir') put(cni, 'bin_dirs', [v], at(CRI_V2, 'cni', k), at(CRI_RUNTIME, 'cni', 'bin_dirs'));
        else put(cni, k, v, at(CRI_V2, 'cni', k), at(CRI_RUNTIME, 'cni', k));
      }
      runtime.cni = cni;
    } else if (key === 'containerd' && table(value)) {
      const containerd: Table = { ...table(runtime.containerd) };
      for (const [k, v] of Object.entries(table(value)!)) {
        if (IMAGE_CONTAINERD_KEYS.includes(k)) put(images, k, v, at(CRI_V2, 'containerd', k), at(CRI_IMAGES, k));
        else if (k === 'runtimes' && table(v))
          put(containerd, k, migrateRuntimes(table(v)!, images), at(CRI_V2, 'containerd', k), at(CRI_RUNTIME, 'containerd', k));
        else put(containerd, k, v, at(CRI_V2, 'containerd', k), at(CRI_RUNTIME, 'containerd', k));
      }
      runtime.containerd = containerd;
    } else {
      put(runtime, key, value, at(CRI_V2, key), at(CRI_RUNTIME, key));
    }
  }

  const out: Table = { ...plugins };
  delete out[CRI_V2];
  if (Object.keys(server).length > 0) out[CRI_V2] = server;
  if (Object.keys(images).length > 0) out[CRI_IMAGES] = images;
  if (Object.keys(runtime).length > 0) out[CRI_RUNTIME] = runtime;
  return { tree: { ...rest, plugins: out }, moved };
}

/** sandbox_mode became sandboxer; a per-runtime snapshotter became an images runtime_platform. */
function migrateRuntimes(runtimes: Table, images: Table): Table {
  const out: Table = {};
  for (const [name, value] of Object.entries(runtimes)) {
    const conf: Table = { ...table(value) };
    if ('sandbox_mode' in conf) {
      conf.sandboxer ??= conf.sandbox_mode;
      delete conf.sandbox_mode;
    }
    if (typeof conf.snapshotter === 'string' && conf.snapshotter !== '') {
      const platforms: Table = { ...table(images.runtime_platform) };
      platforms[name] ??= { snapshotter: conf.snapshotter };
      images.runtime_platform = platforms;
    }
    out[name] = conf;
  }
  return out;
}
