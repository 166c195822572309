import net from 'node:net';
import {
  AWS_ENDPOINT_VARIABLE,
  ECR_ENDPOINT_VARIABLE,
  ENDPOINT_SWITCH_VARIABLES,
  describeVariant,
  endpointOverride,
  endpointVariant,
  variantSwitch,
} from '../../aws/endpoint-variant.js';
import { dnsSuffix } from '../../aws/partition.js';
import { ecrApiEndpoint, isSocksProxy } from '../../aws/proxy.js';
import { describeCause } from '../../errors.js';
import { SERVICE_ENVIRONMENT_TIMEOUT_MS } from '../../apply/unit-status.js';
import { CONTAINERD_UNIT, KUBELET_UNIT } from '../../render/paths.js';
import { eksRegistry } from '../../render/pause-image.js';
import { type PullCause, type PullFailure, ecrRegion, passedFailures, pullFailures, pullHint, registryHint, registryOf } from '../pod-network.js';
import {
  type Endpoint,
  type HttpProxy,
  ProxyRefusal,
  SocksRefusal,
  StepTimeout,
  hostPort,
  parseEndpoint,
  proxyTunnel,
  tcpConnect,
  tlsHandshake,
} from '../net.js';
import type { Check, CheckContext } from '../runner.js';
import type { DoctorDeps } from '../types.js';
import { PULL_JOURNAL_LINES } from './apiserver.js';
import type { ConfigValue } from './config.js';
import { WRONG_CA, proxyCredentialsHint, proxyIn, proxyTlsFailure, socksRefusal, systemRoots, unitEnvironment, wrongProxyKind } from './endpoint.js';

/*
 * containerd, not the kubelet, pulls the images, with its own environment: a proxy given to the
 * kubelet alone (a drop-in for kubelet.service, or spec.instance.environment.kubelet) leaves
 * containerd dialling the registry directly, which from a private subnet without a NAT gateway
 * or ECR endpoints times out, and the node stays NotReady for want of the VPC CNI's image. The
 * registry line reads the registry the way containerd does: where the kubelet's journal shows a
 * pull failing, it dials the host that request went to (the image's registry, or where it keeps
 * the layers) as containerd would (its proxy, by Go's rules, or directly; TLS verified against the
 * roots Go reads) and names the step that fails; for an ECR pull refused for want of a token, ECR's
 * API as the kubelet's credential provider reaches it. Without a failed pull it dials nothing and
 * compares the two units' ways to the registry of the cluster's add-on images (the region's EKS
 * ECR account).
 */

/** The causes a dial can confirm or clear: the others (credentials, a missing image) are the registry's answer, not the network's. */
const NETWORK_CAUSES: ReadonlySet<PullCause> = new Set(['network', 'proxy', 'tls']);

/** Who asks ECR's API for the token of an ECR pull: a plugin the kubelet runs, with the kubelet's environment. */
const CREDENTIAL_PROVIDER = "the kubelet's ecr-credential-provider";

/**
 * The ECR API the kubelet's credential provider asks for the token of a pull from `host`, as the
 * AWS SDK for Go builds it: the region from the registry's name, the endpoint from the kubelet's
 * environment alone (the registry's own FIPS or dual-stack name changes nothing): an override
 * (AWS_ENDPOINT_URL_ECR, else AWS_ENDPOINT_URL), else the variants' host. `chosen` names what set a
 * host other than the standard one; `broken`, a setting with which the provider's calls all fail.
 * Undefined for a registry other than ECR's.
 */
function credentialProviderApi(
  host: string,
  env: Record<string, string>,
): { url: string; region: string; chosen?: string } | { broken: string; hint: string } | undefined {
  const region = ecrRegion(host);
  if (region === undefined) return undefined;
  const inKubelet = "in the kubelet's environment";
  for (const name of ENDPOINT_SWITCH_VARIABLES) {
    if (variantSwitch(env[name]) === 'invalid') {
      return {
        broken: `${name}=${env[name]} ${inKubelet} is no true or false, so the AWS SDK for Go refuses to load its configuration and ${CREDENTIAL_PROVIDER} asks ECR for no token`,
        hint: `set ${name} to true or false in the kubelet's environment (spec.instance.environment), or take it out`,
      };
    }
  }
  const variant = endpointVariant(env);
  const words = describeVariant(variant);
  const override = endpointOverride('ecr', env);
  if (override !== undefined) {
    const name = env[ECR_ENDPOINT_VARIABLE]?.trim() === override ? ECR_ENDPOINT_VARIABLE : AWS_ENDPOINT_VARIABLE;
    if (words) {
      // the SDKs' endpoint rules take no variant beside an override: every call fails before it is sent
      return {
        broken: `${name} and ${words.variables} are both set ${inKubelet}, and the AWS SDK's endpoint rules refuse a ${words.words} endpoint beside an override, so ${CREDENTIAL_PROVIDER} asks ECR for no token`,
        hint: `keep one: the override (an endpoint that is already ${words.words}), or the variable${words.variables.includes(' and ') ? 's' : ''} without it`,
      };
    }
    return { url: override, region, chosen: `${name} ${inKubelet}` };
  }
  const url = ecrApiEndpoint(region, variant);
  return words ? { url, region, chosen: `its ${words.words} endpoint, which ${words.variables} ${inKubelet} chose` } : { url, region };
}

const way = (proxy: HttpProxy | undefined): string => (proxy ? `through the proxy ${proxy.shown} (${proxy.from})` : 'directly');

export function registryCheck(deps: DoctorDeps): Check {
  return {
    name: 'registry',
    needs: ['config'],
    timeoutMs: 10_000,
    async run(ctx) {
      const cfg = ctx.value<ConfigValue>('config');
      // each read of systemd's or the journal's, bounded as the environment line bounds its own
      const unitBudget = (): number => Math.max(1, Math.min(SERVICE_ENVIRONMENT_TIMEOUT_MS, ctx.remainingMs() - 500));
      let lines: string[] = [];
      // what the line knows of failed pulls: none in the journal, or a journal it could not read
      let pulls = "no image pull failed in the kubelet's journal";
      try {
        lines = await deps.journal(KUBELET_UNIT, PULL_JOURNAL_LINES, unitBudget());
      } catch (err) {
        // the unit:kubelet line reports it too; the units' ways are still compared
        pulls = `the kubelet's journal could not be read, so no failed pull is judged (${describeCause(err)})`;
      }
      const failures = pullFailures(lines);
      // containerd logs the pulls that succeed, which the kubelet does not: a failure pulled since has passed
      const pulledSince =
        failures.length === 0
          ? []
          : passedFailures(failures, await deps.journal(CONTAINERD_UNIT, PULL_JOURNAL_LINES, unitBudget()).catch(() => [] as string[]));
      const failure = failures.find((f) => !pulledSince.includes(f));
      if (failure === undefined && pulledSince.length > 0) {
        const images = pulledSince.map((f) => f.image);
        pulls = `the ${images.length === 1 ? 'pull' : 'pulls'} the kubelet's journal shows failing (${images.slice(0, 3).join(', ')}${images.length > 3 ? `, and ${images.length - 3} more` : ''}) went through since: containerd's journal shows ${images.length === 1 ? 'it' : 'each'} pulled after the failure`;
      }
      const region = cfg.identity?.region;
      // the host the failed request went to (the registry, or ECR's S3 bucket for the layers), else the image's registry
      const host = failure ? (failure.host ?? registryOf(failure.image)) : region ? eksRegistry(region) : undefined;
      if (host === undefined) return { status: 'ok', detail: pulls };
      const endpoint = parseEndpoint(`https://${host}`);
      const envBudget = unitBudget();
      const [containerdEnv, kubeletEnv] = await Promise.all([
        unitEnvironment(deps, cfg, CONTAINERD_UNIT, envBudget),
        unitEnvironment(deps, cfg, KUBELET_UNIT, envBudget),
      ]);
      const [containerd, kubelet] = await Promise.all([proxyIn(deps, containerdEnv, endpoint), proxyIn(deps, kubeletEnv, endpoint)]);
      // the classic slip: a proxy for the kubelet alone, so its token calls go out and containerd's pulls do not
      const kubeletOnly =
        kubelet && !containerd
          ? `the kubelet's environment sends ${host} ${way(kubelet)}, but containerd, which pulls the images, dials it directly: give containerd the proxy too (spec.instance.environment.default sets it for every service)`
          : undefined;
      if (!failure) {
        const detail = `${pulls}; containerd reaches ${host} (the cluster's add-on images) ${way(containerd)}`;
        return kubeletOnly ? { status: 'warn', detail, hint: kubeletOnly } : { status: 'ok', detail };
      }
      const failed = `the kubelet's journal shows the pull of ${failure.image} failing (${failure.reason})`;
      const outcome = await dialAs('containerd', deps, ctx, endpoint, containerd, containerdEnv.env);
      if (outcome) {
        const hint = kubeletOnly ? `${kubeletOnly}; ${outcome.hint}` : outcome.hint;
        return { status: 'fail', detail: `${failed}; ${outcome.detail}`, ...(hint ? { hint } : {}) };
      }
      const reached = `containerd reaches ${host} ${way(containerd)} now, TLS verified`;
      // an ECR pull refused for want of a token: the kubelet's credential provider asks ECR's API for it
      const api = failure.cause === 'credentials' ? credentialProviderApi(host, kubeletEnv.env) : undefined;
      if (api && 'broken' in api) return { status: 'fail', detail: `${failed}; ${reached}, but ${api.broken}`, hint: api.hint };
      if (api) {
        const apiEndpoint = parseEndpoint(api.url);
        const chosen = api.chosen ? ` (${api.chosen})` : '';
        if (!api.url.startsWith('https:')) {
          // a plain-HTTP override (an emulator, a local relay) has no handshake to judge
          return {
            status: 'warn',
            detail: `${failed}; ${reached}; ${CREDENTIAL_PROVIDER} asks ${api.url}${chosen}, not dialled`,
            hint: reachedHint(failure, host),
          };
        }
        const apiProxy = await proxyIn(deps, kubeletEnv, apiEndpoint);
        const unreached = await dialAs(CREDENTIAL_PROVIDER, deps, ctx, apiEndpoint, apiProxy, kubeletEnv.env);
        if (unreached) {
          const endpointHint = api.chosen
            ? `${CREDENTIAL_PROVIDER} gets the pull's token from ${apiEndpoint.host}, ${api.chosen}: not every region has that host nor every network (or VPC endpoint) reaches it; let the node reach it, or change the kubelet's environment`
            : `${CREDENTIAL_PROVIDER} gets the pull's token from ${apiEndpoint.host} with the kubelet's environment: from private subnets the node needs the com.amazonaws.${api.region}.ecr.api VPC endpoint beside ecr.dkr (or a NAT gateway, or a proxy in the kubelet's environment)`;
          const hint = unreached.step === 'tcp' || unreached.step === 'dns' ? endpointHint : unreached.hint;
          return {
            status: 'fail',
            detail: `${failed}; ${reached}, but ${CREDENTIAL_PROVIDER} cannot reach ${apiEndpoint.host}${chosen}: ${unreached.detail}`,
            ...(hint ? { hint } : {}),
          };
        }
        return {
          status: 'warn',
          detail: `${failed}; ${reached}, and ${CREDENTIAL_PROVIDER} reaches ${apiEndpoint.host}${chosen} ${way(apiProxy)}`,
          hint: reachedHint(failure, host),
        };
      }
      return { status: 'warn', detail: `${failed}; ${reached}`, hint: reachedHint(failure, host) };
    },
  };
}

/** What to look at when the registry answers now, by what the failed pull said. */
function reachedHint(failure: PullFailure, host: string): string {
  if (!NETWORK_CAUSES.has(failure.cause)) return pullHint(failure);
  const region = ecrRegion(host);
  const layers = region
    ? `; ECR serves the layers from S3 (prod-${region}-starport-layer-bucket.s3.${region}.${dnsSuffix(region)}), which needs the S3 gateway endpoint, a route or the proxy too`
    : '';
  return `the failure may have passed (a route, endpoint or proxy changed since): \`crictl pull ${failure.image}\` tries again as containerd does${layers}`;
}

/** A dial that did not reach its host: the step that failed, as a line's detail and hint. */
interface DialFailure {
  step: 'dns' | 'tcp' | 'proxy' | 'tls';
  detail: string;
  hint?: string;
}

/**
 * Dials an HTTPS host as a Go program (`who`: containerd, the kubelet's credential provider) with
 * this environment does: through its proxy (the node resolves the proxy's name, the proxy the
 * host's) or directly, then TLS against the roots Go reads (checks/endpoint.ts systemRoots).
 * Undefined when the handshake verified.
 */
async function dialAs(
  who: string,
  deps: DoctorDeps,
  ctx: CheckContext,
  endpoint: Endpoint,
  proxy: HttpProxy | undefined,
  env: Record<string, string>,
): Promise<DialFailure | undefined> {
  const budget = (): number => Math.max(1, ctx.remainingMs() - 200);
  const host = proxy ? proxy.host : endpoint.host;
  const target = hostPort(endpoint);
  let addresses = [host];
  if (!net.isIP(host)) {
    try {
      addresses = await deps.lookup(host);
      if (addresses.length === 0) throw new Error('no address');
    } catch (err) {
      return {
        step: 'dns',
        detail: `${proxy ? `the proxy's name ${host} (${proxy.from})` : host} does not resolve on the node: ${describeCause(err)}`,
        hint: proxy
          ? `${who} reaches ${endpoint.host} only through that proxy: check its name in ${proxy.from}`
          : `the node's resolver (the VPC's) must answer for ${host}: a VPC endpoint's private DNS, or the VPC's DNS resolution and host names turned on`,
      };
    }
  }
  const port = proxy ? proxy.port : endpoint.port;
  const reached = await firstConnecting(addresses, port, budget, ctx.signal);
  if ('error' in reached) {
    // how the dial failed: at its one address, or at each of several (Go's error is the first's)
    const failed = (one: string): string =>
      addresses.length === 1
        ? `${one} failed: ${describeCause(reached.error)}`
        : `${one} failed at each of its ${addresses.length} addresses (${addresses.join(', ')}), the first with: ${describeCause(reached.error)}`;
    return proxy
      ? {
          step: 'proxy',
          detail: failed(
            `TCP connect to the proxy ${proxy.shown} (${proxy.from})${addresses.length === 1 && addresses[0] !== proxy.host ? ` at ${addresses[0]}` : ''}`,
          ),
          hint: `${who} reaches ${target} only through that proxy: check its address in ${proxy.from} and that it takes the node's connections (its security group, a route to it)`,
        }
      : {
          step: 'tcp',
          detail: failed(`TCP connect to ${target}${addresses.length === 1 ? ` (${addresses[0]})` : ''}`),
          hint: registryHint(endpoint.host, 'network'),
        };
  }
  const address = reached.address;
  let tunnel: net.Socket | undefined;
  if (proxy) {
    try {
      tunnel = await proxyTunnel(proxy, address, endpoint, budget(), ctx.signal);
    } catch (err) {
      const slip = await wrongProxyKind(proxy, address, err, who, () => Math.max(1, Math.min(3_000, budget())), ctx.signal);
      return { step: 'proxy', ...(slip ?? tunnelFailure(who, proxy, target, err)) };
    }
  }
  const roots = await systemRoots(deps, env);
  try {
    await tlsHandshake(endpoint, address, roots?.pem, budget(), ctx.signal, tunnel);
    return undefined;
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const trusted = roots ? roots.from : 'the roots Node bundles (no system CA bundle could be read)';
    if (WRONG_CA.has(code)) {
      return {
        step: 'tls',
        detail: `the certificate presented for ${endpoint.host} is not signed by an authority in ${trusted} (${code})`,
        hint: registryHint(endpoint.host, 'tls', undefined, who),
      };
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return {
        step: 'tls',
        detail: `the certificate presented for ${endpoint.host} does not name it: ${describeCause(err)}`,
        hint: `something answers in ${endpoint.host}'s place: a TLS-inspecting proxy or firewall, or a DNS answer that sends the node elsewhere`,
      };
    }
    return {
      step: 'tls',
      detail: `TLS handshake with ${endpoint.host} ${way(proxy)} failed: ${describeCause(err)}`,
      hint: registryHint(endpoint.host, 'network'),
    };
  }
}

/** The least time Go's dialer gives one of a name's several addresses (its partial deadline's floor). */
const LEAST_SHARE_MS = 2_000;

/**
 * The first of a name's addresses that takes a TCP connection on `port`, tried in turn as Go's
 * dialer tries them: each gets an equal share of the time left (at least LEAST_SHARE_MS, or what
 * is left), and when none connects the first address's error is the one told, as Go returns it.
 * (Go races the second address family 300 ms behind the first; in turn is near enough for a line
 * that asks whether any address answers.)
 */
async function firstConnecting(
  addresses: string[],
  port: number,
  budget: () => number,
  signal: AbortSignal | undefined,
): Promise<{ address: string } | { error: unknown }> {
  let first: unknown;
  for (const [i, address] of addresses.entries()) {
    const left = budget();
    const share = Math.max(Math.min(LEAST_SHARE_MS, left), Math.floor(left / (addresses.length - i)));
    try {
      await tcpConnect(address, port, share, signal);
      return { address };
    } catch (err) {
      first ??= err;
      if (signal?.aborted) break;
    }
  }
  return { error: first };
}

/** Why the proxy `who` goes through, which took the TCP connection, opens no tunnel to the target. */
function tunnelFailure(who: string, proxy: HttpProxy, target: string, err: unknown): { detail: string; hint?: string } {
  const own = proxyTlsFailure(proxy, err, who, target);
  if (own) return { detail: own.detail, ...(own.hint ? { hint: own.hint } : {}) };
  if (err instanceof SocksRefusal) {
    const refused = socksRefusal(proxy, target, err, who);
    // the registry's hosts, as for an HTTP proxy's allowlist
    return err.reason === 'not allowed' ? { ...refused, hint: `${refused.hint} (for ECR, its API, registry and S3 layer hosts)` } : refused;
  }
  const named = `the proxy ${proxy.shown} (${proxy.from})`;
  if (err instanceof ProxyRefusal) {
    const detail = `${named} answered CONNECT ${target} with ${err.message}`;
    if (err.status === 407) return { detail, hint: proxyCredentialsHint(proxy, who) };
    if (err.status >= 500) return { detail, hint: `the proxy could not reach ${target} itself: its DNS, routes or security groups` };
    return {
      detail,
      hint: `the proxy does not let the node through to ${target}: allow that host on the proxy (for ECR, its API, registry and S3 layer hosts)`,
    };
  }
  if (err instanceof StepTimeout)
    return { detail: `${named} opened no tunnel to ${target}: ${err.message}`, hint: `the proxy took the connection but did not connect onward in time` };
  return {
    detail: `${isSocksProxy(proxy.url) ? 'the connection to' : 'CONNECT'} ${target} through ${named} failed: ${describeCause(err)}`,
    hint: `${who} reaches ${target} only through that proxy: check its address in ${proxy.from} and that it takes the node's connections`,
  };
}
