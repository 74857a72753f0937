import { css, html, LitElement, nothing } from 'lit';
import type { BenchResultFile } from '../bench/result';
import { deviceLabel } from './chart-data';
import { exportBaseName, importResultText, resultCsv, resultJson } from './result-files';
import { baseStyles } from './styles';

/**
 * Keep and compare: export the current run as JSON or CSV; import result files (the page's or the
 * CLI's) to show beside it. Imports go up as `import-result` events; a malformed file is refused here
 * with the message naming the file and the problem.
 */
export class ResultsIo extends LitElement {
  static override properties = {
    current: { attribute: false },
    imported: { attribute: false },
    messages: { state: true },
  };
  declare current: BenchResultFile | null;
  declare imported: readonly BenchResultFile[];
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
    `,
  ];

  constructor() {
    super();
    this.current = null;
    this.imported = [];
    this.messages = [];
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
      ${this.messages.map((m) => html`<p class="field-error" role="alert" data-testid="import-error">${m}</p>`)}
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
