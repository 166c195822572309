import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describeCause } from '../errors.js';
import type { SdkCredentials } from './client.js';
import type { Imds } from './imds.js';
import { show } from '../api/problems.js';

/**
 * The instance role's credentials, read from IMDS (meta-data/iam/security-credentials/): what
 * `doctor` shows as the instance profile, and what `init` signs its AWS calls with when nothing
 * else in the environment could give credentials. One reader, so the two never disagree on what
 * counts as usable.
 */

export interface RoleCredentials extends SdkCredentials {
  expiration?: Date;
}

export type RoleRead =
  | { ok: true; roleName: string; credentials: RoleCredentials }
  | { ok: false; reason: 'no-profile'; detail: string }
  | { ok: false; reason: 'no-credentials' | 'unusable'; roleName: string; detail: string };

/** Reads the role name, then its credentials. IMDS failures (unreachable, refused) are thrown. */
export async function readInstanceRole(imds: Imds): Promise<RoleRead> {
  const listing = await imds.getOptional('meta-data/iam/security-credentials/');
  const roleName = listing
    ?.split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (!roleName) return { ok: false, reason: 'no-profile', detail: 'no instance profile is attached (meta-data/iam/security-credentials/ is empty)' };
  let creds: Record<string, unknown>;
  try {
    creds = JSON.parse(await imds.get(`meta-data/iam/security-credentials/${roleName}`)) as Record<string, unknown>;
  } catch (err) {
    return { ok: false, reason: 'no-credentials', roleName, detail: `role ${roleName}: no credentials (${describeCause(err)})` };
  }
  // `null` is JSON too
  if (
    creds === null ||
    typeof creds !== 'object' ||
    creds.Code !== 'Success' ||
    typeof creds.AccessKeyId !== 'string' ||
    typeof creds.SecretAccessKey !== 'string'
  ) {
    return { ok: false, reason: 'unusable', roleName, detail: `role ${roleName}: IMDS gives no usable credentials (Code ${show(creds?.Code)})` };
  }
  const expiration = typeof creds.Expiration === 'string' ? new Date(creds.Expiration) : undefined;
  return {
    ok: true,
    roleName,
    credentials: {
      accessKeyId: creds.AccessKeyId,
      secretAccessKey: creds.SecretAccessKey,
      ...(typeof creds.Token === 'string' ? { sessionToken: creds.Token } : {}),
      ...(expiration && !Number.isNaN(expiration.getTime()) ? { expiration } : {}),
    },
  };
}

/**
 * The variables the SDK's chain reads before the instance role, or that change how it reads it
 * in a way the agent's IMDS client does not follow (the endpoint and its mode, it does).
 */
const CHAIN_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_PROFILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_EC2_METADATA_DISABLED',
];

/**
 * What in the environment could give the SDK's default chain credentials (or change how it
 * reads the instance role) before it reaches the instance role: variables and the shared
 * config files. When there is one, the agent leaves credentials to the SDK.
 */
export async function otherCredentialSource(env: Record<string, string | undefined>): Promise<string | undefined> {
  const variable = CHAIN_VARIABLES.find((v) => env[v]);
  if (variable) return variable;
  // the home the SDK looks in: HOME, else the user's entry (a system service may have no HOME);
  // not import(): in the executable that prints an ExperimentalWarning into the boot's journal
  const home = env.HOME || process.getBuiltinModule('node:os').homedir();
  return ['.aws/config', '.aws/credentials'].map((f) => join(home, f)).find((f) => existsSync(f));
}

/**
 * The instance role's credentials for the agent's AWS calls, read once: the returned function
 * starts the read on its first call (init calls it beside the facts when the cluster must be
 * described) and gives the same answer after. It gives undefined, and so the SDK's own chain
 * with its wait for late credentials (callAws), when the environment has another source, no role
 * is attached yet, its credentials are not there yet, or IMDS fails. No timer of its own: IMDS
 * requests are bounded by the client, and a timer racing an answer already received would lose
 * it on a machine slow enough for the chunk load to outlast the timer.
 */
export function instanceRoleCredentials(env: Record<string, string | undefined>, imds: () => Imds): () => Promise<SdkCredentials | undefined> {
  let read: Promise<SdkCredentials | undefined> | undefined;
  const readOnce = async (): Promise<SdkCredentials | undefined> => {
    if (await otherCredentialSource(env)) return undefined;
    try {
      const r = await readInstanceRole(imds());
      if (!r.ok) return undefined;
      const { accessKeyId, secretAccessKey, sessionToken } = r.credentials;
      return { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) };
    } catch {
      return undefined;
    }
  };
  return () => (read ??= readOnce());
}
