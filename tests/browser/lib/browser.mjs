// Headless Chromium for browser tests: Debian's `chromium` (or $CHROMIUM), driven by
// playwright-core. Every page records console errors and CSP violations.
import { chromium } from 'playwright-core';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
}

/** A new page whose console errors and uncaught exceptions land in `page.problems`. */
export async function newPage(browser, options = {}) {
  const page = await browser.newPage(options);
  page.problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(message.text());
  });
  page.on('pageerror', (error) => page.problems.push(String(error)));
  return page;
}
