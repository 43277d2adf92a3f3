// The account page (/account) against `portalgen serve --demo`, codes read from a real SMTP server:
// personal details and the name change, the billing address, the SEPA bank account with the IBAN
// checked in the browser (nothing sent when it cannot be right), the API's own refusal, the
// change itself and the step-up re-confirmation by code once the sign-in is older than 15
// minutes; a business customer on a second brand. axe-core in German and English; no console
// errors or CSP violations. The tests share anna's signed-in page and run in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, PHONE, checkA11y, expectNoProblems, portalSuite, screenshot, settled, switchLanguage,
} from './lib/portal.mjs';

const TIMEOUT = 60000;
let page; // anna on lumio, signed in once (codes per address are rate limited)
let anna;
// The tests run in order on one page and move the clock themselves (the step-up).
const portal = portalSuite({
  advance: 0,
  async setup() {
    anna = portal.customer('lumio', 'two contracts');
    page = await portal.signedInPage(null, 'lumio', anna, '/account/');
  },
});

// ---------- helpers ----------

/** JSON of a GET on the API with the page's session. */
const apiGet = (p, path) => p.evaluate((url) => fetch(url).then((r) => r.json()), path);
const currentSubscription = async (p) => apiGet(p, `/api/subscriptions/${await p.locator('#subscription-switch').inputValue()}`);
const card = (p, key) => p.locator(`#account-${key}`);
/** The value shown for the term `term` in a card's facts. */
const fact = (scope, term) => scope.locator('.facts div').filter({ has: scope.page().getByText(term, { exact: true }) }).locator('dd');
/** Counts the requests of `method` to paths starting with `prefix` while `action` runs. */
async function requestsDuring(p, method, prefix, action) {
  let count = 0;
  const seen = (request) => {
    if (request.method() === method && new URL(request.url()).pathname.startsWith(prefix)) count += 1;
  };
  p.on('request', seen);
  try {
    await action();
    await p.waitForTimeout(300);
  } finally {
    p.off('request', seen);
  }
  return count;
}

async function openAccount(p) {
  await p.goto(portal.server.url('lumio', '/account/'));
  await settled(p);
}

/** The field's error line, asserting it is linked to the field and the field is marked invalid. */
async function fieldError(field) {
  const id = await field.getAttribute('id');
  const error = field.page().locator(`#${id}-error`);
  await error.waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await field.getAttribute('aria-invalid'), 'true', 'the field is marked invalid');
  assert.match(await field.getAttribute('aria-describedby'), new RegExp(`\\b${id}-error\\b`), 'the error describes the field');
  return (await error.innerText()).trim();
}

/** Opens the bank account form and fills it (the IBAN typed as given). */
async function fillBankForm(p, iban) {
  const bank = card(p, 'bank');
  await bank.getByRole('button', { name: 'Bankverbindung ändern' }).click();
  const input = bank.getByLabel('IBAN', { exact: true });
  assert.equal(await p.evaluate(() => document.activeElement?.id), 'account-account_holder', 'focus moves into the form');
  await input.fill('');
  await input.pressSequentially(iban);
  await bank.getByRole('checkbox').check();
  return input;
}

const saveBank = (p) => card(p, 'bank').getByRole('button', { name: 'Bankverbindung speichern' }).click();
const shownIban = (p) => fact(card(p, 'bank'), 'IBAN').locator('[aria-hidden="true"]').innerText();

// ---------- tests ----------

test('shows the details, the bank account and the addresses of the selected contract, accessible in German and English', { timeout: TIMEOUT }, async () => {
  await openAccount(page);
  const headings = await page.locator('.view h2').allInnerTexts();
  assert.deepEqual(headings, ['Persönliche Daten', 'Bankverbindung', 'Adressen']);
  const customer = (await apiGet(page, '/api/session')).customer;
  const details = card(page, 'details');
  assert.equal(await fact(details, 'Name').innerText(), `${customer.first_name} ${customer.last_name}`);
  assert.equal(await fact(details, 'E-Mail-Adresse').innerText(), anna);
  assert.match(await details.innerText(), /Kundenservice:\s*hilfe@lumio\.example/, 'how to change the e-mail address');

  // Each contract shows its own bank account and addresses.
  const select = page.locator('#subscription-switch');
  const selected = await select.inputValue();
  const ids = await select.locator('option').evaluateAll((options) => options.map((o) => o.value));
  assert.equal(ids.length, 2, 'anna has two contracts');
  for (const id of [selected, ...ids.filter((i) => i !== selected)]) {
    const sub = await apiGet(page, `/api/subscriptions/${id}`);
    await select.selectOption(id);
    await card(page, 'bank').getByText(`Für Vertrag ${sub.number}.`, { exact: false }).waitFor();
    await settled(page);
    assert.equal(await shownIban(page), sub.payment_method.sepa_debit.iban, 'the masked IBAN as the API gives it');
    assert.equal(await fact(card(page, 'bank'), 'Kontoinhaber').innerText(), sub.payment_method.sepa_debit.account_holder);
    const addresses = await card(page, 'address').innerText();
    assert.ok(addresses.includes(`${sub.address.street} ${sub.address.house_number}\n${sub.address.zip} ${sub.address.city}`), addresses);
    assert.ok(addresses.includes(sub.meter.number), 'the meter number');
  }
  assert.equal(await card(page, 'address').getByRole('link', { name: 'Tarif & Vertrag' }).getAttribute('href'), '/tariff/', 'moving out is done on /tariff/');

  await screenshot(page, 'account-lumio-de-390');
  await checkA11y(page, '/account (de)');
  await switchLanguage(page, 'en');
  assert.deepEqual(await page.locator('.view h2').allInnerTexts(), ['Personal details', 'Bank account', 'Addresses']);
  await checkA11y(page, '/account (en)');
  await page.setViewportSize(DESKTOP);
  await screenshot(page, 'account-lumio-en-1280');
  await page.setViewportSize(PHONE);
  await switchLanguage(page, 'de');
  expectNoProblems(page);
});

test('changes the name; an empty name is refused next to the field; the new name shows after a reload', { timeout: TIMEOUT }, async () => {
  await openAccount(page);
  const details = card(page, 'details');
  await details.getByRole('button', { name: 'Name ändern' }).click();
  const first = details.getByLabel('Vorname', { exact: true });
  const last = details.getByLabel('Nachname', { exact: true });
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'account-first_name');

  await last.fill('  ');
  const sent = await requestsDuring(page, 'PATCH', '/api/customers/', () => details.getByRole('button', { name: 'Speichern' }).click());
  assert.equal(sent, 0, 'nothing is sent');
  assert.equal(await fieldError(last), 'Bitte füllen Sie dieses Feld aus.');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'account-last_name', 'focus on the field to fix');

  await first.fill('Anna-Lena');
  await last.fill('Schmidt-Berg');
  await details.getByRole('button', { name: 'Speichern' }).click();
  await details.getByText('Ihr Name wurde gespeichert.').waitFor();
  assert.equal(await fact(details, 'Name').innerText(), 'Anna-Lena Schmidt-Berg');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Name ändern', 'focus back on the button');

  await openAccount(page);
  assert.equal(await fact(card(page, 'details'), 'Name').innerText(), 'Anna-Lena Schmidt-Berg', 'after a reload');
  const customer = (await apiGet(page, '/api/session')).customer;
  assert.deepEqual([customer.first_name, customer.last_name], ['Anna-Lena', 'Schmidt-Berg'], 'the API agrees');
  expectNoProblems(page);
});

test('changes the billing address; a postcode of four digits is refused in the browser', { timeout: TIMEOUT }, async () => {
  await openAccount(page);
  const addresses = card(page, 'address');
  await addresses.getByRole('button', { name: 'Rechnungsadresse ändern' }).click();
  const zip = addresses.getByLabel('Postleitzahl', { exact: true });
  await addresses.getByLabel('Straße', { exact: true }).fill('Lindenallee');
  await addresses.getByLabel('Hausnummer', { exact: true }).fill('12b');
  await zip.fill('1011');
  await addresses.getByLabel('Ort', { exact: true }).fill('Berlin');
  const sent = await requestsDuring(page, 'PATCH', '/api/subscriptions/', () => addresses.getByRole('button', { name: 'Speichern' }).click());
  assert.equal(sent, 0, 'nothing is sent');
  assert.equal(await fieldError(zip), 'Eine Postleitzahl hat fünf Ziffern.');

  await zip.fill('10115');
  await addresses.getByRole('button', { name: 'Speichern' }).click();
  await addresses.getByText('Ihre Rechnungsadresse wurde gespeichert.').waitFor();
  assert.match(await addresses.innerText(), /Lindenallee 12b\n10115 Berlin/);
  const billing = (await currentSubscription(page)).billing_address;
  assert.deepEqual([billing.street, billing.house_number, billing.zip, billing.city], ['Lindenallee', '12b', '10115', 'Berlin'], 'the API agrees');
  expectNoProblems(page);
});

test('an IBAN with wrong check digits is refused next to the field and nothing is sent', { timeout: TIMEOUT }, async () => {
  await openAccount(page);
  const before = (await currentSubscription(page)).payment_method;
  // Typed in lower case without spaces: shown in groups of four.
  const input = await fillBankForm(page, 'de89370400440532013001');
  assert.equal(await input.inputValue(), 'DE89 3704 0044 0532 0130 01');
  const sent = await requestsDuring(page, 'PATCH', '/api/subscriptions/', () => saveBank(page));
  assert.equal(sent, 0, 'nothing is sent');
  assert.equal(await fieldError(input), 'Die Prüfziffern stimmen nicht. Bitte prüfen Sie die IBAN auf Tippfehler.');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'account-iban', 'focus on the IBAN');

  // The wrong length names the country; the mandate must be granted.
  await input.fill('DE89 3704 0044 0532 0130');
  await card(page, 'bank').getByRole('checkbox').uncheck();
  assert.equal(await requestsDuring(page, 'PATCH', '/api/subscriptions/', () => saveBank(page)), 0);
  assert.equal(await fieldError(input), 'Eine IBAN aus Deutschland hat 22 Stellen, diese hat 20.');
  assert.match(await fieldError(card(page, 'bank').getByRole('checkbox')), /Bitte erteilen Sie das Mandat/);
  await checkA11y(page, '/account bank form with errors (de)');

  // Check digits right, but a letter where Germany has only digits: the API's 422 invalid_iban.
  await input.fill('');
  await page.keyboard.insertText('DE05 3704 0044 0532 0130 0A'); // as a paste would
  await card(page, 'bank').getByRole('checkbox').check();
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PATCH'),
    saveBank(page),
  ]);
  assert.equal(answer.status(), 422);
  assert.match(await fieldError(input), /passt nicht zum Kontoaufbau/);
  assert.equal(await input.inputValue(), 'DE05 3704 0044 0532 0130 0A', 'the typed IBAN stays');

  await card(page, 'bank').getByRole('button', { name: 'Abbrechen' }).click();
  assert.equal(await shownIban(page), before.sepa_debit.iban, 'the old bank account still shows');
  assert.deepEqual((await currentSubscription(page)).payment_method, before, 'the API still has the old bank account');
  expectNoProblems(page);
});

test('a valid IBAN pasted with spaces changes the bank account; the masked new IBAN shows and the API agrees', { timeout: TIMEOUT }, async () => {
  await openAccount(page);
  const input = await fillBankForm(page, '');
  await input.focus();
  await page.keyboard.insertText(' de89 3704 0044 0532 0130 00 '); // as a paste would
  assert.equal(await input.inputValue(), 'DE89 3704 0044 0532 0130 00');
  await saveBank(page);
  await card(page, 'bank').getByText('Ihre neue Bankverbindung ist gespeichert.', { exact: false }).waitFor();
  const { payment_method: method } = await currentSubscription(page);
  assert.equal(method.sepa_debit.iban, 'DE************3000', 'the API has the new IBAN');
  assert.equal(await shownIban(page), method.sepa_debit.iban, 'the masked new IBAN shows');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Bankverbindung ändern', 'focus back on the button');
  expectNoProblems(page);
});

test('after 15 minutes a new IBAN needs a code from the e-mail; then the change goes through', { timeout: TIMEOUT }, async () => {
  portal.server.advance(16 * 60);
  await openAccount(page);
  const bank = card(page, 'bank');
  const mails = portal.smtp.count(anna);
  await fillBankForm(page, 'AT611904300234573201');
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PATCH'),
    saveBank(page),
  ]);
  assert.equal(refused.status(), 403, 'the API wants a recent sign-in');

  const panel = bank.locator('.account__step-up');
  await panel.getByRole('heading', { name: 'Bitte bestätigen Sie die Änderung' }).waitFor();
  assert.match(await panel.innerText(), /mehr als 15 Minuten/, 'says why');
  assert.ok((await panel.innerText()).includes(anna), 'says where the code went');
  assert.match(await panel.innerText(), /AT61 1904 3002 3457 3201/, 'the typed IBAN is kept');
  const code = panel.getByLabel('Bestätigungscode', { exact: true });
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'account-code', 'focus on the code field');
  await checkA11y(page, '/account step-up (de)');

  // Back to the form and again: the typed IBAN is still there; the code mailed a moment ago
  // stays the valid one (the server sends one a minute), without an error.
  await panel.getByRole('button', { name: 'Abbrechen' }).click();
  assert.equal(await panel.count(), 0);
  assert.equal(await bank.getByLabel('IBAN', { exact: true }).inputValue(), 'AT61 1904 3002 3457 3201');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Bankverbindung speichern', 'focus back on the button');
  await saveBank(page);
  await panel.waitFor();
  await page.waitForTimeout(300);
  assert.equal(await panel.locator('.notice--error').count(), 0, 'no error about the code request');

  const mailed = await portal.smtp.codeFor(anna, { after: mails });
  await code.fill(mailed === '000000' ? '111111' : '000000');
  await panel.getByRole('button', { name: 'Bestätigen und speichern' }).click();
  assert.match(await fieldError(code), /nicht richtig oder abgelaufen/, 'a wrong code is refused next to the field');

  await code.fill(mailed);
  await panel.getByRole('button', { name: 'Bestätigen und speichern' }).click();
  await bank.getByText('Ihre neue Bankverbindung ist gespeichert.', { exact: false }).waitFor();
  assert.equal(await panel.count(), 0, 'the confirmation is gone');
  const { payment_method: method } = await currentSubscription(page);
  assert.equal(method.sepa_debit.iban, 'AT************3201', 'the API has the new IBAN');
  assert.equal(await shownIban(page), method.sepa_debit.iban);
  expectNoProblems(page);
});

test('a business customer sees the company, the contact person and the VAT ID (nordwatt)', { timeout: TIMEOUT }, async (t) => {
  const business = await portal.signedInPage(t, 'nordwatt', portal.customer('nordwatt', 'company'), '/account/', { viewport: DESKTOP });
  const customer = (await apiGet(business, '/api/session')).customer;
  assert.equal(customer.type, 'company');
  const details = card(business, 'details');
  assert.equal(await fact(details, 'Firma').innerText(), customer.company_name);
  assert.equal(await fact(details, 'Ansprechperson').innerText(), `${customer.first_name} ${customer.last_name}`);
  assert.equal(await fact(details, 'USt-IdNr.').innerText(), customer.vat_id);
  assert.match(await details.innerText(), /Ihre USt-IdNr\. zu ändern/);
  assert.equal(await business.locator('#subscription-switch').count(), 0, 'one contract: no switcher');
  assert.doesNotMatch(await card(business, 'bank').innerText(), /Für Vertrag/);

  await details.getByRole('button', { name: 'Name ändern' }).click();
  const company = details.getByLabel('Firma', { exact: true });
  assert.equal(await company.inputValue(), customer.company_name);
  await company.fill(`${customer.company_name} mbH`);
  await details.getByRole('button', { name: 'Speichern' }).click();
  await details.getByText('Ihr Name wurde gespeichert.').waitFor();
  assert.equal(await fact(details, 'Firma').innerText(), `${customer.company_name} mbH`);

  await screenshot(business, 'account-nordwatt-business-de-1280');
  await checkA11y(business, '/account business (de)');
  await switchLanguage(business, 'en');
  assert.equal(await fact(card(business, 'details'), 'VAT ID').innerText(), customer.vat_id);
  await checkA11y(business, '/account business (en)');
  expectNoProblems(business);
});
