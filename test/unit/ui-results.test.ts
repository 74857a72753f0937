import { describe, expect, it } from 'vitest';
import type { BenchEntry, BenchResultFile } from '../../src/bench/result';
import { defaultSettings } from '../../src/bench/runner';
import { chartData, deviceLabel, pointCount } from '../../src/ui/chart-data';
import { sig } from '../../src/ui/format';
import { exportBaseName, importResultText, resultCsv, resultJson } from '../../src/ui/result-files';

const timing = (ms: number) => ({
  runs: 5,
  medianMs: ms,
  p10Ms: ms * 0.9,
  p90Ms: ms * 1.2,
  minMs: ms * 0.8,
  maxMs: ms * 1.5,
  meanMs: ms,
  repsPerRun: 1,
  warmupMs: 10,
});

function entry(label: string, axisValue: number, ms: number, status: BenchEntry['status'] = 'ok'): BenchEntry {
  return {
    config: `batch=${axisValue}`,
    axisValue,
    problem: {
      headsQ: 1,
      headsKV: 1,
      headDim: 16,
      queriesPerSeq: 1,
      segments: [{ id: 'a', length: 1 }],
      sequences: [['a']],
    },
    label,
    kernel: label,
    options: {},
    status,
    ...(status === 'ok'
      ? { timing: timing(ms), bytesMoved: 1e6, flops: 1e6, gbPerS: 1e6 / (ms / 1000) / 1e9 }
      : { reason: 'unsupported' }),
  };
}

function file(description: string, entries: BenchEntry[], axis = 'batch'): BenchResultFile {
  return {
    schema: 'attention-playground/bench',
    version: 1,
    createdAt: '2025-03-04T05:06:07.890Z',
    source: 'cli',
    device: {
      adapter: {
        vendor: 'nvidia',
        architecture: 'hopper',
        device: '',
        description,
        isFallbackAdapter: false,
        runtime: 'node (Dawn)',
      },
      features: { timestampQuery: true, subgroups: true, shaderF16: true, subgroupMatrix: false },
      limits: {},
      subgroupMinSize: 32,
      subgroupMaxSize: 32,
    },
    clock: 'timestamp-query',
    settings: defaultSettings,
    suite: { name: 'hydragen-batch', description: 'd', axis: { name: axis, log: true } },
    entries,
  };
}

const run = file('NVIDIA H100', [
  entry('naive', 1, 2),
  entry('hydragen', 1, 1),
  entry('naive', 4, 8),
  entry('hydragen', 4, 2),
  entry('paged', 4, 0, 'skipped'),
]);

describe('result import', () => {
  it('re-imports what it exports', () => {
    const back = importResultText(resultJson(run), 'run.json');
    expect(back).toEqual({ ok: true, result: run });
  });

  it('explains a malformed file, naming it', () => {
    expect(importResultText('{"schema": ', 'broken.json')).toEqual({
      ok: false,
      message: expect.stringMatching(/^broken\.json: not valid JSON/),
    });
    expect(importResultText('[1,2]', 'list.json')).toEqual({ ok: false, message: 'list.json: not a JSON object' });
    expect(importResultText('{"schema": "other"}', 'other.json')).toEqual({
      ok: false,
      message: 'other.json: "schema" is "other", expected "attention-playground/bench"',
    });
    const noTiming = JSON.parse(resultJson(run));
    delete noTiming.entries[1].timing;
    expect(importResultText(JSON.stringify(noTiming), 'cut.json')).toEqual({
      ok: false,
      message: 'cut.json: entries[1].timing is missing',
    });
    const badSamples = JSON.parse(resultJson(run));
    badSamples.entries[1].timing.samplesMs = [0.5, 'fast'];
    expect(importResultText(JSON.stringify(badSamples), 'samples.json')).toEqual({
      ok: false,
      message: 'samples.json: entries[1].timing.samplesMs[1] ("fast") must be a finite number',
    });
  });

  it('names exports after the suite and time, and writes CSV rows', () => {
    expect(exportBaseName(run)).toBe('attention-bench-hydragen-batch-2025-03-04T05-06-07');
    expect(resultCsv(run).trim().split('\n')).toHaveLength(1 + run.entries.length);
  });
});

describe('number formatting', () => {
  it('gives three significant digits without an exponent for everyday magnitudes', () => {
    expect([0.5, 2.345, 862.4, 999.6, 1000, 1234.5, 65535, 2e6, 2e-4].map((x) => sig(x))).toEqual([
      '0.5',
      '2.35',
      '862',
      '1000',
      '1000',
      '1235',
      '65535',
      '2.00e+6',
      '2.00e-4',
    ]);
  });
});

describe('chart data', () => {
  it('labels devices', () => {
    expect(deviceLabel(run)).toBe('NVIDIA H100 (cli)');
    const adapter = (device: string, description: string) => ({
      ...run,
      device: { ...run.device, adapter: { ...run.device.adapter, device, description } },
    });
    expect(deviceLabel(adapter('nvidia-h200', 'NVIDIA: 580.159.04 580.159.4.0'))).toBe(
      'nvidia-h200, NVIDIA: 580.159.04 580.159.4.0 (cli)',
    );
    expect(deviceLabel(adapter('0x2335', 'NVIDIA H200'))).toBe('NVIDIA H200 (cli)');
    expect(deviceLabel(adapter('h200', 'NVIDIA H200'))).toBe('NVIDIA H200 (cli)');
  });

  it('gives one series per variant over the sorted axis, with p10–p90 bands', () => {
    const d = chartData('time', [{ result: run, name: 'x' }]);
    expect(d?.x).toEqual([1, 4]);
    expect(d?.series.map((s) => s.label)).toEqual(['naive', 'hydragen']);
    expect(d?.series[0].mid).toEqual([2, 8]);
    expect(d?.series[0].lo[0]).toBeCloseTo(1.8);
    expect(d?.series[0].hi[0]).toBeCloseTo(2.4);
    expect(d && pointCount(d)).toBe(4);
    expect(d?.log).toBe(true);
  });

  it('charts no timing whose output failed its equivalence check', () => {
    const check = (pass: boolean) => ({ against: 'f64', rows: 4, pass, maxAbsErr: 0, maxRelErr: 0, worst: '' });
    const failing = file('NVIDIA H200', [
      { ...entry('naive', 1, 2), checks: [check(true)] },
      { ...entry('hydragen', 1, 0.5), checks: [check(true), check(false)] },
      { ...entry('naive', 4, 8), checks: [check(true)] },
      { ...entry('hydragen', 4, 1), checks: [check(true)] },
    ]);
    const d = chartData('time', [{ result: failing, name: 'x' }]);
    expect(d?.series.find((s) => s.label === 'hydragen')?.mid).toEqual([null, 1]);
    expect(
      chartData('speedup', [{ result: failing, name: 'x' }])?.series.find((s) => s.label === 'hydragen')?.mid,
    ).toEqual([null, 8]);
  });

  it('computes speedup against naive at the same axis value', () => {
    const d = chartData('speedup', [{ result: run, name: 'x' }]);
    expect(d?.series.find((s) => s.label === 'hydragen')?.mid).toEqual([2, 4]);
    expect(d?.series.find((s) => s.label === 'naive')?.mid).toEqual([1, 1]);
  });

  it('puts imported files beside the run, labelled by device, when their axis matches', () => {
    const other = file('Apple M3', [entry('naive', 2, 3)]);
    const elsewhere = file('Other', [entry('naive', 64, 3)], 'prefix');
    const d = chartData('gbps', [
      { result: run, name: 'this run' },
      { result: other, name: deviceLabel(other) },
      { result: elsewhere, name: 'other axis' },
    ]);
    expect(d?.x).toEqual([1, 2, 4]);
    expect(d?.series.map((s) => s.label)).toEqual([
      'naive · this run',
      'hydragen · this run',
      'naive · Apple M3 (cli)',
    ]);
    expect(d?.series[2].mid).toEqual([null, 1e6 / 0.003 / 1e9, null]);
  });
});

describe('chartData is linear in entries (issue 14: 20,000 entries exhausted memory)', () => {
  it("charts 50,000 entries (past the validator's cap, built directly) at once", () => {
    // Two variants over 25,000 axis values: the old per-entry search for naive's entry was 1.25e9 steps.
    const entries = Array.from({ length: 50_000 }, (_, i) => entry(i % 2 ? 'hydragen' : 'naive', i >> 1, 1 + (i % 7)));
    const d = chartData('speedup', [{ result: file('big', entries), name: 'x' }]);
    expect(d?.x).toHaveLength(25_000);
    expect(d?.series.map((s) => s.label)).toEqual(['naive', 'hydragen']);
    expect(d && pointCount(d)).toBe(50_000);
  });
});
