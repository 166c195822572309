import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { yamlString } from '../../src/templates/escape.js';

// Values YAML 1.1 (Go's YAML, which the kubelet and kubectl read the kubeconfig with) or 1.2
// would read as something other than the string: booleans, null, numbers, timestamps, keys.
const TRICKY = [
  'on',
  'ON',
  'Off',
  'yes',
  'y',
  'N',
  'no',
  'true',
  'False',
  'null',
  'NULL',
  '~',
  '1_000',
  '0777',
  '1e3',
  '0x1F',
  '0o17',
  '0b101',
  '123',
  '1.5',
  '.inf',
  '.nan',
  '1:20',
  '2024-01-02',
  'a:',
  'a: b',
  '#x',
  '-',
  '- x',
  '? x',
  '&a',
  '*a',
  '!x',
  '|',
  '>',
  "'x'",
  '"x"',
  '%x',
  '@x',
  '`x',
  '',
  ' x',
  'x ',
  'x\ny',
  'tab\tx',
  'é',
  '<<',
  '=',
];

describe('yamlString', () => {
  it('writes names, regions, URLs and paths plain, as the kubeconfig has always held them', () => {
    for (const v of [
      'my-cluster',
      'test_cluster',
      'us-west-2',
      'https://ABCDEF0123456789.gr7.us-west-2.eks.amazonaws.com',
      '/etc/kubernetes/pki/ca.crt',
      '8c4b2c3e-5f7a-4b1e-9d2a-0123456789ab',
      '12abc',
    ]) {
      expect(yamlString(v), v).toBe(v);
    }
  });

  it('quotes what YAML 1.1 or 1.2 would read as anything but the same string', () => {
    for (const v of ['on', 'yes', 'y', 'off', 'null', '1_000', '0777', '1e3', '0x1F', '123', '2024-01-02', 'a:', '']) {
      expect(yamlString(v), v).toBe(JSON.stringify(v));
    }
  });

  it('reads back as the same string under YAML 1.1 and 1.2, as a sequence item and a mapping value', () => {
    for (const v of [...TRICKY, 'my-cluster', '8c4b2c3e-5f7a-4b1e-9d2a-0123456789ab']) {
      for (const version of ['1.1', '1.2'] as const) {
        expect(parse(`args:\n  - ${yamlString(v)}\n`, { version }), `${JSON.stringify(v)} in ${version}`).toEqual({ args: [v] });
        expect(parse(`server: ${yamlString(v)}\nnext: 1\n`, { version }), `${JSON.stringify(v)} in ${version}`).toEqual({ server: v, next: 1 });
      }
    }
  });
});
