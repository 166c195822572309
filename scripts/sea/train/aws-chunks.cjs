// The training run of the AWS chunks' code caches (scripts/sea/build-sea.mjs, through the loader's
// EKS_NODE_SEA_TRAIN_CHUNKS): what a name-only boot runs in them, eks:DescribeCluster from
// building the client to parsing the answer, and then ec2:DescribeInstanceTypes, which a boot
// asks when the image's table does not know the instance type. No network: the request handlers
// are canned, so the run is the same every time (a cache trained against an emulator differs
// with timing), and the endpoints come from the region's rules as on a node. The credentials are
// static: the default chain would ask IMDS.
'use strict';
const { Readable } = require('node:stream');
const { EKSClient, DescribeClusterCommand } = require('./eks-node-agent.aws-eks.cjs')['@aws-sdk/client-eks']();
const { EC2Client, DescribeInstanceTypesCommand } = require('./eks-node-agent.aws-ec2.cjs')['@aws-sdk/client-ec2']();

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

/** A request handler that answers every request with `body`. */
const canned = (contentType, body) => ({
  handle: async () => ({
    response: { statusCode: 200, reason: 'OK', headers: { 'content-type': contentType }, body: Readable.from([Buffer.from(body)]) },
  }),
  updateHttpClientConfig() {},
  httpHandlerConfigs: () => ({}),
  destroy() {},
});

const config = {
  region: 'us-west-2',
  credentials: { accessKeyId: 'AKIDTRAINING', secretAccessKey: 'training' },
  maxAttempts: 5,
  retryMode: 'standard',
};

async function train() {
  const eks = new EKSClient({ ...config, requestHandler: canned('application/json', answer) });
  try {
    const out = await eks.send(new DescribeClusterCommand({ name: 'training' }));
    if (out.cluster?.kubernetesNetworkConfig?.serviceIpv4Cidr !== '10.100.0.0/16') throw new Error('training: the canned EKS answer did not parse');
  } finally {
    eks.destroy();
  }
  const ec2 = new EC2Client({ ...config, requestHandler: canned('text/xml;charset=UTF-8', ec2Answer) });
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
