import { html, LitElement, nothing } from 'lit';
import type { EquivalenceReport } from './equivalence';
import { sci } from './format';
import { baseStyles } from './styles';

/** Each kernel vs the f64 reference and vs the first kernel: max abs / rel error, worst index, PASS/FAIL. */
export class EquivalenceTable extends LitElement {
  static override properties = { report: { attribute: false }, pending: { type: Boolean } };
  declare report: EquivalenceReport | null;
  declare pending: boolean;
  static override styles = baseStyles;

  constructor() {
    super();
    this.report = null;
    this.pending = false;
  }

  override render() {
    const r = this.report;
    if (!r) return nothing;
    return html`<div class="card">
      <h2>Equivalence ${this.pending ? html`<span class="badge">running…</span>` : nothing}</h2>
      <p class="small muted" style="margin:0 0 8px">
        Tolerance ${r.tolerance}. Reference: f64 on the CPU, ${r.referenceRows}. Relative error uses a floor of 1e-3 on |ref|.
      </p>
      <div class="scroll">
        <table data-testid="equivalence">
          <tr>
            <th>kernel</th>
            <th>variant</th>
            <th>against</th>
            <th class="num">rows</th>
            <th class="num">max abs err</th>
            <th class="num">max rel err</th>
            <th>worst element</th>
            <th>result</th>
          </tr>
          ${r.rows.flatMap((row) =>
            row.error
              ? [
                  html`<tr data-kernel=${row.kernel}>
                    <td>${row.kernel}</td>
                    <td colspan="6" class="warn small">${row.error}</td>
                    <td class="muted" data-testid="verdict">NOT RUN</td>
                  </tr>`,
                ]
              : row.checks.map(
                  (c, i) => html`<tr data-kernel=${row.kernel}>
                    <td>${i === 0 ? row.kernel : ''}</td>
                    <td class="small muted">${i === 0 ? row.variant : ''}</td>
                    <td class="small" style="white-space:nowrap">${c.against}</td>
                    <td class="num">${c.rows}</td>
                    <td class="num mono">${sci(c.maxAbsErr)}</td>
                    <td class="num mono">${sci(c.maxRelErr)}</td>
                    <td class="mono small">${c.worst}</td>
                    <td class=${c.pass ? 'pass' : 'fail'} data-testid="verdict">${c.pass ? 'PASS' : 'FAIL'}</td>
                  </tr>`,
                ),
          )}
        </table>
      </div>
    </div>`;
  }
}

customElements.define('ap-equivalence-table', EquivalenceTable);
