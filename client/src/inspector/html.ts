import { webviewPageHtml } from '../webviewPage';

export { makeNonce } from '../webviewPage';

// The inspector page. Free of the vscode module so tests can check the policy. Strict CSP: the one script only
// with this page's nonce, styles only from the extension's files, no network, no inline styles or handlers.
export interface InspectorPage {
  /** webview.cspSource */
  readonly cspSource: string;
  readonly script: string;
  readonly style: string;
  readonly nonce: string;
  readonly title: string;
}

export function inspectorHtml(p: InspectorPage): string {
  return webviewPageHtml({ ...p, styles: [p.style], body: '<main id="app" aria-live="polite"></main>' });
}
