import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render/index.js';
import { type TestCert, createTestCa } from '../../../test/support/pki.js';
import { CASES_DIR, CA_PATH, caseNames, goldenFiles, loadCase } from './golden.js';
import { loadCel } from '../../src/api/cel.js';

// render compiles maxPodsExpression synchronously; the CLI loads CEL first, as these tests do
beforeAll(loadCel);

/**
 * Whole-output golden tests: each directory under test/fixtures/render is a case whose
 * expected/ mirrors the node's paths (plus plan.json for modes, units and warnings).
 * Regenerate after an intended change with:  UPDATE_GOLDEN=1 npx vitest run agent/test/render/golden.test.ts
 * and review the diff. The CA is made per run, so ca.crt is compared with it instead of a file.
 */
const update = process.env.UPDATE_GOLDEN === '1';

function walk(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

let ca: TestCert;
beforeAll(async () => {
  ca = await createTestCa();
});

describe('render golden files', () => {
  it('has cases', () => {
    expect(caseNames().length).toBeGreaterThanOrEqual(8);
  });

  for (const name of caseNames()) {
    it(name, () => {
      const input = loadCase(name, ca.certBase64);
      const plan = render(input.config, input.facts, input.options);
      expect(plan.files.find((f) => f.path === CA_PATH)?.content).toBe(ca.certPem);

      const actual = goldenFiles(plan);
      const expectedDir = join(CASES_DIR, name, 'expected');
      if (update) {
        rmSync(expectedDir, { recursive: true, force: true });
        for (const [rel, content] of actual) {
          mkdirSync(dirname(join(expectedDir, rel)), { recursive: true });
          writeFileSync(join(expectedDir, rel), content);
        }
      }
      expect(walk(expectedDir)).toEqual([...actual.keys()].sort());
      for (const [rel, content] of actual) {
        expect(content, `${name}/expected/${rel}`).toBe(readFileSync(join(expectedDir, rel), 'utf8'));
      }
    });
  }
});
