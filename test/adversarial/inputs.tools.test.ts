import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { fileUri } from '../support/agent.js';
import { completeCluster, nodeConfig, oneErrorLine, runBounded } from './support.js';

/*
 * Inputs built to hang or exhaust the node. Each must end in one `error:` line naming the limit
 * or the refusal, exit 1, well within the time and memory bounds (a quiet machine needs well
 * under a second and ~100 MiB; the bounds leave room for a loaded CI runner).
 */
const TIME_BOUND_MS = 8_000;
const MEMORY_BOUND_MIB = 300;

const dir = mkdtempSync(join(tmpdir(), 'eks-adv-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const put = (name: string, content: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

async function refused(uri: string, expected: RegExp): Promise<void> {
  const r = await runBounded(['config', 'check', '-c', uri], { killAfterMs: 60_000 });
  expect(r.exitCode, r.stderr).toBe(1);
  expect(oneErrorLine(r.stderr)).toMatch(expected);
  expect(r.ms).toBeLessThan(TIME_BOUND_MS);
  expect(r.maxRssMiB).toBeLessThan(MEMORY_BOUND_MIB);
}

describe('files that are not files', () => {
  it.each([
    ['/dev/zero', /file:\/\/\/dev\/zero: a character device, not a regular file/],
    ['/dev/urandom', /file:\/\/\/dev\/urandom: a character device, not a regular file/],
  ])('%s is refused by type, not read', async (path, expected) => {
    await refused(fileUri(path), expected);
  });

  it('a FIFO is refused without waiting for a writer', async () => {
    const fifo = join(dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    await refused(fileUri(fifo), /config\.fifo: a FIFO, not a regular file/);
  });

  it('a symlink to /dev/zero or a FIFO inside a directory source is refused too', async () => {
    const d = join(dir, 'drop-ins');
    mkdirSync(d);
    writeFileSync(join(d, '10-ok.yaml'), nodeConfig({ cluster: completeCluster }));
    symlinkSync('/dev/zero', join(d, '20-zero.yaml'));
    await refused(fileUri(d), /20-zero\.yaml: a character device, not a regular file/);
    rmSync(join(d, '20-zero.yaml'));
    execFileSync('mkfifo', [join(d, '30-pipe.yaml')]);
    await refused(fileUri(d), /30-pipe\.yaml: a FIFO, not a regular file/);
  });

  it('a file larger than user data may be is refused by its size', async () => {
    const big = put('big.yaml', `${nodeConfig({ cluster: completeCluster })}# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    await refused(fileUri(big), /big\.yaml: \d+ bytes is more than the 1048576-byte limit for a config source/);
  });
});

describe('documents built to exhaust the parser', () => {
  it('MIME multipart nested 3,000 deep', async () => {
    let body = `Content-Type: application/node.eks.aws\n\n${nodeConfig({ cluster: completeCluster })}`;
    for (let i = 0; i < 3000; i++) body = `Content-Type: multipart/mixed; boundary="b${i}"\n\n--b${i}\n${body}\n--b${i}--\n`;
    await refused(fileUri(put('deep.mime', `MIME-Version: 1.0\n${body}`)), /MIME multipart nested deeper than 8 levels/);
  });

  it('JSON nested 100,000 deep under kubelet.config', async () => {
    const depth = 100_000;
    const text = `{"apiVersion":"node.eks.aws/v1alpha1","kind":"NodeConfig","spec":{"cluster":${JSON.stringify(completeCluster)},"kubelet":{"config":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}}}`;
    await refused(fileUri(put('deep.json', text)), /deep\.json: nesting deeper than 64 levels at line 1/);
  });

  it('a YAML alias bomb', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const text = `apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster: ${JSON.stringify(completeCluster)}\n  kubelet:\n    config:\n${levels.map((l) => `      ${l}`).join('\n')}\n`;
    await refused(fileUri(put('bomb.yaml', text)), /bomb\.yaml: YAML aliases expand past the limit of 100/);
  });

  it('a YAML alias inside the node it names', async () => {
    const text = `apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster: ${JSON.stringify(completeCluster)}\n  kubelet:\n    config: &c\n      - *c\n`;
    await refused(fileUri(put('self.yaml', text)), /self\.yaml: spec\.kubelet\.config\[0\]: a YAML alias refers to a node that contains it/);
  });

  it('a gzip decompression bomb', async () => {
    await refused(fileUri(put('bomb.gz', gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x41)))), /gzip data expands past 1048576 bytes/);
  });
});
