/**
 * What the agent takes from @aws-sdk/client-sts, and all it takes: the agent imports this module
 * (dynamically), never the client, and the build makes the client's chunk from this list alone
 * (scripts/build.mjs), tree-shaking the client's ESM build down to these commands.
 */
export { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
export type { GetCallerIdentityCommandOutput } from '@aws-sdk/client-sts';
