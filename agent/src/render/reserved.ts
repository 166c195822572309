/**
 * Resources kept back from pods, as the AL2023 AMI computes them. Integer arithmetic in
 * millicores and basis points, floored, so 5 cores give 82m rather than a fractional quantity.
 */
const CPU_BANDS: ReadonlyArray<{ fromMillicores: number; toMillicores: number; basisPoints: number }> = [
  { fromMillicores: 0, toMillicores: 1000, basisPoints: 600 }, // 6 % of the first core
  { fromMillicores: 1000, toMillicores: 2000, basisPoints: 100 }, // 1 % of the second
  { fromMillicores: 2000, toMillicores: 4000, basisPoints: 50 }, // 0.5 % of cores 3-4
  { fromMillicores: 4000, toMillicores: Number.POSITIVE_INFINITY, basisPoints: 25 }, // 0.25 % of the rest
];

export function reservedCpuMillicores(cpuMillicores: number): number {
  let tenThousandths = 0;
  for (const band of CPU_BANDS) {
    const inBand = Math.max(0, Math.min(cpuMillicores, band.toMillicores) - band.fromMillicores);
    tenThousandths += inBand * band.basisPoints;
  }
  return Math.floor(tenThousandths / 10_000);
}

/** 11 MiB per pod + 255 MiB for the kubelet and the runtime. */
export function reservedMemoryMiB(maxPods: number): number {
  return 11 * maxPods + 255;
}

export function kubeReserved(cpuMillicores: number, maxPods: number): Record<string, string> {
  return {
    cpu: `${reservedCpuMillicores(cpuMillicores)}m`,
    'ephemeral-storage': '1Gi',
    memory: `${reservedMemoryMiB(maxPods)}Mi`,
  };
}
