import { describe, expect, it } from 'vitest';
import { parseServiceEnvironment, parseSystemctlShow } from '../../src/apply/unit-status.js';

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

  it("gives a loaded unit's merged Environment= and the manager's environment, and nothing for a unit systemd has not loaded", () => {
    // one line of space-separated assignments, one holding a space quoted, as systemd 252 printed a drop-in in the system test's VM
    const shown = 'LoadState=loaded\nEnvironment=HTTPS_PROXY=http://proxy:3128 "NO_PROXY=a, b" AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6\n';
    expect(parseServiceEnvironment(shown, 'LANG=C.UTF-8\nPATH=/usr/bin\n')).toEqual({
      unit: 'HTTPS_PROXY=http://proxy:3128 "NO_PROXY=a, b" AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6',
      manager: 'LANG=C.UTF-8\nPATH=/usr/bin\n',
    });
    expect(parseServiceEnvironment('LoadState=loaded\nEnvironment=\n', '')).toEqual({ unit: '', manager: '' });
    expect(parseServiceEnvironment('Environment=\nLoadState=not-found\n', 'LANG=C\n')).toBeUndefined();
  });
});
