// Tariff & contract: prices, contract dates and state, cancellation and meter swap (form →
// confirmation → result). Each card loads on its own: one failing request spares the others.
import { api } from '../api.js';
import { h, fill, card, facts, load, failed, announce } from '../dom.js';
import { t } from '../i18n.js';
import { ct, money, percent, date, dateLong, time, berlinDay } from '../format.js';

const OPEN_ORDER = 'created,placed,check_submitted,check_reviewed,scheduled,installed';

// Calendar days are "2026-12-31"; noon UTC is the same day in Berlin.
const addDays = (day, n) => new Date(Date.parse(`${day}T12:00:00Z`) + n * 864e5).toISOString().slice(0, 10);
const showDay = (day, fmt = date) => fmt(`${day}T12:00:00Z`);
/** Supply ends at an exclusive Berlin midnight: the last day is the one before. */
const lastDay = (endAt) => berlinDay(new Date(Date.parse(endAt) - 1));
const today = () => berlinDay(new Date());
/** Withdrawal is possible up to 14 days after the day of signing up. */
const withdrawalUntil = (sub) => addDays(berlinDay(sub.created_at), 14);
const address = (a) => a && `${a.street} ${a.house_number}, ${a.zip} ${a.city}`;
const meterName = (m) => m && t(`tariff.contract.${m.type}`, { number: m.number });

/** active, pending, terminated, withdrawn (ends before supply starts) or ended. */
function stateOf(sub) {
  if (!sub.end_at) return sub.status;
  const end = Date.parse(sub.end_at);
  if (sub.status === 'ended' || end <= Date.now()) return 'ended';
  return end <= Date.parse(sub.start_at) ? 'withdrawn' : 'terminated';
}
const cancellable = (state) => state === 'active' || state === 'pending';

/** The card #tariff-<name>; its loader fills `body`. */
function section(name) {
  const body = h('div', { class: 'tariff-card__body' });
  return { body, el: card(`tariff-${name}`, t(`tariff.${name}.title`), body) };
}

/** [label, value] rows; CSS marks the last as the total. */
const priceTable = (caption, rows) => h('table', { class: 'table tariff-table' }, h('caption', null, caption),
  h('tbody', null, rows.map(([label, value]) => h('tr', null, h('th', { scope: 'row' }, label), h('td', null, value)))));

async function renderPrices(body, sub, signal) {
  const day = today();
  const price = await api(`/subscriptions/${sub.id}/prices`, { query: { start: day, end: day }, signal });
  const items = (price.items || []).filter((i) => i.amount !== null);
  if (!items.length) return fill(body, h('p', null, sub.status === 'pending' ? t('tariff.prices.pending', { date: dateLong(sub.start_at) }) : t('tariff.prices.inactive')));
  const i = Math.max(0, items.findLastIndex((item) => Date.parse(item.timestamp) <= Date.now()));
  const now = items[i];
  const part = (item, type) => item.components.find((c) => c.type === type)?.amount;
  // Dynamic: the energy component changes during the day.
  const dynamic = new Set(items.map((item) => part(item, 'electricity'))).size > 1;
  const amounts = items.map((item) => item.amount);
  fill(body,
    h('p', { class: 'tariff-price' }, h('span', { class: 'tariff-price__value' }, ct(now.amount)),
      h('span', { class: 'tariff-note' }, dynamic
        ? t('tariff.prices.now', { from: time(now.timestamp), to: time(items[i + 1]?.timestamp ?? Date.parse(now.timestamp) + 9e5) })
        : t('tariff.prices.fixed'))),
    dynamic && h('p', null, t('tariff.prices.today', {
      min: ct(Math.min(...amounts)), max: ct(Math.max(...amounts)), avg: ct(amounts.reduce((a, b) => a + b) / amounts.length),
    })),
    priceTable(t('tariff.prices.caption'), [
      ...['electricity', 'grid', 'levies'].filter((type) => part(now, type) != null).map((type) => [t(`tariff.prices.${type}`), ct(part(now, type))]),
      [t('tariff.prices.total'), ct(now.amount)],
    ]),
    h('p', { class: 'tariff-note' }, dynamic ? t('tariff.prices.dynamic', { reference: price.reference }) : t('tariff.prices.vat')),
    dynamic && h('p', null, h('a', { href: '/' }, t('tariff.prices.chart'))));
}

/** The API has no standing charge: it comes from the latest usage bill's monthly lines. */
async function renderBasePrice(body, sub, signal) {
  const query = { 'filter[subscription][eq]': sub.id, 'filter[type][eq]': 'usage', limit: 1 };
  const [latest] = (await api('/invoices', { query, signal })).items;
  const invoice = latest && await api(`/invoices/${latest.id}`, { signal });
  const vat = invoice?.vat_rate ?? 0;
  const rows = [['base_price', 'supplier'], ['grid_base', 'grid']].flatMap(([component, key]) => {
    const line = invoice?.lines.find((l) => l.component === component && l.unit === 'month');
    return line ? [[t(`tariff.base.${key}`), Math.round(line.unit_price * (100 + vat)) / 100]] : [];
  });
  if (!rows.length) return fill(body, h('p', null, t('tariff.base.none')));
  rows.push([t('tariff.base.total'), rows.reduce((sum, [, amount]) => sum + amount, 0)]);
  fill(body, priceTable(t('tariff.base.caption'), rows.map(([label, amount]) => [label, money(amount)])),
    h('p', { class: 'tariff-note' },
      t('tariff.base.source', { number: invoice.invoice_number, date: date(invoice.issued_at), vat: percent(vat / 100) }), ' ',
      h('a', { href: `/invoices/${invoice.id}` }, t('tariff.base.invoice'))));
}

function renderContract(body, sub) {
  const state = stateOf(sub);
  const until = withdrawalUntil(sub);
  const end = sub.termination;
  fill(body, facts([
    [t('tariff.contract.status'), h('span', { class: `tariff-status tariff-status--${state}` }, t(`tariff.contract.state.${state}`))],
    [t('tariff.contract.number'), sub.number],
    [t('tariff.contract.address'), address(sub.address)],
    [t('tariff.contract.meter'), meterName(sub.meter)],
    [t('tariff.contract.signed'), date(sub.created_at)],
    [t('tariff.contract.start'), sub.start_at && date(sub.start_at)],
    [t('tariff.contract.received'), end && `${date(end.terminated_at)} (${t(`tariff.reason.${end.reason}`)})`],
    [t('tariff.contract.last_day'), state !== 'withdrawn' && sub.end_at && showDay(lastDay(sub.end_at))],
    [t('tariff.contract.withdrawal_until'), cancellable(state) && until >= today() && showDay(until)],
  ]));
}

/** Shown instead of the cancellation form once the contract ends. */
function stateNotice(sub) {
  const state = stateOf(sub);
  const end = sub.termination;
  return h('p', { class: `notice notice--${state === 'ended' ? 'info' : 'warning'}` }, t(`tariff.cancel.state_${state}`, {
    date: sub.end_at && showDay(lastDay(sub.end_at), dateLong),
    received: end && date(end.terminated_at),
    reason: end && t(`tariff.reason.${end.reason}`),
  }));
}

// ---------- Form parts of both requests ----------

/** A labelled control; its hint and error line are linked by aria-describedby. */
function field(id, control) {
  Object.assign(control, { id, className: 'field__input' }).setAttribute('aria-describedby', `${id}-hint ${id}-error`);
  const label = h('label', { class: 'field__label', for: id });
  const hint = h('p', { class: 'field__hint', id: `${id}-hint` });
  const error = h('p', { class: 'form__error', id: `${id}-error`, hidden: true });
  return { el: h('div', { class: 'field' }, label, hint, control, error), control, label, hint, error };
}

/** Radio buttons [value, label, hint?] in a fieldset with an error line. */
function choices(key, options, chosen) {
  const name = `tariff-${key}`;
  const error = h('p', { class: 'form__error', id: `${name}-error`, hidden: true });
  const el = h('fieldset', { class: 'tariff-choices', 'aria-describedby': error.id },
    h('legend', { class: 'field__label' }, t(`tariff.${key}.legend`)),
    options.map(([value, label, hint]) => h('div', { class: 'tariff-choice' },
      h('input', { type: 'radio', name, value, id: `${name}-${value}`, checked: value === chosen, 'aria-describedby': hint && `${name}-${value}-hint` }),
      h('label', { for: `${name}-${value}` }, label),
      hint && h('p', { class: 'field__hint', id: `${name}-${value}-hint` }, hint))),
    error);
  return { el, error, value: () => el.querySelector(':checked').value };
}

/** Shows (without `text`: clears) the error of a field or group; `focus` moves there. */
function showError(target, text, focus) {
  Object.assign(target.error, { textContent: text || '', hidden: !text });
  target.control?.setAttribute('aria-invalid', String(Boolean(text)));
  if (focus) (target.control || target.el.querySelector(':checked')).focus();
  return true;
}

/**
 * Puts a refusal (409, 422, too long) next to its field in the reopened form; false for other
 * errors. For a date, the server's message names the possible one.
 */
function refused(err, reopen, args) {
  if (err.status !== 409 && err.status !== 422 && err.code !== 'too_big') return false;
  const fields = reopen();
  const text = err.code === 'invalid_termination_date' && err.errors[0]?.message;
  return showError(fields[err.field] || fields.reason, text || t(`tariff.error.${err.code}`, args), true);
}

const continueButton = () => h('div', { class: 'tariff-actions' }, h('button', { class: 'btn btn--primary', type: 'submit' }, t('tariff.cancel.next')));

/** What will happen, "Confirm" (runs `send`) and "Back" (to the form, focus on its reason). */
function confirmStep(body, { name, summary, notes, back, send, refuse }) {
  const heading = h('h3', { tabIndex: -1 }, t(`tariff.${name}.check_title`));
  const error = h('div');
  const submit = h('button', { class: 'btn btn--primary', type: 'button' }, t(`tariff.${name}.confirm`));
  submit.addEventListener('click', async () => {
    submit.disabled = true;
    error.replaceChildren();
    try {
      await send();
    } catch (err) {
      submit.disabled = false;
      if (!refuse(err)) failed(error, err);
    }
  });
  fill(body, heading, facts(summary), notes.map((n) => n && h('p', null, n)), error,
    h('div', { class: 'tariff-actions' }, submit, h('button', { class: 'btn btn--secondary', type: 'button', on: { click: () => back().reason.el.querySelector(':checked').focus() } }, t('tariff.cancel.back'))));
  heading.focus();
}

/** The result: its heading takes the focus; also announced. */
function done(body, name, text, more) {
  const title = t(`tariff.${name}.done_title`);
  const heading = h('h3', { tabIndex: -1 }, title);
  fill(body, h('div', { class: 'notice notice--info' }, h('div', null, heading, h('p', null, text), more)));
  heading.focus();
  announce(`${title}. ${text}`);
}

// ---------- Cancellation ----------

/** The form filled from `draft`; returns its fields by API name. */
function cancelForm(body, sub, draft, onDone) {
  const until = withdrawalUntil(sub);
  const open = until >= today();
  const reason = choices('cancel', ['ORDINARY', 'MOVE_OUT', open && 'WITHDRAWAL'].filter(Boolean)
    .map((r) => [r, t(`tariff.reason.${r}`), t(`tariff.cancel.hint.${r}`, { date: showDay(until) })]), draft.reason);
  const day = field('tariff-end', h('input', { type: 'date', min: addDays(today(), 1), value: draft.day || '' }));
  const moving = h('p', { class: 'tariff-note' }, t('tariff.cancel.move_address'), ' ', h('a', { href: '/account/' }, t('tariff.cancel.move_address_link')), '.');
  const form = h('form', { class: 'form', noValidate: true }, h('p', null, t('tariff.cancel.intro')), reason.el,
    !open && h('p', { class: 'tariff-note' }, t('tariff.cancel.withdrawal_over', { date: showDay(until) })),
    day.el, moving, continueButton());
  // The date follows the reason: optional (ORDINARY), required (MOVE_OUT) or none (WITHDRAWAL).
  const sync = () => {
    const r = reason.value();
    showError(day);
    showError(reason);
    day.el.hidden = r === 'WITHDRAWAL';
    moving.hidden = r !== 'MOVE_OUT';
    if (day.el.hidden) return;
    day.label.textContent = t(`tariff.cancel.date.${r}`);
    day.hint.textContent = t(`tariff.cancel.date_hint.${r}`);
  };
  reason.el.addEventListener('change', sync);
  sync();

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    sync();
    Object.assign(draft, { reason: reason.value(), day: day.control.value });
    const withdrawal = draft.reason === 'WITHDRAWAL';
    const chosen = !withdrawal && draft.day;
    if (draft.reason === 'MOVE_OUT' && !chosen) return showError(day, t('tariff.error.date_required'), true);
    if (!withdrawal && day.control.validity.badInput) return showError(day, t('tariff.error.date_invalid'), true);
    if (chosen && draft.day <= today()) return showError(day, t('tariff.error.date_past'), true);
    const end = chosen && addDays(draft.day, 1);
    const pending = sub.status === 'pending';
    const reopen = () => cancelForm(body, sub, draft, onDone);
    confirmStep(body, {
      name: 'cancel',
      summary: [
        [t('tariff.cancel.contract'), `${sub.number} · ${address(sub.address)}`],
        [t('tariff.cancel.type'), t(`tariff.reason.${draft.reason}`)],
        !withdrawal && [t('tariff.contract.last_day'), chosen ? showDay(draft.day, dateLong) : t('tariff.cancel.earliest')],
      ],
      notes: [
        withdrawal ? t(`tariff.cancel.withdrawal_${pending ? 'pending' : 'active'}`) : end ? t('tariff.cancel.from_day', { date: showDay(end) }) : t('tariff.cancel.exact_later'),
        t('tariff.cancel.binding'),
      ],
      back: reopen,
      refuse: (err) => refused(err, reopen, { date: showDay(until) }),
      send: async () => {
        const answer = await api(`/subscriptions/${sub.id}/terminate`, { method: 'POST', body: { reason: draft.reason, ...(end && { intended_end_at: end }) } });
        done(body, 'cancel', pending && withdrawal
          ? t('tariff.cancel.done_withdrawn')
          : t('tariff.cancel.done', { date: showDay(lastDay(answer.intended_end_at), dateLong) }));
        onDone();
      },
    });
  });
  fill(body, form);
  return { reason, intended_end_at: day };
}

// ---------- Meter swap ----------

/** The form filled from `draft`; returns its fields by API name. */
function swapForm(body, sub, draft) {
  // An upgrade brings a smart meter: only for analog meters.
  const reason = choices('swap', ['upgrade', 'defective', 'other'].filter((r) => r !== 'upgrade' || sub.meter?.type === 'analog')
    .map((r) => [r, t(`tariff.swap.reason.${r}`)]), draft.reason || (sub.meter?.type === 'analog' ? 'upgrade' : 'defective'));
  const message = field('tariff-message', h('textarea', { rows: 3, maxLength: 500, value: draft.message || '' }));
  message.label.textContent = t('tariff.swap.message');
  message.hint.textContent = t('tariff.swap.message_hint');
  const form = h('form', { class: 'form', noValidate: true }, h('p', null, t('tariff.swap.intro')), reason.el, message.el, continueButton());

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    showError(reason);
    Object.assign(draft, { reason: reason.value(), message: message.control.value.trim() });
    if (draft.reason === 'other' && !draft.message) return showError(message, t('tariff.error.message_required'), true);
    showError(message);
    const reopen = () => swapForm(body, sub, draft);
    confirmStep(body, {
      name: 'swap',
      summary: [
        [t('tariff.swap.meter'), meterName(sub.meter)],
        [t('tariff.contract.address'), address(sub.address)],
        [t('tariff.swap.legend'), t(`tariff.swap.reason.${draft.reason}`)],
        [t('tariff.swap.message'), draft.message],
      ],
      notes: [t('tariff.swap.consequence')],
      back: reopen,
      refuse: (err) => refused(err, reopen),
      send: async () => {
        const order = await api(`/subscriptions/${sub.id}/meter-swap`, { method: 'POST', body: { reason: draft.reason, ...(draft.message && { message: draft.message }) } });
        done(body, 'swap', t('tariff.swap.done', { date: date(order.created_at) }), h('p', null, h('a', { href: '/orders/' }, t('tariff.swap.follow'))));
      },
    });
  });
  fill(body, form);
  return { reason, message };
}

/** The swap form, or the open meter order: one at a time per contract. */
async function renderSwap(body, sub, signal) {
  const query = { 'filter[subscription][eq]': sub.id, 'filter[status][in]': OPEN_ORDER, limit: 1 };
  const [open] = (await api('/meter-orders', { query, signal })).items;
  if (!open) return swapForm(body, sub, {});
  fill(body, h('p', null, t('tariff.swap.open', { status: t(`orders.status.${open.status}`) }), ' ', h('a', { href: '/orders/' }, t('tariff.swap.follow'))));
}

export async function mount(el, { subscription: chosen, signal }) {
  if (!chosen) return void fill(el, h('p', { class: 'notice' }, t('tariff.none')));
  const [prices, base, contract, cancel, swap] = ['prices', 'base', 'contract', 'cancel', 'swap'].map(section);
  cancel.el.hidden = swap.el.hidden = true;
  // The contract is read afresh, not from the session's cache: a cancellation changes it.
  const fresh = () => api(`/subscriptions/${chosen.id}`, { signal });
  const reloadContract = () => load(contract.body, async () => renderContract(contract.body, await fresh()));
  await Promise.all([
    load(prices.body, () => renderPrices(prices.body, chosen, signal)),
    load(base.body, () => renderBasePrice(base.body, chosen, signal)),
    load(contract.body, async () => {
      const sub = await fresh();
      const state = stateOf(sub);
      renderContract(contract.body, sub);
      if (cancellable(state)) cancelForm(cancel.body, sub, { reason: 'ORDINARY' }, reloadContract);
      else fill(cancel.body, stateNotice(sub));
      cancel.el.hidden = false;
      swap.el.hidden = state === 'ended';
      if (!swap.el.hidden) await load(swap.body, () => renderSwap(swap.body, sub, signal));
    }),
  ]);
  // Shown once every card has its content (or error), so no card pushes another down.
  fill(el, h('div', { class: 'tariff' }, h('div', { class: 'tariff__column' }, prices.el, base.el), contract.el, cancel.el, swap.el));
}
