import { X509Certificate } from 'node:crypto';
import { InputError } from '../errors.js';
import type { RenderContext } from './context.js';
import { PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';

const FIELD = 'spec.cluster.certificateAuthority';
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The cluster CA bundle as PEM. The NodeConfig carries it base64-encoded (as DescribeCluster
 * returns it); a PEM given directly is accepted too. Every certificate is parsed, so a
 * truncated bundle fails here, naming the field, instead of as a TLS error in the kubelet.
 */
export function decodeCertificateAuthority(value: string): string {
  const text = value.includes('-----BEGIN') ? value : Buffer.from(value.trim(), 'base64').toString('utf8');
  const blocks = text.match(PEM_BLOCK);
  if (!blocks) {
    throw new InputError(`${FIELD}: does not decode to a PEM certificate (expected the base64 of a "-----BEGIN CERTIFICATE-----" bundle, as eks:DescribeCluster returns it)`);
  }
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new InputError(`${FIELD}: certificate ${i + 1} of ${blocks.length} does not parse as X.509 (expected a PEM certificate bundle)`, { cause: err });
    }
  });
  return `${blocks.map((b) => b.replace(/\r\n/g, '\n')).join('\n')}\n`;
}

export function renderCa(ctx: RenderContext): PlannedFile {
  return { path: PATHS.caCert, mode: 0o644, content: decodeCertificateAuthority(ctx.config.spec.cluster.certificateAuthority) };
}
