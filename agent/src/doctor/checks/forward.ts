import { describeCause } from '../../errors.js';
import type { Check } from '../runner.js';
import type { DoctorDeps } from '../types.js';

/** The image's unit that sets the FORWARD policy to ACCEPT as the kubelet starts (on every kubelet start). */
export const FORWARD_UNIT = 'eks-node-forward-accept.service';

/** The forward-policy check's value: the `iptables -S FORWARD` lines it judged. */
export interface ForwardChain {
  lines: string[];
}

/** The policy from `iptables -S FORWARD` lines (`-P FORWARD ACCEPT`), or undefined when none is there. */
export function forwardPolicy(lines: string[]): string | undefined {
  for (const line of lines) {
    const m = /^-P FORWARD (\S+)$/.exec(line.trim());
    if (m) return m[1];
  }
  return undefined;
}

/** Who to suspect when the policy is not ACCEPT, from the state of the unit that sets it. */
async function suspect(deps: DoctorDeps, timeoutMs: number): Promise<string> {
  try {
    const s = await deps.systemctlShow(FORWARD_UNIT, timeoutMs);
    if (s.loadState === 'not-found') return `${FORWARD_UNIT} is not installed (an image not built from the eks-node template?)`;
    if (s.activeState === 'failed')
      return `${FORWARD_UNIT} failed (result ${s.result}, exit status ${s.execMainStatus}): see \`journalctl -u ${FORWARD_UNIT}\``;
    if (s.activeState === 'active')
      return `${FORWARD_UNIT} set ACCEPT when the kubelet last started, so something changed it since (a host firewall, or Docker)`;
    return `${FORWARD_UNIT} is ${s.activeState}: it runs as the kubelet starts and stops with it, so the kubelet has not started since boot or was stopped`;
  } catch (err) {
    return `the state of ${FORWARD_UNIT} is unknown (${describeCause(err)})`;
  }
}

/**
 * The IPv4 FORWARD policy. A pod on another node reaches a pod here through this host's FORWARD
 * chain; with the policy DROP the node joins and looks Ready, but those connections die
 * silently. The image sets ACCEPT in its own unit, which the kubelet only wants (a failed
 * iptables does not keep the node from joining), so this check is where a wrong policy shows.
 */
export function forwardCheck(deps: DoctorDeps): Check {
  return {
    name: 'forward-policy',
    needs: [],
    timeoutMs: 5_000,
    timeoutHint: 'iptables waits for the xtables lock, which another process holds',
    async run(ctx) {
      let lines: string[];
      try {
        lines = await deps.forwardChain(Math.max(1, ctx.remainingMs() - 1_000));
      } catch (err) {
        return {
          status: 'warn',
          detail: `cannot read the iptables FORWARD policy: ${describeCause(err)}`,
          hint: 'run the doctor as root (sudo eks-node-agent doctor) on a node with iptables',
        };
      }
      // the chain as read goes into the support bundle (bundle.ts), whatever the verdict
      const value: ForwardChain = { lines };
      const policy = forwardPolicy(lines);
      if (policy === undefined) {
        return { status: 'warn', detail: `iptables -S FORWARD printed no policy line (first line: ${JSON.stringify(lines[0] ?? '')})`, value };
      }
      const rules = lines.filter((l) => l.startsWith('-A FORWARD ')).length;
      const found = `iptables FORWARD policy ${policy}, ${rules} rule(s) in the chain`;
      if (policy === 'ACCEPT') return { status: 'ok', detail: found, value };
      return {
        status: 'fail',
        value,
        detail: `${found}; ${await suspect(deps, Math.max(1, ctx.remainingMs() - 500))}`,
        hint: `pods on other nodes cannot open connections to pods on this node (their packets are forwarded here and dropped); \`systemctl restart ${FORWARD_UNIT}\` sets ACCEPT now and every kubelet restart sets it again; stop whatever sets ${policy}`,
      };
    },
  };
}
