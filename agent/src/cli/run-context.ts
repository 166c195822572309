import { readFileSync } from 'node:fs';

/*
 * Whether a systemd unit started this run for itself (a boot phase, a user-data script under
 * cloud-final), which keeps its own environment, or a person did. systemd gives each unit's
 * processes INVOCATION_ID, but a service that runs people's commands hands it on to them: SSM
 * Session Manager's shells and Run Command's scripts run under the SSM agent's service with its
 * environment (INVOCATION_ID and JOURNAL_STREAM among it, per aws/amazon-ssm-agent#427), a common
 * way to reach an EKS node without SSH. The process's cgroup says which service that is.
 */

/** Services whose processes are people's shells and commands, not a unit's own work. */
export const SHELL_SERVICES: ReadonlySet<string> = new Set(['amazon-ssm-agent.service']);

/**
 * The systemd service whose cgroup holds this process, from /proc/self/cgroup (cgroup v2's `0::`
 * line, or v1's `name=systemd` hierarchy, whichever names one): the last `.service` in the path.
 * Undefined when the process is in none (a login session's scope, a container's root).
 */
export function ownService(cgroup: string): string | undefined {
  // hybrid hierarchies have both lines, one of them at the root
  for (const line of cgroup.split('\n').filter((l) => l.startsWith('0::') || l.includes(':name=systemd:'))) {
    const path = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    const service = path
      .split('/')
      .filter((part) => part.endsWith('.service'))
      .at(-1);
    if (service !== undefined) return service;
  }
  return undefined;
}

const readOwnCgroup = (): string | undefined => {
  try {
    return readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * Whether a unit started this run for itself: INVOCATION_ID set, and the process in a service
 * other than those that run people's commands (SHELL_SERVICES). Without a cgroup to read (not
 * Linux), INVOCATION_ID alone says.
 */
export function startedByUnit(env: Readonly<Record<string, string | undefined>>, readCgroup: () => string | undefined = readOwnCgroup): boolean {
  if (env.INVOCATION_ID === undefined) return false;
  const cgroup = readCgroup();
  if (cgroup === undefined) return true;
  const service = ownService(cgroup);
  return service !== undefined && !SHELL_SERVICES.has(service);
}
