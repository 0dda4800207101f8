/** Headless Chromium (Debian's package) driven by playwright-core. */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser is installed; CI installs it (.ci/run), so there a missing one fails. */
export function chromiumAvailable(t: { pass(message: string): boolean; fail(message: string): boolean }): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) t.fail(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
  else t.pass(`skipped: ${CHROMIUM} is not installed (apt-get install chromium)`);
  return false;
}

export async function launchChromium(t: { teardown(fn: () => unknown): void }): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  t.teardown(() => browser.close());
  return browser;
}
