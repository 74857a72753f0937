import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import type { BenchSuite } from '../../benches/suite';
import { suites } from '../../benches/suites';
import { type BandwidthCeiling, measureBandwidth } from '../bench/bandwidth';
import { FALLBACK_CEILING_SIZE, measureMatmulCeiling } from '../bench/matmul/ceiling';
import type { BenchResultFile, MatmulCeilingRecord } from '../bench/result';
import { BenchCancelled, type BenchProgress } from '../bench/runner';
import { acquireGpu, type GpuContext } from '../gpu/context';
import { kernels as registry } from '../kernels/registry';
import {
  type ChartData,
  type ChartFilter,
  chartData,
  deviceLabel,
  fileLabel,
  METRICS,
  type RooflineData,
  rooflineData,
  type ShownResult,
  variantIndex,
} from './chart-data';
import { committedResults } from './committed-catalog';
import { fetchCommitted, resolveCommitted } from './committed-results';
import { checkEquivalence, type EquivalenceReport } from './equivalence';
import { estimateMemory, type MemoryEstimate } from './memory-estimate';
import { describeSpec, type FormResult, formToProblem, type ProblemForm } from './problem-form';
import { type RunErrors, resolveKernelSelection, resolveMode, resolveSettings } from './run-config';
import { formatProgress, runSuiteOnPage } from './run-suite';
import { baseStyles } from './styles';
import { customSweepSuite, type SuiteResult, singleConfigSuite, suiteForKernels } from './sweep';
import { defaultSettingsForm, type PageState, paramsToState, stateToParams } from './url-state';
import './bench-table';
import './equivalence-table';
import './gpu-panel';
import './kv-memory-table';
import './memory-table';
import './metric-chart';
import './no-webgpu';
import './problem-builder';
import './progress-card';
import './roofline-chart';
import './results-io';
import './run-panel';

type RunState = 'idle' | 'running' | 'done' | 'cancelled' | 'error';

/**
 * The playground: holds the page state (mirrored in the URL), the WebGPU device, and the results;
 * validates everything before anything runs; runs check / benchmark / sweep with progress and Cancel.
 * `run-state` on the element says idle / running / done / cancelled / error.
 */
export class AppShell extends LitElement {
  static override properties = {
    state: { state: true },
    gpu: { state: true },
    noGpu: { state: true },
    lostMessage: { state: true },
    gpuErrors: { state: true },
    ceiling: { state: true },
    matmulCeiling: { state: true },
    matmulError: { state: true },
    equivalence: { state: true },
    current: { state: true },
    imported: { state: true },
    loadingCommitted: { state: true },
    loadMessages: { state: true },
    runState: { reflect: true, attribute: 'run-state' },
    progress: { state: true },
    fraction: { state: true },
    benchProgress: { state: true },
    hiddenVariants: { state: true },
    hiddenFiles: { state: true },
    notice: { state: true },
  };
  declare state: PageState;
  declare gpu: GpuContext | null;
  declare noGpu: string;
  declare lostMessage: string;
  declare gpuErrors: string[];
  declare ceiling: BandwidthCeiling | null;
  /** The compute ceiling (a matrix product), and why it was not measured when it failed. */
  declare matmulCeiling: MatmulCeilingRecord | null;
  declare matmulError: string;
  declare equivalence: EquivalenceReport | null;
  declare current: BenchResultFile | null;
  declare imported: BenchResultFile[];
  /** Committed result files (benches/results/) being fetched, and why the last ones asked for did not load. */
  declare loadingCommitted: string[];
  declare loadMessages: string[];
  declare runState: RunState;
  declare progress: string;
  declare fraction: number;
  /** The suite runner's last progress report (null before the first config). */
  declare benchProgress: BenchProgress | null;
  /** Chart series and files the person unticked. */
  declare hiddenVariants: ReadonlySet<string>;
  declare hiddenFiles: ReadonlySet<string>;
  declare notice: string;
  private runStartedAt = 0;

  private abort: AbortController | null = null;
  private problem: FormResult = { ok: false, errors: {} };
  private runErrors: RunErrors = {};
  private suite: SuiteResult | null = null;
  private memory: MemoryEstimate[] = [];
  private autorunPending = false;
  /** Which imported results are committed files, by name (they are listed in the URL's `results`). */
  private committedOf = new Map<BenchResultFile, string>();

  static override styles = [
    baseStyles,
    css`
      header {
        display: flex;
        align-items: baseline;
        gap: 14px;
        flex-wrap: wrap;
        padding: 14px 24px;
        border-bottom: 1px solid var(--border);
        background: var(--card);
      }
      header h1 {
        font-size: 18px;
        margin: 0;
      }
      header .chip {
        margin-left: auto;
        font-size: 12px;
      }
      main {
        display: grid;
        grid-template-columns: minmax(340px, 430px) minmax(0, 1fr);
        gap: 16px;
        padding: 16px 24px 40px;
        align-items: start;
      }
      .col {
        display: grid;
        grid-template-columns: minmax(0, 1fr);
        gap: 16px;
        min-width: 0;
      }
      .col > * {
        min-width: 0;
      }
      @media (max-width: 900px) {
        main {
          grid-template-columns: 1fr;
        }
      }
      .banner {
        border: 1px solid var(--bad);
        background: var(--bad-bg);
        border-radius: 10px;
        padding: 10px 14px;
        font-size: 13px;
      }
      .banner ul {
        margin: 4px 0 0;
        padding-left: 18px;
      }
      .banner .mono {
        overflow-wrap: anywhere;
      }
      .note {
        border: 1px solid var(--border);
        border-radius: 10px;
        padding: 10px 14px;
        font-size: 13px;
        background: var(--card);
      }
      .charts {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
        gap: 12px 20px;
      }
      .offline {
        max-width: 1100px;
        margin: 0 auto 40px;
        padding: 0 24px;
      }
      .filter {
        display: grid;
        gap: 2px;
        margin-bottom: 8px;
      }
      .filter .pick {
        display: inline-flex;
        gap: 4px;
        align-items: center;
        margin-right: 12px;
      }
      .empty {
        color: var(--muted);
        text-align: center;
        padding: 40px 20px;
      }
    `,
  ];

  constructor() {
    super();
    this.state = paramsToState(new URLSearchParams(location.search));
    this.autorunPending = this.state.autorun;
    this.gpu = null;
    this.noGpu = '';
    this.lostMessage = '';
    this.gpuErrors = [];
    this.ceiling = null;
    this.matmulCeiling = null;
    this.matmulError = '';
    this.equivalence = null;
    this.current = null;
    this.imported = [];
    this.loadingCommitted = [];
    this.loadMessages = [];
    this.runState = 'idle';
    this.progress = '';
    this.fraction = 0;
    this.benchProgress = null;
    this.hiddenVariants = new Set();
    this.hiddenFiles = new Set();
    this.notice = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.connectGpu();
    if (this.state.results.length > 0) void this.loadCommitted(this.state.results);
  }

  /**
   * Fetch committed result files (by name) and show them like imported ones. The URL's `results`
   * keeps the names of those shown: a name that is unknown or fails to load is dropped, with a message.
   */
  private async loadCommitted(names: readonly string[]): Promise<void> {
    const shown = new Set(this.committedOf.values());
    const wanted = names.filter((n) => !shown.has(n) && !this.loadingCommitted.includes(n));
    const { found, messages } = resolveCommitted(wanted, committedResults);
    this.loadingCommitted = [...this.loadingCommitted, ...found.map((c) => c.name)];
    this.loadMessages = messages;
    const outcomes = await Promise.all(found.map((c) => fetchCommitted(c)));
    const failed: string[] = wanted.filter((n) => !found.some((c) => c.name === n));
    const loaded: BenchResultFile[] = [];
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.ok) {
        loaded.push(outcome.result);
        this.committedOf.set(outcome.result, found[i].name);
      } else {
        failed.push(found[i].name);
        messages.push(outcome.message);
      }
    }
    this.imported = [...this.imported, ...loaded];
    this.loadingCommitted = this.loadingCommitted.filter((n) => !found.some((c) => c.name === n));
    this.loadMessages = messages;
    if (failed.length > 0) this.setState({ results: this.state.results.filter((n) => !failed.includes(n)) });
  }

  private chooseCommitted(name: string): void {
    if (!this.state.results.includes(name)) this.setState({ results: [...this.state.results, name] });
    void this.loadCommitted([name]);
  }

  private removeImport(index: number): void {
    const removed = this.imported[index];
    this.imported = this.imported.filter((_, i) => i !== index);
    const name = removed && this.committedOf.get(removed);
    if (name === undefined) return;
    this.committedOf.delete(removed);
    this.setState({ results: this.state.results.filter((n) => n !== name) });
  }

  /** Get a device (first load, or after one was lost) and watch it for loss and uncaptured errors. */
  private async connectGpu(): Promise<void> {
    this.lostMessage = '';
    try {
      const gpu = await acquireGpu(navigator.gpu, {
        onUncapturedError: (m) => {
          this.gpuErrors = [...this.gpuErrors, `WebGPU error: ${m}`];
        },
      });
      this.gpu = gpu;
      this.ceiling = null;
      this.matmulCeiling = null;
      this.matmulError = '';
      void gpu.lost.then((info) => {
        if (this.gpu !== gpu) return;
        this.abort?.abort();
        this.lostMessage = `The WebGPU device was lost (${info.reason ?? 'unknown'}): ${info.message || 'no message'}`;
      });
      if (this.autorunPending) {
        this.autorunPending = false;
        await this.updateComplete;
        void this.run();
      }
    } catch (e) {
      if (!navigator.gpu) this.noGpu = (e as Error).message;
      else this.gpuErrors = [...this.gpuErrors, (e as Error).message];
    }
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('state') || changed.has('gpu')) this.validate();
  }

  /** Everything the run needs, checked before anything runs: form, kernels, mode, settings, sweep, memory. */
  private validate(): void {
    const s = this.state;
    this.problem = formToProblem(s.form);
    const errors: RunErrors = {};
    const sel = resolveKernelSelection(s.kernels, registry);
    if (sel.error) errors.kernels = sel.error;
    const mode = resolveMode(s.mode, errors);
    resolveSettings(s.settings, errors);
    this.suite = null;
    if (mode === 'sweep') {
      if (s.suite === 'custom') this.suite = customSweepSuite(s.form, s.axis, s.values, sel.kernels);
      else {
        const named = suites.find((x) => x.name === s.suite);
        if (named) this.suite = { ok: true, suite: suiteForKernels(named, sel.kernels, s.kernels.includes('all')) };
        else
          errors.suite = `unknown suite ${JSON.stringify(s.suite)}; known: ${['custom', ...suites.map((x) => x.name)].join(', ')}`;
      }
      if (this.suite && !this.suite.ok) {
        const e = this.suite.errors;
        if (e.axis) errors.axis = e.axis;
        if (e.values) errors.values = e.values;
        if (!e.axis && !e.values) errors.values = `the sweep's problem is invalid: ${Object.values(e)[0]}`;
      }
    } else if (mode === 'bench') {
      this.suite = singleConfigSuite(s.form, sel.kernels);
    }
    this.runErrors = errors;
    this.memory =
      this.problem.ok && this.gpu ? estimateMemory(this.problem.spec, this.gpu, sel.kernels, this.problem.options) : [];
  }

  /** Why Run is disabled; '' when it is not. */
  private get blocked(): string {
    if (!this.gpu) return 'waiting for a WebGPU device';
    if (this.lostMessage) return 'the device was lost: get a new one first';
    if (!this.problem.ok || Object.keys(this.runErrors).length > 0) return 'fix the fields marked in red first';
    if (!this.memory.some((m) => m.refusal === null))
      return 'no selected kernel can run this problem here (see GPU memory per kernel)';
    return '';
  }

  private get canRun(): boolean {
    return this.blocked === '';
  }

  private setState(patch: Partial<PageState>): void {
    this.state = { ...this.state, ...patch, autorun: false };
    const q = stateToParams(this.state).toString();
    history.replaceState(null, '', `${location.pathname}${q ? `?${q}` : ''}${location.hash}`);
  }

  private async run(): Promise<void> {
    this.validate();
    const gpu = this.gpu;
    const problem = this.problem;
    if (!gpu || !problem.ok || !this.canRun || this.runState === 'running') {
      this.runState = 'error';
      this.notice = `Nothing ran: ${this.blocked || 'a run is already going'}.`;
      return;
    }
    const errors: RunErrors = {};
    const settings = resolveSettings(this.state.settings, errors);
    const mode = resolveMode(this.state.mode, errors);
    const runnable = new Set(this.memory.filter((m) => m.refusal === null).map((m) => m.kernel));
    const kernels = resolveKernelSelection(this.state.kernels, registry).kernels;
    this.abort = new AbortController();
    const signal = this.abort.signal;
    this.runState = 'running';
    this.notice = '';
    this.equivalence = null;
    this.current = null;
    this.progress = 'checking equivalence';
    this.fraction = 0;
    this.benchProgress = null;
    this.runStartedAt = performance.now();
    try {
      const refused = this.memory.filter((m) => m.refusal !== null);
      this.equivalence = await checkEquivalence(
        gpu,
        problem.spec,
        kernels.filter((k) => runnable.has(k.name)),
        problem.options,
        settings.seed,
        (row) => {
          this.progress = `checked ${row.kernel}`;
        },
      );
      if (refused.length > 0)
        this.equivalence = {
          ...this.equivalence,
          rows: [
            ...this.equivalence.rows,
            ...refused.map((m) => ({ kernel: m.kernel, variant: '', error: m.refusal ?? '', checks: [] })),
          ],
        };
      if (signal.aborted) throw new BenchCancelled();
      if (mode !== 'check' && this.suite?.ok) {
        const suite: BenchSuite = this.suite.suite;
        if (!this.ceiling) {
          this.progress = 'measuring the bandwidth ceiling (streaming read)';
          this.ceiling = await measureBandwidth(gpu, { bytes: settings.ceilingMiB * 2 ** 20, signal });
        }
        // The default size is too much work for a software adapter (seconds a product): a small one there.
        const matmulSize =
          gpu.adapter.isFallbackAdapter && this.state.settings.matmulSize === defaultSettingsForm.matmulSize
            ? FALLBACK_CEILING_SIZE
            : settings.matmulSize;
        if (matmulSize === 0) this.matmulCeiling = null;
        else if (this.matmulCeiling?.size !== matmulSize) {
          // A compute ceiling that cannot run or disagrees with the CPU is shown in the GPU panel; the suite still runs.
          this.progress = `measuring the compute ceiling (matrix product ${matmulSize}³)`;
          this.matmulError = '';
          try {
            this.matmulCeiling = await measureMatmulCeiling(gpu, { size: matmulSize, signal });
          } catch (e) {
            if (gpu.isLost) throw e;
            this.matmulCeiling = null;
            this.matmulError = (e as Error).message;
          }
          if (signal.aborted) throw new BenchCancelled();
        }
        this.current = await runSuiteOnPage(
          gpu,
          suite,
          settings,
          {
            signal,
            onProgress: (p) => {
              this.progress = formatProgress(p);
              this.benchProgress = p;
              const perConfig = 1 / p.configCount;
              const inConfig =
                (p.variantIndex + (p.phase === 'timing' && p.runs ? Math.min(1, p.run / p.runs) : 0)) / p.variantCount;
              this.fraction = (p.configIndex + inConfig) * perConfig;
            },
          },
          { bandwidthGBps: this.ceiling.gbPerS, ...(this.matmulCeiling ? { matmul: this.matmulCeiling } : {}) },
          (partial) => {
            this.current = partial;
          },
        );
      }
      this.runState = 'done';
      this.fraction = 1;
      this.progress = this.summaryLine();
    } catch (e) {
      if (e instanceof BenchCancelled || signal.aborted) {
        this.runState = 'cancelled';
        this.progress = `cancelled${this.current ? ` after ${this.current.entries.length} measurements (kept below)` : ''}`;
      } else {
        this.runState = 'error';
        this.progress = 'failed';
        this.gpuErrors = [...this.gpuErrors, (e as Error).message];
      }
    } finally {
      this.abort = null;
    }
  }

  private summaryLine(): string {
    const eq = this.equivalence;
    const checks = eq ? eq.rows.flatMap((r) => r.checks) : [];
    const failed = checks.filter((c) => !c.pass).length;
    const parts = [`done: ${checks.length - failed}/${checks.length} checks pass`];
    if (this.current) parts.push(`${this.current.entries.filter((e) => e.status === 'ok').length} timings`);
    return parts.join(', ');
  }

  /** The files charted: this run first, then the imported ones, each named by its short device label (unique). */
  private shown(): ShownResult[] {
    const files = [...(this.current ? [this.current] : []), ...this.imported];
    const names: string[] = [];
    return files.map((result) => {
      const base = `${result === this.current ? 'this run · ' : ''}${fileLabel(result)}`;
      let name = base;
      for (let k = 2; names.includes(name); k++) name = `${base} (${k})`;
      names.push(name);
      return { result, name };
    });
  }

  private get filter(): ChartFilter {
    return { hiddenVariants: this.hiddenVariants, hiddenFiles: this.hiddenFiles };
  }

  private charts(): ChartData[] {
    const shown = this.shown();
    return METRICS.map((m) => chartData(m, shown, this.filter)).filter(
      (d): d is ChartData => d !== null && d.x.length > 1 && d.series.length > 0,
    );
  }

  private roofline(): RooflineData {
    return rooflineData(this.shown(), this.filter);
  }

  private toggle(which: 'hiddenVariants' | 'hiddenFiles', name: string, show: boolean): void {
    const next = new Set(this[which]);
    if (show) next.delete(name);
    else next.add(name);
    this[which] = next;
  }

  /** Tick boxes for the variants and files (devices) the charts show. */
  private chartFilter() {
    const shown = this.shown();
    const variants = [...variantIndex(shown).keys()];
    const box = (which: 'hiddenVariants' | 'hiddenFiles', name: string) =>
      html`<label class="pick"><input type="checkbox" data-pick=${which === 'hiddenFiles' ? 'file' : 'variant'} value=${name}
        .checked=${!this[which].has(name)} @change=${(e: Event) => this.toggle(which, name, (e.target as HTMLInputElement).checked)} />${name}</label>`;
    return html`<div class="filter small" data-testid="chart-filter">
      <div><span class="muted">Kernels:</span> ${variants.map((v) => box('hiddenVariants', v))}</div>
      ${shown.length > 1 ? html`<div><span class="muted">Devices:</span> ${shown.map((s) => box('hiddenFiles', s.name))}</div>` : nothing}
    </div>`;
  }

  override render() {
    const charts = this.charts();
    if (this.noGpu)
      return html`<ap-no-webgpu .reason=${this.noGpu}></ap-no-webgpu>
        <div class="col offline">${this.comparison(charts)}</div>`;
    const s = this.state;
    const g = this.gpu;
    return html`<header>
        <h1>attention-playground</h1>
        <span class="muted small">naive, prefix-shared and paged attention on WebGPU — checked against f64, timed, charted</span>
        <span class="chip muted" data-testid="gpu-chip">
          ${g ? `${g.adapter.vendor || 'GPU'} · ${g.adapter.architecture || g.adapter.description || ''}${g.adapter.isFallbackAdapter ? ' (fallback)' : ''}` : 'no device yet'}
        </span>
      </header>
      <main>
        <div class="col">
          <ap-problem-builder
            .form=${s.form}
            .errors=${this.problem.ok ? {} : this.problem.errors}
            .summary=${this.problem.ok ? describeSpec(this.problem.spec) : ''}
            @form-change=${(e: CustomEvent<ProblemForm>) => this.setState({ form: e.detail })}
          ></ap-problem-builder>
          ${
            this.memory.length > 0
              ? html`<div class="card"><h2>GPU memory per kernel</h2><ap-memory-table .estimates=${this.memory}></ap-memory-table></div>`
              : nothing
          }
          ${
            this.problem.ok
              ? html`<div class="card"><h2>Paged KV memory</h2>
                  <ap-kv-memory-table .spec=${this.problem.spec} .blockSize=${this.problem.options.blockSize}></ap-kv-memory-table></div>`
              : nothing
          }
          <ap-run-panel
            .state=${s}
            .registry=${registry}
            .suites=${suites}
            .errors=${this.runErrors}
            .running=${this.runState === 'running'}
            .canRun=${this.canRun}
            .blocked=${this.blocked}
            .progress=${this.progress}
            .fraction=${this.fraction}
            @state-change=${(e: CustomEvent<Partial<PageState>>) => this.setState(e.detail)}
            @run=${() => void this.run()}
            @cancel=${() => this.abort?.abort()}
          ></ap-run-panel>
          <ap-gpu-panel
            .gpu=${g}
            .ceiling=${this.ceiling}
            .matmulCeiling=${this.matmulCeiling}
            .matmulError=${this.matmulError}
          ></ap-gpu-panel>
        </div>
        <div class="col">
          ${this.banner()}
          ${this.notice ? html`<div class="note warn" role="status">${this.notice}</div>` : nothing}
          ${
            this.runState === 'running'
              ? html`<ap-progress-card .status=${this.benchProgress} .phase=${this.progress} .fraction=${this.fraction}
                  .startedAt=${this.runStartedAt}></ap-progress-card>`
              : nothing
          }
          ${
            !this.equivalence && !this.current && this.imported.length === 0 && this.runState !== 'running'
              ? html`<div class="card empty">
                  Choose a problem and kernels, then <b>Check</b>, <b>Benchmark</b> or <b>Sweep</b>.<br />
                  Results, charts and exports appear here; result files from <code>npm run bench</code> can be imported below, or chosen from those measured for this repository.
                </div>`
              : nothing
          }
          <ap-equivalence-table .report=${this.equivalence} .pending=${this.runState === 'running' && !this.current}></ap-equivalence-table>
          ${this.comparison(charts)}
        </div>
      </main>`;
  }

  /** Charts, this run's and imported timings, export and import: all that needs no GPU. */
  private comparison(charts: ChartData[]) {
    const roof = this.roofline();
    return html`${
      charts.length > 0 || roof.points.length > 0
        ? html`<div class="card" data-testid="charts-card">
            <h2>Charts</h2>
            ${this.chartFilter()}
            <div class="charts">${charts.map((d) => html`<ap-metric-chart data-metric=${d.metric} .data=${d}></ap-metric-chart>`)}</div>
            ${roof.points.length > 0 ? html`<ap-roofline-chart .data=${roof}></ap-roofline-chart>` : nothing}
          </div>`
        : nothing
    }
      <ap-bench-table .result=${this.current} .title=${'This run'} .pending=${this.runState === 'running'}></ap-bench-table>
      ${this.imported.map((r) => {
        const committed = this.committedOf.get(r);
        const from = committed ? ` — benches/results/${committed}.json` : '';
        return html`<ap-bench-table .result=${r} .title=${`Imported: ${deviceLabel(r)}${from}`}></ap-bench-table>`;
      })}
      <ap-results-io
        .current=${this.current}
        .imported=${this.imported}
        .catalog=${committedResults}
        .shownCommitted=${[...this.committedOf.values()]}
        .loading=${this.loadingCommitted}
        .loadMessages=${this.loadMessages}
        @import-result=${(e: CustomEvent<BenchResultFile>) => {
          this.imported = [...this.imported, e.detail];
        }}
        @remove-import=${(e: CustomEvent<number>) => this.removeImport(e.detail)}
        @load-committed=${(e: CustomEvent<string>) => this.chooseCommitted(e.detail)}
      ></ap-results-io>`;
  }

  private banner() {
    if (!this.lostMessage && this.gpuErrors.length === 0) return nothing;
    return html`<div class="banner" role="alert" data-testid="gpu-errors">
      ${
        this.lostMessage
          ? html`<div>
              <b>${this.lostMessage}</b>
              <button style="margin-left:8px" data-testid="new-device" @click=${() => void this.connectGpu()}>Get a new device</button>
            </div>`
          : nothing
      }
      ${
        this.gpuErrors.length > 0
          ? html`<ul>
              ${this.gpuErrors.slice(-5).map((m) => html`<li class="mono">${m}</li>`)}
            </ul>
            <button style="margin-top:6px" @click=${() => {
              this.gpuErrors = [];
            }}>Dismiss</button>`
          : nothing
      }
    </div>`;
  }
}

customElements.define('ap-app', AppShell);
