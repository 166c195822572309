import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type ScalarTag, type CollectionTag } from 'yaml';
import { REPO } from './agent.js';

/**
 * Reads cloudformation/eks-nodegroup.yaml the way CloudFormation does: YAML whose short-form
 * intrinsic functions (`!Ref X`, `!GetAtt A.B`, `!Sub ...`) become their long forms
 * (`{ Ref: X }`, `{ 'Fn::GetAtt': [A, B] }`, ...). Shared by the template check and the VM
 * case that boots a node with the template's user data.
 */
export const TEMPLATE_PATH = join(REPO, 'cloudformation/eks-nodegroup.yaml');

const FUNCTIONS = ['Base64', 'Cidr', 'FindInMap', 'GetAZs', 'If', 'ImportValue', 'Join', 'Select', 'Split', 'Sub', 'Transform', 'And', 'Equals', 'Not', 'Or'];

function intrinsicTags(): Array<ScalarTag | CollectionTag> {
  const tags: Array<ScalarTag | CollectionTag> = [];
  const longName = (name: string) => (name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`);
  for (const name of [...FUNCTIONS, 'Ref', 'Condition', 'GetAtt']) {
    const key = longName(name);
    const wrap = (value: unknown) => ({ [key]: name === 'GetAtt' && typeof value === 'string' ? value.split(/\.(.*)/s).slice(0, 2) : value });
    tags.push({ tag: `!${name}`, resolve: (value: string) => wrap(value) } as ScalarTag);
    tags.push({ tag: `!${name}`, collection: 'seq', resolve: (seq: { toJSON(): unknown }) => wrap(seq.toJSON()) } as unknown as CollectionTag);
    tags.push({ tag: `!${name}`, collection: 'map', resolve: (map: { toJSON(): unknown }) => wrap(map.toJSON()) } as unknown as CollectionTag);
  }
  return tags;
}

export interface Template {
  Parameters: Record<string, { Type: string; Default?: string | number }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; [k: string]: unknown }>;
  Outputs?: Record<string, unknown>;
}

export function readTemplate(path = TEMPLATE_PATH): Template {
  return parse(readFileSync(path, 'utf8'), { customTags: intrinsicTags() }) as Template;
}

/** The `${Name}` references of a Fn::Sub string, without `${!Literal}` escapes. */
export function subReferences(text: string): string[] {
  return [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].map((m) => (m[1] as string).trim());
}

/** Fills a Fn::Sub string; a name without a value is an error, so a sample cannot go stale. */
export function substitute(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{([^!}][^}]*)\}/g, (_, name: string) => {
    const value = values[name.trim()];
    if (value === undefined) throw new Error(`no sample value for \${${name}}`);
    return value;
  });
}

/** The launch template's user data: the Fn::Sub body under Fn::Base64. */
export function userDataTemplate(template: Template): string {
  const launchData = template.Resources.NodeLaunchTemplate?.Properties?.LaunchTemplateData as Record<string, unknown> | undefined;
  const data = launchData?.UserData as Record<string, unknown> | undefined;
  const sub = (data?.['Fn::Base64'] as Record<string, unknown> | undefined)?.['Fn::Sub'];
  if (typeof sub !== 'string') throw new Error('NodeLaunchTemplate UserData is not Fn::Base64 of a Fn::Sub string');
  return sub;
}

/** The template's user data as a node in `region` of stack `stack` receives it. */
export function sampleUserData(values: { ClusterName: string; BootstrapArguments: string; stack?: string; region?: string }): string {
  return substitute(userDataTemplate(readTemplate()), {
    ClusterName: values.ClusterName,
    BootstrapArguments: values.BootstrapArguments,
    'AWS::StackName': values.stack ?? 'eks-node-group',
    'AWS::Region': values.region ?? 'us-west-2',
  });
}
