// The training run of the AWS chunks' code caches (scripts/sea/build-sea.mjs, through the loader's
// EKS_NODE_SEA_TRAIN_CHUNKS): what a name-only boot runs in them, eks:DescribeCluster from
// building the client to parsing the answer, and then ec2:DescribeInstanceTypes, which a boot
// asks when the image's table does not know the instance type. As on a node: the instance
// role's credentials given to the client (init reads them from IMDS itself, aws/instance-role.ts,
// so the SDK's default chain does not run and its providers are not worth a place in the cache),
// and the SDK's own HTTP handler, with the agent's handler options (aws/client.ts), the endpoints
// from the region's rules. No network: `node:http` and `node:https` answer every request from memory
// (fake-request.cjs, found through EKS_NODE_SEA_TRAIN_DIR: this script runs from the build's
// work directory), and the build's environment (PATH and HOME only) decides nothing.
'use strict';
const http = require('node:http');
const https = require('node:https');
const { join } = require('node:path');
const { fakeRequest } = require(join(process.env.EKS_NODE_SEA_TRAIN_DIR, 'fake-request.cjs'));
const answer = JSON.stringify({
  cluster: {
    name: 'training',
    endpoint: 'https://0123456789ABCDEF0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com',
    certificateAuthority: { data: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==' },
    kubernetesNetworkConfig: { ipFamily: 'ipv4', serviceIpv4Cidr: '10.100.0.0/16' },
    version: '1.33',
    status: 'ACTIVE',
  },
});
const ec2Answer =
  '<DescribeInstanceTypesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>training</requestId><instanceTypeSet><item>' +
  '<instanceType>m5.large</instanceType><currentGeneration>true</currentGeneration>' +
  '<processorInfo><supportedArchitectures><item>x86_64</item></supportedArchitectures></processorInfo>' +
  '<vCpuInfo><defaultVCpus>2</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>8192</sizeInMiB></memoryInfo>' +
  '<networkInfo><networkPerformance>Up to 10 Gigabit</networkPerformance><maximumNetworkInterfaces>3</maximumNetworkInterfaces>' +
  '<maximumNetworkCards>1</maximumNetworkCards><defaultNetworkCardIndex>0</defaultNetworkCardIndex>' +
  '<networkCards><item><networkCardIndex>0</networkCardIndex><maximumNetworkInterfaces>3</maximumNetworkInterfaces></item></networkCards>' +
  '<ipv4AddressesPerInterface>10</ipv4AddressesPerInterface><ipv6AddressesPerInterface>10</ipv6AddressesPerInterface>' +
  '<ipv6Supported>true</ipv6Supported></networkInfo></item></instanceTypeSet></DescribeInstanceTypesResponse>';

/** The instance role's credentials as init reads them and gives them to the client. */
const roleCredentials = { accessKeyId: 'ASIATRAINING', secretAccessKey: 'training', sessionToken: 'training-session-token' };

/** The answer to one request: status, content type and body, by host and path. */
function answerFor(options) {
  const host = options.hostname ?? options.host ?? '';
  const path = options.path ?? '/';
  if (host === '169.254.169.254') throw new Error(`training: IMDS was asked for ${path}: the default credential chain ran, the client was not given the role's credentials`);
  // signed with the role's keys
  const signer = /\bCredential=([^/]+)\//.exec(options.headers?.authorization ?? '')?.[1];
  if (signer !== 'ASIATRAINING') throw new Error(`training: ${host} was asked with credentials ${signer}, not the instance role's`);
  if (host.startsWith('eks.')) return [200, 'application/json', answer];
  if (host.startsWith('ec2.')) return [200, 'text/xml;charset=UTF-8', ec2Answer];
  throw new Error(`training: no answer for ${options.method ?? 'GET'} ${host}${path}`);
}

http.request = fakeRequest(answerFor);
https.request = fakeRequest(answerFor);

const { EKSClient, DescribeClusterCommand } = require('./eks-node-agent.aws-eks.cjs')['@aws-sdk/client-eks']();
const { EC2Client, DescribeInstanceTypesCommand } = require('./eks-node-agent.aws-ec2.cjs')['@aws-sdk/client-ec2']();

/** The client configuration the agent gives (aws/client.ts: sdkClientConfig) with no endpoint override and the role's credentials. */
const config = {
  region: 'us-west-2',
  ignoreConfiguredEndpointUrls: true,
  credentials: roleCredentials,
  maxAttempts: 5,
  retryMode: 'standard',
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 20_000 },
};

async function train() {
  const eks = new EKSClient(config);
  try {
    const out = await eks.send(new DescribeClusterCommand({ name: 'training' }));
    if (out.cluster?.kubernetesNetworkConfig?.serviceIpv4Cidr !== '10.100.0.0/16') throw new Error('training: the canned EKS answer did not parse');
  } finally {
    eks.destroy();
  }
  const ec2 = new EC2Client(config);
  try {
    const out = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m5.large'] }));
    if (out.InstanceTypes?.[0]?.NetworkInfo?.NetworkCards?.[0]?.MaximumNetworkInterfaces !== 3) throw new Error('training: the canned EC2 answer did not parse');
  } finally {
    ec2.destroy();
  }
}

train().catch((err) => {
  process.exitCode = 1;
  process.stderr.write(`training the AWS chunks failed: ${err.stack}\n`);
});
