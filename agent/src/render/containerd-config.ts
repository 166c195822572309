import { stringifyContainerdToml } from '../api/toml.js';
import type { RenderContext } from './context.js';
import { isPlainObject, sortKeys } from '../common/json.js';
import { deepMerge } from '../common/merge.js';
import { PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';

const FIELD = 'spec.containerd.config';

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
  const cni = { bin_dir: '/opt/cni/bin', conf_dir: '/etc/cni/net.d' };
  const registry = { config_path: PATHS.containerdCertsDir };
  const common = {
    root: '/var/lib/containerd',
    state: '/run/containerd',
    grpc: { address: PATHS.containerdSocket },
  };
  if (ctx.containerd.major >= 2) {
    return {
      version: 3n,
      ...common,
      plugins: {
        'io.containerd.cri.v1.images': {
          discard_unpacked_layers: true,
          pinned_images: { sandbox: ctx.pauseImage },
          registry,
        },
        'io.containerd.cri.v1.runtime': {
          cni,
          enable_cdi: true,
          containerd: { default_runtime_name: 'runc', runtimes: { runc } },
        },
      },
    };
  }
  return {
    version: 2n,
    ...common,
    plugins: {
      'io.containerd.grpc.v1.cri': {
        cni,
        enable_cdi: true,
        sandbox_image: ctx.pauseImage,
        registry,
        containerd: { default_runtime_name: 'runc', discard_unpacked_layers: true, runtimes: { runc } },
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
    const { version: userVersion, ...rest } = user;
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

/**
 * containerd's CRI plugin refuses to load when the deprecated `registry.mirrors` / `configs`
 * are set together with `config_path` (the node would run without CRI). User data written for
 * older AMIs still sets mirrors, so when the user's TOML does and does not set config_path
 * itself, the agent's config_path is left out and a warning says so.
 */
function dropConfigPathForLegacyMirrors(ctx: RenderContext, merged: Record<string, unknown>, user: Record<string, unknown>): void {
  const pluginKey = ctx.containerd.major >= 2 ? 'io.containerd.cri.v1.images' : 'io.containerd.grpc.v1.cri';
  const userRegistry = table(table(table(user, 'plugins'), pluginKey), 'registry');
  if (!userRegistry || 'config_path' in userRegistry) return;
  const legacy = ['mirrors', 'configs'].filter((k) => k in userRegistry);
  if (legacy.length === 0) return;
  const registry = table(table(table(merged, 'plugins'), pluginKey), 'registry');
  if (registry) delete registry.config_path;
  ctx.warnings.push(
    `${FIELD}: sets registry ${legacy.join(' and ')}, which containerd does not accept together with config_path; the agent's config_path = "${PATHS.containerdCertsDir}" was left out (prefer hosts.toml files under ${PATHS.containerdCertsDir})`,
  );
}

function table(value: Record<string, unknown> | undefined, key: string): Record<string, unknown> | undefined {
  const next = value?.[key];
  return isPlainObject(next) ? next : undefined;
}
