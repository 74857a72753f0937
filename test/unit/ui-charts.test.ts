import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ceilingBufferSize } from '../../src/bench/bandwidth';
import { type BenchResultFile, parseResultFile } from '../../src/bench/result';
import {
  ceilingPercent,
  chartData,
  deviceShort,
  FILE_DASHES,
  fileLabel,
  rooflineData,
  SERIES_COLORS,
  seriesStyle,
} from '../../src/ui/chart-data';
import { duration, progressView } from '../../src/ui/progress-card';

/** Chart series styles, device labels, the roofline's data, % ceiling from unique bytes, progress, the ceiling buffer. */

const RESULTS = resolve(import.meta.dirname, '../../benches/results');
const load = (name: string): BenchResultFile =>
  parseResultFile(JSON.parse(readFileSync(resolve(RESULTS, `${name}.json`), 'utf8')), name);

const h200 = load('h200-decode-anchors');
const h100 = load('h100-decode-anchors-f16');
const withDevice = (r: BenchResultFile, device: string, description: string, source = r.source): BenchResultFile => ({
  ...r,
  source,
  device: { ...r.device, adapter: { ...r.device.adapter, device, description } },
});

describe('chart series styles', () => {
  const shown = [
    { result: h200, name: fileLabel(h200) },
    { result: h100, name: fileLabel(h100) },
  ];
  const d = chartData('time', shown);

  it('give every line of every file a style, one colour per variant and one dash per file', () => {
    if (!d) throw new Error('no chart data');
    const variants = [...new Set(d.series.map((s) => s.variant))];
    expect(variants.length).toBeGreaterThan(1);
    // More lines than colours would be needed if colours went by series index (the old bug).
    expect(d.series.length).toBeGreaterThan(variants.length);
    for (const s of d.series) {
      const st = seriesStyle(s);
      const sameVariant = d.series.filter((o) => o.variant === s.variant).map((o) => seriesStyle(o).color);
      expect(new Set(sameVariant)).toEqual(new Set([st.color]));
      expect(st.dash).toEqual(FILE_DASHES[s.file]);
    }
    const colours = new Set(
      variants.map((v) => seriesStyle(d.series.find((s) => s.variant === v) ?? d.series[0]).color),
    );
    expect(colours.size).toBe(Math.min(variants.length, SERIES_COLORS.length));
    expect(FILE_DASHES[0]).toEqual([]);
    expect(FILE_DASHES[1].length).toBeGreaterThan(0);
  });

  it('keep their colours when the person hides a variant or a file', () => {
    if (!d) throw new Error('no chart data');
    const hidden = d.series[0].variant;
    const filtered = chartData('time', shown, {
      hiddenVariants: new Set([hidden]),
      hiddenFiles: new Set([shown[1].name]),
    });
    if (!filtered) throw new Error('no chart data');
    expect(filtered.series.some((s) => s.variant === hidden)).toBe(false);
    expect(new Set(filtered.series.map((s) => s.group))).toEqual(new Set([shown[0].name]));
    for (const s of filtered.series) {
      const before = d.series.find((o) => o.variant === s.variant && o.file === s.file);
      expect(seriesStyle(s)).toEqual(seriesStyle(before ?? s));
    }
  });
});

describe('device labels', () => {
  it('are short: the card from the adapter, SwiftShader by name, and which runtime', () => {
    expect(deviceShort(h200)).toBe('H200');
    expect(deviceShort(h100)).toBe('H100');
    expect(deviceShort(withDevice(h200, 'swiftshader-device-subzero-,', 'SwiftShader driver 5.0.0'))).toBe(
      'SwiftShader',
    );
    expect(deviceShort(withDevice(h200, '0x2335', 'NVIDIA H200'))).toBe('H200');
    expect(fileLabel(h200)).toBe('H200 · WebGPU (cli)');
    const cuda = withDevice(h200, 'H200', 'NVIDIA H200 (CUDA 12.8)', 'cuda-reference (PyTorch 2.11.0, FA2)');
    expect(fileLabel(cuda)).toBe('H200 · cuda-reference (PyTorch 2.11.0, FA2)');
  });
});

describe('the roofline', () => {
  it('has a point per checked timing and a roof per file from its measured ceilings', () => {
    const r = { ...h100, matmulCeilingTflops: 600 };
    const d = rooflineData([
      { result: r, name: 'a' },
      { result: h200, name: 'b' },
    ]);
    const timed = (f: BenchResultFile) =>
      f.entries.filter((e) => e.status === 'ok' && e.flops && e.bytesMoved && e.checks?.every((c) => c.pass)).length;
    expect(d.points.length).toBe(timed(r) + timed(h200));
    expect(d.roofs).toEqual([
      { file: 0, group: 'a', bandwidthGBps: r.bandwidthCeilingGBps, matmulTflops: 600 },
      ...(h200.bandwidthCeilingGBps ? [{ file: 1, group: 'b', bandwidthGBps: h200.bandwidthCeilingGBps }] : []),
    ]);
    const p = d.points[0];
    const e = r.entries.find((x) => x.label === p.variant && x.config === p.config);
    expect(p.x).toBeCloseTo((e?.flops ?? 0) / (e?.bytesMoved ?? 1));
    expect(p.y).toBeCloseTo((e?.flops ?? 0) / ((e?.timing?.medianMs ?? 1) / 1000) / 1e12);
  });
});

describe('% ceiling', () => {
  it('uses unique bytes: paged and naive reading a shared prefix no longer exceed 100% (issue 15: 109-122%)', () => {
    const c = h100.bandwidthCeilingGBps;
    const logical = h100.entries.map((e) => (c && e.gbPerS ? (100 * e.gbPerS) / c : 0));
    expect(Math.max(...logical)).toBeGreaterThan(100);
    for (const e of h100.entries) expect(ceilingPercent(e, c) ?? 0).toBeLessThanOrEqual(100);
  });
});

describe('the progress card', () => {
  it('says configs done, what runs, time gone and an estimate left', () => {
    const p = {
      configIndex: 2,
      configCount: 8,
      config: 'batch=4',
      variantIndex: 1,
      variantCount: 3,
      label: 'hydragen',
      phase: 'timing' as const,
      run: 13,
      runs: 50,
    };
    expect(progressView(p, '', 0.25, 30_000)).toEqual({
      configs: '2 of 8 configs done',
      current: 'batch=4 · hydragen · run 13/50',
      elapsed: '30 s gone',
      left: 'about 1 min 30 s left',
    });
    expect(progressView(null, 'checking equivalence', 0, 500).current).toBe('checking equivalence');
    expect(progressView(null, '', 0.01, 500).left).toBe('estimating…');
    expect(duration(3_725_000)).toBe('1 h 02 min');
  });
});

describe('the bandwidth ceiling buffer', () => {
  it('by default fits SwiftShader (64 MiB on a software adapter, saying so) and stays 1 GiB on big GPUs', () => {
    const swiftshader = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };
    const soft = ceilingBufferSize(undefined, swiftshader, true);
    expect(soft.bytes).toBe(64 * 2 ** 20);
    expect(soft.cappedBy).toMatch(/by default on a software adapter/);
    const h100 = { maxStorageBufferBindingSize: 2 ** 31 - 4, maxBufferSize: 2 ** 40 };
    expect(ceilingBufferSize(undefined, h100, false)).toEqual({ bytes: 2 ** 30, requestedBytes: 2 ** 30 });
    const over = ceilingBufferSize(4 * 2 ** 30, h100, false);
    expect(over.bytes).toBe(2 ** 31 - 16);
    expect(over.cappedBy).toMatch(/capped at the device's maxStorageBufferBindingSize \(2\.00 GiB/);
    expect(ceilingBufferSize(8 * 2 ** 20, swiftshader, true)).toEqual({
      bytes: 8 * 2 ** 20,
      requestedBytes: 8 * 2 ** 20,
    });
  });
});
