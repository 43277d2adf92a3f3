// Invoices: the chosen contract's list (filters in the URL query, "load more" over the cursor)
// and one invoice at /invoices/<id>, the same page.
import { h, card, facts, busy, failed } from '../dom.js';
import { api, apiUrl } from '../api.js';
import { t, locale } from '../i18n.js';
import { money, kwh, ct, number, percent, date, monthYear, berlinDay } from '../format.js';

const STATUSES = ['open', 'paid', 'voided', 'uncollectible'];
let listQuery = ''; // "all invoices" on a detail returns to the same filters

export function mount(el, ctx) {
  const id = ctx.path.split('/')[2]; // still percent-encoded
  return id ? showInvoice(el, id, ctx) : showList(el, ctx);
}

// A line type the API adds later has no string yet.
const label = (key, fallback, args) => (t(key) === key ? fallback : t(key, args));

const plural = (key, count, shown = number(count)) =>
  t(`${key}.${new Intl.PluralRules(locale()).select(count) === 'one' ? 'one' : 'other'}`, { count: shown });

// t(key) with {placeholders} filled by nodes: a link inside a sentence.
const sentence = (key, nodes) => t(key).split(/\{(\w+)\}/).map((part, i) => (i % 2 ? nodes[part] ?? '' : part));

const yearOf = (iso) => Number(berlinDay(iso).slice(0, 4));
const lastDay = (inv) => new Date(Date.parse(inv.period_end) - 1); // period_end is exclusive
const monthOf = (iso) => berlinDay(iso).slice(0, 7);

function period(inv, exact) {
  const whole = !exact && berlinDay(inv.period_start).endsWith('-01') && berlinDay(inv.period_end).endsWith('-01');
  const [from, to] = [inv.period_start, lastDay(inv)].map(whole ? monthYear : date);
  return from === to ? from : `${from} – ${to}`;
}

function kind(inv) {
  if (inv.type !== 'usage') return inv.type;
  if (inv.total < 0) return 'credit';
  return monthOf(inv.period_start) === monthOf(lastDay(inv)) ? 'usage' : 'settlement';
}

const title = (inv) => `${t(`invoices.kind.${kind(inv)}`)} ${period(inv)}`;

function state(inv) {
  if (inv.status === 'open' && inv.due_at && Date.parse(inv.due_at) < Date.now()) return 'overdue';
  if (inv.status === 'paid' && inv.total < 0) return 'refunded';
  return inv.status;
}

const chip = (s) => h('span', { class: `invoices-chip invoices-chip--${s}` }, t(`invoices.state.${s}`));
const unpaid = (s) => ['open', 'overdue', 'uncollectible'].includes(s);

function relation(inv, prefix) {
  const ref = inv.voided_by || inv.voids_invoice;
  if (!ref) return null;
  const key = `${prefix}.${inv.voided_by ? 'voided_by' : 'voids'}`;
  return h('p', { class: 'invoices-relation' }, sentence(key, {
    number: h('a', { href: `/invoices/${ref.id}` }, ref.invoice_number),
    date: ref.issued_at ? date(ref.issued_at) : '',
  }));
}

function yearsOf(sub) {
  const now = yearOf(new Date());
  const first = sub ? yearOf(sub.start_at) : now;
  const last = sub?.end_at ? Math.min(now, yearOf(new Date(Date.parse(sub.end_at) - 1))) : now;
  const years = [];
  for (let y = Math.max(first, last); y >= first; y--) years.push(y);
  return years;
}

function readFilters(years) {
  const query = new URLSearchParams(location.search);
  const year = Number(query.get('year'));
  const status = query.get('status');
  return {
    year: years.includes(year) ? String(year) : '',
    status: STATUSES.includes(status) ? status : '',
    q: (query.get('q') || '').slice(0, 64),
  };
}

function writeFilters(filters) {
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
  listQuery = query && `?${query}`;
  history.replaceState(history.state, '', location.pathname + listQuery);
}

// A year matches the invoice's `year`: the last month of its period.
const apiQuery = ({ year, status, q }, sub) => ({
  limit: 10,
  'filter[subscription][eq]': sub?.id,
  'filter[status][eq]': status,
  'filter[period_end][gt]': year && `${year}-01-01`,
  'filter[period_end][lte]': year && `${Number(year) + 1}-01-01`,
  search: q,
});

function choice(name, options, value) {
  const id = `invoices-${name}`;
  return h('div', { class: 'field' },
    h('label', { class: 'field__label', for: id }, t(`invoices.filter.${name}`)),
    h('select', { class: 'field__input', id, name },
      h('option', { value: '' }, t(`invoices.filter.all_${name}`)),
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

function filterForm(filters, years) {
  return h('form', { class: 'invoices-filter', role: 'search', 'aria-label': t('invoices.filter.label') },
    choice('year', years.map((y) => [String(y), String(y)]), filters.year),
    choice('status', STATUSES.map((s) => [s, t(`invoices.status.${s}`)]), filters.status),
    h('div', { class: 'field invoices-filter__search' },
      h('label', { class: 'field__label', for: 'invoices-q' }, t('invoices.filter.search')),
      h('div', { class: 'invoices-filter__row' },
        h('input', { class: 'field__input', id: 'invoices-q', name: 'q', type: 'search', value: filters.q, maxLength: 64, autocomplete: 'off' }),
        h('button', { class: 'btn btn--primary', type: 'submit' }, t('invoices.filter.submit')))));
}

function row(inv) {
  const s = state(inv);
  const facts = [
    t('invoices.number', { number: inv.invoice_number }),
    inv.issued_at && t('invoices.issued_on', { date: date(inv.issued_at) }),
    unpaid(s) && inv.due_at && t('invoices.due_on', { date: date(inv.due_at) }),
  ];
  return h('li', { class: `invoices-row invoices-row--${s}` },
    h('a', { href: `/invoices/${inv.id}` }, title(inv)),
    h('b', null, money(inv.total)),
    h('p', null, chip(s), ' ', facts.filter(Boolean).join(' · ')),
    relation(inv, 'invoices'));
}

async function showList(el, ctx) {
  const sub = ctx.subscription;
  const years = yearsOf(sub);
  const address = sub?.address && `${sub.address.street} ${sub.address.house_number}, ${sub.address.zip} ${sub.address.city}`;
  const form = filterForm(readFilters(years), years);
  const filters = () => Object.fromEntries(new FormData(form));
  // A live region: screen readers hear "20 invoices shown" or "no match".
  const count = h('p', { class: 'invoices-count', role: 'status' });
  const results = h('div');
  const list = h('ul', { class: 'invoices-list' });
  const more = h('button', { class: 'btn btn--secondary', type: 'button', hidden: true, on: { click: () => load(true) } }, t('invoices.more'));
  const moreError = h('div');
  const reset = h('button', { class: 'btn btn--secondary', type: 'button', on: { click: () => { form.reset(); apply(); form.elements.year.focus(); } } }, t('invoices.filter.reset'));
  let applied = filters();
  let cursor = null;
  let run = 0;
  listQuery = location.search;

  // The first page, or with `next` the following one; an answer overtaken by a newer load is dropped.
  async function load(next) {
    if (next && more.ariaBusy) return;
    const mine = next ? run : ++run;
    if (next) more.ariaBusy = 'true';
    else {
      cursor = null;
      count.textContent = '';
      more.hidden = true;
      busy(results);
    }
    moreError.replaceChildren();
    try {
      const page = await api('/invoices', { query: { ...apiQuery(applied, sub), cursor }, signal: ctx.signal });
      if (mine !== run) return;
      const rows = page.items.map(row);
      if (!next) list.replaceChildren();
      list.append(...rows);
      cursor = page.next_page;
      more.hidden = !page.has_more;
      const filtered = Object.values(applied).some(Boolean);
      count.textContent = list.children.length ? plural('invoices.count', list.children.length) : t(filtered ? 'invoices.empty_filtered' : 'invoices.empty');
      // After "load more" the button may be gone: reading goes on at the first new invoice.
      if (next) rows[0]?.querySelector('a').focus();
      else results.replaceChildren(rows.length ? list : (filtered && reset) || '');
    } catch (err) {
      if (mine === run) failed(next ? moreError : results, err, () => load(next));
    } finally {
      more.ariaBusy = null;
    }
  }
  function apply() {
    applied = filters();
    writeFilters(applied);
    load();
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
  form.addEventListener('change', (e) => e.target.tagName === 'SELECT' && apply());

  el.replaceChildren(card('invoices', sub ? t('invoices.heading', { number: sub.number }) : t('invoices.heading_all'),
    address && h('p', { class: 'invoices__contract' }, address),
    form, count, results, more, moreError));
  await load();
}

async function showInvoice(el, id, ctx) {
  busy(el);
  let inv;
  try {
    inv = await api(`/invoices/${id}`, { signal: ctx.signal });
  } catch (err) {
    if (err.status === 404 || err.status === 400) return notFound(el);
    return failed(el, err, () => showInvoice(el, id, ctx));
  }
  document.title = `${title(inv)} – ${ctx.config.plan.name}`;
  el.replaceChildren(...[backLink(), head(inv, ctx.config), usage(inv), costs(inv), payments(inv)].filter(Boolean));
}

const backLink = () => h('a', { class: 'invoice-back', href: `/invoices/${listQuery}` },
  h('span', { 'aria-hidden': 'true' }, '←'), t('invoices.back'));

const notFound = (el) => el.replaceChildren(card('invoice-missing', t('invoices.missing.title'),
  h('p', null, t('invoices.missing.text')), backLink()));

function head(inv, config) {
  const s = state(inv);
  return card('invoice', title(inv),
    h('p', { class: 'invoice-head__meta' }, chip(s), ' ', t('invoices.number', { number: inv.invoice_number })),
    (inv.voided_by || inv.voids_invoice) && h('div', { class: `notice notice--${inv.voided_by ? 'warning' : 'info'}` },
      relation(inv, 'invoices.detail')),
    unpaid(s) && paymentAlert(inv, s, config),
    facts([
      [t('invoices.fact.total'), money(inv.total)],
      [t('invoices.fact.period'), period(inv, true)],
      [t('invoices.fact.issued'), inv.issued_at && date(inv.issued_at)],
      [t('invoices.fact.due'), unpaid(s) && inv.due_at && date(inv.due_at)],
      [t(s === 'refunded' ? 'invoices.fact.refunded' : 'invoices.fact.paid'), inv.paid_at && date(inv.paid_at)],
    ], 'tiles'),
    inv.type === 'prepayment' && h('p', { class: 'invoice-note' }, t('invoices.prepayment_note')),
    h('a', { class: 'btn btn--primary', href: apiUrl(`/invoices/${inv.id}/file`), download: '' }, t('invoices.pdf')));
}

function paymentAlert(inv, s, config) {
  const failure = inv.payments.filter((p) => p.status === 'failed').at(-1);
  if (!failure && s === 'open') return null;
  const key = `invoices.alert.${failure ? 'failed' : 'overdue'}`;
  const { phone, email } = config.support || {};
  return h('div', { class: `notice invoice-alert notice--${failure ? 'error' : 'warning'}` }, h('div', null,
    h('h3', null, t(`${key}.title`)),
    h('p', null, t(`${key}.text`, failure
      ? { amount: money(failure.amount), date: date(failure.attempted_at), reason: reason(failure) }
      : { date: date(inv.due_at) })),
    h('ul', { class: 'invoice-alert__actions' },
      h('li', null, h('a', { href: '/account/' }, t('invoices.alert.bank'))),
      phone && h('li', null, h('a', { href: `tel:${phone.replace(/[^+\d]/g, '')}` }, phone)),
      email && h('li', null, h('a', { href: `mailto:${email}` }, email)))));
}

const reason = (payment) => label(`invoices.reason.${payment.failure_code}`, t('invoices.reason.unspecified'));

function table(className, caption, columns, ...parts) {
  return h('table', { class: `table invoice-table ${className}` },
    h('caption', null, caption),
    h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, t(c))))),
    ...parts);
}

function usage(inv) {
  const c = inv.consumption;
  if (inv.type !== 'usage' || !c) return null;
  const days = Math.max(1, Math.round((Date.parse(c.end) - Date.parse(c.start)) / 864e5));
  const billed = c.billed_usage !== null && kwh(c.billed_usage);
  const differs = billed !== kwh(c.usage) && billed;
  return card('invoice-usage', t('invoices.usage.heading'),
    facts([
      [t('invoices.usage.metered'), `${kwh(c.usage)}${c.type === 'preliminary' ? ` (${t('invoices.usage.preliminary')})` : ''}`],
      [t('invoices.usage.billed'), differs],
      [t('invoices.usage.per_day'), kwh(c.usage / days)],
    ], 'tiles'),
    differs && h('p', { class: 'invoice-note' }, t('invoices.usage.differs')));
}

function calculation(line) {
  if (line.unit === 'kWh') return `${kwh(line.quantity)} × ${ct(line.unit_price * 100, 3)}`;
  const quantity = number(line.quantity, Number.isInteger(line.quantity) ? 0 : 2);
  if (line.unit === 'month') return `${plural('invoices.months', line.quantity, quantity)} × ${money(line.unit_price)}`;
  return line.quantity === 1 ? '' : `${quantity} × ${money(line.unit_price)}`;
}

function costs(inv) {
  const groups = {};
  for (const line of inv.lines) (groups[line.price_component || 'other'] ||= []).push(line);
  const grouped = Object.keys(groups).length > 1;
  const voided = inv.voids_invoice?.invoice_number || '';
  const bodies = Object.entries(groups).map(([group, lines]) => h('tbody', null,
    grouped && h('tr', { class: 'invoice-lines__group' }, h('th', { scope: 'rowgroup', colSpan: 2 }, t(`invoices.group.${group}`))),
    lines.map((line) => h('tr', null,
      h('th', { scope: 'row' }, label(`invoices.line.${line.component}`, line.component.replaceAll('_', ' '), { number: voided }),
        h('span', { class: 'invoice-lines__calc' }, calculation(line))),
      h('td', null, money(line.amount))))));
  const total = (key, value, args) => h('tr', null, h('th', { scope: 'row' }, t(key, args)), h('td', null, money(value)));
  return card('invoice-costs', t('invoices.lines.heading'),
    table('invoice-lines', t('invoices.lines.caption'), ['invoices.lines.item', 'invoices.lines.amount'],
      bodies,
      h('tfoot', null,
        total('invoices.lines.net', inv.net),
        total('invoices.lines.vat', inv.vat, { rate: percent(inv.vat_rate / 100) }),
        total('invoices.lines.total', inv.total))));
}

function payments(inv) {
  const rows = inv.payments.map((p) => h('tr', { class: p.status === 'failed' ? 'is-failed' : null },
    h('th', { scope: 'row' }, date(p.attempted_at)),
    h('td', null, label(`invoices.payment.${p.status}`, p.status),
      p.failure_code && ` – ${reason(p)}`),
    h('td', null, money(p.amount))));
  return card('invoice-payments', t('invoices.payments.heading'), rows.length
    ? table('invoice-payments', t('invoices.payments.caption'), ['invoices.payments.date', 'invoices.payments.status', 'invoices.payments.amount'], h('tbody', null, rows))
    : h('p', null, t('invoices.payments.none')));
}
