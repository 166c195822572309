/**
 * Why a registered Node stays NotReady with its network not ready, the most common state of a
 * node that "joined" but runs nothing: the CNI plugin (the VPC CNI's aws-node pod, or another)
 * has not written its configuration, most often because the kubelet cannot pull its image. The
 * Ready condition only says "cni plugin not initialized"; the kubelet's journal names the image
 * and what the registry answered, and that decides the fix.
 */

/** The Ready condition's message when the container runtime's network is not ready. */
export function networkNotReady(message: string | undefined): boolean {
  return /NetworkReady=false|NetworkPluginNotReady|cni plugin not initialized|network plugin (is )?not ready/i.test(message ?? '');
}

/** Where the kubelet's container runtime looks for CNI network configurations. */
export const CNI_CONF_DIR = '/etc/cni/net.d';

/** The CNI configuration files among a directory's entries (the names libcni loads). */
export function cniConfigs(entries: string[]): string[] {
  return entries.filter((e) => /\.(conf|conflist|json)$/.test(e)).sort();
}

export type PullCause = 'proxy' | 'network' | 'tls' | 'credentials' | 'not found' | 'other';

export interface PullFailure {
  image: string;
  /** what the registry or the network answered, as the line says it */
  reason: string;
  cause: PullCause;
  /**
   * the host (and port) of the request the network failed, when the line names its URL: the
   * registry, or where it sent the layers (ECR's S3 bucket), which a node may reach one without
   * the other
   */
  host?: string;
  /** when the line was logged (ms since the epoch, from the journal's timestamp), when it can be read */
  at?: number;
}

const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * When a journal line was logged, from the timestamp journalctl leads it with: `short-iso`'s
 * (2026-12-07T10:11:12+0000, as doctor reads the journal) or the default `short`'s (Dec 07
 * 10:11:12, which names no year or zone: taken as UTC, so lines of one reading compare alike, and
 * in the year that puts it last before `now`, a day's slack for the zone, so a December line read
 * in January is last year's). Undefined when the line leads with neither.
 */
export function journalTime(line: string, now = Date.now()): number | undefined {
  const iso = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})?\s/.exec(line);
  if (iso) {
    // no zone is UTC; +0100 is written +01:00 for Date.parse
    const zone = !iso[2] || iso[2] === 'Z' ? 'Z' : `${iso[2].slice(0, 3)}:${iso[2].slice(-2)}`;
    const at = Date.parse(`${iso[1]}${zone}`);
    return Number.isNaN(at) ? undefined : at;
  }
  const short = /^([A-Z][a-z]{2}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2})\s/.exec(line);
  const month = short ? MONTHS.indexOf(short[1]!) : -1;
  if (!short || month < 0) return undefined;
  const inYear = (year: number): number => Date.UTC(year, month, Number(short[2]), Number(short[3]), Number(short[4]), Number(short[5]));
  const year = new Date(now).getUTCFullYear();
  return inYear(year) > now + DAY_MS ? inYear(year - 1) : inYear(year);
}

/**
 * An image reference as containerd names it, so the kubelet's and containerd's words for one image
 * compare equal: Docker Hub's registry and `library/` written out, and `:latest` when the
 * reference names no tag or digest (`nginx` is docker.io/library/nginx:latest).
 */
export function canonicalImage(ref: string): string {
  let full = registryPart(ref) === undefined ? `docker.io/${ref}` : ref;
  if (full.startsWith('index.docker.io/')) full = `docker.io/${full.slice('index.docker.io/'.length)}`;
  if (full.startsWith('docker.io/') && !full.slice('docker.io/'.length).includes('/')) full = `docker.io/library/${full.slice('docker.io/'.length)}`;
  const last = full.slice(full.lastIndexOf('/') + 1);
  return last.includes(':') || last.includes('@') ? full : `${full}:latest`;
}

/**
 * The images containerd pulled, from its journal lines: its CRI service logs every pull that
 * succeeds (`PullImage "ref" returns image reference "sha256:..."`, at info level), which the
 * kubelet at its default verbosity does not. Each canonical image with when it was last pulled
 * (ms since the epoch; NaN when the line's time cannot be read).
 */
export function containerdPulls(lines: string[]): Map<string, number> {
  const pulled = new Map<string, number>();
  for (const line of lines) {
    const image = /PullImage \\*"([^"\\]+)\\*" returns image reference/.exec(line)?.[1];
    if (image === undefined) continue;
    const at = journalTime(line) ?? Number.NaN;
    const key = canonicalImage(image);
    const before = pulled.get(key);
    if (before === undefined || Number.isNaN(before) || at > before) pulled.set(key, at);
  }
  return pulled;
}

/**
 * The failures containerd's journal lines show pulled since (the same image, canonically named,
 * pulled at or after the failure's time): passed, though the kubelet's journal still holds them.
 * None when the lines or the times cannot be read: then every failure stands.
 */
export function passedFailures(failures: PullFailure[], containerdLines: string[]): PullFailure[] {
  if (failures.length === 0) return [];
  const pulled = containerdPulls(containerdLines);
  return failures.filter((f) => {
    const at = pulled.get(canonicalImage(f.image));
    return f.at !== undefined && at !== undefined && at >= f.at;
  });
}

// the image as the kubelet's lines quote it, once or twice escaped inside an err="..." value
const IMAGE_OF = [/failed to pull and unpack image \\*"([^"\\]+)\\*"/i, /Failed to pull image \\*"([^"\\]+)\\*"/i, /\bimage="([^"]+)"/];

/** The last clause of the error the line quotes: the answer that decides (a timeout, a 403, "not found"). */
function reasonOf(line: string): string {
  const err = /err="((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line;
  // unescaped (a pod worker's line quotes the pull error inside its own), without the inner closing quote
  const clean = err.replace(/\\+"/g, '"').replace(/"+$/, '').trim();
  const parts = clean.split(/: (?=[a-z0-9])/i);
  // keep the network clause whole ("dial tcp 1.2.3.4:443: i/o timeout")
  const dial = /((?:proxyconnect tcp: )?dial tcp [^ ]+: [^"]+|lookup [^ ]+(?: on [^ ]+)?: [^"]+|net\/http: TLS handshake timeout|x509: [^"]+)$/i.exec(
    clean,
  )?.[1];
  return (dial ?? parts.slice(-2).join(': ')).slice(0, 200);
}

/** The host of the last request the error names (`Head "https://host/v2/..."`), or undefined. */
function requestHostOf(line: string): string | undefined {
  const urls = [...line.matchAll(/\b(?:GET|HEAD|POST|PUT) \\*"(https?:\/\/[^"\\\s]+)\\*"/gi)];
  const last = urls.at(-1)?.[1];
  if (last === undefined) return undefined;
  try {
    return new URL(last).host;
  } catch {
    return undefined;
  }
}

function causeOf(line: string): PullCause {
  // Go names a failure to reach an HTTP proxy itself "proxyconnect", and one through a SOCKS5 proxy "socks connect"
  if (/proxyconnect tcp|socks connect tcp/i.test(line)) return 'proxy';
  if (/x509: |tls: failed to verify certificate/i.test(line)) return 'tls';
  if (/i\/o timeout|connection refused|no route to host|network is unreachable|TLS handshake timeout|no such host|context deadline exceeded/i.test(line)) {
    return 'network';
  }
  if (
    /\b401\b|\b403\b|Unauthorized|Forbidden|authorization failed|no basic auth credentials|failed to get credentials|ecr-credential-provider|AccessDenied/i.test(
      line,
    )
  ) {
    return 'credentials';
  }
  if (/: not found\b|manifest unknown|repository .* not found|name unknown/i.test(line)) return 'not found';
  return 'other';
}

/** The kubelet's image pull failures in its journal lines, the last per image, newest first. */
export function pullFailures(lines: string[]): PullFailure[] {
  const seen = new Map<string, PullFailure>();
  for (const line of [...lines].reverse()) {
    if (!/ErrImagePull|PullImage from image service failed|failed to pull and unpack image|Failed to pull image/i.test(line)) continue;
    const image = IMAGE_OF.map((re) => re.exec(line)?.[1]).find((i) => i !== undefined);
    if (!image || seen.has(image)) continue;
    const cause = causeOf(line);
    const host = cause === 'network' || cause === 'proxy' || cause === 'tls' ? requestHostOf(line) : undefined;
    const at = journalTime(line);
    seen.set(image, { image, reason: reasonOf(line), cause, ...(host ? { host } : {}), ...(at !== undefined ? { at } : {}) });
  }
  return [...seen.values()];
}

/**
 * The registry host (with its port, if the reference names one) containerd dials for an image:
 * the reference's first part when it names a host (a dot, a port or localhost), else Docker Hub's
 * registry, as "docker.io" is served from registry-1.docker.io.
 */
export function registryOf(image: string): string {
  const first = registryPart(image);
  return first === undefined || first === 'docker.io' || first === 'index.docker.io' ? 'registry-1.docker.io' : first;
}

/** An image reference's first part when it names a registry host (a dot, a port or localhost), as containerd reads it; undefined for Docker Hub's short names. */
function registryPart(ref: string): string | undefined {
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  return first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : undefined;
}

/** The fix for the first pull failure, by what the registry or network answered. */
export function pullHint(failure: PullFailure): string {
  return registryHint(failure.host ?? registryOf(failure.image), failure.cause, failure.image);
}

/**
 * The region of a private ECR registry's host, or undefined for another: every family the kubelet's
 * credential provider answers for (render/credential-provider.ts), `<account>.dkr.ecr[-fips].<region>.<suffix>`
 * and the dual-stack `<account>.dkr-ecr[-fips].<region>.on.aws` (or China's), in any partition.
 */
export function ecrRegion(host: string): string | undefined {
  return /^\d{12}\.dkr[.-]ecr(?:-fips)?\.([a-z0-9-]+)\.[a-z0-9.-]+?(?::443)?$/.exec(host)?.[1];
}

/**
 * The fix when containerd cannot pull from `host` for this cause (`image`: the one that failed;
 * `who`: the program that dialled, for a TLS failure: containerd, or the kubelet's credential
 * provider).
 */
export function registryHint(host: string, cause: PullCause, image?: string, who = 'containerd'): string {
  const bucket = /^prod-([a-z0-9-]+)-starport-layer-bucket\.s3[.-]/.exec(host)?.[1];
  if (bucket !== undefined && cause === 'network') {
    return `the node reaches the registry but not ${host}, where ECR keeps the image layers: from private subnets it needs the S3 gateway endpoint com.amazonaws.${bucket}.s3 in the subnets' route tables (a NAT gateway or a proxy serves too; a proxy must allow this host)`;
  }
  const region = ecrRegion(host);
  const ecr = region !== undefined;
  switch (cause) {
    case 'network':
      return ecr
        ? `the node cannot reach ${host}: from private subnets it needs a NAT gateway, or the VPC endpoints com.amazonaws.${region}.ecr.api and com.amazonaws.${region}.ecr.dkr with the S3 gateway endpoint (ECR serves image layers from S3), or a proxy in spec.instance.environment; their security groups must allow 443 from the node`
        : `the node cannot reach ${host}: a route (NAT gateway), a proxy in spec.instance.environment, or a registry mirror in spec.containerd.config`;
    case 'proxy':
      return `containerd cannot reach the proxy its environment names for ${host}: check the proxy's address and port (HTTPS_PROXY in spec.instance.environment) and that its security group takes the node's connections; the registry line dials it as containerd does`;
    case 'tls':
      return `${who} does not trust the certificate presented for ${host}: a TLS-inspecting proxy or firewall on the way answers in its name; add its CA to the image's CA bundle (/etc/pki/ca-trust/source/anchors, then update-ca-trust) and restart ${who === 'containerd' ? 'containerd' : 'the kubelet'}, or let the proxy pass ${host} through uninspected`;
    case 'credentials':
      return ecr
        ? `${host} refused the node's credentials: the node role needs ECR read access (the AmazonEC2ContainerRegistryPullOnly or ReadOnly managed policy); the kubelet gets ECR tokens from ecr-credential-provider (/etc/eks/image-credential-provider/config.json)`
        : `${host} refused the pull: the image needs credentials the node does not have (an imagePullSecret in the pod spec)`;
    case 'not found':
      return `${image ?? 'the image'} does not exist there: check the add-on version against this cluster's Kubernetes version and region`;
    default:
      return 'see `journalctl -u kubelet` for the pull error';
  }
}
