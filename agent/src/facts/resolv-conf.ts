import { readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';

/**
 * The resolv.conf the kubelet should hand pods when the node's own is systemd-resolved's stub.
 * The stub lists only 127.0.0.53, which a pod cannot reach from its own network namespace: every
 * pod with dnsPolicy Default, CoreDNS among them, would resolve nothing outside the cluster.
 * systemd-resolved keeps the real servers in RESOLVED_UPSTREAM, the file a kubelet is pointed at
 * on such hosts. Decided by where /etc/resolv.conf links, not by its content: early in boot
 * systemd-resolved may not have written either file yet, and the decision must not depend on that.
 * Amazon Linux 2023 has given /etc/resolv.conf the real servers since its 2023.5 releases; a
 * custom bake that turns the stub back on keeps working pods' DNS this way.
 */

export const RESOLVED_UPSTREAM = '/run/systemd/resolve/resolv.conf';
/** the stub files systemd-resolved documents as /etc/resolv.conf's link targets */
export const RESOLVED_STUBS = ['/run/systemd/resolve/stub-resolv.conf', '/usr/lib/systemd/resolv.conf'];

export function readPodResolvConf(root: string): string | undefined {
  let target: string;
  try {
    target = readlinkSync(join(root, '/etc/resolv.conf'));
  } catch {
    return undefined; // a plain file, or none: the kubelet's default stands
  }
  return RESOLVED_STUBS.includes(posix.resolve('/etc', target)) ? RESOLVED_UPSTREAM : undefined;
}
