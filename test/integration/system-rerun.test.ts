import { describe, expect, it } from 'vitest';
import { onlyTimeouts } from '../system/rerun.js';

describe('the VM system test re-runs a failed case once only when it failed on a deadline', () => {
  it.each([
    [['node Ready: not within 480s'], true],
    [['ssh: `journalctl -b 0` did not finish within 60s'], true],
    [
      [
        'eks-node-agent doctor: all ok: doctor exited 1:\nok      imds  fine\ntimeout tls   no result within the run deadline (--timeout 180s)\n0 failed, 1 timed out, 15 ok, 0 skipped',
      ],
      true,
    ],
    [['eks-node-agent doctor: all ok: doctor exited 1:\nfail    auth  401\ntimeout tls   no result within'], false],
    [['files on disk match eks-node-agent render: 1 file differs'], false],
    [['node Ready: not within 480s', 'kubelet flags: --node-labels missing'], false],
    [[], false],
  ])('%j -> %s', (failures, expected) => {
    expect(onlyTimeouts(failures)).toBe(expected);
  });
});
