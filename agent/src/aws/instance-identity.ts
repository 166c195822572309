import { EnvironmentError } from '../errors.js';
import { show } from '../api/problems.js';

/** Where IMDS gives the instance identity document. */
export const IDENTITY_PATH = 'dynamic/instance-identity/document';

/** A region as it names hosts (the AWS endpoints, ECR's registries): one DNS label. */
const REGION_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** The identity document's fields every boot needs. */
export interface IdentityDocument {
  instanceId: string;
  instanceType: string;
  region: string;
  availabilityZone: string;
  /** the document itself, for the fields only some readers show (accountId, imageId, ...) */
  document: Record<string, unknown>;
}

/**
 * The one reading of the identity document, for the boot (its facts), the run phase's kept
 * answers and doctor's imds line alike: what one refuses, none uses. A damaged document (a kept
 * answer a disk or a person changed) is refused here, not in the AWS call it would misdirect.
 */
export function parseIdentity(text: string): IdentityDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new EnvironmentError(`IMDS ${IDENTITY_PATH}: not JSON (${show(text.slice(0, 60))})`);
  }
  const document = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
  const field = (key: 'instanceId' | 'instanceType' | 'region' | 'availabilityZone'): string => {
    const value = document[key];
    if (typeof value !== 'string' || value === '') throw new EnvironmentError(`IMDS ${IDENTITY_PATH}: "${key}" is missing or not a string`);
    return value;
  };
  const identity = {
    instanceId: field('instanceId'),
    instanceType: field('instanceType'),
    region: field('region'),
    availabilityZone: field('availabilityZone'),
  };
  if (!REGION_NAME.test(identity.region)) {
    throw new EnvironmentError(`IMDS ${IDENTITY_PATH}: region ${show(identity.region)} is not a region name (expected e.g. "us-west-2")`);
  }
  return { ...identity, document };
}
