// The orders screen (/orders) against `portalgen serve --demo`, codes read from a real SMTP
// server: the scheduled smart meter installation as an ordered timeline (done steps with their
// dates, the current step marked with aria-current and the appointment, the rest upcoming, each
// state also in text), a finished order's history behind a disclosure, add-on products and the
// empty states; axe-core in German and English; no console errors or CSP violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, checkA11y, expectNoProblems, portalSuite, screenshot, switchLanguage,
} from './lib/portal.mjs';

const TIMEOUT = 60000;
const portal = portalSuite();

/** A page of `email` signed in on `slug` and showing /orders/ (own context, closed after the test). */
const ordersPage = (t, slug, email, options) => portal.signedInPage(t, slug, email, '/orders/', options);

const apiGet = (page, path) => page.evaluate((url) => fetch(url).then((r) => r.json()), path);
const squash = (text) => text.replace(/\s+/g, ' ').trim();
const texts = (locator) => locator.evaluateAll((els) => els.map((el) => el.textContent.replace(/\s+/g, ' ').trim()));
const berlin = (locale, options) => (at) => new Intl.DateTimeFormat(locale, { timeZone: 'Europe/Berlin', ...options }).format(new Date(at));

test('the scheduled smart meter installation as a timeline with its current step; axe in German and English', { timeout: TIMEOUT }, async (t) => {
  const page = await ordersPage(t, 'lumio', portal.customer('lumio', 'analog meter, smart meter installation scheduled'), { viewport: DESKTOP });
  const { items } = await apiGet(page, '/api/meter-orders');
  const order = items.find((o) => o.status === 'scheduled');
  assert.ok(order?.appointment_at, `a scheduled order with an appointment: ${JSON.stringify(items)}`);

  const card = page.locator('.orders-order').filter({ hasText: 'Einbau eines intelligenten Messsystems' });
  const steps = card.locator('ol.orders-timeline > li');
  assert.deepEqual(await texts(steps), [
    ...['created', 'placed', 'check_submitted', 'check_reviewed', 'scheduled'].map((event, i) => {
      const label = ['Auftrag angelegt', 'An den Messstellenbetreiber übergeben', 'Smart-Meter-Check eingereicht', 'Smart-Meter-Check geprüft', 'Termin vereinbart'][i];
      const at = order.timeline.find((e) => e.event === event).occurred_at;
      return `Erledigt: ${label}${berlin('de', { dateStyle: 'medium' })(at)}`;
    }),
    `Aktueller Schritt: Zähler eingebautGeplant für ${berlin('de', { dateStyle: 'medium' })(order.appointment_at)}`,
    'Noch offen: Intelligentes Messsystem aktiv',
  ], 'done steps with dates, the current one, the upcoming one');
  assert.equal(await card.locator('[aria-current="step"]').count(), 1, 'one current step');
  assert.match(squash(await card.locator('[aria-current="step"]').innerText()), /^Aktueller Schritt: Zähler eingebaut Geplant für /);
  const when = `${berlin('de', { dateStyle: 'full' })(order.appointment_at)} um ${berlin('de', { hour: '2-digit', minute: '2-digit' })(order.appointment_at)} Uhr`;
  assert.equal(squash(await card.locator('.orders-appointment__when').innerText()), `Einbautermin: ${when}`);
  assert.match(squash(await page.locator('#orders-products').innerText()), /Für diesen Vertrag haben Sie keine Zusatzprodukte\./);

  await checkA11y(page, '/orders/ (de)');
  await screenshot(page, 'orders-scheduled-de-desktop');
  await switchLanguage(page, 'en');
  assert.match(squash(await page.locator('.orders-order [aria-current="step"]').innerText()), /^Current step: Meter installed Planned for /);
  await checkA11y(page, '/orders/ (en)');
  expectNoProblems(page);
});

test('a finished order keeps its history behind a disclosure; add-on products with price and status', { timeout: TIMEOUT }, async (t) => {
  const page = await ordersPage(t, 'lumio', portal.customer('lumio', 'company'));
  const { items: products } = await apiGet(page, '/api/products');
  assert.ok(products.length > 0, 'the business customer has an add-on product');

  const order = page.locator('.orders-order').first();
  assert.match(squash(await order.innerText()), /Intelligentes Messsystem aktiv/);
  const history = order.locator('details');
  assert.equal(await history.evaluate((d) => d.open), false, 'the history is folded');
  await history.locator('summary').click();
  assert.equal(await history.locator('li[aria-current]').count(), 0, 'nothing is current in a finished order');
  assert.equal(await history.locator('li.orders-step--done').count(), 7, 'every milestone done');

  const listed = await texts(page.locator('.orders-product'));
  for (const product of products) {
    const price = new Intl.NumberFormat('de', { style: 'currency', currency: 'EUR' }).format(product.price_per_month);
    assert.ok(listed.some((line) => line.includes(product.name) && line.includes(squash(`${price} pro Monat`))), `${product.name} with its price: ${listed}`);
  }
  await checkA11y(page, '/orders/ products (de)');
  await screenshot(page, 'orders-products-phone');
  expectNoProblems(page);
});
