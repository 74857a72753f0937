import { describe, expect, it } from 'vitest';
import { relayFiltered } from '../../src/cli/dawn-log-relay';

/**
 * The CLI's relay with a real Dawn in a child process: Dawn prints shader warnings to stdout from
 * native code, the child's own lines go to fd 3. Here "code is unreachable" (which SwiftShader's
 * Dawn reports, unlike the tensor-core kernels' deprecated builtin) plays the known noise.
 */

const child = `
import { writeSync } from 'node:fs';
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const log = (s) => writeSync(Number(process.env.AP_CLI_LOG_FD), s + '\\n');
const gpu = create([]);
const device = await (await gpu.requestAdapter()).requestDevice();
log('before');
for (const [i, label] of ['first', 'second'].entries()) {
  // Different code each: Dawn compiles (and logs) identical modules once.
  const code = '@group(0) @binding(0) var<storage, read_write> x: array<u32>;\\n' +
    '@compute @workgroup_size(1) fn main() { x[0] = ' + i + 'u; return; x[1] = 2u; }';
  const module = device.createShaderModule({ label, code });
  device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  await module.getCompilationInfo();
}
await device.queue.onSubmittedWorkDone();
log('after');
device.destroy();
process.exitCode = 3;
`;
const unreachable = [{ message: /^code is unreachable$/, why: 'a test rule' }];

async function relay(rules: typeof unreachable) {
  const lines: string[] = [];
  const code = await relayFiltered(['--input-type=module', '-e', child], process.env, (l) => lines.push(l), rules);
  return { code, lines };
}

describe("the CLI's Dawn log relay", () => {
  it("prints the command's lines, drops known noise from Dawn's log, says what it dropped, keeps the exit code", async () => {
    const { code, lines } = await relay(unreachable);
    expect(code).toBe(3);
    expect(lines.filter((l) => l === 'before' || l === 'after')).toEqual(['before', 'after']);
    expect(lines.join('\n')).not.toMatch(/unreachable$|Compilation log/m);
    expect(lines.at(-1)).toBe(
      'Dawn: filtered 2 "code is unreachable" warning(s) from 2 shader module(s): a test rule. ' +
        "AP_DAWN_LOG=all prints Dawn's log unfiltered.",
    );
  });

  it("without a rule for it, Dawn's log comes through whole", async () => {
    const { code, lines } = await relay([]);
    expect(code).toBe(3);
    expect(lines.filter((l) => /^:\d+:\d+ warning: code is unreachable$/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('Compilation log for [ShaderModule'))).toHaveLength(2);
  });
});
