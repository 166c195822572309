import { describe, expect, it } from 'vitest';
import { defaultServiceEndpoint, proxyFor, proxySettings } from '../../src/aws/proxy.js';

const PROXY = 'http://proxy.corp.example:3128';

describe('proxySettings', () => {
  it('takes each variable from the first environment that sets it, lower case before upper case', () => {
    const s = proxySettings({ HTTPS_PROXY: PROXY }, { HTTPS_PROXY: 'http://other:1', https_proxy: 'http://lower:1', NO_PROXY: 'a.example' });
    expect(s).toEqual({ httpsProxy: PROXY, noProxy: ['a.example'] });
    expect(proxySettings(undefined, { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:1' }).httpsProxy).toBe('http://lower:1');
  });

  it('reads a proxy without a scheme as http://, as curl does, and ignores empty values', () => {
    expect(proxySettings({ HTTPS_PROXY: 'proxy:3128', HTTP_PROXY: '' })).toEqual({ httpsProxy: 'http://proxy:3128', noProxy: [] });
  });
});

describe('proxyFor', () => {
  const settings = (noProxy: string) => proxySettings({ HTTPS_PROXY: PROXY, HTTP_PROXY: 'http://plain:8080', NO_PROXY: noProxy });

  it('picks the proxy by the scheme of the target', () => {
    expect(proxyFor('https://eks.us-west-2.amazonaws.com', settings(''))).toBe(PROXY);
    expect(proxyFor('http://127.0.0.1:4000', settings(''))).toBe('http://plain:8080');
    expect(proxyFor('https://eks.us-west-2.amazonaws.com', proxySettings({}))).toBeUndefined();
  });

  it('never proxies IMDS, whatever NO_PROXY says', () => {
    expect(proxyFor('http://169.254.169.254/latest/api/token', settings(''))).toBeUndefined();
    expect(proxyFor('http://[fd00:ec2::254]/latest/api/token', settings(''))).toBeUndefined();
  });

  it.each([
    ['.amazonaws.com', 'https://eks.us-west-2.amazonaws.com', true],
    ['amazonaws.com', 'https://eks.us-west-2.amazonaws.com', true],
    ['*.amazonaws.com', 'https://eks.us-west-2.amazonaws.com', true],
    ['ws.com', 'https://eks.us-west-2.amazonaws.com', false],
    ['eks.us-west-2.amazonaws.com:443', 'https://eks.us-west-2.amazonaws.com', true],
    ['eks.us-west-2.amazonaws.com:8443', 'https://eks.us-west-2.amazonaws.com', false],
    ['10.0.0.0/8, localhost', 'https://10.1.2.3', true],
    ['10.0.0.0/8', 'https://11.1.2.3', false],
    ['127.0.0.1', 'http://127.0.0.1:4000', true],
    ['::1', 'http://[::1]:4000', true],
    ['[::1]:4000', 'http://[::1]:4000', true],
    ['fd00::/8', 'http://[fd12::1]:80', true],
    ['*', 'https://anything.example', true],
    ['EKS.US-WEST-2.AMAZONAWS.COM', 'https://eks.us-west-2.amazonaws.com', true],
  ])('NO_PROXY %j covers %s: %s', (noProxy, url, bypass) => {
    expect(proxyFor(url, settings(noProxy)) === undefined).toBe(bypass);
  });
});

describe('defaultServiceEndpoint', () => {
  it('is the regional endpoint, .cn in the China partition', () => {
    expect(defaultServiceEndpoint('eks', 'us-west-2')).toBe('https://eks.us-west-2.amazonaws.com');
    expect(defaultServiceEndpoint('ec2', 'cn-north-1')).toBe('https://ec2.cn-north-1.amazonaws.com.cn');
  });
});
