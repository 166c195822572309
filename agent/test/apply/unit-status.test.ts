import { describe, expect, it } from 'vitest';
import { environmentList, parseServiceEnvironment, parseSystemctlShow } from '../../src/apply/unit-status.js';

describe('systemctl show, as doctor reads it', () => {
  it('takes the properties it judges from KEY=value lines, whatever their order', () => {
    expect(parseSystemctlShow('kubelet.service', 'ActiveState=failed\nLoadState=loaded\nSubState=failed\nResult=exit-code\nExecMainStatus=1\n')).toEqual({
      unit: 'kubelet.service',
      loadState: 'loaded',
      activeState: 'failed',
      subState: 'failed',
      result: 'exit-code',
      execMainStatus: '1',
    });
  });

  it("gives a loaded unit's merged Environment= and the manager's by name, and no unit's for a unit systemd has not loaded", () => {
    // as systemd 252 printed a drop-in in the system test's VM: one holding a space quoted
    const shown = 'LoadState=loaded\nEnvironment=HTTPS_PROXY=http://proxy:3128 "NO_PROXY=a, b" AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6\n';
    const manager = 'Environment=LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/bin AWS_ENDPOINT_URL_EKS=http://10.0.2.100:8080\n';
    expect(parseServiceEnvironment(shown, manager)).toEqual({
      unit: { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'a, b', AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' },
      manager: { LANG: 'C.UTF-8', PATH: '/usr/local/sbin:/usr/bin', AWS_ENDPOINT_URL_EKS: 'http://10.0.2.100:8080' },
    });
    expect(parseServiceEnvironment('LoadState=loaded\nEnvironment=\n', 'Environment=\n')).toEqual({ unit: {}, manager: {} });
    expect(parseServiceEnvironment('Environment=\nLoadState=not-found\n', 'Environment=LANG=C\n')).toEqual({ unit: undefined, manager: { LANG: 'C' } });
  });

  it('reads the quoting and escapes systemd prints, a later assignment of a name winning', () => {
    expect(environmentList('A=1 "B=two words" "C=say \\"hi\\"" D=\\$HOME "E=tab\\there" F=\\x41 A=3 noequals')).toEqual({
      A: '3',
      B: 'two words',
      C: 'say "hi"',
      D: '$HOME',
      E: 'tab\there',
      F: 'A',
    });
    expect(environmentList('')).toEqual({});
    expect(environmentList('  X=  ')).toEqual({ X: '' });
  });
});
