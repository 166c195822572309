import { parseContainerdToml, stringifyContainerdToml } from '../api/toml.js';
import type { RenderContext } from './context.js';
import { isPlainObject, sortKeys } from '../common/json.js';
import { deepMerge } from '../common/merge.js';
import { PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';
import { CRI_IMAGES, CRI_RUNTIME, CRI_V2, isVersion2Shaped, migrateToVersion3 } from './containerd-migrate.js';
import { atLeast } from './versions.js';
import { NVIDIA_CONTAINER_RUNTIME } from '../facts/accelerators.js';
import { SOCI } from './fast-image-pull.js';

const FIELD = 'spec.containerd.config';

/**
 * Where CRI looks for per-registry hosts.toml files: containerd's own directory, then Docker's,
 * which tools that configure Docker registries (and older AMIs) still write.
 */
export const CONTAINERD_CONFIG_PATH = `${PATHS.containerdCertsDir}:/etc/docker/certs.d`;

/**
 * containerd 1.x reads the version 2 layout (one CRI plugin); 2.x reads version 3, where CRI
 * is split into images and runtime plugins and the sandbox image is a pinned image.
 * Integers are BigInt so that smol-toml writes them as TOML integers and user floats stay floats.
 */
export function agentContainerdConfig(ctx: RenderContext): Record<string, unknown> {
  const runc = {
    runtime_type: 'io.containerd.runc.v2',
    base_runtime_spec: PATHS.baseRuntimeSpec,
    options: { SystemdCgroup: true },
  };
  const runtimes: Record<string, unknown> = { runc };
  let defaultRuntime = 'runc';
  // GPU images ship NVIDIA's runtime wrapper (it injects the driver into containers); it becomes
  // the default, and plain runc stays available for a RuntimeClass.
  if (ctx.facts.accelerators?.nvidiaContainerRuntime) {
    runtimes.nvidia = { ...runc, options: { ...runc.options, BinaryName: NVIDIA_CONTAINER_RUNTIME } };
    defaultRuntime = 'nvidia';
  }
  const containerdRuntimes = { default_runtime_name: defaultRuntime, runtimes };
  const cni = { bin_dir: '/opt/cni/bin', conf_dir: '/etc/cni/net.d' };
  const registry = { config_path: CONTAINERD_CONFIG_PATH };
  // Container Device Interface: kubelets from 1.32 hand devices to the runtime by CDI name.
  // Written either way, because containerd 2 enables it by default.
  const enableCdi = atLeast(ctx.kubelet, 1, 32);
  const common = {
    root: '/var/lib/containerd',
    state: '/run/containerd',
    grpc: { address: PATHS.containerdSocket },
    // FastImagePull: the SOCI snapshotter, a proxy plugin serving on its own socket, takes the
    // pulls; it needs the images' snapshot annotations, which CRI otherwise leaves out
    ...(ctx.fastImagePull ? { proxy_plugins: { soci: { type: 'snapshot', address: SOCI.socket, exports: { root: SOCI.root } } } } : {}),
  };
  const snapshotter = ctx.fastImagePull ? { snapshotter: 'soci', disable_snapshot_annotations: false } : {};
  if (ctx.containerd.major >= 2) {
    return {
      version: 3n,
      ...common,
      plugins: {
        [CRI_IMAGES]: {
          discard_unpacked_layers: true,
          pinned_images: { sandbox: ctx.pauseImage },
          registry,
          ...snapshotter,
        },
        [CRI_RUNTIME]: { cni, enable_cdi: enableCdi, containerd: containerdRuntimes },
      },
    };
  }
  return {
    version: 2n,
    ...common,
    plugins: {
      [CRI_V2]: {
        cni,
        enable_cdi: enableCdi,
        sandbox_image: ctx.pauseImage,
        registry,
        containerd: { ...containerdRuntimes, discard_unpacked_layers: true, ...snapshotter },
      },
    },
  };
}

/**
 * The user's TOML is deep-merged over the agent's: tables merge key by key, values and arrays
 * replace. `version` stays the agent's, because it selects the layout the agent wrote for the
 * installed containerd; a different user version is reported as a warning. Keys are sorted
 * (version first) so the same config always gives the same bytes.
 */
export function renderContainerdConfig(ctx: RenderContext): PlannedFile {
  const base = agentContainerdConfig(ctx);
  const user = ctx.parsed.containerdToml;
  let merged = base;
  if (user !== undefined) {
    const { version: declared, ...asWritten } = user;
    let userVersion: unknown = declared;
    let rest: Record<string, unknown> = asWritten;
    if (ctx.containerd.major >= 2 && isVersion2Shaped(user)) {
      const migration = migrateToVersion3(user);
      rest = migration.tree;
      if (migration.moved.length > 0) {
        userVersion = undefined;
        ctx.warnings.push(
          `${FIELD}: written for containerd 1.x (version 2); migrated for containerd ${ctx.facts.instance.containerdVersion} as \`containerd config migrate\` would: ${migration.moved.join(', ')}`,
        );
      }
    }
    if (userVersion !== undefined && userVersion !== base.version) {
      ctx.warnings.push(
        `${FIELD}: declares version = ${String(userVersion)}, but containerd ${ctx.facts.instance.containerdVersion} is configured with version = ${String(base.version)}; its tables were merged as written`,
      );
    }
    merged = deepMerge(base, rest) as Record<string, unknown>;
    dropConfigPathForLegacyMirrors(ctx, merged, rest);
  }
  const { version, ...others } = sortKeys(merged) as Record<string, unknown>;
  const ordered = { version, ...others };
  return {
    path: PATHS.containerdConfig,
    mode: 0o644,
    content: `${stringifyContainerdToml(ordered).trimEnd()}\n`,
  };
}

/** The registry table of the CRI plugin that holds it for this config version. */
const registryPlugin = (major: number) => (major >= 2 ? CRI_IMAGES : CRI_V2);

/**
 * Which deprecated registry tables (`mirrors`, `configs`) a user tree sets in `pluginKey`'s
 * registry without setting config_path itself.
 */
function legacyRegistryKeys(user: Record<string, unknown>, pluginKey: string): string[] {
  const userRegistry = table(table(table(user, 'plugins'), pluginKey), 'registry');
  if (!userRegistry || 'config_path' in userRegistry) return [];
  return ['mirrors', 'configs'].filter((k) => k in userRegistry);
}

function legacyMirrorsWarning(legacy: string[]): string {
  return `${FIELD}: sets registry ${legacy.join(' and ')}, which containerd does not accept together with config_path; the agent's config_path = "${CONTAINERD_CONFIG_PATH}" was left out (prefer hosts.toml files under ${PATHS.containerdCertsDir})`;
}

/**
 * What render will warn about in the user's TOML whatever the containerd version, for `config
 * check` (which knows no containerd version): both CRI layouts are looked at. Throws nothing; a
 * TOML that does not parse is reported by validation.
 */
export function containerdConfigWarnings(userToml: string | undefined): string[] {
  if (userToml === undefined || userToml.trim() === '') return [];
  let user: Record<string, unknown>;
  try {
    user = parseContainerdToml(userToml);
  } catch {
    return [];
  }
  const legacy = new Set([CRI_V2, CRI_IMAGES].flatMap((key) => legacyRegistryKeys(user, key)));
  return legacy.size > 0 ? [legacyMirrorsWarning([...legacy].sort())] : [];
}

/**
 * containerd's CRI plugin refuses to load when the deprecated `registry.mirrors` / `configs`
 * are set together with `config_path` (the node would run without CRI). User data written for
 * older AMIs still sets mirrors, so when the user's TOML does and does not set config_path
 * itself, the agent's config_path is left out and a warning says so.
 */
function dropConfigPathForLegacyMirrors(ctx: RenderContext, merged: Record<string, unknown>, user: Record<string, unknown>): void {
  const pluginKey = registryPlugin(ctx.containerd.major);
  const legacy = legacyRegistryKeys(user, pluginKey);
  if (legacy.length === 0) return;
  const registry = table(table(table(merged, 'plugins'), pluginKey), 'registry');
  if (registry) delete registry.config_path;
  ctx.warnings.push(legacyMirrorsWarning(legacy));
}

function table(value: Record<string, unknown> | undefined, key: string): Record<string, unknown> | undefined {
  const next = value?.[key];
  return isPlainObject(next) ? next : undefined;
}
