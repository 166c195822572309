import type { ResolvedNodeConfig } from '../api/schema.js';
import type { Facts } from '../facts/types.js';
import { renderCa } from './ca.js';
import { renderContainerdConfig } from './containerd-config.js';
import { type RenderOptions, buildContext } from './context.js';
import { renderCredentialProviderConfig } from './credential-provider.js';
import { renderKubeconfig } from './kubeconfig.js';
import { renderKubeletConfig } from './kubelet-config.js';
import { renderKubeletEnvironment } from './kubelet-env.js';
import type { Plan, PlannedFile } from './plan.js';
import { renderRuntimeSpec } from './runtime-spec.js';
import { renderUnitEnvironments } from './unit-environment.js';
import { renderSystemEnvironment } from './system-environment.js';
import { renderResolvedDropIn } from './resolved.js';
import { planUnits } from './units.js';
import { PAUSE_IMAGE_ARCHIVE } from './pause-image.js';
import { renderSociConfig, renderSociDropIn } from './fast-image-pull.js';

export type { Plan, PlannedFile, UnitAction } from './plan.js';
export type { RenderOptions } from './context.js';
export { decideMaxPods, eniMaxPods, FALLBACK_MAX_PODS } from './max-pods.js';
export { reservedCpuMillicores, reservedMemoryMiB } from './reserved.js';
export { defaultPauseImage } from './pause-image.js';
export { PATHS, RESOLVED_UNIT } from './paths.js';
export { renderResolvedDropIn } from './resolved.js';

/**
 * Pure: the whole node configuration for (config, facts). The config's values were judged by
 * the rule set in api/ (options.parsed); render throws only for facts it cannot use and for
 * broken invariants. Files are sorted by path.
 */
export function render(config: ResolvedNodeConfig, facts: Facts, options: RenderOptions = {}): Plan {
  const ctx = buildContext(config, facts, options);
  const files: PlannedFile[] = [
    ...renderKubeletConfig(ctx),
    renderKubeletEnvironment(ctx),
    renderKubeconfig(ctx),
    renderCa(ctx),
    renderCredentialProviderConfig(ctx),
    renderContainerdConfig(ctx),
    renderRuntimeSpec(ctx),
    ...renderUnitEnvironments(ctx),
    ...renderSystemEnvironment(ctx),
    ...renderResolvedDropIn(config.spec.instance?.network),
    ...(ctx.fastImagePull ? [renderSociConfig(), renderSociDropIn(PAUSE_IMAGE_ARCHIVE, ctx.containerd.major)] : []),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    files,
    units: planUnits(files),
    warnings: ctx.warnings,
    ...(ctx.notes.length > 0 ? { notes: ctx.notes } : {}),
  };
}
