import { renderTemplate } from '../templates/handlebars.js';
import { InputError } from '../errors.js';
import type { RenderContext } from './context.js';
import { PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';

// eslint-disable-next-line no-control-regex
const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f]/;

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
 * kubelet.service expands the unbraced $KUBELET_ARGS, which systemd splits at whitespace: a flag
 * holding a space would silently become two arguments, so it is rejected instead.
 */
export function userKubeletFlags(ctx: RenderContext): string[] {
  const flags = ctx.config.spec.kubelet?.flags ?? [];
  flags.forEach((flag, i) => {
    if (WHITESPACE_OR_CONTROL.test(flag)) {
      throw new InputError(`spec.kubelet.flags[${i}]: ${JSON.stringify(flag)} contains whitespace or a control character (expected one flag per item without spaces, e.g. "--node-labels=team=a,tier=b")`);
    }
    if (!flag.startsWith('-')) {
      throw new InputError(`spec.kubelet.flags[${i}]: ${JSON.stringify(flag)} is not a flag (expected e.g. "--register-with-taints=dedicated=infra:NoSchedule")`);
    }
  });
  return flags;
}

export function renderKubeletEnvironment(ctx: RenderContext): PlannedFile {
  const args = [...agentKubeletFlags(ctx), ...userKubeletFlags(ctx)].join(' ');
  const variables: Array<{ name: string; value: string }> = [{ name: 'KUBELET_ARGS', value: args }];
  // Kubelets 1.28 and 1.29 read --config-dir only with this alpha switch; 1.30 made it beta.
  if (ctx.kubeletFragment && ctx.kubeletDropIn && ctx.kubelet.major === 1 && ctx.kubelet.minor < 30) {
    variables.push({ name: 'KUBELET_CONFIG_DROPIN_DIR_ALPHA', value: 'on' });
  }
  return { path: PATHS.kubeletEnvironment, mode: 0o644, content: renderTemplate('kubeletEnvironment', { variables }) };
}
