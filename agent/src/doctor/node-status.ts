import type { NodeObject } from './api-objects.js';

/**
 * What keeps a Ready Node from running pods, read from the Node object: taints that should have
 * been lifted by now. The kubelet registers with `--cloud-provider=external`, so the Node carries
 * node.cloudprovider.kubernetes.io/uninitialized until EKS's cloud controller finds the instance
 * (by the Node's providerID and name) and fills in its addresses; Karpenter's nodes carry
 * karpenter.sh/unregistered until Karpenter matches the Node to its NodeClaim. A taint left
 * behind means a Ready Node on which nothing without a toleration is ever scheduled.
 */

/** Whole seconds from an API timestamp (RFC 3339) to now; undefined when there is none or it does not parse. */
export function secondsSince(timestamp: string | undefined, now: Date): number | undefined {
  const then = Date.parse(timestamp ?? '');
  return Number.isNaN(then) ? undefined : Math.floor((now.getTime() - then) / 1000);
}

export const UNINITIALIZED_TAINT = 'node.cloudprovider.kubernetes.io/uninitialized';
export const KARPENTER_UNREGISTERED_TAINT = 'karpenter.sh/unregistered';

/** Both are lifted seconds after registration; past this, each is stuck. */
export const TAINT_GRACE_SECONDS = 120;

export interface StuckTaint {
  key: string;
  found: string;
  hint: string;
}

/**
 * The taints the cloud controller or Karpenter should have lifted, present past the grace period
 * after registration. `expectedProviderId` is `aws:///<zone>/<instance id>` as IMDS gives them.
 */
export function stuckTaints(node: NodeObject, now: Date, expectedProviderId?: string): StuckTaint[] {
  const age = secondsSince(node.metadata?.creationTimestamp, now);
  if (age !== undefined && age < TAINT_GRACE_SECONDS) return [];
  const since = age === undefined ? '' : ` ${age} s after registration`;
  const keys = new Set((node.spec?.taints ?? []).map((t) => t.key));
  const out: StuckTaint[] = [];
  if (keys.has(UNINITIALIZED_TAINT)) {
    const providerId = node.spec?.providerID;
    const wrong = expectedProviderId && providerId !== expectedProviderId;
    out.push({
      key: UNINITIALIZED_TAINT,
      found: `tainted ${UNINITIALIZED_TAINT}${since}: the cloud controller has not initialized it${
        wrong ? ` (its providerID is ${providerId ? `"${providerId}"` : 'empty'}, not ${expectedProviderId})` : ''
      }`,
      hint: wrong
        ? `EKS's cloud controller finds the instance by the Node's providerID: a providerID in spec.kubelet.config or a --provider-id flag must be ${expectedProviderId} (the agent sets it; leave it out)`
        : "EKS's cloud controller initializes a Node whose name is the instance's PrivateDnsName (or its instance id with the InstanceIdNodeName gate) and whose instance it may describe: a --hostname-override in spec.kubelet.flags leaves the taint on; until it is lifted only pods that tolerate it are scheduled here",
    });
  }
  if (keys.has(KARPENTER_UNREGISTERED_TAINT)) {
    out.push({
      key: KARPENTER_UNREGISTERED_TAINT,
      found: `tainted ${KARPENTER_UNREGISTERED_TAINT}${since}: Karpenter has not matched the Node to its NodeClaim`,
      hint: "Karpenter lifts the taint when the Node's providerID matches a NodeClaim it launched: see `kubectl get nodeclaims` and the Karpenter controller's log for this instance id",
    });
  }
  return out;
}
