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
