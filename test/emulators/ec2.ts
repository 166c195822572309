import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { closeServer, listen } from './listen.js';

/**
 * A loopback stand-in for the EC2 API (query protocol: form-encoded POST, XML answers):
 * `DescribeInstanceTypes` (max pods fallback) and `DescribeInstances` (node name fallback), so
 * the real @aws-sdk/client-ec2 can be pointed at it. Errors use EC2's XML error document
 * (`<Response><Errors><Error><Code>`).
 */

export interface NetworkCard {
  networkCardIndex: number;
  maximumNetworkInterfaces: number;
}

export interface InstanceTypeInfo {
  instanceType: string;
  vcpus: number;
  memoryMiB: number;
  architecture: 'x86_64' | 'arm64';
  /** over all network cards */
  maximumNetworkInterfaces: number;
  ipv4AddressesPerInterface: number;
  ipv6AddressesPerInterface: number;
  ipv6Supported: boolean;
  defaultNetworkCardIndex: number;
  networkCards: NetworkCard[];
}

function single(
  instanceType: string,
  vcpus: number,
  memoryMiB: number,
  enis: number,
  ipv4: number,
  architecture: 'x86_64' | 'arm64' = 'x86_64',
): InstanceTypeInfo {
  return {
    instanceType,
    vcpus,
    memoryMiB,
    architecture,
    maximumNetworkInterfaces: enis,
    ipv4AddressesPerInterface: ipv4,
    ipv6AddressesPerInterface: ipv4,
    ipv6Supported: true,
    defaultNetworkCardIndex: 0,
    networkCards: [{ networkCardIndex: 0, maximumNetworkInterfaces: enis }],
  };
}

/**
 * Public EC2 figures for a few types. m7i.large and p4d.24xlarge are deliberately absent from
 * test/fixtures/instance-types.jsonl (the image's table) and m99i.large, a made-up type newer
 * than the agent's built-in table, from both, so the DescribeInstanceTypes fallback has
 * something to find;
 * p4d.24xlarge has four network cards (60 ENIs in all, 15 on the default card: max pods 737).
 */
export const INSTANCE_TYPES: InstanceTypeInfo[] = [
  single('c5.large', 2, 4096, 3, 10),
  single('m4.xlarge', 4, 16384, 4, 15),
  single('m5.large', 2, 8192, 3, 10),
  single('m5.xlarge', 4, 16384, 4, 15),
  single('m6g.large', 2, 8192, 3, 10, 'arm64'),
  single('m7i.large', 2, 8192, 3, 10),
  single('m99i.large', 2, 8192, 3, 10),
  {
    instanceType: 'p4d.24xlarge',
    vcpus: 96,
    memoryMiB: 1_179_648,
    architecture: 'x86_64',
    maximumNetworkInterfaces: 60,
    ipv4AddressesPerInterface: 50,
    ipv6AddressesPerInterface: 50,
    ipv6Supported: true,
    defaultNetworkCardIndex: 0,
    networkCards: [0, 1, 2, 3].map((networkCardIndex) => ({ networkCardIndex, maximumNetworkInterfaces: 15 })),
  },
  single('t3.medium', 2, 4096, 3, 6),
  single('t3.micro', 2, 1024, 2, 2),
];

export interface InstanceInfo {
  instanceType: string;
  privateDnsName: string;
  privateIpAddress: string;
}

/** The instance the IMDS emulator describes by default, so the two agree. */
export const DEFAULT_INSTANCES: Record<string, InstanceInfo> = {
  'i-0123456789abcdef0': {
    instanceType: 'm5.large',
    privateDnsName: 'ip-10-0-1-23.us-west-2.compute.internal',
    privateIpAddress: '10.0.1.23',
  },
};

export interface Ec2Options {
  instanceTypes?: InstanceTypeInfo[];
  /** for DescribeInstances, by instance id */
  instances?: Record<string, InstanceInfo>;
  port?: number;
  host?: string;
  /** answer UnauthorizedOperation (403) to every request */
  unauthorized?: boolean;
  /** answer RequestLimitExceeded (503) to the first N requests */
  throttleFirst?: number;
  /** hold each answer this long */
  delayMs?: number;
  /** page size when the request gives no MaxResults */
  defaultPageSize?: number;
}

export interface Ec2Request {
  action: string;
  /** the form parameters as sent */
  params: Record<string, string>;
  status: number;
  errorCode?: string;
  signed: boolean;
}

export interface Ec2Emulator {
  url: string;
  port: number;
  requests: Ec2Request[];
  set(switches: Pick<Ec2Options, 'unauthorized' | 'throttleFirst' | 'delayMs'>): void;
  close(): Promise<void>;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function itemXml(t: InstanceTypeInfo): string {
  const cards = t.networkCards
    .map(
      (c) =>
        `<item><networkCardIndex>${c.networkCardIndex}</networkCardIndex>` +
        `<networkPerformance>Up to 10 Gigabit</networkPerformance>` +
        `<maximumNetworkInterfaces>${c.maximumNetworkInterfaces}</maximumNetworkInterfaces></item>`,
    )
    .join('');
  return (
    `<item>` +
    `<instanceType>${xmlEscape(t.instanceType)}</instanceType>` +
    `<currentGeneration>true</currentGeneration>` +
    `<processorInfo><supportedArchitectures><item>${t.architecture}</item></supportedArchitectures></processorInfo>` +
    `<vCpuInfo><defaultVCpus>${t.vcpus}</defaultVCpus></vCpuInfo>` +
    `<memoryInfo><sizeInMiB>${t.memoryMiB}</sizeInMiB></memoryInfo>` +
    `<hypervisor>nitro</hypervisor>` +
    `<networkInfo>` +
    `<networkPerformance>Up to 10 Gigabit</networkPerformance>` +
    `<maximumNetworkInterfaces>${t.maximumNetworkInterfaces}</maximumNetworkInterfaces>` +
    `<maximumNetworkCards>${t.networkCards.length}</maximumNetworkCards>` +
    `<defaultNetworkCardIndex>${t.defaultNetworkCardIndex}</defaultNetworkCardIndex>` +
    `<networkCards>${cards}</networkCards>` +
    `<ipv4AddressesPerInterface>${t.ipv4AddressesPerInterface}</ipv4AddressesPerInterface>` +
    `<ipv6AddressesPerInterface>${t.ipv6AddressesPerInterface}</ipv6AddressesPerInterface>` +
    `<ipv6Supported>${t.ipv6Supported}</ipv6Supported>` +
    `<enaSupport>required</enaSupport>` +
    `<efaSupported>false</efaSupported>` +
    `<encryptionInTransitSupported>true</encryptionInTransitSupported>` +
    `</networkInfo>` +
    `</item>`
  );
}

export async function startEc2(options: Ec2Options = {}): Promise<Ec2Emulator> {
  const host = options.host ?? '127.0.0.1';
  const table = [...(options.instanceTypes ?? INSTANCE_TYPES)].sort((a, b) => (a.instanceType < b.instanceType ? -1 : a.instanceType > b.instanceType ? 1 : 0));
  const instances = options.instances ?? DEFAULT_INSTANCES;
  const pageSize = options.defaultPageSize ?? 100;
  let unauthorized = options.unauthorized ?? false;
  let throttleLeft = options.throttleFirst ?? 0;
  let delayMs = options.delayMs ?? 0;
  const requests: Ec2Request[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(req.method === 'POST' ? Buffer.concat(chunks).toString('utf8') : ((req.url ?? '').split('?')[1] ?? ''));
      const params = Object.fromEntries(form.entries());
      const action = params.Action ?? '';
      const signed = /^AWS4-HMAC-SHA256 /.test(req.headers.authorization ?? '');
      const requestId = randomUUID();

      const send = (status: number, xml: string, errorCode?: string): void => {
        requests.push({ action, params, status, ...(errorCode === undefined ? {} : { errorCode }), signed });
        const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
        const write = (): void => {
          res.writeHead(status, { 'Content-Type': 'text/xml;charset=UTF-8', 'Content-Length': String(Buffer.byteLength(body)) });
          res.end(body);
        };
        if (delayMs > 0) {
          const t = setTimeout(() => {
            timers.delete(t);
            if (!res.destroyed) write();
          }, delayMs);
          timers.add(t);
        } else write();
      };
      const error = (status: number, code: string, message: string): void =>
        send(
          status,
          `<Response><Errors><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
          code,
        );

      if (!signed) return error(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials');
      if (action !== 'DescribeInstanceTypes' && action !== 'DescribeInstances') {
        return error(400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
      }
      if (throttleLeft > 0) {
        throttleLeft -= 1;
        return error(503, 'RequestLimitExceeded', 'Request limit exceeded.');
      }
      if (unauthorized) return error(403, 'UnauthorizedOperation', 'You are not authorized to perform this operation.');

      if (action === 'DescribeInstances') {
        const ids = Object.keys(params)
          .filter((k) => /^InstanceId\.\d+$/.test(k))
          .map((k) => params[k] as string);
        const missing = ids.filter((id) => !(id in instances));
        if (missing.length > 0) {
          return error(400, 'InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
        }
        const items = (ids.length > 0 ? ids : Object.keys(instances).sort())
          .map((id) => {
            const i = instances[id]!;
            return (
              `<item><instanceId>${xmlEscape(id)}</instanceId><instanceType>${xmlEscape(i.instanceType)}</instanceType>` +
              `<instanceState><code>16</code><name>running</name></instanceState>` +
              `<privateDnsName>${xmlEscape(i.privateDnsName)}</privateDnsName>` +
              `<privateIpAddress>${xmlEscape(i.privateIpAddress)}</privateIpAddress></item>`
            );
          })
          .join('');
        return send(
          200,
          `<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${requestId}</requestId>` +
            `<reservationSet><item><reservationId>r-0123456789abcdef0</reservationId><ownerId>111122223333</ownerId>` +
            `<instancesSet>${items}</instancesSet></item></reservationSet></DescribeInstancesResponse>`,
        );
      }

      const wanted = Object.keys(params)
        .filter((k) => /^InstanceType\.\d+$/.test(k))
        .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))
        .map((k) => params[k] as string);
      const unknown = wanted.filter((w) => !table.some((t) => t.instanceType === w));
      if (unknown.length > 0) {
        return error(400, 'InvalidInstanceType', `The following supplied instance types do not exist: [${unknown.join(', ')}]`);
      }
      const selected = wanted.length === 0 ? table : table.filter((t) => wanted.includes(t.instanceType));

      const maxResults = params.MaxResults === undefined ? pageSize : Number(params.MaxResults);
      if (!Number.isInteger(maxResults) || maxResults < 5 || maxResults > 100) {
        return error(400, 'InvalidParameterValue', `MaxResults must be between 5 and 100, got ${params.MaxResults}`);
      }
      let offset = 0;
      if (params.NextToken !== undefined) {
        offset = Number(Buffer.from(params.NextToken, 'base64url').toString('utf8'));
        if (!Number.isInteger(offset) || offset < 0 || offset > selected.length) {
          return error(400, 'InvalidNextToken', 'The specified NextToken is not valid.');
        }
      }
      const page = selected.slice(offset, offset + maxResults);
      const next = offset + page.length < selected.length ? Buffer.from(String(offset + page.length)).toString('base64url') : undefined;
      return send(
        200,
        `<DescribeInstanceTypesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">` +
          `<requestId>${requestId}</requestId>` +
          `<instanceTypeSet>${page.map(itemXml).join('')}</instanceTypeSet>` +
          (next === undefined ? '' : `<nextToken>${next}</nextToken>`) +
          `</DescribeInstanceTypesResponse>`,
      );
    });
  });

  const port = await listen(server, options.port, host);

  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    set(switches) {
      if (switches.unauthorized !== undefined) unauthorized = switches.unauthorized;
      if (switches.throttleFirst !== undefined) throttleLeft = switches.throttleFirst;
      if (switches.delayMs !== undefined) delayMs = switches.delayMs;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      await closeServer(server);
    },
  };
}
