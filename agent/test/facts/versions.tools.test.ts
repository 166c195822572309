import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { parseContainerdVersion, readContainerdVersion } from '../../src/facts/versions.js';
import { tempRoot, type TempRoot } from './root.js';

/* The version case that needs the real containerd (`npm run test:tools` checks it is installed). */

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.remove();
  root = undefined;
});

describe('reading versions', () => {
  it('falls back to the real `containerd --version` of this machine', async () => {
    root = await tempRoot();
    const real = execFileSync('containerd', ['--version'], { encoding: 'utf8' });
    expect(await readContainerdVersion(root.dir)).toBe(parseContainerdVersion(real));
  });
});
