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

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function inspectorHtml(p: InspectorPage): string {
  const csp = [
    "default-src 'none'",
    `img-src ${p.cspSource} data:`,
    `style-src ${p.cspSource}`,
    `font-src ${p.cspSource}`,
    `script-src 'nonce-${p.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${csp}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <link rel="stylesheet" href="${escape(p.style)}">
    <title>${escape(p.title)}</title>
  </head>
  <body>
    <main id="app" aria-live="polite"></main>
    <script nonce="${escape(p.nonce)}" src="${escape(p.script)}"></script>
  </body>
</html>`;
}

export function makeNonce(): string {
  const bytes = new Uint8Array(24);
  globalThis.crypto.getRandomValues(bytes);
  return Buffer.from(bytes)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '');
}
