// Sign-in through the real login UI against `portalgen serve --demo`, with the codes read from a
// real SMTP server on loopback: code, wrong code, resend cooldown, paste, deep link, magic link,
// open redirects, sign-out and the header's subscription switcher. No test may leave console
// errors or CSP violations behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoProblems, portalSuite, requestCode, settled, signIn } from './lib/portal.mjs';

const TIMEOUT = 60000;
let anna; // anna.schmidt@lumio signed in through the API: { cookie, customer, get }
let annaInvoice; // an invoice id of hers
// The server's clock is a file: before each test it moves past the sign-in limits (a new code
// per address once a minute, ten per client in ten minutes) instead of waiting.
const portal = portalSuite({
  async setup({ server, smtp }) {
    anna = await server.apiSignIn(smtp, 'lumio', ANNA('lumio'));
    const invoices = await anna.get('/api/invoices?limit=5');
    annaInvoice = invoices.items[0]?.id;
    assert.match(annaInvoice ?? '', /^inv_/, `anna has invoices: ${JSON.stringify(invoices)}`);
  },
});

const ANNA = (slug) => portal.customer(slug, 'two contracts');
const ONE_CONTRACT = (slug) => portal.customer(slug, 'analog meter, smart meter installation scheduled');

const path = (page) => new URL(page.url()).pathname;
const sessionStatus = (page) => page.evaluate(() => fetch('/api/session', { credentials: 'same-origin' }).then((r) => r.status));
const codeStep = (page) => page.locator('form[data-login-step="code"]');
const emailStep = (page) => page.locator('form[data-login-step="email"]');
const submitCode = (page) => codeStep(page).locator('button[type="submit"]').click();
const isVerify = (request) => new URL(request.url()).pathname === '/api/auth/verify' && request.method() === 'POST';

test('signs in with the code from the e-mail and lands on the dashboard', { timeout: TIMEOUT }, async (t) => {
  const page = await portal.page(t);
  const email = ANNA('lumio');
  await page.goto(portal.server.url('lumio', '/login/'));
  await settled(page);
  assert.equal(await page.locator('html').getAttribute('lang'), 'de');
  await assertVisible(emailStep(page), 'the e-mail step');
  assert.equal(await codeStep(page).isVisible(), false, 'the code step waits for a code');

  const code = await requestCode(page, portal.smtp, email);
  const mail = portal.smtp.messages.at(-1);
  assert.match(mail.subject, /Lumio/, 'the mail carries the organization');
  const input = page.locator('#login-code');
  assert.equal(await input.getAttribute('autocomplete'), 'one-time-code');
  assert.equal(await input.getAttribute('inputmode'), 'numeric');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'login-code', 'focus moves to the code field');
  assert.match(await page.locator('[data-login-sent]').innerText(), new RegExp(email.replace(/[.@]/g, '\\$&')));

  await input.fill(code);
  await Promise.all([page.waitForURL((url) => url.pathname === '/'), submitCode(page)]);
  await settled(page);
  await assertVisible(page.locator('button[data-sign-out]'), 'the sign-out button');
  const session = await page.evaluate(() => fetch('/api/session').then((r) => r.json()));
  assert.equal(session.customer.email, email);
  expectNoProblems(page);
});

test('a wrong code shows an error and stays on the code step', { timeout: TIMEOUT }, async (t) => {
  const page = await portal.page(t);
  await page.goto(portal.server.url('lumio', '/login/'));
  await settled(page);
  const code = await requestCode(page, portal.smtp, portal.customer('lumio', 'company'));
  const wrong = String((Number(code) + 500000) % 1000000).padStart(6, '0');
  await page.locator('#login-code').fill(wrong);
  await Promise.all([page.waitForResponse((r) => isVerify(r.request())), submitCode(page)]);

  const alert = codeStep(page).locator('[role="alert"]');
  await assertVisible(alert, 'the error');
  assert.notEqual((await alert.innerText()).trim(), '', 'the error says something');
  assert.equal(path(page), '/login/');
  await assertVisible(codeStep(page), 'the code step');
  assert.equal(await emailStep(page).isVisible(), false);
  assert.equal(await page.locator('#login-code').getAttribute('aria-invalid'), 'true');
  assert.equal(await sessionStatus(page), 401, 'not signed in');

  // The right code still works afterwards.
  await page.locator('#login-code').fill(code);
  await Promise.all([page.waitForURL((url) => url.pathname === '/'), submitCode(page)]);
  await settled(page);
  expectNoProblems(page);
});

test('resending shows a visible cooldown with the seconds left', { timeout: TIMEOUT }, async (t) => {
  const page = await portal.page(t);
  await page.goto(portal.server.url('lumio', '/login/'));
  await settled(page);
  await requestCode(page, portal.smtp, portal.customer('lumio', 'contract ended'));
  const resend = page.locator('[data-login-resend]');
  await assertVisible(resend, 'the resend button');
  assert.equal(await resend.isDisabled(), true, 'resend is disabled during the cooldown');
  const seconds = async () => Number(/(\d+)/.exec(await resend.innerText())?.[1]);
  const first = await seconds();
  assert.ok(first > 0 && first <= 60, `the button shows the seconds left: "${await resend.innerText()}"`);
  await page.waitForFunction((start) => {
    const n = Number(/(\d+)/.exec(document.querySelector('[data-login-resend]').innerText)?.[1]);
    return n > 0 && n < start;
  }, first, { timeout: 5000 });
  assert.equal(await resend.isDisabled(), true);
  await assertVisible(codeStep(page), 'the code step');
  expectNoProblems(page);
});

test('pasting "123 456" style text into the code field takes the six digits', { timeout: TIMEOUT }, async (t) => {
  const page = await portal.page(t);
  const origin = portal.server.url('lumio', '/').slice(0, -1);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  await page.goto(portal.server.url('lumio', '/login/'));
  await settled(page);
  const code = await requestCode(page, portal.smtp, portal.customer('lumio', 'contract terminated'));
  const spaced = `${code.slice(0, 3)} ${code.slice(3)}`;

  const verifying = page.waitForRequest(isVerify, { timeout: 3000 }).catch(() => null);
  await page.evaluate((text) => navigator.clipboard.writeText(text), spaced);
  await page.locator('#login-code').focus();
  await page.keyboard.press('ControlOrMeta+V');
  // The form may submit a complete pasted code by itself; else the field holds the digits.
  let request = await verifying;
  if (!request) {
    assert.equal(await page.locator('#login-code').inputValue(), code, `pasted "${spaced}"`);
    [request] = await Promise.all([page.waitForRequest(isVerify), submitCode(page)]);
  }
  assert.equal(request.postDataJSON().code, code, `pasted "${spaced}"`);
  await page.waitForURL((url) => url.pathname === '/');
  await settled(page);
  expectNoProblems(page);
});

test('a deep link signed out asks for sign-in and lands there afterwards', { timeout: TIMEOUT }, async (t) => {
  const page = await portal.page(t);
  const target = `/invoices/${annaInvoice}`;
  await page.goto(portal.server.url('lumio', target));
  await page.waitForURL((url) => url.pathname === '/login/');
  assert.equal(new URL(page.url()).searchParams.get('next'), target, page.url());
  await settled(page);

  const code = await requestCode(page, portal.smtp, ANNA('lumio'));
  await page.locator('#login-code').fill(code);
  await Promise.all([page.waitForURL((url) => url.pathname === target), submitCode(page)]);
  await settled(page);
  assert.equal(path(page), target);
  assert.equal(await sessionStatus(page), 200);
  expectNoProblems(page);
});

test('a magic link shows the confirm step and lands on its next page signed in', { timeout: TIMEOUT }, async (t) => {
  const page = await portal.page(t);
  const link = await portal.server.magicLink('lumio', anna.customer.id, '/tariff/');
  await page.goto(link);
  await settled(page);
  const magic = page.locator('form[data-login-step="magic"]');
  await assertVisible(magic, 'the confirm step');
  assert.equal(await emailStep(page).isVisible(), false);
  assert.equal(await codeStep(page).isVisible(), false);
  assert.equal(await sessionStatus(page), 401, 'opening the link alone signs nobody in');

  await Promise.all([
    page.waitForURL((url) => url.pathname === '/tariff/'),
    magic.locator('button[type="submit"]').click(),
  ]);
  await settled(page);
  assert.equal(await sessionStatus(page), 200);
  await assertVisible(page.locator('button[data-sign-out]'), 'the sign-out button');
  expectNoProblems(page);
});

test('an open redirect in next lands on the portal\'s dashboard', { timeout: TIMEOUT }, async (t) => {
  const home = portal.server.url('lumio', '/');

  // Sign-in by code with next=//evil.example and next=https://evil.example.
  const evilNext = [['//evil.example', portal.customer('lumio', 'new contract')], ['https://evil.example', ONE_CONTRACT('lumio')]];
  for (const [next, email] of evilNext) {
    const byCode = await portal.page(t);
    await signIn(byCode, portal.server, portal.smtp, 'lumio', email, { path: `/login/?next=${encodeURIComponent(next)}` });
    assert.equal(byCode.url(), home, `next=${next}`);
    expectNoProblems(byCode);
  }

  // A magic link whose next was changed to https://evil.example on the way.
  const byLink = await portal.page(t);
  const link = new URL(await portal.server.magicLink('lumio', anna.customer.id, '/tariff/'));
  link.searchParams.set('next', 'https://evil.example');
  await byLink.goto(link.href);
  await settled(byLink);
  await Promise.all([
    byLink.waitForURL((url) => !url.pathname.startsWith('/login')),
    byLink.locator('form[data-login-step="magic"] button[type="submit"]').click(),
  ]);
  await settled(byLink);
  // The next the server signed into the link wins; never another site.
  assert.equal(byLink.url(), portal.server.url('lumio', '/tariff/'));
  expectNoProblems(byLink);

  // The server itself turns an evil next into "/".
  const evil = await portal.page(t);
  await evil.goto(await portal.server.magicLink('lumio', anna.customer.id, 'https://evil.example'));
  await settled(evil);
  await Promise.all([
    evil.waitForURL((url) => !url.pathname.startsWith('/login')),
    evil.locator('form[data-login-step="magic"] button[type="submit"]').click(),
  ]);
  assert.equal(evil.url(), home);
  await settled(evil);
  expectNoProblems(evil);
});

test('signing out ends the session', { timeout: TIMEOUT }, async (t) => {
  const page = await portal.page(t);
  await signIn(page, portal.server, portal.smtp, 'nordwatt', ANNA('nordwatt'));
  assert.equal(await sessionStatus(page), 200);
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/login/'),
    page.locator('button[data-sign-out]').click(),
  ]);
  await settled(page);
  assert.equal(await sessionStatus(page), 401, 'the session is gone');
  assert.equal(await page.locator('button[data-sign-out]').isVisible(), false);
  await page.goto(portal.server.url('nordwatt', '/'));
  await page.waitForURL((url) => url.pathname === '/login/');
  await settled(page);
  await assertVisible(emailStep(page), 'the e-mail step');
  expectNoProblems(page);
});

test('the subscription switcher changes the selection and remembers it', { timeout: TIMEOUT }, async (t) => {
  const page = await portal.page(t);
  await signIn(page, portal.server, portal.smtp, 'lumio', ANNA('lumio'));
  const select = page.locator('header select#subscription-switch');
  await assertVisible(select, 'the switcher');
  const label = page.locator('label[for="subscription-switch"]');
  assert.notEqual((await label.innerText()).trim(), '', 'the switcher has a label');
  const options = await select.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, text: o.textContent.trim() })));
  assert.equal(options.length, 2, JSON.stringify(options));
  assert.ok(options.every((o) => /^sub_/.test(o.value) && o.text), JSON.stringify(options));
  const before = await select.inputValue();
  const other = options.find((o) => o.value !== before).value;

  await select.selectOption(other);
  await page.waitForFunction(() => document.querySelector('.view[data-view]')?.getAttribute('aria-busy') !== 'true');
  await settled(page);
  assert.equal(await page.locator('select#subscription-switch').inputValue(), other);

  await page.reload();
  await settled(page);
  assert.equal(await page.locator('select#subscription-switch').inputValue(), other, 'the choice survives a reload');
  expectNoProblems(page);
});

test('a customer with one subscription gets no switcher', { timeout: TIMEOUT }, async (t) => {
  const page = await portal.page(t);
  await signIn(page, portal.server, portal.smtp, 'lumio', ONE_CONTRACT('lumio'));
  await assertVisible(page.locator('button[data-sign-out]'), 'the sign-out button');
  assert.equal(await page.locator('select#subscription-switch').count(), 0);
  expectNoProblems(page);
});

async function assertVisible(locator, what) {
  try {
    await locator.waitFor({ state: 'visible', timeout: 5000 });
  } catch {
    assert.fail(`${what} is not visible (${locator})`);
  }
}
