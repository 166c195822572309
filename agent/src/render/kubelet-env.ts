import { featureGatesFlagFor } from '../api/kubelet-feature-gates.js';
import { isLeftOut, removedKubeletFlags } from '../api/kubelet-flags.js';
import { renderTemplate } from '../templates/handlebars.js';
import type { RenderContext } from './context.js';
import { bootstrapsCertificate } from './kubeconfig.js';
import { PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';

export const RUNTIME_CGROUP = '/runtime.slice/containerd.service';

/**
 * The labels the agent adds, unless the user's flags set --node-labels: the kubelet keeps only
 * the last occurrence of a flag, so the agent's labels then go into the user's flag instead
 * (see renderKubeletEnvironment), and a key the user sets keeps the user's value.
 */
function agentNodeLabels(ctx: RenderContext): string | undefined {
  const userSets = (ctx.config.spec.kubelet?.flags ?? []).some((f) => f.startsWith(NODE_LABELS));
  const labels = Object.entries(ctx.kubeletDefaults.labels).sort(([a], [b]) => (a < b ? -1 : 1));
  if (userSets || labels.length === 0) return undefined;
  return labels.map(([k, v]) => `${k}=${v}`).join(',');
}

const NODE_LABELS = '--node-labels=';

/** The agent's labels folded into the user's last --node-labels flag (the one the kubelet keeps). */
function withAgentLabels(flags: string[], agentLabels: Record<string, string>): string[] {
  const last = flags.findLastIndex((f) => f.startsWith(NODE_LABELS));
  if (last === -1 || Object.keys(agentLabels).length === 0) return flags;
  const own = flags[last]!.slice(NODE_LABELS.length);
  const ownKeys = new Set(
    own
      .split(',')
      .filter(Boolean)
      .map((l) => l.split('=')[0]),
  );
  const extra = Object.keys(agentLabels)
    .sort()
    .filter((k) => !ownKeys.has(k))
    .map((k) => `${k}=${agentLabels[k]}`);
  if (extra.length === 0) return flags;
  const out = [...flags];
  out[last] = `${NODE_LABELS}${[own, ...extra].filter(Boolean).join(',')}`;
  return out;
}

/** The agent's flags, sorted by name so the file is the same on every run. */
export function agentKubeletFlags(ctx: RenderContext): string[] {
  const flags: Record<string, string> = {
    'cloud-provider': 'external',
    config: PATHS.kubeletConfig,
    'hostname-override': ctx.nodeName,
    'image-credential-provider-bin-dir': PATHS.credentialProviderBinDir,
    'image-credential-provider-config': PATHS.credentialProviderConfig,
    kubeconfig: PATHS.kubeconfig,
    'node-ip': ctx.nodeIp,
    // cAdvisor reports the runtime's own usage only for the cgroup named here (the image runs
    // containerd in runtime.slice); without it the kubelet's runtime metrics are empty.
    'runtime-cgroups': RUNTIME_CGROUP,
  };
  if (bootstrapsCertificate(ctx.config.spec.cluster)) flags['bootstrap-kubeconfig'] = PATHS.bootstrapKubeconfig;
  const labels = agentNodeLabels(ctx);
  if (labels) flags['node-labels'] = labels;
  if (ctx.kubeletFragment && ctx.kubeletDropIn) flags['config-dir'] = PATHS.kubeletConfigDir;
  return Object.keys(flags)
    .sort()
    .map((name) => `--${name}=${flags[name]}`);
}

/**
 * One flag as a word of systemd's `$VAR` splitting, which honours quotes and backslashes: a flag
 * holding one (`--node-labels='team=a`, a value ending in `\`) would otherwise open a quote or
 * escape the separator and swallow the flags after it. Such a flag is double-quoted with `\` and
 * `"` escaped; the others are left bare so the file stays readable. (The rule set refuses
 * whitespace and control characters in flags, which no quoting would make readable.)
 */
export function splitSafeWord(flag: string): string {
  return /['"\\]/.test(flag) ? `"${flag.replace(/["\\]/g, (c) => `\\${c}`)}"` : flag;
}

/**
 * The user's flags the kubelet gets: all but those this kubelet no longer has, and --feature-gates
 * without the gates it lacks: either would stop it at start and has no effect on it (render and
 * init warn about each).
 */
function userKubeletFlags(ctx: RenderContext): string[] {
  const flags = ctx.config.spec.kubelet?.flags ?? [];
  const minor = ctx.kubelet.major > 1 ? Number.POSITIVE_INFINITY : ctx.kubelet.minor;
  const leftOut = new Set(
    removedKubeletFlags(flags)
      .filter((r) => isLeftOut(r, minor))
      .map((r) => r.index),
  );
  return flags.flatMap((flag, i) => {
    if (leftOut.has(i)) return [];
    const kept = ctx.kubelet.major === 1 ? featureGatesFlagFor(flag, minor) : flag;
    return kept === undefined ? [] : [kept];
  });
}

export function renderKubeletEnvironment(ctx: RenderContext): PlannedFile {
  const args = [...agentKubeletFlags(ctx), ...withAgentLabels(userKubeletFlags(ctx), ctx.kubeletDefaults.labels)].map(splitSafeWord).join(' ');
  const variables: Array<{ name: string; value: string }> = [{ name: 'KUBELET_ARGS', value: args }];
  // Kubelets 1.28 and 1.29 read --config-dir only with this alpha switch; 1.30 made it beta.
  if (ctx.kubeletFragment && ctx.kubeletDropIn && ctx.kubelet.major === 1 && ctx.kubelet.minor < 30) {
    variables.push({ name: 'KUBELET_CONFIG_DROPIN_DIR_ALPHA', value: 'on' });
  }
  return { path: PATHS.kubeletEnvironment, mode: 0o644, content: renderTemplate('kubeletEnvironment', { variables }) };
}
