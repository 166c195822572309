import { describeCause } from '../../errors.js';
import { builtinEniLimits } from '../../facts/builtin-instance-types.js';
import { eniMaxPods, eniMaxPodsWithPrefixes } from '../../render/max-pods.js';
import {
  IPAMD_LOG,
  IPAMD_TAIL_BYTES,
  agentHint,
  failingNodeAgents,
  ipamdEvidence,
  type PodCapacity,
  prefixDelegation,
  sandboxFailures,
  sandboxHint,
  stuckPods,
} from '../pod-sandboxes.js';
import { type PodObject, readPodList } from '../api-objects.js';
import type { Check, CheckContext, Outcome } from '../runner.js';
import { podSummaries } from '../kube-summary.js';
import type { ConfigValue } from './config.js';
import type { DoctorDeps } from '../types.js';
import { type AuthValue, PULL_JOURNAL_LINES, type RegistrationValue, askApiServer, firstLine } from './apiserver.js';
import type { NodeNameValue } from './node-name.js';

/**
 * The pods the node should run but cannot: on a Ready node, pods bound to it stuck in
 * ContainerCreating (no volumes or no sandbox) past a minute, and why, from the kubelet's journal
 * and, when the pod network had no address, from the VPC CNI's ipamd log; and the node's own
 * DaemonSet pods, and CoreDNS's, that crash-loop or cannot get their image. The node's own credentials may list
 * the pods bound to it (the Node authorizer's rule), which is all this asks.
 */
export function podsCheck(deps: DoctorDeps): Check {
  return {
    name: 'pods',
    needs: ['registration', 'auth', 'node-name'],
    timeoutMs: 10_000,
    async run(ctx) {
      const { reach, token } = ctx.value<AuthValue>('auth');
      const name = ctx.value<NodeNameValue>('node-name').nodeName;
      const selector = encodeURIComponent(`spec.nodeName=${name}`);
      let answer;
      try {
        answer = await askApiServer(reach, ctx, { method: 'GET', path: `/api/v1/pods?fieldSelector=${selector}`, token });
      } catch (err) {
        return { status: 'fail', detail: `GET pods on ${name} failed: ${describeCause(err)}`, hint: 'see the tcp and tls lines' };
      }
      if (answer.status !== 200) {
        return {
          status: 'warn',
          detail: `GET pods on ${name}: HTTP ${answer.status}: ${firstLine(answer.body)}`,
          hint: "the node's identity may list the pods bound to it (Node authorizer); see the auth line",
        };
      }
      let raw: unknown;
      try {
        raw = JSON.parse(answer.body);
      } catch {
        return { status: 'warn', detail: 'the pod list is not JSON', hint: 'the endpoint may not be a Kubernetes API server' };
      }
      const pods = readPodList(raw).items ?? [];
      // the bundle keeps the pods' state whatever the line says
      return { ...(await judgePods(deps, ctx, name, pods)), value: { pods: podSummaries(raw) } satisfies PodsValue };
    },
  };
}

/** The pods bound to the node, as the support bundle keeps them (their state, not their specs). */
export interface PodsValue {
  pods: Array<Record<string, unknown>>;
}

async function judgePods(deps: DoctorDeps, ctx: CheckContext, name: string, pods: PodObject[]): Promise<Outcome> {
  const stuck = stuckPods(pods, deps.now());
  const agents = failingNodeAgents(pods);
  const count = `${pods.length} pod${pods.length === 1 ? '' : 's'} bound to ${name}`;
  const failing =
    agents.length === 0
      ? undefined
      : `failing on this node: ${agents.map((a) => `${a.pod} (${a.container}: ${a.reason}${a.restarts > 0 ? `, ${a.restarts} restarts` : ''})`).join(', ')}`;
  if (stuck.length === 0) {
    if (!failing) return { status: 'ok', detail: `${count}, none stuck in ContainerCreating` };
    // the cluster's own agents (kube-system) make the node useless; another DaemonSet's pod, less so
    const system = agents.some((a) => a.pod.startsWith('kube-system/'));
    return { status: system ? 'fail' : 'warn', detail: `${count}; ${failing}`, hint: agentHint(agents[0]!) };
  }
  const waiting = `${stuck.length} stuck in ContainerCreating for over a minute (oldest ${stuck[0]!.pod}, ${stuck[0]!.ageSeconds} s)`;
  let lines: string[] = [];
  try {
    lines = await deps.journal('kubelet.service', PULL_JOURNAL_LINES, Math.max(1, ctx.remainingMs() - 100));
  } catch {
    // the unit:kubelet line reports an unreadable journal
  }
  const failures = sandboxFailures(lines);
  const names = new Set(stuck.map((p) => p.pod));
  // the failure of a pod that is stuck now, else the newest (a line may not name its pod)
  const failure = failures.find((f) => f.pod !== undefined && names.has(f.pod)) ?? failures[0];
  if (!failure) {
    // a slow volume attach or a journal rotated past the error: nothing proves the node at fault
    return {
      status: failing ? 'fail' : 'warn',
      detail: `${count}; ${waiting}; the kubelet's journal names no volume or sandbox error${failing ? `; ${failing}` : ''}`,
      hint: agents[0]
        ? agentHint(agents[0])
        : '`kubectl describe pod` shows its events (FailedMount, FailedCreatePodSandBox); see `journalctl -u kubelet` and `journalctl -u containerd`',
    };
  }
  const found = [`${count}`, waiting, `kubelet: ${failure.reason}`, ...(failing ? [failing] : [])];
  let ipamd;
  if (failure.cause === 'no address') {
    const tail = await deps.readTail(IPAMD_LOG, IPAMD_TAIL_BYTES).catch(() => undefined);
    ipamd = tail === undefined ? undefined : ipamdEvidence(tail);
    if (ipamd) found.push(`ipamd: ${ipamd.message}`);
  }
  const identity = (await ctx.optional<ConfigValue>('config'))?.identity;
  const limits = identity ? builtinEniLimits(identity.instanceType) : undefined;
  const maxPods = ctx.value<RegistrationValue>('registration').capacityPods;
  const capacity: PodCapacity | undefined =
    identity && limits && maxPods !== undefined
      ? {
          maxPods,
          formula: eniMaxPods(limits),
          instanceType: identity.instanceType,
          ...(prefixDelegation(pods) ? { prefixFormula: eniMaxPodsWithPrefixes(limits) } : {}),
        }
      : undefined;
  return { status: 'fail', detail: found.join('; '), hint: sandboxHint(failure, ipamd, capacity) };
}
