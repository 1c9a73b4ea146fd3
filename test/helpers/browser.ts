import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** Where browser tests save screenshots (git-ignored; CI keeps it as test output). */
export const TEST_OUTPUT = fileURLToPath(new URL('../../../test-output/', import.meta.url));

/** Debian's Chromium (installed by `.ci/run`); playwright-core never downloads a browser of its own. */
export const CHROMIUM = process.env.ALUNITE_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Headless Chromium as the machine allows it: running as root needs --no-sandbox, and the network is
 * closed, so background services that phone home are switched off (they would only fail, many times).
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** A path under test-output/<suite>/ for a screenshot, creating the folder. */
export async function screenshotPath(suite: string, name: string): Promise<string> {
  const dir = join(TEST_OUTPUT, suite);
  await mkdir(dir, { recursive: true });
  return join(dir, `${name}.png`);
}
