import { css, html, LitElement, nothing } from 'lit';
import { type BenchResultFile, MAX_RESULT_BYTES } from '../bench/result';
import { deviceLabel } from './chart-data';
import type { CommittedResult } from './committed-results';
import { exportBaseName, importResultText, resultCsv, resultJson, tooBig } from './result-files';
import { baseStyles } from './styles';

/**
 * Keep and compare: export the current run as JSON or CSV; import result files (the page's or the
 * CLI's) to show beside it. Imports go up as `import-result` events; a malformed file is refused here
 * with the message naming the file and the problem. The result files committed in the repository
 * (`catalog`) are offered in a list: choosing one sends `load-committed` with its name, and the
 * shell fetches it (its failures come back in `loadMessages`).
 */
export class ResultsIo extends LitElement {
  static override properties = {
    current: { attribute: false },
    imported: { attribute: false },
    catalog: { attribute: false },
    shownCommitted: { attribute: false },
    loading: { attribute: false },
    loadMessages: { attribute: false },
    messages: { state: true },
  };
  declare current: BenchResultFile | null;
  declare imported: readonly BenchResultFile[];
  /** Committed result files that can be loaded. */
  declare catalog: readonly CommittedResult[];
  /** Names of committed files already shown (not offered again). */
  declare shownCommitted: readonly string[];
  /** Names of committed files being fetched. */
  declare loading: readonly string[];
  declare loadMessages: readonly string[];
  declare messages: string[];

  static override styles = [
    baseStyles,
    css`
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
      }
      ul {
        margin: 8px 0 0;
        padding-left: 18px;
        font-size: 13px;
      }
      .x {
        padding: 0 6px;
        font-size: 12px;
        margin-left: 6px;
      }
      input[type='file'] {
        display: none;
      }
      .committed {
        margin-top: 10px;
        padding-top: 10px;
        border-top: 1px solid var(--border);
      }
      .committed label {
        font-weight: 600;
        font-size: 13px;
      }
      .committed select {
        width: auto;
        min-width: 260px;
        max-width: 100%;
      }
    `,
  ];

  constructor() {
    super();
    this.current = null;
    this.imported = [];
    this.catalog = [];
    this.shownCommitted = [];
    this.loading = [];
    this.loadMessages = [];
    this.messages = [];
  }

  private onChooseCommitted(e: Event): void {
    const select = e.target as HTMLSelectElement;
    const name = select.value;
    select.value = '';
    if (name) this.dispatchEvent(new CustomEvent('load-committed', { detail: name, bubbles: true, composed: true }));
  }

  private committed() {
    if (this.catalog.length === 0) return nothing;
    const loading = this.loading.length > 0;
    return html`<div class="row committed">
      <label for="committed">Measured results in this repository</label>
      <select id="committed" data-testid="committed" @change=${this.onChooseCommitted}>
        <option value="" selected>Show a file from benches/results/…</option>
        ${this.catalog.map((c) => {
          const shown = this.shownCommitted.includes(c.name) || this.loading.includes(c.name);
          return html`<option value=${c.name} title=${c.file} ?disabled=${shown}>${c.label}${shown ? ' (shown)' : ''}</option>`;
        })}
      </select>
      ${
        loading
          ? html`<span class="small muted" role="status" data-testid="committed-loading">loading ${this.loading.join(', ')}…</span>`
          : html`<span class="small muted">Timings from <code>npm run bench</code> on a GPU server, checks included.</span>`
      }
    </div>`;
  }

  private download(text: string, name: string, type: string): void {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  private async onFiles(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const messages: string[] = [];
    for (const file of [...(input.files ?? [])]) {
      // Refused before it is read: a huge file would take the page's memory and time.
      if (file.size > MAX_RESULT_BYTES) {
        messages.push(tooBig(file.name, file.size));
        continue;
      }
      const outcome = importResultText(await file.text(), file.name);
      if (outcome.ok)
        this.dispatchEvent(new CustomEvent('import-result', { detail: outcome.result, bubbles: true, composed: true }));
      else messages.push(outcome.message);
    }
    this.messages = messages;
    input.value = '';
  }

  override render() {
    const r = this.current;
    return html`<div class="card">
      <h2>Keep and compare</h2>
      <div class="row">
        <button data-testid="export-json" ?disabled=${!r}
          @click=${() => r && this.download(resultJson(r), `${exportBaseName(r)}.json`, 'application/json')}>Export JSON</button>
        <button data-testid="export-csv" ?disabled=${!r}
          @click=${() => r && this.download(resultCsv(r), `${exportBaseName(r)}.csv`, 'text/csv')}>Export CSV</button>
        <button @click=${() => (this.renderRoot.querySelector('input[type=file]') as HTMLInputElement).click()}>
          Import result JSON…
        </button>
        <input type="file" accept=".json,application/json" multiple data-testid="import" @change=${this.onFiles} />
        <span class="small muted">The link in the address bar reproduces this configuration.</span>
      </div>
      ${this.committed()}
      ${[...this.loadMessages, ...this.messages].map((m) => html`<p class="field-error" role="alert" data-testid="import-error">${m}</p>`)}
      ${
        this.imported.length > 0
          ? html`<ul>
              ${this.imported.map(
                (f, i) => html`<li>
                  <b>${deviceLabel(f)}</b> — ${f.suite.name}, ${f.entries.length} entries, ${f.createdAt.slice(0, 16).replace('T', ' ')}
                  <button class="x" title="Remove"
                    @click=${() => this.dispatchEvent(new CustomEvent('remove-import', { detail: i, bubbles: true, composed: true }))}>✕</button>
                </li>`,
              )}
            </ul>`
          : nothing
      }
    </div>`;
  }
}

customElements.define('ap-results-io', ResultsIo);
