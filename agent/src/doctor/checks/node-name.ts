import { lastFlag } from '../../api/kubelet-flags.js';
import { flagPath } from '../../api/kubelet-flag-items.js';
import { describeCause } from '../../errors.js';
import { hostnameDomain } from '../../facts/instance.js';
import type { Check } from '../runner.js';
import type { DoctorDeps } from '../types.js';
import type { ConfigValue } from './config.js';
import type { InstanceRole } from './imds.js';
import { instanceAccess, keptAnswers } from '../instance.js';

export interface NodeNameValue {
  /** the name the kubelet registers (or would register) the node with */
  nodeName: string;
  /** the instance's DNS name the boot path found (PrivateDnsName or local-hostname), unless the node is named by its id */
  instanceDnsName?: string;
}

/**
 * The name the node registers with, asked of the boot path, and why it is that name. EKS
 * authorizes a node by its EC2 PrivateDnsName, so with a custom DHCP domain the name comes from
 * ec2:DescribeInstances; a role without that permission leaves the node unable to boot.
 */
export function nodeNameCheck(deps: DoctorDeps): Check {
  return {
    name: 'node-name',
    // this boot's kept answers name the instance without a live IMDS
    needs: keptAnswers(deps) ? ['config'] : ['imds', 'config'],
    timeoutMs: 10_000,
    async run(ctx) {
      const { source } = ctx.value<ConfigValue>('config');
      const instance = await instanceAccess(deps, ctx);
      const identity = instance.identity;
      if (!identity) {
        return {
          status: 'fail',
          detail: "the instance identity document is not among this boot's kept answers, and IMDS did not give it",
          hint: 'see the imds line',
        };
      }
      const hostname = identity.localHostname;
      const why = hostname ? `local-hostname ${hostname} has the custom DHCP domain "${hostnameDomain(hostname) || '(none)'}"` : 'IMDS has no local-hostname';
      let found;
      try {
        // the credentials are waited for only when ec2:DescribeInstances must name the node
        found = await deps.nodeName(source, {
          timeoutMs: Math.max(1, ctx.remainingMs() - 1_000),
          region: identity.region,
          credentials: instance.credentials,
          ...(instance.imds ? { imds: instance.imds } : {}),
        });
      } catch (err) {
        const role = await ctx.optional<InstanceRole>('instance-profile');
        return {
          status: 'fail',
          detail: `${why}; ${role ? describeCause(err) : 'no instance credentials to ask ec2:DescribeInstances for the PrivateDnsName'}`,
          hint:
            `EKS registers nodes by their EC2 PrivateDnsName, which only ec2:DescribeInstances gives here: allow ec2:DescribeInstances ` +
            `for ${role ? `role ${role.roleName}` : 'the instance profile role'}, or set spec.featureGates.InstanceIdNodeName: true`,
        };
      }
      // the instance's own DNS name, which the serving-cert line counts among the instance's names
      const instanceDnsName = found.source === 'instance-id' ? {} : { instanceDnsName: found.name };
      // The user's flags come last: a --hostname-override is the name the kubelet really uses.
      const override = lastFlag(source.spec?.kubelet?.flags, '--hostname-override');
      if (override) {
        // an empty one undoes the agent's: the kubelet falls back to the machine's host name, lower-cased
        const name = override.value !== '' ? override.value : (await deps.readFile('/proc/sys/kernel/hostname'))?.content.toString().trim().toLowerCase();
        if (name !== found.name) {
          return {
            status: 'warn',
            detail: `the kubelet registers as ${name || "the machine's host name"} (${flagPath(source.spec?.kubelet?.flags, override.index)} ${override.value === '' ? 'an empty --hostname-override' : '--hostname-override'}), not ${found.name}, the name EKS lets the node role register`,
            hint: `remove --hostname-override from spec.kubelet.flags: the API server refuses a Node the node role may not register (forbidden in \`journalctl -u kubelet\`)`,
            value: { nodeName: name || found.name, ...instanceDnsName } satisfies NodeNameValue,
          };
        }
      }
      const value: NodeNameValue = { nodeName: found.name, ...instanceDnsName };
      switch (found.source) {
        case 'instance-id':
          return { status: 'ok', detail: `${found.name} (featureGates.InstanceIdNodeName)`, value };
        case 'local-hostname':
          return { status: 'ok', detail: `${found.name} (IMDS local-hostname, domain ${hostnameDomain(found.name)} is EC2-assigned)`, value };
        case 'ec2:DescribeInstances':
          return { status: 'ok', detail: `${found.name} (PrivateDnsName from ec2:DescribeInstances: ${why})`, value };
      }
    },
  };
}
