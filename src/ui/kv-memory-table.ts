import { html, LitElement, nothing } from 'lit';
import { DEFAULT_BLOCK_SIZE } from '../kernels/paged';
import { BLOCK_SIZES } from '../paged/block-pool';
import { pagedMemoryReport } from '../paged/memory-report';
import { kvBytesPerElement, type ProblemSpec } from '../problem/problem';
import { percent, sig } from './format';
import { shortBytes } from './memory-estimate';
import { baseStyles } from './styles';

/**
 * The paged KV cache's memory for the problem at each block size (src/paged/memory-report.ts):
 * blocks used, tokens stored for the tokens the sequences hold, fragmentation (empty rows of used
 * blocks) and what prefix sharing saves: vLLM's trade-off between small blocks (less waste, longer
 * block tables) and big ones. The block size the run uses is marked.
 */
export class KvMemoryTable extends LitElement {
  static override properties = { spec: { attribute: false }, blockSize: { type: Number } };
  declare spec: ProblemSpec | null;
  declare blockSize: number | undefined;
  static override styles = baseStyles;

  constructor() {
    super();
    this.spec = null;
    this.blockSize = undefined;
  }

  override render() {
    const spec = this.spec;
    if (!spec) return nothing;
    const chosen = this.blockSize ?? DEFAULT_BLOCK_SIZE;
    const sizes = BLOCK_SIZES.includes(chosen) ? BLOCK_SIZES : [...BLOCK_SIZES, chosen].sort((a, b) => a - b);
    const bpe = kvBytesPerElement(spec.kvDtype);
    return html`<div class="scroll"><table data-testid="kv-memory">
        <tr>
          <th class="num" title="tokens a block">block</th>
          <th class="num" title="blocks used">blocks</th>
          <th class="num" title="K and V of the blocks used">K/V</th>
          <th class="num" title="tokens stored (a shared token once) / tokens the sequences hold">stored / held</th>
          <th class="num" title="empty rows of the blocks used">frag.</th>
          <th class="num" title="memory the same tables would take with no sharing, minus what they take">saved</th>
        </tr>
        ${sizes.map((bs) => {
          if (!BLOCK_SIZES.includes(bs))
            return html`<tr><td class="num">${bs}</td><td colspan="5" class="warn small">paged takes block sizes ${BLOCK_SIZES.join(', ')}</td></tr>`;
          const r = pagedMemoryReport(spec, bs, bpe);
          return html`<tr data-block=${bs} style=${bs === chosen ? 'font-weight:600' : ''}>
            <td class="num">${bs}${bs === chosen ? ' ◂' : ''}</td>
            <td class="num">${r.blocksUsed}</td>
            <td class="num">${shortBytes(r.bytesUsed)}</td>
            <td class="num">${sig(r.tokensStored)} / ${sig(r.tokensLogical)}</td>
            <td class="num">${percent(100 * r.fragmentation)}</td>
            <td class="num">${shortBytes(r.bytesSavedBySharing)}</td>
          </tr>`;
        })}
      </table></div>
      <p class="small muted" style="margin:6px 0 0">
        From the problem's shape, as the paged kernel lays it out (shared prefixes stored once, a partial block
        copied on write): fragmentation is the empty rows of used blocks, saved is what sharing saves. ◂ marks the
        block size the run uses.
      </p>`;
  }
}

customElements.define('ap-kv-memory-table', KvMemoryTable);
