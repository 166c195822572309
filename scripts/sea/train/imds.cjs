// Preloaded (NODE_OPTIONS=--require) into the training run of the boot path's code cache
// (scripts/build-exe.mjs): `init --skip run` on a training root, its IMDS answered from memory
// by `node:http`'s `request`, from the files beside this one. Each answer comes a tick after
// its request ends, so the run is the same every time (a cache trained against an emulator
// differs with timing), and nothing leaves the process. Any other request fails the run.
'use strict';
const { EventEmitter } = require('node:events');
const http = require('node:http');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { Readable } = require('node:stream');

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

http.request = (options, onResponse) => {
  const path = String(options.path ?? '/').replace(/^\/latest\//, '');
  const req = new EventEmitter();
  if (onResponse) req.once('response', onResponse);
  req.setTimeout = () => req;
  req.destroy = () => req;
  req.write = () => true;
  req.end = () => {
    process.nextTick(() => {
      const body = answers[path];
      const res = Readable.from(body === undefined ? [] : [Buffer.from(body)]);
      Object.assign(res, { statusCode: body === undefined ? 404 : 200, headers: { 'content-type': 'text/plain' } });
      res.once('end', () => req.emit('close'));
      req.emit('response', res);
    });
    return req;
  };
  return req;
};
