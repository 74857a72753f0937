import { css, html, LitElement, nothing } from 'lit';
import type { BandwidthCeiling } from '../bench/bandwidth';
import type { MatmulCeilingRecord } from '../bench/result';
import { describeDevice } from '../bench/runner';
import type { GpuContext } from '../gpu/context';
import { sig } from './format';
import { shortBytes } from './memory-estimate';
import { baseStyles } from './styles';

/** The adapter, its features and the limits that matter, with a button that copies them all. */
export class GpuPanel extends LitElement {
  static override properties = {
    gpu: { attribute: false },
    ceiling: { attribute: false },
    matmulCeiling: { attribute: false },
    matmulError: {},
    copied: { state: true },
  };
  declare gpu: GpuContext | null;
  declare ceiling: BandwidthCeiling | null;
  declare matmulCeiling: MatmulCeilingRecord | null;
  declare matmulError: string;
  declare copied: boolean;

  static override styles = [
    baseStyles,
    css`
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 3px 12px;
        margin: 0;
      }
      dt {
        color: var(--muted);
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      .badges {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
      }
      .head {
        justify-content: space-between;
      }
      td.num {
        width: 40%;
      }
    `,
  ];

  constructor() {
    super();
    this.gpu = null;
    this.ceiling = null;
    this.matmulCeiling = null;
    this.matmulError = '';
    this.copied = false;
  }

  /** Everything the panel shows, as JSON for bug reports. */
  report(): string {
    if (!this.gpu) return '';
    return JSON.stringify(
      {
        ...describeDevice(this.gpu),
        subgroupMatrixConfigs: this.gpu.subgroupMatrixConfigs,
        userAgent: navigator.userAgent,
        bandwidthCeilingGBps: this.ceiling?.gbPerS,
        matmulCeiling: this.matmulCeiling ?? undefined,
      },
      null,
      2,
    );
  }

  private async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.report());
      this.copied = true;
      setTimeout(() => {
        this.copied = false;
      }, 1500);
    } catch {
      // Clipboard refused (no permission): show the text so it can be copied by hand.
      window.prompt('Copy the GPU report', this.report());
    }
  }

  override render() {
    const g = this.gpu;
    if (!g) return html`<div class="card"><h2>GPU</h2><p class="muted">Requesting a WebGPU device…</p></div>`;
    const a = g.adapter;
    const f = g.features;
    const badge = (on: boolean, name: string, extra = '') =>
      html`<span class="badge ${on ? 'on' : 'off'}" title=${on ? 'available' : 'not available'}>${name}${extra}</span>`;
    const sub = g.subgroupMinSize ? ` ${g.subgroupMinSize}–${g.subgroupMaxSize}` : '';
    const mats = g.subgroupMatrixConfigs.map((c) => `${c.componentType}→${c.resultComponentType} ${c.M}×${c.N}×${c.K}`);
    const l = g.limits;
    const limits: [string, string][] = [
      ['maxStorageBufferBindingSize', shortBytes(l.maxStorageBufferBindingSize)],
      ['maxBufferSize', shortBytes(l.maxBufferSize)],
      ['maxComputeWorkgroupStorageSize', shortBytes(l.maxComputeWorkgroupStorageSize)],
      ['maxComputeInvocationsPerWorkgroup', String(l.maxComputeInvocationsPerWorkgroup)],
      ['maxComputeWorkgroupsPerDimension', String(l.maxComputeWorkgroupsPerDimension)],
      ['maxStorageBuffersPerShaderStage', String(l.maxStorageBuffersPerShaderStage)],
    ];
    return html`<div class="card">
      <h2 class="head">
        <span>GPU</span>
        <button @click=${this.copy} title="Copy adapter, features and limits as JSON">
          ${this.copied ? 'Copied ✓' : 'Copy report'}
        </button>
      </h2>
      <dl>
        <dt>Vendor</dt>
        <dd>${a.vendor || '—'}</dd>
        <dt>Architecture</dt>
        <dd>${a.architecture || '—'}</dd>
        <dt>Description</dt>
        <dd>${a.description || a.device || '—'}</dd>
        <dt>Fallback</dt>
        <dd>${a.isFallbackAdapter ? html`<span class="warn">yes (software adapter: timings mean little)</span>` : 'no'}</dd>
        <dt>Bandwidth</dt>
        <dd data-testid="ceiling">
          ${
            this.ceiling
              ? html`${sig(this.ceiling.gbPerS)} GB/s
                  <span class="muted small">streaming read of ${shortBytes(this.ceiling.bytes)}, ${this.ceiling.clock}</span>
                  ${
                    this.ceiling.cappedBy
                      ? html`<div class="warn small" data-testid="ceiling-capped">
                          asked for ${shortBytes(this.ceiling.requestedBytes)}: ${this.ceiling.cappedBy}
                        </div>`
                      : nothing
                  }`
              : html`<span class="muted">measured with the first benchmark</span>`
          }
        </dd>
        <dt>Compute</dt>
        <dd data-testid="matmul-ceiling">
          ${
            this.matmulCeiling
              ? html`${sig(this.matmulCeiling.tflops)} TFLOP/s
                  <span class="muted small" title=${this.matmulCeiling.ran}>${this.matmulCeiling.kind === 'subgroup-matrix' ? 'subgroup matrices, f16 → f32' : 'f32 FMA (no subgroup matrices)'}, ${this.matmulCeiling.size}³, ${this.matmulCeiling.clock}</span>`
              : this.matmulError
                ? html`<span class="warn">not measured: ${this.matmulError}</span>`
                : html`<span class="muted">measured with the first benchmark</span>`
          }
        </dd>
      </dl>
      <h3>Features</h3>
      <div class="badges">
        ${badge(f.timestampQuery, 'timestamp-query')} ${badge(f.shaderF16, 'shader-f16')}
        ${badge(f.subgroups, 'subgroups', sub)} ${badge(f.subgroupMatrix, 'subgroup matrix')}
      </div>
      ${mats.length > 0 ? html`<div class="small muted mono" style="margin-top:4px">${mats.join(' · ')}</div>` : ''}
      <h3>Limits</h3>
      <table>
        ${limits.map(([k, v]) => html`<tr><td class="mono">${k}</td><td class="num">${v}</td></tr>`)}
      </table>
    </div>`;
  }
}

customElements.define('ap-gpu-panel', GpuPanel);
