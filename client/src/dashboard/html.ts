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
  const csp = [
    "default-src 'none'",
    `img-src ${p.cspSource} data:`,
    `style-src ${p.cspSource}`,
    `font-src ${p.cspSource}`,
    `script-src 'nonce-${p.nonce}'`,
  ].join('; ');
  const links = p.styles.map((s) => `<link rel="stylesheet" href="${escapeAttr(s)}">`).join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${csp}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    ${links}
    <title>${escapeHtml(p.title)}</title>
  </head>
  <body>
    <div id="app"></div>
    <script nonce="${p.nonce}" src="${escapeAttr(p.script)}"></script>
  </body>
</html>`;
}

export function makeNonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 32; i++) s += chars.charAt(Math.floor(Math.random() * chars.length));
  return s;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function escapeAttr(s: string): string {
  return escapeHtml(s);
}
