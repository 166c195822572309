// `request` of node:http and node:https for the training runs of the code caches (train/imds.cjs,
// train/aws-chunks.cjs): nothing leaves the process, and each request is answered a tick after
// it ends, so a run is the same every time (a cache trained against an emulator differs with
// timing). `answerFor(options)` gives [status, content type, body] or throws, which fails the run.
'use strict';
const { EventEmitter } = require('node:events');
const { Readable } = require('node:stream');

/** A request function answering from `answerFor`, with a readable stream shaped like Node's IncomingMessage. */
function fakeRequest(answerFor) {
  return (options, onResponse) => {
    const req = new EventEmitter();
    if (onResponse) req.once('response', onResponse);
    req.socket = null;
    req.setTimeout = () => req;
    req.destroy = () => req;
    req.write = () => true;
    req.end = () => {
      process.nextTick(() => {
        const [statusCode, contentType, body] = answerFor(options);
        const res = Readable.from(body.length === 0 ? [] : [Buffer.from(body)]);
        Object.assign(res, { statusCode, statusMessage: statusCode === 200 ? 'OK' : 'Not Found', headers: { 'content-type': contentType } });
        res.once('end', () => req.emit('close'));
        req.emit('response', res);
      });
      return req;
    };
    return req;
  };
}

module.exports = { fakeRequest };
