import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO, fileUri, fixture, runAgent } from '../support/agent.js';

/*
 * The ready-to-copy examples in docs/: every fenced block preceded by `<!-- checked: KIND -->`
 * is taken out of the page and must pass `config check`, so the docs cannot drift from what
 * the agent accepts. KIND says how to get the user data out of the block.
 */

interface Example {
  page: string;
  kind: string;
  line: number;
  text: string;
}

const DOCS = join(REPO, 'docs');
const examples: Example[] = readdirSync(DOCS)
  .filter((f) => f.endsWith('.md'))
  .sort()
  .flatMap((page) => {
    const text = readFileSync(join(DOCS, page), 'utf8');
    return [...text.matchAll(/<!-- checked: ([a-z0-9-]+) -->\n```[a-z]*\n([\s\S]*?)\n```/g)].map((m) => ({
      page,
      kind: m[1] as string,
      line: text.slice(0, m.index).split('\n').length,
      text: `${m[2]}\n`,
    }));
  });

const tmp = mkdtempSync(join(tmpdir(), 'eks-node-docs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const file = (content: string) => {
  const path = join(tmp, `example-${++n}`);
  writeFileSync(path, content);
  return fileUri(path);
};
/** What the launching tool adds itself: the cluster, as Karpenter and the Terraform module write it. */
const toolPart = fileUri(fixture('userdata/complete.yaml'));

async function expectValid(sources: string[], label: string) {
  const r = await runAgent(['config', 'check', ...sources.flatMap((s) => ['-c', s])]);
  expect(r.stderr, label).toBe('');
  expect(r.exitCode, label).toBe(0);
  expect(r.stdout, label).toMatch(/^configuration is valid\n/);
  return r;
}

/** The `<<-EOT` heredocs of `cloudinit_pre_nodeadm` parts typed application/node.eks.aws, indentation removed as Terraform does. */
function terraformNodeConfigs(hcl: string): string[] {
  return [...hcl.matchAll(/content_type\s*=\s*"application\/node\.eks\.aws"\s*\n\s*content\s*=\s*<<-EOT\n([\s\S]*?)\n\s*EOT/g)].map((m) => {
    const lines = (m[1] as string).split('\n');
    const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
    return `${lines.map((l) => l.slice(indent)).join('\n')}\n`;
  });
}

describe('docs examples', () => {
  it('finds the examples for every launcher', () => {
    expect(new Set(examples.map((e) => e.kind))).toEqual(new Set(['karpenter-ec2nodeclass', 'user-data', 'eksctl-config', 'terraform']));
  });

  it.each(examples.map((e) => [`${e.page}:${e.line} (${e.kind})`, e] as const))('%s passes config check', async (label, example) => {
    switch (example.kind) {
      case 'user-data':
        await expectValid([file(example.text)], label);
        break;
      case 'karpenter-ec2nodeclass': {
        const nodeClass = parse(example.text);
        expect(nodeClass).toMatchObject({ apiVersion: 'karpenter.k8s.aws/v1', kind: 'EC2NodeClass', spec: { amiFamily: 'AL2023' } });
        expect(nodeClass.spec.amiSelectorTerms[0].name).toMatch(/^eks-node-al2023-/);
        // Karpenter merges its own NodeConfig (the cluster) with the userData: check both together.
        const r = await expectValid([file(nodeClass.spec.userData), toolPart], label);
        expect(r.stdout).toMatch(/merged 2 NodeConfig document\(s\): .*\(MIME part 2\)/);
        break;
      }
      case 'eksctl-config': {
        const config = parse(example.text);
        expect(config.kind).toBe('ClusterConfig');
        for (const group of config.managedNodeGroups) expect(group.amiFamily).toBe('AmazonLinux2023');
        break;
      }
      case 'terraform': {
        const parts = terraformNodeConfigs(example.text);
        expect(parts.length, label).toBeGreaterThan(0);
        expect(example.text).toMatch(/ami_type\s*=\s*"AL2023_/);
        expect(example.text).toMatch(/enable_bootstrap_user_data\s*=\s*true/);
        await expectValid([...parts.map(file), toolPart], label);
        break;
      }
      default:
        throw new Error(`${label}: unknown example kind`);
    }
  });
});
