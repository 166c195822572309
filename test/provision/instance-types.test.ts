import { mkdir, mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { startEc2, type Ec2Emulator } from '../emulators/ec2.js';

// scripts/gen-instance-types.ts run as the build runs it, against the EC2 emulator, and
// scripts/provision/install-instance-types.sh on what it wrote (and on the fixture the
// local build bakes).
const GENERATOR = path.resolve('scripts/gen-instance-types.ts');
const INSTALLER = path.resolve('scripts/provision/install-instance-types.sh');
const FIXTURE = path.resolve('test/fixtures/instance-types.jsonl');

let dir: string;
let ec2: Ec2Emulator | undefined;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'instance-types-'));
});
afterEach(async () => {
  await ec2?.close();
  ec2 = undefined;
  await rm(dir, { recursive: true, force: true });
});

function generate(args: string[]) {
  return execa('node', ['--import', 'tsx', GENERATOR, ...args], {
    reject: false,
    env: {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_EC2_METADATA_DISABLED: 'true',
      // Node 20 is what CI runs; the SDK's notice about future versions is not under test.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_CONFIG_FILE: path.join(dir, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'),
    },
  });
}

const install = (uploadDir: string) => execa('bash', [INSTALLER], { reject: false, env: { UPLOAD_DIR: uploadDir, INSTALL_ROOT: path.join(dir, 'root') } });

describe('gen-instance-types.ts', () => {
  it('walks every page and writes the sorted table the agent reads', async () => {
    ec2 = await startEc2();
    const out = path.join(dir, 'instance-types.jsonl');
    const result = await generate(['--region', 'us-west-2', '--endpoint', ec2.url, '--out', out, '--page-size', '5']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('10 instance types written');
    // Ten types at five a page: two requests, the second carrying the first's token.
    expect(ec2.requests.map((r) => [r.action, r.params.MaxResults, r.params.NextToken !== undefined])).toEqual([
      ['DescribeInstanceTypes', '5', false],
      ['DescribeInstanceTypes', '5', true],
    ]);
    const lines = (await readFile(out, 'utf8')).split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines).toContain('{"instanceType":"m5.large","defaultNetworkCardEnis":3,"ipv4PerEni":10,"ipv6":true}');
    // Four network cards of 15 ENIs: only the default card's count.
    expect(lines).toContain('{"instanceType":"p4d.24xlarge","defaultNetworkCardEnis":15,"ipv4PerEni":50,"ipv6":true}');
    const types = lines.filter(Boolean).map((l) => (JSON.parse(l) as { instanceType: string }).instanceType);
    expect(types).toEqual([...types].sort());
    expect(types).toHaveLength(10);

    // The installer in the image accepts exactly this format.
    await mkdir(path.join(dir, 'upload'));
    await copyFile(out, path.join(dir, 'upload/instance-types.jsonl'));
    const installed = await install(path.join(dir, 'upload'));
    expect(installed.stderr).toBe('');
    expect(await readFile(path.join(dir, 'root/etc/eks/instance-types.jsonl'), 'utf8')).toBe(await readFile(out, 'utf8'));
  });

  it('rides out throttling through the SDK retries', async () => {
    ec2 = await startEc2({ throttleFirst: 2 });
    const out = path.join(dir, 'out.jsonl');
    const result = await generate(['--region', 'us-west-2', '--endpoint', ec2.url, '--out', out]);
    expect(result.exitCode).toBe(0);
    expect(ec2.requests.map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('exits 2 with one line naming the call when EC2 refuses it', async () => {
    ec2 = await startEc2({ unauthorized: true });
    const result = await generate(['--region', 'us-west-2', '--endpoint', ec2.url, '--out', path.join(dir, 'x.jsonl')]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^gen-instance-types: ec2:DescribeInstanceTypes page 1 failed \(.*UnauthorizedOperation/);
  });

  it('exits 2 naming the deadline when EC2 does not answer in time', async () => {
    ec2 = await startEc2({ delayMs: 5_000 });
    const result = await generate(['--region', 'us-west-2', '--endpoint', ec2.url, '--out', path.join(dir, 'x.jsonl'), '--timeout-seconds', '1']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe('gen-instance-types: ec2:DescribeInstanceTypes page 1 did not finish within the 1000 ms deadline');
  });

  it('exits 1 listing every bad option', async () => {
    const result = await generate(['--region', 'mars', '--page-size', '500']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'gen-instance-types: --region: "mars" is not a region (expected e.g. "us-west-2")',
      'gen-instance-types: --out: missing (expected the path of the .jsonl file to write)',
      'gen-instance-types: --page-size: "500" is not a whole number from 5 to 100',
    ]);
  });
});

describe('install-instance-types.sh', () => {
  it('installs the fixture the local build bakes', async () => {
    await mkdir(path.join(dir, 'upload'));
    await copyFile(FIXTURE, path.join(dir, 'upload/instance-types.jsonl'));
    const result = await install(path.join(dir, 'upload'));
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('rejects a malformed line naming its number, and an unsorted table', async () => {
    await mkdir(path.join(dir, 'upload'));
    const good = '{"instanceType":"m5.large","defaultNetworkCardEnis":3,"ipv4PerEni":10,"ipv6":true}';
    await writeFile(path.join(dir, 'upload/instance-types.jsonl'), `${good}\n{"instanceType":"t3.micro"}\n`);
    const bad = await install(path.join(dir, 'upload'));
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('line 2 is not an instance-type record');
    const earlier = '{"instanceType":"c5.large","defaultNetworkCardEnis":3,"ipv4PerEni":10,"ipv6":true}';
    await writeFile(path.join(dir, 'upload/instance-types.jsonl'), `${good}\n${earlier}\n`);
    const unsorted = await install(path.join(dir, 'upload'));
    expect(unsorted.exitCode).toBe(1);
    expect(unsorted.stderr).toContain('is not sorted by instanceType');
  });
});
