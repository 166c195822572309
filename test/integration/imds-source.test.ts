import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startImds, type ImdsEmulator } from '../emulators/imds.js';
import { fixture, runAgent } from '../support/agent.js';

let imds: ImdsEmulator | undefined;
afterEach(async () => {
  await imds?.close();
  imds = undefined;
});

const userData = (name: string) => readFileSync(fixture(`userdata/${name}`));

describe('imds://user-data (the default source)', () => {
  it('reads Karpenter-style MIME user data through IMDSv2 with one token', async () => {
    imds = await startImds({ userData: userData('karpenter.mime') });
    const r = await runAgent(['config', 'dump', '--output', 'json'], { env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url } });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).spec.kubelet.config.registerWithTaints).toEqual([{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }]);
    expect(imds.count('/latest/api/token')).toBe(1);
    expect(imds.requests.filter((q) => q.path === '/latest/user-data').every((q) => q.token)).toBe(true);
  });

  it('waits for an IMDS that is not up yet at early boot', async () => {
    imds = await startImds({ userData: userData('complete.yaml'), startDelayMs: 3_000 });
    const started = Date.now();
    const r = await runAgent(['config', 'check'], { env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url } });
    // One note after the first refused attempt, however many retries follow, then the answer.
    expect(r.stderr).toMatch(/^eks-node-agent: note: IMDS at http:\/\/127\.0\.0\.1:\d+ is not answering \([^)]*\); retrying until its deadline\. [^\n]*\n$/);
    expect(r.exitCode).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
  });

  it('fails with exit 2 naming IMDS when it never answers, within its bound', async () => {
    imds = await startImds({ userData: userData('complete.yaml'), down: true });
    const r = await runAgent(['config', 'check'], {
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, EKS_NODE_AGENT_IMDS_TIMEOUT_SECONDS: '3' },
    });
    expect(r.exitCode).toBe(2);
    const [note, error, ...rest] = r.stderr.trimEnd().split('\n');
    expect(note).toMatch(/^eks-node-agent: note: IMDS at http:\/\/127\.0\.0\.1:\d+ is not answering/);
    expect(error).toMatch(/^error: IMDS http:\/\/127\.0\.0\.1:\d+\/latest\/user-data: no usable answer within 3s/);
    expect(rest).toEqual([]);
  });

  it('says so when the instance has no user data and no other source', async () => {
    imds = await startImds({});
    const r = await runAgent(['config', 'check'], { env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('error: no NodeConfig found in imds://user-data (imds://user-data: no user data)\n');
  });

  it('lets a later file source override IMDS user data', async () => {
    imds = await startImds({ userData: userData('complete.yaml') });
    const r = await runAgent(
      ['config', 'dump', '--output', 'json', '-c', 'imds://user-data', '-c', `file://${fixture('userdata/dir-source/20-kubelet.json')}`],
      {
        env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url },
      },
    );
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).spec.kubelet.flags).toEqual(['--node-labels=team=platform', '--v=2']);
  });
});
