/**
 * Bake-time generator of /etc/eks/instance-types.jsonl, the table the agent computes max pods
 * from without calling AWS at boot. Runs on the build host (Packer shell-local):
 *
 *   npx tsx scripts/gen-instance-types.ts --region us-west-2 --out instance-types.jsonl
 *
 * One DescribeInstanceTypes walk over every page; one JSON object per line, sorted by type,
 * keys in the contract's order. Endpoint: --endpoint, else the SDK's own AWS_ENDPOINT_URL_EC2.
 */
import { DescribeInstanceTypesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { InstanceTypeInfo } from '@aws-sdk/client-ec2';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import writeFileAtomic from 'write-file-atomic';
import { EnvironmentError, InputError, describeCause } from '../agent/src/errors.js';

export interface InstanceTypeRecord {
  instanceType: string;
  defaultNetworkCardEnis: number;
  ipv4PerEni: number;
  ipv6: boolean;
}

export interface CollectOptions {
  /** whole walk, all pages */
  deadlineMs: number;
  /** MaxResults per page (5 to 100) */
  pageSize?: number;
  /** reports types left out for lack of network figures */
  warn?: (message: string) => void;
}

/** The ENIs of the default network card: what the VPC CNI can attach for pods. */
export function toRecord(info: InstanceTypeInfo): InstanceTypeRecord | undefined {
  const net = info.NetworkInfo;
  if (!info.InstanceType || !net || net.Ipv4AddressesPerInterface === undefined) return undefined;
  const defaultIndex = net.DefaultNetworkCardIndex ?? 0;
  const card = net.NetworkCards?.find((c) => (c.NetworkCardIndex ?? 0) === defaultIndex);
  const enis = card?.MaximumNetworkInterfaces ?? net.MaximumNetworkInterfaces;
  if (enis === undefined) return undefined;
  return {
    instanceType: info.InstanceType,
    defaultNetworkCardEnis: enis,
    ipv4PerEni: net.Ipv4AddressesPerInterface,
    ipv6: net.Ipv6Supported ?? false,
  };
}

export async function collectInstanceTypes(client: EC2Client, options: CollectOptions): Promise<InstanceTypeRecord[]> {
  const signal = AbortSignal.timeout(options.deadlineMs);
  const records = new Map<string, InstanceTypeRecord>();
  let nextToken: string | undefined;
  let pages = 0;
  do {
    let page;
    try {
      page = await client.send(new DescribeInstanceTypesCommand({ MaxResults: options.pageSize ?? 100, NextToken: nextToken }), {
        abortSignal: signal,
      });
    } catch (err) {
      const what = signal.aborted ? `did not finish within the ${options.deadlineMs} ms deadline` : `failed (${describeCause(err)})`;
      throw new EnvironmentError(`ec2:DescribeInstanceTypes page ${pages + 1} ${what}`, { cause: err });
    }
    pages += 1;
    for (const info of page.InstanceTypes ?? []) {
      const record = toRecord(info);
      if (record) records.set(record.instanceType, record);
      else options.warn?.(`${info.InstanceType ?? '(unnamed)'}: no ENI or IPv4-per-ENI figures, left out`);
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  return [...records.values()].sort((a, b) => (a.instanceType < b.instanceType ? -1 : a.instanceType > b.instanceType ? 1 : 0));
}

/** Byte-stable: fixed key order, one record a line, trailing newline. */
export function formatJsonl(records: InstanceTypeRecord[]): string {
  return records
    .map((r) =>
      JSON.stringify({
        instanceType: r.instanceType,
        defaultNetworkCardEnis: r.defaultNetworkCardEnis,
        ipv4PerEni: r.ipv4PerEni,
        ipv6: r.ipv6,
      }),
    )
    .map((line) => `${line}\n`)
    .join('');
}

interface CliOptions {
  region: string;
  out: string;
  endpoint?: string;
  deadlineMs: number;
  pageSize: number;
}

function parseCli(argv: string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        region: { type: 'string' },
        out: { type: 'string' },
        endpoint: { type: 'string' },
        'timeout-seconds': { type: 'string', default: '300' },
        'page-size': { type: 'string', default: '100' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new InputError(`${describeCause(err)} (usage: --region REGION --out FILE [--endpoint URL] [--timeout-seconds N] [--page-size N])`);
  }
  const problems: string[] = [];
  if (!values.region || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(values.region)) {
    problems.push(`--region: ${JSON.stringify(values.region ?? '')} is not a region (expected e.g. "us-west-2")`);
  }
  if (!values.out) problems.push('--out: missing (expected the path of the .jsonl file to write)');
  const seconds = Number(values['timeout-seconds']);
  if (!Number.isInteger(seconds) || seconds <= 0) {
    problems.push(`--timeout-seconds: ${JSON.stringify(values['timeout-seconds'])} is not a positive whole number`);
  }
  const pageSize = Number(values['page-size']);
  if (!Number.isInteger(pageSize) || pageSize < 5 || pageSize > 100) {
    problems.push(`--page-size: ${JSON.stringify(values['page-size'])} is not a whole number from 5 to 100`);
  }
  if (values.endpoint !== undefined && !/^https?:\/\//.test(values.endpoint)) {
    problems.push(`--endpoint: ${JSON.stringify(values.endpoint)} is not an http(s) URL`);
  }
  if (problems.length > 0) throw new InputError(problems);
  return {
    region: values.region as string,
    out: values.out as string,
    ...(values.endpoint === undefined ? {} : { endpoint: values.endpoint }),
    deadlineMs: seconds * 1000,
    pageSize,
  };
}

export async function main(argv: string[]): Promise<void> {
  const options = parseCli(argv);
  const client = new EC2Client({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    maxAttempts: 5,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 60_000 },
  });
  try {
    const records = await collectInstanceTypes(client, {
      deadlineMs: options.deadlineMs,
      pageSize: options.pageSize,
      warn: (m) => process.stderr.write(`gen-instance-types: warning: ${m}\n`),
    });
    if (records.length === 0) {
      throw new EnvironmentError(`ec2:DescribeInstanceTypes in ${options.region} returned no instance types`);
    }
    try {
      await writeFileAtomic(options.out, formatJsonl(records), { mode: 0o644 });
    } catch (err) {
      throw new EnvironmentError(`cannot write ${options.out} (${describeCause(err)})`, { cause: err });
    }
    process.stderr.write(`gen-instance-types: ${records.length} instance types written to ${options.out}\n`);
  } finally {
    client.destroy();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    const lines = err instanceof InputError ? err.problems : err instanceof EnvironmentError ? [err.message] : [describeCause(err)];
    for (const line of lines) process.stderr.write(`gen-instance-types: ${line}\n`);
    process.exitCode = err instanceof InputError ? 1 : 2;
  });
}
