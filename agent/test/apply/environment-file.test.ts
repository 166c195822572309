import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandGlob, isGlob, parseEnvironmentFile } from '../../src/apply/environment-file.js';

describe('parseEnvironmentFile, as systemd reads an EnvironmentFile=', () => {
  it('reads the proxy file a node image drops in, with comments, blank lines and quoting', () => {
    const text = [
      '# written by the image bake',
      '; another comment',
      '',
      'HTTPS_PROXY=http://proxy.internal:3128',
      '  HTTP_PROXY = "http://proxy.internal:3128"  ',
      "NO_PROXY='169.254.169.254,localhost,.internal'",
      'export NOT_A_NAME=1',
      'no equals sign here',
    ].join('\n');
    expect(parseEnvironmentFile(text)).toEqual({
      HTTPS_PROXY: 'http://proxy.internal:3128',
      HTTP_PROXY: 'http://proxy.internal:3128',
      NO_PROXY: '169.254.169.254,localhost,.internal',
    });
  });

  it('keeps inner blanks of an unquoted value, drops trailing ones, and unescapes a backslash', () => {
    expect(parseEnvironmentFile('A=two words  \t\nB=a\\ \nC=\\$HOME\\\\x\nD=x "y" z\nE=\n')).toEqual({
      A: 'two words',
      B: 'a ',
      C: '$HOME\\x',
      D: 'x "y" z',
      E: '',
    });
  });

  it('continues a line after a backslash, spans lines in quotes and joins quoted pieces', () => {
    expect(parseEnvironmentFile('A=one\\\ntwo\nB="x\ny"\nC=\'single $HOME \\n\'\nD="a\\"b\\\\c\\$d\\e\\\nf"\nE="p"\'q\' r\n')).toEqual({
      A: 'onetwo',
      B: 'x\ny',
      C: 'single $HOME \\n',
      D: 'a"b\\c$d\\ef',
      E: 'pqr',
    });
  });

  it('lets a later assignment win, ends a line at a carriage return, and reads a last line without a newline', () => {
    expect(parseEnvironmentFile('A=1\r\nA=2\r\nB=last')).toEqual({ A: '2', B: 'last' });
    expect(parseEnvironmentFile('# comment \\\nC=after a comment ending in a backslash')).toEqual({ C: 'after a comment ending in a backslash' });
    expect(parseEnvironmentFile('KEYONLY\n1BAD=x\nGOOD_1=y')).toEqual({ GOOD_1: 'y' });
  });
});

describe('EnvironmentFile= wildcard expressions, expanded as glob(3) does', () => {
  it('matches within one segment, skips leading dots, takes classes and escapes, and sorts by name', async () => {
    const root = mkdtempSync(join(tmpdir(), 'eks-node-glob-'));
    try {
      for (const dir of ['a', 'b', 'c.d']) mkdirSync(join(root, 'conf', dir), { recursive: true });
      for (const file of ['conf/a/x.env', 'conf/b/y.env', 'conf/b/.z.env', 'conf/c.d/w.env', 'conf/B.env', 'conf/a1.env', 'conf/ab.env', 'conf/star*.env'])
        writeFileSync(join(root, file), '');
      writeFileSync(join(root, 'conf/file-not-dir'), '');
      const names = async (pattern: string) => (await expandGlob(`${root}/${pattern}`)).map((p) => p.slice(root.length + 1));
      expect(await names('conf/*/*.env')).toEqual(['conf/a/x.env', 'conf/b/y.env', 'conf/c.d/w.env']);
      expect(await names('conf/b/.*.env')).toEqual(['conf/b/.z.env']);
      expect(await names('conf/a?.env')).toEqual(['conf/a1.env', 'conf/ab.env']);
      expect(await names('conf/a[0-9].env')).toEqual(['conf/a1.env']);
      expect(await names('conf/a[!0-9].env')).toEqual(['conf/ab.env']);
      expect(await names('conf/*.env')).toEqual(['conf/B.env', 'conf/a1.env', 'conf/ab.env', 'conf/star*.env']);
      expect(await names('conf/star\\*.env')).toEqual(['conf/star*.env']);
      expect(await names('conf/[ab]/*')).toEqual(['conf/a/x.env', 'conf/b/y.env']);
      expect(await names('conf/*/x.env')).toEqual(['conf/a/x.env']);
      expect(await names('conf/file-not-dir/*')).toEqual([]);
      expect(await names('nowhere/*.env')).toEqual([]);
      expect(isGlob('/etc/eks/kubelet/environment')).toBe(false);
      expect(isGlob('/etc/env.d/*.env')).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
