// Which PyTorch build the set-up installs: CPU, or the CUDA build that the NVIDIA driver can run. Pure: the
// caller runs `nvidia-smi` (or not) and passes its output in.

/** What `nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader` reports. */
export interface GpuFacts {
  readonly gpus: readonly { name: string; memoryMiB?: number }[];
  readonly driverVersion?: string;
}

export type TorchPreference = 'auto' | 'cpu' | 'cuda';

export interface TorchBuild {
  /** `cpu`, or the CUDA tag of PyTorch's wheel index (`cu126`, `cu128`, `cu130`). */
  readonly tag: string;
  /** The index pip installs torch from; undefined: pip's own configuration (pip.conf, PIP_INDEX_URL). */
  readonly indexUrl: string | undefined;
  /** Why this build, for the progress message and the marker. */
  readonly reason: string;
}

export const TORCH_QUERY_ARGS = ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader,nounits'];
export const PYTORCH_INDEX = 'https://download.pytorch.org/whl';
/** `srlm.setup.torchIndexUrl` / `--torch-index-url` value meaning "pip's own configured index". */
export const PIP_CONFIGURED_INDEX = 'pip';

// The CUDA builds PyTorch publishes and the oldest Linux driver each runs on (CUDA's minor-version compatibility
// lets a 12.x build run on any 525+ driver; 12.8 is asked for from 570 on, where its kernels run natively).
const CUDA_BUILDS: readonly { tag: string; minDriver: number }[] = [
  { tag: 'cu130', minDriver: 580 },
  { tag: 'cu128', minDriver: 570 },
  { tag: 'cu126', minDriver: 525 },
];
const NEWEST_CUDA = CUDA_BUILDS[0]!.tag;

/** The GPUs and driver in `nvidia-smi`'s CSV output; no GPU when the output is empty or not that CSV. */
export function parseNvidiaSmi(output: string | undefined): GpuFacts {
  const gpus: { name: string; memoryMiB?: number }[] = [];
  let driverVersion: string | undefined;
  for (const line of (output ?? '').split(/\r?\n/)) {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < 2 || !/^\d+(\.\d+)+$/.test(cells[1]!)) continue;
    const mem = Number(cells[2]);
    gpus.push({ name: cells[0]!, ...(Number.isFinite(mem) && mem > 0 ? { memoryMiB: mem } : {}) });
    driverVersion ??= cells[1];
  }
  return { gpus, driverVersion };
}

function driverMajor(v: string | undefined): number | undefined {
  const m = v === undefined ? undefined : /^(\d+)/.exec(v);
  return m ? Number(m[1]) : undefined;
}

function indexFor(tag: string, indexSetting: string | undefined): string | undefined {
  const s = indexSetting?.trim();
  if (s === PIP_CONFIGURED_INDEX) return undefined;
  if (s) return s.replace(/\{build\}/g, tag);
  return `${PYTORCH_INDEX}/${tag}`;
}

/**
 * The build to install. `auto`: CUDA when an NVIDIA GPU and a driver new enough for a CUDA build are present,
 * else CPU. An explicit `cpu` or `cuda` wins (`cuda` without a detected driver takes the newest build: the user
 * knows their machine, e.g. a container whose nvidia-smi is not on PATH). `indexSetting`: empty for PyTorch's
 * index of that build, `pip` for pip's own configuration, else a URL (`{build}` becomes the tag).
 */
export function chooseTorchBuild(gpu: GpuFacts, preference: TorchPreference, indexSetting?: string): TorchBuild {
  const pick = (tag: string, reason: string): TorchBuild => ({ tag, indexUrl: indexFor(tag, indexSetting), reason });
  const major = driverMajor(gpu.driverVersion);
  const fitting = major === undefined ? undefined : CUDA_BUILDS.find((b) => major >= b.minDriver);
  const gpuName = gpu.gpus[0]?.name ?? 'an NVIDIA GPU';
  if (preference === 'cpu') return pick('cpu', 'CPU build (srlm.setup.torch = cpu)');
  if (preference === 'cuda') {
    if (fitting) return pick(fitting.tag, `CUDA build for ${gpuName}, driver ${gpu.driverVersion}`);
    return pick(
      NEWEST_CUDA,
      major === undefined
        ? 'CUDA build (srlm.setup.torch = cuda; no NVIDIA driver detected)'
        : `CUDA build (srlm.setup.torch = cuda; driver ${gpu.driverVersion} may be too old for it)`,
    );
  }
  if (gpu.gpus.length === 0) return pick('cpu', 'CPU build (no NVIDIA GPU detected)');
  if (!fitting)
    return pick(
      'cpu',
      `CPU build: ${gpuName} has driver ${gpu.driverVersion ?? '(unknown)'}, older than the ${CUDA_BUILDS.at(-1)!.minDriver} that PyTorch's CUDA builds need; update the driver and run the set-up again`,
    );
  return pick(fitting.tag, `CUDA build ${fitting.tag} for ${gpuName}, driver ${gpu.driverVersion}`);
}
