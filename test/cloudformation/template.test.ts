import { describe, expect, it } from 'vitest';
import { readTemplate, subReferences, userDataTemplate } from '../support/cloudformation.js';

/*
 * The node group template's structure, checked without AWS: every reference resolves. That its
 * user data passes ShellCheck is in template-shellcheck.tools.test.ts (ShellCheck is an apt tool).
 */

const PSEUDO = ['AWS::AccountId', 'AWS::NoValue', 'AWS::NotificationARNs', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix'];

/** Every intrinsic function call in a value, with its name and argument. */
function* intrinsics(value: unknown, path = ''): Generator<{ fn: string; arg: unknown; path: string }> {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* intrinsics(v, `${path}[${i}]`);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' || k === 'Condition' || k.startsWith('Fn::')) yield { fn: k, arg: v, path };
      yield* intrinsics(v, `${path}.${k}`);
    }
  }
}

describe('cloudformation/eks-nodegroup.yaml', () => {
  const template = readTemplate();
  const parameters = Object.keys(template.Parameters);
  const resources = Object.keys(template.Resources);
  const conditions = Object.keys(template.Conditions ?? {});

  it('has the classic parameters and a launch template with an Auto Scaling group', () => {
    for (const p of ['ClusterName', 'BootstrapArguments', 'NodeImageId', 'NodeInstanceType', 'Subnets', 'NodeSecurityGroup', 'NodeInstanceProfile'])
      expect(parameters).toContain(p);
    expect(template.Resources.NodeLaunchTemplate?.Type).toBe('AWS::EC2::LaunchTemplate');
    expect(template.Resources.NodeGroup?.Type).toBe('AWS::AutoScaling::AutoScalingGroup');
  });

  it('resolves every Ref, GetAtt, Sub variable and condition to a parameter, resource or pseudo parameter', () => {
    const unresolved: string[] = [];
    const known = (name: string) => parameters.includes(name) || resources.includes(name) || PSEUDO.includes(name);
    let seen = 0;
    for (const { fn, arg, path } of intrinsics(template)) {
      seen++;
      if (fn === 'Ref' && !known(String(arg))) unresolved.push(`${path}: Ref ${String(arg)}`);
      if (fn === 'Fn::GetAtt' && !resources.includes(String((arg as unknown[])[0]))) unresolved.push(`${path}: GetAtt ${String(arg)}`);
      if (fn === 'Fn::If' && !conditions.includes(String((arg as unknown[])[0]))) unresolved.push(`${path}: If ${String((arg as unknown[])[0])}`);
      if (fn === 'Fn::Sub') {
        const [text, vars] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
        for (const ref of subReferences(text)) {
          const name = ref.split('.')[0] as string;
          if (!(ref in vars) && !known(ref) && !(ref.includes('.') && resources.includes(name))) unresolved.push(`${path}: Sub \${${ref}}`);
        }
      }
    }
    expect(seen).toBeGreaterThan(10);
    expect(unresolved).toEqual([]);
  });

  it('signals the Auto Scaling group it creates, with the exit code of bootstrap.sh', () => {
    const script = userDataTemplate(template);
    expect(script).toMatch(/^\/etc\/eks\/bootstrap\.sh \$\{ClusterName\} \$\{BootstrapArguments\}$/m);
    expect(script).toMatch(/cfn-signal --exit-code \$\? [\s\S]*--resource NodeGroup/);
    expect(template.Resources.NodeGroup?.CreationPolicy).toBeDefined();
  });
});
