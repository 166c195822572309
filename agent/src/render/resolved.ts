import type { InstanceSpec } from '../api/schema.js';
import { renderTemplate } from '../templates/handlebars.js';
import { PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';

/**
 * spec.instance.network as a systemd-resolved drop-in. It depends on the NodeConfig alone, not
 * on facts, so init can write it and restart systemd-resolved before the first call that needs
 * DNS (eks:DescribeCluster), and render plans the same file. It lives under /run: the config
 * phase writes it again on every boot from the user data of that boot, so a setting removed
 * from the user data is gone after the next reboot, and an administrator's file of the same
 * name under /etc/systemd/resolved.conf.d/ takes precedence, as systemd intends.
 */
export function renderResolvedDropIn(network: InstanceSpec['network']): PlannedFile[] {
  const nameservers = network?.nameservers ?? [];
  const domains = network?.domains ?? [];
  if (nameservers.length === 0 && domains.length === 0) return [];
  return [{ path: PATHS.resolvedDropIn, mode: 0o644, content: renderTemplate('resolved', { nameservers, domains }) }];
}
