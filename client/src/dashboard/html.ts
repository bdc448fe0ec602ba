import { webviewPageHtml } from '../webviewPage';

export { makeNonce } from '../webviewPage';

// The dashboard page's HTML. Kept free of the vscode module so the benchmark can load the same page in a
// plain Chromium. A strict CSP: scripts only with this page's nonce, styles and fonts only from the
// extension's own files, no network at all.
export interface PageUris {
  /** The webview's CSP source (webview.cspSource), or 'self' for a plain page. */
  cspSource: string;
  script: string;
  styles: string[];
  nonce: string;
  title: string;
}

export function dashboardHtml(p: PageUris): string {
  return webviewPageHtml({ ...p, body: '<div id="app"></div>' });
}
