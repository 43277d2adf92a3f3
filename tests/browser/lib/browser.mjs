// Headless Chromium for browser tests: Debian's `chromium` (or $CHROMIUM), driven by
// playwright-core. Every page records console errors and CSP violations.
import { chromium } from 'playwright-core';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
}

/**
 * Records problems of `page` in `page.problems`: console errors, uncaught exceptions, CSP
 * violations and failed loads of anything but the API. API error answers (401 signed out, 422
 * implausible reading …) are part of the UI's behaviour and are asserted by the tests themselves;
 * Chromium also logs each of them as "Failed to load resource", so those lines are left out.
 */
export function watchProblems(page) {
  page.problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) page.problems.push(message.text());
  });
  page.on('pageerror', (error) => page.problems.push(String(error)));
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (response.status() >= 400 && !url.pathname.startsWith('/api/')) page.problems.push(`${response.status()} ${url.pathname}`);
  });
  return page;
}

/** A new page whose problems land in `page.problems` (see watchProblems). */
export async function newPage(browser, options = {}) {
  return watchProblems(await browser.newPage(options));
}
