// The consumption screen (/consumption) against `portalgen serve --demo`, codes read from a real
// SMTP server. Smart meter: day, week and month bars against the price line (quarter-hours for a
// day), previous/next period, preliminary values hatched and named, the cheapest hours. Analog
// meter: monthly bars, an implausible reading answered with a soft hint next to the field (not an
// error page), a duplicate day as a field message, a plausible reading listed and in the API.
// axe-core in German and English; no console errors or CSP violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, checkA11y, expectNoProblems, portalSuite, screenshot, settled, switchLanguage,
} from './lib/portal.mjs';

const TIMEOUT = 90000;
const portal = portalSuite();

const apiGet = (page, path) => page.evaluate((url) => fetch(url).then((r) => r.json()), path);
const squash = (text) => text.replace(/\s+/g, ' ').trim();
const text = async (locator) => squash(await locator.innerText());
const berlinDay = (at) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date(at));
const de = (value, digits = 1) => new Intl.NumberFormat('de', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);

/**
 * Anna signed in on lumio, on /consumption/ showing her subscription with a `meter` meter (own
 * context, closed after the test); resolves with the page and that subscription.
 */
async function consumption(t, meter, options = {}) {
  const anna = portal.customer('lumio', 'two contracts');
  const page = await portal.signedInPage(t, 'lumio', anna, '/consumption/', options);
  const all = await Promise.all((await apiGet(page, '/api/subscriptions')).items.map((s) => apiGet(page, `/api/subscriptions/${s.id}`)));
  const subscription = all.find((s) => s.meter.type === meter);
  if ((await page.locator('#subscription-switch').inputValue()) !== subscription.id) {
    await page.selectOption('#subscription-switch', subscription.id);
    await page.waitForFunction((analog) => Boolean(document.querySelector('.consumption__views')) !== analog, meter === 'analog');
  }
  await settled(page);
  await page.locator('.consumption__body .chart').waitFor();
  return { page, subscription };
}

/** The bars of the chart as its table has them: [label, cells…] per row. */
const rows = (page) => page.locator('.consumption__body .chart__table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));

/** Clicks `button` and waits until the period heading has changed and the chart is redrawn. */
async function pick(page, button) {
  const heading = page.locator('.consumption__period');
  const before = await heading.innerText();
  const table = await page.locator('.consumption__body .chart__table').elementHandle();
  await button.click();
  await page.waitForFunction(([el]) => !el.isConnected, [table]);
  await page.locator('.consumption__body .chart__table').waitFor({ state: 'attached' });
  return before !== (await heading.innerText());
}

test('smart meter: day, week and month bars against the price, navigation, cheapest hours', { timeout: TIMEOUT }, async (t) => {
  const { page } = await consumption(t, 'smart');
  const views = page.locator('.consumption__views');
  const button = (name) => views.getByRole('button', { name });

  // The week (the default): Monday to Sunday, hatched preliminary bars, named as such.
  assert.equal(await button('Woche').getAttribute('aria-pressed'), 'true');
  const week = await rows(page);
  assert.equal(week.length, 7);
  assert.match(week[0][0], /^Mo\.?, /);
  assert.ok(await page.locator('.chart__bar--pre').count() > 0, 'this week\'s values are preliminary and hatched');
  assert.match(await text(page.locator('.consumption__body .chart__legend')), /vorläufig \(schraffiert, kann sich noch ändern\)/);
  assert.ok(week.some((r) => r[3] === 'vorläufig'), 'the table names preliminary values');
  assert.match(await text(page.locator('.consumption__cheap')), /^\d+,\d kWh in den günstigsten Stunden Das sind \d+ % Ihres Verbrauchs/);
  assert.equal(await page.getByRole('button', { name: 'Nächste Woche' }).isDisabled(), true, 'no future weeks');

  // A day: 23 to 25 hours with their prices; the same day in quarter-hours.
  assert.ok(await pick(page, button('Tag')));
  const day = await rows(page);
  assert.ok([23, 24, 25].includes(day.length), `hours of a day: ${day.length}`);
  assert.match(day[0][0], /^00:00–01:00$/);
  assert.match(day[0][1], /ct\/kWh$/);
  assert.match(new URL(page.url()).search, /view=day&date=\d{4}-\d\d-\d\d/);
  await pick(page, button('15 Min.'));
  const quarters = await rows(page);
  assert.ok([92, 96, 100].includes(quarters.length), `quarter-hours of a day: ${quarters.length}`);
  assert.match(await text(page.locator('.consumption__cheap')), /in den günstigsten Viertelstunden/);

  // Previous day, then the month: its days, the price line as day averages.
  assert.ok(await pick(page, page.getByRole('button', { name: 'Vorheriger Tag' })), 'the previous day');
  assert.equal(await page.getByRole('button', { name: 'Nächster Tag' }).isDisabled(), false);
  assert.ok(await pick(page, button('Monat')));
  const month = await rows(page);
  assert.ok(month.length >= 28 && month.length <= 31, `days of a month: ${month.length}`);
  assert.match(month[0][1], /ct\/kWh$/, 'each day has its mean price');
  assert.ok(await pick(page, page.getByRole('button', { name: 'Vorheriger Monat' })));
  assert.notDeepEqual(await rows(page), month, 'the previous month has other bars');

  // Keyboard readout over the bars.
  await page.locator('.consumption__body .chart__plot').focus();
  await page.keyboard.press('Home');
  assert.match(await text(page.locator('.consumption__body .chart__readout')), /^\S+, 01\.\d\d\.\d{4}: \d+,\d\d ct\/kWh, \d+,\d kWh/);
  await screenshot(page, 'consumption-smart-de-390');

  await checkA11y(page, '/consumption/ (de, smart)');
  await switchLanguage(page, 'en');
  await page.locator('.consumption__views').getByRole('button', { name: 'Month' }).waitFor();
  await page.locator('.consumption__body details summary').click();
  await checkA11y(page, '/consumption/ (en, smart, table open)');
  await switchLanguage(page, 'de');
  expectNoProblems(page);
});

test('analog meter: an implausible reading gets a soft hint, a plausible one is listed', { timeout: TIMEOUT }, async (t) => {
  const { page, subscription } = await consumption(t, 'analog', { viewport: DESKTOP });
  // Monthly bars of a year; no day/week/month switch for a meter read by hand.
  assert.equal(await page.locator('.consumption__views').count(), 0);
  assert.equal((await rows(page)).length, 12);

  const readingsUrl = `/api/meter-readings?filter[subscription][eq]=${subscription.id}`;
  const [last] = (await apiGet(page, readingsUrl)).items;
  const value = page.getByLabel('Zählerstand in kWh');
  const message = page.locator('#reading-value-message');
  const submit = page.getByRole('button', { name: 'Zählerstand senden' });
  assert.match(await text(page.locator('#reading-value-hint')), new RegExp(`Ihr letzter Stand: ${de(last.value).replace('.', '\\.')} kWh`));

  // Below the last reading: the edge answers 422 implausible_meter_reading, shown as a hint.
  const [refused] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/api/meter-readings' && r.request().method() === 'POST'),
    value.fill('1.000').then(() => submit.click()),
  ]);
  assert.equal(refused.status(), 422);
  assert.equal((await refused.json()).errors[0].code, 'implausible_meter_reading');
  await message.waitFor();
  assert.match(await text(message), /^Diese Zahl wirkt ungewöhnlich, bitte prüfen Sie sie noch einmal\. Ist der Stand trotzdem richtig/);
  assert.match(await message.getAttribute('class'), /consumption__field-message--soft/);
  assert.match(await value.getAttribute('aria-describedby'), /reading-value-message/);
  assert.equal(await value.evaluate((el) => el === document.activeElement), true, 'focus is on the field');
  assert.equal(await value.inputValue(), '1.000', 'the typed value stays for correcting');
  assert.equal(await page.locator('.notice--error, [role="alert"]').filter({ visible: true }).count(), 0, 'no error page or alert');
  assert.equal(new URL(page.url()).pathname, '/consumption/');
  await checkA11y(page, '/consumption/ (de, analog, soft hint)');

  // A plausible reading (German digits) is saved, listed first and in the API.
  const plausible = Math.floor(last.value) + 123.4;
  await value.fill(de(plausible));
  await submit.click();
  await page.locator('.consumption__saved').waitFor();
  assert.equal(await message.isHidden(), true, 'the hint is gone');
  const first = page.locator('.consumption__readings tbody tr').first();
  await first.filter({ hasText: `${de(plausible)} kWh` }).waitFor();
  assert.match(await text(first), /Von Ihnen gemeldet/);
  const stored = (await apiGet(page, readingsUrl)).items[0];
  assert.equal(stored.value, plausible);
  assert.equal(stored.type, 'customer_report');
  assert.equal(berlinDay(stored.timestamp), berlinDay(Date.now()));

  // The same day again: a clear message at the date field.
  await value.fill(de(plausible + 1));
  await submit.click();
  const dateMessage = page.locator('#reading-date-message');
  await dateMessage.waitFor();
  assert.match(await text(dateMessage), /Für diesen Tag liegt bereits ein Zählerstand vor/);
  assert.equal(await page.getByLabel('Ablesedatum').getAttribute('aria-invalid'), 'true');
  await screenshot(page, 'consumption-analog-de-1280');

  await switchLanguage(page, 'en');
  await page.getByRole('heading', { name: 'Submit a meter reading' }).waitFor();
  await checkA11y(page, '/consumption/ (en, analog)');
  await switchLanguage(page, 'de');
  expectNoProblems(page);
});
