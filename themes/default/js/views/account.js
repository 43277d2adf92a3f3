// Account. The data is session.js's cached customer and subscription objects (ctx): saves update
// them in place, so other views see the change too.
import { api } from '../api.js';
import { h, card, facts, failed, announce } from '../dom.js';
import { t, locale } from '../i18n.js';
import { date } from '../format.js';
import { subscriptions } from '../session.js';

export async function mount(el, { config, customer, subscription }) {
  const several = (await subscriptions().catch(() => [])).length > 1;
  const scope = () => several && h('p', { class: 'account__scope' }, t('account.for_contract', { number: subscription.number }));
  el.replaceChildren(h('div', { class: 'account' },
    card('account-details', t('account.details.title'), details(customer, config)),
    subscription
      ? [card('account-bank', t('account.bank.title'), scope(), bank(subscription, customer)),
        card('account-address', t('account.address.title'), scope(), addresses(subscription))]
      : h('p', { class: 'notice notice--info' }, t('account.no_contract'))));
}

const note = (...children) => h('p', { class: 'account__note' }, children);

function details(customer, config) {
  const company = customer.type === 'company';
  const name = (key, autocomplete) => ({ name: key, label: t(`account.details.${key}`), value: customer[key], autocomplete, max: 100 });
  return editable({
    change: t('account.details.change'),
    facts: () => [
      facts([
        [t('account.details.company'), customer.company_name],
        [t(`account.details.${company ? 'contact' : 'name'}`), `${customer.first_name} ${customer.last_name}`],
        [t('account.details.vat_id'), customer.vat_id],
        [t('account.details.email'), customer.email],
      ]),
      note(t(`account.details.${company && customer.vat_id ? 'email_vat_note' : 'email_note'}`), ' ',
        h('a', { href: `mailto:${config.support.email}` }, config.support.email), '.'),
    ],
    fields: () => [
      company && { ...name('company_name', 'organization'), label: t('account.details.company') },
      name('first_name', 'given-name'),
      name('last_name', 'family-name'),
    ],
    save: async (values) => Object.assign(customer, await api(`/customers/${customer.id}`, { method: 'PATCH', body: values })),
    saved: t('account.details.saved'),
  });
}

function bank(subscription, customer) {
  const sepa = () => subscription.payment_method.sepa_debit;
  const path = 'payment_method.sepa_debit.';
  return editable({
    change: t('account.bank.change'),
    submit: t('account.bank.submit'),
    facts: () => facts([
      [t('account.bank.method_label'), t('account.bank.method')],
      [t('account.bank.holder'), sepa().account_holder],
      [t('account.bank.iban'), maskedIban(sepa().iban)],
      [t('account.bank.since'), date(subscription.payment_method.created_at)],
    ]),
    fields: () => [
      { name: 'account_holder', path: `${path}account_holder`, label: t('account.bank.holder'), value: sepa().account_holder, autocomplete: 'name', max: 70 },
      {
        name: 'iban', path: `${path}iban`, label: t('account.bank.iban'), hint: t('account.bank.iban_hint'), class: 'account__iban',
        spellcheck: false, autocapitalize: 'characters', format: groupAsTyped,
        check: ibanProblem, invalid: t('account.bank.error.rejected'),
      },
      { name: 'mandate', type: 'checkbox', label: t('account.bank.mandate_label'), hint: t('account.bank.mandate_text'), invalid: t('account.bank.error.mandate') },
    ],
    save: async ({ iban, account_holder }, form) => {
      const change = () => api(`/subscriptions/${subscription.id}`, {
        method: 'PATCH',
        body: { payment_method: { type: 'sepa_debit', sepa_debit: { iban: compact(iban), account_holder } } },
      });
      const updated = await change().catch(async (err) => {
        if (err.code !== 'step_up_required') throw err;
        await stepUp(form, customer.email, iban);
        return change();
      });
      Object.assign(subscription, updated);
    },
    saved: t('account.bank.saved'),
  });
}

// As the API masks it; screen readers hear "ending in 2616", not stars.
function maskedIban(masked) {
  return h('span', null,
    h('span', { class: 'account__iban', 'aria-hidden': 'true' }, masked),
    h('span', { class: 'visually-hidden' }, t('account.bank.iban_ending', { last: masked.slice(-4) })));
}

const compact = (text) => text.toUpperCase().replace(/[^A-Z0-9]/g, '');
const groups = (text) => text.replace(/(.{4})(?=.)/g, '$1 ');

// Groups of four while typing or pasting, the caret kept after its character.
function groupAsTyped({ target: input }) {
  const before = compact(input.value.slice(0, input.selectionStart)).length;
  const value = groups(compact(input.value).slice(0, 34));
  if (value === input.value) return;
  input.value = value;
  const caret = before + Math.floor(Math.max(before - 1, 0) / 4); // clamped by the browser
  input.setSelectionRange(caret, caret);
}

// The SEPA countries (direct debits reach no others) and their IBAN lengths.
const IBAN_LENGTH = Object.fromEntries(('AD24 AT20 BE16 BG22 CH21 CY28 CZ24 DE22 DK18 EE20 ES24 FI18 FR27 GB22 '
  + 'GI23 GR27 HR21 HU28 IE22 IS26 IT27 LI21 LT20 LU20 LV21 MC27 MT31 NL18 NO15 PL28 PT25 RO24 SE24 SI19 SK24 SM27 VA22')
  .split(' ').map((entry) => [entry.slice(0, 2), Number(entry.slice(2))]));

// ISO 7064 mod 97-10: 1 when valid.
const mod97 = (iban) => [...iban.slice(4) + iban.slice(0, 4)]
  .reduce((rest, char) => { const n = parseInt(char, 36); return ((n > 9 ? rest * 100 : rest * 10) + n) % 97; }, 0);

// The API's checks, before anything is sent.
function ibanProblem(value) {
  const iban = compact(value);
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return t('account.bank.error.format');
  const length = IBAN_LENGTH[iban.slice(0, 2)];
  const country = new Intl.DisplayNames([locale()], { type: 'region' }).of(iban.slice(0, 2));
  if (!length) return t('account.bank.error.country', { country });
  if (iban.length !== length) return t('account.bank.error.length', { country, length, count: iban.length });
  return mod97(iban) === 1 ? null : t('account.bank.error.checksum');
}

const CANCELLED = Symbol('cancelled');

// Step-up: hides `form` (its values stay), signs in again with a code mailed to `email` (a
// recent sign-in), then resolves; "Cancel" rejects with CANCELLED.
function stepUp(form, email, iban) {
  const why = t('account.step_up.why', { email });
  const sent = h('div');
  // One code a minute: on opening, one from an earlier attempt is still valid; a resend shows "wait".
  const send = (again) => api('/auth/code', { method: 'POST', body: { email } }).then(
    () => again && sent.replaceChildren(h('p', { class: 'notice notice--info', role: 'status' }, t('login.code_resent', { email }))),
    (err) => (again || err.status !== 429 || err.retryAfter > 60) && failed(sent, err),
  );
  let panel;
  return new Promise((resolve, reject) => {
    panel = editForm({
      intro: [h('h3', null, t('account.step_up.title')), h('p', null, why),
        facts([[t('account.step_up.new_iban'), h('span', { class: 'account__iban' }, groups(compact(iban)))]]), sent],
      fields: () => [{
        name: 'code', label: t('account.step_up.code_label'), hint: t('account.step_up.code_hint'), class: 'field__input--code',
        inputMode: 'numeric', autocomplete: 'one-time-code', format: (e) => { e.target.value = e.target.value.replace(/\D/g, '').slice(0, 6); },
        pattern: /^\d{6}$/, invalid: t('login.error.code_format'), refused: t('login.error.code'),
      }],
      submit: t('account.step_up.submit'),
      more: h('button', { class: 'btn btn--link', type: 'button', on: { click: () => send(true) } }, t('login.resend')),
      save: ({ code }) => api('/auth/verify', { method: 'POST', body: { email, code } }).catch((err) => {
        throw err.status === 400 || err.status === 401 ? { errors: [{ field: 'code' }] } : err;
      }),
    }, () => reject(CANCELLED), resolve);
    panel.classList.add('account__step-up');
    form.hidden = true;
    form.after(panel);
    panel.querySelector('input').focus();
    announce(why);
    send(false);
  }).finally(() => {
    panel.remove();
    form.hidden = false;
  });
}

function addresses(subscription) {
  const supply = subscription.address;
  const billing = () => subscription.billing_address;
  const line = (name, extra) => ({ name, path: `billing_address.${name}`, label: t(`account.address.${name}`), value: billing()[name],
    invalid: t(`account.address.error.${name}`), ...extra });
  return h('div', { class: 'account__addresses' },
    h('div', null,
      h('h3', null, t('account.address.supply')),
      postal(supply),
      facts([[t('account.address.meter'), subscription.meter?.number]]),
      !subscription.end_at && note(t('account.address.move'), ' ', h('a', { href: '/tariff/' }, t('route.tariff.title')), '.')),
    h('div', null,
      h('h3', null, t('account.address.billing')),
      editable({
        change: t('account.address.change'),
        facts: () => [postal(billing()), billing().id === supply.id && note(t('account.address.same'))],
        fields: () => [
          line('street', { min: 2, max: 100, pattern: /\p{L}/u }),
          line('house_number', { max: 10, pattern: /^[A-Za-z0-9 /-]+$/ }),
          line('zip', { pattern: /^\d{5}$/, inputMode: 'numeric', autocomplete: 'postal-code' }),
          line('city', { min: 2, max: 100, pattern: /^\D+$/, autocomplete: 'address-level2' }),
        ],
        save: async (values) => Object.assign(subscription, await api(`/subscriptions/${subscription.id}`, { method: 'PATCH', body: { billing_address: values } })),
        saved: t('account.address.saved'),
      })));
}

const postal = (a) => h('p', { class: 'account__postal' }, `${a.street} ${a.house_number}`, h('br'), `${a.zip} ${a.city}`);

// spec.facts() and a spec.change button that swaps in the form, announcing spec.saved after it.
function editable(spec) {
  const box = h('div', { class: 'account__editable' });
  const show = (saved) => {
    const change = h('button', { class: 'btn btn--secondary', type: 'button', on: { click: edit } }, spec.change);
    box.replaceChildren(h('div', null, spec.facts()), saved ? h('p', { class: 'notice notice--info' }, saved) : '', change);
    return change;
  };
  const edit = () => {
    box.replaceChildren(editForm(spec, () => show().focus(), () => {
      show(spec.saved).focus();
      announce(spec.saved);
    }));
    box.querySelector('input').focus();
  };
  show();
  return box;
}

// spec.intro, spec.fields(), spec.submit, "Cancel", spec.more; submits to spec.save(values, form).
function editForm(spec, cancel, done) {
  const fields = spec.fields().filter(Boolean).map(field);
  const problems = h('div');
  const submit = h('button', { class: 'btn btn--primary', type: 'submit' }, spec.submit || t('account.save'));
  const form = h('form', { class: 'form account__form', noValidate: true },
    spec.intro, fields.map((f) => f.el), problems,
    h('div', { class: 'account__actions' }, submit,
      h('button', { class: 'btn btn--secondary', type: 'button', on: { click: cancel } }, t('account.cancel')), spec.more));

  const showApiErrors = (err) => {
    const wrong = fields.filter((f) => err.errors?.some((e) => e.field === f.path));
    if (!wrong.length) return failed(problems, err);
    // The checks above cover the API's lengths: what it still refuses is the format.
    for (const f of wrong) f.show(f.spec.refused || f.spec.invalid || t('account.error.format'));
    wrong[0].input.focus();
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    problems.replaceChildren();
    const wrong = fields.filter((f) => f.show(problem(f.spec, f.read())));
    if (wrong.length) return wrong[0].input.focus();
    form.setAttribute('aria-busy', 'true');
    submit.disabled = true;
    const error = await spec.save(Object.fromEntries(fields.map((f) => [f.spec.name, f.read()])), form).then(() => null, (err) => err);
    form.removeAttribute('aria-busy');
    submit.disabled = false;
    if (!error) done();
    else if (error === CANCELLED) submit.focus();
    else showApiErrors(error);
  });
  return form;
}

// spec: name, label, value, hint, type, path (API field), min, max, pattern/check + invalid,
// refused, format (input handler); the rest are input properties.
function field(spec) {
  const { name, label, value, hint, type = 'text', path = name, min, max, pattern, invalid, refused, check, format, class: cls, ...props } = spec;
  const id = `account-${name}`;
  const checkbox = type === 'checkbox';
  const hintEl = hint && h('p', { class: 'field__hint', id: `${id}-hint` }, hint);
  const error = h('p', { class: 'form__error', id: `${id}-error`, hidden: true });
  const input = h('input', { ...props, class: checkbox ? 'account__checkbox' : `field__input ${cls || ''}`, id, name, type,
    value: value ?? '', required: true, 'aria-describedby': [hintEl?.id, error.id].filter(Boolean).join(' ') });
  const labelEl = h('label', { class: 'field__label', for: id }, label);
  const f = {
    spec, input, path,
    el: h('div', { class: checkbox ? 'field account__check' : 'field' },
      checkbox ? [hintEl, h('div', { class: 'account__check-row' }, input, labelEl)] : [labelEl, hintEl, input], error),
    read: () => (checkbox ? input.checked : input.value.trim()),
    show(message) {
      error.textContent = message || '';
      error.hidden = !message;
      input.setAttribute('aria-invalid', String(Boolean(message)));
      return Boolean(message);
    },
  };
  if (format) input.addEventListener('input', format);
  // A shown error follows corrections. None on blur: it would move the button being clicked.
  input.addEventListener('input', () => {
    if (!error.hidden) f.show(problem(spec, f.read()));
  });
  return f;
}

function problem(spec, value) {
  if (spec.type === 'checkbox') return value ? null : spec.invalid;
  if (!value) return t('account.error.required');
  if (value.length < spec.min) return t('account.error.too_short', { min: spec.min });
  if (value.length > spec.max) return t('account.error.too_long', { max: spec.max });
  if (spec.pattern?.test(value) === false) return spec.invalid;
  return spec.check?.(value) || null;
}
