// Preloaded (NODE_OPTIONS=--require) into the training run of the boot path's code cache
// (scripts/build-exe.mjs): `init --skip run` on a training root, its IMDS answered from memory
// (fake-request.cjs) from the files beside this one; a path IMDS does not hold is a 404, as
// IMDS answers it. An https request (an AWS call) fails the run: complete user data needs none.
'use strict';
const http = require('node:http');
const https = require('node:https');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { fakeRequest } = require('./fake-request.cjs');

const instance = JSON.parse(readFileSync(join(__dirname, 'instance.json'), 'utf8'));
const identity = JSON.stringify({
  accountId: '111122223333',
  architecture: 'x86_64',
  availabilityZone: instance.availabilityZone,
  imageId: 'ami-0abcdef1234567890',
  instanceId: instance.instanceId,
  instanceType: instance.instanceType,
  pendingTime: '2026-01-01T00:00:00Z',
  privateIp: instance.privateIpv4,
  region: instance.region,
  version: '2017-09-30',
});
/** IMDS path (after /latest/) -> answer */
const answers = {
  'api/token': 'training-imds-token',
  'user-data': readFileSync(join(__dirname, 'user-data.mime')),
  'dynamic/instance-identity/document': identity,
  'meta-data/mac': instance.mac,
  'meta-data/local-ipv4': instance.privateIpv4,
  'meta-data/local-hostname': instance.privateDnsName,
};

http.request = fakeRequest((options) => {
  const body = answers[String(options.path ?? '/').replace(/^\/latest\//, '')];
  return body === undefined ? [404, 'text/plain', ''] : [200, 'text/plain', body];
});
https.request = fakeRequest((options) => {
  throw new Error(`training: no AWS call is expected, and ${options.hostname ?? options.host} was asked`);
});
