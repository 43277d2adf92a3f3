// The invoices screens (/invoices and /invoices/<id>) against `portalgen serve --demo`, codes read
// from a real SMTP server: the list of the contract chosen in the header with status chips, the
// year and status filters and the search (each checked against the API's answer to the page's own
// request), "load more" to the end, the detail with the period's consumption and cost lines, the
// PDF download, the Storno pair, the failed debit, deep links after a reload and an unknown id;
// axe-core in German and English; no console errors or CSP violations. The tests share anna's
// signed-in page and run in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  DESKTOP, PHONE, checkA11y, expectNoProblems, portalSuite, screenshot, settled, switchLanguage,
} from './lib/portal.mjs';

const TIMEOUT = 60000;
let page; // anna on lumio, signed in once (codes per address are rate limited)
let smart; // her smart-meter contract: the one with the Storno pair and the failed payment
let all; // every invoice of that contract, newest first, as the API lists them
// One signed-in page for all tests: the server keeps real time, no clock to move.
const portal = portalSuite({
  clock: false,
  async setup() {
    page = await portal.signedInPage(null, 'lumio', portal.customer('lumio', 'two contracts'), '/invoices/', { viewport: DESKTOP });
    const subscriptions = await apiGet('/api/subscriptions');
    const expanded = await Promise.all(subscriptions.items.map((s) => apiGet(`/api/subscriptions/${s.id}`)));
    smart = expanded.find((s) => s.meter?.type === 'smart');
    assert.ok(smart && expanded.length === 2, 'anna has two contracts, one with a smart meter');
    all = (await apiGet(`/api/invoices?limit=100&filter[subscription][eq]=${smart.id}`)).items;
    assert.ok(all.length > 20, `enough invoices for three pages: ${all.length}`);
  },
});

// ---------- helpers ----------

/** JSON of a GET on the API with the page's session. */
const apiGet = (path) => page.evaluate((url) => fetch(url).then((r) => r.json()), path);
const rows = () => page.locator('.invoices-row');
const rowTexts = () => rows().evaluateAll((items) => items.map((li) => li.textContent.replace(/\s+/g, ' ')));
const path = () => new URL(page.url()).pathname;
const search = () => new URL(page.url()).search;
const squash = (text) => text.replace(/\s+/g, ' ').trim();
const eur = (v) => squash(new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' }).format(v));

/** The next `GET /api/invoices` list request the page makes whose query passes `check`. */
const listRequest = (check = () => true) => page.waitForResponse((r) => {
  const url = new URL(r.url());
  return url.pathname === '/api/invoices' && r.request().method() === 'GET' && check(url.searchParams);
});

/** Runs `action` and resolves with the API's answer to the list request it caused. */
async function listAnswer(action, check) {
  const [response] = await Promise.all([listRequest(check), action()]);
  assert.equal(response.status(), 200, `list request ${response.url()}`);
  const answer = await response.json();
  await page.waitForFunction(() => !document.querySelector('.view[data-view="invoices"] .view__status'));
  return answer;
}

/** The rows show exactly the invoices of the answer, in its order. */
async function assertRowsAre(items, label) {
  const texts = await rowTexts();
  assert.equal(texts.length, items.length, `${label}: ${texts.length} rows for ${items.length} invoices`);
  items.forEach((item, i) => assert.ok(texts[i].includes(item.invoice_number), `${label}: row ${i} is ${item.invoice_number}: ${texts[i]}`));
}

async function openList(query = '') {
  await page.goto(portal.server.url('lumio', `/invoices/${query}`));
  await settled(page);
}

async function openInvoice(id) {
  await page.goto(portal.server.url('lumio', `/invoices/${id}`));
  await settled(page);
}

// ---------- list ----------

test('lists the chosen contract’s invoices with status chips', { timeout: TIMEOUT }, async () => {
  await openList();
  const switcher = page.locator('#subscription-switch');
  assert.notEqual(await switcher.inputValue(), smart.id, 'the analog contract (the newer one) comes first');
  const answer = await listAnswer(() => switcher.selectOption(smart.id), (q) => q.get('filter[subscription][eq]') === smart.id);
  await assertRowsAre(answer.items, 'first page');
  assert.equal(answer.items.length, 10);
  assert.match(await page.locator('#invoices-title').innerText(), new RegExp(`Vertrag ${smart.number}`));
  const chips = await page.locator('.invoices-row .invoices-chip').allInnerTexts();
  assert.equal(chips.length, 10, 'every row has a status chip');
  for (const status of ['Bezahlt', 'Überfällig', 'Storniert', 'Erstattet']) {
    assert.ok(chips.includes(status), `a “${status}” chip on the first page: ${chips}`);
  }
  const first = answer.items[0];
  const firstRow = squash(await rows().first().innerText());
  assert.ok(firstRow.includes(eur(first.total)), `the row shows the total: ${firstRow}`);
  assert.match(firstRow, /ausgestellt am \d\d\.\d\d\.\d{4}/);
  assert.equal(await rows().first().locator('a').first().getAttribute('href'), `/invoices/${first.id}`);
  expectNoProblems(page);
});

test('filters by year and status; the URL keeps them across reload and back', { timeout: TIMEOUT }, async () => {
  await openList();
  const years = await page.locator('#invoices-year option').allInnerTexts();
  assert.deepEqual(years.slice(0, 4), ['Alle Jahre', '2026', '2025', '2024']);

  const byYear = await listAnswer(() => page.locator('#invoices-year').selectOption('2025'), (q) => q.has('filter[period_end][gt]'));
  assert.ok(byYear.items.length > 0 && byYear.items.every((i) => i.year === 2025), 'the API answers invoices of 2025');
  await assertRowsAre(byYear.items, 'year 2025');
  assert.equal(search(), '?year=2025');

  const byStatus = await listAnswer(() => page.locator('#invoices-status').selectOption('open'), (q) => q.get('filter[status][eq]') === 'open');
  assert.ok(byStatus.items.every((i) => i.status === 'open' && i.year === 2025));
  assert.equal(search(), '?year=2025&status=open');
  await assertRowsAre(byStatus.items, 'open in 2025');
  assert.equal(byStatus.items.length, 0, 'every invoice of 2025 is settled');
  assert.equal(await page.locator('.invoices-count').innerText(), 'Keine Rechnung passt zu Ihrer Auswahl.');

  const open2026 = await listAnswer(() => page.locator('#invoices-year').selectOption('2026'), (q) => q.get('filter[period_end][gt]') === '2026-01-01');
  assert.deepEqual(open2026.items.map((i) => i.status), ['open'], 'one open invoice in 2026');
  await assertRowsAre(open2026.items, 'open in 2026');
  assert.match(await rows().first().innerText(), /Überfällig/);

  await page.reload();
  await settled(page);
  assert.equal(await page.locator('#invoices-year').inputValue(), '2026');
  assert.equal(await page.locator('#invoices-status').inputValue(), 'open');
  await assertRowsAre(open2026.items, 'after reload');

  await rows().first().locator('> a').click();
  await page.waitForURL((url) => url.pathname === `/invoices/${open2026.items[0].id}`);
  await settled(page);
  assert.equal(await page.locator('.invoice-back').getAttribute('href'), '/invoices/?year=2026&status=open', 'back to the same filters');
  // The router swaps the list in after the URL has changed: wait for the list it loads.
  await listAnswer(() => page.goBack(), (q) => q.get('filter[status][eq]') === 'open');
  await page.waitForURL((url) => url.pathname === '/invoices/');
  await settled(page);
  assert.equal(search(), '?year=2026&status=open');
  assert.equal(await page.locator('#invoices-status').inputValue(), 'open');
  await assertRowsAre(open2026.items, 'after back');
  expectNoProblems(page);
});

test('search by invoice number finds one; no match offers to clear the filters', { timeout: TIMEOUT }, async () => {
  await openList();
  const wanted = all.find((i) => i.type === 'void');
  const suffix = wanted.invoice_number.slice(-3);
  await page.locator('#invoices-q').fill(suffix);
  const found = await listAnswer(() => page.locator('#invoices-q').press('Enter'), (q) => q.get('search') === suffix);
  assert.deepEqual(found.items.map((i) => i.invoice_number), [wanted.invoice_number]);
  await assertRowsAre(found.items, `search ${suffix}`);
  assert.equal(search(), `?q=${suffix}`);

  await page.locator('#invoices-q').fill('nichts-davon');
  const none = await listAnswer(() => page.locator('.invoices-filter button[type="submit"]').click(), (q) => q.get('search') === 'nichts-davon');
  assert.equal(none.items.length, 0);
  const reset = page.getByRole('button', { name: 'Filter zurücksetzen' });
  const everything = await listAnswer(() => reset.click(), (q) => !q.has('search'));
  await assertRowsAre(everything.items, 'after reset');
  assert.equal(search(), '');
  assert.equal(await page.locator('#invoices-q').inputValue(), '');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'invoices-year', 'focus stays in the filters');
  expectNoProblems(page);
});

test('“load more” appends pages over the cursor until none are left', { timeout: TIMEOUT }, async () => {
  await openList();
  const more = page.getByRole('button', { name: 'Weitere Rechnungen laden' });
  let shown = await rows().count();
  let pages = 1;
  while (await more.isVisible()) {
    const answer = await listAnswer(() => more.click(), (q) => q.has('cursor'));
    await page.waitForFunction((n) => document.querySelectorAll('.invoices-row').length === n, shown + answer.items.length);
    const focused = await page.evaluate(() => document.activeElement?.closest('.invoices-row') && document.activeElement.getAttribute('href'));
    assert.equal(focused, `/invoices/${answer.items[0].id}`, 'focus moves to the first new invoice');
    shown += answer.items.length;
    pages += 1;
    assert.equal(await more.isVisible(), answer.has_more);
  }
  assert.equal(pages, Math.ceil(all.length / 10));
  await assertRowsAre(all, 'every page');
  assert.match(await page.locator('.invoices-count').innerText(), new RegExp(`${all.length} Rechnungen angezeigt`));
  expectNoProblems(page);
});

// ---------- detail ----------

test('an invoice shows its period consumption, cost lines and totals, and downloads as PDF', { timeout: TIMEOUT }, async () => {
  const invoice = all.find((i) => i.type === 'usage' && i.status === 'paid');
  const detail = await apiGet(`/api/invoices/${invoice.id}`);
  await openList();
  await rows().locator('> a', { hasText: 'Stromrechnung' }).first().click();
  await page.waitForURL((url) => url.pathname === `/invoices/${invoice.id}`);
  await settled(page);

  assert.match(await page.locator('#invoice-title').innerText(), /^Stromrechnung \S+ \d{4}$/);
  const head = squash(await page.locator('#invoice').innerText());
  assert.ok(head.includes(invoice.invoice_number) && head.includes(eur(invoice.total)), head);
  assert.match(head, /Bezahlt/);
  assert.match(await page.title(), new RegExp(`^Stromrechnung`));

  const usage = squash(await page.locator('#invoice-usage').innerText());
  const kwh = `${detail.consumption.usage.toLocaleString('de-DE', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} kWh`;
  assert.ok(usage.includes(squash(kwh)), `period consumption ${kwh}: ${usage}`);

  const lines = page.locator('.invoice-lines');
  assert.ok((await lines.locator('caption').innerText()).length > 0, 'the cost table has a caption');
  const lineRows = lines.locator('tbody tr:not(.invoice-lines__group)');
  assert.equal(await lineRows.count(), detail.lines.length, 'one row per invoice line');
  for (const [i, line] of detail.lines.entries()) {
    assert.ok(squash(await lineRows.nth(i).innerText()).endsWith(eur(line.amount)), `line ${line.component}`);
  }
  const groups = await lines.locator('.invoice-lines__group th').allInnerTexts();
  assert.deepEqual(groups, ['Energie', 'Netzentgelte', 'Steuern, Abgaben und Umlagen']);
  assert.ok((await lines.locator('th[scope="row"]').allInnerTexts()).some((t) => t.startsWith('Grundpreis')));
  const foot = squash(await lines.locator('tfoot').innerText());
  for (const v of [detail.net, detail.vat, detail.total]) assert.ok(foot.includes(eur(v)), `${eur(v)} in ${foot}`);
  assert.match(foot, /Umsatzsteuer 19 %/);

  const link = page.locator('#invoice a[download]');
  assert.equal(await link.getAttribute('download'), '');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.match(download.suggestedFilename(), /\.pdf$/);
  const file = readFileSync(await download.path());
  assert.equal(file.subarray(0, 5).toString('latin1'), '%PDF-');
  assert.ok(file.length > 5000, `a real document: ${file.length} bytes`);
  assert.equal(path(), `/invoices/${invoice.id}`, 'the download leaves the page where it is');
  expectNoProblems(page);
});

test('the Storno pair is labelled both ways and linked', { timeout: TIMEOUT }, async () => {
  const storno = all.find((i) => i.type === 'void');
  const voided = all.find((i) => i.id === storno.voids_invoice.id);
  assert.equal(voided.status, 'voided');
  await openList();
  const stornoRow = rows().filter({ hasText: storno.invoice_number }).first();
  const voidedRow = rows().filter({ hasText: `Nr. ${voided.invoice_number}` }).first();
  assert.match(squash(await stornoRow.innerText()), new RegExp(`^Stornorechnung .*Storniert die Rechnung ${voided.invoice_number}$`));
  assert.match(squash(await voidedRow.innerText()), new RegExp(`Storniert .*Storniert durch ${storno.invoice_number}$`));

  await voidedRow.locator('.invoices-relation a').click();
  await page.waitForURL((url) => url.pathname === `/invoices/${storno.id}`);
  await settled(page);
  assert.match(await page.locator('#invoice-title').innerText(), /^Stornorechnung/);
  const notice = page.locator('#invoice .notice');
  assert.match(squash(await notice.innerText()), new RegExp(`hebt die Rechnung ${voided.invoice_number} vom \\d\\d\\.\\d\\d\\.\\d{4} vollständig auf`));
  assert.match(await page.locator('.invoice-lines tbody').innerText(), new RegExp(`Storno der Rechnung ${voided.invoice_number}`));

  await notice.locator('a').click();
  await page.waitForURL((url) => url.pathname === `/invoices/${voided.id}`);
  await settled(page);
  assert.match(squash(await page.locator('#invoice').innerText()), new RegExp(`Storniert .*mit der Stornorechnung ${storno.invoice_number} vom .* aufgehoben`));
  expectNoProblems(page);
});

test('a failed direct debit is visible with what to do', { timeout: TIMEOUT }, async () => {
  const open = all.find((i) => i.status === 'open');
  const detail = await apiGet(`/api/invoices/${open.id}`);
  const failure = detail.payments.find((p) => p.status === 'failed');
  assert.ok(failure, 'the demo invoice has a failed payment');
  await openInvoice(open.id);
  const alert = page.locator('.invoice-alert');
  assert.equal(await alert.locator('h3').innerText(), 'Lastschrift fehlgeschlagen');
  const text = squash(await alert.innerText());
  assert.ok(text.includes(eur(failure.amount)), text);
  assert.match(text, /Konto nicht ausreichend gedeckt/);
  assert.match(text, /Bitte sorgen Sie für ausreichende Deckung/);
  assert.equal(await alert.locator('a[href="/account/"]').count(), 1, 'a way to change the bank details');
  assert.equal(await alert.locator('a[href^="tel:"], a[href^="mailto:"]').count(), 2, 'the retailer’s contact');
  assert.match(squash(await page.locator('.invoice-payments .is-failed').innerText()), /Fehlgeschlagen – Konto nicht ausreichend gedeckt/);
  assert.match(await page.locator('#invoice .invoices-chip').innerText(), /Überfällig/);
  expectNoProblems(page);
});

test('a deep link to an invoice works after a reload; an unknown id is a friendly not-found', { timeout: TIMEOUT }, async () => {
  const invoice = all[3];
  await openInvoice(invoice.id);
  await page.reload();
  await settled(page);
  assert.ok((await page.locator('#invoice').innerText()).includes(invoice.invoice_number));
  assert.equal(await page.locator('a[data-nav-id="invoices"]').getAttribute('aria-current'), 'page');

  await openInvoice('inv_doesnotexist');
  assert.equal(await page.locator('#invoice-missing-title').innerText(), 'Rechnung nicht gefunden');
  await page.locator('#invoice-missing a').click();
  await page.waitForURL((url) => url.pathname === '/invoices/');
  await settled(page);
  assert.ok(await rows().count() > 0);
  expectNoProblems(page);
});

test('axe finds no violations on the list and the detail, in German and English', { timeout: 2 * TIMEOUT }, async () => {
  const open = all.find((i) => i.status === 'open');
  const storno = all.find((i) => i.type === 'void');
  for (const lang of ['de', 'en']) {
    await openList('?year=2026');
    if (lang === 'en') await switchLanguage(page, 'en');
    assert.equal(await page.locator('#invoices-year').inputValue(), '2026', 'a language switch keeps the filters');
    await checkA11y(page, `invoice list (${lang})`);
    await openInvoice(open.id);
    await checkA11y(page, `invoice with a failed payment (${lang})`);
    await openInvoice(storno.id);
    await checkA11y(page, `Storno (${lang})`);
  }
  assert.match(await page.locator('#invoice-title').innerText(), /^Cancellation invoice/);
  await page.locator('.invoice-back').click();
  await page.waitForURL((url) => url.pathname === '/invoices/');
  await settled(page);
  assert.match(await page.locator('.invoices-row .invoices-chip').first().innerText(), /Paid|Overdue|Open/);
  assert.match(await page.locator('.invoices-count').innerText(), /^\d+ invoices shown$/);
  for (const [name, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    await page.setViewportSize(viewport);
    await screenshot(page, `invoices-list-lumio-en-${name}`);
    await openInvoice(open.id);
    await screenshot(page, `invoices-detail-lumio-en-${name}`);
    await openList();
  }
  await switchLanguage(page, 'de');
  expectNoProblems(page);
});
