import { css, html, LitElement, nothing } from 'lit';
import { presets } from '../problem/presets';
import { type FieldErrors, type FormField, fieldLabel, type ProblemForm } from './problem-form';
import { baseStyles } from './styles';

/**
 * The problem builder: a preset or own values. Every change is sent up as a `form-change` event with
 * the whole form; refusals come back down as `errors` and are shown at their fields.
 */
export class ProblemBuilder extends LitElement {
  static override properties = {
    form: { attribute: false },
    errors: { attribute: false },
    summary: {},
  };
  declare form: ProblemForm;
  declare errors: FieldErrors;
  declare summary: string;

  static override styles = [
    baseStyles,
    css`
      .grid {
        display: grid;
        grid-template-columns: repeat(3, minmax(0, 1fr));
        gap: 8px 10px;
      }
      label {
        display: block;
        font-size: 12px;
        color: var(--muted);
        margin-bottom: 2px;
      }
      .wide {
        grid-column: 1 / -1;
      }
      .seg {
        display: flex;
        border: 1px solid var(--border-strong);
        border-radius: 6px;
        overflow: hidden;
      }
      .seg button {
        flex: 1;
        border: 0;
        border-radius: 0;
        padding: 4px 6px;
        background: var(--input);
      }
      .seg button + button {
        border-left: 1px solid var(--border-strong);
      }
      .seg button[aria-pressed='true'] {
        background: var(--accent);
        color: white;
      }
      .check {
        display: flex;
        align-items: center;
        gap: 6px;
        padding-top: 18px;
        font-size: 13px;
        color: var(--fg);
      }
      .summary {
        margin-top: 10px;
        padding: 6px 8px;
        background: var(--hover);
        border-radius: 6px;
        font-size: 12px;
      }
      .desc {
        font-size: 12px;
        margin: 6px 0 0;
      }
    `,
  ];

  constructor() {
    super();
    this.errors = {};
    this.summary = '';
  }

  private set(patch: Partial<ProblemForm>): void {
    this.dispatchEvent(
      new CustomEvent('form-change', { detail: { ...this.form, ...patch }, bubbles: true, composed: true }),
    );
  }

  private field(name: FormField, opts: { wide?: boolean; hint?: string } = {}) {
    const err = this.errors[name];
    const id = `f-${name}`;
    return html`<div class=${opts.wide ? 'wide' : ''}>
      <label for=${id}>${fieldLabel(name, this.form.sharing)}</label>
      <input
        id=${id}
        name=${name}
        inputmode="numeric"
        .value=${String(this.form[name])}
        aria-invalid=${err ? 'true' : 'false'}
        title=${opts.hint ?? ''}
        @change=${(e: Event) => this.set({ [name]: (e.target as HTMLInputElement).value })}
      />
      ${err ? html`<div class="field-error" data-field=${name}>${err}</div>` : nothing}
    </div>`;
  }

  private select(name: FormField, options: readonly [string, string][]) {
    const err = this.errors[name];
    const value = String(this.form[name]);
    const known = options.some(([v]) => v === value);
    return html`<div>
      <label for=${`f-${name}`}>${fieldLabel(name, this.form.sharing)}</label>
      <select
        id=${`f-${name}`}
        name=${name}
        aria-invalid=${err ? 'true' : 'false'}
        @change=${(e: Event) => this.set({ [name]: (e.target as HTMLSelectElement).value })}
      >
        ${known ? nothing : html`<option value=${value} selected>${value}</option>`}
        ${options.map(([v, t]) => html`<option value=${v} ?selected=${v === value}>${t}</option>`)}
      </select>
      ${err ? html`<div class="field-error" data-field=${name}>${err}</div>` : nothing}
    </div>`;
  }

  override render() {
    const f = this.form;
    const preset = f.preset !== '' && Object.hasOwn(presets, f.preset) ? presets[f.preset] : undefined;
    const sharing: [string, string][] = [
      ['none', 'No sharing'],
      ['prefix', 'Shared prefix'],
      ['tree', 'Tree'],
    ];
    return html`<div class="card">
      <h2>Problem</h2>
      <div class="grid">
        <div class="wide">
          <label for="f-preset">Start from</label>
          <select
            id="f-preset"
            name="preset"
            aria-invalid=${this.errors.preset ? 'true' : 'false'}
            @change=${(e: Event) => this.set({ preset: (e.target as HTMLSelectElement).value })}
          >
            <option value="" ?selected=${f.preset === ''}>Own values (below)</option>
            ${Object.keys(presets).map((n) => html`<option value=${n} ?selected=${n === f.preset}>Preset: ${n}</option>`)}
            ${f.preset !== '' && !preset ? html`<option value=${f.preset} selected>${f.preset}</option>` : nothing}
          </select>
          ${this.errors.preset ? html`<div class="field-error" data-field="preset">${this.errors.preset}</div>` : nothing}
          ${preset ? html`<p class="desc muted">${preset.description}</p>` : nothing}
        </div>
      </div>
      ${preset ? nothing : this.ownValues(sharing)}
      <h3>Kernel options</h3>
      <div class="grid">
        ${this.select('blockSize', [
          ['8', '8'],
          ['16', '16'],
          ['32', '32'],
        ])}
        ${this.select('splitK', [
          ['auto', 'auto'],
          ['on', 'on'],
          ['off', 'off'],
        ])}
      </div>
      ${this.errors.form ? html`<div class="field-error" data-field="form">${this.errors.form}</div>` : nothing}
      ${this.summary ? html`<div class="summary mono" data-testid="problem-summary">${this.summary}</div>` : nothing}
    </div>`;
  }

  private ownValues(sharing: [string, string][]) {
    const f = this.form;
    return html`<h3>Shape</h3>
      <div class="grid">
        ${this.field('headsQ')} ${this.field('headsKV')} ${this.field('headDim', { hint: 'a multiple of 4, 16 to 256' })}
        ${this.field('queriesPerSeq', { hint: 'queries per sequence: 1 = decode' })}
        <label class="check"><input type="checkbox" name="causal" .checked=${f.causal}
          @change=${(e: Event) => this.set({ causal: (e.target as HTMLInputElement).checked })} /> causal</label>
        ${this.select('kvDtype', [
          ['f32', 'f32'],
          ['f16', 'f16'],
        ])}
      </div>
      <h3>Batch and sharing</h3>
      <div class="grid">
        <div class="wide">
          <div class="seg" role="group" aria-label="sharing">
            ${sharing.map(
              ([v, t]) =>
                html`<button type="button" aria-pressed=${f.sharing === v ? 'true' : 'false'} @click=${() => this.set({ sharing: v })}>${t}</button>`,
            )}
          </div>
          ${this.errors.sharing ? html`<div class="field-error" data-field="sharing">${this.errors.sharing}</div>` : nothing}
        </div>
        ${this.field('batch')} ${f.sharing === 'none' ? nothing : this.field('prefixLength')} ${this.field('suffixLength')}
        ${f.sharing === 'tree' ? html`${this.field('treeLevels')} ${this.field('treeFanOut')}` : nothing}
      </div>`;
  }
}

customElements.define('ap-problem-builder', ProblemBuilder);
