import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode, type SimulatedNode } from '../support/node.js';
import { completeCluster, nodeConfig } from '../adversarial/support.js';

/*
 * The agent owns the files it wrote: one that the new configuration no longer plans (an
 * environment drop-in after its variables left the user data) is deleted by the next init, in the
 * same step as the writes, and the unit that read it is restarted. Files it never wrote stay.
 */

const DROP_IN = '/etc/systemd/system/kubelet.service.d/environment.conf';
const withProxy = nodeConfig({ cluster: completeCluster, instance: { environment: { kubelet: { HTTPS_PROXY: 'http://proxy.internal:3128' } } } });
const without = nodeConfig({ cluster: completeCluster });

let node: SimulatedNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

describe('files no longer planned', () => {
  it('are listed by --dry-run, then removed by init with a daemon-reload and a kubelet restart', async () => {
    node = await startNode({ imds: { userData: withProxy } });
    const n = node;
    expect((await n.agent(['init', '--root', n.root])).exitCode).toBe(0);
    expect(n.read(DROP_IN)).toContain('HTTPS_PROXY');
    // its values may be secrets: root only
    expect(statSync(join(n.root, DROP_IN)).mode & 0o777).toBe(0o600);
    // a drop-in the agent never wrote, beside its own
    mkdirSync(join(n.root, '/etc/systemd/system/kubelet.service.d'), { recursive: true });
    writeFileSync(join(n.root, '/etc/systemd/system/kubelet.service.d/90-site.conf'), '[Service]\nEnvironment=SITE=1\n');

    n.imds.setUserData(without);
    const dry = await n.agent(['init', '--dry-run', '--root', n.root]);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`remove ${DROP_IN} (written by an earlier plan, no longer planned)`);
    expect(dry.stdout).not.toContain('90-site.conf');
    expect(existsSync(join(n.root, DROP_IN))).toBe(true);

    const callsBefore = n.systemctlCalls().length;
    const r = await n.agent(['init', '--root', n.root]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`1 removed (${DROP_IN})`);
    expect(existsSync(join(n.root, DROP_IN))).toBe(false);
    expect(existsSync(join(n.root, '/etc/systemd/system/kubelet.service.d/90-site.conf'))).toBe(true);
    const calls = n.systemctlCalls().slice(callsBefore);
    expect(calls).toContain('daemon-reload');
    expect(calls).toContain('restart kubelet.service');

    // and then nothing more: a third init removes and restarts nothing
    const third = n.systemctlCalls().length;
    expect((await n.agent(['init', '--root', n.root])).stderr).not.toContain('removed');
    expect(
      n
        .systemctlCalls()
        .slice(third)
        .filter((c) => c.startsWith('restart') || c === 'daemon-reload'),
    ).toEqual([]);
  });
});
