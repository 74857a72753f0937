import { css, html, LitElement, nothing, svg } from 'lit';
import { type RooflineData, type RooflinePoint, seriesStyle } from './chart-data';
import { sig } from './format';
import { baseStyles } from './styles';

/**
 * The roofline: every timed entry as a point, x = FLOPs per (logical) byte moved, y = TFLOP/s, both
 * log; each file's measured ceilings as its roof: the streaming-read bandwidth (a slope: TFLOP/s =
 * GB/s × FLOP/B / 1000) and, when the file has one, the matrix-product ceiling (flat). Points keep
 * their series' colour; files other than the first are hollow, their roofs dashed as their lines.
 * Hovering a point names its variant and numbers. data-points, data-ceilings say what was drawn.
 */

const W = 640;
const H = 300;
const PAD = { left: 56, right: 14, top: 12, bottom: 36 };

/** Tick values at powers of ten (and 2, 5 between them when the range is under three decades). */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const steps = hi - lo <= 3 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = lo; e <= hi; e++)
    for (const m of steps) {
      const v = m * 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) out.push(Number(v.toPrecision(3)));
    }
  return out;
}

/** The axes' ranges: every point and every roof's ridge inside, with some room. */
export function rooflineRanges(d: RooflineData): { x: [number, number]; y: [number, number] } | null {
  if (d.points.length === 0) return null;
  const xs = d.points.map((p) => p.x);
  const ys = d.points.map((p) => p.y);
  for (const r of d.roofs) {
    if (r.matmulTflops) ys.push(r.matmulTflops);
    if (r.bandwidthGBps && r.matmulTflops) xs.push((1000 * r.matmulTflops) / r.bandwidthGBps);
  }
  const x: [number, number] = [Math.min(...xs) / 2, Math.max(...xs) * 2];
  const y: [number, number] = [Math.min(...ys) / 3, Math.max(...ys) * 2];
  return { x, y };
}

export class RooflineChart extends LitElement {
  static override properties = { data: { attribute: false }, hover: { state: true } };
  declare data: RooflineData | null;
  declare hover: RooflinePoint | null;

  static override styles = [
    baseStyles,
    css`
      svg {
        width: 100%;
        height: auto;
        display: block;
      }
      h2 {
        font-size: 13px;
        margin-bottom: 4px;
      }
      .hover {
        font-size: 12px;
        min-height: 2.6em;
      }
      text {
        font-size: 11px;
        fill: #6b7280;
      }
      circle {
        cursor: pointer;
      }
    `,
  ];

  constructor() {
    super();
    this.data = null;
    this.hover = null;
  }

  override render() {
    const d = this.data;
    if (!d) return nothing;
    const range = rooflineRanges(d);
    this.dataset.points = String(d.points.length);
    this.dataset.ceilings = d.roofs
      .flatMap((r) => [r.bandwidthGBps ? 'bandwidth' : '', r.matmulTflops ? 'matmul' : ''].filter((x) => x))
      .join(' ');
    if (!range) return nothing;
    const lx = (v: number) => Math.log10(v);
    const sx = (v: number) =>
      PAD.left + ((lx(v) - lx(range.x[0])) / (lx(range.x[1]) - lx(range.x[0]))) * (W - PAD.left - PAD.right);
    const sy = (v: number) =>
      H - PAD.bottom - ((lx(v) - lx(range.y[0])) / (lx(range.y[1]) - lx(range.y[0]))) * (H - PAD.top - PAD.bottom);
    const clampY = (v: number) => Math.min(Math.max(v, range.y[0]), range.y[1]);
    const roofs = d.roofs.map((r) => {
      const { dash } = seriesStyle({ colorIndex: 0, file: r.file });
      const dashAttr = dash.length ? dash.join(' ') : 'none';
      const parts = [];
      const top = r.matmulTflops ?? range.y[1];
      if (r.bandwidthGBps) {
        const bw = r.bandwidthGBps;
        const ridge = Math.min((1000 * top) / bw, range.x[1]);
        const x0 = Math.max(range.x[0], (1000 * range.y[0]) / bw);
        parts.push(
          svg`<line data-ceiling="bandwidth" x1=${sx(x0)} y1=${sy(clampY((bw * x0) / 1000))} x2=${sx(ridge)} y2=${sy(clampY((bw * ridge) / 1000))}
            stroke="#374151" stroke-width="1.5" stroke-dasharray=${dashAttr}><title>${r.group}: streaming read ${sig(bw)} GB/s</title></line>`,
          svg`<text x=${sx(x0) + 4} y=${sy(clampY((bw * x0) / 1000)) - 6}>${sig(bw)} GB/s</text>`,
        );
      }
      if (r.matmulTflops) {
        const mm = r.matmulTflops;
        const x0 = r.bandwidthGBps ? (1000 * mm) / r.bandwidthGBps : range.x[0];
        parts.push(
          svg`<line data-ceiling="matmul" x1=${sx(Math.max(x0, range.x[0]))} y1=${sy(mm)} x2=${sx(range.x[1])} y2=${sy(mm)}
            stroke="#374151" stroke-width="1.5" stroke-dasharray=${dashAttr}><title>${r.group}: matrix product ${sig(mm)} TFLOP/s</title></line>`,
          svg`<text x=${sx(range.x[1]) - 4} y=${sy(mm) - 5} text-anchor="end">${sig(mm)} TFLOP/s (matrix product)</text>`,
        );
      }
      return parts;
    });
    const xt = logTicks(range.x[0], range.x[1]);
    const yt = logTicks(range.y[0], range.y[1]);
    const p = this.hover;
    return html`<h2>Roofline (TFLOP/s against FLOPs per byte moved; roofs: the ceilings measured in each run)</h2>
      <svg viewBox="0 0 ${W} ${H}" role="img" aria-label="roofline">
        ${xt.map(
          (v) => svg`<line x1=${sx(v)} x2=${sx(v)} y1=${PAD.top} y2=${H - PAD.bottom} stroke="#e5e7eb" />
          <text x=${sx(v)} y=${H - PAD.bottom + 14} text-anchor="middle">${sig(v)}</text>`,
        )}
        ${yt.map(
          (v) => svg`<line x1=${PAD.left} x2=${W - PAD.right} y1=${sy(v)} y2=${sy(v)} stroke="#e5e7eb" />
          <text x=${PAD.left - 4} y=${sy(v) + 4} text-anchor="end">${sig(v)}</text>`,
        )}
        <text x=${(W + PAD.left) / 2} y=${H - 4} text-anchor="middle">FLOPs per byte moved</text>
        <text x="12" y=${H / 2} transform="rotate(-90 12 ${H / 2})" text-anchor="middle">TFLOP/s</text>
        ${roofs}
        ${d.points.map((pt) => {
          const { color } = seriesStyle(pt);
          return svg`<circle data-variant=${pt.variant} cx=${sx(pt.x)} cy=${sy(pt.y)} r="5" fill=${pt.file === 0 ? color : 'white'}
            stroke=${color} stroke-width="2" @mouseenter=${() => {
              this.hover = pt;
            }}><title>${describePoint(pt)}</title></circle>`;
        })}
      </svg>
      <p class="small muted" style="margin:2px 0">
        Bytes are the logical bytes each kernel's algorithm moves; a point above the slope got some of them from a cache
        (repeated reads of a shared prefix). Filled points: the first file; hollow: the others; roofs dashed as their lines.
      </p>
      <div class="hover mono" data-testid="roofline-hover">${p ? describePoint(p) : 'Hover a point for its variant and numbers.'}</div>`;
  }
}

/** "hydragen · H200 · WebGPU (cli) · B=32 P=16384: 3.21 TFLOP/s, 12.3 FLOP/B moved (41 per unique byte), 1.2 ms, 3000 GB/s; ran …" */
export function describePoint(p: RooflinePoint): string {
  const unique =
    p.xUnique !== undefined && Math.abs(p.xUnique - p.x) > 1e-9 * p.x ? ` (${sig(p.xUnique)} per unique byte)` : '';
  return (
    `${p.variant} · ${p.group} · ${p.config}: ${sig(p.y)} TFLOP/s, ${sig(p.x)} FLOP/B moved${unique}, ` +
    `${sig(p.medianMs)} ms, ${sig(p.gbPerS)} GB/s${p.ran ? `; ran ${p.ran}` : ''}`
  );
}

customElements.define('ap-roofline-chart', RooflineChart);
