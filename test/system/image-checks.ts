/**
 * Checks that the baked image carries the host settings a production AL2023 EKS node has
 * (sysctls, kernel modules, runtime.slice, time service, SSM drop-in, networkd hygiene), and
 * the secondary-ENI case: a NIC present at boot is configured by networkd, a NIC hot-plugged
 * after the run phase (QEMU `device_add`) is left alone for the CNI. Run inside one case's
 * boot, after the node joined.
 */
import net from 'node:net';
import { type Checks, expect, unitState } from './node-checks.js';
import { ssh, sshOk, type SshTarget } from './ssh.js';

/** A monotonic timestamp in µs (a number, or systemctl's text) as seconds since kernel start. */
const secs = (us: number | string | undefined) => `${(Number(us) / 1e6).toFixed(1)}s`;

/** A second NIC present at boot (a launch-template ENI) and one hot-plugged later (the CNI's). */
export const BOOT_NIC_MAC = '52:54:00:12:34:57';
export const LATE_NIC_MAC = '52:54:00:12:34:58';

/**
 * QEMU arguments for the two extra NICs: each on its own user network (QEMU's DHCP answers on
 * it); the late one's backend exists from the start, its device is added on the monitor into
 * a PCIe root port (q35's root bus takes no hot-plug).
 */
export function secondaryNicArgs(): string[] {
  return [
    '-netdev',
    'user,id=net1,net=10.0.3.0/24,restrict=on',
    '-device',
    `virtio-net-pci,netdev=net1,mac=${BOOT_NIC_MAC}`,
    '-netdev',
    'user,id=net2,net=10.0.4.0/24,restrict=on',
    '-device',
    'pcie-root-port,id=hotplug0,bus=pcie.0,chassis=1',
  ];
}

/** Sends one command to QEMU's human monitor and returns its answer (without the prompts). */
export async function hmp(socketPath: string, command: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let buffer = '';
    let sent = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`QEMU monitor: no answer to \`${command}\` within ${timeoutMs / 1000}s (got: ${buffer})`));
    }, timeoutMs);
    socket.on('data', (d: Buffer) => {
      buffer += d.toString();
      const prompts = buffer.split('(qemu) ').length - 1;
      if (!sent && prompts >= 1) {
        sent = true;
        buffer = '';
        socket.write(`${command}\n`);
      } else if (sent && prompts >= 1) {
        clearTimeout(timer);
        socket.end();
        // The monitor echoes the command line with terminal escapes; keep the answer lines.
        const answer = buffer
          .replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
          .split(/\r?\n/)
          .slice(1)
          .join('\n')
          .replace('(qemu) ', '')
          .trim();
        resolve(answer);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`QEMU monitor ${socketPath}: ${err.message}`));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The interface name of MAC in the VM, or undefined. */
async function interfaceOf(vm: SshTarget, mac: string): Promise<string | undefined> {
  const r = await ssh(vm, `grep -l -i -x '${mac}' /sys/class/net/*/address`);
  const path = r.stdout.trim().split('\n')[0];
  return path ? path.split('/')[4] : undefined;
}

/** `networkctl list` as { name: [operational, setup] }. */
async function links(vm: SshTarget): Promise<Record<string, [string, string]>> {
  const out = await sshOk(vm, 'networkctl list --no-legend --no-pager');
  const map: Record<string, [string, string]> = {};
  for (const line of out.trim().split('\n')) {
    const [, name, , operational, setup] = line.trim().split(/\s+/);
    if (name) map[name] = [operational ?? '', setup ?? ''];
  }
  return map;
}

export async function checkHostSettings(checks: Checks, vm: SshTarget): Promise<void> {
  await checks.check('image: sysctls (reserved ports in their own file, max_map_count, inotify, pid_max)', async () => {
    const out = await sshOk(
      vm,
      'sysctl -n net.ipv4.ip_local_reserved_ports vm.max_map_count fs.inotify.max_user_watches fs.inotify.max_user_instances kernel.pid_max',
    );
    const [ports = '', mapCount, watches, instances, pidMax] = out.trim().split('\n');
    // The kernel prints the set as ranges ("10248-10250").
    const reserved = new Set<number>();
    for (const part of ports.split(',')) {
      const [a, b] = part.split('-').map(Number);
      for (let p = a!; p <= (b ?? a!); p++) reserved.add(p);
    }
    for (const port of [2703, 9808, 9809, 10249, 10250, 10256, 61678, 61679]) expect(reserved.has(port), `port ${port} is not reserved (${ports})`);
    expect(mapCount === '524288', `vm.max_map_count ${mapCount}`);
    expect(watches === '524288' && instances === '8192', `inotify watches ${watches}, instances ${instances}`);
    expect(pidMax === '4194304', `kernel.pid_max ${pidMax}`);
    const file = await sshOk(vm, 'grep -h "^net.ipv4.ip_local_reserved_ports" /etc/sysctl.d/*.conf');
    expect(file.trim().split('\n').length === 1, `ip_local_reserved_ports set in more than one file:\n${file}`);
    await sshOk(vm, 'grep -q "^net.ipv4.ip_local_reserved_ports" /etc/sysctl.d/60-eks-node-reserved-ports.conf');
    return `reserved ${ports}; vm.max_map_count ${mapCount}; pid_max ${pidMax}`;
  });
  await checks.check('image: kernel modules loaded at boot; containerd starts without its modprobe', async () => {
    const wanted = ['overlay', 'br_netfilter', 'ip_tables', 'iptable_nat', 'xt_comment'];
    const out = await sshOk(vm, `for m in ${wanted.join(' ')}; do if [ -d /sys/module/$m ]; then echo "$m yes"; else echo "$m no"; fi; done`);
    const missing = out
      .trim()
      .split('\n')
      .filter((l) => l.endsWith(' no'));
    expect(missing.length === 0, `not loaded: ${missing.join(', ')}`);
    const s = await sshOk(vm, 'systemctl show -p Result --value systemd-modules-load.service');
    expect(s.trim() === 'success', `systemd-modules-load.service: ${s.trim()}`);
    // the drop-in clears the package's ExecStartPre=-/sbin/modprobe overlay (overlay is loaded above)
    const pre = (await sshOk(vm, 'systemctl show -p ExecStartPre --value containerd.service')).trim();
    expect(pre === '', `containerd.service still runs before its start: ${pre}`);
    return `${wanted.join(', ')}; containerd ExecStartPre empty`;
  });
  await checks.check('image: containerd and the kubelet run in runtime.slice; FORWARD policy ACCEPT', async () => {
    const out = await sshOk(
      vm,
      'for u in containerd kubelet; do systemctl show -p Slice --value $u.service; cat /proc/$(systemctl show -p MainPID --value $u.service)/cgroup; done',
    );
    const lines = out.trim().split('\n');
    expect(lines[0] === 'runtime.slice' && lines[2] === 'runtime.slice', `slices: ${lines[0]}, ${lines[2]}`);
    expect(lines[1]?.endsWith('/runtime.slice/containerd.service'), `containerd's cgroup: ${lines[1]}`);
    expect(lines[3]?.endsWith('/runtime.slice/kubelet.service'), `the kubelet's cgroup: ${lines[3]}`);
    // The policy is set by its own unit as the kubelet starts (and again on every kubelet
    // restart); the kubelet is not ordered after it, so it is never on the boot path.
    const forward = await unitState(vm, 'eks-node-forward-accept.service');
    const kubeletAfter = (await unitState(vm, 'kubelet.service', ['After'])).After ?? '';
    expect(
      forward.Result === 'success' && forward.ActiveState === 'active',
      `eks-node-forward-accept.service: ${forward.ActiveState}, result ${forward.Result}`,
    );
    expect(!kubeletAfter.split(/\s+/).includes('eks-node-forward-accept.service'), `the kubelet is ordered after the FORWARD unit: After=${kubeletAfter}`);
    const policy = await sshOk(vm, 'iptables -w 5 -S FORWARD | head -n 1');
    expect(policy.trim() === '-P FORWARD ACCEPT', `iptables FORWARD: ${policy.trim()}`);
    return `${lines[1]}, ${lines[3]}; FORWARD ACCEPT, set at ${secs(forward.ExecMainStartTimestampMonotonic)}, the kubelet not ordered after it`;
  });
  await checks.check('image: time service running, pointed at the Amazon Time Sync Service', async () => {
    const active = await ssh(vm, 'systemctl is-active chrony.service chronyd.service');
    expect(active.stdout.split('\n').includes('active'), `chrony: ${active.stdout.trim().replace(/\n/g, ', ')}`);
    const sources = await sshOk(vm, 'chronyc -n sources');
    expect(sources.includes('169.254.169.123'), `chronyc sources lists no 169.254.169.123:\n${sources}`);
    await sshOk(vm, 'grep -rqs "^server fd00:ec2::123" /etc/chrony /etc/chrony.d');
    return 'chrony active; 169.254.169.123 and fd00:ec2::123 configured';
  });
  await checks.check('image: SSM agent drop-in OOMScoreAdjust=-999 in place', async () => {
    const out = await sshOk(vm, 'cat /etc/systemd/system/amazon-ssm-agent.service.d/*.conf');
    expect(/^OOMScoreAdjust=-999$/m.test(out), `drop-in: ${out}`);
    // The agent itself is an Amazon Linux package; Debian has none, so only the drop-in is proved.
    return 'present (amazon-ssm-agent itself exists only on Amazon Linux)';
  });
  await checks.check('image: cloud-init upgrades no package at boot', async () => {
    const out = await sshOk(vm, 'cat /etc/cloud/cloud.cfg.d/80-eks-node-no-upgrade.cfg');
    expect(/^repo_upgrade: none$/m.test(out) && /^package_upgrade: false$/m.test(out), out);
    return 'repo_upgrade: none, package_upgrade: false';
  });
  await checks.check('image: networkd leaves foreign routes and rules; MACAddressPolicy=none', async () => {
    const conf = await sshOk(vm, 'systemd-analyze cat-config systemd/networkd.conf');
    expect(/^ManageForeignRoutes=no$/m.test(conf) && /^ManageForeignRoutingPolicyRules=no$/m.test(conf), `networkd.conf:\n${conf}`);
    // Behaviour, not only text: a routing policy rule networkd did not make (the CNI's kind)
    // survives a reconfiguration of a link (the boot-time secondary NIC, so the SSH path is
    // not touched). A route is no probe here: reconfiguring renews the link's DHCP address, and
    // the kernel flushes a link's routes when it loses its last IPv4 address, whatever networkd's
    // settings say.
    const nic = await interfaceOf(vm, BOOT_NIC_MAC);
    expect(nic, `no interface with MAC ${BOOT_NIC_MAC}`);
    await sshOk(vm, `ip rule add from 192.0.2.1 lookup 100 priority 20000 && networkctl reconfigure ${nic} && sleep 5`);
    const rules = await sshOk(vm, 'ip rule show priority 20000');
    expect(rules.includes('192.0.2.1'), `networkd removed a foreign routing policy rule when ${nic} was reconfigured`);
    // A new bridge keeps the random MAC the kernel gave it (addr_assign_type 1); the
    // default policy would have udev set a persistent one (3).
    const assign = await sshOk(
      vm,
      'ip link add eks-test-br0 type bridge && udevadm settle -t 30 && cat /sys/class/net/eks-test-br0/addr_assign_type; ip link del eks-test-br0',
    );
    expect(assign.trim() === '1', `a new bridge's addr_assign_type is ${assign.trim()}, expected 1 (MAC left random)`);
    return `foreign policy rule kept across networkctl reconfigure ${nic}; a new bridge keeps its kernel MAC`;
  });
  await checks.check('image: prefetch of the binaries ran off the critical path', async () => {
    const show = await sshOk(
      vm,
      'systemctl show -p Result -p ExecMainStartTimestampMonotonic -p ExecMainExitTimestampMonotonic eks-node-prefetch.service; systemctl show -p ExecMainStartTimestampMonotonic --value eks-node-agent-config.service eks-node-agent-run.service',
    );
    const lines = show.trim().split('\n');
    const prop = (k: string) => lines.find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1) ?? '';
    expect(prop('Result') === 'success', `eks-node-prefetch.service: ${show}`);
    const [configStart = 0, runStart = 0] = lines.filter((l) => /^\d+$/.test(l)).map(Number);
    const start = Number(prop('ExecMainStartTimestampMonotonic'));
    const end = Number(prop('ExecMainExitTimestampMonotonic'));
    // Nothing on the way to the kubelet may wait for it.
    const after = await sshOk(
      vm,
      'systemctl show -p After --value eks-node-agent-config.service eks-node-agent-run.service containerd.service kubelet.service multi-user.target',
    );
    expect(!after.includes('eks-node-prefetch'), 'a unit on the boot path is ordered after eks-node-prefetch.service');
    const journal = await sshOk(vm, 'journalctl -b -u eks-node-prefetch.service -o cat --no-pager | grep "^prefetch:"');
    return `${journal.trim()}; ran ${secs(start)}-${secs(end)} after kernel start; config phase started ${secs(configStart)}, run phase ${secs(runStart)}`;
  });
  await checks.check("image: the config phase waits for the network, not for cloud-init's network stage", async () => {
    // Debian orders cloud-init's network stage before sysinit.target: with default dependencies
    // the config phase would start only once that stage (seconds of Python) had finished.
    const after = (await sshOk(vm, 'systemctl show -p After --value eks-node-agent-config.service')).trim().split(/\s+/);
    for (const unit of ['sysinit.target', 'basic.target', 'cloud-init.service', 'network-online.target']) {
      expect(!after.includes(unit), `eks-node-agent-config.service is ordered after ${unit}`);
    }
    expect(
      after.includes('systemd-networkd-wait-online.service'),
      `eks-node-agent-config.service is not ordered after the network's wait-online: ${after.join(' ')}`,
    );
    const config = await unitState(vm, 'eks-node-agent-config.service');
    const cloudInit = await unitState(vm, 'cloud-init.service', ['ExecMainExitTimestampMonotonic']);
    const configStart = Number(config.ExecMainStartTimestampMonotonic);
    const cloudInitEnd = Number(cloudInit.ExecMainExitTimestampMonotonic);
    expect(configStart > 0 && cloudInitEnd > 0, `start timestamps: config phase ${configStart} µs, cloud-init.service ended ${cloudInitEnd} µs`);
    expect(configStart < cloudInitEnd, `the config phase started at ${secs(configStart)}, after cloud-init's network stage ended at ${secs(cloudInitEnd)}`);
    return `config phase started ${secs(configStart)} after kernel start, beside cloud-init's network stage (ended ${secs(cloudInitEnd)})`;
  });
}

/**
 * SSH host keys: Ed25519 and ECDSA made before sshd, RSA after it. On Debian multi-user.target
 * waits for sshd and cloud-final for multi-user.target, so a key made before sshd delays the
 * run phase of every boot that waits for cloud-final: the RSA unit must be on no such path.
 */
export async function checkSshHostKeys(checks: Checks, vm: SshTarget): Promise<void> {
  await checks.check('image: SSH host keys: Ed25519 and ECDSA before sshd, RSA after it, off the boot path', async () => {
    const rsa = 'eks-node-ssh-keygen-rsa.service';
    for (const target of ['multi-user.target', 'cloud-final.service', 'ssh.service']) {
      const after = await sshOk(vm, `systemctl show -p After --value ${target}`);
      expect(!after.split(/\s+/).includes(rsa), `${target} is ordered after ${rsa}`);
    }
    // The RSA key takes seconds under TCG; the case's other checks usually outlast it.
    let unit = await unitState(vm, rsa, ['ExecMainExitTimestampMonotonic']);
    for (let i = 0; i < 120 && unit.ActiveState === 'activating'; i++) {
      await sleep(1_000);
      unit = await unitState(vm, rsa, ['ExecMainExitTimestampMonotonic']);
    }
    const sshUp = (await unitState(vm, 'ssh.service', ['ActiveEnterTimestampMonotonic'])).ActiveEnterTimestampMonotonic;
    await sshOk(vm, 'ls /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ecdsa_key /etc/ssh/ssh_host_rsa_key');
    const { Result: result, ExecMainStartTimestampMonotonic: rsaStart, ExecMainExitTimestampMonotonic: rsaEnd } = unit;
    expect(result === 'success', `${rsa}: ${unit.ActiveState}, result ${result}`);
    expect(Number(rsaStart) >= Number(sshUp) && Number(sshUp) > 0, `${rsa} started at ${rsaStart} µs, sshd was up at ${sshUp} µs`);
    return `sshd up at ${secs(sshUp)} with Ed25519 and ECDSA; RSA made ${secs(rsaStart)}-${secs(rsaEnd)}, nothing ordered after it`;
  });
}

/**
 * A firewall that sets FORWARD to DROP after boot: `doctor` fails its forward-policy line (real
 * iptables, as root), and the kubelet's next restart undoes it (eks-node-forward-accept.service
 * is PartOf the kubelet). Restarts the kubelet: run it after every check that reads the kubelet's
 * first start. `doctor` is the command line that runs the doctor with JSON output.
 */
export async function checkForwardPolicyOnRestart(checks: Checks, vm: SshTarget, doctor: { command: string; timeoutMs: number }): Promise<void> {
  await checks.check('image: FORWARD policy DROP after boot: doctor fails it, the next kubelet restart sets ACCEPT (ip6tables too)', async () => {
    // ip6tables as well: the unit sets both (doctor judges ip6tables on an IPv6 cluster only; this one is IPv4)
    await sshOk(vm, 'iptables -w 5 -P FORWARD DROP && ip6tables -w 5 -P FORWARD DROP');
    const r = await ssh(vm, doctor.command, doctor.timeoutMs);
    type Line = { name: string; status?: string; detail?: string; hint?: string };
    let line: Line | undefined;
    try {
      line = (JSON.parse(r.stdout) as Line[]).find((c) => c.name === 'forward-policy');
    } catch {
      line = undefined;
    }
    expect(line !== undefined, `doctor printed no forward-policy line (exit ${r.exitCode}):\n${r.stdout}${r.stderr}`);
    expect(r.exitCode === 1 && line?.status === 'fail', `doctor exited ${r.exitCode} with forward-policy ${JSON.stringify(line)}`);
    expect(line?.detail?.includes('eks-node-forward-accept.service set ACCEPT when the kubelet last started') === true, `forward-policy: ${line?.detail}`);
    // The unit runs beside the kubelet's start, not before it, so `systemctl restart` may return
    // before the policy is set: poll for it (up to 60 s, far beyond the half second it takes
    // under emulation).
    const again = await sshOk(
      vm,
      'systemctl restart kubelet.service || exit 1; for i in $(seq 300); do p=$(iptables -w 5 -S FORWARD | head -n 1); p6=$(ip6tables -w 5 -S FORWARD | head -n 1); [ "$p $p6" = "-P FORWARD ACCEPT -P FORWARD ACCEPT" ] && break; sleep 0.2; done; echo "$p"; echo "$p6"; echo "$i"',
    );
    const [policyAgain, policy6Again, polls] = again.trim().split('\n');
    expect(policyAgain === '-P FORWARD ACCEPT', `after -P FORWARD DROP and a kubelet restart, iptables FORWARD: ${policyAgain}`);
    expect(policy6Again === '-P FORWARD ACCEPT', `after -P FORWARD DROP and a kubelet restart, ip6tables FORWARD: ${policy6Again}`);
    return `DROP: doctor exit 1, forward-policy fail (${line?.detail}); kubelet restart: ACCEPT again for iptables and ip6tables (read ${polls} time(s))`;
  });
}

/**
 * A host firewall rule that rejects IMDS after boot: `doctor`'s imds line fails within seconds
 * naming the refusal (it does not wait out --timeout), and (as root, the real file the config
 * unit kept under /run) the config, the node name and the files are still judged from this
 * boot's answers. `doctor` is the command line that runs the doctor with JSON output.
 */
export async function checkDoctorWithoutImds(checks: Checks, vm: SshTarget, doctor: { command: string; timeoutMs: number }): Promise<void> {
  await checks.check(
    "doctor with IMDS rejected after boot: imds fails naming the refusal; config, node-name and files judged from this boot's kept answers",
    async () => {
      const rule = 'OUTPUT -d 169.254.169.254 -p tcp -j REJECT --reject-with tcp-reset';
      await sshOk(vm, `iptables -w 5 -I ${rule}`);
      let r;
      const started = Date.now();
      try {
        r = await ssh(vm, doctor.command, doctor.timeoutMs);
      } finally {
        await sshOk(vm, `iptables -w 5 -D ${rule}`);
      }
      const seconds = Math.round((Date.now() - started) / 1000);
      type Line = { name: string; status?: string; detail?: string; hint?: string };
      let lines: Line[] = [];
      try {
        lines = JSON.parse(r.stdout) as Line[];
      } catch {
        lines = [];
      }
      const by = (name: string) => lines.find((c) => c.name === name);
      expect(lines.length > 0, `doctor printed no JSON (exit ${r.exitCode}):\n${r.stdout}${r.stderr}`);
      const imds = by('imds');
      expect(r.exitCode === 1 && imds?.status === 'fail', `doctor exited ${r.exitCode} with imds ${JSON.stringify(imds)}`);
      expect(imds?.detail?.includes('the connection was refused 5 times in a row (ECONNREFUSED)') === true, `imds: ${imds?.detail}`);
      expect(
        `${imds?.detail} ${imds?.hint}`.includes("the checks that need the instance's answers took this boot's, kept in /run/eks-node-agent/imds-answers.json"),
        `the imds line does not name the kept answers: ${JSON.stringify(imds)}`,
      );
      for (const name of ['config', 'node-name', 'files']) {
        expect(by(name)?.status === 'ok', `${name}: ${JSON.stringify(by(name))}`);
      }
      return `imds fail (doctor's run took ${seconds} s over ssh); config ok (${by('config')?.detail}); node-name ok (${by('node-name')?.detail}); files ok (${by('files')?.detail})`;
    },
  );
}

/**
 * An instance without IPv4 (an IPv6-only subnet), as far as IMDS is concerned: a routing rule
 * gives root's connections to 169.254.169.254 no route (ENETUNREACH, as an instance without an
 * IPv4 address gets), and IMDS answers at [fd00:ec2::254], where socat, run as nobody (whose
 * route the rule leaves alone), forwards to the emulator. With no endpoint or mode named,
 * `config check` reads the user data there and says so once, and doctor's imds line names the
 * endpoint that answered and warns that the kubelet's credential helpers were not told, until a
 * drop-in the agent did not write (as an image or configuration management would) tells them,
 * which doctor reads from systemd. Undone before the next check.
 */
export async function checkImdsWithoutIpv4Route(
  checks: Checks,
  vm: SshTarget,
  commands: { check: string; doctor: string; dryRun: string; timeoutMs: number },
): Promise<void> {
  await checks.check('IMDS with no IPv4 route: config check, doctor and init read it at [fd00:ec2::254], no mode named, and say so', async () => {
    const rule = 'to 169.254.169.254 uidrange 0-0 unreachable priority 100';
    const forward = "socat TCP6-LISTEN:80,bind='[fd00:ec2::254]',fork,reuseaddr TCP4:169.254.169.254:80";
    const dropIns = '/etc/systemd/system/kubelet.service.d';
    const baked = `${dropIns}/10-imds-mode.conf`;
    let r;
    let doctor;
    let plan;
    let told;
    let shown;
    try {
      await sshOk(
        vm,
        [
          'ip -6 addr add fd00:ec2::254/128 dev lo',
          `ip rule add ${rule}`,
          // nobody may bind port 80 while socat starts; its connections keep the IPv4 route
          'was=$(sysctl -n net.ipv4.ip_unprivileged_port_start) && sysctl -qw net.ipv4.ip_unprivileged_port_start=80',
          `(runuser -u nobody -- ${forward} </dev/null >/dev/null 2>&1 &)`,
          // listening (a busy TCG guest may take seconds), then the port floor back as it was
          "for i in $(seq 100); do ss -Hltn 'sport = :80' | grep -q 'fd00:ec2::254' && break; sleep 0.2; done",
          'sysctl -qw net.ipv4.ip_unprivileged_port_start=$was',
          "ss -Hltn 'sport = :80' | grep -q 'fd00:ec2::254'",
        ].join(' && '),
      );
      r = await ssh(vm, commands.check, 120_000);
      doctor = await ssh(vm, commands.doctor, commands.timeoutMs);
      plan = await ssh(vm, commands.dryRun, 120_000);
      shown = await sshOk(
        vm,
        `mkdir -p ${dropIns} && printf '[Service]\\nEnvironment="NO_PROXY=a, b" AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6\\n' >${baked} && systemctl daemon-reload && systemctl show kubelet.service --property=Environment`,
      );
      told = await ssh(vm, commands.doctor, commands.timeoutMs);
    } finally {
      await ssh(
        vm,
        `pkill -u nobody -f 'socat TCP6-LISTEN:80'; ip rule del ${rule}; ip -6 addr del fd00:ec2::254/128 dev lo; rm -f ${baked}; rmdir --ignore-fail-on-non-empty ${dropIns}; systemctl daemon-reload`,
      );
    }
    const notes = r.stderr.split('\n').filter((l) => l.includes('IMDS answered at'));
    expect(r.exitCode === 0, `exit ${r.exitCode}:\n${r.stdout}${r.stderr}`);
    expect(
      notes.length === 1 && notes[0]!.includes('IMDS answered at http://[fd00:ec2::254], not at http://169.254.169.254, which has no route (ENETUNREACH)'),
      `the note on the fallback, once:\n${r.stderr}`,
    );
    const report = (out: string): Array<{ name: string; status?: string; detail?: string }> => {
      try {
        return JSON.parse(out) as Array<{ name: string; status?: string; detail?: string }>;
      } catch {
        return [];
      }
    };
    const lines = report(doctor.stdout);
    const imds = lines.find((c) => c.name === 'imds');
    // the case's user data gives the kubelet no IMDS mode: its credential helpers would ask IPv4
    expect(
      imds?.status === 'warn' &&
        imds.detail?.startsWith('IMDSv2 token and identity (at http://[fd00:ec2::254]: http://169.254.169.254 has no route') === true &&
        imds.detail.endsWith('so its credential helpers (aws-iam-authenticator, ecr-credential-provider) ask http://169.254.169.254'),
      `doctor's imds line (exit ${doctor.exitCode}): ${JSON.stringify(imds)}\n${doctor.stderr}`,
    );
    for (const name of ['config', 'node-name']) {
      const line = lines.find((c) => c.name === name);
      expect(line?.status === 'ok', `doctor's ${name} line: ${JSON.stringify(line)}`);
    }
    // doctor's files line judges the files against this boot's kept answers, read over IPv4
    const files = lines.find((c) => c.name === 'files');
    expect(files?.status === 'ok', `doctor's files line, judged by this boot's answers: ${JSON.stringify(files)}`);
    // what init would write now, with IMDS answering over IPv6 alone: the kubelet told the mode
    const dropIn = plan.stdout.split('\n').find((l) => l.endsWith(' /etc/systemd/system/kubelet.service.d/environment.conf'));
    expect(
      plan.exitCode === 0 && dropIn?.startsWith('file 0600 ') === true,
      `init --dry-run plans the kubelet's environment drop-in (exit ${plan.exitCode}):\n${plan.stdout}${plan.stderr}`,
    );
    // a drop-in the agent did not write tells the kubelet: doctor takes systemd's word for it
    const toldImds = report(told.stdout).find((c) => c.name === 'imds');
    expect(
      toldImds?.status === 'ok' && toldImds.detail?.startsWith('IMDSv2 token and identity (at http://[fd00:ec2::254]') === true,
      `doctor's imds line with ${baked} (${shown.trim()}; exit ${told.exitCode}): ${JSON.stringify(toldImds)}\n${told.stderr}`,
    );
    const direct = await ssh(vm, 'ip rule show | grep -c uidrange; true');
    expect(direct.stdout.trim() === '0', `the routing rule was left behind:\n${direct.stdout}`);
    return `${r.stdout.trim().split('\n')[0]}; ${notes[0]!.replace(/^.*note: /, 'note: ')}; doctor: imds warn (${imds.detail}); init --dry-run: ${dropIn}; with ${baked} (systemd: ${shown.trim()}): imds ok`;
  });
}

/** The kubelet (test double) got the cgroup settings that match runtime.slice. */
export async function checkRuntimeCgroups(checks: Checks, vm: SshTarget): Promise<void> {
  await checks.check('kubelet: --runtime-cgroups=/runtime.slice/containerd.service, kubeReservedCgroup /runtime, systemReservedCgroup /system', async () => {
    const argv = await sshOk(vm, 'tr "\\0" "\\n" </proc/$(systemctl show -p MainPID --value kubelet.service)/cmdline');
    expect(argv.split('\n').includes('--runtime-cgroups=/runtime.slice/containerd.service'), `the kubelet double's arguments:\n${argv}`);
    const config = JSON.parse(await sshOk(vm, 'cat /etc/kubernetes/kubelet/config.json')) as Record<string, unknown>;
    expect(config.kubeReservedCgroup === '/runtime', `kubeReservedCgroup ${JSON.stringify(config.kubeReservedCgroup)}`);
    expect(config.systemReservedCgroup === '/system', `systemReservedCgroup ${JSON.stringify(config.systemReservedCgroup)}`);
    return 'as the image places containerd and the kubelet';
  });
}

/**
 * A NIC present at boot is configured by networkd; one hot-plugged after the run phase is
 * marked late by the udev hook and stays unmanaged, while the stand-in catch-all .network
 * (amazon-ec2-net-utils' role) would otherwise configure it.
 */
export async function checkSecondaryNics(checks: Checks, vm: SshTarget, monitorSocket: string): Promise<void> {
  await checks.check('secondary ENI present at boot: networkd configured it, eks-node-interfaces.service recorded it', async () => {
    const name = await interfaceOf(vm, BOOT_NIC_MAC);
    expect(name, `no interface with MAC ${BOOT_NIC_MAC}`);
    const state = (await links(vm))[name];
    expect(state?.[1] === 'configured', `${name}: networkctl says ${state?.join('/')}`);
    const addr = await sshOk(vm, `ip -4 -o addr show dev ${name}`);
    expect(/inet 10\.0\.3\.\d+/.test(addr), `${name} has no 10.0.3.x address: ${addr}`);
    const record = await sshOk(vm, 'cat /var/lib/eks-node/boot-interfaces');
    expect(record.split('\n').includes(BOOT_NIC_MAC), `boot-interfaces record: ${record}`);
    // recorded before the kubelet (and so the CNI) could start
    const show = await sshOk(
      vm,
      'systemctl show -p ExecMainExitTimestampMonotonic --value eks-node-interfaces.service; systemctl show -p ExecMainStartTimestampMonotonic --value kubelet.service',
    );
    const [recorded, kubelet] = show.trim().split('\n').map(Number);
    expect(recorded! > 0 && kubelet! > recorded!, `eks-node-interfaces.service finished at ${recorded} µs, the kubelet started at ${kubelet} µs`);
    return `${name} ${state.join('/')}, ${/inet (\S+)/.exec(addr)?.[1]}; recorded ${((kubelet! - recorded!) / 1e6).toFixed(1)} s before the kubelet started`;
  });
  await checks.check('secondary ENI hot-plugged after the run phase: networkd leaves it to the CNI', async () => {
    const answer = await hmp(monitorSocket, `device_add virtio-net-pci,netdev=net2,bus=hotplug0,id=late0,mac=${LATE_NIC_MAC}`);
    expect(!/error/i.test(answer), `device_add: ${answer}`);
    let name: string | undefined;
    for (let i = 0; i < 90 && !name; i++) {
      name = await interfaceOf(vm, LATE_NIC_MAC);
      if (!name) await sleep(1_000);
    }
    expect(name, `no interface with MAC ${LATE_NIC_MAC} within 90s of device_add`);
    // Give networkd time it would need to configure the link (the boot NIC took ~1 s).
    let state: [string, string] | undefined;
    for (let i = 0; i < 20; i++) {
      state = (await links(vm))[name];
      if (state && state[1] !== 'pending' && state[1] !== 'initialized') break;
      await sleep(1_000);
    }
    await sleep(10_000);
    state = (await links(vm))[name];
    const props = await sshOk(vm, `udevadm info -q property /sys/class/net/${name}`);
    expect(/^EKS_NODE_INTERFACE=late$/m.test(props), `${name} was not marked late by the udev hook:\n${props}`);
    expect(state?.[1] === 'unmanaged', `${name}: networkctl says ${state?.join('/')}, expected unmanaged`);
    const addr = await sshOk(vm, `ip -4 -o addr show dev ${name}`);
    expect(addr.trim() === '', `${name} got an address: ${addr}`);
    return `${name} ${state.join('/')}, no address, EKS_NODE_INTERFACE=late`;
  });
}
