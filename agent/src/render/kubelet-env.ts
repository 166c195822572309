import { renderTemplate } from '../templates/handlebars.js';
import type { RenderContext } from './context.js';
import { PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';

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
  };
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

export function renderKubeletEnvironment(ctx: RenderContext): PlannedFile {
  const args = [...agentKubeletFlags(ctx), ...(ctx.config.spec.kubelet?.flags ?? [])].map(splitSafeWord).join(' ');
  const variables: Array<{ name: string; value: string }> = [{ name: 'KUBELET_ARGS', value: args }];
  // Kubelets 1.28 and 1.29 read --config-dir only with this alpha switch; 1.30 made it beta.
  if (ctx.kubeletFragment && ctx.kubeletDropIn && ctx.kubelet.major === 1 && ctx.kubelet.minor < 30) {
    variables.push({ name: 'KUBELET_CONFIG_DROPIN_DIR_ALPHA', value: 'on' });
  }
  return { path: PATHS.kubeletEnvironment, mode: 0o644, content: renderTemplate('kubeletEnvironment', { variables }) };
}
