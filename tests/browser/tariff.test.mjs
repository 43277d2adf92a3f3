// The tariff screen (/tariff) against `portalgen serve --demo`, codes read from a real SMTP
// server: prices and contract dates as the API has them; the cancellation (a move-out date the
// edge refuses shown at the date field, then an ordinary cancellation through the confirmation
// to the terminated state, also in the API); withdrawal only inside its 14 days, and the edge's
// refusal shown at the reasons; the meter swap request through its confirmation to a new order on
// /orders/; axe-core in German and English; no console errors or CSP violations. Each test signs
// in its own customer; the last one moves the server's clock by two weeks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, checkA11y, expectNoProblems, portalSuite, screenshot, settled, switchLanguage,
} from './lib/portal.mjs';

const TIMEOUT = 90000;
const DAY = 86400;
const portal = portalSuite();

// ---------- helpers ----------

const customer = (note) => portal.customer('lumio', note);

/** A page of `email` signed in on lumio and showing /tariff/ (own context, closed after the test). */
async function tariffPage(t, email, options = {}) {
  const page = await portal.signedInPage(t, 'lumio', email, '/tariff/', options);
  await page.locator('#tariff-contract dl').waitFor();
  return page;
}

/** JSON of a GET on the API with the page's session. */
const apiGet = (page, path) => page.evaluate((url) => fetch(url).then((r) => r.json()), path);
const squash = (text) => text.replace(/\s+/g, ' ').trim();
const text = async (locator) => squash(await locator.innerText());
const berlin = (options) => (at) => new Intl.DateTimeFormat('de', { timeZone: 'Europe/Berlin', ...options }).format(new Date(at));
const dateDe = berlin({ dateStyle: 'medium' });
const dateLongDe = berlin({ dateStyle: 'full' });
/** The last day of supply of an exclusive end instant. */
const lastDayOf = (endAt) => Date.parse(endAt) - 1000;
/** The value next to the term `term` in the contract card. */
const fact = (page, term) => text(page.locator('#tariff-contract dl > div').filter({ has: page.locator('dt', { hasText: term }) }).locator('dd'));

/** The subscription the page shows (by its number in the contract card), expanded. */
async function shownSubscription(page) {
  const number = await fact(page, 'Vertragsnummer');
  const list = await apiGet(page, '/api/subscriptions');
  const item = list.items.find((s) => s.number === number);
  assert.ok(item, `contract ${number} is one of the customer's`);
  return apiGet(page, `/api/subscriptions/${item.id}`);
}

/** Runs `action` and resolves with the answer to the POST it causes to `path` (a suffix). */
async function posted(page, path, action) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith(path)),
    action(),
  ]);
  return { status: response.status(), body: await response.json() };
}

const focusedId = (page) => page.evaluate(() => document.activeElement?.id);

// ---------- tests ----------

test('prices, standing charge and contract dates as the API has them; axe in German and English', { timeout: TIMEOUT }, async (t) => {
  const page = await tariffPage(t, customer('two contracts'), { viewport: DESKTOP });
  const sub = await shownSubscription(page);

  const prices = page.locator('#tariff-prices');
  assert.match(await text(prices.locator('.tariff-price__value')), /^\d{1,3},\d{2} ct\/kWh$/, 'the working price now');
  for (const part of ['Energie', 'Netzentgelte', 'Steuern, Abgaben und Umlagen', 'Arbeitspreis']) {
    assert.match(await text(prices.locator('tr').filter({ hasText: part })), /\d,\d{2} ct\/kWh$/, `price component ${part}`);
  }
  assert.match(await text(prices), /Heute zwischen \d+,\d{2} ct\/kWh und \d+,\d{2} ct\/kWh/, 'today\'s range');

  const base = page.locator('#tariff-base');
  assert.match(await text(base.locator('tr').last()), /^Gesamt \d+,\d{2} €$/, 'the standing charge per month');
  assert.match(await text(base), /Laut Ihrer Rechnung \S+ vom \d{2}\.\d{2}\.\d{4}/, 'names the invoice it comes from');

  assert.equal(await fact(page, 'Status'), 'Aktiv');
  assert.equal(await fact(page, 'Lieferbeginn'), dateDe(sub.start_at));
  assert.equal(await fact(page, 'Vertragsabschluss'), dateDe(sub.created_at));
  assert.ok((await fact(page, 'Lieferadresse')).startsWith(`${sub.address.street} ${sub.address.house_number}`), 'the supply address');
  assert.ok((await fact(page, 'Zähler')).endsWith(sub.meter.number), 'the meter');

  await checkA11y(page, '/tariff/ (de)');
  await screenshot(page, 'tariff-de-desktop');
  await switchLanguage(page, 'en');
  assert.equal(await text(page.locator('#tariff-prices-title')), 'Energy price');
  assert.equal(await fact(page, 'Status'), 'Active');
  await checkA11y(page, '/tariff/ (en)');
  expectNoProblems(page);
});

test('cancellation: a refused move-out date shows at the field, an ordinary one ends in the terminated state', { timeout: TIMEOUT }, async (t) => {
  const page = await tariffPage(t, customer('two contracts'));
  const sub = await shownSubscription(page);
  const cancel = page.locator('#tariff-cancel');

  // Withdrawal is long over for anna: not offered, and the page says why.
  assert.equal(await page.locator('#tariff-cancel-WITHDRAWAL').count(), 0, 'no withdrawal option');
  assert.match(await text(cancel), /Ein Widerruf ist nicht mehr möglich: Die Frist von 14 Tagen ist am \d{2}\.\d{2}\.\d{4} abgelaufen/);

  // A move-out needs a date; tomorrow is too early for the grid operator (409 at the date field).
  await page.locator('#tariff-cancel-MOVE_OUT').check();
  await cancel.getByRole('button', { name: 'Weiter' }).click();
  assert.equal(await text(page.locator('#tariff-end-error')), 'Bitte geben Sie Ihren Auszugstag an.');
  assert.equal(await focusedId(page), 'tariff-end');
  const tomorrow = new Date(Date.now() + DAY * 1000).toLocaleDateString('en-CA', { timeZone: 'Europe/Berlin' });
  await page.locator('#tariff-end').fill(tomorrow);
  await cancel.getByRole('button', { name: 'Weiter' }).click();
  assert.match(await text(cancel), /Letzter Liefertag .*Ab dem \d{2}\.\d{2}\.\d{4} beliefern wir diese Adresse nicht mehr/);
  const refused = await posted(page, '/terminate', () => cancel.getByRole('button', { name: 'Jetzt verbindlich kündigen' }).click());
  assert.equal(refused.status, 409);
  assert.equal(refused.body.errors[0].code, 'invalid_termination_date');
  const dateError = page.locator('#tariff-end-error');
  await dateError.waitFor();
  assert.equal(await text(dateError), squash(refused.body.errors[0].message), 'the edge\'s reason at the date field');
  assert.equal(await page.locator('#tariff-end').getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#tariff-end').getAttribute('aria-describedby'), /tariff-end-error/);
  assert.equal(await focusedId(page), 'tariff-end');
  assert.equal(await page.locator('#tariff-end').inputValue(), tomorrow, 'the form keeps what was entered');
  assert.equal((await apiGet(page, `/api/subscriptions/${sub.id}`)).termination, null, 'nothing was terminated');

  // Ordinary, as early as possible: the confirmation says so; the answer names the last day.
  await page.locator('#tariff-cancel-ORDINARY').check();
  await page.locator('#tariff-end').fill('');
  await cancel.getByRole('button', { name: 'Weiter' }).click();
  const check = cancel.getByRole('heading', { name: 'Bitte prüfen Sie Ihre Kündigung' });
  await check.waitFor();
  assert.equal(await check.evaluate((el) => el === document.activeElement), true, 'focus on the confirmation');
  assert.match(await text(cancel), new RegExp(`${sub.number} · .*Ordentliche Kündigung.*Zum frühestmöglichen Termin`));
  await checkA11y(page, '/tariff/ cancellation confirmation');
  await screenshot(page, 'tariff-cancel-confirm-phone');
  const answer = await posted(page, '/terminate', () => cancel.getByRole('button', { name: 'Jetzt verbindlich kündigen' }).click());
  assert.equal(answer.status, 200);
  assert.equal(answer.body.reason, 'ORDINARY');
  const lastDay = lastDayOf(answer.body.intended_end_at);
  const done = cancel.getByRole('heading', { name: 'Ihre Kündigung ist eingegangen' });
  await done.waitFor();
  assert.match(await text(cancel), new RegExp(`Ihr letzter Liefertag ist ${dateLongDe(lastDay)}\\.`));
  await page.locator('#tariff-contract .tariff-status--terminated').waitFor();
  assert.equal(await fact(page, 'Status'), 'Gekündigt');
  assert.equal(await fact(page, 'Letzter Liefertag'), dateDe(lastDay));

  const after = await apiGet(page, `/api/subscriptions/${sub.id}`);
  assert.equal(after.termination?.reason, 'ORDINARY', 'the API holds the termination');
  assert.equal(Date.parse(after.end_at), Date.parse(answer.body.intended_end_at), 'and its end');

  // Later visits show the state instead of the form.
  await page.reload();
  await settled(page);
  assert.equal(await cancel.locator('form').count(), 0, 'no form for a terminated contract');
  assert.match(await text(cancel.locator('.notice')), new RegExp(`Dieser Vertrag ist gekündigt \\(Ordentliche Kündigung, eingegangen am \\d{2}\\.\\d{2}\\.\\d{4}\\)\\. Letzter Liefertag: ${dateLongDe(lastDay)}\\.`));
  await checkA11y(page, '/tariff/ terminated');
  await screenshot(page, 'tariff-terminated-phone');
  expectNoProblems(page);
});

test('meter swap: a reason is needed for "another reason", then the confirmed request is a new order on /orders/', { timeout: TIMEOUT }, async (t) => {
  const page = await tariffPage(t, customer('company'));
  const sub = await shownSubscription(page);
  const swap = page.locator('#tariff-swap');
  assert.equal(sub.meter.type, 'smart');
  assert.equal(await page.locator('#tariff-swap-upgrade').count(), 0, 'no upgrade for a smart meter');

  await page.locator('#tariff-swap-other').check();
  await swap.getByRole('button', { name: 'Weiter' }).click();
  assert.equal(await text(page.locator('#tariff-message-error')), 'Bitte schreiben Sie uns, warum der Zähler getauscht werden soll.');
  assert.equal(await focusedId(page), 'tariff-message');
  await page.locator('#tariff-message').fill('Das Display des Zählers bleibt dunkel.');
  await swap.getByRole('button', { name: 'Weiter' }).click();
  await swap.getByRole('heading', { name: 'Bitte prüfen Sie Ihren Auftrag' }).waitFor();
  assert.match(await text(swap), /Aus einem anderen Grund.*Das Display des Zählers bleibt dunkel\./);
  const answer = await posted(page, '/meter-swap', () => swap.getByRole('button', { name: 'Zählertausch beauftragen' }).click());
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.body.swap_request, { reason: 'other', message: 'Das Display des Zählers bleibt dunkel.' });
  await swap.getByRole('heading', { name: 'Ihr Auftrag ist eingegangen' }).waitFor();
  assert.match(await text(swap), new RegExp(`Wir haben Ihren Zählerauftrag am ${dateDe(answer.body.created_at)} angelegt\\.`));

  await swap.getByRole('link', { name: 'Auftrag verfolgen' }).click();
  await page.waitForURL((url) => url.pathname === '/orders/');
  await page.locator('.view[data-view="orders"][aria-busy="false"]').waitFor();
  const order = page.locator('.orders-order').filter({ hasText: 'Zählertausch (Ihr Auftrag)' });
  assert.equal(await order.count(), 1, 'the new order is listed');
  assert.match(await text(order.locator('[aria-current="step"]')), /An den Messstellenbetreiber übergeben/);
  const orders = await apiGet(page, `/api/meter-orders?filter[subscription][eq]=${sub.id}`);
  assert.ok(orders.items.some((o) => o.id === answer.body.id), 'the API lists it');

  // Back on the tariff: one open order at a time.
  await page.goto(portal.server.url('lumio', '/tariff/'));
  await settled(page);
  assert.match(await text(swap), /Für diesen Vertrag läuft bereits ein Zählerauftrag: Auftrag angelegt\./);
  expectNoProblems(page);
});

test('withdrawal: offered inside the 14 days; refused by the edge once they are over, shown at the reasons', { timeout: TIMEOUT }, async (t) => {
  const email = customer('new contract');
  // The browser still thinks the period runs (it uses the real date); the edge, two weeks
  // later, does not.
  portal.server.advance(15 * DAY);
  const page = await tariffPage(t, email);
  const sub = await shownSubscription(page);
  const withdrawal = page.locator('#tariff-cancel-WITHDRAWAL');
  assert.equal(await withdrawal.count(), 1, 'withdrawal is offered');
  await withdrawal.check();
  assert.equal(await page.locator('#tariff-end').isVisible(), false, 'a withdrawal takes no date');
  const cancel = page.locator('#tariff-cancel');
  await cancel.getByRole('button', { name: 'Weiter' }).click();
  assert.match(await text(cancel), /Widerruf.*Die Belieferung beginnt nicht\./);
  const refused = await posted(page, '/terminate', () => cancel.getByRole('button', { name: 'Jetzt verbindlich kündigen' }).click());
  assert.equal(refused.status, 409);
  assert.equal(refused.body.errors[0].code, 'withdrawal_not_allowed');
  const error = page.locator('#tariff-cancel-error');
  await error.waitFor();
  assert.match(await text(error), /^Ein Widerruf ist nicht mehr möglich: Die Frist von 14 Tagen ist am \d{2}\.\d{2}\.\d{4} abgelaufen\. Sie können den Vertrag ordentlich kündigen\.$/);
  assert.equal(await page.locator('#tariff-cancel fieldset').getAttribute('aria-describedby'), 'tariff-cancel-error');
  assert.equal(await focusedId(page), 'tariff-cancel-WITHDRAWAL');
  assert.equal((await apiGet(page, `/api/subscriptions/${sub.id}`)).termination, null, 'nothing was terminated');
  await checkA11y(page, '/tariff/ withdrawal refused');
  expectNoProblems(page);
});
