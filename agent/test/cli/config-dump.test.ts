import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run as check } from '../../src/cli/config-check.js';
import { run as dump } from '../../src/cli/config-dump.js';
import { InputError } from '../../src/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'eks-node-dump-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), 'utf8');
const source = (name: string, text: string) => {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return `file://${path}`;
};

/** runs a command with IMDS out of reach (file sources only), collecting stdout and stderr lines */
async function collect(command: typeof check | typeof dump, configSources: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://imds.invalid' };
  const options = { configSources, output: 'json' };
  try {
    await command(
      options,
      env,
      (l) => stdout.push(l),
      (l) => stderr.push(l),
    );
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    stderr.push(...err.problems.map((p) => `error: ${p}`));
  }
  return { stdout, stderr };
}

// legacy registry mirrors: a warning in config check, in render and at boot
const MIRRORS =
  '  containerd:\n    config: |\n      [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n      endpoint = ["https://mirror.example"]\n';

describe('config dump says on stderr what config check says about the config', () => {
  it('an advisory problem: an error for check, a warning for dump, same text; stdout stays the JSON dump', async () => {
    const uri = source('unknown.yaml', fixture('bad/unknown-field.yaml'));
    const c = await collect(check, [uri]);
    const d = await collect(dump, [uri]);
    const errors = c.stderr.filter((l) => l.startsWith('error: ')).map((l) => l.slice('error: '.length));
    expect(errors).toEqual([expect.stringContaining('futureField')]);
    expect(d.stderr).toEqual(errors.map((e) => `warning: ${e}`));
    expect(JSON.parse(d.stdout.join('\n')).spec.cluster.name).toBe('demo');
  });

  it('the warnings and notes check prints after "valid" reach dump through the same lines; ignored parts stay check\'s', async () => {
    const complete = fixture('userdata/complete.yaml');
    const uri = source('mirrors.yaml', `${complete.replace(/\n?$/, '\n')}${MIRRORS}`.replace('spec:\n', 'spec:\n  featureGates:\n    FastImagePull: true\n'));
    const c = await collect(check, [uri, source('empty.yaml', '')]);
    const d = await collect(dump, [uri, source('empty.yaml', '')]);
    expect(c.stdout).toContainEqual(expect.stringMatching(/^ignored: .*empty\.yaml: empty$/));
    const remarks = c.stdout.filter((l) => /^(warning|note): /.test(l));
    expect(remarks).toEqual([
      'note: spec.featureGates.FastImagePull is accepted but has no effect yet',
      expect.stringMatching(/^warning: spec\.containerd\.config: sets registry mirrors/),
    ]);
    expect(d.stderr).toEqual(remarks);
    expect(JSON.parse(d.stdout.join('\n')).spec.featureGates).toEqual({ FastImagePull: true });
  });
});
