/**
 * The DNS suffix of a region's partition (commercial, China, European Sovereign Cloud, the
 * isolated ones), as the AWS SDK derives it from its partitions table; a test holds the two to the
 * same answers. Written here rather than asked of the SDK: render (the pause image's registry)
 * and the proxy decision run on every boot, and the SDK is loaded only for a call to AWS.
 */
const SUFFIXES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^cn-\w+-\d+$/, 'amazonaws.com.cn'],
  [/^eusc-de-\w+-\d+$/, 'amazonaws.eu'],
  [/^us-iso-\w+-\d+$/, 'c2s.ic.gov'],
  [/^us-isob-\w+-\d+$/, 'sc2s.sgov.gov'],
  [/^eu-isoe-\w+-\d+$/, 'cloud.adc-e.uk'],
  [/^us-isof-\w+-\d+$/, 'csp.hci.ic.gov'],
];

export function dnsSuffix(region: string): string {
  return SUFFIXES.find(([pattern]) => pattern.test(region))?.[1] ?? 'amazonaws.com';
}

/** The DNS suffix of a partition's dual-stack endpoints, by its standard suffix (the SDK's partitions table). */
const DUAL_STACK_SUFFIXES: Readonly<Record<string, string>> = {
  'amazonaws.com': 'api.aws',
  'amazonaws.com.cn': 'api.amazonwebservices.com.cn',
  'amazonaws.eu': 'api.amazonwebservices.eu',
  'c2s.ic.gov': 'api.aws.ic.gov',
  'sc2s.sgov.gov': 'api.aws.scloud',
  'cloud.adc-e.uk': 'api.cloud-aws.adc-e.uk',
  'csp.hci.ic.gov': 'api.aws.hci.ic.gov',
};

export function dualStackDnsSuffix(region: string): string {
  return DUAL_STACK_SUFFIXES[dnsSuffix(region)]!;
}
