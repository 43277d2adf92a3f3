// The start page, from one call (GET /subscriptions/{id}/dashboard): the price now with today's
// prices as a chart and the cheapest window (tomorrow's once published), then consumption,
// contract, next bill, latest invoice and an open smart-meter order, as cards in a grid.
import { api } from '../api.js';
import { h, card, facts, load } from '../dom.js';
import { t } from '../i18n.js';
import { chart, timeSlot } from './chart.js';
import { ct, kwh, money, date, dateLong, dateTime, monthYear, time, percent } from '../format.js';

const MINUTE = 60_000;
/** The last day of a period whose end is exclusive (midnight after it). */
const lastDay = (end) => date(Date.parse(end) - 1);
const span = (start, end) => `${date(start)} – ${lastDay(end)}`;

const more = (href, text) => h('p', { class: 'dashboard__more' }, h('a', { href }, text));

/** "7 % below the day's average (30.89 ct/kWh)", or "about average" within 2 %. */
function versusAverage(price, average) {
  const change = (price - average) / average;
  if (Math.abs(change) < 0.02) return t('dashboard.prices.about_average', { average: ct(average) });
  return t(change < 0 ? 'dashboard.prices.below_average' : 'dashboard.prices.above_average', { percent: percent(Math.abs(change)), average: ct(average) });
}

const average = (items) => {
  const known = items.filter((i) => i.amount !== null);
  return known.reduce((sum, i) => sum + i.amount, 0) / known.length;
};

/** Index of the slot holding `now`, or -1. */
const slotAt = (items, slotMs, now) => items.findIndex((i) => now >= Date.parse(i.timestamp) && now < Date.parse(i.timestamp) + slotMs);

function dayChart(day, slotMs, current) {
  const window = day.cheapest_window;
  const inWindow = (ms) => window && ms >= Date.parse(window.start) && ms < Date.parse(window.end);
  const points = day.items.map((item) => {
    const start = Date.parse(item.timestamp);
    return { ...timeSlot(start, slotMs / MINUTE), price: item.amount, cheap: inWindow(start) };
  });
  return chart(points, {
    title: t('dashboard.prices.chart', { day: dateLong(day.items[0].timestamp) }),
    column: t('dashboard.prices.time'),
    cheapLabel: t('dashboard.window.legend'),
    now: current,
  });
}

function cheapestWindow(day, which) {
  const window = day.cheapest_window;
  if (!window) return h('p', { class: 'dashboard__window' }, t(`dashboard.window.none_${which}`));
  const hours = window.duration_minutes / 60;
  return h('div', { class: 'dashboard__window' },
    h('h3', null, t(`dashboard.window.title_${which}`, { hours })),
    h('p', { class: 'dashboard__window-time' }, `${time(window.start)}–${time(window.end)}`),
    h('p', null, t('dashboard.window.average', { price: ct(window.average_amount), comparison: versusAverage(window.average_amount, window.day_average_amount) })),
    h('p', { class: 'dashboard__hint' }, t('dashboard.window.tip')));
}

function priceNow(today, slotMs, current) {
  const item = today.items[current];
  if (item?.amount == null) return null;
  const start = Date.parse(item.timestamp);
  return h('p', { class: 'dashboard__now' },
    h('span', null, t('dashboard.prices.now', { from: time(start), to: time(start + slotMs) })),
    h('strong', { class: 'dashboard__now-price' }, ct(item.amount)),
    h('span', null, versusAverage(item.amount, today.cheapest_window?.day_average_amount ?? average(today.items))));
}

function pricesCard({ today, tomorrow, resolution }, now) {
  const slotMs = (resolution === '15min' ? 15 : 60) * MINUTE;
  const days = { today, tomorrow };
  const current = slotAt(today.items, slotMs, now);
  const shown = h('div', { class: 'dashboard__day' });
  const show = (which) => {
    shown.replaceChildren(dayChart(days[which], slotMs, which === 'today' ? current : -1), cheapestWindow(days[which], which));
    for (const b of switcher?.querySelectorAll('button') || []) b.setAttribute('aria-pressed', String(b.value === which));
  };
  // Tomorrow can be "published" without a known price yet (the market data is late).
  const switcher = tomorrow.published && tomorrow.items?.some((i) => i.amount !== null)
    ? h('div', { class: 'dashboard__days', role: 'group', 'aria-label': t('dashboard.prices.day') },
      ['today', 'tomorrow'].map((which) => h('button', { class: 'btn btn--secondary', type: 'button', value: which, on: { click: () => show(which) } },
        t(`dashboard.prices.${which}`))))
    : h('p', { class: 'dashboard__hint' }, t('dashboard.prices.tomorrow_at', { time: time(tomorrow.published_at) }));
  show('today');
  return card('dashboard-prices', t('dashboard.prices.title'), priceNow(today, slotMs, current), switcher, shown);
}

function consumptionCard(usage, contract) {
  const title = t('dashboard.usage.title');
  if (contract.status === 'pending') return card('dashboard-usage', title, h('p', null, t('dashboard.usage.pending', { date: date(contract.start_at) })));
  const link = more('/consumption/', t('dashboard.usage.more'));
  if (contract.status === 'ended') return card('dashboard-usage', title, h('p', null, t('dashboard.usage.ended')), link);
  if (usage.meter_type === 'analog') {
    const month = usage.latest_month;
    return card('dashboard-usage', title,
      h('p', null, t('dashboard.usage.analog')),
      month && facts([[monthYear(month.start),
        `${kwh(month.usage)}${month.type === 'preliminary' ? ` (${t('dashboard.usage.preliminary')})` : ''}`]], 'lines'),
      more('/consumption/#reading', t('dashboard.usage.report')));
  }
  const change = usage.change_percent;
  return card('dashboard-usage', title,
    facts([
      [usage.measured_until ? t('dashboard.usage.today_until', { time: time(usage.measured_until) }) : t('dashboard.usage.today'), usage.today && kwh(usage.today.usage)],
      [t('dashboard.usage.this_month'), usage.this_month && kwh(usage.this_month.usage)],
    ], 'lines'),
    change !== null && usage.last_month_same_period && h('p', null, t(change > 0 ? 'dashboard.usage.more_than' : 'dashboard.usage.less_than', {
      percent: percent(Math.abs(change) / 100),
      last: kwh(usage.last_month_same_period.usage),
    })),
    link);
}

function contractStatus(contract) {
  const reason = contract.termination_reason && t(`dashboard.contract.reason.${contract.termination_reason}`);
  if (contract.status === 'ended') return ['ended', t('dashboard.contract.ended', { date: lastDay(contract.end_at) }), reason];
  if (contract.status === 'pending') return ['pending', t('dashboard.contract.pending', { date: date(contract.start_at) }), reason];
  if (contract.end_at) return ['ending', t('dashboard.contract.ending', { date: lastDay(contract.end_at) }), reason];
  return ['active', t('dashboard.contract.active', { date: date(contract.start_at) })];
}

function contractCard(contract, subscription) {
  const [kind, status, reason] = contractStatus(contract);
  const address = subscription.address;
  return card('dashboard-contract', t('dashboard.contract.title'),
    h('p', { class: `dashboard__status dashboard__status--${kind}` }, status),
    reason && h('p', null, t('dashboard.contract.reason_label', { reason })),
    facts([
      [t('dashboard.contract.number'), subscription.number],
      [t('dashboard.contract.address'), address && `${address.street} ${address.house_number}, ${address.zip} ${address.city}`],
      [t('dashboard.contract.meter'), [t(`dashboard.contract.meter_${contract.meter_type}`), subscription.meter?.number].filter(Boolean).join(' · ')],
    ], 'lines'),
    more('/tariff/', t('dashboard.contract.more')));
}

function billCard(bill, contract) {
  if (!bill) {
    return card('dashboard-bill', t('dashboard.bill.title'), h('p', null, t(contract.status === 'pending' ? 'dashboard.bill.pending' : 'dashboard.bill.none')));
  }
  const prepayment = bill.type === 'prepayment';
  const amount = bill.amount ?? bill.amount_to_date;
  return card('dashboard-bill', t(prepayment ? 'dashboard.bill.title_prepayment' : 'dashboard.bill.title'),
    amount !== null && h('p', { class: 'dashboard__amount' },
      bill.estimated && h('span', null, t('dashboard.bill.estimated')), money(amount)),
    h('p', null, t(prepayment ? 'dashboard.bill.prepayment' : 'dashboard.bill.usage', { date: date(bill.date), period: span(bill.period_start, bill.period_end) })),
    bill.estimated && bill.amount_to_date !== null && h('p', { class: 'dashboard__hint' }, t('dashboard.bill.to_date', { amount: money(bill.amount_to_date) })),
    more('/invoices/', t('dashboard.bill.more')));
}

function invoiceCard(invoice) {
  const title = t('dashboard.invoice.title');
  if (!invoice) return card('dashboard-invoice', title, h('p', null, t('dashboard.invoice.none')));
  const failedPayment = invoice.payment_status === 'failed';
  return card('dashboard-invoice', title,
    h('p', { class: 'dashboard__amount' }, h('span', null, t(`dashboard.invoice.type.${invoice.type}`)), money(invoice.total)),
    facts([
      [t('dashboard.invoice.number'), invoice.invoice_number],
      [t('dashboard.invoice.period'), invoice.period_start && span(invoice.period_start, invoice.period_end)],
      [t('dashboard.invoice.status_label'), t(`dashboard.invoice.status.${invoice.status}`)],
    ], 'lines'),
    failedPayment && h('p', { class: 'notice notice--warning' }, t('dashboard.invoice.payment_failed')),
    more(`/invoices/${encodeURIComponent(invoice.id)}`, t('dashboard.invoice.open', { number: invoice.invoice_number })));
}

function orderCard(order) {
  return card('dashboard-order', t('dashboard.order.title'),
    h('p', { class: 'dashboard__status dashboard__status--pending' }, t(`dashboard.order.status.${order.status}`)),
    order.appointment_at && h('p', null, t('dashboard.order.appointment', { date: dateTime(order.appointment_at) })),
    order.blocked_at && h('p', { class: 'notice notice--warning' }, t('dashboard.order.blocked')),
    more('/orders/', t('dashboard.order.more')));
}

function cards(data, subscription) {
  const contract = contractCard(data.contract, subscription);
  const prices = data.prices.today.items?.length ? pricesCard(data.prices, Date.parse(data.generated_at)) : null;
  // Without prices (the contract is not active) its status is what matters most.
  return [
    prices || contract,
    consumptionCard(data.consumption, data.contract),
    prices && contract,
    billCard(data.next_bill, data.contract),
    invoiceCard(data.latest_invoice),
    data.open_meter_order && orderCard(data.open_meter_order),
  ];
}

export async function mount(el, { subscription, signal }) {
  if (!subscription) {
    el.replaceChildren(h('p', { class: 'notice notice--info' }, t('dashboard.no_subscription')));
    return;
  }
  await load(el, async () => {
    const data = await api(`/subscriptions/${encodeURIComponent(subscription.id)}/dashboard`, { signal });
    el.replaceChildren(h('div', { class: 'dashboard' }, cards(data, subscription)));
  });
}
