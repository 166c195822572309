import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { closeServer, createServer, listen, type ServingTls } from './listen.js';

/**
 * A loopback stand-in for the EKS control-plane API, just `DescribeCluster`
 * (REST-JSON `GET /clusters/{name}`), so the real @aws-sdk/client-eks can be pointed at it with
 * an endpoint override. Errors use the service's wire format: the code in `x-amzn-errortype`
 * and a JSON body with `message`.
 */

/** A self-signed test CA (EC P-256, CN=kubernetes, valid until 2126); not a secret. */
export const TEST_CLUSTER_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBgDCCASegAwIBAgIUcM5aHgMA3We08qM9FaJmjj4b45cwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKa3ViZXJuZXRlczAgFw0yNjExMjQxMDU5MDhaGA8yMTI2MTAz
MTEwNTkwOFowFTETMBEGA1UEAwwKa3ViZXJuZXRlczBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABLGuOUeCxNq6yfWhQGS4HNbnizYhPn+iWyCmDmJuYP7qbTYrgOdl
pyC58x/bf9AMC1Ol1+R9FebWoQv+lLte/2KjUzBRMB0GA1UdDgQWBBT1WQ4J4A6H
qZle9e+EsC+CzL0leTAfBgNVHSMEGDAWgBT1WQ4J4A6HqZle9e+EsC+CzL0leTAP
BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIAr4IUDmUGRN2RSUWmv5
xsWYtgOswrD1CsSb89dXqSLOAiBCl2f4PL8CMI8jG1RPC48bxeewu7p3A7Qrlpz9
Vb9K1w==
-----END CERTIFICATE-----
`;
export const TEST_CLUSTER_CA_BASE64 = Buffer.from(TEST_CLUSTER_CA_PEM).toString('base64');
/** The emulated cluster's endpoint, as DescribeCluster gives it. */
export const TEST_CLUSTER_ENDPOINT = 'https://0123456789ABCDEF0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com';

export interface EksCluster {
  name: string;
  endpoint: string;
  /** base64 of the PEM bundle, as DescribeCluster returns it */
  caData: string;
  ipFamily: 'ipv4' | 'ipv6';
  serviceIpv4Cidr?: string;
  serviceIpv6Cidr?: string;
  version: string;
  status: string;
  /** a local cluster (control plane on an Outpost): its id, answered with an outpostConfig */
  localClusterId?: string;
}

export interface EksOptions {
  /** clusters by name; a partial entry is completed with test defaults */
  clusters?: Record<string, Partial<EksCluster>>;
  port?: number;
  host?: string;
  /** answer ThrottlingException (429) to the first N DescribeCluster requests */
  throttleFirst?: number;
  /** answer AccessDeniedException (403) to every request (true) or those for the named clusters */
  accessDenied?: boolean | string[];
  /** hold each answer this long (to exercise client deadlines) */
  delayMs?: number;
  /** serve https with this certificate and key (PEM), as a TLS-inspecting proxy would present its own */
  tls?: ServingTls;
}

export interface EksRequest {
  method: string;
  path: string;
  /** the cluster name from the path, decoded */
  clusterName?: string;
  status: number;
  /** the error code sent in x-amzn-errortype, when there was one */
  errorType?: string;
  /** whether the request carried a SigV4 Authorization header */
  signed: boolean;
  /** the access key that signed it (the Credential= of the Authorization header) */
  accessKeyId?: string;
  /** the region of the signature's credential scope (Credential=KEY/DATE/REGION/eks/aws4_request) */
  signingRegion?: string;
}

export interface EksEmulator {
  url: string;
  port: number;
  requests: EksRequest[];
  /** change switches at runtime; throttleFirst counts from the call */
  set(switches: Pick<EksOptions, 'throttleFirst' | 'accessDenied' | 'delayMs'>): void;
  putCluster(cluster: Partial<EksCluster> & { name: string }): void;
  close(): Promise<void>;
}

export function defaultCluster(name: string, overrides: Partial<EksCluster> = {}): EksCluster {
  const ipFamily = overrides.ipFamily ?? 'ipv4';
  return {
    name,
    endpoint: TEST_CLUSTER_ENDPOINT,
    caData: TEST_CLUSTER_CA_BASE64,
    ipFamily,
    serviceIpv4Cidr: '10.100.0.0/16',
    ...(ipFamily === 'ipv6' ? { serviceIpv6Cidr: 'fd30:1c53:5f8a::/108' } : {}),
    version: '1.33',
    status: 'ACTIVE',
    ...overrides,
  };
}

function describeBody(c: EksCluster): unknown {
  return {
    cluster: {
      name: c.name,
      arn: `arn:aws:eks:us-west-2:111122223333:cluster/${c.name}`,
      createdAt: 1_735_689_600,
      version: c.version,
      endpoint: c.endpoint,
      roleArn: 'arn:aws:iam::111122223333:role/eks-cluster-role',
      resourcesVpcConfig: {
        subnetIds: ['subnet-0123456789abcdef0'],
        securityGroupIds: [],
        clusterSecurityGroupId: 'sg-0123456789abcdef0',
        vpcId: 'vpc-0123456789abcdef0',
        endpointPublicAccess: true,
        endpointPrivateAccess: true,
        publicAccessCidrs: ['0.0.0.0/0'],
      },
      kubernetesNetworkConfig: {
        ...(c.serviceIpv4Cidr === undefined ? {} : { serviceIpv4Cidr: c.serviceIpv4Cidr }),
        ...(c.serviceIpv6Cidr === undefined ? {} : { serviceIpv6Cidr: c.serviceIpv6Cidr }),
        ipFamily: c.ipFamily,
        elasticLoadBalancing: { enabled: false },
      },
      logging: { clusterLogging: [] },
      identity: { oidc: { issuer: 'https://oidc.eks.us-west-2.amazonaws.com/id/0123456789ABCDEF' } },
      status: c.status,
      certificateAuthority: { data: c.caData },
      platformVersion: 'eks.1',
      tags: {},
      ...(c.localClusterId === undefined
        ? {}
        : {
            id: c.localClusterId,
            outpostConfig: {
              outpostArns: ['arn:aws:outposts:us-west-2:111122223333:outpost/op-0123456789abcdef0'],
              controlPlaneInstanceType: 'm5.large',
              controlPlanePlacement: { groupName: 'local-cluster-placement' },
            },
          }),
    },
  };
}

export async function startEks(options: EksOptions = {}): Promise<EksEmulator> {
  const host = options.host ?? '127.0.0.1';
  const clusters = new Map<string, EksCluster>();
  for (const [name, c] of Object.entries(options.clusters ?? { 'test-cluster': {} })) {
    clusters.set(name, defaultCluster(name, c));
  }
  let throttleLeft = options.throttleFirst ?? 0;
  let accessDenied = options.accessDenied ?? false;
  let delayMs = options.delayMs ?? 0;
  const requests: EksRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const handler: http.RequestListener = (req, res) => {
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const match = /^\/clusters\/([^/]+)$/.exec(path);
      const clusterName = match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
      const signed = /^AWS4-HMAC-SHA256 /.test(req.headers.authorization ?? '');
      const accessKeyId = /\bCredential=([^/,\s]+)\//.exec(req.headers.authorization ?? '')?.[1];
      const signingRegion = /\bCredential=[^/,\s]+\/\d{8}\/([^/,\s]+)\/eks\/aws4_request/.exec(req.headers.authorization ?? '')?.[1];
      const send = (status: number, body: unknown, errorType?: string): void => {
        requests.push({
          method: req.method ?? '',
          path,
          ...(clusterName === undefined ? {} : { clusterName }),
          status,
          ...(errorType === undefined ? {} : { errorType }),
          signed,
          ...(accessKeyId === undefined ? {} : { accessKeyId }),
          ...(signingRegion === undefined ? {} : { signingRegion }),
        });
        const text = JSON.stringify(body);
        const headers: Record<string, string> = {
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(text)),
          'x-amzn-RequestId': randomUUID(),
        };
        if (errorType) headers['x-amzn-errortype'] = `${errorType}:http://internal.amazon.com/coral/com.amazonaws.eks/`;
        const write = (): void => {
          res.writeHead(status, headers);
          res.end(text);
        };
        if (delayMs > 0) {
          const t = setTimeout(() => {
            timers.delete(t);
            if (!res.destroyed) write();
          }, delayMs);
          timers.add(t);
        } else write();
      };
      const error = (status: number, code: string, message: string, extra: object = {}): void => send(status, { message, ...extra }, code);

      if (req.method !== 'GET' || clusterName === undefined) {
        return error(404, 'UnknownOperationException', `no operation for ${req.method} ${path}`);
      }
      if (!signed) {
        return error(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
      }
      if (throttleLeft > 0) {
        throttleLeft -= 1;
        return error(429, 'ThrottlingException', 'Rate exceeded');
      }
      if (accessDenied === true || (Array.isArray(accessDenied) && accessDenied.includes(clusterName))) {
        return error(
          403,
          'AccessDeniedException',
          `User: arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0123456789abcdef0 is not authorized to perform: eks:DescribeCluster on resource: arn:aws:eks:us-west-2:111122223333:cluster/${clusterName}`,
        );
      }
      const cluster = clusters.get(clusterName);
      if (!cluster) {
        return error(404, 'ResourceNotFoundException', `No cluster found for name: ${clusterName}.`, { clusterName });
      }
      return send(200, describeBody(cluster));
    });
  };
  const { server, scheme } = createServer(handler, options.tls);

  const port = await listen(server, options.port, host);

  return {
    url: `${scheme}://${host}:${port}`,
    port,
    requests,
    set(switches) {
      if (switches.throttleFirst !== undefined) throttleLeft = switches.throttleFirst;
      if (switches.accessDenied !== undefined) accessDenied = switches.accessDenied;
      if (switches.delayMs !== undefined) delayMs = switches.delayMs;
    },
    putCluster(cluster) {
      clusters.set(cluster.name, defaultCluster(cluster.name, cluster));
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      await closeServer(server);
    },
  };
}
