import { escapeHtml, webviewCsp } from '../webviewPage';

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
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${webviewCsp(p.cspSource, p.nonce)}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <link rel="stylesheet" href="${escapeHtml(p.style)}">
    <title>${escapeHtml(p.title)}</title>
  </head>
  <body>
    <main id="app" aria-live="polite"></main>
    <script nonce="${escapeHtml(p.nonce)}" src="${escapeHtml(p.script)}"></script>
  </body>
</html>`;
}
