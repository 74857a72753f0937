import { css } from 'lit';

/** Styles shared by the page's components (each component adopts them into its shadow root). */
export const baseStyles = css`
  :host {
    display: block;
    font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    color: var(--fg);
  }
  * {
    box-sizing: border-box;
  }
  h2 {
    font-size: 15px;
    font-weight: 600;
    margin: 0 0 10px;
    display: flex;
    align-items: center;
    gap: 8px;
  }
  h3 {
    font-size: 13px;
    font-weight: 600;
    margin: 14px 0 6px;
    color: var(--muted);
    text-transform: uppercase;
    letter-spacing: 0.04em;
  }
  .card {
    background: var(--card);
    border: 1px solid var(--border);
    border-radius: 10px;
    padding: 14px 16px;
  }
  .muted {
    color: var(--muted);
  }
  .small {
    font-size: 12px;
  }
  table {
    border-collapse: collapse;
    width: 100%;
    font-size: 13px;
  }
  th,
  td {
    text-align: left;
    padding: 5px 8px;
    border-bottom: 1px solid var(--border);
    vertical-align: top;
  }
  th {
    font-weight: 600;
    color: var(--muted);
    font-size: 12px;
    white-space: nowrap;
  }
  td.num,
  th.num {
    text-align: right;
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
  }
  code,
  .mono {
    font-family: ui-monospace, 'SF Mono', Menlo, Consolas, monospace;
    font-size: 12px;
  }
  button {
    font: inherit;
    font-size: 13px;
    padding: 6px 12px;
    border-radius: 6px;
    border: 1px solid var(--border-strong);
    background: var(--card);
    color: var(--fg);
    cursor: pointer;
  }
  button:hover:not(:disabled) {
    background: var(--hover);
  }
  button.primary {
    background: var(--accent);
    border-color: var(--accent);
    color: white;
    font-weight: 600;
  }
  button.primary:hover:not(:disabled) {
    filter: brightness(1.1);
    background: var(--accent);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  input,
  select {
    font: inherit;
    font-size: 13px;
    padding: 4px 6px;
    border: 1px solid var(--border-strong);
    border-radius: 5px;
    background: var(--input);
    color: var(--fg);
    width: 100%;
    min-width: 0;
  }
  input[type='checkbox'] {
    width: auto;
  }
  input[aria-invalid='true'],
  select[aria-invalid='true'] {
    border-color: var(--bad);
    background: var(--bad-bg);
  }
  .field-error {
    color: var(--bad);
    font-size: 12px;
    margin-top: 2px;
  }
  .pass {
    color: var(--good);
    font-weight: 700;
  }
  .fail {
    color: var(--bad);
    font-weight: 700;
  }
  .warn {
    color: var(--warn);
  }
  .badge {
    display: inline-block;
    padding: 1px 7px;
    border-radius: 999px;
    font-size: 11px;
    font-weight: 600;
    background: var(--hover);
    color: var(--muted);
  }
  .badge.on {
    background: var(--good-bg);
    color: var(--good);
  }
  .badge.off {
    background: var(--hover);
    color: var(--muted);
    text-decoration: line-through;
  }
  .scroll {
    overflow-x: auto;
  }
`;
