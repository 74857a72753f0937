/**
 * Known noise on stderr from native code (the Vulkan loader, Dawn) that JavaScript cannot silence
 * in-process: the CLI runs its command as a child (dawn-log-relay.ts) and drops exactly these lines
 * from its stderr, passing everything else through as it comes. Set AP_RAW_STDERR=1 to see all of it.
 *
 * - "error: XDG_RUNTIME_DIR is invalid or not set in the environment." (twice a run, from the
 *   Vulkan loader's window-system code; nothing here draws to a window);
 * - Dawn's "Warning: Vulkan shaderUniform*ArrayDynamicIndexing required." with its two-line trace
 *   and the blank line after it: Dawn skipping Mesa's lavapipe, a CPU driver it cannot use, before
 *   the CLI falls back to SwiftShader (and says so).
 */

const XDG = /^error: XDG_RUNTIME_DIR is invalid or not set in the environment\.$/;
const DAWN_WARNING = /^Warning: Vulkan shaderUniform\*ArrayDynamicIndexing required\.$/;
const TRACE =
  /^( - While initializing adapter \(backend=BackendType::Vulkan\)|\s+at InitializeImpl \(.*PhysicalDeviceVk\.cpp:\d+\))$/;

/** A line filter with the state that multi-line noise needs. true: keep the line. */
export function noiseFilter(): (line: string) => boolean {
  let inWarning = false;
  return (line) => {
    if (XDG.test(line)) return false;
    if (DAWN_WARNING.test(line)) {
      inWarning = true;
      return false;
    }
    if (inWarning) {
      if (TRACE.test(line)) return false;
      inWarning = false;
      if (line.trim() === '') return false;
    }
    return true;
  };
}

/** Drop the known noise from a whole text (tests; the child's stderr goes through noiseFilter line by line). */
export function dropNoise(text: string): string {
  const keep = noiseFilter();
  return text
    .split('\n')
    .filter((l) => keep(l))
    .join('\n');
}
