/**
 * The headless Chromium the end-to-end tests drive: Debian's `chromium` (or `OXBOW_CHROMIUM`) through
 * `playwright-core`, which downloads no browser of its own.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where the browser is: `OXBOW_CHROMIUM`, else Debian's `/usr/bin/chromium`. */
export const CHROMIUM_PATH = process.env.OXBOW_CHROMIUM || '/usr/bin/chromium';

/**
 * Why the end-to-end tests cannot run here, or `undefined` when they can. They are skipped only outside CI: with
 * `CI` set, a missing browser fails them.
 */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM_PATH) || process.env.CI) return undefined;
  return `dashboard end-to-end test skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set OXBOW_CHROMIUM); it always runs when CI is set`;
}

/** Starts headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
