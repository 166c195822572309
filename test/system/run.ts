/**
 * The proof-of-join system test (`npm run test:system`): bakes a node image with our Packer
 * template (qemu source, TCG) from a cached Debian base, boots it once per case against the
 * IMDS/EKS/EC2 emulators and a fake TLS API server, and checks that the node joins (or, for
 * bad user data, fails cleanly). Writes each boot's critical path to the case's timeline.json and
 * prints one table of every boot's phases, then the harness's timings.
 *
 * Options: --cases a,b (subset), --baked IMAGE (skip the bake, for iterating), --keep (keep
 * the work directory), --boots N (measurement: boot each joining case N-1 more times, each a
 * fresh first boot without the checks, and print the median of the OS and ours figures; CI
 * boots once). Exit 0 when every check of every case passed.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startImds } from '../emulators/imds.js';
import { startEks } from '../emulators/eks.js';
import { startEc2 } from '../emulators/ec2.js';
import { startSts } from '../emulators/sts.js';
import { startApiServer, type ApiServer } from '../emulators/apiserver.js';
import { ensureBaseImage } from './base-image.js';
import { startArtifactServer, writeBucket, writePauseImageTar } from './artifacts.js';
import { bake } from './bake.js';
import { cleanupAll, installSignalCleanup, onCleanup } from './cleanup.js';
import { BOOT_SOURCES, CASES, CLUSTER_NAME, GUEST, SERVICE_CIDR, type SystemCase } from './cases.js';
import { Checks, agentFileDigests, compareWithRender, expect, unitState, vmFacts } from './node-checks.js';
import { bootTimeline, timelineTable, type BootTimeline } from './timeline.js';
import { bootVm, createOverlay, GUEST_IP, type Vm } from './qemu.js';
import {
  checkDoctorWithoutImds,
  checkImdsWithoutIpv4Route,
  checkForwardPolicyOnRestart,
  checkHostSettings,
  checkRuntimeCgroups,
  checkSecondaryNics,
  checkSshHostKeys,
  secondaryNicArgs,
} from './image-checks.js';
import { controlPathFor, ssh, sshDisconnect, sshOk, waitForSsh, type SshTarget } from './ssh.js';
import { onlyTimeouts } from './rerun.js';
import { checkFstabMountsAlone, checkNoDisks, checkRaid0, checkRaid0AfterReboot, createInstanceStoreDisks, type StorageIdentity } from './local-storage.js';

const REPO = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
const KUBERNETES_VERSION = '1.33.1';
const BUILD_DATE = '2025-05-01';
const PAUSE_IMAGE = 'localhost/eks-node-test/pause:3.10';
/** QEMU's default MAC for the first NIC, so IMDS and the VM agree. */
const GUEST_MAC = '52:54:00:12:34:56';
const NODE_NAME = `ip-${GUEST_IP.replaceAll('.', '-')}.us-west-2.compute.internal`;
const INSTANCE = {
  instanceId: 'i-0e4b5c6d7e8f90123',
  instanceType: 'm5.large',
  region: 'us-west-2',
  availabilityZone: 'us-west-2b',
  mac: GUEST_MAC,
  privateIpv4: GUEST_IP,
  privateDnsName: NODE_NAME,
};
const PROVIDER_ID = `aws:///${INSTANCE.availabilityZone}/${INSTANCE.instanceId}`;

// Deadlines (TCG on 2 cores: a boot to login takes ~45 s). Each is several times what a quiet
// machine needs: CI runners are shared, and a deadline here guards against a hang, not slowness.
const JOIN_DEADLINE_MS = 8 * 60_000;
/** doctor's own --timeout in the VM, and the ssh budget around it */
const DOCTOR_TIMEOUT_S = 180;
const DOCTOR_SSH_MS = (DOCTOR_TIMEOUT_S + 120) * 1000;
/** `doctor` as every check runs it on the guest: the emulated endpoints, the sources the boot read. */
/**
 * An SSH session does not get PID 1's environment, where the kernel command line put the AWS
 * endpoints (systemd.setenv=): doctor (and config check and init typed into a shell) reads it
 * from systemd, as on a node whose image bakes a proxy into DefaultEnvironment=, so its AWS
 * calls reach the emulators without them here. STS,
 * which only doctor calls, comes from an EnvironmentFile= drop-in instead (STS_DROP_IN).
 */
const DOCTOR = `eks-node-agent doctor ${BOOT_SOURCES} --timeout ${DOCTOR_TIMEOUT_S}`;
/**
 * The STS endpoint as an image's proxy file reaches a unit: an EnvironmentFile= drop-in on the
 * agent's config unit naming a wildcard, with a comment and quoting as such files have. The same
 * drop-in sets a proxy nothing answers at (port 9 on the guest's loopback: refused) and takes it
 * away again with UnsetEnvironment=, one item by name and one as NAME=value. doctor's
 * aws-identity line is ok only if doctor expands the pattern real systemd prints for the unit,
 * reads the file it matches, and reads and applies UnsetEnvironment= as real systemd prints it
 * (else its STS call goes to the refusing proxy). Written before the first doctor run; /etc
 * keeps it across a reboot.
 */
const STS_DROP_IN = [
  'mkdir -p /etc/systemd/system/eks-node-agent-config.service.d /etc/eks-node-test',
  `printf '# the emulated STS, for doctor\\nAWS_ENDPOINT_URL_STS="http://${GUEST.sts}"\\n' >/etc/eks-node-test/sts.env`,
  "printf '[Service]\\nEnvironmentFile=-/etc/eks-node-test/*.env\\nEnvironment=HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9\\nUnsetEnvironment=HTTPS_PROXY HTTP_PROXY=http://127.0.0.1:9\\n' >/etc/systemd/system/eks-node-agent-config.service.d/50-test-sts.conf",
  'systemctl daemon-reload',
].join(' && ');
const SSH_DEADLINE_MS = 4 * 60_000;
const HEARTBEAT_DEADLINE_MS = 90_000;
const FAIL_DEADLINE_MS = 6 * 60_000;
const BAKE_DEADLINE_MS = 25 * 60_000;

const t0 = Date.now();
const stamp = () => `${String(Math.round((Date.now() - t0) / 1000)).padStart(4)}s`;
const log = (line: string) => process.stdout.write(`[system ${stamp()}] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function args() {
  const argv = process.argv.slice(2);
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const boots = Number(value('--boots') ?? '1');
  if (!Number.isInteger(boots) || boots < 1) throw new Error(`--boots: "${value('--boots')}" is not a whole number of boots (expected e.g. 3)`);
  return {
    cases: value('--cases')?.split(','),
    baked: value('--baked'),
    keep: argv.includes('--keep') || process.env.EKS_NODE_SYSTEM_TEST_KEEP === '1',
    boots,
  };
}

async function preflight(): Promise<void> {
  const missing: string[] = [];
  for (const tool of ['qemu-system-x86_64', 'qemu-img', 'packer', 'debootstrap', 'socat', 'ssh', 'ssh-keygen', 'mkfs.ext4', 'openssl', 'flock', 'tar']) {
    const r = await execa('sh', ['-c', `command -v ${tool}`], { reject: false });
    if (r.exitCode !== 0) missing.push(tool);
  }
  if (missing.length) throw new Error(`preflight: missing ${missing.join(', ')} (.ci/run installs them with apt)`);
  if (process.getuid?.() !== 0) throw new Error('preflight: must run as root (debootstrap of the base image)');
}

async function waitFor<T>(what: string, deadlineMs: number, vm: Vm | undefined, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const started = Date.now();
  while (Date.now() - started < deadlineMs) {
    const dead = vm?.exited();
    if (dead) throw new Error(`${what}: ${dead}`);
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(1_000);
  }
  throw new Error(`${what}: not within ${Math.round(deadlineMs / 1000)}s`);
}

interface CaseReport {
  name: string;
  ok: boolean;
  seconds: number;
  /** each boot's critical path from its journal: the first boot, then the one after a reboot */
  timelines: BootTimeline[];
  /** host-side: seconds from VM start until the API server saw the Node */
  nodeSeenAfter?: number;
  failures: string[];
  /** the failures of a first run that failed only on deadlines, when the case was run again */
  rerunAfter?: string[];
}

interface Cloud {
  api: ApiServer;
  eks: Awaited<ReturnType<typeof startEks>>;
  ec2: Awaited<ReturnType<typeof startEc2>>;
  /** only `doctor` calls STS (its aws-identity check); the join path never does */
  sts: Awaited<ReturnType<typeof startSts>>;
  imds: Awaited<ReturnType<typeof startImds>>;
  imdsPort: number;
  gate?: Awaited<ReturnType<typeof import('./gate.js').startGate>>;
  close(): Promise<void>;
}

async function startCloud(c: SystemCase, userData: (api: ApiServer) => string): Promise<Cloud> {
  const api = await startApiServer({ sans: [`IP:${GUEST.apiServer}`, 'IP:127.0.0.1'], instance: INSTANCE });
  const eks = await startEks({
    clusters: { [CLUSTER_NAME]: { endpoint: `https://${GUEST.apiServer}`, caData: api.caBase64, serviceIpv4Cidr: SERVICE_CIDR } },
  });
  const ec2 = await startEc2();
  const sts = await startSts();
  const imds = await startImds({ instance: INSTANCE, userData: userData(api) });
  let gate: Cloud['gate'];
  if (c.imdsDelayMs) gate = await (await import('./gate.js')).startGate(imds.port, c.imdsDelayMs);
  const close = async () => {
    await gate?.close();
    await Promise.all([imds.close(), sts.close(), ec2.close(), eks.close(), api.close()]);
  };
  const unregister = onCleanup(`cloud of ${c.name}`, close);
  return {
    api,
    eks,
    ec2,
    sts,
    imds,
    gate,
    imdsPort: gate?.port ?? imds.port,
    async close() {
      await close();
      unregister();
    },
  };
}

const describeCalls = (cloud: Cloud) => cloud.eks.requests.filter((r) => r.clusterName === CLUSTER_NAME).length;

async function journal(vm: SshTarget, boot = '0'): Promise<string> {
  return sshOk(vm, `journalctl -b ${boot} -o short-monotonic --no-pager`, 60_000);
}

/** What the cfn-signal test double recorded: one call, with the expected exit code. */
async function checkCfnSignal(checks: Checks, c: SystemCase, vm: SshTarget) {
  await checks.check(`cfn-signal double recorded --exit-code ${c.cfnSignal === 'zero' ? '0' : 'non-zero'}`, async () => {
    const calls = (await sshOk(vm, 'cat /var/log/cfn-signal-double.log')).trim().split('\n').filter(Boolean);
    expect(calls.length === 1, `expected one cfn-signal call, got ${calls.length}: ${calls.join(' | ')}`);
    const code = /--exit-code (\S+)/.exec(calls[0]!)?.[1];
    expect(code !== undefined && (c.cfnSignal === 'zero' ? code === '0' : code !== '0'), `recorded: ${calls[0]}`);
    expect(calls[0]!.includes('--resource NodeGroup'), `recorded: ${calls[0]}`);
    return calls[0]!;
  });
}

/**
 * Kubelet flags the user data carries that the kubelet no longer has: left out of the arguments
 * the kubelet double started with (it refuses them, as the kubelet does), one warning each.
 */
async function checkRemovedFlags(checks: Checks, flags: string[], vm: SshTarget) {
  await checks.check(`flags the kubelet no longer has are left out, with a warning each: ${flags.join(', ')}`, async () => {
    const argv = (await sshOk(vm, 'cat /run/kubelet-test-double/argv')).split('\n');
    const passed = argv.filter((a) => flags.some((f) => a === f || a.startsWith(`${f}=`)));
    expect(passed.length === 0, `the kubelet got ${passed.join(' ')}`);
    const said = await sshOk(
      vm,
      'cat /var/log/cloud-init-output.log; journalctl -b 0 -u eks-node-agent-config.service -u eks-node-agent-run.service -o cat --no-pager',
      60_000,
    );
    const warnings = flags.map((f) => said.split('\n').find((l) => l.includes(f) && /no longer has/.test(l)));
    expect(warnings.every(Boolean), `no warning for each of ${flags.join(', ')} in cloud-init's output or the agent's journal`);
    return warnings.map((w) => w!.replace(/^.*?warning: /, '')).join(' | ');
  });
}

async function checkJoined(checks: Checks, c: SystemCase, cloud: Cloud, vm: SshTarget, work: string, userData: string, startedAt: number, phase = '') {
  const p = phase ? `${phase}: ` : '';
  await checks.check(`${p}both agent units succeeded`, async () => {
    // After an early start the node registers while cloud-init (and so the run unit, ordered
    // after cloud-final) is still going: wait for the run unit to finish before judging it.
    const waited = await sshOk(
      vm,
      'for i in $(seq 600); do s=$(systemctl is-active eks-node-agent-run.service); case $s in active|failed) echo "$i $s"; exit 0;; esac; sleep 0.5; done; echo "600 $s"',
      360_000,
    );
    const states = [`run unit settled after ${(Number(waited.split(' ')[0]) / 2).toFixed(1)} s`];
    for (const unit of ['eks-node-agent-config.service', 'eks-node-agent-run.service']) {
      const s = await unitState(vm, unit);
      expect(s.ActiveState === 'active' && s.Result === 'success' && s.ExecMainStatus === '0', `${unit}: ${JSON.stringify(s)}`);
      states.push(`${unit} ${s.ActiveState}/${s.Result}`);
    }
    return states.join(', ');
  });
  await checks.check(`${p}nodeadm's unit names are aliases of the agent's units, and its command the agent`, async () => {
    const r = await sshOk(vm, 'systemctl show -p Id --value nodeadm-config.service nodeadm-run.service');
    const ids = r.trim().split(/\s+/).join(' ');
    expect(ids === 'eks-node-agent-config.service eks-node-agent-run.service', `systemctl show nodeadm-*.service: ${ids}`);
    // a runbook's `nodeadm config check` reads the sources the boot read, through the link
    const check = await ssh(vm, `nodeadm config check ${BOOT_SOURCES}`);
    const judged = /^judged for this node's kubelet v\d+\.\d+\.\d+ too \(\/etc\/eks\/kubelet-version\.txt\)$/m.exec(check.stdout);
    expect(
      check.exitCode === 0 && /^configuration is valid$/m.test(check.stdout) && judged !== null,
      `nodeadm config check exited ${check.exitCode}, judged for the image's kubelet:\n${check.stdout}${check.stderr}`,
    );
    // typed into a shell, it takes what systemd gives the config unit (here the kernel command
    // line's systemd.setenv= endpoints, which the SSH session lacks), naming, not showing, them
    const taken =
      /^eks-node-agent: note: run from a shell, so with the environment systemd gives eks-node-agent-config\.service at boot over this shell's: (.+) differs? from the shell's$/m.exec(
        check.stderr,
      );
    const names = taken?.[1]?.split(', ') ?? [];
    expect(
      names.includes('AWS_ENDPOINT_URL_EKS') && names.includes('AWS_ENDPOINT_URL_EC2') && !check.stderr.includes(GUEST.eks),
      `nodeadm config check from a shell did not say it took the config unit's environment (systemd.setenv=):\n${check.stderr}`,
    );
    // the same from an SSM session's shell, which runs in amazon-ssm-agent.service with its
    // INVOCATION_ID (a transient unit of that name stands in for it: same cgroup, same variable),
    // and, as the control, from a unit's own run, which keeps its environment; the agent's, not
    // the case's, so on the complete case's first boot alone (4 s under TCG)
    let fromSsm = '';
    if (c.name === 'complete' && !phase) {
      const asUnit = (unit: string) =>
        ssh(vm, `systemd-run --quiet --wait --pipe --unit=${unit} -E AWS_ENDPOINT_URL_EKS=http://shell.invalid nodeadm config check ${BOOT_SOURCES}`);
      const ssm = await asUnit('amazon-ssm-agent');
      const own = await asUnit('eks-node-probe');
      const ssmTook = /^eks-node-agent: note: run from a shell, .*AWS_ENDPOINT_URL_EKS/m.test(ssm.stderr);
      expect(
        ssm.exitCode === 0 && ssmTook && own.exitCode === 0 && !/run from a shell/.test(own.stderr),
        `config check under amazon-ssm-agent.service (exit ${ssm.exitCode}) must take the config unit's environment, under another unit (exit ${own.exitCode}) keep its own:\n${ssm.stderr}\n---\n${own.stderr}`,
      );
      fromSsm = " (from an SSM shell too; a unit's own run keeps its own)";
    }
    // on the node, check knows the kubelet a boot would start, and refuses what it would stop at
    const hidden = await ssh(
      vm,
      `printf 'apiVersion: node.eks.aws/v1alpha1\\nkind: NodeConfig\\nspec:\\n  kubelet:\\n    config:\\n      showHiddenMetricsForVersion: "1.20"\\n' >/tmp/hidden-metrics.yaml && nodeadm config check ${BOOT_SOURCES} -c file:///tmp/hidden-metrics.yaml; rc=$?; rm -f /tmp/hidden-metrics.yaml; exit $rc`,
    );
    expect(
      hidden.exitCode === 1 &&
        /^error: spec\.kubelet\.config\.showHiddenMetricsForVersion: "1\.20" is not the minor before this kubelet's 1\.\d+/m.test(hidden.stderr),
      `nodeadm config check with showHiddenMetricsForVersion "1.20" exited ${hidden.exitCode}:\n${hidden.stdout}${hidden.stderr}`,
    );
    return `${ids}; nodeadm config check: valid, ${judged![0]}, with the config unit's ${names.filter((n) => n.startsWith('AWS_')).join(', ')}${fromSsm}; with showHiddenMetricsForVersion "1.20": ${hidden.stderr.trim().split('\n')[0]}`;
  });
  await checks.check(`${p}containerd and the kubelet double are active`, async () => {
    const r = await ssh(vm, 'systemctl is-active containerd.service kubelet.service');
    expect(r.stdout.trim() === 'active\nactive', `systemctl is-active: ${r.stdout.trim().replace(/\n/g, ', ')}`);
    const k = await unitState(vm, 'kubelet.service');
    expect(k.NRestarts === '0', `kubelet.service restarted ${k.NRestarts} time(s): the double refused a configuration at first`);
    return 'active, kubelet.service never restarted';
  });
  await checks.check(
    `${p}boot path: ${c.earlyStart ? 'the config phase started containerd and the kubelet' : 'the kubelet started after cloud-final began'}`,
    async () => {
      const unitLog = (unit: string) => sshOk(vm, `journalctl -b 0 -u ${unit} -o cat --no-pager`, 60_000);
      const config = await unitLog('eks-node-agent-config.service');
      const run = await unitLog('eks-node-agent-run.service');
      // the runtime's own warnings (the executable's import() printed one) have no place here
      const runtimeWarning = /\(node:\d+\) \w*Warning: .*/.exec(`${config}\n${run}`);
      expect(!runtimeWarning, `the agent units' journal holds a runtime warning: ${runtimeWarning?.[0]}`);
      const early = /early start: nothing runs between the phases/.test(config);
      const restarts = run.split('\n').filter((l) => /restart (containerd|kubelet)\.service \d+ ms/.test(l));
      const acted = restarts.filter((l) => !/skipped/.test(l));
      if (c.earlyStart) {
        expect(
          early,
          `the config unit did not start them early:\n${
            config
              .split('\n')
              .filter((l) => /early start/.test(l))
              .join('\n') || config
          }`,
        );
        expect(/queue start containerd\.service kubelet\.service/.test(config), "no queue-start step in the config unit's journal");
        expect(restarts.length === 2 && acted.length === 0, `the run phase restarted a unit after the early start:\n${restarts.join('\n')}`);
        return `config phase queued both; run phase: ${restarts.map((l) => l.replace(/^.*?restart /, '')).join('; ')}`;
      }
      expect(!early, 'the config unit started them early, though something could run between the phases');
      // what the early start must never break: user-data scripts (cloud-final) run before the kubelet
      const [finalStart, kubeletStart] = (
        await sshOk(
          vm,
          'systemctl show -p InactiveExitTimestampMonotonic --value cloud-final.service; systemctl show -p ExecMainStartTimestampMonotonic --value kubelet.service',
        )
      )
        .trim()
        .split('\n')
        .map(Number);
      expect(finalStart! > 0 && kubeletStart! > finalStart!, `cloud-final started at ${finalStart} µs, the kubelet at ${kubeletStart} µs`);
      const why = /early start: no, (.*)/.exec(config)?.[1];
      const by = acted.length > 0 ? 'the run phase started them' : 'started before the run phase, by the user-data script (bootstrap.sh)';
      return `${why ? `early start: no, ${why}` : 'config phase found no NodeConfig (a user-data script brings it)'}; ${by}, after cloud-final began`;
    },
  );
  await checks.check(`${p}containerd config dump: our sandbox image, SystemdCgroup = true`, async () => {
    const sandbox = (await sshOk(vm, 'cat /etc/eks/sandbox-image.txt')).trim();
    const dump = await sshOk(vm, 'containerd config dump');
    expect(dump.includes(`"${sandbox}"`) && /sandbox(_image)? = /.test(dump), `dump does not name the sandbox image ${sandbox}`);
    expect(/SystemdCgroup = true/.test(dump), 'dump has no SystemdCgroup = true');
    const img = await ssh(vm, `ctr -n k8s.io images ls -q name==${sandbox}`);
    expect(img.stdout.trim() === sandbox, `the sandbox image ${sandbox} is not in containerd's k8s.io namespace`);
    return `sandbox image ${sandbox} (imported and pinned by the bake)`;
  });
  if (!phase && c.name === 'complete') {
    // The double's refusals are what make "it registered" mean "the files were right".
    await checks.check('the kubelet double refuses a wrong node-ip and an absent CA file', async () => {
      const run = (edit: string) =>
        ssh(vm, `. /etc/eks/kubelet/environment && args=$(printf '%s' "$KUBELET_ARGS" | ${edit}) && timeout 60 /usr/bin/kubelet $args`, 90_000);
      const ip = await run(`sed 's/--node-ip=[^ ]*/--node-ip=10.9.9.9/'`);
      expect(
        ip.exitCode === 1 && ip.stderr.includes('--node-ip=10.9.9.9 is not an address of this machine'),
        `wrong node-ip: exit ${ip.exitCode}: ${ip.stderr.trim()}`,
      );
      await sshOk(vm, `sed 's#certificate-authority: .*#certificate-authority: /nonexistent/ca.crt#' /var/lib/kubelet/kubeconfig > /tmp/kubeconfig-without-ca`);
      const ca = await run(`sed 's#--kubeconfig=[^ ]*#--kubeconfig=/tmp/kubeconfig-without-ca#'`);
      expect(ca.exitCode === 1 && ca.stderr.includes('/nonexistent/ca.crt is missing'), `absent CA: exit ${ca.exitCode}: ${ca.stderr.trim()}`);
      return 'both refused with a line naming the problem';
    });
  }
  if (c.marker) {
    await checks.check(`${p}cloud-init ran the user-data shell part`, async () => {
      const r = await ssh(vm, `cat ${c.marker}`);
      expect(r.exitCode === 0, `${c.marker} is missing: ${r.stderr.trim()}`);
      return `${c.marker}: ${r.stdout.trim()}`;
    });
    // The script's drop-in makes the run unit configure again; the user data and the facts it
    // needs for that come from the config unit's IMDS answers, not from IMDS again.
    await checks.check(`${p}the run unit configured again from the config unit's IMDS answers`, async () => {
      const log = await sshOk(vm, 'journalctl -b 0 -u eks-node-agent-run.service -o cat --no-pager', 60_000);
      const line = log.split('\n').find((l) => l.includes('IMDS answers kept by the config phase'));
      expect(log.includes('configuring again') && line?.endsWith(', 0 asked of IMDS') === true, `the run unit's journal:\n${log}`);
      return (line as string).replace(/^eks-node-agent: /, '');
    });
    // The config unit left the start to the run unit, which waits for cloud-init's config and
    // final stages: it gave them its own CPU weight for this boot.
    await checks.check(`${p}cloud-init's config and final stages ran at the config unit's CPU weight`, async () => {
      const weights = await sshOk(vm, 'systemctl show -p Id -p CPUWeight cloud-config.service cloud-final.service');
      const values = [...weights.matchAll(/^CPUWeight=(.*)$/gm)].map((m) => m[1]);
      expect(values.length === 2 && values.every((v) => v === '1000'), `systemctl show:\n${weights}`);
      return 'CPUWeight=1000 on cloud-config.service and cloud-final.service (set at runtime by the config unit)';
    });
  }
  if (c.maxPods !== undefined) {
    await checks.check(`${p}kubelet maxPods ${c.maxPods}`, async () => {
      const v = (await sshOk(vm, 'jq .maxPods /etc/kubernetes/kubelet/config.json')).trim();
      expect(v === String(c.maxPods), `maxPods is ${v}`);
      return v;
    });
  }
  if (c.cfnSignal && !phase) await checkCfnSignal(checks, c, vm);
  if (c.removedFlags && !phase) await checkRemovedFlags(checks, c.removedFlags, vm);
  await checks.check(`${p}ctr version answers`, async () => {
    const out = await sshOk(vm, 'ctr version');
    expect(/Server:\s*\n\s*Version:/.test(out), `no server section: ${out}`);
    return /Server:\s*\n\s*Version:\s*(\S+)/.exec(out)?.[1] ?? '';
  });
  await checks.check(`${p}files on disk match eks-node-agent render`, async () => {
    const facts = await vmFacts(vm, INSTANCE);
    const cluster =
      c.describeClusterCalls > 0
        ? { name: CLUSTER_NAME, apiServerEndpoint: `https://${GUEST.apiServer}`, certificateAuthority: cloud.api.caBase64, serviceCidr: SERVICE_CIDR }
        : undefined;
    const same = await compareWithRender(vm, work, userData, facts, cluster);
    return `${same.length} files identical`;
  });
  // After a reboot the dedicated "no AWS call repeated" check counts instead: the first
  // phase's doctor run has made its own DescribeCluster call by then.
  if (!phase)
    await checks.check(`AWS calls: eks:DescribeCluster ${c.describeClusterCalls}x, EC2 none`, () => {
      expect(describeCalls(cloud) === c.describeClusterCalls, `DescribeCluster requests: ${describeCalls(cloud)}, expected ${c.describeClusterCalls}`);
      expect(cloud.ec2.requests.length === 0, `EC2 requests: ${cloud.ec2.requests.map((r) => r.action).join(', ')}`);
      return '';
    });
  await checks.check(`${p}the kubelet double's serving certificate came through a kubelet-serving CSR the API server approved`, async () => {
    // the double asks in the background once registered; its first start's certificate is kept across reboots
    const file = await sshOk(
      vm,
      'for i in $(seq 120); do [ -s /var/lib/kubelet/pki/kubelet-server-current.pem ] && { readlink /var/lib/kubelet/pki/kubelet-server-current.pem; exit 0; }; sleep 1; done; echo none',
      180_000,
    );
    expect(file.trim() !== 'none', 'no /var/lib/kubelet/pki/kubelet-server-current.pem after 120 s');
    const approved = [...cloud.api.csrs.values()].filter((c) =>
      ((c.status as { conditions?: Array<{ type?: string }> } | undefined)?.conditions ?? []).some((k) => k.type === 'Approved'),
    );
    expect(approved.length > 0, `no approved CSR among ${cloud.api.csrs.size}: ${JSON.stringify([...cloud.api.csrs.values()].map((c) => c.status))}`);
    return `${file.trim()}; ${approved.length} approved CSR(s), requested by ${(approved[0]!.spec as { username?: string }).username}`;
  });
  await checks.check(`${p}eks-node-agent doctor: all ok`, async () => {
    const has = await ssh(vm, 'eks-node-agent doctor --help >/dev/null 2>&1');
    expect(has.exitCode === 0, 'the baked agent has no doctor command');
    await sshOk(vm, STS_DROP_IN);
    const r = await ssh(vm, DOCTOR, DOCTOR_SSH_MS);
    expect(r.exitCode === 0, `doctor exited ${r.exitCode}:\n${r.stdout}${r.stderr}`);
    // read with the real iptables, as root: a warn here would mean the policy went unread
    // and the real /proc: the image's sysctl file turns IPv4 forwarding on
    expect(
      /^ok +forward-policy +iptables FORWARD policy ACCEPT, .*; the kernel forwards IPv4 \(net\.ipv4\.ip_forward = 1\)$/m.test(r.stdout),
      `doctor's forward-policy line is not ok:\n${r.stdout}`,
    );
    // the real cloud-init's result, read as the line reads it: the run phase waited for it
    expect(/^ok +cloud-init +finished without errors/m.test(r.stdout), `doctor's cloud-init line is not ok:\n${r.stdout}`);
    // the image's kubelet version (its version file, as the boot path reads it) against the API server's /version
    expect(/^ok +kubelet-version +kubelet v\d+\.\d+\.\d+ with API server /m.test(r.stdout), `doctor's kubelet-version line is not ok:\n${r.stdout}`);
    // containerd's environment as the real systemd gives it, and the real journal of the kubelet double (which pulls nothing)
    expect(
      /^ok +registry +no image pull failed in the kubelet's journal; containerd reaches \S+\.dkr\.ecr\.\S+ \(the cluster's add-on images\) directly$/m.test(
        r.stdout,
      ),
      `doctor's registry line is not ok:\n${r.stdout}`,
    );
    // the serving certificate the emulated signer issued, read as the API server would check it
    expect(
      new RegExp(
        `^ok +serving-cert +the kubelet serves with a certificate for DNS:${NODE_NAME.replaceAll('.', '\\.')}, IP Address:${GUEST_IP.replaceAll('.', '\\.')}, valid until `,
        'm',
      ).test(r.stdout),
      `doctor's serving-cert line is not ok:\n${r.stdout}`,
    );
    // what the user data sets for the units, as real systemd gives it to them after a daemon-reexec
    if (c.passedToKubelet) await expectPassedToKubelet(vm, c.passedToKubelet, r.stdout);
    else if (c.environmentVariables !== undefined)
      expect(
        new RegExp(
          `^ok +environment +containerd\\.service, kubelet\\.service get the ${c.environmentVariables} variables the user data sets for them`,
          'm',
        ).test(r.stdout),
        `doctor's environment line is not ok:\n${r.stdout}`,
      );
    // STS only through the config unit's EnvironmentFile= drop-in, read as systemd names it, and
    // past the proxy its UnsetEnvironment= takes away
    expect(/^ok +aws-identity +/m.test(r.stdout), `doctor's aws-identity line is not ok:\n${r.stdout}`);
    // the pods bound to the node, listed with the node's own token (the kubelet double runs none)
    expect(/^ok +pods +0 pods bound to \S+, none stuck in ContainerCreating/m.test(r.stdout), `doctor's pods line is not ok:\n${r.stdout}`);
    // the guest's resolv.conf comes from the build host's, so its nameserver may be anything but missing
    expect(/^(ok|warn) +pod-dns +/m.test(r.stdout), `doctor's pod-dns line is missing or failed:\n${r.stdout}`);
    return `${r.stdout.trim().split('\n').length} report lines, exit 0`;
  });
  void startedAt;
}

/**
 * Keeps a boot's journal, `systemd-analyze critical-chain` and cloud-init's log beside it, and adds the boot's
 * timeline to the report and to the case directory's `timeline.json`.
 */
async function recordBoot(vm: SshTarget, work: string, report: CaseReport, boot: string, journalFile: string): Promise<void> {
  const j = await journal(vm);
  await writeFile(join(work, journalFile), j);
  const chain = await ssh(vm, 'systemd-analyze critical-chain kubelet.service eks-node-agent-run.service --no-pager', 60_000);
  await writeFile(join(work, journalFile.replace(/^journal/, 'critical-chain')), chain.stdout + chain.stderr);
  // cloud-init's own log times each module: what the run unit waits for on the script path
  const cloudInit = await ssh(vm, 'cat /var/log/cloud-init.log', 60_000);
  await writeFile(join(work, journalFile.replace(/^journal/, 'cloud-init').replace(/\.txt$/, '.log')), cloudInit.stdout + cloudInit.stderr);
  report.timelines.push(bootTimeline(j, report.name, boot));
  await writeFile(join(work, 'timeline.json'), `${JSON.stringify(report.timelines, null, 2)}\n`);
}

interface CaseRun {
  image: string;
  base: { kernel: string; initrd: string };
  root: string;
  keyFile: string;
  publicKey: string;
  /** the timeline's name for the first boot: 'first', or 'boot N' of a measurement series */
  boot: string;
  /** boot, wait for the join and keep the timeline, without the checks (boots 2..N of --boots) */
  measureOnly?: boolean;
}

const CNI_RESULTS = '/var/lib/cni/results';
const STALE_CNI_RESULT = `${CNI_RESULTS}/eks-node-test-stale-result`;

/**
 * A variable the kubelet's PassEnvironment= takes from PID 1 over the user data's every-service
 * value: the kubelet's process holds PID 1's value and containerd's the user data's (what real
 * systemd did), and doctor's environment line names that one difference and its cause, and no
 * other (containerd's two variables are where the user data puts them).
 */
async function expectPassedToKubelet(vm: SshTarget, passed: { name: string; value: string }, report: string): Promise<void> {
  const environ = async (unit: string) => {
    const pid = (await sshOk(vm, `systemctl show --property=MainPID --value ${unit}`)).trim();
    return (await sshOk(vm, `tr '\\0' '\\n' </proc/${pid}/environ`)).split('\n');
  };
  const kubelet = await environ('kubelet.service');
  expect(
    kubelet.includes(`${passed.name}=${passed.value}`),
    `the kubelet's process does not hold PID 1's ${passed.name}:\n${kubelet.filter((l) => l.startsWith('EKS_NODE_TEST_')).join('\n')}`,
  );
  // containerd passes nothing: it holds the every-service value (doctor's line below finds it the user data's)
  const containerd = (await environ('containerd.service')).find((l) => l.startsWith(`${passed.name}=`));
  expect(
    containerd !== undefined && containerd !== `${passed.name}=${passed.value}`,
    `containerd's process should hold the user data's ${passed.name}, not PID 1's: ${containerd === undefined ? 'it holds none' : "it holds PID 1's"}`,
  );
  const line = report.split('\n').find((l) => /^\S+ +environment +/.test(l)) ?? '';
  const expected = `what the user data sets is not what the units get: kubelet.service: ${passed.name} is PID 1's own (from the kernel command line or the initrd), which the unit's PassEnvironment= passes over systemd's default environment`;
  // text mode: the status, the name, the detail, then ` -- hint: ` and the hint
  expect(
    line.replace(/^warn +environment +/, '').split(' -- hint: ')[0] === expected,
    `doctor's environment line is not the warning naming PassEnvironment=:\n${line}`,
  );
  expect(!line.includes(passed.value), `doctor's environment line shows a value: ${line}`);
}

/** The join case's checks after the Node registered: the node, its files, the image, and a reboot when the case asks. */
async function checkJoinedCase(
  c: SystemCase,
  run: CaseRun,
  checks: Checks,
  cloud: Cloud,
  target: SshTarget,
  work: string,
  userData: string,
  vmStart: number,
  report: CaseReport,
  monitorSocket: string | undefined,
  vm: Vm,
): Promise<void> {
  if (c.imdsDelayMs) {
    await checks.check(`IMDS was refused for ${c.imdsDelayMs / 1000}s and the node still joined`, () => {
      const first = cloud.gate?.firstAttemptAt();
      const opened = cloud.gate?.openedAt();
      expect(first !== undefined && opened !== undefined, 'the node never reached IMDS through the gate');
      expect(cloud.gate!.refused() > 0, 'no IMDS connection was refused: the delay was not exercised');
      return `${cloud.gate!.refused()} connections refused over ${Math.round((opened - first) / 1000)}s`;
    });
  }
  await checkJoined(checks, c, cloud, target, work, userData, vmStart);
  let storage: StorageIdentity | undefined;
  if (c.instanceStoreDisks) storage = await checkRaid0(checks, target, c.instanceStoreDisks);
  else if (c.instanceStoreDisks === 0) await checkNoDisks(checks, target);
  if (c.imageParity) {
    const containerd = await sshOk(target, 'containerd --version');
    log(`case ${c.name}: image checks on ${containerd.trim()} (the Debian base's; the AMI's comes from containerd_version)`);
    await checkHostSettings(checks, target);
    await checkSshHostKeys(checks, target);
    await checkRuntimeCgroups(checks, target);
    await checkSecondaryNics(checks, target, monitorSocket!);
    await checkForwardPolicyOnRestart(checks, target, {
      command: `${DOCTOR} --output json`,
      timeoutMs: DOCTOR_SSH_MS,
    });
    await checkDoctorWithoutImds(checks, target, {
      command: `${DOCTOR} --output json`,
      timeoutMs: DOCTOR_SSH_MS,
    });
    await checkImdsWithoutIpv4Route(checks, target, {
      check: `eks-node-agent config check ${BOOT_SOURCES}`,
      doctor: `${DOCTOR} --output json`,
      dryRun: `eks-node-agent init --dry-run ${BOOT_SOURCES}`,
      timeoutMs: DOCTOR_SSH_MS,
    });
  }
  await recordBoot(target, work, report, run.boot, 'journal.txt');

  if (c.reboot) {
    const before = await agentFileDigests(target);
    const bootId = (await sshOk(target, 'cat /proc/sys/kernel/random/boot_id')).trim();
    const awsBefore = { eks: cloud.eks.requests.length, ec2: cloud.ec2.requests.length };
    const apiBefore = cloud.api.requests.length;
    // what a pod sandbox's CNI result left behind, empty as a crash leaves one: the image's
    // tmpfiles line must empty the cache at the next boot
    await sshOk(target, `mkdir -p ${CNI_RESULTS} && : > ${STALE_CNI_RESULT}`);
    const rebootAt = Date.now();
    log(`case ${c.name}: rebooting`);
    await ssh(target, 'systemctl reboot', 15_000).catch(() => undefined);
    await sshDisconnect(target);
    await waitFor('VM back with a new boot id', SSH_DEADLINE_MS, vm, async () => {
      const r = await ssh(target, 'cat /proc/sys/kernel/random/boot_id', 15_000).catch(() => undefined);
      const id = r?.exitCode === 0 ? r.stdout.trim() : '';
      return id && id !== bootId ? id : undefined;
    });
    await checks.check('after reboot: the node re-registers and heartbeats again', async () => {
      await waitFor('Node write after reboot', JOIN_DEADLINE_MS, vm, () =>
        cloud.api.requests.slice(apiBefore).find((r) => r.method === 'POST' && r.path === '/api/v1/nodes'),
      );
      await waitFor('heartbeat after reboot', HEARTBEAT_DEADLINE_MS, vm, () =>
        cloud.api.heartbeats.find((h) => h.at.getTime() > rebootAt && h.node === NODE_NAME),
      );
      const post = cloud.api.requests.slice(apiBefore).find((r) => r.method === 'POST' && r.path === '/api/v1/nodes');
      return `POST /api/v1/nodes answered ${post?.status} (the Node survived), heartbeat after reboot`;
    });
    await checks.check('after reboot: agent files unchanged', async () => {
      await waitFor('run phase done after reboot', SSH_DEADLINE_MS, vm, async () =>
        (await unitState(target, 'eks-node-agent-run.service')).ActiveState === 'active' ? true : undefined,
      );
      const after = await agentFileDigests(target);
      expect(after === before, `digests changed:\nbefore:\n${before}\nafter:\n${after}`);
      return `${before.trim().split('\n').length} files, same sha256`;
    });
    await checks.check('after reboot: the CNI results cache was emptied at boot', async () => {
      const r = await ssh(target, `test -e ${STALE_CNI_RESULT}`);
      expect(r.exitCode === 1, `${STALE_CNI_RESULT} survived the reboot (test -e exit ${r.exitCode})`);
      return `${STALE_CNI_RESULT}, written before the reboot, is gone`;
    });
    await checks.check('after reboot: no AWS call repeated', () => {
      const now = { eks: cloud.eks.requests.length, ec2: cloud.ec2.requests.length };
      expect(now.eks === awsBefore.eks && now.ec2 === awsBefore.ec2, `AWS requests before ${JSON.stringify(awsBefore)}, after ${JSON.stringify(now)}`);
      return `EKS ${now.eks} request(s), EC2 ${now.ec2}: none since the reboot (the first boot's DescribeCluster and doctor's; the rebooted agent read its cache)`;
    });
    await checkJoined(checks, c, cloud, target, work, userData, rebootAt, 'after reboot');
    if (storage) await checkRaid0AfterReboot(checks, target, storage);
    await recordBoot(target, work, report, 'after reboot', 'journal-after-reboot.txt');
    // stops containerd and the kubelet double: after the journal that the timeline reads
    if (storage) await checkFstabMountsAlone(checks, target, storage);
  }
}

async function runCase(c: SystemCase, run: CaseRun): Promise<CaseReport> {
  const { image, base, root, keyFile, publicKey } = run;
  const started = Date.now();
  const work = join(root, 'cases', run.boot === 'first' || run.boot === 'boot 1' ? c.name : `${c.name}-${run.boot.replace(' ', '')}`);
  await mkdir(work, { recursive: true });
  const checks = new Checks(log);
  const report: CaseReport = { name: c.name, ok: false, seconds: 0, timelines: [], failures: [] };
  let userData = '';
  const cloud = await startCloud(c, (api) => (userData = c.userData({ endpoint: `https://${GUEST.apiServer}`, caBase64: api.caBase64 })));
  let vm: Vm | undefined;
  let shared: SshTarget | undefined;
  try {
    const disk = join(work, 'disk.qcow2');
    await createOverlay(image, disk);
    const nvme = c.instanceStoreDisks ? await createInstanceStoreDisks(work, c.instanceStoreDisks) : undefined;
    log(`case ${c.name}: booting (console: ${join(work, 'console.log')})`);
    const monitorSocket = c.imageParity ? join(work, 'monitor.sock') : undefined;
    vm = await bootVm({
      ...(c.imageParity ? { extraArgs: secondaryNicArgs(), monitorSocket } : {}),
      name: c.name,
      disk,
      kernel: base.kernel,
      initrd: base.initrd,
      consoleLog: join(work, 'console.log'),
      ...(nvme ? { nvme } : {}),
      cmdline: [
        // The agent's AWS endpoints, the AWS way, for every service (PID 1's environment).
        `systemd.setenv=AWS_ENDPOINT_URL_EKS=http://${GUEST.eks}`,
        `systemd.setenv=AWS_ENDPOINT_URL_EC2=http://${GUEST.ec2}`,
        `systemd.set_credential=ssh.authorized_keys.root:${publicKey}`,
        // a bare NAME=value word: the kernel puts it in PID 1's environment
        ...(c.passedToKubelet ? [`${c.passedToKubelet.name}=${c.passedToKubelet.value}`] : []),
      ],
      forwards: [
        { guestIp: GUEST.imds, guestPort: 80, hostPort: cloud.imdsPort },
        { guestIp: GUEST.apiServer, guestPort: 443, hostPort: cloud.api.port },
        { guestIp: GUEST.eks, guestPort: 80, hostPort: cloud.eks.port },
        { guestIp: GUEST.ec2, guestPort: 80, hostPort: cloud.ec2.port },
        { guestIp: GUEST.sts, guestPort: 80, hostPort: Number(new URL(cloud.sts.url).port) },
      ],
    });
    const controlPath = controlPathFor(root, vm.sshPort);
    const target: SshTarget = { port: vm.sshPort, keyFile, ...(controlPath ? { controlPath } : {}) };
    shared = target;
    const vmStart = vm.startedAt;

    if (c.expect === 'join') {
      const joined = await checks.check('Node registered with the API server (name, labels, taints, providerID)', async () => {
        const node = await waitFor('Node creation', JOIN_DEADLINE_MS, vm, () => cloud.api.nodeCreations.find((n) => n.metadata?.name === NODE_NAME));
        report.nodeSeenAfter = Math.round((Date.now() - vmStart) / 1000);
        const labels = (node.metadata?.labels ?? {}) as Record<string, string>;
        for (const [k, v] of Object.entries(c.labels ?? {})) expect(labels[k] === v, `label ${k}=${v} missing (labels: ${JSON.stringify(labels)})`);
        expect(labels['kubernetes.io/hostname'] === NODE_NAME, `kubernetes.io/hostname is ${labels['kubernetes.io/hostname']}`);
        const spec = (node.spec ?? {}) as { providerID?: string; taints?: unknown[] };
        expect(spec.providerID === PROVIDER_ID, `providerID ${spec.providerID}, expected ${PROVIDER_ID}`);
        const canonical = (ts: unknown[]) => JSON.stringify(ts.map((t) => Object.fromEntries(Object.entries(t as object).sort())));
        expect(canonical(spec.taints ?? []) === canonical(c.taints ?? []), `taints ${JSON.stringify(spec.taints)}, expected ${JSON.stringify(c.taints ?? [])}`);
        const req = cloud.api.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/nodes');
        expect(req?.tokenKind === 'k8s-aws-v1.', 'the Node was not created with an aws-iam-authenticator token');
        return `${NODE_NAME} after ${report.nodeSeenAfter}s`;
      });
      if (joined) {
        await checks.check('Ready heartbeat posted', async () => {
          await waitFor('heartbeat', HEARTBEAT_DEADLINE_MS, vm, () => cloud.api.heartbeats.find((h) => h.node === NODE_NAME));
          return `${cloud.api.heartbeats.length} so far`;
        });
      }
      await waitForSsh(target, SSH_DEADLINE_MS, `case ${c.name}`, () => vm?.exited());
      if (run.measureOnly) await recordBoot(target, work, report, run.boot, 'journal.txt');
      else await checkJoinedCase(c, run, checks, cloud, target, work, userData, vmStart, report, monitorSocket, vm);
    } else if (c.expect === 'bootstrap-fail') {
      await waitForSsh(target, SSH_DEADLINE_MS, `case ${c.name}`, () => vm?.exited());
      await checks.check('the run unit finished without starting anything', async () => {
        await waitFor('eks-node-agent-run.service done', JOIN_DEADLINE_MS, vm, async () =>
          (await unitState(target, 'eks-node-agent-run.service')).ActiveState === 'active' ? true : undefined,
        );
        const out = await sshOk(target, 'journalctl -b -u eks-node-agent-run.service -o cat --no-pager');
        expect(/run phase: no NodeConfig found .*not started/.test(out), `the run unit does not say why nothing started:\n${out}`);
        return out.split('\n').find((l) => l.includes('run phase:')) ?? '';
      });
      await checkCfnSignal(checks, c, target);
      await checks.check(`bootstrap.sh printed one error naming ${c.failField}`, async () => {
        const out = await sshOk(target, 'journalctl -b -u cloud-final.service -o cat --no-pager; cat /var/log/cloud-init-output.log 2>/dev/null; true');
        const errors = [...new Set(out.split('\n').filter((l) => /^error: /.test(l)))];
        expect(errors.length === 1 && errors[0]!.includes(c.failField!), `errors: ${JSON.stringify(errors)}`);
        return errors[0]!;
      });
      await checks.check('kubelet never started, no Node', async () => {
        const k = await unitState(target, 'kubelet.service');
        expect(k.ActiveState === 'inactive' && k.ExecMainStartTimestampMonotonic === '0', `kubelet.service: ${JSON.stringify(k)}`);
        expect(cloud.api.nodeCreations.length === 0, 'a Node was registered');
        return 'kubelet.service inactive, never started; no Node';
      });
      await recordBoot(target, work, report, run.boot, 'journal.txt');
    } else {
      await waitForSsh(target, SSH_DEADLINE_MS, `case ${c.name}`, () => vm?.exited());
      await checks.check('config phase fails', async () => {
        await waitFor('eks-node-agent-config.service failed', FAIL_DEADLINE_MS, vm, async () =>
          (await unitState(target, 'eks-node-agent-config.service')).ActiveState === 'failed' ? true : undefined,
        );
        const s = await unitState(target, 'eks-node-agent-config.service');
        return `ActiveState=${s.ActiveState} Result=${s.Result} ExecMainStatus=${s.ExecMainStatus}`;
      });
      await checks.check(`one-line journal error naming ${c.failField}`, async () => {
        const out = await sshOk(target, 'journalctl -b -u eks-node-agent-config.service -o cat --no-pager');
        const errors = out.split('\n').filter((l) => /^error: /.test(l));
        expect(errors.length === 1, `expected one "error:" line, got ${errors.length}:\n${out}`);
        expect(errors[0]!.includes(c.failField!), `the error does not name ${c.failField}: ${errors[0]}`);
        expect(!/^\s+at /m.test(out), `a stack trace is in the journal:\n${out}`);
        return errors[0]!;
      });
      await checks.check('kubelet never started, run phase did not run', async () => {
        const k = await unitState(target, 'kubelet.service');
        expect(k.ActiveState === 'inactive' && k.ExecMainStartTimestampMonotonic === '0', `kubelet.service: ${JSON.stringify(k)}`);
        const r = await unitState(target, 'eks-node-agent-run.service');
        expect(r.ActiveState !== 'active' && r.ExecMainStartTimestampMonotonic === '0', `eks-node-agent-run.service: ${JSON.stringify(r)}`);
        expect(cloud.api.nodeCreations.length === 0, 'a Node was registered');
        return 'kubelet.service inactive, never started; no Node';
      });
      await checks.check('nothing half-written under /etc/kubernetes (nor the kubeconfig, kubelet environment)', async () => {
        const out = await sshOk(target, 'find /etc/kubernetes /var/lib/kubelet/kubeconfig /etc/eks/kubelet -mindepth 0 2>/dev/null; true');
        expect(out.trim() === '', `left behind:\n${out}`);
        return 'none of them exist';
      });
      await checks.check('eks-node-agent doctor reports the failure', async () => {
        const r = await ssh(target, DOCTOR, DOCTOR_SSH_MS);
        expect(r.exitCode !== 0, `doctor exited 0 on a node whose config phase failed:\n${r.stdout}`);
        expect(r.stdout.includes(c.failField!) || r.stderr.includes(c.failField!), `doctor does not name ${c.failField}:\n${r.stdout}${r.stderr}`);
        return `exit ${r.exitCode}, names ${c.failField}`;
      });
      await checks.check('AWS: no calls', () => {
        expect(cloud.eks.requests.length === 0 && cloud.ec2.requests.length === 0, `EKS ${cloud.eks.requests.length}, EC2 ${cloud.ec2.requests.length}`);
        return '';
      });
      await recordBoot(target, work, report, run.boot, 'journal.txt');
    }
  } catch (err) {
    await checks.check('case ran to the end', () => {
      throw err;
    });
  } finally {
    if (shared) await sshDisconnect(shared);
    await vm?.stop();
    await cloud.close();
    // The overlay is 100s of MiB after a boot; the console log and journal stay.
    await rm(join(work, 'disk.qcow2'), { force: true });
    for (let i = 0; i < (c.instanceStoreDisks ?? 0); i++) await rm(join(work, `instance-store-${i}.raw`), { force: true });
  }
  report.ok = checks.ok;
  report.failures = checks.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`);
  report.seconds = Math.round((Date.now() - started) / 1000);
  return report;
}

function printTimelines(reports: readonly CaseReport[]) {
  log('boot timelines: seconds since kernel start, from each journal (cases/<case>/timeline.json);');
  log('  OS = kernel -> network-online (the yardstick), ours = network-online -> kubelet started');
  for (const line of timelineTable(reports.flatMap((r) => r.timelines))) log(`  ${line}`);
  for (const r of reports) if (r.nodeSeenAfter !== undefined) log(`  host: the API server saw ${r.name}'s Node ${r.nodeSeenAfter}s after QEMU started`);
}

async function main(): Promise<number> {
  installSignalCleanup();
  const opts = args();
  const timings: Record<string, number> = {};
  const mark = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const s = Date.now();
    try {
      return await fn();
    } finally {
      timings[name] = Math.round((Date.now() - s) / 1000);
    }
  };
  await preflight();
  const root = await mkdtemp(join(tmpdir(), 'eks-node-system-'));
  log(`work directory ${root}`);
  const selected = opts.cases ? CASES.filter((c) => opts.cases!.includes(c.name)) : CASES;
  if (selected.length === 0) throw new Error(`--cases ${opts.cases?.join(',')}: no such case (cases: ${CASES.map((c) => c.name).join(', ')})`);

  const base = await mark('base image', () => ensureBaseImage(log));
  log(`base image ${base.dir} (${base.builtSeconds ? `built in ${base.builtSeconds}s` : 'cached'})`);
  const keyFile = join(root, 'id_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'eks-node-system-test', '-f', keyFile], { timeout: 30_000 });
  const publicKey = (await readFile(`${keyFile}.pub`, 'utf8')).trim();

  let image = opts.baked;
  if (!image) {
    await mark('agent build', async () => {
      log('building the agent executable (npm run build, npm run build:exe)');
      await execa('npm', ['run', '--silent', 'build'], { cwd: REPO, timeout: 5 * 60_000 });
      await execa('npm', ['run', '--silent', 'build:exe'], { cwd: REPO, timeout: 10 * 60_000 });
    });
    const agent = join(REPO, 'dist', 'eks-node-agent-linux-x64');
    if (!existsSync(agent)) throw new Error(`${agent} was not built by npm run build:exe`);
    const bucket = join(root, 'bucket');
    await writeBucket(bucket, KUBERNETES_VERSION, BUILD_DATE);
    const pauseTar = join(root, 'pause-image.tar');
    await writePauseImageTar(root, PAUSE_IMAGE, pauseTar);
    const server = await startArtifactServer(bucket);
    const baked = await mark('bake', () =>
      bake({
        work: join(root, 'bake'),
        base,
        sshKeyFile: keyFile,
        sshPublicKey: publicKey,
        // QEMU user networking: the guest reaches the host's loopback as 10.0.2.2.
        artifactBaseUrl: `http://10.0.2.2:${server.port}`,
        kubernetesVersion: KUBERNETES_VERSION,
        buildDate: BUILD_DATE,
        agentBinary: agent,
        pauseImage: PAUSE_IMAGE,
        pauseImageTar: pauseTar,
        log,
        timeoutMs: BAKE_DEADLINE_MS,
      }).finally(() => server.close()),
    );
    const served = server.requests.filter((r) => r.status === 200).map((r) => r.path.split('/').pop());
    log(`baked ${baked.image} in ${baked.seconds}s (artifacts downloaded: ${served.join(', ')})`);
    image = baked.image;
  }

  const reports: CaseReport[] = [];
  const caseRun: CaseRun = { image, base, root, keyFile, publicKey, boot: opts.boots > 1 ? 'boot 1' : 'first' };
  for (const c of selected) {
    log(`case ${c.name}`);
    let r = await mark(`case ${c.name}`, () => runCase(c, caseRun));
    if (!r.ok && onlyTimeouts(r.failures)) {
      log(`case ${c.name}: failed only on deadlines (${r.failures.map((f) => f.split('\n')[0]).join('; ')}); running it once more`);
      const first = r.failures;
      r = { ...(await mark(`case ${c.name} (re-run after a timeout)`, () => runCase(c, caseRun))), rerunAfter: first };
    }
    log(`case ${c.name}: ${r.ok ? 'PASSED' : 'FAILED'} in ${r.seconds}s${r.rerunAfter ? ' (second run, after a timeout)' : ''}`);
    for (let n = 2; n <= opts.boots && c.expect === 'join'; n++) {
      const boot = `boot ${n}`;
      log(`case ${c.name}: ${boot} of ${opts.boots} (measurement: join and timeline only)`);
      const m = await mark(`case ${c.name} (${boot})`, () => runCase(c, { ...caseRun, boot, measureOnly: true }));
      r.timelines.push(...m.timelines);
      r.failures.push(...m.failures.map((f) => `${boot}: ${f}`));
      r.ok &&= m.ok;
    }
    reports.push(r);
  }

  log('');
  printTimelines(reports);
  log('');
  log('harness timings');
  for (const [k, v] of Object.entries(timings)) log(`  ${String(v).padStart(5)}s  ${k}`);
  log(`  ${String(Math.round((Date.now() - t0) / 1000)).padStart(5)}s  total`);
  await writeFile(join(root, 'summary.json'), `${JSON.stringify({ timings, totalSeconds: Math.round((Date.now() - t0) / 1000), reports }, null, 2)}\n`);
  const failed = reports.filter((r) => !r.ok);
  log('');
  // the plain closing line CI reads, one case counted per booted node
  const rerun = reports.filter((r) => r.rerunAfter);
  const rerunNote = rerun.length > 0 ? ` (${rerun.map((r) => r.name).join(', ')} re-run once after a timeout)` : '';
  process.stdout.write(`system: ${reports.length - failed.length} passed, ${failed.length} failed${rerunNote}\n`);
  if (failed.length === 0) {
    log(`PASSED: ${reports.length} case(s)`);
    if (!opts.keep) await rm(root, { recursive: true, force: true });
    else log(`kept ${root}`);
    return 0;
  }
  for (const r of failed) for (const f of r.failures) log(`FAILED ${r.name}: ${f}`);
  log(`kept ${root} (console logs and journals under cases/)`);
  return 1;
}

main()
  .then(
    (code) => code,
    (err: unknown) => {
      log(`ERROR: ${(err as Error).message}`);
      return 2;
    },
  )
  .then(async (code) => {
    await cleanupAll();
    process.exitCode = code;
  });
