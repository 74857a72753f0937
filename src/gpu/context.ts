import { GpuError } from './errors';

/**
 * A WebGPU device with what the kernels need to know about it. Works on any `GPU` entry point:
 * `navigator.gpu` in a browser, or the one `node-gpu.ts` creates through Dawn in Node.
 */

export interface AdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly isFallbackAdapter: boolean;
  /** Where this device came from: "browser" or "node (Dawn)". */
  readonly runtime: string;
}

export interface GpuFeatures {
  readonly timestampQuery: boolean;
  readonly subgroups: boolean;
  readonly shaderF16: boolean;
  readonly subgroupMatrix: boolean;
}

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapter: AdapterSummary;
  readonly features: GpuFeatures;
  readonly limits: GPUSupportedLimits;
  /** Smallest and largest subgroup size the adapter reports (0 when unknown). */
  readonly subgroupMinSize: number;
  readonly subgroupMaxSize: number;
  /** Subgroup-matrix configurations the adapter offers (empty when none). */
  readonly subgroupMatrixConfigs: readonly SubgroupMatrixConfig[];
  /** Compute pipelines by key; created on first use. */
  pipeline(key: string, create: () => GPUComputePipelineDescriptor): GPUComputePipeline;
  /** Shader modules by key; created on first use. */
  shader(key: string, code: string): GPUShaderModule;
  /** Resolves when the device is lost, with WebGPU's reason and message. */
  readonly lost: Promise<GPUDeviceLostInfo>;
  /** True once the device has been lost. */
  readonly isLost: boolean;
  destroy(): void;
}

export interface SubgroupMatrixConfig {
  readonly componentType: string;
  readonly resultComponentType: string;
  readonly M: number;
  readonly N: number;
  readonly K: number;
}

export interface AcquireOptions {
  /** Ask for a discrete GPU when several are present. */
  readonly powerPreference?: GPUPowerPreference;
  /** Where the entry point came from, for reports. */
  readonly runtime?: string;
  /** Called with every uncaptured WebGPU error (validation errors outside an error scope). */
  readonly onUncapturedError?: (message: string) => void;
}

const SUBGROUP_MATRIX = 'chromium-experimental-subgroup-matrix';

/** Get an adapter and a device with every feature the kernels can use and the adapter's largest buffer limits. */
export async function acquireGpu(gpu: GPU | undefined, options: AcquireOptions = {}): Promise<GpuContext> {
  if (!gpu) {
    throw new GpuError(
      'WebGPU is not available: navigator.gpu is missing. Use a browser with WebGPU (Chrome or Edge 113+, ' +
        'Safari 26+, Firefox 141+ on Windows), served over https or http://localhost; on Linux Chrome needs ' +
        '--enable-unsafe-webgpu (and --enable-features=Vulkan).',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) throw new GpuError('WebGPU is present but requestAdapter() returned no adapter (no usable GPU).');

  const wanted: GPUFeatureName[] = ['timestamp-query', 'subgroups', 'shader-f16'];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  if (adapter.features.has(SUBGROUP_MATRIX)) requiredFeatures.push(SUBGROUP_MATRIX as GPUFeatureName);

  const a = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
    maxBufferSize: a.maxBufferSize,
    maxComputeWorkgroupStorageSize: a.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: a.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: a.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupsPerDimension: a.maxComputeWorkgroupsPerDimension,
    maxStorageBuffersPerShaderStage: a.maxStorageBuffersPerShaderStage,
  };
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });

  const info = adapter.info;
  const infoExt = info as GPUAdapterInfo & {
    subgroupMinSize?: number;
    subgroupMaxSize?: number;
    subgroupMatrixConfigs?: SubgroupMatrixConfig[];
    isFallbackAdapter?: boolean;
  };
  const adapterExt = adapter as GPUAdapter & { isFallbackAdapter?: boolean };
  const summary: AdapterSummary = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: Boolean(infoExt.isFallbackAdapter ?? adapterExt.isFallbackAdapter),
    runtime: options.runtime ?? 'browser',
  };

  const pipelines = new Map<string, GPUComputePipeline>();
  const shaders = new Map<string, GPUShaderModule>();
  let isLost = false;
  const lost = device.lost.then((info) => {
    isLost = true;
    return info;
  });
  if (options.onUncapturedError) {
    const report = options.onUncapturedError;
    device.addEventListener('uncapturederror', (e) => report((e as GPUUncapturedErrorEvent).error.message));
  }

  return {
    device,
    adapter: summary,
    features: {
      timestampQuery: device.features.has('timestamp-query'),
      subgroups: device.features.has('subgroups'),
      shaderF16: device.features.has('shader-f16'),
      subgroupMatrix: device.features.has(SUBGROUP_MATRIX),
    },
    limits: device.limits,
    subgroupMinSize: infoExt.subgroupMinSize ?? 0,
    subgroupMaxSize: infoExt.subgroupMaxSize ?? 0,
    subgroupMatrixConfigs: [...(infoExt.subgroupMatrixConfigs ?? [])].map((c) => ({
      componentType: c.componentType,
      resultComponentType: c.resultComponentType,
      M: c.M,
      N: c.N,
      K: c.K,
    })),
    pipeline(key, create) {
      let p = pipelines.get(key);
      if (!p) {
        p = device.createComputePipeline(create());
        pipelines.set(key, p);
      }
      return p;
    },
    shader(key, code) {
      let m = shaders.get(key);
      if (!m) {
        m = device.createShaderModule({ label: key, code });
        shaders.set(key, m);
      }
      return m;
    },
    lost,
    get isLost() {
      return isLost;
    },
    destroy() {
      device.destroy();
    },
  };
}
