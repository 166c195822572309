import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { Imds } from '../../src/aws/imds.js';
import { IMDS_ANSWERS_PATH, keepImdsAnswers, readImdsAnswers, recordingImds, replayingImds } from '../../src/aws/imds-answers.js';

/** An in-memory IMDS: path → bytes; a missing path is a 404. Counts what it was asked. */
function memoryImds(paths: Record<string, Buffer | string>) {
  const asked: string[] = [];
  const bytes = (path: string) => {
    asked.push(path);
    const v = paths[path];
    return v === undefined ? undefined : Buffer.from(v);
  };
  const imds: Imds = {
    endpoint: 'http://169.254.169.254',
    async get(path) {
      const b = bytes(path);
      if (!b) throw new Error(`${path}: not found (404)`);
      return b.toString('utf8');
    },
    async getOptional(path) {
      return bytes(path)?.toString('utf8');
    },
    async getBytesOptional(path) {
      return bytes(path);
    },
  };
  return { imds, asked };
}

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function keep(content: string): string {
  root = mkdtempSync(join(tmpdir(), 'imds-answers-'));
  const file = join(root, IMDS_ANSWERS_PATH);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return root;
}

describe('IMDS answers kept for the run phase', () => {
  const userData = gzipSync('apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\n');

  it('gives back exactly what was answered, bytes and 404s alike, through the file the config phase writes', async () => {
    const live = memoryImds({ 'user-data': userData, 'meta-data/mac': '0e:aa:bb:cc:dd:ee\n', 'meta-data/local-hostname': 'ip-10-0-1-23.ec2.internal' });
    const rec = recordingImds(live.imds);
    expect(await rec.getBytesOptional('user-data')).toEqual(userData);
    expect(await rec.get('meta-data/mac')).toBe('0e:aa:bb:cc:dd:ee\n');
    expect(await rec.getOptional('meta-data/network/interfaces/macs/0e:aa:bb:cc:dd:ee/ipv6s')).toBeUndefined();
    await expect(rec.get('meta-data/local-ipv4')).rejects.toThrow(/404/);

    root = mkdtempSync(join(tmpdir(), 'imds-answers-'));
    keepImdsAnswers(root, rec);
    // readable by root only, and no temporary file left beside it
    expect(statSync(join(root, IMDS_ANSWERS_PATH)).mode & 0o777).toBe(0o600);
    expect(readdirSync(dirname(join(root, IMDS_ANSWERS_PATH)))).toEqual(['imds-answers.json']);
    const kept = readImdsAnswers(root, 'http://169.254.169.254');
    expect(kept.problem).toBeUndefined();

    const later = memoryImds({ 'meta-data/local-ipv4': '10.0.1.23', 'meta-data/local-hostname': 'ip-10-0-1-23.ec2.internal' });
    const replay = replayingImds(kept.answers!, 'http://169.254.169.254', () => later.imds);
    expect(await replay.getBytesOptional('user-data')).toEqual(userData);
    expect(await replay.get('meta-data/mac')).toBe('0e:aa:bb:cc:dd:ee\n');
    expect(await replay.getOptional('meta-data/network/interfaces/macs/0e:aa:bb:cc:dd:ee/ipv6s')).toBeUndefined();
    // a failed read was not kept: IMDS is asked
    expect(await replay.get('meta-data/local-ipv4')).toBe('10.0.1.23');
    // never asked by the config phase: IMDS is asked
    expect(await replay.getOptional('meta-data/local-hostname')).toBe('ip-10-0-1-23.ec2.internal');
    expect(later.asked).toEqual(['meta-data/local-ipv4', 'meta-data/local-hostname']);
    expect(replay.counts()).toEqual({ kept: 3, asked: 2 });
    // IPv4 answered: no fallback is remembered
    expect(JSON.parse(readFileSync(join(root, IMDS_ANSWERS_PATH), 'utf8'))).not.toHaveProperty('servedBy');
    expect(replay.servedBy).toBeUndefined();
  });

  it('remembers that the fallback endpoint answered, so the run phase plans what the config phase did', async () => {
    const live = memoryImds({ 'meta-data/mac': '0e:aa:bb:cc:dd:ee\n' });
    const overIpv6: Imds = { ...live.imds, servedBy: 'http://[fd00:ec2::254]' };
    const rec = recordingImds(overIpv6);
    await rec.get('meta-data/mac');
    expect(rec.servedBy).toBe('http://[fd00:ec2::254]');
    root = mkdtempSync(join(tmpdir(), 'imds-answers-'));
    keepImdsAnswers(root, rec);
    const kept = readImdsAnswers(root, 'http://169.254.169.254');
    expect(kept.answers?.servedBy).toBe('http://[fd00:ec2::254]');
    // served by the kept answers alone: the fallback is the one they came from
    const ipv4Now = memoryImds({ 'meta-data/local-ipv4': '10.0.1.23' });
    const replay = replayingImds(kept.answers!, 'http://169.254.169.254', () => ipv4Now.imds);
    await replay.get('meta-data/mac');
    expect(replay.servedBy).toBe('http://[fd00:ec2::254]');
    // once IMDS is asked, the live client says which endpoint answers now
    const fallbackNow = memoryImds({ 'meta-data/local-ipv4': '10.0.1.23' });
    const fresh = replayingImds({ answers: {} }, 'http://169.254.169.254', () => ({ ...fallbackNow.imds, servedBy: 'http://[fd00:ec2::254]' }));
    expect(fresh.servedBy).toBeUndefined();
    await fresh.get('meta-data/local-ipv4');
    expect(fresh.servedBy).toBe('http://[fd00:ec2::254]');
  });

  it('asks IMDS when get() needs what was kept as a 404, so the error is the live one', async () => {
    const later = memoryImds({});
    const replay = replayingImds({ answers: { 'meta-data/mac': null } }, 'http://169.254.169.254', () => later.imds);
    await expect(replay.get('meta-data/mac')).rejects.toThrow(/404/);
    expect(later.asked).toEqual(['meta-data/mac']);
  });

  it('says what is wrong with a file it cannot use, and nothing when there is none', () => {
    root = mkdtempSync(join(tmpdir(), 'imds-answers-'));
    expect(readImdsAnswers(root, 'http://169.254.169.254')).toEqual({});
    const cases: Array<[string, string]> = [
      ['{', 'not JSON'],
      ['null', 'not a file written by this agent'],
      ['{"version":1,"endpoint":"http://169.254.169.254","answers":[]}', 'not a file written by this agent'],
      ['{"version":1,"endpoint":"http://169.254.169.254","answers":{"user-data":5}}', 'not a file written by this agent'],
      ['{"version":1,"endpoint":"http://127.0.0.1:8080","answers":{}}', 'kept for IMDS at http://127.0.0.1:8080, not http://169.254.169.254'],
      // an endpoint no string converts (a damaged file): shown as it is written, not a crash
      ['{"version":1,"endpoint":{"toString":0},"answers":{}}', 'kept for IMDS at {"toString":0}, not http://169.254.169.254'],
      // one nested past JSON.stringify's stack: named, not a RangeError out of the run phase
      [
        `{"version":1,"endpoint":${'['.repeat(50_000)}${']'.repeat(50_000)},"answers":{}}`,
        'kept for IMDS at (a value nested too deep to show), not http://169.254.169.254',
      ],
      // an identity document the boot would refuse from IMDS: every call after it would take its region
      [
        `{"version":1,"endpoint":"http://169.254.169.254","answers":{"dynamic/instance-identity/document":"${Buffer.from(
          '{"instanceId":"i-0123456789abcdef0","instanceType":"m5.large","region":"us west 2","availabilityZone":"us-west-2a"}',
        ).toString('base64')}"}}`,
        'its identity document: IMDS dynamic/instance-identity/document: region "us west 2" is not a region name (expected e.g. "us-west-2")',
      ],
      [
        `{"version":1,"endpoint":"http://169.254.169.254","answers":{"dynamic/instance-identity/document":"${Buffer.from('{"instanceId":').toString('base64')}"}}`,
        'its identity document: IMDS dynamic/instance-identity/document: not JSON ("{\\"instanceId\\":")',
      ],
    ];
    for (const [content, problem] of cases) {
      rmSync(root, { recursive: true, force: true });
      expect(readImdsAnswers(keep(content), 'http://169.254.169.254')).toEqual({ problem });
    }
  });
});
