/**
 * What the support bundle keeps of the Node and of the pods bound to it, as the API server gave
 * them to doctor: their state (conditions, taints, addresses, container states and the kubelet's
 * reasons), not their specs. A pod's spec holds its environment and arguments, which may carry a
 * user's secrets; annotations are left out for the same reason.
 */

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Only the named keys that are present, in that order. */
function pick(from: unknown, keys: readonly string[]): Json {
  const source = obj(from);
  const out: Json = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

const CONDITION = ['type', 'status', 'reason', 'message', 'lastTransitionTime'] as const;
const NODE_INFO = ['kubeletVersion', 'containerRuntimeVersion', 'kernelVersion', 'osImage', 'architecture'] as const;

export function nodeSummary(node: unknown): Json {
  const { metadata, spec, status } = obj(node);
  return {
    ...pick(metadata, ['name', 'creationTimestamp', 'labels']),
    ...pick(spec, ['providerID', 'unschedulable', 'taints']),
    conditions: list(obj(status).conditions).map((c) => pick(c, CONDITION)),
    ...pick(status, ['addresses', 'capacity', 'allocatable']),
    nodeInfo: pick(obj(status).nodeInfo, NODE_INFO),
  };
}

/** A container's state, one of waiting, running or terminated, with the kubelet's reason. */
function state(s: unknown): Json {
  const out: Json = {};
  for (const [kind, value] of Object.entries(obj(s))) out[kind] = pick(value, ['reason', 'message', 'exitCode', 'startedAt', 'finishedAt']);
  return out;
}

function containers(statuses: unknown): Json[] {
  return list(statuses).map((c) => ({
    ...pick(c, ['name', 'image', 'ready', 'restartCount']),
    state: state(obj(c).state),
    ...(Object.keys(obj(obj(c).lastState)).length > 0 ? { lastState: state(obj(c).lastState) } : {}),
  }));
}

export function podSummary(pod: unknown): Json {
  const { metadata, spec, status } = obj(pod);
  const owner = obj(list(obj(metadata).ownerReferences)[0]);
  const s = obj(status);
  return {
    ...pick(metadata, ['namespace', 'name', 'creationTimestamp']),
    ...(owner.kind ? { owner: `${String(owner.kind)}/${String(owner.name ?? '')}` } : {}),
    ...pick(spec, ['hostNetwork', 'priorityClassName']),
    ...pick(s, ['phase', 'reason', 'message', 'startTime', 'podIP']),
    conditions: list(s.conditions).map((c) => pick(c, CONDITION)),
    ...(s.initContainerStatuses ? { initContainers: containers(s.initContainerStatuses) } : {}),
    containers: containers(s.containerStatuses),
  };
}

/** The summaries of a PodList's items. */
export const podSummaries = (podList: unknown): Json[] => list(obj(podList).items).map(podSummary);
