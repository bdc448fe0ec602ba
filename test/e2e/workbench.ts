// Drives the VS Code workbench in the browser the way a user does: keyboard shortcuts, the command palette,
// Quick Open, the Problems panel, the suggest widget, tree rows and webview frames. Selectors are VS Code's own
// stable class names (.quick-input-widget, .markers-panel, .suggest-widget, .monaco-list-row).
import type { Frame, Page } from 'playwright-core';
import * as path from 'node:path';
import { mkdirSync } from 'node:fs';
import { root, sleep } from './codeServer';

export const artifacts = path.join(root, 'test-artifacts', 'e2e');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifacts, { recursive: true });
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Polls `fn` until it returns a truthy value; the error names what was awaited and the last value seen. */
export async function until<T>(
  what: string,
  fn: () => Promise<T>,
  timeoutMs = 30_000,
  everyMs = 250,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await fn();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${String(last)}`);
    await sleep(everyMs);
  }
}

export async function waitForWorkbench(page: Page): Promise<void> {
  await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
  // The status bar is the last part to render; the editor area accepts input after it.
  await page.waitForSelector('.statusbar', { timeout: 60_000 });
  await sleep(1500);
}

async function quickInput(page: Page, key: string, text: string, pick: (label: string) => boolean): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press(key);
    const widget = page.locator('.quick-input-widget');
    try {
      await widget.waitFor({ state: 'visible', timeout: 5000 });
    } catch {
      continue;
    }
    const box = page.locator('.quick-input-widget input');
    const prefix = key === 'F1' ? '>' : '';
    await box.fill(prefix + text);
    try {
      const row = await until(
        `a quick pick row for "${text}"`,
        async () => {
          const rows = page.locator('.quick-input-widget .monaco-list-row');
          const n = await rows.count();
          for (let i = 0; i < n; i++) {
            const label = (await rows.nth(i).getAttribute('aria-label')) ?? (await rows.nth(i).innerText());
            if (pick(label)) return rows.nth(i);
          }
          return undefined;
        },
        10_000,
      );
      await row.click();
      return;
    } catch (err) {
      if (attempt === 2) throw err;
    }
  }
  throw new Error(`could not open the quick input for "${text}"`);
}

/** Runs a command from the command palette by its full title (e.g. "SRLM: Run Pipeline"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await quickInput(page, 'F1', title, (label) => label.replace(/\s+/g, ' ').includes(title));
}

/**
 * "Developer: Reload Window", as a user does it, and the workbench back. It shuts the workbench down first, which
 * flushes its storage (editor layout, webview state); a bare page reload can lose what was not flushed yet.
 */
export async function reloadWindow(page: Page): Promise<void> {
  await page.evaluate(() => Object.assign(window, { srlmE2eBeforeReload: true }));
  await runCommand(page, 'Developer: Reload Window');
  await until(
    'the reloaded page',
    () => page.evaluate(() => !('srlmE2eBeforeReload' in window)).catch(() => false),
    60_000,
  );
  await waitForWorkbench(page);
}

/** Opens a workspace file through Quick Open and waits for its editor tab to be active. */
export async function openFile(page: Page, name: string): Promise<void> {
  // The whole file name: `short.srlm` must not pick `study-short.srlm`, which Quick Open may rank first.
  const whole = new RegExp(`(^|[^\\w.-])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w.-])`);
  await quickInput(page, 'Control+p', name, (label) => whole.test(label));
  // The window title names the active editor ("short.srlm - workspace - code-server").
  await until(`the editor of ${name}`, async () => (await page.title()).startsWith(name));
  await page
    .locator('.editor-instance .monaco-editor .view-lines')
    .first()
    .click({ position: { x: 5, y: 5 } })
    .catch(() => undefined);
}

export async function goToLine(page: Page, line: number, column = 1): Promise<void> {
  await page.keyboard.press('Control+g');
  const box = page.locator('.quick-input-widget input');
  await box.waitFor({ state: 'visible', timeout: 5000 });
  await box.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
}

/** The active editor's text as rendered (non-breaking spaces normalised). Only visible lines are in the DOM. */
export async function editorText(page: Page): Promise<string> {
  return (await page.locator('.editor-instance .monaco-editor .view-lines').first().innerText()).replace(
    /\u00a0/g,
    ' ',
  );
}

/** The Problems panel's rows, as text. */
export async function problems(page: Page): Promise<string[]> {
  const rows = page.locator('.markers-panel .monaco-list-row');
  const n = await rows.count();
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await rows.nth(i).innerText()).replace(/\s+/g, ' '));
  return out;
}

/** The first webview frame whose page has an element matching `selector` (VS Code nests each webview in two
 * iframes). */
export async function webviewFrame(page: Page, selector: string): Promise<Frame | undefined> {
  for (const f of page.frames()) {
    try {
      if (await f.evaluate((sel) => !!document.querySelector(sel), selector)) return f;
    } catch {
      // a frame that navigated away meanwhile
    }
  }
  return undefined;
}

/** The frame holding the dashboard page. */
export function dashboardFrame(page: Page): Promise<Frame | undefined> {
  return webviewFrame(page, '#app .run-header');
}

/** The frame holding an inspector page with `columns` checkpoint columns. */
export async function inspectorFrame(page: Page, columns: number): Promise<Frame | undefined> {
  for (const f of page.frames()) {
    try {
      const n = await f.evaluate(() =>
        document.querySelector('#prompt') ? document.querySelectorAll('.columns > section.column').length : -1,
      );
      if (n === columns) return f;
    } catch {
      // a frame that navigated away meanwhile
    }
  }
  return undefined;
}

export async function sidebarRows(page: Page): Promise<string[]> {
  const rows = page.locator('.sidebar .monaco-list-row');
  const n = await rows.count();
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await rows.nth(i).innerText()).replace(/\s+/g, ' '));
  return out;
}

/** Text of the notification toasts on screen (errors from commands end up here). */
export async function notifications(page: Page): Promise<string> {
  return (await page.locator('.notifications-toasts').allInnerTexts()).join('\n').replace(/\s+/g, ' ');
}
