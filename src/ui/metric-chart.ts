import { css, html, LitElement, type PropertyValues, unsafeCSS } from 'lit';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import { type ChartData, METRIC_TITLE, pointCount } from './chart-data';
import { sig } from './format';
import { baseStyles } from './styles';

/**
 * One metric over the swept axis with uPlot: a line per variant, its p10–p90 band shaded, log x when
 * the axis is. The legend is drawn here (uPlot's own one would list the band edges too).
 * data-series / data-points say what was drawn (the end-to-end test reads them).
 */

export const SERIES_COLORS = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#ca8a04',
  '#db2777',
  '#4b5563',
];

const alpha = (hex: string, a: number): string => {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
};

/** Ticks at 1, 2, 5 × 10^k inside [min, max] (uPlot's own log ticks draw a line at every integer multiple). */
export function logSplits(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) out.push(Number(v.toPrecision(3)));
    }
  }
  return out;
}

export class MetricChart extends LitElement {
  static override properties = { data: { attribute: false } };
  declare data: ChartData | null;

  static override styles = [
    baseStyles,
    unsafeCSS(uplotCss),
    css`
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 14px;
        font-size: 12px;
        margin-top: 4px;
      }
      .swatch {
        display: inline-block;
        width: 14px;
        height: 3px;
        vertical-align: middle;
        margin-right: 5px;
        border-radius: 2px;
      }
      .plot {
        min-height: 240px;
      }
      h2 {
        font-size: 13px;
        margin-bottom: 4px;
      }
    `,
  ];

  private plot: uPlot | null = null;
  /** Colour of a series: one per variant, in order of first appearance. */
  private colorOf(d: ChartData, i: number): string {
    const variants = [...new Set(d.series.map((s) => s.variant))];
    return SERIES_COLORS[variants.indexOf(d.series[i].variant) % SERIES_COLORS.length];
  }

  private resize = new ResizeObserver(() => this.fit());

  constructor() {
    super();
    this.data = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.resize.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  private fit(): void {
    const box = this.renderRoot.querySelector('.plot') as HTMLElement | null;
    if (this.plot && box && box.clientWidth > 0) this.plot.setSize({ width: box.clientWidth, height: 240 });
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('data')) this.draw();
  }

  private draw(): void {
    this.plot?.destroy();
    this.plot = null;
    const d = this.data;
    const box = this.renderRoot.querySelector('.plot') as HTMLElement | null;
    if (!d || !box) return;
    const series: uPlot.Series[] = [{ label: d.axis }];
    const bands: uPlot.Band[] = [];
    const columns: (number | null)[][] = [];
    d.series.forEach((s, i) => {
      const color = SERIES_COLORS[i % SERIES_COLORS.length];
      const mid = series.length;
      series.push({
        label: s.label,
        stroke: color,
        width: 2,
        spanGaps: true,
        points: { show: true, size: 6, fill: color },
      });
      series.push({ label: `${s.label} p10`, stroke: 'transparent', points: { show: false }, spanGaps: true });
      series.push({ label: `${s.label} p90`, stroke: 'transparent', points: { show: false }, spanGaps: true });
      columns.push(s.mid, s.lo, s.hi);
      bands.push({ series: [mid + 2, mid + 1], fill: alpha(color, s.file > 0 ? 0.07 : 0.15) });
    });
    const values = columns.flat().filter((v): v is number => v !== null && v > 0);
    const logY = values.length > 0 && Math.max(...values) / Math.min(...values) > 30;
    const width = box.clientWidth || 600;
    this.plot = new uPlot(
      {
        width,
        height: 240,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: d.log ? { time: false, distr: 3, log: 2 } : { time: false },
          y: logY ? { distr: 3, log: 10 } : {},
        },
        axes: [
          {
            label: d.axis,
            // Ticks at the swept values themselves (1, 2, 4, 8 … rather than 1.5, 2.5), every one
            // labelled (uPlot's default log filter blanks those that are not powers of the base).
            splits: () => d.x,
            filter: (_u: uPlot, splits: number[]) => splits,
            stroke: '#6b7280',
            grid: { stroke: '#e5e7eb' },
            values: (_u, ticks) => ticks.map((t) => sig(t)),
          },
          {
            stroke: '#6b7280',
            grid: { stroke: '#e5e7eb' },
            size: 60,
            values: (_u, ticks) => ticks.map((t) => (t === null ? '' : sig(t))),
            ...(logY
              ? {
                  splits: (_u: uPlot, _i: number, min: number, max: number) => logSplits(min, max),
                  // uPlot's default log filter blanks every tick that is not a power of 10.
                  filter: (_u: uPlot, splits: number[]) => splits,
                }
              : {}),
          },
        ],
        series,
        bands,
        hooks: {
          draw: [
            () => {
              this.dataset.drawn = String(Number(this.dataset.drawn ?? '0') + 1);
            },
          ],
        },
      },
      [d.x, ...columns] as uPlot.AlignedData,
      box,
    );
  }

  override render() {
    const d = this.data;
    if (!d) return html``;
    this.dataset.series = String(d.series.length);
    this.dataset.points = String(pointCount(d));
    return html`<h2>${METRIC_TITLE[d.metric]}</h2>
      <div class="plot"></div>
      <div class="legend">
        ${d.series.map((s, i) => {
          const c = this.colorOf(d, i);
          const bg = s.file > 0 ? `repeating-linear-gradient(90deg, ${c} 0 4px, transparent 4px 7px)` : c;
          return html`<span><span class="swatch" style="background:${bg}"></span>${s.label}</span>`;
        })}
      </div>`;
  }
}

customElements.define('ap-metric-chart', MetricChart);
