/**
 * What the agent takes from @aws-sdk/client-eks, and all it takes: the agent imports this module
 * (dynamically), never the client, and the build makes the client's chunk from this list alone
 * (scripts/build.mjs), tree-shaking the client's ESM build down to these commands.
 */
export { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
export type { DescribeClusterCommandOutput } from '@aws-sdk/client-eks';
