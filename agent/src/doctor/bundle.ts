import type { NodeConfig } from '../api/schema.js';
import { serviceUnitName } from '../api/validate.js';
import { describeCause } from '../errors.js';
import { CLUSTER_CACHE_PATH } from '../facts/cluster.js';
import { PATHS, unitEnvironmentPath } from '../render/paths.js';
import type { ConfigValue } from './checks/config.js';
import type { Plan } from '../render/plan.js';
import { formatJson } from './report.js';
import { tarGz, type TarEntry } from './tar.js';
import { JOURNAL_LINES, UNITS } from './checks/services.js';
import type { InstanceIdentity, InstanceRole } from './checks/imds.js';
import type { DoctorOutcome } from './index.js';
import type { DoctorDeps } from './types.js';

/**
 * The files the agent writes, for when the plan could not be computed (no facts): every fixed
 * path, the cluster cache, and the unit drop-ins the config's environment names, resolved by the
 * same rule set that plans them.
 */
export function expectedPathsWithoutPlan(config: NodeConfig | undefined): string[] {
  const fixed = [PATHS.kubeletConfig, PATHS.kubeletDropIn, PATHS.kubeletEnvironment, PATHS.kubeconfig, PATHS.caCert, PATHS.credentialProviderConfig, PATHS.containerdConfig, PATHS.baseRuntimeSpec];
  const units = Object.keys(config?.spec?.instance?.environment ?? {}).flatMap((key) => {
    const unit = serviceUnitName(key);
    return 'value' in unit ? [unitEnvironmentPath(unit.value)] : [];
  });
  return [...fixed, CLUSTER_CACHE_PATH, ...units].sort();
}

const REDACTED = '<redacted>';

/**
 * Removes anything that authenticates: bearer and EKS tokens, AWS access keys, secret and
 * session keys, presigned URL signatures, and the exact secrets this run handled. Applied to
 * every text that goes into the bundle, so a journal line quoting a token is cleaned too.
 */
export function scrub(text: string, secrets: string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= 8) out = out.split(s).join(REDACTED);
  return out
    .replace(/k8s-aws-v1\.[A-Za-z0-9_\-=.]+/g, `k8s-aws-v1.${REDACTED}`)
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`)
    .replace(/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, REDACTED)
    .replace(/(X-Amz-(?:Signature|Security-Token|Credential)=)[^&\s"']+/gi, `$1${REDACTED}`)
    .replace(
      /("?(?:SecretAccessKey|SessionToken|AccessKeyId|Token|aws_secret_access_key|aws_session_token|secret|password|token)"?\s*[:=]\s*"?)[^\s",}]+/gi,
      `$1${REDACTED}`,
    );
}

/** Unit environment drop-ins carry the user's variables (proxy passwords, ...): keep only names. */
function scrubEnvironmentFile(path: string, text: string): string {
  if (!/\.service\.d\/environment\.conf$/.test(path)) return text;
  return text.replace(/^(Environment="?)([^=\s"]+)=.*$/gm, `$1$2=${REDACTED}"`);
}

export async function buildBundle(deps: DoctorDeps, outcome: DoctorOutcome, timeoutMs: number): Promise<Buffer> {
  const deadline = Date.now() + timeoutMs;
  const left = (): number => Math.max(1, deadline - Date.now());
  const role = outcome.values.get('instance-profile') as InstanceRole | undefined;
  const auth = outcome.values.get('auth') as { token?: string } | undefined;
  const secrets = [role?.credentials.accessKeyId, role?.credentials.secretAccessKey, role?.credentials.sessionToken, auth?.token].filter(
    (s): s is string => typeof s === 'string',
  );
  const clean = (text: string): string => scrub(text, secrets);
  const entries: TarEntry[] = [];
  const add = (path: string, text: string): void => void entries.push({ path: `eks-node-doctor/${path}`, content: clean(text) });

  add('report.json', formatJson(outcome.results));

  const plan = (outcome.values.get('files') as { plan?: Plan } | undefined)?.plan;
  const config = outcome.values.get('config') as ConfigValue | undefined;
  const paths = plan ? plan.files.map((f) => f.path) : expectedPathsWithoutPlan(config?.source);
  for (const path of [...new Set(paths)].sort()) {
    const onDisk = await deps.readFile(path);
    if (onDisk) add(`files${path}`, scrubEnvironmentFile(path, onDisk.content.toString('utf8')));
  }
  for (const f of plan?.files ?? []) add(`rendered${f.path}`, scrubEnvironmentFile(f.path, f.content));

  for (const { unit } of UNITS) {
    try {
      add(`units/${unit}.json`, `${JSON.stringify(await deps.systemctlShow(unit, left()), null, 2)}\n`);
    } catch (err) {
      add(`units/${unit}.json`, `${JSON.stringify({ unit, error: describeCause(err) }, null, 2)}\n`);
    }
    try {
      const lines = await deps.journal(unit, JOURNAL_LINES, left());
      add(`journal/${unit}.log`, lines.length > 0 ? `${lines.join('\n')}\n` : '');
    } catch (err) {
      add(`journal/${unit}.log`, `journal unreadable: ${describeCause(err)}\n`);
    }
  }

  let versions: Record<string, string>;
  try {
    versions = await deps.versions(left());
  } catch (err) {
    versions = { error: describeCause(err) };
  }
  add('versions.json', `${JSON.stringify(Object.fromEntries(Object.entries(versions).sort(([a], [b]) => a.localeCompare(b))), null, 2)}\n`);

  const identity = outcome.values.get('imds') as InstanceIdentity | undefined;
  const instance = identity
    ? {
        ...Object.fromEntries(Object.entries(identity).sort(([a], [b]) => a.localeCompare(b))),
        ...(role ? { roleName: role.roleName, ...(role.instanceProfileArn ? { instanceProfileArn: role.instanceProfileArn } : {}) } : {}),
      }
    : { error: 'IMDS did not answer (see report.json)' };
  add('instance.json', `${JSON.stringify(instance, null, 2)}\n`);
  return tarGz(entries);
}
