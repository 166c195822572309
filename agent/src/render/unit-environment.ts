import { IMDS_MODE_VARIABLE, IPV6_IMDS_ENDPOINT } from '../aws/imds.js';
import type { UnitEnvironment } from '../api/validate.js';
import { renderTemplate } from '../templates/handlebars.js';
import type { RenderContext } from './context.js';
import { KUBELET_UNIT, unitEnvironmentPath } from './paths.js';
import type { PlannedFile } from './plan.js';

/** Values may be secrets (proxy passwords, tokens): only root reads the drop-ins. */
export const ENVIRONMENT_MODE = 0o600;

/** The variables by which the AWS SDKs choose IMDS's endpoint. */
const IMDS_VARIABLES: ReadonlySet<string> = new Set([IMDS_MODE_VARIABLE, 'AWS_EC2_METADATA_SERVICE_ENDPOINT']);
const namesImds = (variables: UnitEnvironment['variables']) => variables.some((v) => IMDS_VARIABLES.has(v.name));

/**
 * The kubelet's credential helpers (aws-iam-authenticator, ecr-credential-provider) read the
 * instance role's credentials from IMDS the AWS SDK's way: at 169.254.169.254 unless told. When
 * the agent's IMDS answered over IPv6 and the user data names no endpoint or mode for the kubelet
 * (in its own environment or every service's), the kubelet's environment gets the IPv6 mode.
 */
function withImdsMode(ctx: RenderContext): Array<UnitEnvironment & { note?: string }> {
  const environments = ctx.parsed.unitEnvironments;
  if (!ctx.facts.instance.imdsOverIpv6 || namesImds(ctx.parsed.defaultEnvironment)) return environments;
  const kubelet = environments.find((e) => e.unit === KUBELET_UNIT);
  if (kubelet && namesImds(kubelet.variables)) return environments;
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
