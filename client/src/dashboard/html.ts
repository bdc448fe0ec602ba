import { escapeHtml, webviewCsp } from '../webviewPage';

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
  const links = p.styles.map((s) => `<link rel="stylesheet" href="${escapeHtml(s)}">`).join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${webviewCsp(p.cspSource, p.nonce)}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    ${links}
    <title>${escapeHtml(p.title)}</title>
  </head>
  <body>
    <div id="app"></div>
    <script nonce="${p.nonce}" src="${escapeHtml(p.script)}"></script>
  </body>
</html>`;
}
