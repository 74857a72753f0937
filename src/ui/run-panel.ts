import { css, html, LitElement, nothing } from 'lit';
import type { BenchSuite } from '../../benches/suite';
import type { KernelDescriptor } from '../kernels/kernel';
import type { RunErrors } from './run-config';
import { baseStyles } from './styles';
import { AXIS_TITLE, SWEEP_AXES } from './sweep';
import type { PageState, RunSettingsForm } from './url-state';

/**
 * What to run: kernels, mode (check / benchmark / sweep), the sweep, timing settings; Run, Cancel and
 * progress. Changes go up as `state-change` events carrying a partial PageState.
 */
export class RunPanel extends LitElement {
  static override properties = {
    state: { attribute: false },
    registry: { attribute: false },
    suites: { attribute: false },
    errors: { attribute: false },
    running: { type: Boolean },
    canRun: { type: Boolean },
    blocked: {},
    progress: {},
    fraction: { type: Number },
  };
  declare state: PageState;
  declare registry: readonly KernelDescriptor[];
  declare suites: readonly BenchSuite[];
  declare errors: RunErrors;
  declare running: boolean;
  declare canRun: boolean;
  /** Why Run is disabled, shown under it. */
  declare blocked: string;
  declare progress: string;
  declare fraction: number;

  static override styles = [
    baseStyles,
    css`
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 6px 14px;
        align-items: center;
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(3, minmax(0, 1fr));
        gap: 8px 10px;
      }
      .wide {
        grid-column: 1 / -1;
      }
      label.k {
        display: flex;
        gap: 5px;
        align-items: center;
      }
      label.f {
        display: block;
        font-size: 12px;
        color: var(--muted);
        margin-bottom: 2px;
      }
      .modes {
        display: flex;
        border: 1px solid var(--border-strong);
        border-radius: 6px;
        overflow: hidden;
      }
      .modes button {
        flex: 1;
        border: 0;
        border-radius: 0;
        background: var(--input);
      }
      .modes button + button {
        border-left: 1px solid var(--border-strong);
      }
      .modes button[aria-pressed='true'] {
        background: var(--accent);
        color: white;
      }
      .actions {
        display: flex;
        gap: 8px;
        margin-top: 14px;
        align-items: center;
      }
      .actions .primary {
        flex: 1;
        padding: 8px;
      }
      .bar {
        height: 4px;
        background: var(--hover);
        border-radius: 2px;
        overflow: hidden;
        margin-top: 10px;
      }
      .bar > div {
        height: 100%;
        background: var(--accent);
        transition: width 0.2s;
      }
      .progress {
        font-size: 12px;
        margin-top: 4px;
      }
      details summary {
        cursor: pointer;
        color: var(--muted);
        font-size: 12px;
        margin-top: 12px;
      }
      .mode-help {
        font-size: 12px;
        margin: 6px 0 0;
      }
    `,
  ];

  constructor() {
    super();
    this.registry = [];
    this.suites = [];
    this.errors = {};
    this.running = false;
    this.canRun = false;
    this.blocked = '';
    this.progress = '';
    this.fraction = 0;
  }

  private set(patch: Partial<PageState>): void {
    this.dispatchEvent(new CustomEvent('state-change', { detail: patch, bubbles: true, composed: true }));
  }

  private setSetting(key: keyof RunSettingsForm, value: string): void {
    this.set({ settings: { ...this.state.settings, [key]: value } });
  }

  private toggleKernel(name: string, on: boolean): void {
    const all = this.registry.map((k) => k.name);
    const current = this.state.kernels.includes('all') ? all : this.state.kernels.filter((n) => n !== name);
    let next = on ? [...current.filter((n) => n !== name), name] : current.filter((n) => n !== name);
    next = all.filter((n) => next.includes(n)).concat(next.filter((n) => !all.includes(n)));
    this.set({ kernels: all.every((n) => next.includes(n)) && next.length === all.length ? ['all'] : next });
  }

  private err(field: keyof RunErrors) {
    const e = this.errors[field];
    return e ? html`<div class="field-error" data-field=${field}>${e}</div>` : nothing;
  }

  private setting(key: keyof RunSettingsForm, label: string, hint: string) {
    return html`<div>
      <label class="f" for=${`s-${key}`}>${label}</label>
      <input id=${`s-${key}`} name=${key} inputmode="numeric" title=${hint} .value=${this.state.settings[key]}
        aria-invalid=${this.errors[key] ? 'true' : 'false'}
        @change=${(e: Event) => this.setSetting(key, (e.target as HTMLInputElement).value)} />
      ${this.err(key)}
    </div>`;
  }

  override render() {
    const s = this.state;
    const all = s.kernels.includes('all');
    const modes: [string, string][] = [
      ['check', 'Check'],
      ['bench', 'Benchmark'],
      ['sweep', 'Sweep'],
    ];
    const help: Record<string, string> = {
      check: 'Run each kernel once; compare with the f64 CPU reference and with each other.',
      bench: 'Check, then time each kernel on this problem: warm-up, then timed runs.',
      sweep: 'Check, then time every kernel over one axis; charts per metric.',
    };
    return html`<div class="card">
      <h2>Run</h2>
      <label class="f">Kernels</label>
      <div class="row">
        ${this.registry.map(
          (k) => html`<label class="k" title=${k.title}>
            <input type="checkbox" name="kernel" value=${k.name} .checked=${all || s.kernels.includes(k.name)}
              @change=${(e: Event) => this.toggleKernel(k.name, (e.target as HTMLInputElement).checked)} />
            ${k.name}
          </label>`,
        )}
      </div>
      ${this.err('kernels')}
      <h3>Mode</h3>
      <div class="modes" role="group" aria-label="mode">
        ${modes.map(
          ([m, t]) =>
            html`<button type="button" data-mode=${m} aria-pressed=${s.mode === m ? 'true' : 'false'} @click=${() => this.set({ mode: m })}>${t}</button>`,
        )}
      </div>
      ${this.err('mode')}
      <p class="mode-help muted">${help[s.mode] ?? ''}</p>
      ${s.mode === 'sweep' ? this.sweep() : nothing}
      ${
        s.mode === 'check'
          ? nothing
          : html`<details ?open=${Object.keys(this.errors).some((k) => k in s.settings)}>
              <summary>Timing: warm-up ${s.settings.warmupMs} ms, ≥ ${s.settings.minRuns} runs, ${s.settings.budgetMs} ms budget</summary>
              <div class="grid" style="margin-top:6px">
                ${this.setting('warmupMs', 'warm-up ms', 'Repeat the kernel this long before timing')}
                ${this.setting('minRuns', 'runs (min)', 'At least this many timed runs')}
                ${this.setting('budgetMs', 'budget ms', 'Keep timing until this much time has passed')}
                ${this.setting('seed', 'seed', 'Seed of the random problem data')}
                ${this.setting('ceilingMiB', 'ceiling MiB', 'Buffer size of the streaming-read bandwidth ceiling')}
                ${this.setting('matmulSize', 'matmul N', 'M = N = K of the matrix product measuring the compute ceiling (a multiple of 128; 0 skips it)')}
              </div>
            </details>`
      }
      <div class="actions">
        <button class="primary" data-testid="run" ?disabled=${this.running || !this.canRun}
          @click=${() => this.dispatchEvent(new CustomEvent('run', { bubbles: true, composed: true }))}>
          ${this.running ? 'Running…' : s.mode === 'check' ? 'Check equivalence' : s.mode === 'bench' ? 'Check + benchmark' : 'Check + sweep'}
        </button>
        <button data-testid="cancel" ?disabled=${!this.running}
          @click=${() => this.dispatchEvent(new CustomEvent('cancel', { bubbles: true, composed: true }))}>Cancel</button>
      </div>
      ${!this.running && this.blocked ? html`<div class="progress warn" data-testid="blocked">Cannot run: ${this.blocked}.</div>` : nothing}
      ${
        this.running || this.progress
          ? html`<div class="bar"><div style="width:${Math.round(this.fraction * 100)}%"></div></div>
              <div class="progress muted mono" data-testid="progress">${this.progress}</div>`
          : nothing
      }
    </div>`;
  }

  private sweep() {
    const s = this.state;
    const custom = s.suite === 'custom';
    const named = this.suites.find((x) => x.name === s.suite);
    return html`<div class="grid" style="margin-top:10px">
      <div class="wide">
        <label class="f" for="r-suite">Sweep</label>
        <select id="r-suite" name="suite" aria-invalid=${this.errors.suite ? 'true' : 'false'}
          @change=${(e: Event) => this.set({ suite: (e.target as HTMLSelectElement).value })}>
          <option value="custom" ?selected=${custom}>Custom: one axis of the own-values problem</option>
          ${this.suites.map((x) => html`<option value=${x.name} ?selected=${x.name === s.suite}>Suite: ${x.name}</option>`)}
          ${!custom && !named ? html`<option value=${s.suite} selected>${s.suite}</option>` : nothing}
        </select>
        ${this.err('suite')} ${named ? html`<p class="mode-help muted">${named.description}</p>` : nothing}
      </div>
      ${
        custom
          ? html`<div>
                <label class="f" for="r-axis">Axis</label>
                <select id="r-axis" name="axis" aria-invalid=${this.errors.axis ? 'true' : 'false'}
                  @change=${(e: Event) => this.set({ axis: (e.target as HTMLSelectElement).value })}>
                  ${SWEEP_AXES.map((a) => html`<option value=${a} ?selected=${a === s.axis}>${AXIS_TITLE[a]}</option>`)}
                  ${(SWEEP_AXES as readonly string[]).includes(s.axis) ? nothing : html`<option value=${s.axis} selected>${s.axis}</option>`}
                </select>
                ${this.err('axis')}
              </div>
              <div style="grid-column: span 2">
                <label class="f" for="r-values">Values</label>
                <input id="r-values" name="values" .value=${s.values} aria-invalid=${this.errors.values ? 'true' : 'false'}
                  @change=${(e: Event) => this.set({ values: (e.target as HTMLInputElement).value })} />
                ${this.err('values')}
              </div>`
          : nothing
      }
    </div>`;
  }
}

customElements.define('ap-run-panel', RunPanel);
