import { CertificateFormatError, parseCertificateRequest } from '../api/certificate.js';
import type { CsrObject } from './api-objects.js';
import { secondsSince } from './node-status.js';

/**
 * What became of the kubelet's kubernetes.io/kubelet-serving CertificateSigningRequests, read from
 * the API server with the node's own credentials (the Node authorizer lets a node create, get and
 * list CSRs). The kubelet names its CSRs at random, so this node's are told apart by requester.
 */

export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';

export type CsrPhase = 'pending' | 'approved' | 'issued' | 'denied' | 'failed';

export interface CsrState {
  name: string;
  phase: CsrPhase;
  ageSeconds?: number;
  /** the deciding condition's reason and message (Denied, Failed, Approved) */
  why?: string;
  /** the names the request asks for, as `DNS:x`, `IP Address:y` (a certificate's own spelling) */
  names?: string[];
  /** how many of this requester's serving CSRs the list held */
  count: number;
}

/** The requested names of a CSR's base64 PEM request, or undefined when it does not parse. */
export function requestedNames(request: string | undefined): string[] | undefined {
  if (!request) return undefined;
  const pem = Buffer.from(request, 'base64').toString('latin1');
  const body = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]+?)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(pem)?.[1];
  if (!body) return undefined;
  try {
    const parsed = parseCertificateRequest(Buffer.from(body.replace(/\s+/g, ''), 'base64'));
    return [...parsed.dnsNames.map((n) => `DNS:${n}`), ...parsed.ipAddresses.map((a) => `IP Address:${a}`)];
  } catch (err) {
    if (err instanceof CertificateFormatError) return undefined;
    throw err;
  }
}

const TRUE = (c: { status?: string }) => c.status === undefined || c.status === 'True';

/** The phase of one CSR, as `kubectl get csr` spells its CONDITION column. */
function phaseOf(csr: CsrObject): { phase: CsrPhase; why?: string } {
  const conditions = (csr.status?.conditions ?? []).filter(TRUE);
  const why = (type: string) => {
    const c = conditions.find((x) => x.type === type);
    const text = [c?.reason, c?.message].filter((s) => s).join(': ');
    return text ? { why: text } : {};
  };
  if (conditions.some((c) => c.type === 'Denied')) return { phase: 'denied', ...why('Denied') };
  if (conditions.some((c) => c.type === 'Failed')) return { phase: 'failed', ...why('Failed') };
  if (conditions.some((c) => c.type === 'Approved')) return { phase: csr.status?.certificate ? 'issued' : 'approved', ...why('Approved') };
  return { phase: 'pending' };
}

/** The newest kubelet-serving CSR requested by `username`, and what became of it. */
export function newestServingCsr(items: CsrObject[], username: string, now: Date): CsrState | undefined {
  const mine = items.filter((c) => c.spec?.signerName === KUBELET_SERVING_SIGNER && c.spec?.username === username);
  if (mine.length === 0) return undefined;
  const created = (c: CsrObject) => Date.parse(c.metadata?.creationTimestamp ?? '') || 0;
  const newest = mine.reduce((a, b) => (created(b) > created(a) ? b : a));
  const age = secondsSince(newest.metadata?.creationTimestamp, now);
  const names = requestedNames(newest.spec?.request);
  return {
    name: newest.metadata?.name ?? '(unnamed)',
    ...phaseOf(newest),
    ...(age === undefined ? {} : { ageSeconds: age }),
    ...(names ? { names } : {}),
    count: mine.length,
  };
}

/** One sentence on what became of the CSR, for the detail of the serving-cert line. */
export function describeCsr(state: CsrState): string {
  const about = [state.count > 1 ? `the newest of ${state.count}` : '', state.ageSeconds === undefined ? '' : `made ${state.ageSeconds} s ago`].filter(
    (s) => s,
  );
  const asked = state.names && state.names.length > 0 ? ` for ${state.names.join(', ')}` : '';
  const head = `its kubelet-serving CSR ${state.name}${asked}${about.length > 0 ? ` (${about.join(', ')})` : ''}`;
  const why = state.why ? `: ${state.why}` : '';
  switch (state.phase) {
    case 'pending':
      return `${head} is pending: nothing approved or denied it`;
    case 'denied':
      return `${head} was denied${why}`;
    case 'failed':
      return `${head} failed${why}`;
    case 'approved':
      return `${head} was approved and no certificate was issued: the signer did not sign it`;
    case 'issued':
      return `${head} was approved and issued, and the kubelet has not written the certificate`;
  }
}

/**
 * What to do about it, for the hint. `foreign` holds the names the request asks for that the
 * instance does not have, when doctor could compare them with the instance's (instance-names.ts).
 */
export function csrHint(state: CsrState, nodeName: string, foreign?: string[]): string {
  const own = `EKS approves and signs a node's serving certificate only when the node's own identity (system:node:${nodeName}) asks, for the instance's own DNS names and addresses`;
  const describe = `\`kubectl describe csr ${state.name}\``;
  const names =
    foreign === undefined
      ? `; a name the instance does not have (a hostname override, a custom DHCP domain) leaves the request unsigned. ${describe} shows it`
      : foreign.length > 0
        ? `: this request asks for ${foreign.join(', ')}, which IMDS does not know as the instance's. The kubelet asks for the addresses the Node's status holds ` +
          `(\`kubectl get node ${nodeName} -o jsonpath='{.status.addresses}'\`), so the name came from there`
        : `; every name this request asks for is the instance's (IMDS), so the requester or the approver holds it up: ${describe} shows who asked`;
  switch (state.phase) {
    case 'pending':
    case 'approved':
      return `${own}${names}`;
    case 'denied':
    case 'failed':
      return `the kubelet asks again with a new CSR; ${describe} shows who decided. ${own}${foreign?.length ? names : ''}`;
    case 'issued':
      return `restart the kubelet (\`systemctl restart kubelet\`) so it fetches the issued certificate; its journal says why it did not (\`journalctl -u kubelet | grep -i certificate\`)`;
  }
}
