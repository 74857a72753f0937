import type { GpuContext } from '../gpu/context';
import type { ProblemData, ProblemSpec } from '../problem/problem';

/**
 * The one descriptor every attention kernel implements. The runner, the tests, the
 * benchmarks, the CLI and the page all drive kernels through it.
 */

/** Per-run choices a kernel may read. Kernels ignore the ones that do not concern them. */
export interface KernelOptions {
  /** Paged kernels: tokens per KV block (8, 16 or 32). */
  readonly blockSize?: number;
  /** Split long KV ranges into partitions reduced by an LSE merge: on, off, or chosen from the shape. */
  readonly splitK?: boolean | 'auto';
  /** Tokens per partition when split-K is on. */
  readonly partitionSize?: number;
  /**
   * Tensor cores through subgroup matrices: undefined uses them where the device offers them,
   * false never, true requires them (the kernel is unsupported without).
   */
  readonly subgroupMatrix?: boolean;
  /**
   * Hydragen's tensor-core kernel: copy each step's K/V into workgroup memory before the matrix
   * loads (true), load the matrices straight from the pool (false), or the first shape that fits
   * (undefined; staged ones come first). Either setting requires the tensor-core kernel (unsupported without it). Other
   * kernels ignore it.
   */
  readonly stageKv?: boolean;
  /**
   * Hydragen's tensor-core kernel: the shape to run, by name (mmaShapeName in
   * hydragen-shared-mma-wgsl.ts, e.g. "sg4 rb2 s32 staged pad8"); undefined takes the first of
   * MMA_SHAPES that fits. Requires the tensor-core kernel. Other kernels ignore it.
   */
  readonly mmaShape?: string;
  /**
   * A kernel's subgroup variant (paged: the decode kernel): true or undefined runs it where the
   * adapter offers subgroups and the shape fits it; false runs the portable path.
   */
  readonly subgroups?: boolean;
}

/** One GPU buffer a kernel will allocate for a problem: its label and size, checked against device limits. */
export interface BufferRequest {
  readonly label: string;
  readonly bytes: number;
}

/** What one run of the kernel costs, for GB/s and TFLOP/s. */
export interface KernelCost {
  /** Bytes the kernel must move to or from device memory at the least (its algorithm's traffic, not cache effects). */
  readonly bytesMoved: number;
  /**
   * Bytes of the problem itself, each K/V byte once (cost.ts's uniqueBytes). Kernels leave it out:
   * it depends on the problem alone, and the bench runner fills it in from there.
   */
  readonly uniqueBytes?: number;
  /** Floating-point operations (a multiply-add counts 2): QK^T and PV, exp and merge arithmetic not counted. */
  readonly flops: number;
}

/**
 * Opens a compute pass. The harness decides the pass descriptor (for example timestamp writes),
 * so kernels never build pass descriptors themselves. The caller ends the pass.
 */
export type PassOpener = (label: string) => GPUComputePassEncoder;

/** A kernel bound to one problem's buffers on one device; encodes any number of times. */
export interface PreparedKernel {
  /** Variant that will run (for example "naive (in-place segments)"), shown in tables and results. */
  readonly variant: string;
  /** Record the kernel's passes. Called once per run; must be repeatable without re-preparing. */
  encode(encoder: GPUCommandEncoder, openPass: PassOpener): void;
  /** [B, headsQ, Lq, D] f32, written by encode. */
  readonly o: GPUBuffer;
  /** [B, headsQ, Lq] f32 natural-log LSE, written by encode. */
  readonly lse: GPUBuffer;
  /** What this run moves and computes (may depend on the variant chosen at prepare time). */
  readonly cost: KernelCost;
  destroy(): void;
}

export interface KernelDescriptor {
  /** CLI and URL name: lowercase, no spaces. */
  readonly name: string;
  /** One line for tables and charts. */
  readonly title: string;
  /** Why this kernel cannot run this problem on this device with these options; null when it can. */
  unsupported(spec: ProblemSpec, gpu: GpuContext, options: KernelOptions): string | null;
  /** Buffers prepare() would allocate, so the harness can refuse a problem before allocating anything. */
  buffers(spec: ProblemSpec, gpu: GpuContext, options: KernelOptions): BufferRequest[];
  /** Bytes moved and FLOPs for a problem (the variant prepare() would choose). */
  cost(spec: ProblemSpec, gpu: GpuContext, options: KernelOptions): KernelCost;
  /** Allocate and upload. Throws a clear error for anything the user can fix. */
  prepare(gpu: GpuContext, data: ProblemData, options: KernelOptions): PreparedKernel;
}
