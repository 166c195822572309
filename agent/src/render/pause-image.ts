import { dnsSuffix } from '../aws/partition.js';

/**
 * The sandbox (pause) image the AMI pre-pulls and containerd pins. EKS publishes it in every
 * region from account 602401143452, except the regions below (public list: "View Amazon
 * container image registries for Amazon EKS add-ons" in the EKS user guide). Callers can
 * override it (RenderOptions.pauseImage), and a user's containerd TOML can too.
 */
export const PAUSE_IMAGE_TAG = '3.10';

/** The pause image as the image build exported it (scripts/provision/cache-pause-image.sh), for a node to import again. */
export const PAUSE_IMAGE_ARCHIVE = '/etc/eks/pause-image.tar';

const DEFAULT_ACCOUNT = '602401143452';
const REGIONAL_ACCOUNTS: Readonly<Record<string, string>> = {
  'af-south-1': '877085696533',
  'ap-east-1': '800184023465',
  // the user guide's row reads ".dkr.ecr.ap-east-1": every other row names its own region
  'ap-east-2': '533267051163',
  'ap-south-2': '900889452093',
  'ap-southeast-3': '296578399912',
  'ap-southeast-4': '491585149902',
  'ap-southeast-5': '151610086707',
  'ap-southeast-6': '333609536671',
  'ap-southeast-7': '121268973566',
  'ca-west-1': '761377655185',
  'cn-north-1': '918309763551',
  'cn-northwest-1': '961992271922',
  'eu-central-2': '900612956339',
  'eu-south-1': '590381155156',
  'eu-south-2': '455263428931',
  'eusc-de-east-1': '877088126301',
  'il-central-1': '066635153087',
  'me-central-1': '759879836304',
  'me-south-1': '558608220178',
  'mx-central-1': '730335286997',
  'us-gov-east-1': '151742754352',
  'us-gov-west-1': '013241004608',
};

/** The region's ECR registry EKS publishes its images in (the pause image, the add-ons: VPC CNI, kube-proxy, CoreDNS). */
export function eksRegistry(region: string): string {
  const account = REGIONAL_ACCOUNTS[region] ?? DEFAULT_ACCOUNT;
  return `${account}.dkr.ecr.${region}.${dnsSuffix(region)}`;
}

export function defaultPauseImage(region: string): string {
  return `${eksRegistry(region)}/eks/pause:${PAUSE_IMAGE_TAG}`;
}
