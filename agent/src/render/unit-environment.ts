import { IMDS_ENDPOINT_VARIABLE, IMDS_MODE_VARIABLE, IPV6_IMDS_ENDPOINT } from '../aws/imds.js';
import type { UnitEnvironment } from '../api/validate.js';
import { renderTemplate } from '../templates/handlebars.js';
import type { RenderContext } from './context.js';
import { KUBELET_UNIT, unitEnvironmentPath } from './paths.js';
import type { PlannedFile } from './plan.js';

/** Values may be secrets (proxy passwords, tokens): only root reads the drop-ins. */
export const ENVIRONMENT_MODE = 0o600;

/**
 * Where the user data sends the kubelet's IMDS requests: its own environment's choice, else every
 * service's (`key` names the one that chose), with the mode it names; none when neither names
 * an endpoint or a mode.
 */
function kubeletImdsChoice(ctx: RenderContext, kubelet: UnitEnvironment | undefined): { key: string; mode?: string } | undefined {
  const environments: Array<Pick<UnitEnvironment, 'key' | 'variables'>> = [
    ...(kubelet ? [kubelet] : []),
    { key: 'default', variables: ctx.parsed.defaultEnvironment },
  ];
  for (const { key, variables } of environments) {
    if (variables.some((v) => v.name === IMDS_ENDPOINT_VARIABLE)) return { key };
    const mode = variables.find((v) => v.name === IMDS_MODE_VARIABLE);
    if (mode) return { key, mode: mode.value };
  }
  return undefined;
}

/**
 * The kubelet's credential helpers (aws-iam-authenticator, ecr-credential-provider) read the
 * instance role's credentials from IMDS the AWS SDK's way: at 169.254.169.254 unless told. When
 * the agent's IMDS answered over IPv6 and the user data names no endpoint or mode for the kubelet
 * (in its own environment or every service's), the kubelet's environment gets the IPv6 mode; a
 * mode the user data names is kept, with a warning when it is not IPv6.
 */
function withImdsMode(ctx: RenderContext): Array<UnitEnvironment & { note?: string }> {
  const environments = ctx.parsed.unitEnvironments;
  if (!ctx.facts.instance.imdsOverIpv6) return environments;
  const kubelet = environments.find((e) => e.unit === KUBELET_UNIT);
  const chosen = kubeletImdsChoice(ctx, kubelet);
  if (chosen) {
    if (chosen.mode !== undefined && chosen.mode.toLowerCase() !== 'ipv6') {
      ctx.warnings.push(
        `spec.instance.environment.${chosen.key}.${IMDS_MODE_VARIABLE}: ${JSON.stringify(chosen.mode)}, but IMDS answered the agent at ${IPV6_IMDS_ENDPOINT}: ` +
          "the kubelet's credential helpers ask 169.254.169.254 and may get no credentials (kept as written; IPv6 sends them where the agent's IMDS answered)",
      );
    }
    return environments;
  }
  const mode = { name: IMDS_MODE_VARIABLE, value: 'IPv6' };
  const note = `${IMDS_MODE_VARIABLE}=IPv6 added by the agent: IMDS answered at ${IPV6_IMDS_ENDPOINT}, where the kubelet's credential helpers must ask too`;
  const variables = [...(kubelet?.variables ?? []), mode].sort((a, b) => (a.name < b.name ? -1 : 1));
  const added = { unit: KUBELET_UNIT, key: kubelet?.key ?? 'kubelet', variables, note };
  return kubelet ? environments.map((e) => (e === kubelet ? added : e)) : [...environments, added];
}

/** One drop-in per unit, variables sorted by name, as the rule set resolved them; `%` doubled, quotes escaped. */
export function renderUnitEnvironments(ctx: RenderContext): PlannedFile[] {
  return withImdsMode(ctx).map(({ unit, variables, note }) => ({
    path: unitEnvironmentPath(unit),
    mode: ENVIRONMENT_MODE,
    content: renderTemplate('unitEnvironment', { variables, note }),
  }));
}
