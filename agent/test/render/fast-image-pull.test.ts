import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { render } from '../../src/render/index.js';
import { decideFastImagePull, SOCI } from '../../src/render/fast-image-pull.js';
import { type TestCert, createTestCa } from '../../../test/support/pki.js';
import { baseConfig, baseFacts } from './fixtures.js';
import { loadCel } from '../../src/api/cel.js';
import type { Facts } from '../../src/facts/types.js';

beforeAll(loadCel);

let ca: TestCert;
beforeAll(async () => {
  ca = await createTestCa();
});

const GATE = { FastImagePull: true };
/** m5.xlarge as the kernel shows it: 4 vCPUs, MemTotal a little under its 16 GiB */
const big = (more: Partial<Facts['instance']> = {}): Facts => ({ ...baseFacts({ cpuMillicores: 4000, memoryMiB: 15_600, ...more }), sociSnapshotter: true });

function file(plan: ReturnType<typeof render>, path: string): string | undefined {
  return plan.files.find((x) => x.path === path)?.content;
}

describe('decideFastImagePull', () => {
  it('takes the gate on 4 vCPUs and 7 GiB or more, on an image with the SOCI snapshotter', () => {
    expect(decideFastImagePull(GATE, big())).toEqual({ use: true });
    // c5.xlarge: 8 GiB, of which the kernel shows about 7.4
    expect(decideFastImagePull(GATE, big({ memoryMiB: 7 * 1024 }))).toEqual({ use: true });
  });

  it('is off without the gate, or with it false, and says nothing', () => {
    expect(decideFastImagePull(undefined, big())).toEqual({ use: false });
    expect(decideFastImagePull({ FastImagePull: false }, big())).toEqual({ use: false });
    expect(decideFastImagePull({ InstanceIdNodeName: true }, big())).toEqual({ use: false });
  });

  it('names what the instance lacks when it is too small, in a note: a fleet may turn the gate on for every size', () => {
    const small = decideFastImagePull(GATE, big({ cpuMillicores: 2000, memoryMiB: 3800 }));
    expect(small).toEqual({
      use: false,
      note: 'spec.featureGates.FastImagePull: not taken on this instance (2 vCPUs and 3.7 GiB of memory; parallel pulls need at least 4 vCPUs and 7 GiB): images are pulled as without the gate',
    });
    expect(decideFastImagePull(GATE, big({ memoryMiB: 7 * 1024 - 1 })).note).toMatch(/\(7\.0 GiB of memory; /);
    expect(decideFastImagePull(GATE, big({ cpuMillicores: 3999 })).note).toMatch(/\(3\.999 vCPUs; /);
  });

  it('is not taken on an image without the snapshotter, whatever the instance', () => {
    const { sociSnapshotter: _, ...without } = big();
    const d = decideFastImagePull(GATE, without);
    expect(d.use).toBe(false);
    expect(d.note).toBeUndefined();
    expect(d.warning).toBe(
      'spec.featureGates.FastImagePull: not taken: this image has no SOCI snapshotter (/usr/bin/soci-snapshotter-grpc): images are pulled as without the gate',
    );
  });
});

describe('render with FastImagePull', () => {
  it('containerd 2 (version 3): the images plugin pulls through soci, served by the proxy plugin', () => {
    const plan = render(baseConfig(ca.certBase64, { featureGates: GATE }), big({ containerdVersion: '2.1.0' }));
    const toml = parse(file(plan, '/etc/containerd/config.toml')!) as Record<string, Record<string, Record<string, unknown>>>;
    expect(toml.plugins!['io.containerd.cri.v1.images']).toMatchObject({
      snapshotter: 'soci',
      disable_snapshot_annotations: false,
      discard_unpacked_layers: true,
    });
    expect(toml.plugins!['io.containerd.cri.v1.runtime']).not.toHaveProperty('snapshotter');
    expect(toml.proxy_plugins).toEqual({ soci: { type: 'snapshot', address: SOCI.socket, exports: { root: SOCI.root } } });
    // containerd 2's ctr imports through the transfer service unless told --local
    expect(file(plan, SOCI.containerdDropIn)).toContain('/usr/bin/ctr --namespace k8s.io images import --local --snapshotter soci /etc/eks/pause-image.tar');
    expect(plan.warnings).toEqual([]);
  });

  it('the kubelet asks the snapshotter for images; the user fragment still wins', () => {
    const kubelet = (spec: Parameters<typeof baseConfig>[1]) =>
      JSON.parse(file(render(baseConfig(ca.certBase64, spec), big()), '/etc/kubernetes/kubelet/config.json')!) as Record<string, unknown>;
    expect(kubelet({ featureGates: GATE }).imageServiceEndpoint).toBe(`unix://${SOCI.socket}`);
    expect(kubelet({}).imageServiceEndpoint).toBeUndefined();
  });

  it('restarts the snapshotter when its configuration changed, before containerd, which restarts for the drop-in', () => {
    const plan = render(baseConfig(ca.certBase64, { featureGates: GATE }), big());
    const restarts = plan.units.flatMap((a) => (a.kind === 'restart' ? [a.unit] : []));
    expect(restarts).toEqual(['soci-snapshotter.service', 'containerd.service', 'kubelet.service']);
    const containerd = plan.units.find((a) => a.kind === 'restart' && a.unit === 'containerd.service');
    expect(containerd && 'triggeredBy' in containerd ? containerd.triggeredBy : []).toContain(SOCI.containerdDropIn);
    expect(plan.units[0]).toEqual({ kind: 'daemon-reload', triggeredBy: [SOCI.containerdDropIn] });
    expect(file(plan, SOCI.config)).toMatch(/\[pull_modes\.parallel_pull_unpack\]\nenable = true\n/);
    expect(() => parse(file(plan, SOCI.config)!)).not.toThrow();
  });

  it('writes nothing of SOCI where the gate is not taken, and says why: a note for a small instance, a warning for an image without it', () => {
    const small = render(baseConfig(ca.certBase64, { featureGates: GATE }), big({ cpuMillicores: 2000 }));
    expect(small.files.some((f) => f.path.includes('soci'))).toBe(false);
    expect(file(small, '/etc/containerd/config.toml')).not.toContain('soci');
    expect(small.units.some((a) => a.kind === 'restart' && a.unit === SOCI.unit)).toBe(false);
    expect(small.warnings).toEqual([]);
    expect(small.notes).toEqual([expect.stringMatching(/^spec\.featureGates\.FastImagePull: not taken on this instance \(2 vCPUs;/)]);
    const { sociSnapshotter: _, ...bare } = big();
    const without = render(baseConfig(ca.certBase64, { featureGates: GATE }), bare);
    expect(without.notes).toBeUndefined();
    expect(without.warnings).toEqual([expect.stringMatching(/^spec\.featureGates\.FastImagePull: not taken: this image has no SOCI snapshotter/)]);
    // no gate, nothing to say
    expect(render(baseConfig(ca.certBase64), big()).notes).toBeUndefined();
  });
});
