// The training run of the AWS chunks' code caches (scripts/sea/build-sea.mjs, through the loader's
// EKS_NODE_SEA_TRAIN_CHUNKS): what a name-only boot runs in them, eks:DescribeCluster from
// building the client to parsing the answer, with no network. The request handler is canned, so
// the run is the same every time (a cache trained against an emulator differs with timing), and
// the endpoint comes from the region's rules as on a node. The credentials are static: the
// default chain would ask IMDS.
'use strict';
const { Readable } = require('node:stream');
const { EKSClient, DescribeClusterCommand } = require('./eks-node-agent.aws-eks.cjs')['@aws-sdk/client-eks']();

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
const cannedHandler = {
  handle: async () => ({
    response: { statusCode: 200, reason: 'OK', headers: { 'content-type': 'application/json' }, body: Readable.from([Buffer.from(answer)]) },
  }),
  updateHttpClientConfig() {},
  httpHandlerConfigs: () => ({}),
  destroy() {},
};

const client = new EKSClient({
  region: 'us-west-2',
  credentials: { accessKeyId: 'AKIDTRAINING', secretAccessKey: 'training' },
  requestHandler: cannedHandler,
  maxAttempts: 5,
  retryMode: 'standard',
});
client
  .send(new DescribeClusterCommand({ name: 'training' }))
  .then((out) => {
    if (out.cluster?.kubernetesNetworkConfig?.serviceIpv4Cidr !== '10.100.0.0/16') throw new Error('training: the canned answer did not parse');
  })
  .finally(() => client.destroy())
  .catch((err) => {
    process.exitCode = 1;
    process.stderr.write(`training the AWS chunks failed: ${err.stack}\n`);
  });
