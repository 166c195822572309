import { CERTIFICATE_HINT, isCertificateFailure } from '../../aws/trust.js';
import { failureReason } from '../../aws/client.js';
import type { Check } from '../runner.js';
import type { DoctorDeps } from '../types.js';
import type { InstanceIdentity, InstanceRole } from './imds.js';

export interface IdentityValue {
  callerArn: string;
  /** the IAM role ARN an access entry or aws-auth mapRoles must name */
  roleArn: string;
}

/**
 * arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0abc -> arn:aws:iam::111122223333:role/eks-node-role.
 * The assumed-role ARN drops the role's path, and so must aws-auth mapRoles; an access entry takes the full ARN.
 */
export function roleArnOf(callerArn: string): string | undefined {
  const m = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}

export function identityCheck(deps: DoctorDeps): Check {
  return {
    name: 'aws-identity',
    needs: ['imds', 'instance-profile'],
    timeoutMs: 10_000,
    async run(ctx) {
      const { region } = ctx.value<InstanceIdentity>('imds');
      const { credentials } = ctx.value<InstanceRole>('instance-profile');
      let caller;
      try {
        caller = await deps.getCallerIdentity({ region, credentials, timeoutMs: ctx.remainingMs() });
      } catch (err) {
        const text = failureReason(err, 'sts:GetCallerIdentity');
        if (/AccessDenied|InvalidClientTokenId|ExpiredToken|SignatureDoesNotMatch/.test(text)) {
          return {
            status: 'fail',
            detail: `sts:GetCallerIdentity was refused: ${text}`,
            hint:
              'the instance credentials are not accepted (expired, or the clock is off) or a VPC endpoint policy on the sts endpoint denies the call; ' +
              'the API server token is this same call presigned, so the node cannot authenticate either',
          };
        }
        return {
          status: 'fail',
          detail: `sts:GetCallerIdentity in ${region} failed: ${text}`,
          hint: isCertificateFailure(err)
            ? CERTIFICATE_HINT
            : 'the regional STS endpoint is unreachable: private subnets without NAT need an sts interface VPC endpoint',
        };
      }
      const roleArn = roleArnOf(caller.arn);
      if (!roleArn) {
        return {
          status: 'warn',
          detail: `caller is ${caller.arn}, not an assumed role`,
          hint: 'nodes should authenticate with the instance profile role; credentials from the environment or a profile file override it',
          value: { callerArn: caller.arn, roleArn: caller.arn } satisfies IdentityValue,
        };
      }
      // Not a fault (init trusts the same bundle), but a TLS-inspecting proxy is worth knowing about.
      const inspected = caller.trustedBundle
        ? `; the AWS endpoints' certificates verified only against ${caller.trustedBundle}, not a root Node bundles (a TLS-inspecting proxy?)`
        : '';
      return {
        status: 'ok',
        detail: `${caller.arn}; the access entry (type EC2_LINUX) or aws-auth mapRoles must name ${roleArn}${inspected}`,
        value: { callerArn: caller.arn, roleArn } satisfies IdentityValue,
      };
    },
  };
}
