import { describe, expect, it } from 'vitest';
import {
  AGENT_EVICTION_HARD,
  configTaintProblems,
  isLeftOut,
  kubeletFlagProblems as nodeLabelProblems,
  kubeletFlagWarnings,
  nodeIpAdvisories,
  registerTaintsMergeWarnings,
  removedFlagAdvisories,
  removedKubeletFlags,
  unknownFlagAdvisories,
} from '../../src/api/kubelet-flags.js';

const P = 'spec.kubelet.flags[0]';
/** Each flag passes the kubelet's own checks: no problem named. */
const expectAccepted = (flags: string[]) => {
  for (const flag of flags) expect(nodeLabelProblems(flag, P), flag).toEqual([]);
};

describe('--node-labels, as the kubelet checks it before it starts', () => {
  it('accepts what EKS tools write: their own namespaces, the node. and kubelet. namespaces, the well-known labels', () => {
    expectAccepted([
      '--node-labels=eks.amazonaws.com/nodegroup=ng-1,team=platform',
      '--node-labels=karpenter.sh/capacity-type=on-demand,karpenter.sh/nodepool=default',
      '--node-labels=alpha.eksctl.io/cluster-name=my-cluster,alpha.eksctl.io/nodegroup-name=ng-1',
      '--node-labels=node.kubernetes.io/lifecycle=spot,sub.kubelet.kubernetes.io/x=y',
      '--node-labels=topology.kubernetes.io/zone=us-west-2a,kubernetes.io/arch=amd64',
      '--node-labels=topology.k8s.aws/zone-id=usw2-az1,note=',
      '--node-labels=',
      '--node-labels=a=b,,c=d',
      '--v=2',
    ]);
  });

  it('refuses a kubernetes.io or k8s.io label the kubelet may not set, naming it', () => {
    const problems = nodeLabelProblems('--node-labels=team=a,node-role.kubernetes.io/worker=true,x.k8s.io/y=1,node-restriction.kubernetes.io/z=1', P);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(
      /^spec\.kubelet\.flags\[0\]: label "node-role\.kubernetes\.io\/worker" in --node-labels is one a kubelet may not set on its Node, and it refuses to start \(expected a key outside kubernetes\.io and k8s\.io, under node\.kubernetes\.io\/ or kubelet\.kubernetes\.io\/, or one of kubernetes\.io\/hostname, .*; set others with kubectl label\)$/,
    );
    expect(problems[1]).toContain('label "x.k8s.io/y"');
    expect(problems[2]).toContain('label "node-restriction.kubernetes.io/z"');
  });

  it('refuses an item that is not key=value, a key that is not a qualified name, and a value that is not a label value', () => {
    expect(nodeLabelProblems(`--node-labels=a,b/c/d=1,Bad.Prefix/x=1,-x=1,ok=not/valid,long=${'v'.repeat(64)}`, P)).toEqual([
      'spec.kubelet.flags[0]: "a" in --node-labels is not key=value (expected e.g. "--node-labels=team=a,tier=b")',
      'spec.kubelet.flags[0]: label key "b/c/d" in --node-labels has more than one "/"',
      'spec.kubelet.flags[0]: label key "Bad.Prefix/x" in --node-labels has a prefix that is not a lower-case DNS name',
      'spec.kubelet.flags[0]: label key "-x" in --node-labels has a name that is not 1-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
      'spec.kubelet.flags[0]: label value "not/valid" of "ok" in --node-labels is not 0-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
      `spec.kubelet.flags[0]: label value "${'v'.repeat(64)}" of "long" in --node-labels is not 0-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`,
    ]);
  });
});

describe('--register-with-taints, as the kubelet parses it before it starts', () => {
  it('accepts key=value:Effect and key:Effect items', () => {
    expect(nodeLabelProblems('--register-with-taints=dedicated=gpu:NoSchedule,nvidia.com/gpu:NoExecute,spot=:PreferNoSchedule', P)).toEqual([]);
    expect(nodeLabelProblems('--register-with-taints=', P)).toEqual([]);
    expect(nodeLabelProblems('--register-with-taints=a:NoSchedule,', P)).toEqual([
      expect.stringMatching(/^spec\.kubelet\.flags\[0\]: "" in --register-with-taints is not key\[=value\]:Effect/),
    ]);
  });

  it('refuses an item without a known effect, and a key or value that is not a label one', () => {
    expect(nodeLabelProblems('--register-with-taints=dedicated=gpu,a=b:NoSchedul,-k=v:NoSchedule,k=a/b:NoExecute', P)).toEqual([
      'spec.kubelet.flags[0]: "dedicated=gpu" in --register-with-taints is not key[=value]:Effect with Effect one of NoSchedule, PreferNoSchedule, NoExecute (expected e.g. "--register-with-taints=dedicated=gpu:NoSchedule")',
      'spec.kubelet.flags[0]: "a=b:NoSchedul" in --register-with-taints is not key[=value]:Effect with Effect one of NoSchedule, PreferNoSchedule, NoExecute (expected e.g. "--register-with-taints=dedicated=gpu:NoSchedule")',
      'spec.kubelet.flags[0]: taint key "-k" in --register-with-taints has a name that is not 1-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
      'spec.kubelet.flags[0]: taint value "a/b" of "k" in --register-with-taints is not 0-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
    ]);
  });
});

describe('a flag the agent reads, written without its value', () => {
  it('is refused: the kubelet would take the next flag as its value, or stop without one', () => {
    for (const flag of [
      '--node-labels',
      '--register-with-taints',
      '--hostname-override',
      '--kube-reserved',
      '--system-reserved',
      '--eviction-hard',
      '--eviction-soft',
      '--eviction-soft-grace-period',
      '--eviction-minimum-reclaim',
      '--cloud-provider',
    ]) {
      expect(nodeLabelProblems(flag, P), flag).toEqual([
        expect.stringMatching(
          new RegExp(
            `^spec\\.kubelet\\.flags\\[0\\]: "${flag}" needs a value: the kubelet would take the next flag as its value, or stop at start without one \\(expected e\\.g\\. "${flag}=.+"\\)$`,
          ),
        ),
      ]);
    }
    // with "=" and nothing after it, each is an empty list (or no override): the kubelet starts
    expectAccepted(['--node-labels=', '--register-with-taints=', '--hostname-override=']);
    // a boolean flag may stand alone, and so may one the agent does not read
    expect(nodeLabelProblems('--fail-swap-on', P)).toEqual([]);
  });
});

describe('a --kube-reserved flag, which the kubelet does not merge with the config', () => {
  it('warns when no occurrence keeps memory, naming what the agent computed and the flag drops', () => {
    expect(kubeletFlagWarnings(['--v=2', '--kube-reserved=cpu=250m'])).toEqual([
      'spec.kubelet.flags[1]: "--kube-reserved=cpu=250m" replaces the kubeReserved the agent computes for the instance instead of adding to it: the kubelet then reserves no ephemeral-storage, memory for itself and containerd (expected memory in the flag, or the flag moved to kubelet.config.kubeReserved, which merges key by key)',
    ]);
    // later occurrences add to the map the first one started
    expect(kubeletFlagWarnings(['--kube-reserved=cpu=250m', '--kube-reserved=memory=1Gi'])).toEqual([]);
    expect(kubeletFlagWarnings(['--kube-reserved=cpu=250m,memory=1Gi,ephemeral-storage=1Gi'])).toEqual([]);
    expect(kubeletFlagWarnings(['--system-reserved=cpu=250m'])).toEqual([]);
  });
});

describe('--eviction-hard, as the kubelet parses it before it starts', () => {
  it('accepts signal<threshold items with a quantity or a percentage, and an empty value', () => {
    expectAccepted(['--eviction-hard=memory.available<500Mi,nodefs.available<10%', '--eviction-hard=pid.available<5%,', '--eviction-hard=']);
  });

  it('refuses an item without "<" and a threshold that is neither a quantity nor a percentage, naming each', () => {
    expect(nodeLabelProblems('--eviction-hard=memory.available=500Mi,nodefs.available<10pct,imagefs.available<1GB,nodefs.inodesFree<101%', P)).toEqual([
      'spec.kubelet.flags[0]: "memory.available=500Mi" in --eviction-hard is not signal<threshold (expected e.g. "--eviction-hard=memory.available<500Mi,nodefs.available<10%,nodefs.inodesFree<5%")',
      'spec.kubelet.flags[0]: threshold "10pct" of "nodefs.available" in --eviction-hard is not a quantity above zero or a percentage from 0% to 100% (expected e.g. "100Mi" or "10%")',
      'spec.kubelet.flags[0]: threshold "1GB" of "imagefs.available" in --eviction-hard is not a quantity above zero or a percentage from 0% to 100% (expected e.g. "100Mi" or "10%")',
      'spec.kubelet.flags[0]: threshold "101%" of "nodefs.inodesFree" in --eviction-hard is not a quantity above zero or a percentage from 0% to 100% (expected e.g. "100Mi" or "10%")',
    ]);
  });

  it('judges the other map flags like the kubelet.config fields they set', () => {
    expect(
      nodeLabelProblems('--kube-reserved=cpu=250m,memory=1GB', P).concat(
        nodeLabelProblems('--system-reserved=cpu', P),
        nodeLabelProblems('--eviction-soft=memory.available<1Gi,nodefs.available=15%', P),
        nodeLabelProblems('--eviction-soft-grace-period=memory.available=90', P),
      ),
    ).toEqual([
      'spec.kubelet.flags[0]: quantity "1GB" of "memory" in --kube-reserved is not a quantity of 0 or more (expected e.g. "100m", "512Mi" or "1Gi")',
      'spec.kubelet.flags[0]: "cpu" in --system-reserved is not resource=quantity (expected e.g. "--system-reserved=cpu=250m,memory=512Mi")',
      'spec.kubelet.flags[0]: "nodefs.available=15%" in --eviction-soft is not signal<threshold (expected e.g. "--eviction-soft=memory.available<1Gi")',
      'spec.kubelet.flags[0]: grace period "90" of "memory.available" in --eviction-soft-grace-period is not a duration of 0 or more (expected e.g. "1m30s")',
    ]);
    expectAccepted([
      '--kube-reserved=cpu=250m,memory=1Gi,ephemeral-storage=1Gi',
      '--system-reserved=memory=512Mi',
      '--eviction-soft=memory.available<1.5Gi',
      '--eviction-soft-grace-period=memory.available=1m30s',
      '--eviction-minimum-reclaim=memory.available=0.5Gi,nodefs.available=500Mi',
      '--kube-reserved=pid=1000',
    ]);
  });

  it('refuses a resource the kubelet does not reserve, a reservation below zero and a threshold of zero, as in kubelet.config', () => {
    expect(
      nodeLabelProblems('--kube-reserved=memory=1Gi,storage=1Gi', P).concat(
        nodeLabelProblems('--system-reserved=cpu=-100m', P),
        nodeLabelProblems('--eviction-hard=memory.available<0', P),
        nodeLabelProblems('--eviction-minimum-reclaim=memory.available=0%', P),
      ),
    ).toEqual([
      'spec.kubelet.flags[0]: "storage" in --kube-reserved is not a resource the kubelet reserves, and the kubelet stops at start (expected one of cpu, memory, ephemeral-storage, pid)',
      'spec.kubelet.flags[0]: quantity "-100m" of "cpu" in --system-reserved is not a quantity of 0 or more (expected e.g. "100m", "512Mi" or "1Gi")',
      'spec.kubelet.flags[0]: threshold "0" of "memory.available" in --eviction-hard is not a quantity above zero or a percentage from 0% to 100% (expected e.g. "100Mi" or "10%")',
      'spec.kubelet.flags[0]: amount "0%" of "memory.available" in --eviction-minimum-reclaim is not a quantity of 0 or more or a percentage above zero (expected e.g. "500Mi" or "5%")',
    ]);
  });

  it('warns when the occurrences leave out a signal the agent sets, since the kubelet then has no threshold for it', () => {
    expect(kubeletFlagWarnings(['--eviction-hard=memory.available<500Mi'])).toEqual([
      `spec.kubelet.flags[0]: "--eviction-hard=memory.available<500Mi" replaces the evictionHard thresholds the agent writes instead of adding to them: the kubelet then has no hard threshold for nodefs.available, nodefs.inodesFree and evicts no pod for them (expected every one of ${Object.keys(AGENT_EVICTION_HARD).join(', ')} in the flag, or the flag moved to kubelet.config.evictionHard, which merges key by key)`,
    ]);
    expect(kubeletFlagWarnings(['--eviction-hard='])[0]).toMatch(/no hard threshold for memory\.available, nodefs\.available, nodefs\.inodesFree /);
    // later occurrences add to the map the first one started
    expect(kubeletFlagWarnings(['--eviction-hard=memory.available<500Mi,nodefs.available<10%', '--eviction-hard=nodefs.inodesFree<5%'])).toEqual([]);
    expect(kubeletFlagWarnings(['--eviction-soft=memory.available<1Gi'])).toEqual([]);
  });
});

describe('a flag pointing the kubelet at another file than the agent writes', () => {
  it('warns that the agent file goes unread, naming what the kubelet then lacks', () => {
    expect(kubeletFlagWarnings(['--config=/etc/kubernetes/kubelet/kubelet-config.json'])).toEqual([
      'spec.kubelet.flags[0]: "--config=/etc/kubernetes/kubelet/kubelet-config.json" replaces the agent\'s /etc/kubernetes/kubelet/config.json, and the kubelet then goes without everything the agent computed for this node (clusterDNS, maxPods and the reservations that follow it, the cluster\'s CA, the providerID) (expected kubelet.config, which is layered over the agent file field by field)',
    ]);
    const flags = ['--kubeconfig=/root/.kube/config', '--image-credential-provider-config=/x.json', '--config-dir='];
    // the drop-in directory holds only the user's kubelet.config: without one there is nothing to lose
    expect(kubeletFlagWarnings(flags).map((w) => w.slice(0, 24))).toEqual(['spec.kubelet.flags[0]: "', 'spec.kubelet.flags[1]: "']);
    expect(kubeletFlagWarnings(flags, { maxPods: 20 })).toEqual([
      expect.stringMatching(
        /^spec\.kubelet\.flags\[2\]: "--config-dir=" replaces the agent's \/etc\/kubernetes\/kubelet\/config\.json\.d, and the kubelet then goes without spec\.kubelet\.config/,
      ),
      expect.stringMatching(/^spec\.kubelet\.flags\[0\]: "--kubeconfig=\/root\/\.kube\/config" replaces the agent's \/var\/lib\/kubelet\/kubeconfig/),
      expect.stringMatching(/^spec\.kubelet\.flags\[1\]: "--image-credential-provider-config=\/x\.json" replaces .* pulls from private ECR repositories fail/),
    ]);
    // the agent's own path, given again, changes nothing; only the last occurrence counts
    expect(kubeletFlagWarnings(['--config=/tmp/other.json', '--config=/etc/kubernetes/kubelet/config.json'])).toEqual([]);
  });
});

describe('a flag written as in a shell script', () => {
  it('warns that nothing expands it, naming what a shell would have', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax in a plain string is the input under test
    const flag = '--node-ip=${NODE_IP}';
    expect(kubeletFlagWarnings(['--v=2', flag])).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the warning quotes the shell syntax as written
      'spec.kubelet.flags[1]: "--node-ip=${NODE_IP}" holds shell syntax ("${NODE_IP}") that nothing expands: NodeConfig is read as YAML, not run by a shell, so the kubelet gets it as written (expected the value itself, or a user-data script that writes the NodeConfig)',
    ]);
    for (const [flag, syntax] of [
      ['--node-labels=team=$TEAM', '$TEAM'],
      ['--node-ip=$(hostname)', '$(hostname)'],
      ['--provider-id=`cat /id`', '`cat /id`'],
    ]) {
      expect(kubeletFlagWarnings([flag!]), flag).toEqual([expect.stringContaining(`holds shell syntax (${JSON.stringify(syntax)})`)]);
    }
    // a lone "$" is no expansion
    expect(kubeletFlagWarnings(['--node-labels=price=5$', '--system-reserved=memory=1Gi'])).toEqual([]);
  });
});

describe('--cloud-provider, which the kubelets EKS supports accept only as external', () => {
  it('refuses an in-tree provider name and accepts external or none', () => {
    expect(nodeLabelProblems('--cloud-provider=aws', P)).toEqual([
      'spec.kubelet.flags[0]: "--cloud-provider=aws" names a cloud provider built into the kubelet: kubelets from 1.27 on have none and stop at start (expected "--cloud-provider=external", which the agent already gives, or no such flag)',
    ]);
    expectAccepted(['--cloud-provider=external', '--cloud-provider=']);
  });
});

describe('--runonce, the removed run-once mode', () => {
  it('refuses it bare or true, and leaves it alone set to false', () => {
    const refused = (flag: string) =>
      `spec.kubelet.flags[0]: "${flag}" asks for the removed run-once mode: kubelets from 1.31 stop at start for it, older ones exit after starting the static pods, and the node never joins (expected no such flag)`;
    expect(nodeLabelProblems('--runonce', P)).toEqual([refused('--runonce')]);
    expect(nodeLabelProblems('--runonce=true', P)).toEqual([refused('--runonce=true')]);
    expectAccepted(['--runonce=false']);
  });
});

describe('kubelet.config.registerWithTaints, as the API server judges the Node', () => {
  it('needs a key that is a qualified name and a value that is a label value', () => {
    expect(
      configTaintProblems([
        { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
        { key: 'nvidia.com/gpu', effect: 'NoExecute' },
      ]),
    ).toEqual([]);
    expect(
      configTaintProblems([
        { value: 'gpu', effect: 'NoSchedule' },
        { key: 'a b', effect: 'NoSchedule' },
        { key: 'k', value: 'x/y', effect: 'NoSchedule' },
      ]),
    ).toEqual([
      'spec.kubelet.config.registerWithTaints[0].key: required field is missing (expected e.g. "dedicated")',
      'spec.kubelet.config.registerWithTaints[1].key: "a b" has a name that is not 1-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
      'spec.kubelet.config.registerWithTaints[2].value: "x/y" is not 0-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
    ]);
    expect(configTaintProblems(undefined)).toEqual([]);
  });

  it('refuses a timeAdded, which the kubelet refuses in a registration taint', () => {
    expect(
      configTaintProblems([
        { key: 'k', effect: 'NoExecute', timeAdded: '2026-01-02T15:04:05Z' },
        { key: 'k', effect: 'NoExecute', timeAdded: null },
      ]),
    ).toEqual([
      'spec.kubelet.config.registerWithTaints[0].timeAdded: is set, and the kubelet stops at start for a registration taint with a time (expected no timeAdded)',
    ]);
  });
});

describe('taints the kubelet registers without: one list, the last flag over the config file', () => {
  const karpenter = {
    registerWithTaints: [
      { key: 'karpenter.sh/unregistered', effect: 'NoExecute' },
      { key: 'dedicated', value: 'batch', effect: 'NoSchedule' },
    ],
  };

  it('warns when a flag replaces kubelet.config.registerWithTaints, naming the taints left out and why Karpenter cares', () => {
    const warnings = kubeletFlagWarnings(['--node-labels=a=b', '--register-with-taints=gpu=true:NoSchedule,dedicated=other:NoSchedule'], karpenter);
    expect(warnings).toEqual([
      'spec.kubelet.flags[1]: "--register-with-taints=gpu=true:NoSchedule,dedicated=other:NoSchedule" replaces kubelet.config.registerWithTaints (the kubelet takes the flag over its config file), so the node registers without karpenter.sh/unregistered:NoExecute (Karpenter registers its nodes with karpenter.sh/unregistered and takes it off once the Node has its NodePool\'s labels and taints) (expected every taint in one list: the last --register-with-taints, or kubelet.config.registerWithTaints without the flag)',
    ]);
    // an empty flag clears the list: everything is left out
    expect(kubeletFlagWarnings(['--register-with-taints='], karpenter)[0]).toMatch(
      /so the node registers without karpenter\.sh\/unregistered:NoExecute, dedicated=batch:NoSchedule /,
    );
  });

  it('warns when a later flag replaces an earlier one', () => {
    const warnings = kubeletFlagWarnings(['--register-with-taints=a=1:NoSchedule,b:NoExecute', '--v=2', '--register-with-taints=b:NoExecute']);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^spec\.kubelet\.flags\[0\]: "--register-with-taints=a=1:NoSchedule,b:NoExecute" is replaced by the later spec\.kubelet\.flags\[2\] \(the kubelet keeps the last --register-with-taints\), so the node registers without a=1:NoSchedule \(expected/,
      ),
    ]);
  });

  it('says nothing when the taints the kubelet keeps hold every one given (a value may differ: key and effect tell taints apart)', () => {
    expect(kubeletFlagWarnings(['--register-with-taints=karpenter.sh/unregistered:NoExecute,dedicated=x:NoSchedule'], karpenter)).toEqual([]);
    expect(kubeletFlagWarnings(['--register-with-taints=a:NoSchedule', '--register-with-taints=a:NoSchedule,b:NoSchedule'])).toEqual([]);
    expect(kubeletFlagWarnings(['--node-labels=a=b'], karpenter)).toEqual([]);
  });
});

describe("a later document's registerWithTaints, which replaces an earlier one's", () => {
  const karpenterPart = {
    where: 'imds://user-data (MIME part 1)',
    kubeletConfig: { registerWithTaints: [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }] },
  };

  it('warns naming the taints the later list leaves out, and where each list came from', () => {
    const userPart = { where: 'imds://user-data (MIME part 2)', kubeletConfig: { registerWithTaints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] } };
    expect(registerTaintsMergeWarnings([karpenterPart, { where: 'x', kubeletConfig: { maxPods: 20 } }, userPart])).toEqual([
      "spec.kubelet.config.registerWithTaints of imds://user-data (MIME part 2) replaces the list of imds://user-data (MIME part 1) (a later document's list replaces an earlier one's), so the node registers without karpenter.sh/unregistered:NoExecute (Karpenter registers its nodes with karpenter.sh/unregistered and takes it off once the Node has its NodePool's labels and taints) (expected every taint in the later list)",
    ]);
  });

  it('says nothing when the later list keeps every taint, or only one document has a list', () => {
    const keeps = {
      where: 'b',
      kubeletConfig: {
        registerWithTaints: [
          { key: 'karpenter.sh/unregistered', effect: 'NoExecute' },
          { key: 'gpu', effect: 'NoSchedule' },
        ],
      },
    };
    expect(registerTaintsMergeWarnings([karpenterPart, keeps])).toEqual([]);
    expect(registerTaintsMergeWarnings([karpenterPart, { where: 'b', kubeletConfig: undefined }])).toEqual([]);
  });
});

describe('kubelet flags some kubelets no longer have', () => {
  const flags = ['--network-plugin=cni', '--node-labels=a=b', '--container-runtime', '--log-dir=/var/log/k', '--cloud-config=/etc/kubernetes/cloud.conf'];

  it('names each removed flag with the version that removed it', () => {
    expect(removedKubeletFlags(flags).map((r) => [r.index, r.name, r.removedIn])).toEqual([
      [0, '--network-plugin', 24],
      [2, '--container-runtime', 27],
      [3, '--log-dir', 26],
      [4, '--cloud-config', 34],
    ]);
    // a prefix of a removed flag's name is another flag
    expect(removedKubeletFlags(['--network-plugin-dir=x', '--log-dirs=y', '--v=2'])).toEqual([]);
  });

  it('advises on those gone from every kubelet the image runs, and warns about the ones a newer kubelet lacks', () => {
    expect(removedFlagAdvisories(flags)).toEqual([
      'spec.kubelet.flags[0]: "--network-plugin=cni" is a flag the kubelet no longer has (removed in 1.24, before every kubelet this image runs), and the kubelet stops at start for it; a boot leaves it out (expected no such flag; instead nothing: containerd is the runtime and runs the CNI plugins (its own settings go in spec.containerd.config))',
      'spec.kubelet.flags[2]: "--container-runtime" is a flag the kubelet no longer has (removed in 1.27, before every kubelet this image runs), and the kubelet stops at start for it; a boot leaves it out (expected no such flag; instead nothing: every kubelet talks to containerd through the CRI, which the agent configures)',
      'spec.kubelet.flags[3]: "--log-dir=/var/log/k" is a flag the kubelet no longer has (removed in 1.26, before every kubelet this image runs), and the kubelet stops at start for it; a boot leaves it out (expected no such flag; instead nothing: the kubelet logs to the journal (journalctl -u kubelet), and --v sets the level)',
    ]);
    expect(kubeletFlagWarnings(flags)).toEqual([
      'spec.kubelet.flags[4]: "--cloud-config=/etc/kubernetes/cloud.conf" is a flag kubelets from 1.34 on no longer have, and they stop at start for it: a boot leaves it out for them and passes it to older ones (expected no such flag; instead nothing: with the external cloud provider the kubelet reads no cloud config)',
    ]);
  });

  it('leaves a flag out for a kubelet without it, and passes it to an older one', () => {
    const [network, cloudConfig] = removedKubeletFlags(['--network-plugin=cni', '--v=2', '--cloud-config=x']);
    expect([27, 33, 34, 36].map((minor) => [isLeftOut(network!, minor), isLeftOut(cloudConfig!, minor)])).toEqual([
      [true, false],
      [true, false],
      [true, true],
      [true, true],
    ]);
  });
});

describe('kubelet flag names', () => {
  it('advise on a flag no kubelet in the list has, naming the near miss', () => {
    expect(
      unknownFlagAdvisories(['--node-labels=a=b', '--v=2', '--node-lables=a=b', '--kube-reserved', '--housekeeping-interval=10s', '--no-such-thing']),
    ).toEqual([
      'spec.kubelet.flags[2]: "--node-lables=a=b" is not a flag the kubelet knows (did you mean "--node-labels"?), and the kubelet stops at start for one it does not (the list is of Kubernetes 1.36; a newer kubelet may know more)',
      'spec.kubelet.flags[5]: "--no-such-thing" is not a flag the kubelet knows, and the kubelet stops at start for one it does not (the list is of Kubernetes 1.36; a newer kubelet may know more)',
    ]);
    // removed flags are judged apart, with their release
    expect(unknownFlagAdvisories(['--pod-infra-container-image=x', '--network-plugin=cni'])).toEqual([]);
  });
});

describe('--node-ip, as the kubelet parses it', () => {
  it('takes one address or an IPv4 and IPv6 pair, and refuses more or two of one family', () => {
    expect(nodeLabelProblems('--node-ip=10.0.1.23', P)).toEqual([]);
    expect(nodeLabelProblems('--node-ip=10.0.1.23, 2600:1f14::1', P)).toEqual([]);
    expect(nodeLabelProblems('--node-ip=10.0.1.23,10.0.1.24', P)).toEqual([
      'spec.kubelet.flags[0]: "--node-ip=10.0.1.23,10.0.1.24" is neither one address nor an IPv4 and IPv6 pair, and the kubelet stops at start (expected e.g. "--node-ip=10.0.1.23" or "--node-ip=10.0.1.23,2600:1f14::1")',
    ]);
    expect(nodeLabelProblems('--node-ip=0.0.0.0,2600:1f14::1', P)).toEqual([
      'spec.kubelet.flags[0]: "--node-ip=0.0.0.0,2600:1f14::1" names 0.0.0.0 or :: in a dual-stack pair, and the kubelet stops at start (expected the node\'s two addresses)',
    ]);
    // one unspecified address alone means "choose": the kubelet takes it
    expect(nodeLabelProblems('--node-ip=::', P)).toEqual([]);
  });

  it('advises on an item that is not an address, which the kubelet skips', () => {
    expect(nodeIpAdvisories(['--node-ip=10.0.1.256,2600:1f14::1'])).toEqual([
      'spec.kubelet.flags[0]: "10.0.1.256" in --node-ip is not an IP address, and the kubelet ignores it and picks the node\'s address itself (expected e.g. "--node-ip=10.0.1.23")',
    ]);
    // an unexpanded shell variable gets the shell-syntax warning instead, which says why
    expect(nodeIpAdvisories(['--node-ip=$NODE_IP'])).toEqual([]);
  });
});
