import { describe, expect, it } from 'vitest';
import type { ServiceEnvironment } from '../../src/apply/unit-status.js';
import { asBootGets } from '../../src/cli/boot-environment.js';
import { ownService, startedByUnit } from '../../src/cli/run-context.js';

const UNIT = 'eks-node-agent-config.service';
// a node: systemd runs, the image installed the unit in /etc/systemd/system
const onNode = (path: string) => path === '/run/systemd/system' || path === `/etc/systemd/system/${UNIT}`;
// what systemd gives the config unit on a node behind a proxy, with an endpoint from systemd.setenv=
const given: ServiceEnvironment = {
  manager: { PATH: '/usr/sbin:/usr/bin', AWS_ENDPOINT_URL_EKS: 'http://eks.internal' },
  unit: { HTTPS_PROXY: 'http://proxy:3128', AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' },
};

function run(
  env: Record<string, string | undefined>,
  options: { root?: string; exists?: (p: string) => boolean; answer?: () => Promise<ServiceEnvironment>; cgroup?: string } = {},
) {
  const asked: string[] = [];
  const notes: string[] = [];
  const result = asBootGets(env, 'config', options.root ?? '/', (line) => notes.push(line), {
    exists: options.exists ?? onNode,
    // the boot's own unit unless a case says otherwise
    cgroup: () => options.cgroup ?? `0::/system.slice/${UNIT}\n`,
    environment: async (unit) => {
      asked.push(unit);
      return (options.answer ?? (async () => given))();
    },
  });
  return result.then((out) => ({ out, asked, notes }));
}

describe('a boot command run from a shell on a node takes the environment systemd gives the boot unit', () => {
  it("puts the unit's and the manager's environment over the shell's, and names (never shows) what differs", async () => {
    const shell = { PATH: '/usr/sbin:/usr/bin', HOME: '/root', HTTPS_PROXY: 'http://old:1' };
    const { out, asked, notes } = await run(shell);
    expect(asked).toEqual([UNIT]);
    expect(out).toEqual({
      PATH: '/usr/sbin:/usr/bin',
      HOME: '/root',
      HTTPS_PROXY: 'http://proxy:3128',
      AWS_ENDPOINT_URL_EKS: 'http://eks.internal',
      AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6',
    });
    expect(notes).toEqual([
      `note: run from a shell, so with the environment systemd gives ${UNIT} at boot over this shell's: AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE, AWS_ENDPOINT_URL_EKS, HTTPS_PROXY differ from the shell's`,
    ]);
    expect(notes.join('')).not.toContain('proxy:3128');
  });

  it('says nothing when the shell already has what the unit gets', async () => {
    const { out, notes } = await run({ ...given.manager, ...given.unit });
    expect(out).toEqual({ ...given.manager, ...given.unit });
    expect(notes).toEqual([]);
  });

  it('leaves the environment alone, without asking systemd, under a unit, on another root, without systemd or without the unit', async () => {
    const shell = { HTTPS_PROXY: 'http://mine:1' };
    for (const [why, env, options] of [
      ['a unit runs it (the boot)', { ...shell, INVOCATION_ID: '0123abcd' }, {}],
      ['a user-data script', { ...shell, INVOCATION_ID: '0123abcd' }, { cgroup: '0::/system.slice/cloud-final.service\n' }],
      ['another root', shell, { root: '/mnt/image' }],
      ['systemd is not the running init', shell, { exists: (p: string) => p !== '/run/systemd/system' && onNode(p) }],
      ['the image has no such unit', shell, { exists: (p: string) => p === '/run/systemd/system' }],
    ] as const) {
      const { out, asked, notes } = await run(env, options);
      expect(out, why).toBe(env);
      expect(asked, why).toEqual([]);
      expect(notes, why).toEqual([]);
    }
    // a unit installed by a package rather than the image's /etc
    const packaged = await run(shell, { exists: (p) => p === '/run/systemd/system' || p === `/usr/lib/systemd/system/${UNIT}` });
    expect(packaged.asked).toEqual([UNIT]);
    // the run phase's unit for init --skip config
    const asked: string[] = [];
    await asBootGets(shell, 'run', '/', () => undefined, {
      exists: (p) => p === '/run/systemd/system' || p === '/etc/systemd/system/eks-node-agent-run.service',
      environment: async (unit) => {
        asked.push(unit);
        return given;
      },
    });
    expect(asked).toEqual(['eks-node-agent-run.service']);
  });

  it("takes it for an SSM session's shell, which inherits the SSM agent's INVOCATION_ID, and a login session's", async () => {
    const ssm = { PATH: '/usr/bin', INVOCATION_ID: 'feedc0de', JOURNAL_STREAM: '8:1234' };
    for (const cgroup of ['0::/system.slice/amazon-ssm-agent.service\n', '0::/user.slice/user-1001.slice/session-c3.scope\n']) {
      const { out, asked } = await run(ssm, { cgroup });
      expect(asked, cgroup).toEqual([UNIT]);
      expect(out.HTTPS_PROXY, cgroup).toBe('http://proxy:3128');
    }
  });

  it("keeps the shell's environment when systemd does not answer or has not loaded the unit", async () => {
    const shell = { HTTPS_PROXY: 'http://mine:1' };
    const failed = await run(shell, { answer: () => Promise.reject(new Error('systemctl: timed out')) });
    expect(failed.out).toBe(shell);
    const unloaded = await run(shell, { answer: async () => ({ unit: undefined, manager: { LANG: 'C' } }) });
    expect(unloaded.out).toBe(shell);
    expect([...failed.notes, ...unloaded.notes]).toEqual([]);
  });
});

describe('whether a unit started the run for itself', () => {
  it("reads the service from cgroup v2's line or v1's systemd hierarchy", () => {
    expect(ownService('0::/system.slice/amazon-ssm-agent.service\n')).toBe('amazon-ssm-agent.service');
    expect(ownService('12:pids:/system.slice/x.service\n1:name=systemd:/system.slice/cloud-final.service\n0::/\n')).toBe('cloud-final.service');
    expect(ownService('0::/user.slice/user-0.slice/session-4.scope\n')).toBeUndefined();
    expect(ownService('0::/\n')).toBeUndefined();
  });

  it('takes INVOCATION_ID at its word only where no cgroup can be read', () => {
    const unit = { INVOCATION_ID: 'abc' };
    expect(startedByUnit({}, () => '0::/system.slice/eks-node-agent-config.service\n')).toBe(false);
    expect(startedByUnit(unit, () => '0::/system.slice/eks-node-agent-config.service\n')).toBe(true);
    expect(startedByUnit(unit, () => '0::/system.slice/amazon-ssm-agent.service\n')).toBe(false);
    expect(startedByUnit(unit, () => undefined)).toBe(true);
  });
});
