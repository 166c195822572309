import { describe, expect, it } from 'vitest';
import { decideReservedMemory } from '../../src/render/reserved-memory.js';

// The agent's settings on an m5.large with 29 pods: 255 MiB + 11 MiB a pod, and the 100Mi hard threshold.
const AGENT = { kubeReserved: { cpu: '70m', memory: '574Mi' }, evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '10%' } };
const STATIC = { memoryManagerPolicy: 'Static' };

describe('reservedMemory for the Static memory manager', () => {
  it('writes what node allocatable reserves on this instance, all on NUMA node 0, when the user leaves it out', () => {
    expect(decideReservedMemory(AGENT, STATIC, [])).toEqual({ reservedMemory: [{ numaNode: 0, limits: { memory: '674Mi' } }], warnings: [] });
    // the user's reservations merge over the agent's key by key, as the kubelet merges its drop-in
    const user = { ...STATIC, kubeReserved: { memory: '1Gi' }, systemReserved: { memory: '0.5Gi' }, evictionHard: { 'memory.available': '200Mi' } };
    expect(decideReservedMemory(AGENT, user, []).reservedMemory).toEqual([{ numaNode: 0, limits: { memory: '1736Mi' } }]);
    // decimal units sum exactly; "0%" turns the eviction threshold off
    const decimal = { ...STATIC, kubeReserved: { memory: '1G' }, evictionHard: { 'memory.available': '0%' } };
    expect(decideReservedMemory(AGENT, decimal, []).reservedMemory).toEqual([{ numaNode: 0, limits: { memory: '1000000000' } }]);
  });

  it('leaves everything alone without the Static policy, or when a flag sets the policy or the reservation', () => {
    expect(decideReservedMemory(AGENT, { memoryManagerPolicy: 'None' }, [])).toEqual({ warnings: [] });
    expect(decideReservedMemory(AGENT, undefined, [])).toEqual({ warnings: [] });
    expect(decideReservedMemory(AGENT, STATIC, ['--memory-manager-policy=None'])).toEqual({ warnings: [] });
    expect(decideReservedMemory(AGENT, STATIC, ['--reserved-memory=0:memory=1Gi'])).toEqual({ warnings: [] });
  });

  it('warns when it cannot know the reservation: a percentage threshold, or a flag setting part of it', () => {
    const percent = decideReservedMemory(AGENT, { ...STATIC, evictionHard: { 'memory.available': '5%' } }, []);
    expect(percent.reservedMemory).toBeUndefined();
    expect(percent.warnings).toEqual([
      expect.stringMatching(
        /^spec\.kubelet\.config\.memoryManagerPolicy: "Static" needs reservedMemory .* cannot compute here \(hard eviction memory\.available is a percentage \("5%"\) of memory only the kubelet measures\)/,
      ),
    ]);
    expect(decideReservedMemory(AGENT, STATIC, ['--kube-reserved=memory=1Gi']).warnings).toEqual([
      expect.stringMatching(/cannot compute here \(a flag in spec\.kubelet\.flags sets part of it\)/),
    ]);
  });

  it("judges the user's own reservedMemory against this instance's reservation", () => {
    const split = [
      { numaNode: 0, limits: { memory: '337Mi' } },
      { numaNode: 1, limits: { memory: '337Mi' } },
    ];
    expect(decideReservedMemory(AGENT, { ...STATIC, reservedMemory: split }, [])).toEqual({ warnings: [] });
    expect(decideReservedMemory(AGENT, { ...STATIC, reservedMemory: [{ numaNode: 0, limits: { memory: '1Gi' } }] }, [])).toEqual({
      warnings: [
        'spec.kubelet.config.reservedMemory: reserves 1Gi of memory in all, but node allocatable reserves 674Mi on this instance (kubeReserved memory 574Mi + hard eviction memory.available 100Mi), and with memoryManagerPolicy "Static" the kubelet stops at start (expected a total of 674Mi, or no reservedMemory: the agent then writes this instance\'s)',
      ],
    });
  });
});
