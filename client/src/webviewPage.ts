// What every SRLM webview page shares: the strict content security policy, the nonce and HTML escaping. Kept
// free of the vscode module so tests and the headless-Chromium benchmark can build the same pages.

/** Scripts only with the page's nonce; styles, fonts and images only from the extension's files; no network. */
export function webviewCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

/** A fresh nonce per page load, from the platform's cryptographic generator. */
export function makeNonce(): string {
  const bytes = new Uint8Array(24);
  globalThis.crypto.getRandomValues(bytes);
  return Buffer.from(bytes)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '');
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and double- or single-quoted attributes alike. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

export interface WebviewPageParts {
  /** webview.cspSource ('file:' or 'self' for a plain page). */
  readonly cspSource: string;
  readonly nonce: string;
  readonly title: string;
  readonly styles: readonly string[];
  readonly script: string;
  /** The body's content, already HTML. */
  readonly body: string;
  /** Attributes of <body>, already escaped (e.g. `data-state="…"`). */
  readonly bodyAttributes?: string;
}

/** A whole page under the policy above: its stylesheets, its body, then its one script with the nonce. */
export function webviewPageHtml(p: WebviewPageParts): string {
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
  <body${p.bodyAttributes ? ` ${p.bodyAttributes}` : ''}>
    ${p.body}
    <script nonce="${escapeHtml(p.nonce)}" src="${escapeHtml(p.script)}"></script>
  </body>
</html>`;
}
