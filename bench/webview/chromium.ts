// Launches Debian's chromium through playwright-core with the flags an offline, sandbox-less machine needs.
// Shared by the dashboard benchmark and the end-to-end suite.
import { chromium, type BrowserContext } from 'playwright-core';
import { existsSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function findChromium(): string | undefined {
  const candidates = [process.env.SRLM_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

/** A persistent context needs its own profile folder; a fresh one per launch keeps runs independent. */
export async function launchChromium(
  viewport = { width: 1400, height: 1000 },
): Promise<{ context: BrowserContext; userDataDir: string }> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('chromium not found: apt-get install chromium (or set SRLM_CHROMIUM)');
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'srlm-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  return { context, userDataDir };
}
