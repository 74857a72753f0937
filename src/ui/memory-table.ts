import { css, html, LitElement } from 'lit';
import { type MemoryEstimate, shortBytes } from './memory-estimate';
import { baseStyles } from './styles';

/** GPU memory each kernel would allocate for the problem, and which ones this device refuses (and why). */
export class MemoryTable extends LitElement {
  static override properties = { estimates: { attribute: false } };
  declare estimates: readonly MemoryEstimate[];
  static override styles = [
    baseStyles,
    css`
      td.why {
        overflow-wrap: anywhere;
        padding-top: 0;
      }
      tr.has-why td {
        border-bottom: 0;
      }
    `,
  ];

  constructor() {
    super();
    this.estimates = [];
  }

  override render() {
    if (this.estimates.length === 0) return html``;
    return html`<table>
      <tr>
        <th>kernel</th>
        <th class="num">GPU memory</th>
        <th>largest buffer</th>
        <th>here</th>
      </tr>
      ${this.estimates.map(
        (m) => html`<tr data-kernel=${m.kernel} class=${m.refusal ? 'has-why' : ''}>
            <td title=${m.title}>${m.kernel}</td>
            <td class="num">${shortBytes(m.totalBytes)}</td>
            <td class="small muted">${m.largestBuffer ? `${m.largestBuffer.label}: ${shortBytes(m.largestBuffer.bytes)}` : '—'}</td>
            <td class=${m.refusal ? 'fail small' : 'pass small'} data-testid="memory-status">${m.refusal ? 'refused' : 'fits'}</td>
          </tr>
          ${m.refusal ? html`<tr><td colspan="4" class="why fail small" data-testid="memory-refusal">${m.refusal}</td></tr>` : ''}`,
      )}
    </table>`;
  }
}

customElements.define('ap-memory-table', MemoryTable);
