/**
 * What the agent takes from @aws-sdk/client-ec2, and all it takes: the agent imports this module
 * (dynamically), never the client, and the build makes the client's chunk from this list alone
 * (scripts/build.mjs), tree-shaking the client's ESM build down to these commands.
 */
export { DescribeInstancesCommand, DescribeInstanceTypesCommand, EC2Client } from '@aws-sdk/client-ec2';
export type { _InstanceType, DescribeInstancesCommandOutput, DescribeInstanceTypesCommandOutput } from '@aws-sdk/client-ec2';
