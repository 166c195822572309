import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { completeCluster, nodeConfig } from '../support/user-data.js';
import { startNode, type SimulatedNode } from '../support/node.js';
import { REPO } from '../support/agent.js';
import { IS_MODEL, fakeNode } from '../../agent/test/storage/fake-node.js';

/**
 * The config unit's early start (`init --skip run --early-start`) against the systemctl TEST
 * DOUBLE: when nothing can run between the two boot phases the config phase queues containerd's
 * and the kubelet's start, and the run phase then only checks them; otherwise it leaves them to
 * the run phase and says why.
 */
const sources = (n: SimulatedNode) => ['-c', 'imds://user-data', '-c', `file://${n.root}/etc/eks/nodeadm.d/`];
const configPhase = (n: SimulatedNode, env?: Record<string, string>) =>
  n.agent(['init', '--root', n.root, '--skip', 'run', '--early-start', ...sources(n)], env);
const runPhase = (n: SimulatedNode) => n.agent(['init', '--root', n.root, '--skip', 'config', ...sources(n)]);
const complete = nodeConfig({ cluster: completeCluster });
const withScript = [
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="//"',
  '',
  '--//',
  'Content-Type: text/x-shellscript; charset="us-ascii"',
  '',
  '#!/bin/bash',
  'echo hello',
  '--//',
  'Content-Type: application/node.eks.aws',
  '',
  complete,
  '--//--',
  '',
].join('\n');
const queued = 'start --no-block containerd.service kubelet.service';
/** the config phase's calls when it leaves the start to the run phase (concurrent, so sorted) */
const favoured = ['set-property --runtime cloud-config.service CPUWeight=1000', 'set-property --runtime cloud-final.service CPUWeight=1000'];
const KUBELET_IMDS_DROP_IN = '/etc/systemd/system/kubelet.service.d/environment.conf';
const state = (n: SimulatedNode) => JSON.parse(n.read('/run/eks-node-agent/run-phase.json'));

let node: SimulatedNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

describe('init --skip run --early-start', () => {
  it('queues containerd and the kubelet when the user data is only a NodeConfig; the run phase restarts nothing', async () => {
    node = await startNode({ imds: { userData: complete } });
    const config = await configPhase(node);
    expect(config.exitCode, config.stderr).toBe(0);
    expect(node.systemctlCalls()).toEqual([queued]);
    expect(config.stderr).toMatch(/eks-node-agent: queue start containerd\.service kubelet\.service \d+ ms/);
    expect(config.stderr).toMatch(/early start: nothing runs between the phases/);
    expect(state(node)).toMatchObject({ pendingChanges: [], startedEarly: ['containerd.service', 'kubelet.service'] });

    const run = await runPhase(node);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(node.systemctlCalls().slice(1)).toEqual(['is-active containerd.service', 'is-active kubelet.service']);
    expect(run.stderr).toMatch(/restart kubelet\.service 0 ms \(skipped: unchanged and active\)/);
  });

  it('still configures again and restarts the kubelet when a drop-in changed the NodeConfig after the early start', async () => {
    node = await startNode({ imds: { userData: complete } });
    expect((await configPhase(node)).exitCode).toBe(0);
    mkdirSync(join(node.root, 'etc/eks/nodeadm.d'), { recursive: true });
    writeFileSync(join(node.root, 'etc/eks/nodeadm.d/10-label.yaml'), nodeConfig({ kubelet: { flags: ['--node-labels=late=yes'] } }));
    const userDataReads = node.imds.count('/latest/user-data');
    const run = await runPhase(node);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/the merged NodeConfig changed since the config phase/);
    // the changed merge is validated as read, not read a second time; the user data itself
    // comes from the config phase's kept IMDS answers
    expect(node.imds.count('/latest/user-data') - userDataReads).toBe(0);
    expect(run.stderr.match(/eks-node-agent: resolve config \d+ ms/g)).toHaveLength(1);
    expect(run.stderr).toMatch(/eks-node-agent: validate config \d+ ms \(2 document\(s\)\)/);
    expect(node.systemctlCalls().slice(1)).toContain('restart kubelet.service');
    expect(node.read('/etc/eks/kubelet/environment')).toContain('late=yes');
  });

  it("configuring again from the kept answers of a config phase that reached IMDS over IPv6, tells the kubelet's helpers so", async () => {
    node = await startNode({ imds: { userData: complete } });
    expect((await configPhase(node)).exitCode).toBe(0);
    expect(existsSync(join(node.root, KUBELET_IMDS_DROP_IN))).toBe(false);
    // as the config phase of an instance without IPv4 keeps them (this machine cannot serve [fd00:ec2::254])
    const answers = join(node.root, '/run/eks-node-agent/imds-answers.json');
    writeFileSync(answers, JSON.stringify({ ...JSON.parse(readFileSync(answers, 'utf8')), servedBy: 'http://[fd00:ec2::254]' }));
    mkdirSync(join(node.root, 'etc/eks/nodeadm.d'), { recursive: true });
    writeFileSync(join(node.root, 'etc/eks/nodeadm.d/10-label.yaml'), nodeConfig({ kubelet: { flags: ['--node-labels=late=yes'] } }));
    const run = await runPhase(node);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/the merged NodeConfig changed since the config phase/);
    expect(node.read(KUBELET_IMDS_DROP_IN)).toContain('Environment="AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6"\n');
    expect(node.systemctlCalls().slice(1)).toEqual(expect.arrayContaining(['daemon-reload', 'restart kubelet.service']));
  });

  it('fails the run phase on a drop-in that makes the merge invalid, naming the field, and leaves the files as the config phase wrote them', async () => {
    node = await startNode({ imds: { userData: complete } });
    expect((await configPhase(node)).exitCode).toBe(0);
    const environment = node.read('/etc/eks/kubelet/environment');
    mkdirSync(join(node.root, 'etc/eks/nodeadm.d'), { recursive: true });
    writeFileSync(join(node.root, 'etc/eks/nodeadm.d/10-bad.yaml'), nodeConfig({ cluster: { cidr: '10.100.0/16' } }));
    const run = await runPhase(node);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/the merged NodeConfig changed since the config phase/);
    expect(run.stderr).toMatch(/spec\.cluster\.cidr/);
    expect(node.read('/etc/eks/kubelet/environment')).toBe(environment);
    expect(node.systemctlCalls().slice(1)).toEqual([]);
  });

  it('leaves the start to the run phase when the user data holds a script, naming the part', async () => {
    node = await startNode({ imds: { userData: withScript } });
    const config = await configPhase(node);
    expect(config.exitCode, config.stderr).toBe(0);
    expect(config.stderr).toContain(
      'early start: no, the user data holds what cloud-init runs first (imds://user-data (MIME part 1) (text/x-shellscript)); the run phase starts containerd and the kubelet',
    );
    // the join now waits for cloud-init's config and final stages: they get the config unit's CPU weight, for this boot
    expect(config.stderr).toContain('cloud-init stages the run phase waits for: CPU weight 1000 for this boot (cloud-config.service, cloud-final.service)');
    expect([...node.systemctlCalls()].sort()).toEqual(favoured);
    expect(state(node).startedEarly).toBeUndefined();
    const run = await runPhase(node);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(node.systemctlCalls().slice(2)).toEqual(['restart containerd.service', '--quiet is-active containerd.service', 'restart kubelet.service']);
  });

  it("gives cloud-init's stages the weight when the user data is only a script (bootstrap.sh): the join waits for them", async () => {
    node = await startNode({ imds: { userData: '#!/bin/bash\n/etc/eks/bootstrap.sh test-cluster\n' } });
    const config = await configPhase(node);
    expect(config.exitCode, config.stderr).toBe(0);
    expect(config.stderr).toMatch(/config phase: no NodeConfig found in .*nothing written/);
    expect(config.stderr).toContain('cloud-init stages the run phase waits for: CPU weight 1000 for this boot');
    expect([...node.systemctlCalls()].sort()).toEqual(favoured);
    // --dry-run changes nothing on the machine
    const dry = await node.agent(['init', '--root', node.root, '--skip', 'run', '--early-start', '--dry-run', ...sources(node)]);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(node.systemctlCalls()).toHaveLength(2);
  });

  it('names a cloud-init stage systemd does not know, and the config phase still succeeds', async () => {
    node = await startNode({ imds: { userData: withScript } });
    const config = await configPhase(node, { SYSTEMCTL_DOUBLE_FAIL: 'cloud-config.service,cloud-final.service' });
    expect(config.exitCode, config.stderr).toBe(0);
    expect(config.stderr).toMatch(
      /eks-node-agent: CPU weight not raised: cloud-config\.service \(.*Unit cloud-config\.service not found\.\); cloud-final\.service \(.*not found\.\)\n/,
    );
    expect(config.stderr).not.toContain('warning');
  });

  it('leaves the start to the run phase when the image holds a script for cloud-init, or a config phase already ran since boot', async () => {
    node = await startNode({ imds: { userData: complete } });
    mkdirSync(join(node.root, 'var/lib/cloud/scripts/per-instance'), { recursive: true });
    writeFileSync(join(node.root, 'var/lib/cloud/scripts/per-instance/10-tune.sh'), '#!/bin/sh\n');
    const baked = await configPhase(node);
    expect(baked.stderr).toContain('early start: no, /var/lib/cloud/scripts/per-instance holds 1 script(s) cloud-init runs first');
    expect([...node.systemctlCalls()].sort()).toEqual(favoured);

    const again = await startNode({ imds: { userData: complete } });
    try {
      expect((await again.agent(['init', '--root', again.root, '--skip', 'run'])).exitCode).toBe(0);
      const r = await again.agent(['init', '--root', again.root, '--skip', 'run', '--early-start']);
      expect(r.stderr).toContain('early start: no, a config phase already ran since boot');
      expect([...again.systemctlCalls()].sort()).toEqual(favoured);
    } finally {
      await again.close();
    }
  });

  it('sets up local storage itself before queuing the start; the run phase finds nothing to do', async () => {
    node = await startNode({ imds: { userData: nodeConfig({ cluster: completeCluster, instance: { localStorage: { strategy: 'RAID0' } } }) } });
    const config = await configPhase(node);
    expect(config.exitCode, config.stderr).toBe(0);
    const lines = config.stderr.split('\n');
    const storage = lines.findIndex((l) => /^eks-node-agent: local storage: .*no instance-store NVMe disks were found/.test(l));
    const queue = lines.findIndex((l) => /^eks-node-agent: queue start containerd\.service kubelet\.service/.test(l));
    expect(storage, config.stderr).toBeGreaterThan(-1);
    expect(queue, config.stderr).toBeGreaterThan(storage);
    expect(node.systemctlCalls()).toEqual([queued]);

    const run = await runPhase(node);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^eks-node-agent: local storage: .*no instance-store NVMe disks were found/m);
    expect(node.systemctlCalls().slice(1)).toEqual(['is-active containerd.service', 'is-active kubelet.service']);
  });

  // The marker is what the local storage step leaves when it writes /etc/fstab (agent/test/apply/
  // local-storage.test.ts); here it is planted, since the simulated node has no md driver.
  const FSTAB_RELOAD = '/run/eks-node-agent/fstab-reload-pending';
  const plantFstabReload = (n: SimulatedNode) => {
    mkdirSync(join(n.root, 'run/eks-node-agent'), { recursive: true });
    writeFileSync(join(n.root, FSTAB_RELOAD), 'pending\n');
  };

  it('reloads systemd for a changed /etc/fstab only at the end of the run phase, after the kubelet started', async () => {
    node = await startNode({ imds: { userData: complete } });
    plantFstabReload(node);
    const config = await configPhase(node);
    expect(config.exitCode, config.stderr).toBe(0);
    expect(node.systemctlCalls()).toEqual([queued]);
    const run = await runPhase(node);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(node.systemctlCalls().slice(1)).toEqual(['is-active containerd.service', 'is-active kubelet.service', 'daemon-reload']);
    expect(run.stderr).toMatch(/^eks-node-agent: daemon-reload \d+ ms \(for \/etc\/fstab, changed by the local storage step\)$/m);
    expect(existsSync(join(node.root, FSTAB_RELOAD))).toBe(false);
    // once read, never again
    expect((await runPhase(node)).exitCode).toBe(0);
    expect(node.systemctlCalls().filter((c) => c === 'daemon-reload')).toHaveLength(1);
  });

  it('needs no second reload for /etc/fstab when the config phase reloaded for unit drop-ins after it', async () => {
    const proxied = nodeConfig({ cluster: completeCluster, instance: { environment: { kubelet: { HTTPS_PROXY: 'http://proxy.internal:3128' } } } });
    node = await startNode({ imds: { userData: proxied } });
    plantFstabReload(node);
    expect((await configPhase(node)).exitCode).toBe(0);
    expect(node.systemctlCalls()).toEqual(['daemon-reload', queued]);
    expect(existsSync(join(node.root, FSTAB_RELOAD))).toBe(false);
    expect((await runPhase(node)).exitCode).toBe(0);
    expect(node.systemctlCalls().filter((c) => c === 'daemon-reload')).toHaveLength(1);
  });

  it('leaves the start to the run phase when setting up local storage fails, and the run phase fails naming the command', async () => {
    node = await startNode({ imds: { userData: nodeConfig({ cluster: completeCluster, instance: { localStorage: { strategy: 'RAID0' } } }) } });
    fakeNode(node.root, [
      { name: 'nvme0n1', model: 'Amazon Elastic Block Store', partitions: ['nvme0n1p1'] },
      { name: 'nvme1n1', model: IS_MODEL },
      { name: 'nvme2n1', model: IS_MODEL },
    ]);
    // mdadm TEST DOUBLE: this machine has no md driver to give the agent
    const bin = mkdtempSync(join(tmpdir(), 'eks-node-mdadm-'));
    writeFileSync(join(bin, 'mdadm'), '#!/bin/sh\necho "mdadm: cannot open /dev/nvme1n1: Device or resource busy" >&2\nexit 1\n');
    chmodSync(join(bin, 'mdadm'), 0o755);
    const path = { PATH: `${bin}:${join(REPO, 'test/doubles')}:${process.env.PATH}` };
    const n = node;
    try {
      const config = await n.agent(['init', '--root', n.root, '--skip', 'run', '--early-start', ...sources(n)], path);
      expect(config.exitCode, config.stderr).toBe(0);
      expect(config.stderr).toMatch(
        /warning: early start failed \(local storage: mdadm --create .*Device or resource busy\); the run phase starts containerd and the kubelet/,
      );
      expect(n.systemctlCalls()).toEqual([]);
      expect(state(n).startedEarly).toBeUndefined();
      const run = await n.agent(['init', '--root', n.root, '--skip', 'config', ...sources(n)], path);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toMatch(
        /^error: local storage: mdadm --create .*: failed with exit code 1: mdadm: cannot open \/dev\/nvme1n1: Device or resource busy$/m,
      );
      expect(n.systemctlCalls()).toEqual([]);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('reloads systemd before queuing when it wrote unit drop-ins (a proxy for containerd and the kubelet)', async () => {
    const proxied = nodeConfig({
      cluster: completeCluster,
      instance: { environment: { containerd: { HTTPS_PROXY: 'http://proxy.internal:3128' }, kubelet: { HTTPS_PROXY: 'http://proxy.internal:3128' } } },
    });
    node = await startNode({ imds: { userData: proxied } });
    const config = await configPhase(node);
    expect(config.exitCode, config.stderr).toBe(0);
    expect(node.systemctlCalls()).toEqual(['daemon-reload', queued]);
    expect(readFileSync(join(node.root, 'etc/systemd/system/containerd.service.d/environment.conf'), 'utf8')).toContain('proxy.internal');
  });

  it('does not fail the config phase when systemd refuses the start: the run phase starts them', async () => {
    node = await startNode({ imds: { userData: complete } });
    const config = await node.agent(['init', '--root', node.root, '--skip', 'run', '--early-start', ...sources(node)], {
      SYSTEMCTL_DOUBLE_FAIL: 'containerd.service',
    });
    expect(config.exitCode, config.stderr).toBe(0);
    expect(config.stderr).toMatch(/warning: early start failed \(systemctl start --no-block containerd\.service kubelet\.service: failed with exit code 1/);
    expect(state(node).pendingChanges).toContain('/etc/containerd/config.toml');
    const run = await runPhase(node);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(node.systemctlCalls().slice(1)).toEqual(['restart containerd.service', '--quiet is-active containerd.service', 'restart kubelet.service']);
  });

  it('is not taken by a plain config phase, nor by --dry-run', async () => {
    node = await startNode({ imds: { userData: complete } });
    expect((await node.agent(['init', '--root', node.root, '--skip', 'run'])).stderr).not.toMatch(/early start/);
    const dry = await node.agent(['init', '--root', node.root, '--skip', 'run', '--early-start', '--dry-run']);
    expect(dry.exitCode).toBe(0);
    expect(node.systemctlCalls()).toEqual([]);
  });
});
