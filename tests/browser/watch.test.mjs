// `portalgen watch` in a real browser: stylesheet edits swap in place, other edits reload,
// build errors show an overlay over the last good page, all under the bundle's strict CSP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage } from './lib/browser.mjs';
import { startWatch, workspace } from './lib/portalgen.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A watched example workspace and a page of lumio's login route, connected to live reload. */
async function setUp(t) {
  const ws = workspace();
  const server = await startWatch(ws);
  t.after(async () => {
    await server.stop();
    ws.remove();
  });
  const page = await newPage(browser);
  await page.goto(server.url('lumio', '/login/'));
  await page.waitForSelector('html[data-portalgen-live="connected"]');
  return { ws, server, page };
}

const csp = (page) => page.problems.filter((p) => /Content Security Policy/i.test(p));

test('a stylesheet edit restyles the open page without reloading it', async (t) => {
  const { ws, page } = await setUp(t);
  await page.fill('#login-email', 'still-here@example.com');
  await page.evaluate(() => { window.notReloaded = true; });

  const css = 'themes/default/styles/main.css';
  ws.save(css, `${ws.read(css)}\nhtml { scroll-padding-top: 37px; }\n`);

  await page.waitForFunction(
    () => getComputedStyle(document.documentElement).scrollPaddingTop === '37px',
    null,
    { timeout: 10000 },
  );
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page reloaded');
  assert.equal(await page.inputValue('#login-email'), 'still-here@example.com');
  const sheets = await page.$$eval('link[rel="stylesheet"]', (links) => links.map((l) => l.getAttribute('href')));
  assert.equal(sheets.filter((href) => href.startsWith('/assets/')).length, 1, `stylesheets: ${sheets}`);
  assert.deepEqual(csp(page), []);
});

test('a template edit reloads the open page with the new markup', async (t) => {
  const { ws, page } = await setUp(t);
  await page.evaluate(() => { window.notReloaded = true; });
  const layout = 'themes/default/templates/layout.html';
  ws.save(layout, ws.read(layout).replace('</body>', '<p id="watch-probe">fresh markup</p></body>'));

  await page.waitForSelector('#watch-probe', { timeout: 10000 });
  assert.equal(await page.evaluate(() => window.notReloaded), undefined);
  assert.equal(await page.textContent('#watch-probe'), 'fresh markup');
  assert.deepEqual(csp(page), []);
});

test('a broken template shows an overlay over the last good page until it is fixed', async (t) => {
  const { ws, page } = await setUp(t);
  const login = 'themes/default/templates/routes/login.html';
  const good = ws.read(login);
  ws.save(login, good.replace('{% block', '{% blok'));

  const overlay = page.locator('portalgen-overlay');
  await overlay.waitFor({ state: 'attached', timeout: 10000 });
  const text = await overlay.evaluate((host) => host.shadowRoot.textContent);
  assert.match(text, /templates\/routes\/login\.html:\d+:\d+/);
  assert.match(text, /syntax error/);
  // The last good page is still what the server gives.
  await page.reload();
  assert.equal(await page.locator('#login-email').count(), 1);
  await overlay.waitFor({ state: 'attached', timeout: 10000 });
  assert.ok(page.problems.some((p) => p.includes('routes/login.html')), 'the error is on the console too');

  ws.save(login, good);
  await overlay.waitFor({ state: 'detached', timeout: 10000 });
  assert.deepEqual(csp(page), []);
});
