import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PID1_ENVIRON,
  asUnitGets,
  environmentList,
  parseProcessEnvironment,
  parseServiceEnvironment,
  parseSystemctlShow,
  serviceEnvironments,
} from '../../src/apply/unit-status.js';

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
      files: [],
      unset: [],
      pass: [],
    });
    expect(parseServiceEnvironment('LoadState=loaded\nEnvironment=\n', 'Environment=\n')).toEqual({ unit: {}, manager: {}, files: [], unset: [], pass: [] });
    expect(parseServiceEnvironment('Environment=\nLoadState=not-found\n', 'Environment=LANG=C\n')).toEqual({
      unit: undefined,
      manager: { LANG: 'C' },
      files: [],
      unset: [],
      pass: [],
    });
    // /proc/1/environ: a value may hold "=", an entry without one is no variable
    expect(parseProcessEnvironment('A=b=c\0\0NOEQUALS\0=x\0EMPTY=\0')).toEqual({ A: 'b=c', EMPTY: '' });
    // PassEnvironment= as systemctl prints it: names
    expect(parseServiceEnvironment('LoadState=loaded\nEnvironment=\nPassEnvironment=HTTP_PROXY no_proxy\n', '').pass).toEqual(['HTTP_PROXY', 'no_proxy']);
    // UnsetEnvironment= as systemctl prints it: names, and quoted NAME=value items
    expect(parseServiceEnvironment('LoadState=loaded\nEnvironment=\nUnsetEnvironment=HTTP_PROXY "NO_PROXY=a b"\n', '').unset).toEqual([
      'HTTP_PROXY',
      'NO_PROXY=a b',
    ]);
  });

  it("lists a loaded unit's EnvironmentFile= paths as systemctl prints them, a line each", () => {
    // as systemd prints kubelet.service with the image's file and a "-"-prefixed drop-in's
    const shown =
      'LoadState=loaded\nEnvironment=\nEnvironmentFiles=/etc/eks/kubelet/environment (ignore_errors=no)\nEnvironmentFiles=/etc/eks/http proxy.env (ignore_errors=yes)\n';
    expect(parseServiceEnvironment(shown, 'Environment=\n').files).toEqual(['/etc/eks/kubelet/environment', '/etc/eks/http proxy.env']);
    expect(parseServiceEnvironment('LoadState=not-found\nEnvironmentFiles=/x (ignore_errors=no)\n', '').files).toEqual([]);
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

/**
 * Runs `body` with the systemctl test double (no systemd here) first on PATH, answering from a
 * fresh state directory, and a serviceEnvironments whose file reads are recorded in order.
 */
async function withSystemctlDouble(
  body: (state: string, read: ReturnType<typeof serviceEnvironments>, reads: string[]) => Promise<void>,
  answers: Record<string, string | undefined> = {},
) {
  const state = mkdtempSync(join(tmpdir(), 'eks-node-units-'));
  const saved = { PATH: process.env.PATH, state: process.env.SYSTEMCTL_DOUBLE_STATE };
  try {
    process.env.PATH = `${new URL('../../../test/doubles', import.meta.url).pathname}:${saved.PATH}`;
    process.env.SYSTEMCTL_DOUBLE_STATE = state;
    const reads: string[] = [];
    const read = serviceEnvironments(async (path) => {
      reads.push(path);
      return Object.hasOwn(answers, path) ? answers[path] : readFile(path, 'utf8').catch(() => undefined);
    });
    await body(state, read, reads);
  } finally {
    process.env.PATH = saved.PATH;
    if (saved.state === undefined) delete process.env.SYSTEMCTL_DOUBLE_STATE;
    else process.env.SYSTEMCTL_DOUBLE_STATE = saved.state;
    rmSync(state, { recursive: true, force: true });
  }
}

describe('serviceEnvironments', () => {
  it('reads the files an EnvironmentFile= wildcard matches, in name order, and applies UnsetEnvironment= last', async () => {
    await withSystemctlDouble(async (state, read, reads) => {
      const dir = join(state, 'env.d');
      mkdirSync(dir);
      writeFileSync(join(dir, '20-proxy.env'), 'HTTPS_PROXY=http://proxy:3128\nNO_PROXY=from-20\n');
      writeFileSync(join(dir, '10-base.env'), 'NO_PROXY=from-10\nDROP=yes\nKEEP_UNLESS=other\n');
      writeFileSync(join(dir, '.hidden.env'), 'HIDDEN=1\n');
      writeFileSync(join(dir, 'notes.txt'), 'TXT=1\n');
      writeFileSync(join(state, 'manager.env'), 'LANG=C.UTF-8 AWS_ENDPOINT_URL_STS=http://sts');
      writeFileSync(join(state, 'kubelet.service.env'), 'FROM_UNIT=1');
      writeFileSync(join(state, 'kubelet.service.envfiles'), `${dir}/*.env\n${state}/nowhere/*.env`);
      // a name, a NAME=value that matches, one that does not, and a manager variable
      writeFileSync(join(state, 'kubelet.service.unset'), 'DROP KEEP_UNLESS=mismatch FROM_UNIT=1 AWS_ENDPOINT_URL_STS');
      const given = await read('kubelet.service', 5_000);
      expect(reads).toEqual([join(dir, '10-base.env'), join(dir, '20-proxy.env')]);
      expect(given.unit).toEqual({ HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'from-20', KEEP_UNLESS: 'other' });
      expect(given.manager).toEqual({ LANG: 'C.UTF-8' });
      // the names it took away, for doctor's environment line to name as the cause
      expect(given.unset).toEqual(['DROP', 'FROM_UNIT', 'AWS_ENDPOINT_URL_STS']);
      // the manager's own environment, read for another unit, keeps what this unit unsets
      expect((await read('containerd.service', 5_000)).manager).toEqual({ LANG: 'C.UTF-8', AWS_ENDPOINT_URL_STS: 'http://sts' });
    });
  });

  it("takes what PassEnvironment= names from PID 1's own environment, over the manager's and under the unit's Environment=, and reads it only then", async () => {
    // PID 1's environment as the kernel and the initrd left it: NUL-ended NAME=value entries
    const environ = ['HOME=/', 'TERM=linux', 'HTTP_PROXY=http://from-pid1:3128', 'no_proxy=.internal', 'SHADOWED=pid1', ''].join('\0');
    await withSystemctlDouble(
      async (state, read, reads) => {
        writeFileSync(join(state, 'manager.env'), 'HTTP_PROXY=http://from-manager:1 LANG=C.UTF-8');
        writeFileSync(join(state, 'containerd.service.env'), 'SHADOWED=unit');
        // a name PID 1 does not have is passed as nothing, as systemd does
        writeFileSync(join(state, 'containerd.service.pass'), 'HTTP_PROXY no_proxy SHADOWED ABSENT');
        writeFileSync(join(state, 'kubelet.service.env'), 'A=1');
        const given = await read('containerd.service', 5_000);
        expect(given.unit).toEqual({ HTTP_PROXY: 'http://from-pid1:3128', no_proxy: '.internal', SHADOWED: 'unit' });
        // which values are PID 1's, for doctor's environment line to name as the cause
        expect(given.passed).toEqual(['HTTP_PROXY', 'no_proxy']);
        expect(asUnitGets({}, given)).toMatchObject({ HTTP_PROXY: 'http://from-pid1:3128', LANG: 'C.UTF-8' });
        expect(reads).toEqual([PID1_ENVIRON]);
        // a unit that passes nothing costs no read of it
        const kubelet = await read('kubelet.service', 5_000);
        expect(kubelet.unit).toEqual({ A: '1' });
        expect(kubelet.passed).toBeUndefined();
        expect(reads).toEqual([PID1_ENVIRON]);
      },
      { [PID1_ENVIRON]: environ },
    );
    // a passed name the unit's EnvironmentFile= sets over, or its UnsetEnvironment= takes away, is not PID 1's value
    await withSystemctlDouble(
      async (state, read) => {
        const file = join(state, 'proxy.env');
        writeFileSync(file, 'HTTP_PROXY=http://from-file:3128\n');
        writeFileSync(join(state, 'containerd.service.env'), '');
        writeFileSync(join(state, 'containerd.service.envfiles'), file);
        writeFileSync(join(state, 'containerd.service.pass'), 'HTTP_PROXY no_proxy SHADOWED');
        writeFileSync(join(state, 'containerd.service.unset'), 'no_proxy');
        const given = await read('containerd.service', 5_000);
        expect(given.unit).toEqual({ HTTP_PROXY: 'http://from-file:3128', SHADOWED: 'pid1' });
        expect(given.passed).toEqual(['SHADOWED']);
      },
      { [PID1_ENVIRON]: environ },
    );
    // read by a caller that may not (not root): nothing passed, the rest as before
    await withSystemctlDouble(
      async (state, read) => {
        writeFileSync(join(state, 'containerd.service.env'), 'A=1');
        writeFileSync(join(state, 'containerd.service.pass'), 'HTTP_PROXY');
        expect((await read('containerd.service', 5_000)).unit).toEqual({ A: '1' });
      },
      { [PID1_ENVIRON]: undefined },
    );
  });

  it("puts what a unit's EnvironmentFile= files hold over its Environment=, later files winning, and skips one it cannot read", async () => {
    await withSystemctlDouble(async (state, read, reads) => {
      // an image's proxy drop-in on kubelet.service (EnvironmentFile=/etc/eks/http-proxy.env) beside the agent's file
      writeFileSync(join(state, 'kubelet.service.env'), 'HTTPS_PROXY=http://from-unit:1 KEEP=unit');
      const proxy = join(state, 'http-proxy.env');
      const later = join(state, 'later.env');
      writeFileSync(proxy, '# proxy\nHTTPS_PROXY=http://from-file:3128\nNO_PROXY="169.254.169.254,.internal"\n');
      writeFileSync(later, 'NO_PROXY=later\n');
      writeFileSync(join(state, 'kubelet.service.envfiles'), [proxy, join(state, 'missing.env'), later].join('\n'));
      expect((await read('kubelet.service', 5_000)).unit).toEqual({ HTTPS_PROXY: 'http://from-file:3128', KEEP: 'unit', NO_PROXY: 'later' });
      expect(reads).toEqual([proxy, join(state, 'missing.env'), later]);
    });
  });

  it("asks systemd for the manager's environment once and for each unit's once, however often it is asked", async () => {
    // the systemctl test double (no systemd here) answers from files and logs each call
    const state = mkdtempSync(join(tmpdir(), 'eks-node-units-'));
    const saved = { PATH: process.env.PATH, state: process.env.SYSTEMCTL_DOUBLE_STATE, log: process.env.SYSTEMCTL_DOUBLE_LOG };
    try {
      writeFileSync(join(state, 'manager.env'), 'AWS_ENDPOINT_URL_STS=http://sts');
      writeFileSync(join(state, 'kubelet.service.env'), 'A=1');
      process.env.PATH = `${new URL('../../../test/doubles', import.meta.url).pathname}:${saved.PATH}`;
      process.env.SYSTEMCTL_DOUBLE_STATE = state;
      process.env.SYSTEMCTL_DOUBLE_LOG = join(state, 'calls.log');
      const read = serviceEnvironments();
      const [kubelet, agent, again] = await Promise.all([
        read('kubelet.service', 5_000),
        read('eks-node-agent-config.service', 5_000),
        read('kubelet.service', 5_000),
      ]);
      expect(kubelet).toEqual({ unit: { A: '1' }, manager: { AWS_ENDPOINT_URL_STS: 'http://sts' } });
      expect(agent).toEqual({ unit: undefined, manager: { AWS_ENDPOINT_URL_STS: 'http://sts' } });
      expect(again).toBe(kubelet);
      expect(readFileSync(join(state, 'calls.log'), 'utf8').trim().split('\n').sort()).toEqual([
        'show --property=Environment',
        'show eks-node-agent-config.service --property=LoadState,Environment,EnvironmentFiles,UnsetEnvironment,PassEnvironment',
        'show kubelet.service --property=LoadState,Environment,EnvironmentFiles,UnsetEnvironment,PassEnvironment',
      ]);
    } finally {
      process.env.PATH = saved.PATH;
      for (const [key, value] of [
        ['SYSTEMCTL_DOUBLE_STATE', saved.state],
        ['SYSTEMCTL_DOUBLE_LOG', saved.log],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      rmSync(state, { recursive: true, force: true });
    }
  });
});
