import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { ResolvedNodeConfig } from '../../src/api/schema.js';
import type { Facts } from '../../src/facts/types.js';
import type { RenderOptions } from '../../src/render/context.js';
import type { Plan } from '../../src/render/plan.js';

/** test/fixtures/render/<case>/{input.yaml, expected/…}; see golden.test.ts. */
export const CASES_DIR = resolve(import.meta.dirname, '../../../test/fixtures/render');
export const CA_PLACEHOLDER = '@test-ca';
export const CA_PATH = '/etc/kubernetes/pki/ca.crt';

export interface CaseInput {
  config: ResolvedNodeConfig;
  facts: Facts;
  options?: RenderOptions;
}

export function caseNames(): string[] {
  return readdirSync(CASES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** The case's input with the CA placeholder replaced by a certificate made for this test run. */
export function loadCase(name: string, caBase64: string): CaseInput {
  const input = parse(readFileSync(join(CASES_DIR, name, 'input.yaml'), 'utf8')) as CaseInput;
  const cluster = input.config.spec.cluster;
  if (cluster.certificateAuthority === CA_PLACEHOLDER) cluster.certificateAuthority = caBase64;
  return input;
}

/** What a case's expected/ directory holds: every file but the per-run CA, and a plan summary. */
export function goldenFiles(plan: Plan): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of plan.files) if (f.path !== CA_PATH) out.set(f.path.slice(1), f.content);
  const summary = {
    files: plan.files.map((f) => ({ path: f.path, mode: `0${f.mode.toString(8)}` })),
    units: plan.units,
    warnings: plan.warnings,
    ...(plan.notes ? { notes: plan.notes } : {}),
  };
  out.set('plan.json', `${JSON.stringify(summary, null, 2)}\n`);
  return out;
}
