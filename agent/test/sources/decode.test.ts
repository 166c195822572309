import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeUserData, MAX_DECODED_BYTES } from '../../src/sources/decode.js';
import { InputError } from '../../src/errors.js';

const fx = (name: string) => readFileSync(new URL(`../../../test/fixtures/userdata/${name}`, import.meta.url));

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('decodeUserData', () => {
  it('takes a plain YAML document whole', () => {
    const out = decodeUserData(fx('complete.yaml'), 'ud');
    expect(out.documents).toHaveLength(1);
    expect(out.documents[0]!.text).toContain('kind: NodeConfig');
  });

  it('keeps only the NodeConfig part of a Karpenter-style MIME document', () => {
    const out = decodeUserData(fx('karpenter.mime'), 'ud');
    expect(out.documents.map((d) => d.where)).toEqual(['ud (MIME part 2)']);
    expect(out.documents[0]!.text).toContain('registerWithTaints');
    expect(out.documents[0]!.text).not.toContain('#!/bin/bash');
    expect(out.ignored).toEqual(['ud (MIME part 1): text/x-shellscript, ignored']);
  });

  it('decodes gzip inside whole-blob base64', () => {
    const out = decodeUserData(fx('complete.yaml.gz.b64'), 'ud');
    expect(out.documents[0]!.text).toBe(fx('complete.yaml').toString('utf8'));
  });

  it('decodes a base64 and gzip MIME part', () => {
    const part = gzipSync(fx('name-only.yaml')).toString('base64');
    const mime = [
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: application/node.eks.aws',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(gzipSync(fx('name-only.yaml'))).toString('base64'),
      '--b',
      'Content-Type: application/node.eks.aws',
      '',
      part,
      '--b--',
      '',
    ].join('\r\n');
    const out = decodeUserData(Buffer.from(mime), 'ud');
    expect(out.documents).toHaveLength(2);
    for (const doc of out.documents) expect(doc.text).toContain('name: demo');
  });

  it('treats a shell script as holding no NodeConfig', () => {
    const out = decodeUserData(fx('script-only.sh'), 'ud');
    expect(out.documents).toEqual([]);
    expect(out.ignored[0]).toMatch(/script/);
    expect(out.otherParts).toEqual(['ud']);
  });

  it('names the parts cloud-init acts on: a script or cloud-config part, not a NodeConfig or an empty part', () => {
    expect(decodeUserData(fx('complete.yaml'), 'ud').otherParts).toEqual([]);
    expect(decodeUserData(fx('karpenter.mime'), 'ud').otherParts).toEqual(['ud (MIME part 1) (text/x-shellscript)']);
    const mime = (parts: string[]) =>
      Buffer.from(`MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n\n${parts.map((p) => `--B\n${p}\n`).join('')}--B--\n`);
    const nodeConfig = 'Content-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec: {}\n';
    expect(decodeUserData(mime([nodeConfig]), 'ud').otherParts).toEqual([]);
    expect(decodeUserData(mime([nodeConfig, 'Content-Type: text/x-shellscript\n\n\n']), 'ud').otherParts).toEqual([]);
    expect(decodeUserData(mime(['Content-Type: text/cloud-config\n\n#cloud-config\nruncmd: [true]\n', nodeConfig]), 'ud').otherParts).toEqual([
      'ud (MIME part 1) (text/cloud-config)',
    ]);
    expect(decodeUserData(Buffer.from('#cloud-config\nwrite_files: []\n'), 'ud').otherParts).toEqual(['ud']);
  });

  it('rejects a MIME document whose boundary never appears', () => {
    const broken = fx('karpenter.mime').toString('utf8').replace('boundary="//"', 'boundary="XYZ"');
    expect(errorOf(() => decodeUserData(Buffer.from(broken), 'ud'))).toMatch(/^ud: MIME boundary "XYZ" never appears/);
  });

  it('rejects a MIME document without its closing delimiter', () => {
    const truncated = fx('karpenter.mime').toString('utf8').replace('--//--', '');
    expect(errorOf(() => decodeUserData(Buffer.from(truncated), 'ud'))).toMatch(/closing delimiter "--\/\/--" is missing/);
  });

  it('refuses a gzip bomb past the size cap', () => {
    const bomb = gzipSync(Buffer.alloc(MAX_DECODED_BYTES * 4, 0x20));
    expect(bomb.length).toBeLessThan(16 * 1024);
    expect(errorOf(() => decodeUserData(bomb, 'ud'))).toMatch(/expands past 1048576 bytes/);
  });

  it('rejects binary garbage', () => {
    const garbage = Buffer.from([0x00, 0xff, 0x13, 0x37, 0x80, 0x81, 0x02, 0x03, 0xfe]);
    expect(errorOf(() => decodeUserData(garbage, 'ud'))).toMatch(/^ud: not text, gzip or base64/);
  });

  it('reports an empty user data as holding nothing', () => {
    expect(decodeUserData(Buffer.alloc(0), 'ud')).toEqual({ documents: [], ignored: ['ud: empty'], advisories: [], otherParts: [] });
  });
});
