// Preloaded (NODE_OPTIONS=--require) into the training run of the boot path's code cache
// (scripts/build-exe.mjs): `init --skip run` on a training root, its IMDS answered from memory
// from the files beside this one; a path IMDS does not hold is a 404, as IMDS answers it. The
// agent's IMDS client speaks HTTP over `node:net` (agent/src/aws/imds.ts), so `net.connect` to
// the IMDS address gives a socket of this file's that answers each request with HTTP bytes a tick
// later, and the client's parser runs as on a node. Any other connection, and an https request
// (an AWS call), fails the run: complete user data needs none.
'use strict';
const { EventEmitter } = require('node:events');
const net = require('node:net');
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

/** A socket answering the one HTTP request written to it, then closed as IMDS closes it. */
function imdsSocket() {
  const socket = new EventEmitter();
  let destroyed = false;
  socket.setTimeout = () => socket;
  socket.destroy = () => {
    if (!destroyed) {
      destroyed = true;
      process.nextTick(() => socket.emit('close'));
    }
    return socket;
  };
  socket.write = (request, written) => {
    const target = String(request).split(' ', 2)[1] ?? '/';
    const answer = answers[target.replace(/^\/latest\//, '')];
    const body = Buffer.from(answer ?? '');
    const status = answer === undefined ? '404 Not Found' : '200 OK';
    process.nextTick(() => {
      written?.();
      const head = `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
      socket.emit('data', Buffer.concat([Buffer.from(head), body]));
      if (!destroyed) socket.emit('end');
      socket.destroy();
    });
    return true;
  };
  process.nextTick(() => socket.emit('connect'));
  return socket;
}

net.connect = (options) => {
  if (options?.host !== '169.254.169.254' || Number(options.port) !== 80) {
    throw new Error(`training: only IMDS is expected, and ${options?.host}:${options?.port} was asked`);
  }
  return imdsSocket();
};
https.request = fakeRequest((options) => {
  throw new Error(`training: no AWS call is expected, and ${options.hostname ?? options.host} was asked`);
});
