// Driving the portal in the browser tests: one server, SMTP server and browser per test file
// (`portalSuite`), sign in through the real login UI with the code from the SMTP server, wait for
// a page to settle, check it for problems and accessibility, and save screenshots as artifacts
// (target/browser-artifacts/, never committed).
import { after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { launch, watchProblems } from './browser.mjs';
import { startServe } from './serve.mjs';
import { startSmtp } from './smtp.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const artifacts = join(repo, 'target/browser-artifacts');

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/**
 * A page in a fresh browser context (own cookies and storage; axe needs pages of a context),
 * recording its problems in `page.problems`. `options` go to `browser.newContext`.
 */
export async function newContextPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: PHONE, ...options });
  return watchProblems(await context.newPage());
}

/**
 * The setup every portal test file shares, registered as node:test hooks of the file: `before`
 * starts an SMTP server, `portalgen serve --demo` mailing to it and the browser; `after` stops
 * them; with the clock, `beforeEach` moves the server's clock on by `advance` seconds (past the
 * sign-in limits: a new code per address once a minute, ten per client in ten minutes) instead
 * of waiting. Call it once at the top of the file.
 *
 * Options: `clock` (default true: the server's "now" is a file, see `startServe`); `advance`
 * (seconds before each test; default 601 with the clock, 0 or false for files whose tests share
 * one signed-in page or move the clock themselves); `setup(portal)` (the file's own preparation,
 * run at the end of `before` once everything has started: Node 20 starts a file's top-level
 * `before` hooks side by side, so a hook of its own could not count on the server being up).
 *
 * Returns an object whose `server`, `smtp` and `browser` are set once `before` has run, with
 * * `customer(slug, note)`: the e-mail of the demo customer of `slug` whose banner note starts
 *   with `note` (e.g. 'two contracts' is anna);
 * * `page(t, options)`: a fresh signed-out page in its own context (`options` go to
 *   `browser.newContext`), closed after the test `t` (left to the browser's end when `t` is null);
 * * `signedInPage(t, slug, email, path, options)`: such a page signed in as `email` through the
 *   login UI, opened on `path` (a deep link that sends the browser to the login page and back;
 *   `options.from` opens another address instead, e.g. '/login/') and asserted to land on `path`.
 */
export function portalSuite({ clock = true, advance = clock ? 601 : 0, setup } = {}) {
  const portal = {
    server: null,
    smtp: null,
    browser: null,
    customer(slug, note) {
      const accounts = portal.server.demoCustomers()[slug] ?? [];
      const found = accounts.find((a) => a.note.startsWith(note));
      assert.ok(found, `no demo customer "${note}…" on ${slug}: ${JSON.stringify(accounts)}`);
      return found.email;
    },
    async page(t, options = {}) {
      const page = await newContextPage(portal.browser, options);
      t?.after(() => page.context().close());
      return page;
    },
    async signedInPage(t, slug, email, path, { from = path, ...options } = {}) {
      const page = await portal.page(t, options);
      await signIn(page, portal.server, portal.smtp, slug, email, { path: from });
      assert.equal(new URL(page.url()).pathname, path, `sign-in lands on ${path}`);
      return page;
    },
  };
  before(async () => {
    portal.smtp = await startSmtp();
    portal.server = await startServe({ smtp: portal.smtp, clock });
    portal.browser = await launch();
    await setup?.(portal);
  });
  after(async () => {
    await portal.browser?.close();
    await portal.server?.stop();
    await portal.smtp?.stop();
  });
  if (advance) beforeEach(() => portal.server.advance(advance));
  return portal;
}

/**
 * Waits until the page's script has run and its data view (if any) has finished loading:
 * `html.js` and every `.view[data-view]` with `aria-busy="false"`.
 */
export async function settled(page, { timeout = 15000 } = {}) {
  try {
    await page.waitForFunction(() => {
      if (!document.documentElement.classList.contains('js')) return false;
      if (!document.getElementById('main')) return false;
      return [...document.querySelectorAll('.view[data-view]')].every((v) => v.getAttribute('aria-busy') === 'false');
    }, null, { timeout });
  } catch (error) {
    const state = await page.evaluate(() => ({
      js: document.documentElement.classList.contains('js'),
      views: [...document.querySelectorAll('.view[data-view]')].map((v) => `${v.dataset.view}: aria-busy=${v.getAttribute('aria-busy')}`),
    })).catch(() => null);
    throw new Error(`${page.url()} did not settle within ${timeout} ms (${JSON.stringify(state)}); problems: ${JSON.stringify(page.problems)}\n${error.message}`);
  }
}

/**
 * Requests a code on the login form of the current page for `email` (the page must show the
 * e-mail step) and resolves with the code mailed for it once the code step shows. When the
 * server refuses a new code because one was sent less than a minute ago (the UI then keeps the
 * sent one), the newest code mailed to `email` is used.
 */
export async function requestCode(page, smtp, email) {
  const before = smtp.count(email);
  await page.locator('#login-email').fill(email);
  const [answer] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/code' && r.request().method() === 'POST'),
    page.locator('form[data-login-step="email"] button[type="submit"]').click(),
  ]);
  const status = answer.status();
  if (status !== 202 && !(status === 429 && before > 0)) {
    throw new Error(`code request for ${email}: ${status} ${await answer.text()}`);
  }
  await page.locator('form[data-login-step="code"]').waitFor({ state: 'visible' }).catch(async () => {
    const shown = await page.locator('[data-login-error]:visible').allInnerTexts();
    throw new Error(`no code step after the code request for ${email} (${status}); the page says: ${shown.join(' / ')}`);
  });
  return status === 202 ? smtp.codeFor(email, { after: before }) : smtp.codeFor(email);
}

/**
 * Signs `email` in on `slug` through the login UI: opens `/login/` (or `options.path`, e.g. a
 * deep link that sends the browser there), requests a code, reads it from `smtp`, submits it and
 * waits until the browser has left the login page and the page has settled. Resolves with the
 * code used.
 */
export async function signIn(page, server, smtp, slug, email, { path = '/login/' } = {}) {
  await page.goto(server.url(slug, path));
  await page.waitForURL((url) => url.pathname.startsWith('/login'));
  await settled(page);
  const code = await requestCode(page, smtp, email);
  await page.locator('#login-code').fill(code);
  await Promise.all([
    page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: 15000 }),
    page.locator('form[data-login-step="code"] button[type="submit"]').click(),
  ]);
  await settled(page);
  return code;
}

/**
 * Switches the UI language with the header's switch (`[data-lang-switch] a[data-locale=<lang>]`)
 * and waits until the page shows it: portal pages relabel in place and rebuild their data views;
 * help pages follow the link to their translation.
 */
export async function switchLanguage(page, lang) {
  const link = page.locator(`[data-lang-switch] a[data-locale="${lang}"]`).first();
  if ((await link.getAttribute('data-follow')) !== null) {
    const href = new URL(await link.getAttribute('href'), page.url()).href;
    await Promise.all([page.waitForURL(href), link.click()]);
  } else {
    // Count the data views that start loading again, so the old content does not pass for new.
    await page.evaluate(() => {
      window.__portalViewRemounts = 0;
      for (const view of document.querySelectorAll('.view[data-view]:not([data-view="login"])')) {
        new MutationObserver(() => {
          if (view.getAttribute('aria-busy') === 'true') window.__portalViewRemounts += 1;
        }).observe(view, { attributes: true, attributeFilter: ['aria-busy'] });
      }
    });
    await link.click();
    await page.waitForFunction((code) => document.documentElement.lang === code
      && (document.querySelectorAll('.view[data-view]:not([data-view="login"])').length === 0
        || window.__portalViewRemounts > 0), lang, { timeout: 10000 });
  }
  await page.waitForFunction((code) => document.documentElement.lang === code, lang, { timeout: 10000 });
  await settled(page);
}

/** Asserts that the page had no console errors, uncaught exceptions or CSP violations. */
export function expectNoProblems(page, label = page.url()) {
  assert.deepEqual(page.problems, [], `problems on ${label}:\n  ${(page.problems ?? []).join('\n  ')}`);
}

/** Saves a full-page screenshot as `target/browser-artifacts/<name>.png`; resolves with its path. */
export async function screenshot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  const path = join(artifacts, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** The axe-core violations (WCAG 2.0/2.1 A and AA) of the page as it is now. */
export async function axeViolations(page) {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  return results.violations;
}

/** One readable block per violation: id, impact, help, and each node's target and summary. */
export function describeViolations(violations) {
  return violations.map((v) => [
    `${v.id} (${v.impact}): ${v.help} [${v.nodes.length} node(s)] ${v.helpUrl}`,
    ...v.nodes.slice(0, 8).map((n) => `    ${n.target.join(' ')}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`),
  ].join('\n')).join('\n');
}

/** Runs axe-core on the page and asserts zero violations, listing each one when there are any. */
export async function checkA11y(page, label = page.url()) {
  const violations = await axeViolations(page);
  assert.equal(violations.length, 0, `axe violations on ${label}:\n${describeViolations(violations)}`);
}
