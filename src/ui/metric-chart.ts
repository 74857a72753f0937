import { css, html, LitElement, type PropertyValues, unsafeCSS } from 'lit';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import { type ChartData, type ChartSeries, METRIC_TITLE, pointCount, seriesStyle } from './chart-data';
import { sig } from './format';
import { baseStyles } from './styles';

/**
 * One metric over the swept axis with uPlot: a line per variant, its p10–p90 band shaded, log x when
 * the axis is. The legend is drawn here (uPlot's own one would list the band edges too), grouped by
 * file (device); lines and swatches take colour and dash from the same seriesStyle().
 * data-series / data-points say what was drawn, data-strokes the colour and dash each drawn line got
 * (the end-to-end tests read them and compare them with the legend's).
 */

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
        font-size: 12px;
        margin-top: 4px;
        max-height: 120px;
        overflow-y: auto;
      }
      .group {
        display: flex;
        flex-wrap: wrap;
        gap: 2px 12px;
        align-items: center;
      }
      .group b {
        font-weight: 600;
        flex-basis: 100%;
      }
      .swatch {
        display: inline-block;
        width: 18px;
        height: 3px;
        vertical-align: middle;
        margin-right: 4px;
        border-radius: 1px;
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
    for (const s of d.series) {
      const { color, dash } = seriesStyle(s);
      const mid = series.length;
      series.push({
        label: s.label,
        stroke: color,
        dash: [...dash],
        width: 2,
        spanGaps: true,
        points: { show: true, size: 6, fill: color },
      });
      series.push({ label: `${s.label} p10`, stroke: 'transparent', points: { show: false }, spanGaps: true });
      series.push({ label: `${s.label} p90`, stroke: 'transparent', points: { show: false }, spanGaps: true });
      columns.push(s.mid, s.lo, s.hi);
      bands.push({ series: [mid + 2, mid + 1], fill: alpha(color, s.file > 0 ? 0.07 : 0.15) });
    }
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
    // What uPlot was given for each line (every third series after x is a median line).
    this.dataset.strokes = this.plot.series
      .filter((_, i) => i > 0 && (i - 1) % 3 === 0)
      .map(
        (s) =>
          `${typeof s.stroke === 'function' ? s.stroke(this.plot as uPlot, 0) : s.stroke}/${(s.dash ?? []).join(',')}`,
      )
      .join(' ');
  }

  /** Series grouped by file, in order. */
  private groups(d: ChartData): [string, ChartSeries[]][] {
    const out = new Map<string, ChartSeries[]>();
    for (const s of d.series) out.set(s.group, [...(out.get(s.group) ?? []), s]);
    return [...out];
  }

  override render() {
    const d = this.data;
    if (!d) return html``;
    this.dataset.series = String(d.series.length);
    this.dataset.points = String(pointCount(d));
    return html`<h2>${METRIC_TITLE[d.metric]}</h2>
      <div class="plot"></div>
      <div class="legend">
        ${this.groups(d).map(
          ([group, list]) => html`<div class="group" data-group=${group}>
            ${groupsShown(d) ? html`<b>${group}</b>` : ''}
            ${list.map((s) => {
              const { color, dash } = seriesStyle(s);
              return html`<span data-legend=${s.variant} data-style=${`${color}/${dash.join(',')}`}
                ><span class="swatch" style="background:${swatchBackground(color, dash)}"></span>${s.variant}</span
              >`;
            })}
          </div>`,
        )}
      </div>`;
  }
}

/** Group headings only when the series come from more than one file. */
const groupsShown = (d: ChartData): boolean => new Set(d.series.map((s) => s.group)).size > 1;

/** A legend swatch drawn with the line's dash pattern (solid when there is none). */
export function swatchBackground(color: string, dash: readonly number[]): string {
  if (dash.length === 0) return color;
  let at = 0;
  const stops: string[] = [];
  dash.forEach((len, i) => {
    const c = i % 2 === 0 ? color : 'transparent';
    stops.push(`${c} ${at}px ${at + len}px`);
    at += len;
  });
  return `repeating-linear-gradient(90deg, ${stops.join(', ')})`;
}

customElements.define('ap-metric-chart', MetricChart);
