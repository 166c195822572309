import { describe, expect, it } from 'vitest';
import { goClientProxy, imdsProxyWarnings, imdsThroughProxy, neverProxied, pullProxyWarnings } from '../../src/render/kubelet-proxy.js';
import { configWarnings } from '../../src/render/config-warnings.js';
import { render } from '../../src/render/index.js';
import type { NodeConfig } from '../../src/api/schema.js';
import { createTestCa } from '../../../test/support/pki.js';
import { baseConfig, baseFacts } from './fixtures.js';

const config = (environment: Record<string, Record<string, string>>): NodeConfig => ({
  apiVersion: 'node.eks.aws/v1alpha1',
  kind: 'NodeConfig',
  spec: { cluster: { name: 'c' }, instance: { environment } },
});

describe("the kubelet's credential helpers asking IMDS through the user data's proxy", () => {
  it('warns when every service gets HTTP_PROXY and NO_PROXY does not name 169.254.169.254, naming the key', () => {
    const warnings = imdsProxyWarnings(
      config({ default: { HTTP_PROXY: 'http://proxy.corp:3128', HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: 'localhost,.internal' } }),
    );
    expect(warnings).toEqual([
      "spec.instance.environment.default.HTTP_PROXY: the kubelet's credential helpers (aws-iam-authenticator, ecr-credential-provider) ask IMDS at http://169.254.169.254 for the instance role's credentials through this proxy, as NO_PROXY does not name 169.254.169.254; a proxy cannot reach this instance's IMDS, so the kubelet gets no API token and the node does not join (add 169.254.169.254 to NO_PROXY)",
    ]);
  });

  it('stays quiet where NO_PROXY covers the address (the address, a CIDR holding it, "*", lower case), or no HTTP proxy is set', () => {
    for (const noProxy of ['169.254.169.254', 'localhost,169.254.169.254:80', '169.254.0.0/16', '*']) {
      expect(imdsProxyWarnings(config({ default: { HTTP_PROXY: 'http://p:3128', NO_PROXY: noProxy } })), noProxy).toEqual([]);
    }
    expect(imdsProxyWarnings(config({ default: { http_proxy: 'http://p:3128', no_proxy: '169.254.169.254' } }))).toEqual([]);
    // HTTPS_PROXY alone: IMDS is plain http, which it does not carry
    expect(imdsProxyWarnings(config({ default: { HTTPS_PROXY: 'http://p:3128' } }))).toEqual([]);
    expect(imdsProxyWarnings(config({}))).toEqual([]);
  });

  it("judges what the kubelet gets: its own variables over every service's", () => {
    // the kubelet's own NO_PROXY replaces the default one
    expect(imdsProxyWarnings(config({ default: { HTTP_PROXY: 'http://p:3128' }, kubelet: { NO_PROXY: '169.254.169.254' } }))).toEqual([]);
    const own = imdsProxyWarnings(
      config({ default: { NO_PROXY: '169.254.169.254' }, 'kubelet.service': { HTTP_PROXY: 'http://p:3128', NO_PROXY: '.internal' } }),
    );
    expect(own).toHaveLength(1);
    expect(own[0]).toMatch(/^spec\.instance\.environment\.kubelet\.service\.HTTP_PROXY: /);
    // containerd's proxy is not the kubelet's
    expect(imdsProxyWarnings(config({ containerd: { HTTP_PROXY: 'http://p:3128' } }))).toEqual([]);
  });

  it('follows the IMDS endpoint or mode the environment names, and Go: HTTP_PROXY before http_proxy', () => {
    expect(imdsThroughProxy({ HTTP_PROXY: 'http://p:3128', AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6', NO_PROXY: '169.254.169.254' })).toEqual({
      variable: 'HTTP_PROXY',
      endpoint: 'http://[fd00:ec2::254]',
      host: 'fd00:ec2::254',
    });
    expect(imdsThroughProxy({ HTTP_PROXY: 'http://p:3128', AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6', NO_PROXY: 'fd00:ec2::254' })).toBeUndefined();
    expect(imdsThroughProxy({ HTTP_PROXY: 'http://p:3128', AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://10.0.0.9:8080/' })).toEqual({
      variable: 'HTTP_PROXY',
      endpoint: 'http://10.0.0.9:8080',
      host: '10.0.0.9',
    });
    expect(imdsThroughProxy({ HTTP_PROXY: '', http_proxy: 'http://p:3128' })?.variable).toBe('http_proxy');
    const ipv6 = imdsProxyWarnings(config({ default: { HTTP_PROXY: 'http://p:3128', AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' } }));
    expect(ipv6[0]).toMatch(/ask IMDS at http:\/\/\[fd00:ec2::254\] .* \(add fd00:ec2::254 to NO_PROXY\)$/);
  });
});

describe('an instance whose IMDS answered over IPv6 alone', () => {
  it('judges the IPv6 address the agent sends the kubelet to, when the user data names no endpoint or mode', async () => {
    const proxied = config({ default: { HTTP_PROXY: 'http://p:3128', NO_PROXY: '169.254.169.254' } });
    // over IPv4 the address NO_PROXY names is the one asked
    expect(imdsProxyWarnings(proxied)).toEqual([]);
    expect(imdsProxyWarnings(proxied, { imdsOverIpv6: false })).toEqual([]);
    const [warning] = imdsProxyWarnings(proxied, { imdsOverIpv6: true });
    expect(warning).toMatch(
      /^spec\.instance\.environment\.default\.HTTP_PROXY: .* ask IMDS at http:\/\/\[fd00:ec2::254\] \(the IPv6 mode the agent gives the kubelet, as IMDS answered there alone\) for .* \(add fd00:ec2::254 to NO_PROXY\)$/,
    );
    expect(imdsProxyWarnings(config({ default: { HTTP_PROXY: 'http://p:3128', NO_PROXY: '169.254.169.254,fd00:ec2::254' } }), { imdsOverIpv6: true })).toEqual(
      [],
    );
    // a mode or endpoint the user data names is kept as written (and judged as written)
    expect(
      imdsProxyWarnings(config({ default: { HTTP_PROXY: 'http://p:3128', NO_PROXY: '169.254.169.254', AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv4' } }), {
        imdsOverIpv6: true,
      }),
    ).toEqual([]);
    // render, which knows the facts, warns, and writes the mode it judged
    const ca = (await createTestCa()).certBase64;
    const resolved = baseConfig(ca, { instance: { environment: { default: { HTTP_PROXY: 'http://proxy.corp:3128', NO_PROXY: '169.254.169.254' } } } });
    const plan = render(resolved, baseFacts({ imdsOverIpv6: true }));
    expect(plan.warnings).toContain(imdsProxyWarnings(resolved, { imdsOverIpv6: true })[0]);
    expect(plan.files.some((f) => f.content.includes('AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6'))).toBe(true);
    expect(render(resolved, baseFacts()).warnings.some((w) => w.includes('HTTP_PROXY'))).toBe(false);
  });
});

describe('one warning for every reader', () => {
  it("render warns as config check (configWarnings) does, and still writes the user data's environment", async () => {
    const ca = (await createTestCa()).certBase64;
    const resolved = baseConfig(ca, { instance: { environment: { default: { HTTP_PROXY: 'http://proxy.corp:3128' } } } });
    const plan = render(resolved, baseFacts());
    const [warning] = imdsProxyWarnings(resolved);
    expect(warning).toBeDefined();
    expect(plan.warnings).toContain(warning);
    expect(configWarnings(resolved)).toContain(warning);
    expect(plan.files.some((f) => f.content.includes('HTTP_PROXY'))).toBe(true);
  });
});

describe('a proxy for the kubelet alone, while containerd pulls the images', () => {
  it('warns, naming the key, when the kubelet gets HTTPS_PROXY of its own and containerd none', () => {
    expect(pullProxyWarnings(config({ kubelet: { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '169.254.169.254' } }))).toEqual([
      "spec.instance.environment.kubelet.HTTPS_PROXY: the kubelet's alone; containerd, which pulls the node's images, gets no HTTPS_PROXY and dials registries (ECR, for the VPC CNI's image) directly, which from a subnet without a NAT gateway or ECR endpoints leaves the node NotReady (set the proxy in spec.instance.environment.default for every service, or for containerd too)",
    ]);
    expect(pullProxyWarnings(config({ 'kubelet.service': { https_proxy: 'http://p:3128' } }))[0]).toMatch(
      /^spec\.instance\.environment\.kubelet\.service\.https_proxy: /,
    );
  });

  it("stays quiet when containerd gets a proxy too (every service's or its own), or the kubelet none of its own", () => {
    expect(pullProxyWarnings(config({ default: { HTTPS_PROXY: 'http://p:3128' } }))).toEqual([]);
    expect(pullProxyWarnings(config({ default: { HTTPS_PROXY: 'http://p:3128' }, kubelet: { HTTPS_PROXY: 'http://q:3128' } }))).toEqual([]);
    expect(pullProxyWarnings(config({ kubelet: { HTTPS_PROXY: 'http://p:3128' }, containerd: { HTTPS_PROXY: 'http://p:3128' } }))).toEqual([]);
    expect(pullProxyWarnings(config({ kubelet: { HTTPS_PROXY: 'http://p:3128' }, 'containerd.service': { https_proxy: 'http://p:3128' } }))).toEqual([]);
    expect(pullProxyWarnings(config({ kubelet: { HTTP_PROXY: 'http://p:3128' } }))).toEqual([]);
    expect(pullProxyWarnings(config({}))).toEqual([]);
  });

  it('render and configWarnings give the same line', async () => {
    const ca = (await createTestCa()).certBase64;
    const resolved = baseConfig(ca, { instance: { environment: { kubelet: { HTTPS_PROXY: 'http://proxy.corp:3128' } } } });
    const [warning] = pullProxyWarnings(resolved);
    expect(warning).toBeDefined();
    expect(render(resolved, baseFacts()).warnings).toContain(warning);
    expect(configWarnings(resolved)).toContain(warning);
  });
});

describe('NO_PROXY read as Go reads it', () => {
  it('splits at commas alone: an entry with a space inside matches nothing, a space around one is trimmed', () => {
    expect(
      goClientProxy({ HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'x.example .eks.amazonaws.com' }, 'https://abc.gr7.us-west-2.eks.amazonaws.com'),
    ).toMatchObject({
      url: 'http://p:3128',
    });
    expect(
      goClientProxy({ HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'x.example , .eks.amazonaws.com ' }, 'https://abc.gr7.us-west-2.eks.amazonaws.com'),
    ).toBeUndefined();
  });
});

describe('hosts Go never proxies', () => {
  it('localhost and every loopback address, IPv4, IPv6 and IPv4-mapped; nothing else', () => {
    for (const url of ['https://localhost:6443', 'https://127.0.0.1', 'https://127.8.9.10:443', 'https://[::1]:6443', 'https://[::ffff:127.0.0.1]']) {
      expect(neverProxied(url), url).toBe(true);
    }
    for (const url of ['https://10.0.0.1', 'https://abc.gr7.us-west-2.eks.amazonaws.com', 'https://[fd00::1]', 'https://localhost.corp.example']) {
      expect(neverProxied(url), url).toBe(false);
    }
  });
});
