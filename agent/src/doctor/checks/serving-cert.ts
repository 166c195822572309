import { X509Certificate } from 'node:crypto';
import { lastFlag } from '../../api/kubelet-flags.js';
import type { NodeConfig } from '../../api/schema.js';
import type { Check, CheckContext } from '../runner.js';
import type { DoctorDeps } from '../types.js';
import { type AuthValue, type RegistrationValue, askApiServer, firstLine } from './apiserver.js';
import type { ConfigValue } from './config.js';
import type { NodeNameValue } from './node-name.js';
import { type CsrObject, readCsrList } from '../api-objects.js';
import { secondsSince } from '../node-status.js';
import { type CsrState, KUBELET_SERVING_SIGNER, csrHint, describeCsr, newestServingCsr } from '../serving-csr.js';
import { describeCause } from '../../errors.js';
import { instanceAccess } from '../instance.js';
import { foreignNames, instanceNames } from '../instance-names.js';

/**
 * The kubelet's serving certificate, which the API server checks when it connects to the kubelet
 * (`kubectl logs`, `exec`, `port-forward`, metrics-server). With serverTLSBootstrap (the image's
 * default) the kubelet asks for it with a kubernetes.io/kubelet-serving CSR after it registers and
 * serves nothing until the CSR is approved; EKS approves it only for a requester named
 * `system:node:<the instance's PrivateDnsName>`. A node whose CSR stays pending joins, shows Ready
 * and runs pods, and every `kubectl logs` against it fails with "remote error: tls: internal error".
 */

/** The kubelet's certificate directory (its --cert-dir default) and what it keeps there. */
export const KUBELET_PKI = '/var/lib/kubelet/pki';
/** the issued serving certificate and its key (a link to the newest), with serverTLSBootstrap */
export const SERVING_CERT_NAME = 'kubelet-server-current.pem';
export const SERVING_CERT = `${KUBELET_PKI}/${SERVING_CERT_NAME}`;
/** the certificate the kubelet makes and signs itself when serverTLSBootstrap is off */
export const SELF_SIGNED_CERT_NAME = 'kubelet.crt';

/** The kubelet asks for its serving certificate seconds after it registers; past this, a missing one is pending. */
export const SERVING_CERT_GRACE_SECONDS = 120;

/**
 * Where this kubelet keeps its serving certificate: a file the user data gives it (tlsCertFile,
 * or --tls-cert-file, which wins), else its certificate directory (--cert-dir, else the default).
 */
export function servingCertPaths(spec: NodeConfig['spec']): { given?: string; dir: string } {
  const flags = spec?.kubelet?.flags;
  const fromConfig = spec?.kubelet?.config?.tlsCertFile;
  const given = lastFlag(flags, '--tls-cert-file')?.value || (typeof fromConfig === 'string' && fromConfig !== '' ? fromConfig : undefined);
  const dir = (lastFlag(flags, '--cert-dir')?.value || KUBELET_PKI).replace(/\/+$/, '');
  return { ...(given ? { given } : {}), dir };
}

/** The certificate of a PEM file that may also hold the key (never read, never reported). */
function certificateOf(pem: string): X509Certificate | undefined {
  const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!block) return undefined;
  try {
    return new X509Certificate(block);
  } catch {
    return undefined;
  }
}

const day = (d: Date): string => d.toISOString().slice(0, 10);

/** CSRs asked for per page; the API server deletes a decided CSR after an hour, a pending one after a day. */
const CSR_PAGE = 500;

/**
 * The newest kubelet-serving CSR `username` made, read page by page with the node's credentials;
 * `{ error }` when the API server would not list them.
 */
async function servingCsrOf(ctx: CheckContext, auth: AuthValue, username: string, now: Date): Promise<{ state?: CsrState; error?: string }> {
  const items: CsrObject[] = [];
  let next: string | undefined;
  do {
    const query = `fieldSelector=${encodeURIComponent(`spec.signerName=${KUBELET_SERVING_SIGNER}`)}&limit=${CSR_PAGE}${next ? `&continue=${encodeURIComponent(next)}` : ''}`;
    let answer;
    try {
      answer = await askApiServer(auth.reach, ctx, {
        method: 'GET',
        path: `/apis/certificates.k8s.io/v1/certificatesigningrequests?${query}`,
        token: auth.token,
      });
    } catch (err) {
      return { error: describeCause(err) };
    }
    if (answer.status !== 200) return { error: `HTTP ${answer.status}: ${firstLine(answer.body)}` };
    let page: ReturnType<typeof readCsrList>;
    try {
      page = readCsrList(JSON.parse(answer.body));
    } catch {
      return { error: 'the CSR list is not JSON' };
    }
    items.push(...(page.items ?? []));
    next = page.metadata?.continue || undefined;
  } while (next);
  const state = newestServingCsr(items, username, now);
  return state ? { state } : {};
}

/** Who the kubelet asks as: the API server's answer, else the name EKS expects. */
function renewalRequester(ctx: CheckContext): string {
  return ctx.value<AuthValue>('auth').username ?? `system:node:${ctx.value<NodeNameValue>('node-name').nodeName}`;
}

/**
 * The names a CSR asks for that the instance does not have (IMDS's host names and addresses, and
 * the DNS name the node-name line found); undefined when it asks for none or they cannot be known.
 */
async function foreignOf(deps: DoctorDeps, ctx: CheckContext, state: CsrState): Promise<string[] | undefined> {
  if (!state.names?.length || state.phase === 'issued') return undefined;
  const instance = await instanceAccess(deps, ctx);
  // this boot's kept answers (the rest asked of IMDS), else IMDS once the imds line reached it
  const imds = instance.imds ?? (instance.identity ? deps.imds : undefined);
  if (!imds) return undefined;
  const { instanceDnsName } = ctx.value<NodeNameValue>('node-name');
  const known = await instanceNames(imds, instanceDnsName ? [instanceDnsName] : []);
  return known && foreignNames(state.names, known);
}

/** The detail's words on names the instance does not have. */
const foreignClause = (foreign: string[] | undefined): string =>
  foreign?.length ? `; ${foreign.join(', ')} ${foreign.length > 1 ? 'are' : 'is'} not the instance's (IMDS)` : '';

const NO_TLS = '`kubectl logs`, `exec`, `port-forward` and metrics-server fail against this node with "remote error: tls: internal error"';

export function servingCertCheck(deps: DoctorDeps): Check {
  return {
    name: 'serving-cert',
    needs: ['registration', 'auth', 'node-name'],
    timeoutMs: 10_000,
    async run(ctx) {
      const now = deps.now();
      const { given, dir } = servingCertPaths((await ctx.optional<ConfigValue>('config'))?.source.spec);
      const path = given ?? `${dir}/${SERVING_CERT_NAME}`;
      let issued;
      let selfSigned;
      try {
        issued = await deps.readFile(path);
        selfSigned = issued || given ? undefined : await deps.readFile(`${dir}/${SELF_SIGNED_CERT_NAME}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
        // the directory is the kubelet's (root, 0700): nothing is known of the certificate
        return { status: 'warn', detail: `cannot read ${given ?? dir} (permission denied)`, hint: 'run doctor as root (`sudo eks-node-agent doctor`)' };
      }
      if (given && !issued) {
        return {
          status: 'fail',
          detail: `the user data gives the kubelet ${given} as its serving certificate, and there is no such file`,
          hint: 'the kubelet stops at start without it: install the certificate in the image or a user-data script, or leave tlsCertFile and --tls-cert-file out',
        };
      }
      if (issued) {
        const cert = certificateOf(issued.content.toString('utf8'));
        if (!cert) {
          return {
            status: 'fail',
            detail: `${path} holds no readable certificate`,
            hint: given ? 'the file the user data names must hold a PEM certificate' : 'remove it and restart the kubelet, which asks for a new one',
          };
        }
        const until = new Date(cert.validTo);
        const names = `${cert.subjectAltName ?? 'no subject alternative names'}${given ? ` (${given}, from the user data)` : ''}`;
        if (until.getTime() <= now.getTime()) {
          // the renewal's CSR, when the kubelet renews it
          const renewal = given ? undefined : (await servingCsrOf(ctx, ctx.value<AuthValue>('auth'), renewalRequester(ctx), now)).state;
          const foreign = renewal && (await foreignOf(deps, ctx, renewal));
          return {
            status: 'fail',
            detail: `the kubelet's serving certificate (${names}) expired on ${day(until)}${renewal ? `; ${describeCsr(renewal)}${foreignClause(foreign)}` : ''}`,
            hint: given
              ? `the kubelet does not renew a certificate the user data gives it: replace ${given}; until then ${NO_TLS}`
              : `the kubelet asks for a new one before it expires: its kubernetes.io/kubelet-serving CSR was not approved (\`kubectl get csr\`); until it is, ${NO_TLS}`,
          };
        }
        return { status: 'ok', detail: `the kubelet serves with a certificate for ${names}, valid until ${day(until)}` };
      }
      if (selfSigned) {
        return { status: 'ok', detail: `the kubelet serves with its self-signed ${dir}/${SELF_SIGNED_CERT_NAME} (serverTLSBootstrap is off)` };
      }
      const { registeredAt } = ctx.value<RegistrationValue>('registration');
      const since = secondsSince(registeredAt, now);
      if (since !== undefined && since < SERVING_CERT_GRACE_SECONDS) {
        return { status: 'ok', detail: `no serving certificate yet; the Node registered ${since} s ago and the kubelet asks for one after it registers` };
      }
      const name = ctx.value<NodeNameValue>('node-name').nodeName;
      const auth = ctx.value<AuthValue>('auth');
      const expected = `system:node:${name}`;
      const who =
        auth.username && auth.username !== expected
          ? ` The kubelet authenticates as ${auth.username}, not ${expected}: EKS does not approve a serving CSR from it (the access entry or aws-auth mapping's username must be system:node:{{EC2PrivateDNSName}}).`
          : '';
      const none = `no serving certificate in ${dir}${since === undefined ? '' : ` ${since} s after the Node registered`}`;
      const requester = renewalRequester(ctx);
      const { state, error } = await servingCsrOf(ctx, auth, requester, now);
      if (state) {
        const foreign = await foreignOf(deps, ctx, state);
        return { status: 'warn', detail: `${none}: ${describeCsr(state)}${foreignClause(foreign)}`, hint: `${NO_TLS}.${who} ${csrHint(state, name, foreign)}` };
      }
      if (error) {
        return {
          status: 'warn',
          detail: `${none}: its kubernetes.io/kubelet-serving CSR is pending or was denied (the CSRs could not be listed: ${error})`,
          hint: `${NO_TLS}; \`kubectl get csr --field-selector spec.signerName=kubernetes.io/kubelet-serving\` shows the request.${who} EKS approves a node's serving CSR for the instance's own DNS names and addresses only`,
        };
      }
      return {
        status: 'warn',
        detail: `${none}, and the API server holds no kubelet-serving CSR from ${requester}`,
        hint: `${NO_TLS}.${who} The kubelet asks for one after it registers when serverTLSBootstrap is true (the image's default): its journal says why it did not (\`journalctl -u kubelet | grep -i csr\`); the API server deletes a pending CSR after a day`,
      };
    },
  };
}
