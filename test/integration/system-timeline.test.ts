import { describe, expect, it } from 'vitest';
import { bootTimeline, median, timelineTable } from '../system/timeline.js';

// An excerpt of a VM boot's `journalctl -o short-monotonic` (systemd 252, the Debian test base):
// containerd started early after the config phase, restarted by the run phase.
const JOURNAL = `[    0.000000] node kernel: Linux version 6.1.0-28-amd64
[    9.812345] node systemd[1]: Starting eks-node-agent-config.service - eks-node-agent: resolve the node configuration and write containerd and kubelet files...
[   14.201000] node systemd[1]: Reached target network-online.target - Network is Online.
[   15.002000] node eks-node-agent[412]: eks-node-agent: resolve config 310 ms (1 document(s))
[   16.950000] node eks-node-agent[412]: eks-node-agent: done in 5421 ms
[   17.100000] node systemd[1]: Finished eks-node-agent-config.service - eks-node-agent: resolve the node configuration and write containerd and kubelet files.
[   17.300000] node systemd[1]: Starting containerd.service - containerd container runtime...
[   18.400000] node systemd[1]: Started containerd.service - containerd container runtime.
[   20.400000] node systemd[1]: Finished cloud-final.service - Execute cloud user/final scripts.
[   20.500000] node systemd[1]: Starting eks-node-agent-run.service - eks-node-agent: start containerd and the kubelet...
[   22.000000] node systemd[1]: Started containerd.service - containerd container runtime.
[   22.900000] node kubelet[700]: kubelet test double: started (pid 700) with --config=/etc/kubernetes/kubelet/config.json
[   23.000000] node systemd[1]: Finished eks-node-agent-run.service - eks-node-agent: start containerd and the kubelet.
[   24.100000] node kubelet[700]: kubelet test double: registered node ip-169-254-0-15.us-west-2.compute.internal
[   24.600000] node kubelet[700]: kubelet test double: node ip-169-254-0-15.us-west-2.compute.internal Ready (first heartbeat)
[   40.000000] node systemd[1]: Started containerd.service - containerd container runtime.
[   41.000000] node kubelet[700]: kubelet test double: started (pid 901) with --config=/etc/kubernetes/kubelet/config.json
`;

describe('the VM system test reads each boot critical path from its journal', () => {
  it('takes each phase at its first line, containerd at its last start before the kubelet, and derives ours and the OS yardstick', () => {
    const t = bootTimeline(JOURNAL, 'complete', 'first');
    expect(t.phases).toEqual({
      networkOnline: 14.201,
      configStart: 9.812345,
      configEnd: 17.1,
      cloudFinalEnd: 20.4,
      runStart: 20.5,
      runEnd: 23,
      containerdActive: 22,
      containerdStarts: 2,
      kubeletStarted: 22.9,
      nodeRegistered: 24.1,
      ready: 24.6,
    });
    expect(t.os).toBe(14.201);
    expect(t.ours).toBe(8.7);
    expect(t.agentSteps).toEqual([
      { at: 15.002, step: 'resolve config 310 ms (1 document(s))' },
      { at: 16.95, step: 'done in 5421 ms' },
    ]);
  });

  it('leaves out what a failed boot never reached', () => {
    const failed = `[    8.000000] node systemd[1]: Reached target network-online.target - Network is Online.
[    9.000000] node systemd[1]: Starting eks-node-agent-config.service - eks-node-agent: resolve...
[   12.000000] node systemd[1]: eks-node-agent-config.service: Failed with result 'exit-code'.
`;
    const t = bootTimeline(failed, 'bad-user-data', 'first');
    expect(t.phases).toEqual({ networkOnline: 8, configStart: 9, configFailed: 12, containerdStarts: 0 });
    expect(t.ours).toBeUndefined();
    expect(t.os).toBe(8);
  });

  it('prints one table, a row per boot, and a median row of the kubelet start, OS and ours for a series', () => {
    const series = [1, 2, 3].map((n) => bootTimeline(JOURNAL, 'complete', `boot ${n}`));
    series[1]!.ours = 6;
    series[1]!.os = 10;
    series[1]!.phases.kubeletStarted = 21;
    series[2]!.ours = 7;
    series[2]!.os = 12;
    series[2]!.phases.kubeletStarted = 25.04;
    const lines = timelineTable([...series, bootTimeline(JOURNAL, 'name-only+reboot', 'after reboot')]);
    expect(lines[0]).toMatch(
      /^case \(boot\)\s+net-online\s+config\s+config end\s+cloud-final end\s+run\s+containerd\s+kubelet\s+run end\s+registered\s+Ready\s+OS\s+ours$/,
    );
    expect(lines).toHaveLength(6);
    expect(lines[1]).toMatch(/^complete \(boot 1\)\s+14\.2\s+9\.8\s+17\.1\s+20\.4\s+20\.5\s+22\.0\s+22\.9\s+23\.0\s+24\.1\s+24\.6\s+14\.2\s+8\.7$/);
    expect(lines[4]).toMatch(/^complete \(median of 3\)\s+22\.9\s+12\.0\s+7\.0$/);
    expect(lines[5]).toMatch(/^name-only\+reboot \(after reboot\)\s+14\.2 .* 8\.7$/);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });

  it('median of an odd and an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeUndefined();
  });
});
