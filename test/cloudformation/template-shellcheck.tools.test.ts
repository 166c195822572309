import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { sampleUserData } from '../support/cloudformation.js';

/* The node group template's user data is a shell script ShellCheck accepts once CloudFormation has filled it in. */

describe('cloudformation/eks-nodegroup.yaml user data', () => {
  it.each([
    ['no bootstrap arguments', ''],
    ['kubelet extra args', `--kubelet-extra-args '--node-labels=nodegroup=classic --max-pods=17'`],
    ['use-max-pods false', '--use-max-pods false --kubelet-extra-args --max-pods=110'],
  ])('user data passes ShellCheck once filled in (%s)', (_, args) => {
    const script = sampleUserData({ ClusterName: 'my-cluster', BootstrapArguments: args });
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    // exit status 0 with no output: any finding fails the test with its text
    expect(execFileSync('shellcheck', ['--severity=style', '-'], { input: script, encoding: 'utf8' })).toBe('');
  });
});
