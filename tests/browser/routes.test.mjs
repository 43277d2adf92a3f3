// Every route of two differently branded tenants, signed in as the demo customer with two
// contracts, in German and in English: the page settles, shows its heading in the right
// language, has no console errors or CSP violations and no axe-core (WCAG 2.1 A/AA) violations.
// Full-page screenshots at phone and desktop width land in target/browser-artifacts/ as
// <tenant>-<route>-<lang>-<width>.png (German only, to keep the run short).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, PHONE, axeViolations, describeViolations, portalSuite, screenshot, settled, switchLanguage,
} from './lib/portal.mjs';

const TENANTS = ['lumio', 'nordwatt'];
const LANGS = ['de', 'en'];
const HELP_ARTICLE = 'invoices';

// One signed-in page per tenant for all its routes: the server keeps real time.
const portal = portalSuite({ clock: false });

/**
 * Checks the page as it is now in `lang`; pushes a description of every failure to `failures`
 * (so one route reports all its problems, in both languages, at once).
 */
async function checkPage(page, label, lang, failures) {
  const fail = (what) => failures.push(`${label} [${lang}]: ${what}`);
  const htmlLang = await page.evaluate(() => document.documentElement.lang);
  if (htmlLang !== lang) fail(`html[lang] is "${htmlLang}"`);
  const h1 = page.locator('main h1').first();
  if (!(await h1.isVisible())) fail('no visible h1 in main');
  else if (!(await h1.innerText()).trim()) fail('the h1 is empty');
  if (page.problems.length) fail(`problems:\n    ${page.problems.join('\n    ')}`);
  page.problems.length = 0;
  const violations = await axeViolations(page);
  if (violations.length) fail(`${violations.length} axe violation(s):\n${describeViolations(violations)}`);
}

/** Screenshots of the page at phone and desktop width, back at phone width afterwards. */
async function screenshots(page, name) {
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    await screenshot(page, `${name}-${size.width}`);
  }
  await page.setViewportSize(PHONE);
}

/**
 * Opens `path`, checks it in German (with screenshots), switches to English with the header's
 * language links and checks it again; fails with everything found.
 */
async function visit(page, tenant, route, path) {
  page.problems.length = 0;
  const failures = [];
  await page.goto(portal.server.url(tenant, path));
  await settled(page);
  if ((await page.evaluate(() => document.documentElement.lang)) !== 'de') await switchLanguage(page, 'de');
  for (const lang of LANGS) {
    if (lang !== 'de') await switchLanguage(page, lang);
    await checkPage(page, `${tenant} ${path}`, lang, failures);
    if (lang === 'de') await screenshots(page, `${tenant}-${route}-${lang}`);
  }
  assert.equal(failures.length, 0, failures.join('\n'));
}

for (const tenant of TENANTS) {
  describe(`${tenant}: every route in German and English`, () => {
    let page;
    let invoice;

    before(async () => {
      const anna = portal.customer(tenant, 'two contracts');
      page = await portal.signedInPage(null, tenant, anna, '/', { from: '/login/', viewport: PHONE });
      const invoices = await page.evaluate(() => fetch('/api/invoices?limit=1').then((r) => r.json()));
      invoice = invoices.items?.[0]?.id;
      assert.match(invoice ?? '', /^inv_/, JSON.stringify(invoices));
    });

    after(async () => { await page?.context().close(); });

    const routes = [
      ['dashboard', () => '/'],
      ['invoices', () => '/invoices/'],
      ['invoice-detail', () => `/invoices/${invoice}`],
      ['consumption', () => '/consumption/'],
      ['tariff', () => '/tariff/'],
      ['account', () => '/account/'],
      ['orders', () => '/orders/'],
      ['help', () => '/help/'],
      ['help-article', () => `/help/de/${HELP_ARTICLE}/`],
    ];
    for (const [route, path] of routes) {
      test(route, { timeout: 60000 }, () => visit(page, tenant, route, path()));
    }

    test('login (signed out)', { timeout: 60000 }, async (t) => {
      const signedOut = await portal.page(t, { viewport: PHONE });
      await visit(signedOut, tenant, 'login', '/login/');
      assert.equal(new URL(signedOut.url()).pathname, '/login/');
    });
  });
}
