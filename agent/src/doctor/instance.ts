import type { Imds } from '../aws/imds.js';
import { EnvironmentError } from '../errors.js';
import { type InstanceIdentity, type InstanceRole, readIdentity } from './checks/imds.js';
import type { CheckContext } from './runner.js';
import type { AwsCredentials, DoctorDeps } from './types.js';

/** Where a check takes what it needs of the instance. */
export interface InstanceAccess {
  /** this boot's kept answers (the rest asked of IMDS), when there are some; else the check reads IMDS itself */
  imds?: Imds;
  /** the identity document's fields, when known */
  identity?: InstanceIdentity;
  /** the role's credentials, waited for (the instance-profile line) only when an AWS call needs them */
  credentials: () => Promise<AwsCredentials>;
}

/** This boot's kept answers, when doctor could read them (the rest asked of IMDS). */
export function keptAnswers(deps: DoctorDeps): Imds | undefined {
  const kept = deps.keptImds;
  return kept !== undefined && 'imds' in kept ? kept.imds : undefined;
}

/**
 * The instance as the checks after `imds` see it. With this boot's answers kept (root, after a
 * config phase), they come from there: the same answers the boot rendered from, none of them
 * waiting on IMDS, so a node whose IMDS stopped answering still gets its config, files and name
 * judged. Otherwise the imds line's own reading, once it has one.
 */
export async function instanceAccess(deps: DoctorDeps, ctx: CheckContext): Promise<InstanceAccess> {
  const credentials = async (): Promise<AwsCredentials> => {
    const role = await ctx.optional<InstanceRole>('instance-profile');
    if (!role) throw new EnvironmentError('no instance credentials (see the instance-profile line)');
    return role.credentials;
  };
  const kept = keptAnswers(deps);
  if (kept) {
    const identity = await readIdentity(kept).catch(() => undefined);
    return { imds: kept, ...(identity ? { identity } : {}), credentials };
  }
  const identity = await ctx.optional<InstanceIdentity>('imds');
  return { ...(identity ? { identity } : {}), credentials };
}
