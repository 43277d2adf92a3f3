// Orders: the selected contract's meter orders (the smart meter rollout or a swap the customer
// asked for), each as a timeline of its milestones, and the contract's add-on products.
import { api } from '../api.js';
import { h, svg, card, load } from '../dom.js';
import { t } from '../i18n.js';
import { money, date, dateLong, time } from '../format.js';

/** The milestones of a meter order, in order (`cancelled` can end it at any point). */
const STEPS = ['created', 'placed', 'check_submitted', 'check_reviewed', 'scheduled', 'installed', 'activated'];
const CLOSED = ['installed', 'activated', 'cancelled'];

/**
 * The timeline of `order`: milestones reached are done (with their date), the next one is
 * current, the rest upcoming; a cancelled order stops at its cancellation.
 */
function steps(order) {
  const at = (event) => order.timeline.find((e) => e.event === event)?.occurred_at ?? order[`${event}_at`];
  const cancelled = order.status === 'cancelled';
  const reached = cancelled
    ? Math.max(-1, ...order.timeline.map((e) => STEPS.indexOf(e.event)))
    : STEPS.indexOf(order.status);
  const list = STEPS.map((step, i) => {
    const state = i <= reached ? 'done' : i === reached + 1 ? 'current' : 'upcoming';
    return { step, state, at: state === 'done' && at(step) };
  });
  return cancelled ? [...list.slice(0, reached + 1), { step: 'cancelled', state: 'done', at: order.cancelled_at }] : list;
}

/** The marker of a step, drawn differently per state so that colour is never the only clue. */
function marker(state, step) {
  const shape = {
    done: step === 'cancelled' ? svg('path', { d: 'M8 8l8 8M16 8l-8 8' }) : svg('path', { d: 'M7 12.5l3.2 3.2L17 9' }),
    current: svg('circle', { cx: 12, cy: 12, r: 4.5, class: 'orders-step__dot' }),
    upcoming: null,
  }[state];
  return svg('svg', { class: 'orders-step__marker', viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' },
    svg('circle', { cx: 12, cy: 12, r: 10.5 }), shape);
}

/** What the current step is waiting for: the customer, the appointment or the operator. */
function currentDetail(order, step) {
  if (order.blocked) return t(`orders.blocked.${order.blocked_reason === 'check_missing' ? 'check_missing' : 'other'}`);
  if (step === 'installed' && order.appointment_at) return t('orders.planned', { date: date(order.appointment_at) });
  return t('orders.in_progress');
}

function stepItem(order, { step, state, at }) {
  const detail = state === 'current' ? currentDetail(order, step) : at && date(at);
  return h('li', {
    class: `orders-step orders-step--${state}${step === 'cancelled' ? ' orders-step--cancelled' : ''}${state === 'current' && order.blocked ? ' orders-step--blocked' : ''}`,
    'aria-current': state === 'current' ? 'step' : null,
  },
  marker(state, step),
  h('span', { class: 'orders-step__text' },
    h('span', { class: 'visually-hidden' }, `${t(`orders.state.${state}`)} `),
    h('span', { class: 'orders-step__label' }, t(`orders.status.${step}`)),
    detail && h('span', { class: 'orders-step__detail' }, detail)));
}

function orderCard(order, index) {
  const kind = order.swap_request ? order.swap_request.reason : 'rollout';
  const upcoming = order.appointment_at && !CLOSED.includes(order.status);
  const titleId = `orders-order-${index}`;
  const timeline = h('ol', { class: 'orders-timeline', 'aria-label': t('orders.meter.progress') }, steps(order).map((s) => stepItem(order, s)));
  // A finished order keeps its history one click away.
  const finished = ['activated', 'cancelled'].includes(order.status);
  return h('article', { class: 'orders-order', 'aria-labelledby': titleId },
    h('h3', { id: titleId }, t(`orders.meter.${kind}`)),
    h('p', { class: 'orders-order__meta' },
      h('span', { class: `orders-status orders-status--${order.status}` }, t(`orders.status.${order.status}`)),
      h('span', null, t('orders.meter.ordered', { date: date(order.created_at) })),
      h('span', null, t('orders.meter.provider', { provider: order.provider }))),
    upcoming && h('div', { class: 'notice notice--info orders-appointment' }, h('div', null,
      h('p', { class: 'orders-appointment__when' }, t('orders.meter.appointment', { date: dateLong(order.appointment_at), time: time(order.appointment_at) })),
      h('p', null, t('orders.meter.appointment_hint')))),
    order.status === 'cancelled' && order.cancelled_reason && h('p', null, t(`orders.cancelled.${order.cancelled_reason}`)),
    finished ? h('details', null, h('summary', null, t('orders.meter.history')), timeline) : timeline);
}

async function renderOrders(body, sub, signal) {
  const query = { 'filter[subscription][eq]': sub.id, limit: 100 };
  const { items } = await api('/meter-orders', { query, signal });
  if (items.length) return body.replaceChildren(...items.map(orderCard));
  body.replaceChildren(h('p', null, t('orders.meter.empty')), sub.meter?.type === 'smart'
    ? h('p', null, t('orders.meter.empty_smart'))
    : h('p', null, t('orders.meter.empty_analog'), ' ', h('a', { href: '/tariff/' }, t('orders.meter.empty_analog_link')), '.'));
}

function productStatus(product) {
  if (product.status === 'ended') return t('orders.products.ended', { date: date(product.end_at) });
  if (product.end_at) return t('orders.products.ending', { date: date(product.end_at) });
  return t('orders.products.active', { date: date(product.start_at) });
}

async function renderProducts(body, sub, signal) {
  const query = { 'filter[subscription][eq]': sub.id, limit: 100 };
  const { items } = await api('/products', { query, signal });
  if (!items.length) return body.replaceChildren(h('p', null, t('orders.products.empty')));
  body.replaceChildren(h('ul', { class: 'orders-products' }, items.map((p) => h('li', { class: 'orders-product' },
    h('span', { class: 'orders-product__name' }, p.name),
    h('span', null, t('orders.products.per_month', { amount: money(p.price_per_month, p.currency) })),
    h('span', { class: `orders-product__status orders-product__status--${p.status}` }, productStatus(p))))));
}

export async function mount(el, ctx) {
  const sub = ctx.subscription;
  if (!sub) return void el.replaceChildren(h('p', { class: 'notice' }, t('tariff.none')));
  const meters = h('div');
  const products = h('div');
  // Shown once both cards have their content (or error), so neither pushes the other down.
  await Promise.all([
    load(meters, () => renderOrders(meters, sub, ctx.signal)),
    load(products, () => renderProducts(products, sub, ctx.signal)),
  ]);
  el.replaceChildren(h('div', { class: 'orders' },
    card('orders-meters', t('orders.meter.title'), meters),
    card('orders-products', t('orders.products.title'), products)));
}
