import { css, html, LitElement } from 'lit';
import { baseStyles } from './styles';

/** Shown instead of the playground when there is no WebGPU: what is missing and how to get it. */
export class NoWebGpu extends LitElement {
  static override properties = { reason: {} };
  declare reason: string;

  static override styles = [
    baseStyles,
    css`
      .card {
        max-width: 760px;
        margin: 40px auto 16px;
        padding: 24px 28px;
      }
      h2 {
        font-size: 20px;
      }
      li {
        margin: 4px 0;
      }
    `,
  ];

  constructor() {
    super();
    this.reason = '';
  }

  override render() {
    const secure = window.isSecureContext;
    return html`<div class="card" role="alert">
      <h2>This browser gives the page no WebGPU</h2>
      <p class="fail">${this.reason}</p>
      ${
        secure
          ? ''
          : html`<p class="warn">
              This page is not a secure context: WebGPU is only offered over <code>https://</code> or on
              <code>http://localhost</code>. Open it that way.
            </p>`
      }
      <h3>How to get WebGPU</h3>
      <ul>
        <li><b>Chrome / Edge 113+</b> on Windows, macOS and ChromeOS: on by default. Check <code>chrome://gpu</code>
          ("WebGPU: Hardware accelerated").</li>
        <li><b>Chrome on Linux</b>: start it with <code>--enable-unsafe-webgpu --enable-features=Vulkan</code>, or enable
          <code>chrome://flags/#enable-unsafe-webgpu</code>; it needs a Vulkan driver (<code>libvulkan1</code> and your
          GPU's ICD).</li>
        <li><b>Safari 26+</b> (macOS, iOS): on by default; earlier versions: Develop → Feature Flags → WebGPU.</li>
        <li><b>Firefox 141+</b> on Windows: on by default; elsewhere set <code>dom.webgpu.enabled</code> in
          <code>about:config</code> (Nightly).</li>
        <li>Without a GPU, Chromium can run WebGPU on SwiftShader (software; fine for checking, meaningless for
          timing).</li>
      </ul>
      <p class="muted">
        Result files can still be looked at without WebGPU: run <code>npm run bench -- --suite … --out run.json</code>
        on a GPU server and import the file below.
      </p>
    </div>`;
  }
}

customElements.define('ap-no-webgpu', NoWebGpu);
