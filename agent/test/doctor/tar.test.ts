import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { tarGz } from '../../src/doctor/tar.js';

const run = promisify(execFile);
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('tarGz', () => {
  it('writes an archive GNU tar extracts, with contents, modes and a long path intact', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tar-test-'));
    const long = `b/${'deep-directory-name/'.repeat(7)}file.conf`;
    const data = tarGz([
      { path: 'b/x.txt', content: 'hello\n', mode: 0o600 },
      { path: long, content: Buffer.from([0, 1, 2, 255]) },
      { path: 'a/empty', content: '' },
    ]);
    await writeFile(join(dir, 'out.tar.gz'), data);
    const { stdout } = await run('tar', ['-tzf', join(dir, 'out.tar.gz')]);
    expect(stdout.trim().split('\n')).toEqual(['a/empty', long, 'b/x.txt']);
    await run('tar', ['-xzf', join(dir, 'out.tar.gz'), '-C', dir]);
    expect(await readFile(join(dir, 'b/x.txt'), 'utf8')).toBe('hello\n');
    expect((await stat(join(dir, 'b/x.txt'))).mode & 0o777).toBe(0o600);
    expect([...(await readFile(join(dir, long)))]).toEqual([0, 1, 2, 255]);
    const { stdout: verbose } = await run('tar', ['-tvzf', join(dir, 'out.tar.gz')]);
    expect(verbose).toContain('root/root');
    expect(verbose).toContain('2024-01-01');
  });

  it('gives the same bytes for the same entries in any order', () => {
    const a = tarGz([
      { path: 'x', content: '1' },
      { path: 'y', content: '2' },
    ]);
    const b = tarGz([
      { path: 'y', content: '2' },
      { path: 'x', content: '1' },
    ]);
    expect(a.equals(b)).toBe(true);
  });
});
