import { chmod, cp, lstat, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startEc2 } from '../emulators/ec2.js';
import { startEks } from '../emulators/eks.js';
import { startImds } from '../emulators/imds.js';
import { startSts } from '../emulators/sts.js';
import { startApiServer } from '../emulators/apiserver.js';
import { startConnectProxy } from '../support/connect-proxy.js';
import { startSocksProxy } from '../support/socks-proxy.js';
import { createCertificateRequest, issueServerCert } from '../support/pki.js';
import { runAgent } from '../support/agent.js';
import type { Check } from './doctor-node.js';
import {
  useDoctorNode,
  run,
  INSTANCE,
  NODE,
  api,
  sts,
  imds,
  otherCa,
  servingCert,
  work,
  root,
  unitState,
  journalDir,
  nodeConfig,
  configureNode,
  setUnits,
  doctor,
  doctorJson,
  endpoint,
} from './doctor-node.js';

/*
 * `eks-node-agent doctor` as a process against loopback emulators (see doctor-node.ts). Each
 * failure mode is injected on its own, and each must give the right status and hint. The cases
 * that need kubectl or python3 are in doctor.tools.test.ts (`npm run test:tools`).
 */

useDoctorNode();

describe('doctor on a healthy node', () => {
  it('passes every check and exits 0', async () => {
    const r = await doctorJson();
    const notOk = r.checks.filter((c) => c.status !== 'ok');
    expect(notOk, r.stdout).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.checks.map((c) => c.name)).toEqual([
      'imds',
      'instance-profile',
      'config',
      'aws-identity',
      'node-name',
      'dns',
      'tcp',
      'tls',
      'ca',
      'auth',
      'clock',
      'kubelet-version',
      'files',
      'local-storage',
      'forward-policy',
      'pod-dns',
      'cloud-init',
      'environment',
      'registry',
      'unit:eks-node-agent-config',
      'unit:soci-snapshotter',
      'unit:containerd',
      'unit:eks-node-agent-run',
      'unit:kubelet',
      'registration',
      'serving-cert',
      'pods',
    ]);
    expect(r.by('serving-cert').detail).toMatch(
      new RegExp(
        `^the kubelet serves with a certificate for DNS:${NODE.replaceAll('.', '\\.')}, IP Address:${INSTANCE.privateIpv4!.replaceAll('.', '\\.')}, valid until \\d{4}-\\d\\d-\\d\\d$`,
      ),
    );
    expect(r.by('pods').detail).toBe(`0 pods bound to ${NODE}, none stuck in ContainerCreating`);
    expect(r.by('node-name').detail).toBe(`${NODE} (IMDS local-hostname, domain us-west-2.compute.internal is EC2-assigned)`);
    expect(r.by('aws-identity').detail).toContain('must name arn:aws:iam::111122223333:role/eks-node-role');
    expect(r.by('config').detail).toContain('name, apiServerEndpoint, certificateAuthority, cidr from user data');
    expect(r.by('dns').detail).toMatch(/localhost resolves to .*127\.0\.0\.1/);
    expect(r.by('auth').detail).toContain('system:nodes');
    expect(r.by('registration').detail).toBe(`Node ${NODE} is Ready`);
    expect(r.by('kubelet-version').detail).toBe('kubelet v1.33.1 with API server v1.33.1-eks-fake: within the version skew policy');
    expect(r.by('forward-policy').detail).toBe('iptables FORWARD policy ACCEPT, 1 rule(s) in the chain; the kernel forwards IPv4 (net.ipv4.ip_forward = 1)');
    // the token came from the authenticator double through the kubeconfig's exec plugin
    expect(api.requests.some((q) => q.path === '/apis/authentication.k8s.io/v1/selfsubjectreviews' && q.tokenKind === 'k8s-aws-v1.')).toBe(true);
    expect(sts.requests.at(-1)).toMatchObject({ action: 'GetCallerIdentity', status: 200, accessKeyId: 'ASIAEMULATEDIMDS0001', sessionToken: true });
  });

  it('agrees with init: the files `init --skip run` wrote are not drift', async () => {
    await rm(join(root, 'etc/kubernetes'), { recursive: true, force: true });
    await rm(join(root, 'var'), { recursive: true, force: true });
    const init = await runAgent(['init', '--skip', 'run', '--root', root], {
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_ENDPOINT_URL_EKS: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9' },
    });
    expect(init.exitCode, init.stderr).toBe(0);
    const r = await doctorJson();
    expect(r.by('files')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^\d+ files match what init plans$/) });
  });

  it("IMDS stops answering after the boot: imds times out, the checks that need the instance take this boot's kept answers", async () => {
    await rm(join(root, 'etc/kubernetes'), { recursive: true, force: true });
    const init = await runAgent(['init', '--skip', 'run', '--root', root], {
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_ENDPOINT_URL_EKS: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9' },
    });
    expect(init.exitCode, init.stderr).toBe(0);
    imds.setDown(true);
    try {
      const bundle = join(work, 'kept-bundle.tar.gz');
      const r = await doctorJson(['--timeout', '8', '--bundle', bundle]);
      expect(r.exitCode).toBe(1);
      expect(r.by('imds')).toMatchObject({ status: 'timeout', detail: expect.stringContaining('no result within the run deadline (--timeout 8s)') });
      const { stdout: instance } = await run('tar', ['-xzOf', bundle, 'eks-node-doctor/instance.json']);
      expect(JSON.parse(instance)).toMatchObject({ instanceId: INSTANCE.instanceId, source: "this boot's kept IMDS answers (IMDS did not answer doctor)" });
      expect(r.by('imds').hint).toContain("meanwhile the checks that need the instance's answers took this boot's, kept in");
      expect(r.by('instance-profile')).toMatchObject({ status: 'skipped', skippedBecause: 'imds' });
      expect(r.by('aws-identity')).toMatchObject({ status: 'skipped', skippedBecause: 'imds' });
      // what the boot read, judged as on a node whose IMDS answers
      for (const name of ['config', 'node-name', 'dns', 'tcp', 'tls', 'ca', 'auth', 'files', 'registration', 'pods']) {
        expect(r.by(name).status, `${name}: ${r.by(name).detail}`).toBe('ok');
      }
      expect(r.by('config').detail).toMatch(/^valid \(1 document\); cluster doctor-test/);
      expect(r.by('node-name').detail).toBe(`${NODE} (IMDS local-hostname, domain us-west-2.compute.internal is EC2-assigned)`);
    } finally {
      imds.setDown(false);
    }
  }, 60_000);

  it("a damaged identity document among this boot's kept answers: the file serves no check, as the run phase does not use it; IMDS's own answers judge the node", async () => {
    await rm(join(root, 'etc/kubernetes'), { recursive: true, force: true });
    const env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_ENDPOINT_URL_EKS: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9' };
    const init = await runAgent(['init', '--skip', 'run', '--root', root], { env });
    expect(init.exitCode, init.stderr).toBe(0);
    const file = join(root, 'run/eks-node-agent/imds-answers.json');
    const kept = JSON.parse(await readFile(file, 'utf8')) as { answers: Record<string, string | null> };
    const path = 'dynamic/instance-identity/document';
    const identity = JSON.parse(Buffer.from(kept.answers[path]!, 'base64').toString('utf8')) as Record<string, unknown>;
    kept.answers[path] = Buffer.from(JSON.stringify({ ...identity, region: 'us west 2' })).toString('base64');
    await writeFile(file, JSON.stringify(kept), { mode: 0o600 });
    // the run phase says so and asks IMDS (--dry-run: nothing started)
    const runPhase = await runAgent(['init', '--skip', 'config', '--dry-run', '--root', root], { env });
    expect(runPhase.stderr).toContain(`note: /run/eks-node-agent/imds-answers.json: its identity document: IMDS ${path}: region "us west 2"`);
    const live = await doctorJson();
    for (const name of ['imds', 'config', 'node-name', 'files']) expect(live.by(name).status, `${name}: ${live.by(name).detail}`).toBe('ok');
    expect(live.by('node-name').detail).toBe(`${NODE} (IMDS local-hostname, domain us-west-2.compute.internal is EC2-assigned)`);
    imds.setDown(true);
    try {
      const r = await doctorJson(['--timeout', '8']);
      expect(r.by('imds')).toMatchObject({
        status: 'timeout',
        hint: expect.stringContaining(
          `this boot's answers in ${file} cannot serve the other checks (its identity document: IMDS ${path}: region "us west 2" is not a region name`,
        ),
      });
      expect(r.by('node-name')).toMatchObject({ status: 'skipped', skippedBecause: 'imds' });
    } finally {
      imds.setDown(false);
    }
  }, 60_000);

  it('IMDS refusing connections after the boot (a firewall REJECT): imds fails within seconds naming the refusal, the rest judged from the kept answers', async () => {
    // an IMDS of its own, closed after the boot, so its port refuses
    const gone = await startImds({ userData: stringify(nodeConfig()) });
    const env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: gone.url, AWS_ENDPOINT_URL_EKS: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9' };
    try {
      await rm(join(root, 'etc/kubernetes'), { recursive: true, force: true });
      const init = await runAgent(['init', '--skip', 'run', '--root', root], { env });
      expect(init.exitCode, init.stderr).toBe(0);
    } finally {
      await gone.close();
    }
    const r = await doctorJson(['--timeout', '120'], { AWS_EC2_METADATA_SERVICE_ENDPOINT: gone.url });
    expect(r.exitCode).toBe(1);
    // a fail, not a timeout: the refusals ended the wait long before --timeout
    expect(r.by('imds')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /the connection was refused 5 times in a row \(ECONNREFUSED\): nothing answers there, or a firewall rejects it; the checks that need the instance's answers took this boot's, kept in /,
      ),
    });
    for (const name of ['config', 'node-name', 'files', 'auth', 'registration']) {
      expect(r.by(name).status, `${name}: ${r.by(name).detail}`).toBe('ok');
    }
    expect(r.checks.filter((c) => c.status === 'timeout')).toEqual([]);
  }, 60_000);

  it("takes the environment systemd gives the boot's services, which a login shell lacks: the agent's unit's for IMDS and AWS, the kubelet's for its credential plugin", async () => {
    // as an image that bakes its endpoints (or proxy) into DefaultEnvironment= or a drop-in:
    // doctor's own environment points IMDS and STS at a closed port, systemd's at the emulators
    const files = {
      'manager.env': `LANG=C.UTF-8 AWS_ENDPOINT_URL_STS=${sts.url}`,
      // with a proxy nothing answers at, which the unit's UnsetEnvironment= takes away again
      'eks-node-agent-config.service.env': `AWS_EC2_METADATA_SERVICE_ENDPOINT=${imds.url} HTTP_PROXY=http://127.0.0.1:9`,
      'eks-node-agent-config.service.unset': 'HTTP_PROXY=http://127.0.0.1:9',
      // the double prints "could not get token: <this>", whose first word the scrubber hides;
      // the unit's EnvironmentFile= (an image's drop-in) overrides its Environment=, as systemd does
      'kubelet.service.env': '"AUTHENTICATOR_DOUBLE_FAIL=(double) as Environment= says"',
      'kubelet.service.envfiles': join(unitState, 'image-drop-in.env'),
      'image-drop-in.env': '# the image\'s file\nAUTHENTICATOR_DOUBLE_FAIL="(double) as the kubelet unit gets it"\n',
    };
    try {
      for (const [name, text] of Object.entries(files)) await writeFile(join(unitState, name), text);
      const closed = { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9', AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' };
      const r = await doctorJson([], closed);
      expect(r.by('imds').status, r.stdout).toBe('ok');
      expect(r.by('aws-identity'), r.stdout).toMatchObject({
        status: 'ok',
        detail: expect.stringContaining('must name arn:aws:iam::111122223333:role/eks-node-role'),
      });
      expect(r.by('auth')).toMatchObject({ status: 'fail', detail: expect.stringContaining('as the kubelet unit gets it') });
      // without the UnsetEnvironment=, the STS call goes to the proxy, which refuses it
      await rm(join(unitState, 'eks-node-agent-config.service.unset'));
      const proxied = await doctorJson([], closed);
      expect(proxied.by('aws-identity').status, proxied.stdout).toBe('fail');
      // the units not loaded (not a node): this process's environment alone, as before
      await rm(join(unitState, 'eks-node-agent-config.service.env'));
      await rm(join(unitState, 'kubelet.service.env'));
      await rm(join(unitState, 'kubelet.service.envfiles'));
      const shell = await doctorJson([], { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' });
      expect(shell.by('aws-identity').status).toBe('fail');
      expect(shell.by('auth').status).toBe('ok');
    } finally {
      for (const name of Object.keys(files)) await rm(join(unitState, name), { force: true });
    }
  }, 60_000);

  it('environment: what the user data sets against what systemd gives containerd and the kubelet, values never shown', async () => {
    const config = nodeConfig();
    config.spec.instance = { environment: { default: { TZ: 'UTC', GODEBUG: 'x509negativeserial=1' }, containerd: { GOGC: '50' } } };
    imds.setUserData(stringify(config));
    await configureNode(config);
    const image = join(unitState, 'image-timezone.env');
    const files: Record<string, string> = {
      'manager.env': 'LANG=C.UTF-8 TZ=UTC GODEBUG=x509negativeserial=1',
      'containerd.service.env': 'GOGC=50',
      'kubelet.service.env': '',
    };
    try {
      for (const [name, text] of Object.entries(files)) await writeFile(join(unitState, name), text);
      const r = await doctorJson();
      expect(r.by('environment')).toMatchObject({
        status: 'ok',
        detail: 'containerd.service, kubelet.service get the 5 variables the user data sets for them',
      });
      // an image's EnvironmentFile= on the kubelet wins over every service's TZ; systemd not re-executed lacks GODEBUG
      await writeFile(image, 'TZ=Europe/Paris\n');
      await writeFile(join(unitState, 'kubelet.service.envfiles'), image);
      await writeFile(join(unitState, 'manager.env'), 'LANG=C.UTF-8 TZ=UTC');
      const drifted = await doctorJson();
      expect(drifted.by('environment')).toMatchObject({
        status: 'warn',
        detail:
          "what the user data sets is not what the units get: containerd.service: GODEBUG is not set: systemd's default environment is not spec.instance.environment.default's; " +
          "kubelet.service: GODEBUG is not set: systemd's default environment is not spec.instance.environment.default's; " +
          "kubelet.service: TZ is not spec.instance.environment.default's (a drop-in of the unit after the agent's /etc/systemd/system/kubelet.service.d/environment.conf, or an EnvironmentFile= it names, sets another)",
      });
      expect(drifted.by('environment').hint).toContain('systemctl daemon-reexec');
      expect(drifted.stdout).not.toContain('Europe/Paris');
      // containerd's unit takes GOGC away (UnsetEnvironment=, applied last): named as the cause
      await writeFile(join(unitState, 'manager.env'), 'LANG=C.UTF-8 TZ=UTC GODEBUG=x509negativeserial=1');
      await rm(join(unitState, 'kubelet.service.envfiles'));
      await writeFile(join(unitState, 'containerd.service.unset'), 'GOGC');
      const unset = await doctorJson();
      expect(unset.by('environment')).toMatchObject({
        status: 'warn',
        detail:
          "what the user data sets is not what the units get: containerd.service: GOGC is taken away by the unit's UnsetEnvironment=, which systemd applies after every other setting",
      });
    } finally {
      for (const name of [...Object.keys(files), 'kubelet.service.envfiles', 'image-timezone.env', 'containerd.service.unset'])
        await rm(join(unitState, name), { force: true });
    }
  }, 60_000);

  it('prints one line per check and a summary in text mode', async () => {
    const r = await doctor();
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(28);
    expect(lines[0]).toMatch(/^ok +imds +IMDSv2 token and identity: i-0123456789abcdef0/);
    expect(lines.at(-1)).toBe('0 failed, 0 warnings, 27 ok, 0 skipped');
  });
});

describe('doctor names the cause of each join failure', () => {
  it("reaches the API server through the proxy the kubelet's environment names, as client-go does; a proxy that refuses the endpoint fails the tls line", async () => {
    // an endpoint whose name only the proxy resolves: the node never dials or resolves it itself
    const name = 'api.proxied.test';
    const [proxied, proxy] = await Promise.all([startApiServer({ ca: api.ca, sans: [`DNS:${name}`] }), startConnectProxy({ hosts: { [name]: '127.0.0.1' } })]);
    try {
      const config = nodeConfig({ apiServerEndpoint: `https://${name}:${proxied.port}` });
      imds.setUserData(stringify(config));
      await configureNode(config);
      // as an image's drop-in or the user data's default environment gives it to the kubelet
      await writeFile(join(unitState, 'kubelet.service.env'), `HTTPS_PROXY=${proxy.url} NO_PROXY=169.254.169.254,localhost`);
      const r = await doctorJson();
      expect(r.by('dns'), r.stdout).toMatchObject({
        status: 'ok',
        detail: `${name} is reached through the proxy 127.0.0.1:${proxy.port} (HTTPS_PROXY in the kubelet's environment), which resolves it`,
      });
      expect(r.by('tcp')).toMatchObject({ status: 'ok', detail: `connected to the proxy at 127.0.0.1:${proxy.port}` });
      expect(r.by('tls')).toMatchObject({
        status: 'ok',
        detail: expect.stringMatching(/verified against the cluster CA, through the proxy 127\.0\.0\.1:\d+$/),
      });
      expect(r.by('auth').status, r.by('auth').detail).toBe('ok');
      // the proxy is the kubelet's alone: containerd, which pulls the images, would dial the registry directly
      expect(r.by('registry')).toMatchObject({
        status: 'warn',
        detail:
          "no image pull failed in the kubelet's journal; containerd reaches 602401143452.dkr.ecr.us-west-2.amazonaws.com (the cluster's add-on images) directly",
      });
      expect(r.by('registry').hint).toContain(
        `through the proxy 127.0.0.1:${proxy.port} (HTTPS_PROXY in the kubelet's environment), but containerd, which pulls the images, dials it directly`,
      );
      // the tls line's tunnel and each API request: all CONNECTs to the endpoint
      expect(proxy.requests.length).toBeGreaterThanOrEqual(2);
      expect(proxy.requests.filter((q) => q.method !== 'CONNECT' || q.target !== `${name}:${proxied.port}`)).toEqual([]);

      proxy.refuse(403, 'Forbidden');
      const denied = await doctorJson();
      expect(denied.by('tls')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/answered CONNECT api\.proxied\.test:\d+ with 403 Forbidden$/) });
      expect(denied.by('auth').status).toBe('skipped');
      expect(denied.exitCode).not.toBe(0);
    } finally {
      await Promise.all([proxied.close(), proxy.close()]);
    }
  }, 60_000);

  it("follows a SOCKS5 proxy in the kubelet's environment as Go does (socks5://, the proxy resolving the name); one whose rules refuse the endpoint fails the tls line", async () => {
    const name = 'api.socks.test';
    const [proxied, socks] = await Promise.all([startApiServer({ ca: api.ca, sans: [`DNS:${name}`] }), startSocksProxy({ hosts: { [name]: '127.0.0.1' } })]);
    try {
      const config = nodeConfig({ apiServerEndpoint: `https://${name}:${proxied.port}` });
      imds.setUserData(stringify(config));
      await configureNode(config);
      await writeFile(join(unitState, 'kubelet.service.env'), `HTTPS_PROXY=${socks.url} NO_PROXY=169.254.169.254,localhost`);
      const r = await doctorJson();
      expect(r.by('dns'), r.stdout).toMatchObject({
        status: 'ok',
        detail: `${name} is reached through the proxy 127.0.0.1:${socks.port} (HTTPS_PROXY in the kubelet's environment), which resolves it`,
      });
      expect(r.by('tls')).toMatchObject({
        status: 'ok',
        detail: expect.stringMatching(/verified against the cluster CA, through the proxy 127\.0\.0\.1:\d+$/),
      });
      expect(r.by('auth').status, r.by('auth').detail).toBe('ok');
      // the tls line's connection and each API request, all by name
      expect(socks.requests.length).toBeGreaterThanOrEqual(2);
      expect(socks.requests.filter((q) => q.target !== `${name}:${proxied.port}` || q.sentAs !== 'name')).toEqual([]);

      socks.refuse(2);
      const denied = await doctorJson();
      expect(denied.by('tls')).toMatchObject({
        status: 'fail',
        detail: `the SOCKS proxy 127.0.0.1:${socks.port} (HTTPS_PROXY in the kubelet's environment) refused the connection to ${name}:${proxied.port}: not allowed by its rules (reply 2)`,
      });
      expect(denied.by('tls').hint).toContain("put the endpoint's host in NO_PROXY");
      expect(denied.by('auth').status).toBe('skipped');
    } finally {
      await rm(join(unitState, 'kubelet.service.env'), { force: true });
      await Promise.all([proxied.close(), socks.close()]);
    }
  }, 60_000);

  // Two doctor runs, the second waiting out a denied EC2 call: about 40 s on a loaded machine.
  it('custom DHCP domain: names the domain and the PrivateDnsName the node registers with, or the permission it lacks', async () => {
    const ec2 = await startEc2();
    imds.setMetaData('local-hostname', 'ip-10-0-1-23.corp.example');
    try {
      const r = await doctorJson([], { AWS_ENDPOINT_URL_EC2: ec2.url });
      expect(r.by('node-name')).toMatchObject({
        status: 'ok',
        detail: `${NODE} (PrivateDnsName from ec2:DescribeInstances: local-hostname ip-10-0-1-23.corp.example has the custom DHCP domain "corp.example")`,
      });
      expect(r.by('registration').detail).toBe(`Node ${NODE} is Ready`);
      expect(r.by('files').status).toBe('ok');

      ec2.set({ unauthorized: true });
      const denied = await doctorJson([], { AWS_ENDPOINT_URL_EC2: ec2.url });
      expect(denied.by('node-name')).toMatchObject({ status: 'fail', detail: expect.stringContaining('was denied (UnauthorizedOperation)') });
      expect(denied.by('node-name').hint).toContain('allow ec2:DescribeInstances for role eks-node-role, or set spec.featureGates.InstanceIdNodeName: true');
      expect(denied.by('registration')).toMatchObject({ status: 'skipped', skippedBecause: 'node-name' });
    } finally {
      imds.setMetaData('local-hostname', NODE);
      await ec2.close();
    }
  }, 120_000);

  it('IMDS down: imds times out at --timeout (not earlier), everything that needs it is skipped naming it', async () => {
    const down = await startImds({ down: true });
    try {
      const started = Date.now();
      const r = await doctorJson(['--timeout', '8'], { AWS_EC2_METADATA_SERVICE_ENDPOINT: down.url });
      expect(Date.now() - started).toBeGreaterThanOrEqual(8_000);
      expect(r.exitCode).toBe(1);
      expect(r.by('imds')).toMatchObject({ status: 'timeout', detail: expect.stringContaining('no result within the run deadline (--timeout 8s)') });
      expect(r.stdout).not.toContain('"fail"');
      expect(r.by('imds').hint).toContain('metadata options');
      for (const name of ['instance-profile', 'config', 'aws-identity', 'dns', 'registration']) {
        expect(r.by(name).status, name).toBe('skipped');
      }
      expect(r.by('instance-profile').skippedBecause).toBe('imds');
      expect(r.by('dns').skippedBecause).toBe('config');
      // checks that do not need IMDS still ran
      expect(r.by('unit:kubelet').status).toBe('ok');
    } finally {
      await down.close();
    }
  });

  it('no instance profile: instance-profile fails and STS is not called', async () => {
    const bare = await startImds({ instance: { roleName: undefined }, userData: stringify(nodeConfig()) });
    const before = sts.requests.length;
    try {
      const r = await doctorJson([], { AWS_EC2_METADATA_SERVICE_ENDPOINT: bare.url });
      expect(r.by('instance-profile')).toMatchObject({ status: 'fail', detail: expect.stringContaining('no instance profile') });
      expect(r.by('instance-profile').hint).toContain('IamInstanceProfile');
      expect(r.by('aws-identity')).toMatchObject({ status: 'skipped', skippedBecause: 'instance-profile' });
      expect(sts.requests.length).toBe(before);
      expect(r.exitCode).toBe(1);
    } finally {
      await bare.close();
    }
  });

  it('STS access denied: aws-identity fails with the AWS error code', async () => {
    sts.setAccessDenied(true);
    const r = await doctorJson();
    expect(r.exitCode).toBe(1);
    expect(r.by('aws-identity')).toMatchObject({ status: 'fail', detail: expect.stringContaining('AccessDenied') });
    expect(r.by('aws-identity').hint).toContain('VPC endpoint policy');
  });

  it('STS behind a TLS-inspecting proxy: aws-identity names the certificate and where its CA belongs, and passes with the image bundle holding it', async () => {
    // STS answers with a certificate from otherCa (no bundled root), as an inspecting proxy would
    const inspected = await startSts({ tls: await issueServerCert(otherCa) });
    try {
      const r = await doctorJson([], { AWS_ENDPOINT_URL_STS: inspected.url, SSL_CERT_FILE: join(work, 'no-bundle-here.crt') });
      expect(r.by('aws-identity')).toMatchObject({
        status: 'fail',
        // the call named once, then the certificate's problem
        detail: expect.stringMatching(
          /^sts:GetCallerIdentity in us-west-2 failed: TLS: the endpoint's certificate is not signed by an authority the agent trusts \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); trusted: the roots Node bundles \(/,
        ),
      });
      expect(r.by('aws-identity').hint).toContain("a TLS-inspecting proxy's CA belongs in the image's CA bundle");
      expect(inspected.requests).toEqual([]);

      const bundle = join(work, 'corp-bundle.crt');
      await writeFile(bundle, otherCa.certPem);
      const ok = await doctorJson([], { AWS_ENDPOINT_URL_STS: inspected.url, SSL_CERT_FILE: bundle });
      expect(ok.by('aws-identity').status, ok.stdout).toBe('ok');
      expect(ok.by('aws-identity').detail).toContain(
        `; the AWS endpoints' certificates verified only against ${bundle}, not a root Node bundles (a TLS-inspecting proxy?)`,
      );
      expect(inspected.requests.map((q) => q.status)).toEqual([200]);
    } finally {
      await inspected.close();
    }
  });

  it("a field this node's kubelet stops at start for: the config line names it, as config check on the node refuses it, and files does not repeat it", async () => {
    const config = nodeConfig();
    config.spec.kubelet = { config: { showHiddenMetricsForVersion: '1.20' } };
    imds.setUserData(stringify(config));
    await configureNode(config);
    const r = await doctorJson();
    expect(r.by('config')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('spec.kubelet.config.showHiddenMetricsForVersion: "1.20" is not the minor before this kubelet\'s 1.33'),
    });
    expect(r.by('files')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^\d+ files match what init plans$/) });
  });

  it('endpoint name not resolving: dns fails, tcp/tls/auth skipped', async () => {
    const config = nodeConfig({ apiServerEndpoint: 'https://cluster-endpoint.invalid' });
    imds.setUserData(stringify(config));
    await configureNode(config);
    const r = await doctorJson();
    expect(r.by('dns')).toMatchObject({ status: 'fail', detail: expect.stringContaining('cluster-endpoint.invalid does not resolve') });
    expect(r.by('dns').hint).toContain('enableDnsHostnames');
    expect(r.by('tcp')).toMatchObject({ status: 'skipped', skippedBecause: 'dns' });
    expect(r.by('auth')).toMatchObject({ status: 'skipped', skippedBecause: 'tls' });
    expect(r.by('files').status).toBe('ok');
  });

  it('a local cluster: auth with the bootstrap kubeconfig the kubelet trades for a certificate; dns warns until the endpoint is pinned in /etc/hosts', async () => {
    const config = nodeConfig();
    config.spec.cluster = { ...config.spec.cluster, enableOutpost: true, id: 'a1b2c3d4-5678-90ab-cdef-0123456789ab' };
    imds.setUserData(stringify(config));
    await configureNode(config);
    let r = await doctorJson();
    expect(r.by('files').status).toBe('ok');
    expect(r.by('auth')).toMatchObject({ status: 'ok', detail: expect.stringContaining('with the bootstrap token of /var/lib/kubelet/bootstrap-kubeconfig') });
    expect(r.by('dns')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^localhost resolves to .*; a local cluster, but not pinned in \/etc\/hosts$/),
    });
    expect(r.by('dns').hint).toContain('api server pin');
    // the tcp check still runs on the address found
    expect(r.by('tcp').status).toBe('ok');
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(
      join(root, 'etc/hosts'),
      '127.0.0.1 localhost\n# BEGIN eks-node-agent: API server addresses of the local cluster, kept for when its Outpost is cut off from the Region\n127.0.0.1\tlocalhost\n# END eks-node-agent\n',
    );
    r = await doctorJson();
    expect(r.by('dns')).toMatchObject({ status: 'ok', detail: expect.stringContaining('(pinned in /etc/hosts for the local cluster)') });
  });

  it('a certificate from another CA: tls fails saying the CA in the config is wrong', async () => {
    const config = nodeConfig({ certificateAuthority: Buffer.from(otherCa.certPem).toString('base64') });
    imds.setUserData(stringify(config));
    await configureNode(config);
    const r = await doctorJson();
    expect(r.by('tls')).toMatchObject({ status: 'fail', detail: expect.stringContaining('not signed by the cluster CA') });
    expect(r.by('tls').hint).toContain('certificateAuthority');
    expect(r.by('ca').status).toBe('ok');
    expect(r.by('auth').status).toBe('skipped');
  });

  it('API server answers 401: auth fails naming the role to map', async () => {
    api.setAuth('unauthorized');
    const r = await doctorJson();
    expect(r.by('auth')).toMatchObject({ status: 'fail', detail: expect.stringContaining('401') });
    expect(r.by('auth').hint).toContain('access entry of type EC2_LINUX for arn:aws:iam::111122223333:role/eks-node-role');
    expect(r.by('registration')).toMatchObject({ status: 'skipped', skippedBecause: 'auth' });
  });

  it("API server answers 401 to a token signed for another cluster's name: auth names the name, not the role mapping", async () => {
    api.setAuth('unauthorized');
    const eks = await startEks({
      clusters: { 'doctor-test': { endpoint }, 'doctor-staging': { endpoint: 'https://STAGING.gr7.us-west-2.eks.amazonaws.com' } },
    });
    try {
      const asUserData = async (name: string) => {
        const config = nodeConfig();
        config.spec.cluster.name = name;
        imds.setUserData(stringify(config));
        await configureNode(config);
        return doctorJson([], { AWS_ENDPOINT_URL_EKS: eks.url });
      };
      const typo = await asUserData('doctor-tset');
      expect(typo.by('auth')).toMatchObject({
        status: 'fail',
        detail:
          'the API server answered 401 Unauthorized: us-west-2 has no EKS cluster named "doctor-tset" (eks:DescribeCluster), the name the node\'s token is signed for',
      });
      expect(typo.by('auth').hint).toContain('aws eks list-clusters --region us-west-2');
      const other = await asUserData('doctor-staging');
      expect(other.by('auth').detail).toBe(
        `the API server answered 401 Unauthorized: spec.cluster.name "doctor-staging" is another cluster than the one at ${endpoint} (eks:DescribeCluster gives "doctor-staging" the endpoint https://STAGING.gr7.us-west-2.eks.amazonaws.com), and the node's token is signed for "doctor-staging"`,
      );
      // the right name: the role mapping is to blame, as without EKS
      const right = await asUserData('doctor-test');
      expect(right.by('auth').hint).toContain('access entry of type EC2_LINUX');
      expect(eks.requests.map((q) => q.clusterName)).toEqual(['doctor-tset', 'doctor-staging', 'doctor-test']);
    } finally {
      await eks.close();
    }
  });

  it('role mapped without node permissions (403): auth fails saying so', async () => {
    api.setAuth('forbidden');
    const r = await doctorJson();
    expect(r.by('auth').status).toBe('fail');
    expect(r.by('auth').hint).toContain('mapped without node permissions');
  });

  it('clock skew: clock fails with the skew and the time sync fix', async () => {
    api.setClockSkew(-900);
    const r = await doctorJson();
    expect(r.by('clock')).toMatchObject({ status: 'fail' });
    expect(r.by('clock').detail).toMatch(/node clock (899|900|901)s ahead of the API server/);
    expect(r.by('clock').hint).toContain('chronyd');
    // both of Amazon Time Sync's addresses: an instance without IPv4 reaches only the IPv6 one
    expect(r.by('clock').hint).toMatch(/169\.254\.169\.123, or fd00:ec2::123/);
  });

  it('a kubelet newer than the cluster: kubelet-version warns, names both and the image to run', async () => {
    api.setVersion('v1.31.7-eks-0a1b2c3');
    const r = await doctorJson();
    expect(r.by('kubelet-version')).toMatchObject({
      status: 'warn',
      detail:
        'kubelet 1.33 is newer than the API server (v1.31.7-eks-0a1b2c3); the Kubernetes version skew policy allows no kubelet newer than its API server (it may call APIs the server does not serve): run the image built for 1.31, or upgrade the cluster first',
    });
    expect(r.by('kubelet-version').hint).toContain('by the cluster version');
    expect(r.by('clock').status).toBe('ok');
  });

  it('a kubelet swapped in without its version record: kubelet-version warns that the agent configured another release', async () => {
    const r = await doctorJson([], { KUBELET_DOUBLE_VERSION: 'v1.34.2-eks-1a2b3c4' });
    expect(r.by('kubelet-version')).toMatchObject({
      status: 'warn',
      detail:
        'the image records kubelet v1.33.1 (/etc/eks/kubelet-version.txt), but `kubelet --version` says v1.34.2: the agent configured the kubelet for v1.33.1',
    });
    expect(r.by('kubelet-version').hint).toContain('install-binaries.sh');
  });

  it('a failed kubelet: its unit fails with the journal line and the known cause', async () => {
    await setUnits({ 'containerd.service': 'active', 'kubelet.service': 'failed' });
    await writeFile(
      join(journalDir, 'kubelet.service.log'),
      [
        'Nov 24 10:00:00 node kubelet[901]: I1124 starting kubelet',
        'Nov 24 10:00:01 node kubelet[901]: E1124 kubelet_node_status.go:95 "Unable to register node with API server" err="Unauthorized"',
        'Nov 24 10:00:02 node systemd[1]: kubelet.service: Main process exited, code=exited, status=1/FAILURE',
      ].join('\n'),
    );
    const r = await doctorJson();
    expect(r.exitCode).toBe(1);
    expect(r.by('unit:kubelet')).toMatchObject({ status: 'fail', detail: expect.stringContaining('err=\\"Unauthorized\\"') });
    expect(r.by('unit:kubelet').detail).toContain('failed (failed), result exit-code, last exit status 1');
    expect(r.by('unit:kubelet').hint).toContain('EC2_LINUX access entry');
    expect(r.by('unit:containerd').status).toBe('ok');
  });

  it('FORWARD policy DROP: forward-policy fails, saying the unit had set ACCEPT and what pods lose; unreadable only warns', async () => {
    await setUnits({ 'containerd.service': 'active', 'kubelet.service': 'active', 'eks-node-forward-accept.service': 'active' });
    const dropped = await doctorJson([], { IPTABLES_DOUBLE_FORWARD: 'DROP' });
    expect(dropped.exitCode).toBe(1);
    expect(dropped.by('forward-policy')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(
        'iptables FORWARD policy DROP, 1 rule(s) in the chain; eks-node-forward-accept.service set ACCEPT when the kubelet last started',
      ),
      hint: expect.stringContaining('systemctl restart eks-node-forward-accept.service'),
    });
    expect(dropped.by('forward-policy').hint).toContain('pods on other nodes cannot open connections to pods on this node');
    // as a user without root: the policy is unknown, which is no reason to fail the node
    const unreadable = await doctorJson([], {
      IPTABLES_DOUBLE_FAIL: 'iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)',
    });
    expect(unreadable.by('forward-policy')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('exit 4: iptables v1.8.9 (nf_tables): Could not fetch'),
    });
    expect(unreadable.by('forward-policy').hint).toContain('as root');
    expect(unreadable.exitCode).toBe(0);
    // the support bundle says why it holds no chain
    const bundle = join(work, 'forward-unread.tar.gz');
    await doctor(['--bundle', bundle], { IPTABLES_DOUBLE_FAIL: 'Permission denied (you must be root)' });
    const { stdout: chain } = await run('tar', ['-xzOf', bundle, 'eks-node-doctor/iptables/FORWARD']);
    expect(chain).toBe(
      'not read: warn: cannot read the iptables FORWARD policy: iptables -S FORWARD: exit 4: Permission denied (you must be root); the kernel forwards IPv4 (net.ipv4.ip_forward = 1)\n',
    );
  });

  it('IPv4 forwarding off (a hardening baseline): forward-policy fails, naming the sysctl file that wins, or a change after boot', async () => {
    const sysctl = join(root, 'etc/sysctl.d');
    await mkdir(sysctl, { recursive: true });
    await writeFile(join(sysctl, '99-eks-node.conf'), '# the image\nnet.ipv4.ip_forward = 1\n');
    // a CIS script appends to /etc/sysctl.conf, which 99-sysctl.conf links: after the image's file by name
    await writeFile(join(sysctl, '99-sysctl.conf'), '# CIS 3.1.1\nnet/ipv4/ip_forward=0\n');
    await writeFile(join(root, 'proc/sys/net/ipv4/ip_forward'), '0\n');
    const r = await doctorJson();
    expect(r.by('forward-policy'), r.stdout).toMatchObject({
      status: 'fail',
      detail:
        'the kernel does not forward IPv4 (net.ipv4.ip_forward = 0, set to 0 by /etc/sysctl.d/99-sysctl.conf, which systemd-sysctl applies last of the sysctl files); iptables FORWARD policy ACCEPT, 1 rule(s) in the chain',
    });
    expect(r.by('forward-policy').hint).toContain('take the setting out of /etc/sysctl.d/99-sysctl.conf');
    expect(r.exitCode).toBe(1);
    // the files all say 1: something turned it off since boot
    await rm(join(sysctl, '99-sysctl.conf'));
    const later = await doctorJson();
    expect(later.by('forward-policy').detail).toMatch(
      /^the kernel does not forward IPv4 \(net\.ipv4\.ip_forward = 0, no sysctl file turns it off \(the last, \/etc\/sysctl\.d\/99-eks-node\.conf, sets 1\): a script or `sysctl -w` did, after boot\)/,
    );
  });

  it("on an IPv6 cluster, ip6tables' FORWARD DROP fails forward-policy; the bundle keeps both chains", async () => {
    await setUnits({ 'containerd.service': 'active', 'kubelet.service': 'active', 'eks-node-forward-accept.service': 'active' });
    const config = nodeConfig();
    config.spec.cluster.cidr = 'fd00:10:100::/108';
    imds.setUserData(stringify(config));
    const bundle = join(work, 'forward-ipv6.tar.gz');
    const r = await doctorJson(['--bundle', bundle], { IP6TABLES_DOUBLE_FORWARD: 'DROP' });
    expect(r.by('forward-policy')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^iptables FORWARD policy ACCEPT, 1 rule\(s\) in the chain; ip6tables FORWARD policy DROP, 1 rule\(s\) in the chain; eks-node-forward-accept\.service set ACCEPT/,
      ),
    });
    const { stdout: chain6 } = await run('tar', ['-xzOf', bundle, 'eks-node-doctor/iptables/FORWARD-ipv6']);
    expect(chain6.split('\n')[0]).toBe('-P FORWARD DROP');
    // the same node on an IPv4 cluster reads iptables alone
    imds.setUserData(stringify(nodeConfig()));
    expect((await doctorJson([], { IP6TABLES_DOUBLE_FORWARD: 'DROP' })).by('forward-policy')).toMatchObject({
      status: 'ok',
      detail: 'iptables FORWARD policy ACCEPT, 1 rule(s) in the chain; the kernel forwards IPv4 (net.ipv4.ip_forward = 1)',
    });
  });

  it('a drifted file: files fails naming the file and what differs', async () => {
    const path = join(root, 'etc/kubernetes/kubelet/config.json');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"maxPods": 29', '"maxPods": 110'));
    await chmod(join(root, 'etc/kubernetes/pki/ca.crt'), 0o666);
    const r = await doctorJson();
    expect(r.by('files')).toMatchObject({ status: 'fail' });
    expect(r.by('files').detail).toContain('/etc/kubernetes/kubelet/config.json (content differs)');
    expect(r.by('files').detail).toContain('/etc/kubernetes/pki/ca.crt (mode 0666, expected 0644)');
    expect(r.by('files').hint).toContain('init --skip run');
  });

  it("a directory where the node keeps a file: the line that reads it fails naming the path, not as doctor's internal error", async () => {
    await rm(join(root, 'etc/resolv.conf'));
    await mkdir(join(root, 'etc/resolv.conf'));
    await rm(join(root, 'etc/containerd/config.toml'));
    await mkdir(join(root, 'etc/containerd/config.toml'));
    const bundle = join(work, 'dir-in-place.tar.gz');
    let r;
    try {
      r = await doctorJson(['--bundle', bundle]);
    } finally {
      // the next case's node is laid out over these paths
      await rm(join(root, 'etc/resolv.conf'), { recursive: true });
      await rm(join(root, 'etc/containerd/config.toml'), { recursive: true });
    }
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.by('pod-dns')).toMatchObject({
      status: 'fail',
      detail: 'cannot read /etc/resolv.conf: a directory, where the node keeps a file',
      hint: expect.stringContaining('remove the directory'),
    });
    expect(r.by('files')).toMatchObject({ status: 'fail', detail: 'cannot read /etc/containerd/config.toml: a directory, where the node keeps a file' });
    expect(r.stdout).not.toContain('internal error');
    // the bundle says why the file is not in it, and keeps the rest
    const listing = (await run('tar', ['-tzf', bundle])).stdout.split('\n');
    expect(listing).toContain('eks-node-doctor/files/etc/containerd/config.toml.unreadable');
    expect(listing).toContain('eks-node-doctor/files/etc/kubernetes/kubelet/config.json');
    const why = (await run('tar', ['-xzOf', bundle, 'eks-node-doctor/files/etc/containerd/config.toml.unreadable'])).stdout;
    expect(why).toBe('cannot read /etc/containerd/config.toml: a directory, where the node keeps a file\n');
  });

  it('Node NotReady or not registered: registration fails with the reason', async () => {
    api.setNodeReady(NODE, 'False', 'KubeletNotReady');
    const notReady = await doctorJson();
    expect(notReady.by('registration')).toMatchObject({ status: 'fail', detail: expect.stringContaining(`Node ${NODE} is NotReady (KubeletNotReady`) });
    expect(notReady.by('registration').hint).toContain('VPC CNI');
    // the support bundle keeps the NotReady Node's state; the pods line did not run
    const bundle = join(work, 'not-ready.tar.gz');
    await doctor(['--bundle', bundle]);
    const bundled = async (entry: string) => JSON.parse((await run('tar', ['-xzOf', bundle, `eks-node-doctor/kubernetes/${entry}`])).stdout) as unknown;
    expect(await bundled('node.json')).toMatchObject({ name: NODE, conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }] });
    expect(await bundled('pods.json')).toEqual({ error: 'not read: skipped: needs registration, which failed' });
    api.nodes.delete(NODE);
    const missing = await doctorJson();
    expect(missing.by('registration')).toMatchObject({ status: 'fail', detail: `Node ${NODE} is not registered` });
    expect(missing.exitCode).toBe(1);
  });

  it('API objects of the wrong shape (an endpoint that is not quite the Kubernetes API): lines judge what they can read, never an internal error', async () => {
    const node = api.nodes.get(NODE) as { metadata: Record<string, unknown>; spec?: Record<string, unknown>; status: Record<string, unknown> };
    const conditions = node.status.conditions as unknown[];
    node.status.conditions = [null, 'MemoryPressure', { type: 5, status: 'True' }, ...conditions];
    node.status.capacity = 'lots';
    node.spec = { ...node.spec, taints: 'none' };
    // registered an hour ago, without a serving certificate: serving-cert lists the CSRs
    node.metadata.creationTimestamp = new Date(Date.now() - 3_600_000).toISOString();
    await rm(join(root, 'var/lib/kubelet/pki'), { recursive: true, force: true });
    api.csrs.set('csr-odd', {
      metadata: { name: 'csr-odd', creationTimestamp: 12 },
      spec: { signerName: 'kubernetes.io/kubelet-serving', username: `system:node:${NODE}`, request: ['not', 'base64'] },
      status: { conditions: [null, 'Approved', { type: 'Denied', status: 'True', reason: { why: 'no' } }] },
    });
    api.pods.push({
      metadata: { namespace: 'kube-system', name: 'odd', labels: 'k8s-app', ownerReferences: [null, 'DaemonSet'] },
      spec: { nodeName: NODE, containers: 'aws-node' },
      status: { phase: 'Pending', startTime: 0, conditions: 'PodReadyToStartContainers', containerStatuses: [null, { state: { waiting: { reason: 7 } } }] },
    });
    const r = await doctorJson();
    for (const c of r.checks) expect(`${c.name}: ${c.detail}`, r.stdout).not.toMatch(/internal error/);
    expect(r.by('registration')).toMatchObject({ status: 'ok', detail: `Node ${NODE} is Ready` });
    expect(r.by('pods')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^1 pod bound to /) });
    // the CSR's type-less Denied reason is left out; the phase is still read
    expect(r.by('serving-cert')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/its kubelet-serving CSR csr-odd was denied$/) });
    // no list of conditions at all: the Node has no Ready condition to judge
    node.status.conditions = 'Ready';
    const none = await doctorJson();
    expect(none.by('registration')).toMatchObject({ status: 'warn', detail: `Node ${NODE} exists but has no Ready condition yet` });
    for (const c of none.checks) expect(`${c.name}: ${c.detail}`, none.stdout).not.toMatch(/internal error/);
  });

  it('Ready under disk pressure: registration warns, names the condition, how full the filesystems are and the fix', async () => {
    const node = api.nodes.get(NODE) as { status: { conditions: Array<Record<string, string>> } };
    node.status.conditions.push(
      { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
      { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' },
    );
    const r = await doctorJson();
    expect(r.exitCode).toBe(0);
    expect(r.by('registration')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        /^Node \S+ is Ready, with DiskPressure \(KubeletHasDiskPressure: kubelet has disk pressure\); \/var\/lib\/kubelet: \d+\.\d of \d+\.\d GiB used \(\d+%\)$/,
      ),
    });
    expect(r.by('registration').hint).toContain('spec.instance.localStorage.strategy RAID0');
    // a warn is no reason to skip the pods line
    expect(r.by('pods').status).toBe('ok');
  });

  it('no serving certificate: serving-cert warns that the CSR is pending and what fails, naming an identity EKS does not approve', async () => {
    await rm(join(root, 'var/lib/kubelet/pki'), { recursive: true, force: true });
    // registered half a minute ago: the kubelet may still be asking (90 s of slack for a slow run)
    const node = api.nodes.get(NODE) as { metadata: Record<string, unknown> };
    node.metadata.creationTimestamp = new Date(Date.now() - 30_000).toISOString();
    const early = await doctorJson();
    expect(early.by('serving-cert')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^no serving certificate yet; the Node registered ([3-9]\d|1[01]\d) s ago/),
    });
    // an hour ago: pending
    node.metadata.creationTimestamp = new Date(Date.now() - 3_600_000).toISOString();
    const late = await doctorJson();
    expect(late.exitCode).toBe(0);
    expect(late.by('serving-cert')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        /^no serving certificate in \/var\/lib\/kubelet\/pki 36\d\d s after the Node registered, and the API server holds no kubelet-serving CSR from system:node:\S+$/,
      ),
    });
    expect(late.by('serving-cert').hint).toContain('remote error: tls: internal error');
    // the emulator maps the role to system:node:<name>: nothing to blame on the identity
    expect(late.by('serving-cert').hint).not.toContain('authenticates as');
    // the kubelet's request, listed with the node's credentials: pending, then denied, then approved and never signed
    const request = Buffer.from(await createCertificateRequest({ commonName: `system:node:${NODE}`, sans: [`DNS:${NODE}`, 'IP:10.0.1.23'] })).toString(
      'base64',
    );
    const csr = (name: string, username: string, ageMs: number) => ({
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name, creationTimestamp: new Date(Date.now() - ageMs).toISOString() },
      spec: { signerName: 'kubernetes.io/kubelet-serving', username, request, usages: ['digital signature', 'server auth'] },
      status: {} as Record<string, unknown>,
    });
    const mine = csr('csr-mine', `system:node:${NODE}`, 1_200_000);
    api.csrs.set('csr-other', csr('csr-other', 'system:node:ip-10-0-9-9.us-west-2.compute.internal', 60_000));
    api.csrs.set('csr-mine', mine);
    const pending = await doctorJson();
    expect(pending.by('serving-cert')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        new RegExp(
          `: its kubelet-serving CSR csr-mine for DNS:${NODE.replaceAll('.', '\\.')}, IP Address:10\\.0\\.1\\.23 \\(made 1[12]\\d\\d s ago\\) is pending: nothing approved or denied it$`,
        ),
      ),
      hint: expect.stringContaining(
        "every name this request asks for is the instance's (IMDS), so the requester or the approver holds it up: `kubectl describe csr csr-mine`",
      ),
    });
    // a name the instance does not have (a host name set on the machine), held against IMDS's names
    const foreignRequest = await createCertificateRequest({
      commonName: `system:node:${NODE}`,
      sans: [`DNS:${NODE}`, 'DNS:build-7.corp.example', 'IP:10.0.1.23'],
    });
    mine.spec.request = Buffer.from(foreignRequest).toString('base64');
    const foreign = await doctorJson();
    expect(foreign.by('serving-cert')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/ is pending: nothing approved or denied it; DNS:build-7\.corp\.example is not the instance's \(IMDS\)$/),
      hint: expect.stringContaining(
        `this request asks for DNS:build-7.corp.example, which IMDS does not know as the instance's. The kubelet asks for the addresses the Node's status holds (\`kubectl get node ${NODE} -o jsonpath='{.status.addresses}'\`)`,
      ),
    });
    mine.spec.request = request;
    mine.status = { conditions: [{ type: 'Denied', status: 'True', reason: 'SANMismatch', message: "IP 10.0.1.23 is not the instance's" }] };
    expect((await doctorJson()).by('serving-cert').detail).toMatch(/ was denied: SANMismatch: IP 10\.0\.1\.23 is not the instance's$/);
    mine.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'AutoApproved' }] };
    expect((await doctorJson()).by('serving-cert').detail).toMatch(/ was approved and no certificate was issued: the signer did not sign it$/);
    // serverTLSBootstrap off: the kubelet's own self-signed certificate
    await mkdir(join(root, 'var/lib/kubelet/pki'), { recursive: true });
    await writeFile(join(root, 'var/lib/kubelet/pki/kubelet.crt'), servingCert.certPem);
    expect((await doctorJson()).by('serving-cert')).toMatchObject({ status: 'ok', detail: expect.stringContaining('self-signed') });
  });

  it("pods' nameservers: a loopback stub, a missing file, too many servers, and the resolvConf the user data gives", async () => {
    expect((await doctorJson()).by('pod-dns')).toMatchObject({ status: 'ok', detail: 'pods with dnsPolicy Default get 169.254.169.253 (/etc/resolv.conf)' });
    // systemd-resolved's stub, with the real servers beside it
    await writeFile(join(root, 'etc/resolv.conf'), '# stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch ec2.internal\n');
    await mkdir(join(root, 'run/systemd/resolve'), { recursive: true });
    await writeFile(join(root, 'run/systemd/resolve/resolv.conf'), 'nameserver 10.0.0.2\nsearch ec2.internal\n');
    const stub = await doctorJson();
    expect(stub.exitCode).toBe(0);
    expect(stub.by('pod-dns')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining("/etc/resolv.conf, the kubelet's resolvConf, lists 127.0.0.53, which a pod cannot reach"),
      hint: '/run/systemd/resolve/resolv.conf lists the real servers (10.0.0.2): set spec.kubelet.config.resolvConf: /run/systemd/resolve/resolv.conf',
    });
    // the user data points the kubelet at it: judged there
    const config = nodeConfig();
    config.spec.kubelet = { config: { resolvConf: '/run/systemd/resolve/resolv.conf' } };
    imds.setUserData(stringify(config));
    await configureNode(config);
    expect((await doctorJson()).by('pod-dns')).toMatchObject({
      status: 'ok',
      detail: 'pods with dnsPolicy Default get 10.0.0.2 (/run/systemd/resolve/resolv.conf)',
    });
    await rm(join(root, 'run/systemd/resolve/resolv.conf'));
    const missing = await doctorJson();
    expect(missing.exitCode).toBe(1);
    expect(missing.by('pod-dns')).toMatchObject({
      status: 'fail',
      detail: "/run/systemd/resolve/resolv.conf, the kubelet's resolvConf, does not exist",
      hint: expect.stringContaining("the kubelet fails every pod's sandbox"),
    });
    // a loopback server before a real one: lookups wait for it, not fail
    imds.setUserData(stringify(nodeConfig()));
    await configureNode(nodeConfig());
    await writeFile(join(root, 'etc/resolv.conf'), 'nameserver 127.0.0.1\nnameserver 10.0.0.2\n');
    expect((await doctorJson()).by('pod-dns').detail).toMatch(
      /lists 127\.0\.0\.1, which a pod cannot reach .*: pods with dnsPolicy Default, CoreDNS among them, wait for it to time out/,
    );
    // four servers from a DHCP options set: the kubelet keeps three
    imds.setUserData(stringify(nodeConfig()));
    await configureNode(nodeConfig());
    await writeFile(join(root, 'etc/resolv.conf'), 'nameserver 10.0.0.2\nnameserver 10.1.0.2\nnameserver 10.2.0.2\nnameserver 10.3.0.2\n');
    expect((await doctorJson()).by('pod-dns')).toMatchObject({
      status: 'warn',
      detail: '/etc/resolv.conf lists 4 nameservers, and the kubelet gives pods the first 3 (10.0.0.2, 10.1.0.2, 10.2.0.2)',
    });
    // search domains: 30 beside the kubelet's own 3 are more than it keeps; 20 long ones, more characters
    const domains = (n: number, label: string) => Array.from({ length: n }, (_, i) => `${label}${i}.corp.example`).join(' ');
    await writeFile(join(root, 'etc/resolv.conf'), `nameserver 10.0.0.2\nsearch ${domains(30, 'd')}\n`);
    expect((await doctorJson()).by('pod-dns')).toMatchObject({
      status: 'warn',
      detail: '/etc/resolv.conf lists 30 search domains, and the kubelet keeps 32 with its own 3 cluster domains first',
    });
    const long = domains(20, `${'x'.repeat(60)}.${'y'.repeat(30)}.`);
    await writeFile(join(root, 'etc/resolv.conf'), `nameserver 10.0.0.2\nsearch ${long}\n`);
    const tooLong = await doctorJson();
    expect(tooLong.by('pod-dns')).toMatchObject({
      status: 'warn',
      detail: `/etc/resolv.conf lists a search line of ${long.length} characters, and the kubelet keeps 2048 with its own cluster domains first (58 for a pod in default)`,
    });
    expect(tooLong.by('pod-dns').hint).toContain('DNSConfigForming');
    // a bake that links /etc/resolv.conf to the stub: init points the kubelet at the real servers,
    // and doctor (whose facts read the same link) renders the same files and judges that file
    await rm(join(root, 'etc/resolv.conf'));
    await symlink('../run/systemd/resolve/stub-resolv.conf', join(root, 'etc/resolv.conf'));
    await mkdir(join(root, 'run/systemd/resolve'), { recursive: true });
    await writeFile(join(root, 'run/systemd/resolve/resolv.conf'), 'nameserver 10.0.0.2\n');
    await configureNode(nodeConfig(), { podResolvConf: '/run/systemd/resolve/resolv.conf' });
    const linked = await doctorJson();
    expect(linked.by('files').status).toBe('ok');
    expect(linked.by('pod-dns')).toMatchObject({ status: 'ok', detail: 'pods with dnsPolicy Default get 10.0.0.2 (/run/systemd/resolve/resolv.conf)' });
    await rm(join(root, 'run'), { recursive: true, force: true });
  });

  it("Ready but never initialized by the cloud controller: registration warns, naming the taint and the providerID that is not the instance's", async () => {
    const node = api.nodes.get(NODE) as { metadata: Record<string, unknown>; spec?: Record<string, unknown> };
    node.metadata.creationTimestamp = new Date(Date.now() - 600_000).toISOString();
    node.spec = {
      providerID: 'aws:///us-west-2a/i-0fedcba987654321',
      taints: [{ key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' }],
    };
    const r = await doctorJson();
    expect(r.exitCode).toBe(0);
    expect(r.by('registration')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        /^Node \S+ is Ready, tainted node\.cloudprovider\.kubernetes\.io\/uninitialized 6\d\d s after registration: the cloud controller has not initialized it \(its providerID is "aws:\/\/\/us-west-2a\/i-0fedcba987654321", not aws:\/\/\/us-west-2a\/i-0123456789abcdef0\)$/,
      ),
    });
    expect(r.by('registration').hint).toContain('spec.kubelet.config');
  });

  it("NotReady for the pod network: registration names the CNI configuration and the kubelet's failed pull, and the VPC endpoints to add", async () => {
    const image = '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni-init:v1.19.2-eksbuild.1';
    api.setNodeReady(
      NODE,
      'False',
      'KubeletNotReady',
      'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
    );
    await writeFile(
      join(journalDir, 'kubelet.service.log'),
      [
        'Dec 05 10:11:02 node kubelet[901]: I1205 10:11:02.000000     901 kubelet_node_status.go:75] "Successfully registered node" node="ip-10-0-1-23"',
        `Dec 05 10:11:12 node kubelet[901]: E1205 10:11:12.123456     901 log.go:32] "PullImage from image service failed" err="rpc error: code = Canceled desc = failed to pull and unpack image \\"${image}\\": failed to resolve reference \\"${image}\\": failed to do request: Head \\"https://602401143452.dkr.ecr.us-west-2.amazonaws.com/v2/amazon-k8s-cni-init/manifests/v1.19.2-eksbuild.1\\": dial tcp 52.94.177.1:443: i/o timeout" image="${image}"`,
      ].join('\n'),
    );
    // containerd's own proxy (the node never resolves the registry itself), whose allowlist lacks the registry
    const proxy = await startConnectProxy();
    proxy.refuse(403, 'Forbidden');
    await writeFile(join(unitState, 'containerd.service.env'), `HTTPS_PROXY=${proxy.url}`);
    const r = await doctorJson().finally(() => proxy.close());
    expect(r.by('registry'), r.stdout).toMatchObject({
      status: 'fail',
      detail: `the kubelet's journal shows the pull of ${image} failing (dial tcp 52.94.177.1:443: i/o timeout); the proxy 127.0.0.1:${proxy.port} (HTTPS_PROXY in containerd's environment) answered CONNECT 602401143452.dkr.ecr.us-west-2.amazonaws.com:443 with 403 Forbidden`,
    });
    expect(proxy.requests).toEqual([{ method: 'CONNECT', target: '602401143452.dkr.ecr.us-west-2.amazonaws.com:443' }]);
    expect(r.by('registration'), r.stdout).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /is NotReady \(KubeletNotReady: container runtime network not ready: .*\); \/etc\/cni\/net\.d holds no CNI network configuration; kubelet cannot pull 602401143452\.dkr\.ecr\.us-west-2\.amazonaws\.com\/amazon-k8s-cni-init:v1\.19\.2-eksbuild\.1 \(dial tcp 52\.94\.177\.1:443: i\/o timeout\)$/,
      ),
    });
    expect(r.by('registration').hint).toContain('com.amazonaws.us-west-2.ecr.dkr');
    // containerd's journal shows the image pulled since (the kubelet logs no success): the failure has passed, and neither line blames it
    await writeFile(
      join(journalDir, 'containerd.service.log'),
      `Dec 05 10:12:30 node containerd[812]: time="2026-12-05T10:12:30Z" level=info msg="PullImage \\"${image}\\" returns image reference \\"sha256:0a1b\\""\n`,
    );
    const passed = await doctorJson();
    expect(passed.by('registry'), passed.stdout).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^the pull the kubelet's journal shows failing \(\S+amazon-k8s-cni-init:v1\.19\.2-eksbuild\.1\) went through since: /),
    });
    expect(passed.by('registration').detail).not.toContain('cannot pull');
    await rm(join(journalDir, 'containerd.service.log'));
    // the CNI wrote its configuration and the pull went through: the line says so, and the general hint stays
    await mkdir(join(root, 'etc/cni/net.d'), { recursive: true });
    await writeFile(join(root, 'etc/cni/net.d/10-aws.conflist'), '{}\n');
    await writeFile(join(journalDir, 'kubelet.service.log'), 'Dec 05 10:12:00 node kubelet[901]: I1205 10:12:00.000000     901 "Pulled image"\n');
    const later = await doctorJson();
    expect(later.by('registration').detail).toMatch(/; \/etc\/cni\/net\.d: 10-aws\.conflist$/);
    expect(later.by('registration').hint).toContain('aws-node (VPC CNI)');
  });

  it("pods stuck in ContainerCreating on a Ready node: pods names them, the kubelet's sandbox error and what ipamd says, and the fix", async () => {
    const node = api.nodes.get(NODE)!;
    (node as { status: Record<string, unknown> }).status.capacity = { pods: '110' };
    const ago = (s: number): string => new Date(Date.now() - s * 1000).toISOString();
    const pod = (name: string, startTime: string, extra: Record<string, unknown> = {}) => ({
      metadata: { namespace: 'shop', name },
      spec: { nodeName: NODE, ...extra },
      status: { phase: 'Pending', startTime, containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }] },
    });
    // node-exporter has its sandbox and pulls a large image: not stuck, however long it takes
    const pulling = pod('node-exporter-x', ago(900), { hostNetwork: true });
    (pulling.status as Record<string, unknown>).conditions = [{ type: 'PodReadyToStartContainers', status: 'True' }];
    api.pods.push(pod('web-1', ago(300)), pod('web-2', ago(5)), pulling, {
      metadata: { namespace: 'shop', name: 'elsewhere' },
      spec: { nodeName: 'ip-10-0-9-9.us-west-2.compute.internal' },
      status: { phase: 'Pending', startTime: ago(900) },
    });
    const healthy = await doctorJson();
    // web-1 has waited 300 s but the journal says nothing: the line says so and where to look
    const quiet =
      /^3 pods bound to (\S+); 1 stuck in ContainerCreating for over a minute \(oldest shop\/web-1, (\d+) s\); the kubelet's journal names no volume or sandbox error$/.exec(
        healthy.by('pods').detail,
      );
    expect(healthy.by('pods').status).toBe('warn');
    expect(quiet?.[1], healthy.by('pods').detail).toBe(NODE);
    expect(Number(quiet?.[2])).toBeGreaterThanOrEqual(300);
    expect(healthy.by('pods').hint).toContain('FailedCreatePodSandBox');

    await writeFile(
      join(journalDir, 'kubelet.service.log'),
      `2026-12-05T10:11:12+0000 node kubelet[901]: E1205 10:11:12.123456     901 kuberuntime_sandbox.go:72] "Failed to create sandbox for pod" err="rpc error: code = Unknown desc = failed to setup network for sandbox \\"5d1c\\": plugin type=\\"aws-cni\\" name=\\"aws-cni\\" failed (add): add cmd: failed to assign an IP address to container" pod="shop/web-1"\n`,
    );
    await mkdir(join(root, 'var/log/aws-routed-eni'), { recursive: true });
    const ipamd = (msg: string): string => `${JSON.stringify({ level: 'debug', ts: '2026-12-05T10:11:10.000Z', caller: 'ipamd/ipamd.go:852', msg })}\n`;
    await writeFile(
      join(root, 'var/log/aws-routed-eni/ipamd.log'),
      `${'x'.repeat(600 * 1024)}\n${ipamd('IP pool stats: total = 27, used = 27, c.maxIPsPerENI = 10')}`,
    );
    const full = await doctorJson();
    expect(full.exitCode).toBe(1);
    expect(full.by('pods').detail).toMatch(
      /; kubelet: failed to setup network for sandbox "5d1c": .*add cmd: failed to assign an IP address to container; ipamd: all 27 addresses of the node's pool assigned$/,
    );
    expect(full.by('pods').hint).toContain(`the Node takes 110 pods, more than the 29 a ${INSTANCE.instanceType}'s ENIs can address without prefix delegation`);
    // the node's aws-node pod delegates prefixes: 110 pods is within what the ENIs address, the subnet's /28 blocks are named
    api.pods.push({
      metadata: { namespace: 'kube-system', name: 'aws-node-pd', ownerReferences: [{ kind: 'DaemonSet', name: 'aws-node' }] },
      spec: { nodeName: NODE, hostNetwork: true, containers: [{ name: 'aws-node', env: [{ name: 'ENABLE_PREFIX_DELEGATION', value: 'true' }] }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'aws-node', ready: true, state: { running: {} } }] },
    });
    const delegated = await doctorJson();
    expect(delegated.by('pods').hint).toContain(
      `prefix delegation is on and a ${INSTANCE.instanceType}'s ENIs can take more prefixes (434 addresses for 110 pods)`,
    );
    api.pods.pop();
    // the support bundle carries the log's end, not the whole file
    const bundle = join(work, 'pods-bundle.tar.gz');
    await doctor(['--bundle', bundle]);
    const { stdout: tail } = await run('tar', ['-xzOf', bundle, 'eks-node-doctor/cni/ipamd.log'], { maxBuffer: 4 * 1024 * 1024 });
    expect(tail.length).toBe(512 * 1024);
    expect(tail.endsWith(ipamd('IP pool stats: total = 27, used = 27, c.maxIPsPerENI = 10'))).toBe(true);

    await writeFile(
      join(root, 'var/log/aws-routed-eni/ipamd.log'),
      ipamd(
        'Failed to allocate a private IP/Prefix addresses on ENI eni-01f8: InsufficientFreeAddressesInSubnet: The specified subnet does not have enough free addresses to satisfy the request.\n\tstatus code: 400, request id: aeac321e',
      ),
    );
    const subnet = await doctorJson();
    expect(subnet.by('pods').detail).toContain('ipamd: Failed to allocate a private IP/Prefix addresses on ENI eni-01f8: InsufficientFreeAddressesInSubnet');
    expect(subnet.by('pods').hint).toContain("the node's subnet has no free IP addresses left");
    // the other checks are not moved by it
    expect(subnet.by('registration').status).toBe('ok');

    // nothing waits, but the node's CNI crash-loops: the node is Ready and runs nothing right
    api.pods.length = 0;
    api.pods.push({
      metadata: { namespace: 'kube-system', name: 'aws-node-x1', ownerReferences: [{ kind: 'DaemonSet', name: 'aws-node' }] },
      spec: { nodeName: NODE, hostNetwork: true },
      status: {
        phase: 'Running',
        containerStatuses: [{ name: 'aws-node', ready: false, restartCount: 12, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
      },
    });
    const looping = await doctorJson();
    expect(looping.by('pods')).toMatchObject({
      status: 'fail',
      detail: `1 pod bound to ${NODE}; failing on this node: kube-system/aws-node-x1 (aws-node: CrashLoopBackOff, 12 restarts)`,
    });
    expect(looping.by('pods').hint).toContain('kubectl -n kube-system logs aws-node-x1 -c aws-node --previous');
  });

  it("cloud-init: a failed user-data script and one still running are named, with the run phase's wait", async () => {
    await mkdir(join(root, 'run/cloud-init'), { recursive: true });
    try {
      await writeFile(
        join(root, 'run/cloud-init/result.json'),
        JSON.stringify({
          v1: { datasource: 'DataSourceEc2Local', errors: ["('scripts_user', RuntimeError('Runparts: 1 failures (part-001) in 1 attempted commands'))"] },
        }),
      );
      const failed = await doctorJson();
      expect(failed.by('cloud-init')).toMatchObject({
        status: 'warn',
        detail: "finished with 1 error: ('scripts_user', RuntimeError('Runparts: 1 failures (part-001) in 1 attempted commands'))",
      });
      expect(failed.by('cloud-init').hint).toContain('/var/log/cloud-init-output.log');
      expect(failed.exitCode).toBe(0);
      // the final stage still running: no result yet, the status names the stage and its start
      await rm(join(root, 'run/cloud-init/result.json'));
      const start = Date.now() / 1000 - 300;
      await writeFile(
        join(root, 'run/cloud-init/status.json'),
        JSON.stringify({
          v1: { stage: 'modules-final', 'modules-final': { start, finished: null, errors: [] }, init: { start: start - 20, finished: start - 10, errors: [] } },
        }),
      );
      const hanging = await doctorJson();
      expect(hanging.by('cloud-init').detail).toMatch(/^still running its modules-final stage, started (29\d|30\d) s ago$/);
      expect(hanging.by('cloud-init').hint).toContain('eks-node-agent-run waits for cloud-final');
      await writeFile(join(root, 'run/cloud-init/result.json'), JSON.stringify({ v1: { datasource: 'DataSourceEc2Local', errors: [] } }));
      expect((await doctorJson()).by('cloud-init')).toMatchObject({ status: 'ok', detail: 'finished without errors (user-data scripts ran)' });
    } finally {
      await rm(join(root, 'run'), { recursive: true, force: true });
    }
  });

  it('a --hostname-override flag: node-name warns naming both names, and registration looks for the one the kubelet uses', async () => {
    const config = nodeConfig();
    config.spec.kubelet = { flags: ['--hostname-override=worker-1'] };
    imds.setUserData(stringify(config));
    await configureNode(config);
    const r = await doctorJson();
    expect(r.by('node-name'), r.stdout).toMatchObject({
      status: 'warn',
      detail: `the kubelet registers as worker-1 (spec.kubelet.flags[0] --hostname-override), not ${NODE}, the name EKS lets the node role register`,
    });
    expect(r.by('node-name').hint).toContain('remove --hostname-override');
    expect(r.by('config').detail).toContain('"--hostname-override=worker-1" replaces the node name');
    expect(r.by('registration')).toMatchObject({ status: 'fail', detail: 'Node worker-1 is not registered' });
    expect(r.by('files').status).toBe('ok');
  });

  it('an empty --hostname-override: the kubelet falls back to the machine host name, which node-name names', async () => {
    const config = nodeConfig();
    config.spec.kubelet = { flags: ['--hostname-override='] };
    imds.setUserData(stringify(config));
    await configureNode(config);
    await mkdir(join(root, 'proc/sys/kernel'), { recursive: true });
    await writeFile(join(root, 'proc/sys/kernel/hostname'), 'Build-Host-7\n');
    try {
      const r = await doctorJson();
      expect(r.by('node-name'), r.stdout).toMatchObject({
        status: 'warn',
        detail: `the kubelet registers as build-host-7 (spec.kubelet.flags[0] an empty --hostname-override), not ${NODE}, the name EKS lets the node role register`,
      });
      expect(r.by('registration')).toMatchObject({ status: 'fail', detail: 'Node build-host-7 is not registered' });
    } finally {
      await rm(join(root, 'proc/sys/kernel/hostname'), { force: true });
    }
  });

  it('user data init went on with: config warns naming each warning, the checks after it run, and exits 0', async () => {
    const config = nodeConfig() as unknown as { spec: { cluster: Record<string, unknown>; instance?: unknown } };
    config.spec.cluster.futureField = true;
    config.spec.instance = { futureInstanceField: 'x' };
    imds.setUserData(stringify(config));
    const r = await doctorJson();
    expect(r.by('config'), r.stdout).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        /^usable \(1 document\) with 2 warnings: imds:\/\/user-data: spec\.cluster\.futureField: unknown field; imds:\/\/user-data: spec\.instance\.futureInstanceField: unknown field/,
      ),
    });
    expect(r.by('config').hint).toContain('config check');
    expect(r.by('dns').status).toBe('ok');
    expect(r.by('files').status).toBe('ok');
    expect(r.exitCode).toBe(0);
  });

  it('invalid user data: config fails naming the field, and exits 1', async () => {
    imds.setUserData('apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n    name: doctor-test\n    cidr: 10.100.0.0/33\n');
    const r = await doctorJson();
    expect(r.exitCode).toBe(1);
    expect(r.by('config')).toMatchObject({ status: 'fail', detail: expect.stringContaining('spec.cluster.cidr') });
    expect(r.by('dns').skippedBecause).toBe('config');
  });
});

describe('doctor --bundle', () => {
  it('writes a deterministic tar.gz with the report, files, units, journal and versions but no credential or token', async () => {
    await writeFile(
      join(journalDir, 'kubelet.service.log'),
      'Nov 24 10:00:01 node kubelet[901]: I1124 request headers Authorization: Bearer k8s-aws-v1.c2VjcmV0LXRva2VuLWJvZHk and AccessKeyId=ASIAEMULATEDIMDS0001\n',
    );
    await mkdir(join(root, 'proc'), { recursive: true });
    await writeFile(join(root, 'proc/mdstat'), 'md127 : active raid0 nvme1n1[1] nvme0n1[0]\n');
    await writeFile(join(root, 'etc/fstab'), 'UUID=0a1b /mnt/k8s-disks/0 xfs defaults,nofail 0 2\n');
    await mkdir(join(root, 'etc/cni/net.d'), { recursive: true });
    await writeFile(join(root, 'etc/cni/net.d/10-aws.conflist'), '{"cniVersion":"0.4.0","name":"aws-cni","plugins":[{"type":"aws-cni"}]}\n');
    await writeFile(join(root, 'etc/cni/net.d/aws-cni-support.sh'), '#!/bin/sh\n');
    // a pod whose spec carries a secret in its environment: the bundle keeps its state, not its spec
    const web = {
      name: 'web',
      image: 'nginx',
      ready: true,
      restartCount: 2,
      state: { running: { startedAt: '2026-12-05T10:00:00Z' } },
      lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
    };
    api.pods.push({
      metadata: { namespace: 'shop', name: 'web-0', ownerReferences: [{ kind: 'ReplicaSet', name: 'web-5d9f' }], annotations: { note: 'annotation-secret-x' } },
      spec: { nodeName: NODE, containers: [{ name: 'web', image: 'nginx', env: [{ name: 'DB_PASSWORD', value: 'env-secret-in-spec' }] }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [web],
      },
    });
    const bundle = join(work, 'bundle.tar.gz');
    const kubeletRuns = join(work, 'kubelet-runs');
    await rm(kubeletRuns, { force: true });
    const r = await doctor(['--bundle', bundle], { KUBELET_DOUBLE_LOG: kubeletRuns });
    expect(r.exitCode).toBe(0);
    // the kubelet-version line and versions.json share one `kubelet --version`
    expect(await readFile(kubeletRuns, 'utf8')).toBe('kubelet --version\n');
    const raw = await readFile(bundle);
    const { stdout: listing } = await run('tar', ['-tzf', bundle]);
    const entries = listing.trim().split('\n');
    for (const expected of [
      'eks-node-doctor/report.json',
      'eks-node-doctor/instance.json',
      'eks-node-doctor/versions.json',
      'eks-node-doctor/files/etc/kubernetes/pki/ca.crt',
      'eks-node-doctor/files/var/lib/kubelet/kubeconfig',
      'eks-node-doctor/rendered/etc/kubernetes/kubelet/config.json',
      'eks-node-doctor/units/kubelet.service.json',
      'eks-node-doctor/journal/kubelet.service.log',
      'eks-node-doctor/storage/fstab',
      'eks-node-doctor/storage/mdstat',
      'eks-node-doctor/iptables/FORWARD',
      'eks-node-doctor/cni/net.d.txt',
      'eks-node-doctor/cni/net.d/10-aws.conflist',
      'eks-node-doctor/kubernetes/node.json',
      'eks-node-doctor/kubernetes/pods.json',
      'eks-node-doctor/dns/kubelet-resolv.conf',
    ]) {
      expect(entries).toContain(expected);
    }
    const extracted = join(work, 'extracted');
    await mkdir(extracted, { recursive: true });
    await run('tar', ['-xzf', bundle, '-C', extracted]);
    const text = async (p: string) => readFile(join(extracted, 'eks-node-doctor', p), 'utf8');
    expect(await text('files/etc/kubernetes/pki/ca.crt')).toBe(api.caPem);
    expect(JSON.parse(await text('instance.json'))).toMatchObject({ instanceId: INSTANCE.instanceId, roleName: 'eks-node-role' });
    expect(JSON.parse(await text('versions.json'))).toHaveProperty('eks-node-agent');
    expect((JSON.parse(await text('report.json')) as Check[]).every((c) => c.status === 'ok')).toBe(true);
    expect(await text('journal/kubelet.service.log')).toContain('Authorization: Bearer <redacted>');
    expect(await text('storage/mdstat')).toContain('md127 : active raid0');
    // the pod network's configuration: every entry named, the CNI configs themselves kept
    expect(await text('cni/net.d.txt')).toBe('10-aws.conflist\naws-cni-support.sh\n');
    expect(await text('cni/net.d/10-aws.conflist')).toContain('"type":"aws-cni"');
    expect(entries).not.toContain('eks-node-doctor/cni/net.d/aws-cni-support.sh');
    // the file the pod-dns line judged, named
    expect(await text('dns/kubelet-resolv.conf')).toBe('# /etc/resolv.conf\nnameserver 169.254.169.253\nsearch us-west-2.compute.internal\n');
    // the Node and its pods, as the API server gave them: state, no spec, no annotations
    expect(JSON.parse(await text('kubernetes/node.json'))).toMatchObject({ name: NODE, conditions: [{ type: 'Ready', status: 'True' }] });
    expect(JSON.parse(await text('kubernetes/pods.json'))).toEqual([
      {
        namespace: 'shop',
        name: 'web-0',
        owner: 'ReplicaSet/web-5d9f',
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containers: [web],
      },
    ]);
    // the chain the forward-policy line judged, its rules included (iptables test double)
    expect(await text('iptables/FORWARD')).toBe('-P FORWARD ACCEPT\n-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD\n');

    // Nothing that authenticates, anywhere in the archive (searched in the decompressed tar).
    const { gunzipSync } = await import('node:zlib');
    const tar = gunzipSync(raw).toString('latin1');
    for (const secret of [
      'emulated-imds-secret-access-key',
      'emulated-imds-session-token',
      'ASIAEMULATEDIMDS0001',
      'c2VjcmV0LXRva2VuLWJvZHk',
      'ZG91YmxlOmRvY3Rvci10ZXN0',
      'env-secret-in-spec',
      'annotation-secret-x',
    ]) {
      expect(tar, secret).not.toContain(secret);
    }
    expect(tar).not.toMatch(/k8s-aws-v1\.[A-Za-z0-9_-]{8,}/);

    // Same node state, same bytes.
    const again = join(work, 'bundle2.tar.gz');
    await doctor(['--bundle', again]);
    if (!(await readFile(again)).equals(raw)) {
      const { stdout: diff } = await run('sh', [
        '-c',
        `mkdir -p ${work}/a ${work}/b && tar -xzf ${bundle} -C ${work}/a && tar -xzf ${again} -C ${work}/b && diff -r ${work}/a ${work}/b || true`,
      ]);
      expect(diff).toBe('');
    }
    expect((await readFile(again)).equals(raw)).toBe(true);
  });
});

describe('doctor on a damaged node', () => {
  /** every file under `dir`, as node paths */
  const filesUnder = async (dir: string): Promise<string[]> =>
    (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length));
  // files doctor reads that the node's layout above does not always hold
  const MORE = [
    '/etc/hosts',
    '/etc/cni/net.d/10-aws.conflist',
    '/var/log/aws-routed-eni/ipamd.log',
    '/var/lib/kubelet/pki/kubelet-server-current.pem',
    '/run/eks-node-agent/imds-answers.json',
    '/var/lib/kubelet/bootstrap-kubeconfig',
  ];
  const DAMAGE: Array<[string, (path: string, was: Buffer | undefined) => Promise<void>]> = [
    ['a directory', (path) => mkdir(path)],
    ['empty', (path) => writeFile(path, '')],
    ['cut short', (path, was) => writeFile(path, was ? was.subarray(0, Math.floor(was.length / 2)) : '{"a":')],
    ['bytes', (path) => writeFile(path, Buffer.from([0, 0xff, 0xfe, 0x0a, 0x7b, 0x5b]))],
  ];

  it('each file it reads made a directory, emptied, cut short or overwritten with bytes: lines fail or warn by name, never an internal error', async () => {
    const undamaged = `${root}.undamaged`;
    await cp(root, undamaged, { recursive: true });
    const files = [...new Set([...(await filesUnder(root)), ...MORE])].sort();
    expect(files.length).toBeGreaterThan(15);
    try {
      // eight runs: each damages a quarter of the files (every file twice, two kinds of damage),
      // so the lines behind the kubeconfig or the config still run in most of them
      for (let round = 0; round < 8; round++) {
        const damaged: string[] = [];
        for (const [i, file] of files.entries()) {
          if (i % 4 !== round % 4) continue;
          const path = join(root, file);
          const was = await readFile(path).catch(() => undefined);
          await rm(path, { recursive: true, force: true });
          await mkdir(dirname(path), { recursive: true });
          const [kind, damage] = DAMAGE[(Math.floor(round / 4) + i) % DAMAGE.length]!;
          await damage(path, was);
          damaged.push(`${file} (${kind})`);
        }
        const r = await doctorJson(['--bundle', join(work, `damaged-${round}.tar.gz`)]);
        const says = `${damaged.join(', ')}:\n${r.stdout}\n${r.stderr}`;
        expect(r.exitCode, says).toBe(1);
        expect(r.stderr, says).not.toMatch(/internal|\n\s+at /);
        for (const c of r.checks) expect(`${c.name}: ${c.detail}`, says).not.toMatch(/internal error/);
        await rm(root, { recursive: true, force: true });
        await cp(undamaged, root, { recursive: true });
      }
    } finally {
      await rm(root, { recursive: true, force: true });
      await cp(undamaged, root, { recursive: true });
      await rm(undamaged, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('doctor never lets a secret out', () => {
  // Journal lines as a failing kubelet writes them, each quoting something that authenticates.
  const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJzdWIiOiJzeXN0ZW06bm9kZSJ9.c2lnbmF0dXJlLWJ5dGVz';
  const SECRETS = [
    'c2VjcmV0LXRva2VuLWJvZHk',
    JWT,
    'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9',
    'hunter2pass',
    'cHJveHk6cGFzc3dvcmQ=',
    'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  ];
  const LINES = [
    'Nov 24 10:00:01 node kubelet[901]: E1124 "Unable to register node with API server" err="Unauthorized" token=k8s-aws-v1.c2VjcmV0LXRva2VuLWJvZHk',
    `Nov 24 10:00:02 node kubelet[901]: E1124 x509: certificate signed by unknown authority bearer ${JWT}`,
    'Nov 24 10:00:03 node kubelet[901]: failed to run Kubelet: proxy http://admin:hunter2pass@proxy.internal:3128 refused Proxy-Authorization: Basic cHJveHk6cGFzc3dvcmQ=',
    'Nov 24 10:00:04 node kubelet[901]: E1124 dial tcp 10.0.0.1:443: i/o timeout (aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY)',
  ];

  it('scrubs journal lines the same way in text, JSON and the bundle', async () => {
    await setUnits({ 'containerd.service': 'active', 'kubelet.service': 'failed' });
    await writeFile(join(journalDir, 'kubelet.service.log'), `${LINES.join('\n')}\n`);
    const text = await doctor();
    expect(text.stdout).toContain('proxy http://<redacted>@proxy.internal:3128');
    const json = await doctorJson();
    expect(json.by('unit:kubelet').status).toBe('fail');
    const bundle = join(work, 'scrubbed.tar.gz');
    await doctor(['--bundle', bundle]);
    const { gunzipSync } = await import('node:zlib');
    const tar = gunzipSync(await readFile(bundle)).toString('latin1');
    expect(tar).toContain('proxy.internal:3128');
    for (const [where, out] of [
      ['text', text.stdout],
      ['json', json.stdout],
      ['bundle', tar],
    ] as const) {
      for (const secret of SECRETS) expect(out, `${where}: ${secret}`).not.toContain(secret);
      expect(out, where).not.toMatch(/k8s-aws-v1\.[A-Za-z0-9_-]{8,}/);
    }
  });

  it('creates the bundle 0600 as a new file, never through a symlink or over a non-regular file', async () => {
    const target = join(work, 'precious.txt');
    await writeFile(target, 'keep me\n');
    const link = join(work, 'planted-link.tar.gz');
    await rm(link, { force: true });
    await symlink(target, link);
    const viaLink = await doctor(['--bundle', link]);
    expect(viaLink.exitCode).toBe(2);
    expect(viaLink.stderr).toMatch(/--bundle .*planted-link\.tar\.gz: exists and is a symbolic link; refusing to replace it/);
    expect(await readFile(target, 'utf8')).toBe('keep me\n');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);

    const fifo = join(work, 'bundle.fifo');
    await rm(fifo, { force: true });
    await run('mkfifo', [fifo]);
    const viaFifo = await doctor(['--bundle', fifo]);
    expect(viaFifo.exitCode).toBe(2);
    expect(viaFifo.stderr).toContain('exists and is a FIFO');

    const loose = join(work, 'loose.tar.gz');
    await writeFile(loose, 'old', { mode: 0o644 });
    await chmod(loose, 0o644);
    expect((await doctor(['--bundle', loose])).exitCode).toBe(0);
    expect((await stat(loose)).mode & 0o777).toBe(0o600);
    expect((await readdir(work)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
