import type { Check } from './runner.js';
import { runChecks } from './runner.js';
import type { CheckResult, DoctorDeps } from './types.js';
import { imdsCheck, instanceProfileCheck } from './checks/imds.js';
import { configCheck } from './checks/config.js';
import { identityCheck } from './checks/identity.js';
import { caCheck, dnsCheck, tcpCheck, tlsCheck } from './checks/endpoint.js';
import { authCheck, clockCheck, kubeletVersionCheck, registrationCheck } from './checks/apiserver.js';
import { podsCheck } from './checks/pods.js';
import { podDnsCheck } from './checks/pod-dns.js';
import { filesCheck } from './checks/files.js';
import { storageCheck } from './checks/storage.js';
import { cloudInitCheck } from './checks/cloud-init.js';
import { environmentCheck } from './checks/environment.js';
import { registryCheck } from './checks/registry.js';
import { forwardCheck } from './checks/forward.js';
import { nodeNameCheck } from './checks/node-name.js';
import { servingCertCheck } from './checks/serving-cert.js';
import { unitChecks } from './checks/services.js';
import { scrub, secretsOf } from './scrub.js';

export interface DoctorRunOptions {
  configSources: string[];
  timeoutSeconds: number;
}

/** Every check in report order; the runner starts each as soon as what it needs has passed. */
export function buildChecks(deps: DoctorDeps, options: DoctorRunOptions): Check[] {
  return [
    imdsCheck(deps),
    instanceProfileCheck(deps),
    configCheck(deps, options.configSources),
    identityCheck(deps),
    nodeNameCheck(deps),
    dnsCheck(deps),
    tcpCheck(),
    tlsCheck(),
    caCheck(deps),
    authCheck(deps),
    clockCheck(deps),
    kubeletVersionCheck(deps),
    filesCheck(deps),
    storageCheck(deps),
    forwardCheck(deps),
    podDnsCheck(deps),
    cloudInitCheck(deps),
    environmentCheck(deps),
    registryCheck(deps),
    ...unitChecks(deps),
    registrationCheck(deps),
    servingCertCheck(deps),
    podsCheck(deps),
  ];
}

/** The report plus what the checks learnt (for the bundle; holds secrets, never printed). */
export interface DoctorOutcome {
  results: CheckResult[];
  values: Map<string, unknown>;
}

export async function doctor(deps: DoctorDeps, options: DoctorRunOptions): Promise<DoctorOutcome> {
  const settled = await runChecks(buildChecks(deps, options), options.timeoutSeconds * 1000);
  const values = new Map<string, unknown>();
  for (const { name, value } of settled) if (value !== undefined) values.set(name, value);
  // Scrubbed here, once, so the terminal, --output json and the bundle's report.json all carry
  // the same clean lines (a journal line quoted in a detail may hold a token or a password).
  const secrets = secretsOf(values);
  const clean = (text: string): string => scrub(text, secrets);
  const results = settled.map(({ value: _value, ...result }) => ({
    ...result,
    detail: clean(result.detail),
    ...(result.hint === undefined ? {} : { hint: clean(result.hint) }),
  }));
  return { results, values };
}

/** A check cut by the deadline leaves the node's health unproven, so it fails the run too. */
export const failed = (results: CheckResult[]): boolean => results.some((r) => r.status === 'fail' || r.status === 'timeout');
