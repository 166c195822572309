import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { closeServer, createServer, listen, type ServingTls } from './listen.js';

/**
 * A loopback stand-in for AWS STS, enough for `sts:GetCallerIdentity` through the real
 * @aws-sdk/client-sts (query protocol: form-encoded POST, XML answer). The caller is the
 * instance role's assumed-role session, as on a node. `accessDenied` answers 403 AccessDenied
 * like an explicit deny in an SCP or permissions boundary.
 */
export interface StsOptions {
  accountId?: string;
  roleName?: string;
  /** the role session name; on EC2 it is the instance id */
  sessionName?: string;
  accessDenied?: boolean;
  port?: number;
  host?: string;
  /** serve https with this certificate and key (PEM), as a TLS-inspecting proxy would present its own */
  tls?: ServingTls;
}

export interface StsRequest {
  action: string;
  status: number;
  /** the access key id from the SigV4 Authorization header, if signed */
  accessKeyId?: string;
  /** the x-amz-security-token header was present (a session credential) */
  sessionToken: boolean;
}

export interface StsEmulator {
  url: string;
  requests: StsRequest[];
  /** the ARN GetCallerIdentity answers with */
  callerArn: string;
  setAccessDenied(denied: boolean): void;
  close(): Promise<void>;
}

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function errorXml(code: string, message: string, type: 'Sender' | 'Receiver'): string {
  return (
    `<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n` +
    `    <Message>${xmlEscape(message)}</Message>\n  </Error>\n  <RequestId>${randomUUID()}</RequestId>\n</ErrorResponse>\n`
  );
}

export async function startSts(options: StsOptions = {}): Promise<StsEmulator> {
  const host = options.host ?? '127.0.0.1';
  const account = options.accountId ?? '111122223333';
  const role = options.roleName ?? 'eks-node-role';
  const session = options.sessionName ?? 'i-0123456789abcdef0';
  const callerArn = `arn:aws:sts::${account}:assumed-role/${role}/${session}`;
  let denied = options.accessDenied ?? false;
  const requests: StsRequest[] = [];

  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const query = new URL(req.url ?? '/', 'http://sts').searchParams;
      const action = form.get('Action') ?? query.get('Action') ?? '';
      const auth = req.headers.authorization ?? '';
      const accessKeyId = /Credential=([^/]+)\//.exec(auth)?.[1];
      const reply = (status: number, body: string): void => {
        requests.push({
          action,
          status,
          sessionToken: req.headers['x-amz-security-token'] !== undefined,
          ...(accessKeyId ? { accessKeyId } : {}),
        });
        res.writeHead(status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': randomUUID() });
        res.end(body);
      };
      if (req.method !== 'POST' && req.method !== 'GET') return reply(405, errorXml('InvalidAction', 'method not allowed', 'Sender'));
      if (!accessKeyId) return reply(403, errorXml('MissingAuthenticationToken', 'Request is missing Authentication Token', 'Sender'));
      if (action !== 'GetCallerIdentity') {
        return reply(400, errorXml('InvalidAction', `Could not find operation ${action} for version 2011-06-15`, 'Sender'));
      }
      if (denied) {
        return reply(403, errorXml('AccessDenied', `User: ${callerArn} is not authorized to perform: sts:GetCallerIdentity with an explicit deny`, 'Sender'));
      }
      const userId = `AROAEMULATEDROLEID01:${session}`;
      return reply(
        200,
        `<GetCallerIdentityResponse xmlns="${NS}">\n  <GetCallerIdentityResult>\n    <Arn>${xmlEscape(callerArn)}</Arn>\n` +
          `    <UserId>${userId}</UserId>\n    <Account>${account}</Account>\n  </GetCallerIdentityResult>\n` +
          `  <ResponseMetadata>\n    <RequestId>${randomUUID()}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n`,
      );
    });
  };
  const { server, scheme } = createServer(handler, options.tls);

  const port = await listen(server, options.port, host);
  return {
    url: `${scheme}://${host}:${port}`,
    requests,
    callerArn,
    setAccessDenied(value) {
      denied = value;
    },
    async close() {
      await closeServer(server);
    },
  };
}
