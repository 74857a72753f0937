import { css, html, LitElement, nothing } from 'lit';
import type { BenchProgress } from '../bench/runner';
import { baseStyles } from './styles';

/**
 * Progress of a long run, in the results pane: a bar, configs done of all, the kernel and run in
 * progress, time gone and an estimate of time left. `data-testid=run-progress`; the bar's fraction
 * is on `data-fraction`. The time shown refreshes twice a second while it is on the page.
 */

/** "12 s", "3 min 05 s", "1 h 02 min". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export interface ProgressView {
  readonly configs: string;
  readonly current: string;
  readonly elapsed: string;
  readonly left: string;
}

/**
 * The lines the card shows. Time left is extrapolated from the fraction done so far (configs differ
 * in size, so it is an estimate, and none is given before 2% is done).
 */
export function progressView(
  p: BenchProgress | null,
  phase: string,
  fraction: number,
  elapsedMs: number,
): ProgressView {
  const configs = p
    ? `${p.configIndex + (p.phase === 'done' ? 1 : 0)} of ${p.configCount} configs done`
    : 'before the first config';
  let current = phase;
  if (p && p.phase !== 'done') {
    const what = p.label ? `${p.config} · ${p.label}` : p.config;
    const step =
      p.phase === 'timing'
        ? `run ${p.run}/${Math.max(p.run, p.runs)}`
        : p.phase === 'warmup'
          ? `warm-up ${p.run}`
          : p.phase === 'generate'
            ? 'generating data'
            : p.phase;
    current = `${what} · ${step}`;
  }
  const f = Math.min(1, Math.max(0, fraction));
  const left =
    f >= 0.02 && f < 1 ? `about ${duration((elapsedMs * (1 - f)) / f)} left` : f >= 1 ? 'finishing' : 'estimating…';
  return { configs, current, elapsed: `${duration(elapsedMs)} gone`, left };
}

export class ProgressCard extends LitElement {
  static override properties = {
    status: { attribute: false },
    phase: {},
    fraction: { type: Number },
    startedAt: { type: Number },
  };
  declare status: BenchProgress | null;
  /** What runs outside the suite (checks, the ceiling), shown until the first config starts. */
  declare phase: string;
  declare fraction: number;
  declare startedAt: number;
  private timer: ReturnType<typeof setInterval> | undefined;

  static override styles = [
    baseStyles,
    css`
      .bar {
        height: 10px;
        background: var(--hover);
        border-radius: 5px;
        overflow: hidden;
        margin: 6px 0;
      }
      .bar > div {
        height: 100%;
        background: var(--accent);
        transition: width 0.2s;
      }
      .line {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 16px;
        font-size: 12px;
      }
    `,
  ];

  constructor() {
    super();
    this.status = null;
    this.phase = '';
    this.fraction = 0;
    this.startedAt = performance.now();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.timer = setInterval(() => this.requestUpdate(), 500);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  override render() {
    const v = progressView(this.status, this.phase, this.fraction, performance.now() - this.startedAt);
    const pct = Math.round(Math.min(1, Math.max(0, this.fraction)) * 100);
    return html`<div class="card" data-testid="run-progress" data-fraction=${this.fraction.toFixed(3)}>
      <h2>Running… ${pct}%</h2>
      <div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct}>
        <div style="width:${pct}%"></div>
      </div>
      <div class="line"><b data-testid="progress-configs">${v.configs}</b><span class="mono">${v.current || nothing}</span></div>
      <div class="line muted"><span>${v.elapsed}</span><span data-testid="progress-left">${v.left}</span>
        <span>Results appear below as each config finishes.</span></div>
    </div>`;
  }
}

customElements.define('ap-progress-card', ProgressCard);
