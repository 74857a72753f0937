import { html, LitElement, nothing } from 'lit';
import type { BenchResultFile } from '../bench/result';
import { SPREAD_WARNING, timingWarning } from '../bench/stats';
import { ceilingPercent, entryUniqueBytes } from './chart-data';
import { percent, sig } from './format';
import { baseStyles } from './styles';

/**
 * Timings of a result file: median, p10, p90, min, GB/s from the logical bytes (what the kernel's
 * algorithm reads: a shared prefix once per sequence for naive and paged) and from the unique bytes
 * (each byte of the problem once), % of the bandwidth ceiling (from the unique bytes), TFLOP/s and
 * its % of the compute ceiling (each when the file has it), checks.
 */
export class BenchTable extends LitElement {
  static override properties = {
    result: { attribute: false },
    title: {},
    pending: { type: Boolean },
  };
  declare result: BenchResultFile | null;
  declare title: string;
  declare pending: boolean;
  static override styles = baseStyles;

  constructor() {
    super();
    this.result = null;
    this.title = 'Benchmark';
    this.pending = false;
  }

  override render() {
    const r = this.result;
    if (!r) return nothing;
    const ceiling = r.bandwidthCeilingGBps;
    const compute = r.matmulCeilingTflops;
    const share = (x: number | undefined, of: number | undefined) =>
      of && x !== undefined ? percent((100 * x) / of) : '—';
    const noisy = r.entries.filter((e) => e.timing && timingWarning(e.timing));
    const axis = r.suite.axis.name;
    return html`<div class="card">
      <h2>${this.title} ${this.pending ? html`<span class="badge">running…</span>` : nothing}</h2>
      <p class="small muted" style="margin:0 0 8px">
        ${r.suite.name}: ${r.suite.description}. Clock: <b>${r.clock}</b>${r.clock === 'wall-clock' ? ' (submit → done; includes submit overhead)' : ''}.
        Warm-up ${r.settings.warmupMs} ms, ≥ ${r.settings.minRuns} runs, ${r.settings.budgetMs} ms budget.
        ${ceiling ? html`Bandwidth ceiling ${sig(ceiling)} GB/s (streaming read, measured in that run).` : nothing}
        ${
          compute
            ? html`<span data-testid="compute-ceiling" title=${r.matmulCeiling?.ran ?? ''}>Compute ceiling ${sig(compute)} TFLOP/s
                (${r.matmulCeiling ? `${r.matmulCeiling.kind === 'f32-fma' ? 'f32 FMA matrix product' : 'f16 → f32 subgroup-matrix product'} ${r.matmulCeiling.size}³` : 'matrix product'}, measured in that run).</span>`
            : nothing
        }
        <span data-testid="bytes-note">GB/s: from the <b>logical</b> bytes (the kernel's own traffic: a shared prefix
        counts once per sequence that reads it) and from the <b>unique</b> bytes (each byte of the problem once);
        % read uses the unique bytes, so re-reads the cache serves do not count past 100%.</span>
      </p>
      ${
        noisy.length > 0
          ? html`<p class="warn small" data-testid="spread-warning">
              ⚠ Unsteady timings for ${noisy.length} of ${r.entries.length} measurements (marked ⚠): a large spread
              ((p90 − p10) / median above ${SPREAD_WARNING * 100}%) or runs at two speeds (the fastest under half the
              median). Close other tabs, warm up longer, raise the budget, or distrust the medians.
            </p>`
          : nothing
      }
      <div class="scroll">
        <table data-testid="bench">
          <tr>
            ${axis === 'config' ? nothing : html`<th class="num">${axis}</th>`}
            <th>variant</th>
            <th class="num">median ms</th>
            <th class="num">p10</th>
            <th class="num">p90</th>
            <th class="num">min</th>
            <th class="num">runs</th>
            <th class="num" title="from the logical bytes moved">GB/s</th>
            <th class="num" title="from the unique bytes: each byte of the problem once">unique GB/s</th>
            <th class="num" title="unique bytes per second as % of the bandwidth ceiling (streaming read)">% read</th>
            <th class="num">TFLOP/s</th>
            <th class="num" title="% of the compute ceiling (matrix product)">% matmul</th>
            <th>check</th>
          </tr>
          ${r.entries.map((e) => {
            const t = e.timing;
            const warning = t ? timingWarning(t) : null;
            // An entry without checks (a file from elsewhere) was not checked: neither PASS nor FAIL.
            const checked = (e.checks?.length ?? 0) > 0;
            const pass = e.checks?.every((c) => c.pass);
            const unique = entryUniqueBytes(e);
            const pct = ceilingPercent(e, ceiling);
            return html`<tr>
              ${axis === 'config' ? nothing : html`<td class="num">${e.axisValue}</td>`}
              <td title=${e.ran ?? ''}>${e.label}</td>
              ${
                e.status === 'ok' && t
                  ? html`<td class="num">${sig(t.medianMs)}${warning ? html` <span class="warn" title=${warning}>⚠</span>` : nothing}</td>
                      <td class="num muted">${sig(t.p10Ms)}</td>
                      <td class="num muted">${sig(t.p90Ms)}</td>
                      <td class="num muted">${sig(t.minMs)}</td>
                      <td class="num muted">${t.runs}${t.repsPerRun > 1 ? html`<span class="small">×${t.repsPerRun}</span>` : nothing}</td>
                      <td class="num">${sig(e.gbPerS)}</td>
                      <td class="num">${unique !== undefined ? sig(unique / (t.medianMs / 1000) / 1e9) : '—'}</td>
                      <td class="num">${pct !== undefined ? percent(pct) : '—'}</td>
                      <td class="num">${sig(e.tflopPerS)}</td>
                      <td class="num">${share(e.tflopPerS, compute)}</td>
                      ${
                        checked
                          ? html`<td class=${pass ? 'pass' : 'fail'} data-testid="check" title=${(e.checks ?? []).map((c) => `${c.against}: ${c.pass ? 'pass' : 'FAIL'} (${c.worst})`).join('\n')}>${pass ? 'PASS' : 'FAIL'}</td>`
                          : html`<td class="muted" data-testid="check" title="this entry holds no equivalence checks">not checked</td>`
                      }`
                  : html`<td colspan="11" class=${e.status === 'failed' ? 'fail small' : 'warn small'}>${e.status}: ${e.reason}</td>`
              }
            </tr>`;
          })}
        </table>
      </div>
    </div>`;
  }
}

customElements.define('ap-bench-table', BenchTable);
