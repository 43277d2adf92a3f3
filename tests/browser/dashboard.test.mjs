// The dashboard (/) against `portalgen serve --demo`, codes read from a real SMTP server: today's
// prices as a chart with as many points as the API has quarter-hours, its keyboard readout and
// table alternative, the cheapest window, the latest invoice leading to its detail, the header's
// subscription switch to the analog contract, ended and not yet started contracts; axe-core in
// German and English; no console errors or CSP violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, checkA11y, expectNoProblems, portalSuite, screenshot, settled, switchLanguage,
} from './lib/portal.mjs';

const TIMEOUT = 90000;
const portal = portalSuite();
const customer = (note) => portal.customer('lumio', note);

/** A page of `email` signed in on lumio, on the dashboard (own context, closed after the test). */
async function dashboard(t, email, options = {}) {
  const page = await portal.signedInPage(t, 'lumio', email, '/', { from: '/login/', ...options });
  await page.locator('.dashboard').waitFor();
  return page;
}

const apiGet = (page, path) => page.evaluate((url) => fetch(url).then((r) => r.json()), path);
const squash = (text) => text.replace(/\s+/g, ' ').trim();
const text = async (locator) => squash(await locator.innerText());
const timeDe = (at) => new Intl.DateTimeFormat('de', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(new Date(at));

/** The subscription the dashboard shows: the switch's value, else the only one. */
async function shownId(page) {
  const select = page.locator('#subscription-switch');
  if (await select.count()) return select.inputValue();
  return (await apiGet(page, '/api/subscriptions')).items[0].id;
}

test('today\'s prices: chart with a keyboard readout and a table, cheapest window, latest invoice', { timeout: TIMEOUT }, async (t) => {
  const page = await dashboard(t, customer('two contracts'));
  const id = await shownId(page);
  const data = await apiGet(page, `/api/subscriptions/${id}/dashboard`);
  const today = data.prices.today.items;
  assert.ok([92, 96, 100].includes(today.length), `a day has 92, 96 or 100 quarter-hours: ${today.length}`);

  const card = page.locator('#dashboard-prices');
  assert.equal(await page.locator('.dashboard > :first-child').getAttribute('id'), 'dashboard-prices', 'the price card comes first');

  // The table alternative has a row per quarter-hour, from the first to the last of the day.
  await card.locator('details summary').click();
  const rows = card.locator('.chart__table tbody tr');
  assert.equal(await rows.count(), today.length);
  assert.match(await text(rows.first().locator('th')), /^00:00–00:15$/);
  assert.match(await text(rows.last().locator('th')), /^23:45–00:00$/);

  // Keyboard: the chart takes focus, arrows move a cursor whose values the live region reads.
  const plot = card.locator('.chart__plot');
  const readout = card.locator('.chart__readout');
  assert.equal(await readout.getAttribute('aria-live'), 'polite');
  await plot.focus();
  await page.keyboard.press('Home');
  assert.match(await text(readout), /^00:00–00:15: \d+,\d\d ct\/kWh/);
  const first = await text(readout);
  await page.keyboard.press('ArrowRight');
  const second = await text(readout);
  assert.notEqual(second, first, 'ArrowRight moves the readout');
  assert.match(second, /^00:15–00:30: .*ct\/kWh/);
  assert.ok(second.includes(await text(rows.nth(1).locator('td').first())), 'readout and table agree');
  await page.keyboard.press('End');
  assert.match(await text(readout), /^23:45–00:00: /);

  // The cheapest window of the rest of today, as the API computed it (none late in the evening).
  const window = data.prices.today.cheapest_window;
  const box = card.locator('.dashboard__window');
  if (window) {
    assert.equal(await text(box.locator('.dashboard__window-time')), `${timeDe(window.start)}–${timeDe(window.end)}`);
    assert.match(await text(box), /Im Schnitt \d+,\d\d ct\/kWh/);
  } else {
    assert.match(await text(box), /keine zwei Stunden/);
  }
  // Tomorrow: a chart once published, else when it comes.
  if (data.prices.tomorrow.published) {
    await card.getByRole('button', { name: 'Morgen' }).click();
    assert.equal(await card.locator('.chart__table tbody tr').count(), data.prices.tomorrow.items.length);
  } else {
    assert.match(await text(card), /Die Preise für morgen erscheinen täglich gegen \d\d:\d\d Uhr/);
  }
  await screenshot(page, 'dashboard-lumio-de-390');

  // The latest invoice opens its detail.
  const invoice = data.latest_invoice;
  const link = page.locator(`#dashboard-invoice a[href="/invoices/${invoice.id}"]`);
  assert.match(await text(link), new RegExp(invoice.invoice_number));
  await link.click();
  await page.waitForURL((url) => url.pathname === `/invoices/${invoice.id}`);
  await settled(page);
  await page.locator('#main').getByText(invoice.invoice_number).first().waitFor();
  expectNoProblems(page);
});

test('switching to the analog contract changes the dashboard; axe in German and English', { timeout: TIMEOUT }, async (t) => {
  const page = await dashboard(t, customer('two contracts'), { viewport: DESKTOP });
  const subscriptions = await Promise.all((await apiGet(page, '/api/subscriptions')).items.map((s) => apiGet(page, `/api/subscriptions/${s.id}`)));
  const analog = subscriptions.find((s) => s.meter.type === 'analog');
  const smart = subscriptions.find((s) => s.meter.type === 'smart');
  assert.ok(analog && smart, 'anna has a smart and an analog meter');
  const contract = page.locator('#dashboard-contract');

  for (const [sub, meter] of [[smart, 'Smart Meter'], [analog, 'Analoger Zähler']]) {
    await page.selectOption('#subscription-switch', sub.id);
    await contract.filter({ hasText: sub.number }).waitFor();
    await settled(page);
    assert.match(await text(contract), new RegExp(`Zähler ${meter}`));
  }
  // The analog meter has monthly values and a way to submit a reading, no quarter-hours.
  const usage = page.locator('#dashboard-usage');
  assert.match(await text(usage), /analogen Zähler/);
  assert.equal(await usage.locator('a[href="/consumption/#reading"]').count(), 1);
  assert.equal(await page.locator('#dashboard-prices .chart__plot').count(), 1, 'its dynamic prices are shown too');

  await checkA11y(page, '/ (de, analog)');
  await switchLanguage(page, 'en');
  await page.locator('#dashboard-contract', { hasText: 'Analog meter' }).waitFor();
  await page.locator('#dashboard-prices details summary').click();
  await checkA11y(page, '/ (en, analog, table open)');
  await page.selectOption('#subscription-switch', smart.id);
  await contract.filter({ hasText: smart.number }).waitFor();
  await settled(page);
  assert.match(await text(page.locator('#dashboard-usage')), /Today until \d\d:\d\d \d+\.\d kWh/);
  await checkA11y(page, '/ (en, smart)');
  await screenshot(page, 'dashboard-lumio-en-1280');
  await switchLanguage(page, 'de');
  expectNoProblems(page);
});

test('ended and not yet started contracts show their status first and no prices', { timeout: TIMEOUT }, async (t) => {
  const ended = await dashboard(t, customer('contract ended'));
  assert.equal(await ended.locator('#dashboard-prices').count(), 0);
  const status = ended.locator('.dashboard > :first-child .dashboard__status');
  assert.match(await text(status), /^Beendet – beliefert bis \d\d\.\d\d\.\d{4}$/);
  assert.match(await text(ended.locator('#dashboard-bill')), /keine weitere Rechnung/);
  await checkA11y(ended, '/ (ended contract)');
  expectNoProblems(ended);

  const pending = await dashboard(t, customer('new contract'));
  assert.equal(await pending.locator('#dashboard-prices').count(), 0);
  const start = pending.locator('.dashboard > :first-child .dashboard__status');
  assert.match(await text(start), /^(Belieferung ab \d\d\.\d\d\.\d{4}|Supply starts on .+)$/);
  assert.equal(await pending.locator('#dashboard-order a[href="/orders/"]').count(), 1, 'the open meter order links to /orders/');
  await checkA11y(pending, '/ (pending contract)');
  expectNoProblems(pending);
});
