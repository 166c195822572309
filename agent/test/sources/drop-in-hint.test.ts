import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, NoNodeConfigError } from '../../src/sources/index.js';

const noImds = {
  imds: () => {
    throw new Error('IMDS must not be asked');
  },
};
let work = '';
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** user data holding only a script (as the classic bootstrap.sh flow has), and one drop-in directory */
function node(dropIns: Record<string, string>): { script: string; dir: string } {
  work = mkdtempSync(join(tmpdir(), 'eks-node-drop-in-hint-'));
  const script = join(work, 'user-data.sh');
  writeFileSync(script, '#!/bin/bash\n/etc/eks/bootstrap.sh demo\n');
  const dir = join(work, 'eks-node-agent.d/');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(dropIns)) writeFileSync(join(dir, name), text);
  return { script, dir };
}

async function failure(uris: string[], dirs: string[]): Promise<string> {
  const err = await loadConfig(uris, noImds, { dropInDirs: dirs }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NoNodeConfigError);
  return (err as Error).message;
}

describe('no NodeConfig in the sources read, but a drop-in directory holds some', () => {
  it('names the directory, its file count, and the -c that reads it as the boot units do', async () => {
    const { script, dir } = node({ '50-bootstrap-sh.yaml': 'apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\n', 'notes.txt': 'x' });
    const message = await failure([`file://${script}`], [dir]);
    expect(message).toContain(`no NodeConfig found in file://${script}`);
    expect(message).toContain(`; ${dir} holds 1 NodeConfig file(s), which the boot units read: add -c file://${dir}`);
  });

  it('says nothing more when the directory is empty, absent, or already among the sources', async () => {
    const { script, dir } = node({});
    expect(await failure([`file://${script}`], [dir, join(work, 'absent/')])).not.toContain('boot units read');
    writeFileSync(join(dir, 'empty.yaml'), '# nothing yet\n');
    expect(await failure([`file://${script}`], [dir])).toContain('boot units read');
    expect(await failure([`file://${script}`, `file://${dir}`], [dir])).not.toContain('boot units read');
  });
});
