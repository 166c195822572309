import type { Check } from './runner.js';
import { runChecks } from './runner.js';
import type { CheckResult, DoctorDeps } from './types.js';
import { imdsCheck, instanceProfileCheck } from './checks/imds.js';
import { configCheck } from './checks/config.js';
import { identityCheck } from './checks/identity.js';
import { caCheck, dnsCheck, tcpCheck, tlsCheck } from './checks/endpoint.js';
import { authCheck, clockCheck, registrationCheck } from './checks/apiserver.js';
import { filesCheck } from './checks/files.js';
import { nodeNameCheck } from './checks/node-name.js';
import { UNITS, unitCheck } from './checks/services.js';

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
    filesCheck(deps),
    ...UNITS.map(({ unit, oneshot }) => unitCheck(deps, unit, oneshot)),
    registrationCheck(deps),
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
  const results = settled.map(({ value, ...result }) => {
    if (value !== undefined) values.set(result.name, value);
    return result;
  });
  return { results, values };
}

export const failed = (results: CheckResult[]): boolean => results.some((r) => r.status === 'fail');
