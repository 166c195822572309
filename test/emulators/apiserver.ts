import https from 'node:https';
import type http from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeServer, listen } from './listen.js';
import { DEFAULT_IMDS_INSTANCE } from './imds.js';
import { type TestCert, createTestCa, issueServerCert, signCertificateRequest } from '../support/pki.js';

/**
 * A fake Kubernetes API server over HTTPS: a test double for kube-apiserver, which cannot run
 * here. Its serving certificate is signed by a test cluster CA made with the `openssl` CLI at
 * start, so clients verify TLS exactly as against EKS. It accepts only bearer tokens shaped like
 * aws-iam-authenticator's (`k8s-aws-v1.`), serves discovery (/version, /api, /apis) and Nodes
 * well enough for `kubectl create/get` and a kubelet stand-in, and records every request.
 *
 * Switches reproduce join failures: `auth: 'unauthorized'` (the role is not mapped: 401),
 * `auth: 'forbidden'` (mapped, but not into system:nodes: SelfSubjectReview shows no node
 * group and node requests get 403), and `clockSkewSeconds` (the Date header is off).
 *
 * CLI: `npx tsx test/emulators/apiserver.ts [--port N] [--host H] [--san IP:10.0.2.2]... [--dir DIR]` writes DIR/ca.crt, prints
 * one JSON line {url, caFile, caBase64} and serves until killed.
 */

export type AuthMode = 'ok' | 'unauthorized' | 'forbidden';

export interface ApiServerOptions {
  port?: number;
  host?: string;
  /** the cluster CA; a fresh one when absent */
  ca?: TestCert;
  /** serving certificate SANs; default DNS:localhost, IP:127.0.0.1 */
  sans?: string[];
  auth?: AuthMode;
  /** added to the real time in every Date header */
  clockSkewSeconds?: number;
  /** Nodes present from the start (objects as a client would POST them) */
  nodes?: KubeObject[];
  /** gitVersion of /version */
  version?: string;
  /** the instance the token comes from, as EKS expands the mapping's {{EC2PrivateDNSName}} and {{SessionName}}; default the IMDS emulator's */
  instance?: { privateDnsName: string; instanceId: string };
}

export interface ApiRequest {
  method: string;
  path: string;
  status: number;
  /** the bearer token's prefix (`k8s-aws-v1.`), never the whole token, or undefined */
  tokenKind?: string;
  /** parsed JSON body of POST/PUT/PATCH */
  body?: unknown;
}

export type KubeObject = Record<string, unknown> & { metadata?: Record<string, unknown> };

export interface ApiServer {
  url: string;
  port: number;
  ca: TestCert;
  /** PEM of the cluster CA */
  caPem: string;
  /** base64 of the PEM, as NodeConfig spec.cluster.certificateAuthority wants it */
  caBase64: string;
  requests: ApiRequest[];
  /** Node objects by name */
  nodes: Map<string, KubeObject>;
  /** Pod objects (`spec.nodeName` binds them); listed with a `spec.nodeName=` field selector as the kubelet lists them */
  pods: KubeObject[];
  /**
   * CertificateSigningRequests by name. A kubernetes.io/kubelet-serving request from the node's own
   * identity (system:node:<PrivateDnsName>) is approved and signed with the cluster CA, as EKS
   * approves a node's serving certificate; any other stays pending.
   */
  csrs: Map<string, KubeObject>;
  /** POSTed Node creations, in order */
  nodeCreations: KubeObject[];
  /** status writes (PATCH/PUT .../status) by node name */
  heartbeats: Array<{ node: string; method: string; at: Date }>;
  setAuth(mode: AuthMode): void;
  setClockSkew(seconds: number): void;
  /** the gitVersion /version answers from now on */
  setVersion(gitVersion: string): void;
  /** sets (or adds) the Ready condition of a node */
  /** `message` as the kubelet words it, e.g. the runtime network's "container runtime network not ready: ..." */
  setNodeReady(name: string, status: 'True' | 'False' | 'Unknown', reason?: string, message?: string): void;
  close(): Promise<void>;
}

const TOKEN_PREFIX = 'k8s-aws-v1.';

function status(code: number, reason: string, message: string): KubeObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

const RESOURCES_V1 = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    {
      name: 'nodes',
      singularName: 'node',
      namespaced: false,
      kind: 'Node',
      shortNames: ['no'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    },
    { name: 'nodes/status', singularName: '', namespaced: false, kind: 'Node', verbs: ['get', 'patch', 'update'] },
  ],
};

const RESOURCES_CERTIFICATES = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'certificates.k8s.io/v1',
  resources: [
    {
      name: 'certificatesigningrequests',
      singularName: 'certificatesigningrequest',
      namespaced: false,
      kind: 'CertificateSigningRequest',
      shortNames: ['csr'],
      verbs: ['create', 'get', 'list'],
    },
  ],
};

const RESOURCES_AUTHN = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'authentication.k8s.io/v1',
  resources: [{ name: 'selfsubjectreviews', singularName: 'selfsubjectreview', namespaced: false, kind: 'SelfSubjectReview', verbs: ['create'] }],
};

/**
 * Just enough OpenAPI v3 for kubectl to see that Node writes accept `fieldValidation`: it then
 * leaves validation to the server (which accepts any Node) instead of downloading schemas.
 */
const OPENAPI_V1 = {
  openapi: '3.0.0',
  info: { title: 'Kubernetes', version: 'v1.33.1' },
  paths: Object.fromEntries(
    ['/api/v1/nodes', '/api/v1/nodes/{name}'].map((p) => {
      const op = {
        'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'Node' },
        parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string' } }],
        responses: {},
      };
      return [p, { post: op, put: op, patch: op }];
    }),
  ),
  components: { schemas: {} },
};

/** JSON merge patch (RFC 7386), with Kubernetes' strategic rule that conditions merge by type. */
function mergePatch(target: unknown, patch: unknown, key = ''): unknown {
  if (key === 'conditions' && Array.isArray(target) && Array.isArray(patch)) {
    const byType = new Map<unknown, unknown>(target.map((c) => [(c as { type?: unknown }).type, c]));
    for (const c of patch) byType.set((c as { type?: unknown }).type, { ...(byType.get((c as { type?: unknown }).type) as object), ...(c as object) });
    return [...byType.values()];
  }
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v, k);
  }
  return out;
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  // valid ten years, as an EKS cluster CA is, so no validity check warns
  const ca = options.ca ?? (await createTestCa({ days: 3650 }));
  const serving = await issueServerCert(ca, { days: 365, ...(options.sans ? { sans: options.sans } : {}) });
  let auth: AuthMode = options.auth ?? 'ok';
  let skew = options.clockSkewSeconds ?? 0;
  const requests: ApiRequest[] = [];
  const nodes = new Map<string, KubeObject>();
  const pods: KubeObject[] = [];
  const csrs = new Map<string, KubeObject>();
  const instance = options.instance ?? DEFAULT_IMDS_INSTANCE;
  const nodeCreations: KubeObject[] = [];
  const heartbeats: ApiServer['heartbeats'] = [];
  let resourceVersion = 1;
  let gitVersion = options.version ?? 'v1.33.1-eks-fake';

  function store(node: KubeObject): KubeObject {
    const meta = { ...(node.metadata ?? {}) };
    meta.resourceVersion = String(++resourceVersion);
    meta.uid ??= `00000000-0000-4000-8000-${String(resourceVersion).padStart(12, '0')}`;
    meta.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const stored = { apiVersion: 'v1', kind: 'Node', ...node, metadata: meta };
    nodes.set(String(meta.name), stored);
    return stored;
  }
  for (const n of options.nodes ?? []) store(n);

  const server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });

  function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): void {
    const url = new URL(req.url ?? '/', 'https://apiserver');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = undefined;
      }
    }
    const reply = (code: number, obj: unknown): void => {
      requests.push({
        method,
        path,
        status: code,
        ...(bearer ? { tokenKind: bearer.startsWith(TOKEN_PREFIX) ? TOKEN_PREFIX : 'other' } : {}),
        ...(body === undefined ? {} : { body }),
      });
      const text = `${JSON.stringify(obj)}\n`;
      res.writeHead(code, {
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(text)),
        Date: new Date(Date.now() + skew * 1000).toUTCString(),
        'Cache-Control': 'no-cache, private',
      });
      res.end(text);
    };

    // Public paths kube-apiserver serves to anyone (system:public-info-viewer).
    if (method === 'GET' && path === '/version') {
      const [, major, minor] = /^v(\d+)\.(\d+)/.exec(gitVersion) ?? [];
      return reply(200, { major, minor, gitVersion, platform: 'linux/amd64' });
    }
    if (method === 'GET' && (path === '/healthz' || path === '/readyz' || path === '/livez')) return reply(200, 'ok');

    if (!bearer?.startsWith(TOKEN_PREFIX) || auth === 'unauthorized') return reply(401, status(401, 'Unauthorized', 'Unauthorized'));
    // the access entry's (aws-auth's) usernames, expanded as EKS does
    const username =
      auth === 'forbidden' ? `arn:aws:sts::111122223333:assumed-role/eks-node-role/${instance.instanceId}` : `system:node:${instance.privateDnsName}`;
    const groups = auth === 'forbidden' ? ['system:authenticated'] : ['system:bootstrappers', 'system:nodes', 'system:authenticated'];

    if (method === 'GET' && path === '/api') {
      return reply(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `${host}:${port}` }] });
    }
    if (method === 'GET' && path === '/apis') {
      return reply(200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [
          {
            name: 'authentication.k8s.io',
            versions: [{ groupVersion: 'authentication.k8s.io/v1', version: 'v1' }],
            preferredVersion: { groupVersion: 'authentication.k8s.io/v1', version: 'v1' },
          },
          {
            name: 'certificates.k8s.io',
            versions: [{ groupVersion: 'certificates.k8s.io/v1', version: 'v1' }],
            preferredVersion: { groupVersion: 'certificates.k8s.io/v1', version: 'v1' },
          },
        ],
      });
    }
    if (method === 'GET' && path === '/api/v1') return reply(200, RESOURCES_V1);
    if (method === 'GET' && path === '/openapi/v3') return reply(200, { paths: { 'api/v1': { serverRelativeURL: '/openapi/v3/api/v1?hash=fake' } } });
    if (method === 'GET' && path === '/openapi/v3/api/v1') return reply(200, OPENAPI_V1);
    if (method === 'GET' && path === '/apis/authentication.k8s.io/v1') return reply(200, RESOURCES_AUTHN);
    if (method === 'POST' && path === '/apis/authentication.k8s.io/v1/selfsubjectreviews') {
      return reply(201, {
        kind: 'SelfSubjectReview',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { creationTimestamp: null },
        status: { userInfo: { username, uid: 'aws-iam-authenticator:111122223333:AROAEMULATEDROLEID01', groups } },
      });
    }

    if (method === 'GET' && path === '/apis/certificates.k8s.io/v1') return reply(200, RESOURCES_CERTIFICATES);
    const csrPath = /^\/apis\/certificates\.k8s\.io\/v1\/certificatesigningrequests(?:\/([^/]+))?$/.exec(path);
    if (csrPath) {
      const [, csrName] = csrPath;
      if (method === 'GET' && csrName) {
        const found = csrs.get(csrName);
        return found ? reply(200, found) : reply(404, status(404, 'NotFound', `certificatesigningrequests.certificates.k8s.io "${csrName}" not found`));
      }
      if (method === 'GET') {
        // the Node authorizer lets a node list CSRs; an identity outside system:nodes has no such grant here
        if (auth === 'forbidden') {
          return reply(
            403,
            status(
              403,
              'Forbidden',
              `certificatesigningrequests.certificates.k8s.io is forbidden: User "${username}" cannot list resource "certificatesigningrequests" in API group "certificates.k8s.io" at the cluster scope`,
            ),
          );
        }
        // the one field selector CSRs take beside metadata.name
        const signer = /^spec\.signerName=(.+)$/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1];
        const items = [...csrs.values()].filter((c) => !signer || (c.spec as { signerName?: string } | undefined)?.signerName === signer);
        return reply(200, { kind: 'CertificateSigningRequestList', apiVersion: 'certificates.k8s.io/v1', metadata: {}, items });
      }
      if (method !== 'POST') return reply(405, status(405, 'MethodNotAllowed', `${method} is not allowed on certificatesigningrequests`));
      const obj = body as { metadata?: { name?: string }; spec?: { request?: string; signerName?: string } } | undefined;
      const newName = obj?.metadata?.name;
      if (!newName || !obj?.spec?.request)
        return reply(422, status(422, 'Invalid', 'CertificateSigningRequest is invalid: metadata.name and spec.request are required'));
      if (csrs.has(newName)) return reply(409, status(409, 'AlreadyExists', `certificatesigningrequests.certificates.k8s.io "${newName}" already exists`));
      const created: KubeObject = {
        ...obj,
        metadata: { ...obj.metadata, creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
        spec: { ...obj.spec, username, groups },
        status: {},
      };
      csrs.set(newName, created);
      // EKS approves a node's serving certificate when the node itself asks for it
      if (obj.spec.signerName === 'kubernetes.io/kubelet-serving' && username === `system:node:${instance.privateDnsName}`) {
        const csrPem = Buffer.from(obj.spec.request, 'base64').toString('utf8');
        void signCertificateRequest(ca, csrPem).then(
          (certPem) => {
            const condition = {
              type: 'Approved',
              status: 'True',
              reason: 'AutoApproved',
              message: 'a node serving certificate for its own names (emulated EKS approver)',
            };
            csrs.set(newName, { ...created, status: { conditions: [condition], certificate: Buffer.from(certPem).toString('base64') } });
          },
          (err: unknown) => {
            const condition = { type: 'Failed', status: 'True', reason: 'SignerError', message: String(err).slice(0, 500) };
            csrs.set(newName, { ...created, status: { conditions: [condition] } });
          },
        );
      }
      return reply(201, created);
    }

    if (method === 'GET' && path === '/api/v1/pods') {
      if (auth === 'forbidden') {
        return reply(403, status(403, 'Forbidden', `pods is forbidden: User "${username}" cannot list resource "pods" in API group "" at the cluster scope`));
      }
      // the Node authorizer lets a node list pods; a selector names the node (the kubelet's only use)
      const selector = url.searchParams.get('fieldSelector') ?? '';
      const bound = /^spec\.nodeName=(.+)$/.exec(selector)?.[1];
      const items = bound === undefined ? pods : pods.filter((p) => (p.spec as { nodeName?: string } | undefined)?.nodeName === bound);
      return reply(200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(resourceVersion) }, items });
    }

    const nodePath = /^\/api\/v1\/nodes(?:\/([^/]+))?(\/status)?$/.exec(path);
    if (!nodePath) return reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    if (auth === 'forbidden') {
      return reply(
        403,
        status(403, 'Forbidden', `nodes is forbidden: User "${username}" cannot ${method.toLowerCase()} resource "nodes" in API group "" at the cluster scope`),
      );
    }
    const [, name, sub] = nodePath;
    if (!name) {
      if (method === 'GET')
        return reply(200, { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: String(resourceVersion) }, items: [...nodes.values()] });
      if (method === 'POST') {
        const obj = body as KubeObject | undefined;
        const newName = obj?.metadata?.name;
        if (typeof newName !== 'string' || newName === '') return reply(422, status(422, 'Invalid', 'Node "" is invalid: metadata.name: Required value'));
        if (nodes.has(newName)) return reply(409, status(409, 'AlreadyExists', `nodes "${newName}" already exists`));
        nodeCreations.push(obj!);
        return reply(201, store(obj!));
      }
      return reply(405, status(405, 'MethodNotAllowed', `${method} is not allowed on nodes`));
    }
    const existing = nodes.get(name);
    if (method === 'GET') return existing ? reply(200, existing) : reply(404, status(404, 'NotFound', `nodes "${name}" not found`));
    if (!existing) return reply(404, status(404, 'NotFound', `nodes "${name}" not found`));
    if (method === 'PATCH' || method === 'PUT') {
      if (sub) heartbeats.push({ node: name, method, at: new Date() });
      const next = method === 'PUT' ? (body as KubeObject) : (mergePatch(existing, body) as KubeObject);
      return reply(200, store({ ...next, metadata: { ...existing.metadata, ...(next.metadata ?? {}) } }));
    }
    if (method === 'DELETE') {
      nodes.delete(name);
      return reply(200, status(200, '', 'deleted'));
    }
    return reply(405, status(405, 'MethodNotAllowed', `${method} is not allowed on nodes/${name}`));
  }

  const port = await listen(server, options.port, host);

  return {
    url: `https://${host}:${port}`,
    port,
    ca,
    caPem: ca.certPem,
    caBase64: Buffer.from(ca.certPem).toString('base64'),
    requests,
    nodes,
    pods,
    csrs,
    nodeCreations,
    heartbeats,
    setAuth(mode) {
      auth = mode;
    },
    setClockSkew(seconds) {
      skew = seconds;
    },
    setVersion(version) {
      gitVersion = version;
    },
    setNodeReady(name, value, reason = value === 'True' ? 'KubeletReady' : 'KubeletNotReady', message?: string) {
      const node = nodes.get(name) ?? { metadata: { name } };
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const cond = {
        type: 'Ready',
        status: value,
        reason,
        message: message ?? `kubelet ${value === 'True' ? 'is' : 'is not'} posting ready status`,
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      };
      store(mergePatch(node, { status: { conditions: [cond] } }) as KubeObject);
    },
    async close() {
      await closeServer(server);
    },
  };
}

// CLI mode for the VM system test and manual runs.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i === -1 ? undefined : process.argv[i + 1];
  };
  const dir = arg('--dir') ?? process.cwd();
  const sans = process.argv.flatMap((a, i) => (a === '--san' && process.argv[i + 1] ? [process.argv[i + 1]!] : []));
  const api = await startApiServer({
    port: Number(arg('--port') ?? 0),
    host: arg('--host') ?? '127.0.0.1',
    ...(sans.length > 0 ? { sans } : {}),
  });
  const caFile = join(dir, 'ca.crt');
  await writeFile(caFile, api.caPem);
  process.stdout.write(`${JSON.stringify({ url: api.url, caFile, caBase64: api.caBase64 })}\n`);
  const stop = (): void => void api.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
