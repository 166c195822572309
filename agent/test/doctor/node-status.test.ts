import { describe, expect, it } from 'vitest';
import type { NodeObject } from '../../src/doctor/api-objects.js';
import { KARPENTER_UNREGISTERED_TAINT, UNINITIALIZED_TAINT, secondsSince, stuckTaints } from '../../src/doctor/node-status.js';

const PROVIDER_ID = 'aws:///us-west-2a/i-0123456789abcdef0';
const now = new Date('2026-12-05T10:20:00Z');
const node = (taints: string[], createdSecondsAgo: number, providerID = PROVIDER_ID): NodeObject => ({
  metadata: { name: 'ip-10-0-1-23.us-west-2.compute.internal', creationTimestamp: new Date(now.getTime() - createdSecondsAgo * 1000).toISOString() },
  spec: { providerID, taints: taints.map((key) => ({ key, effect: 'NoSchedule' })) },
});

describe('stuckTaints', () => {
  it('leaves the taints alone in the first two minutes after registration', () => {
    expect(stuckTaints(node([UNINITIALIZED_TAINT, KARPENTER_UNREGISTERED_TAINT], 60), now, PROVIDER_ID)).toEqual([]);
  });

  it("names the cloud controller's taint left on, and a providerID that is not the instance's", () => {
    const [right] = stuckTaints(node([UNINITIALIZED_TAINT, 'dedicated'], 600), now, PROVIDER_ID);
    expect(right).toMatchObject({
      key: UNINITIALIZED_TAINT,
      found: `tainted ${UNINITIALIZED_TAINT} 600 s after registration: the cloud controller has not initialized it`,
    });
    expect(right!.hint).toContain('--hostname-override');
    const [wrong] = stuckTaints(node([UNINITIALIZED_TAINT], 600, 'aws:///us-west-2a/i-0fedcba987654321'), now, PROVIDER_ID);
    expect(wrong!.found).toContain(`(its providerID is "aws:///us-west-2a/i-0fedcba987654321", not ${PROVIDER_ID})`);
    expect(wrong!.hint).toContain('must be aws:///us-west-2a/i-0123456789abcdef0');
  });

  it("names Karpenter's taint left on; a node without either is fine", () => {
    expect(stuckTaints(node([KARPENTER_UNREGISTERED_TAINT], 300), now, PROVIDER_ID).map((t) => t.found)).toEqual([
      `tainted ${KARPENTER_UNREGISTERED_TAINT} 300 s after registration: Karpenter has not matched the Node to its NodeClaim`,
    ]);
    expect(stuckTaints(node(['dedicated'], 3600), now, PROVIDER_ID)).toEqual([]);
  });
});

describe('secondsSince', () => {
  it('counts whole seconds from an API timestamp, and nothing for none or one that does not parse', () => {
    expect(secondsSince('2026-12-05T10:18:59.5Z', now)).toBe(60);
    expect(secondsSince(undefined, now)).toBeUndefined();
    expect(secondsSince('yesterday-ish', now)).toBeUndefined();
  });
});
