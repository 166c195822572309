import { type AwsClientOptions, callAws, sdkClientConfig } from './client.js';

export interface CallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

/** sts:GetCallerIdentity: who the node's credentials say it is (the doctor's identity check). */
export async function getCallerIdentity(options: AwsClientOptions): Promise<CallerIdentity> {
  const out = await callAws<unknown, import('./sdk/sts.js').GetCallerIdentityCommandOutput>(
    `sts:GetCallerIdentity in ${options.region}`,
    options,
    async (watch) => {
      const config = await sdkClientConfig('sts', options, watch);
      const { STSClient, GetCallerIdentityCommand } = await import('./sdk/sts.js');
      return { client: new STSClient(config), command: new GetCallerIdentityCommand({}) };
    },
  );
  return { arn: out.Arn ?? '', account: out.Account ?? '', userId: out.UserId ?? '' };
}
