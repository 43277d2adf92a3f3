// Consumption against price for a day, week or month (smart meters) or a year (analog meters),
// the energy used in the cheapest hours, and for analog meters the readings and their form.
import { api } from '../api.js';
import { h, card, load, busy, failed, announce } from '../dom.js';
import { t, locale } from '../i18n.js';
import { chart, timeSlot } from './chart.js';
import { kwh, percent, date, dateLong, monthYear, berlinDay, dateFormat } from '../format.js';

const HOUR = 3_600_000;

// Calendar days ("2026-11-21") are counted in UTC: every day has 24 hours there.
const isoDay = (d) => d.toISOString().slice(0, 10);
const addDays = (day, n) => isoDay(new Date(Date.parse(day) + n * 24 * HOUR));
function addMonths(day, n) {
  const d = new Date(day);
  d.setUTCMonth(d.getUTCMonth() + n, 1);
  return isoDay(d);
}
const noon = (day) => Date.parse(day) + 12 * HOUR;
/** When a Berlin day starts. */
const midnight = (day) => [1, 2].map((n) => Date.parse(day) - n * HOUR).find((ms) => berlinDay(ms) === day && berlinDay(ms - 1) !== day);
const format = (options) => (value) => dateFormat(options).format(value);

// Per view: its period (`first` day, `step`), what to fetch, and `bar`: the bar of a slot. Weeks
// and months fetch hours, as the cheapest hours need usage and price per hour.
const DAY = { first: (d) => d, step: addDays, bar: Date.parse };
const VIEWS = {
  day: { ...DAY, usage: 'hour', prices: 'hour', minutes: 60 },
  quarter: { ...DAY, usage: '15min', prices: '15min', minutes: 15 },
  week: { first: (d) => addDays(d, -((new Date(d).getUTCDay() + 6) % 7)), step: (d, n) => addDays(d, 7 * n), usage: 'hour', prices: 'hour', bar: berlinDay, tick: { weekday: 'short' } },
  month: { first: (d) => `${d.slice(0, 8)}01`, step: addMonths, usage: 'hour', prices: 'hour', bar: berlinDay, tick: { day: 'numeric' } },
  year: { first: (d) => `${d.slice(0, 5)}01-01`, step: (d, n) => addMonths(d, 12 * n), usage: 'month', bar: (at) => berlinDay(at).slice(0, 7) },
};

/** The bars of a period by the calendar (so a DST day has 23 or 25 hours). */
function barsOf(spec, start, end) {
  const bars = [];
  if (spec.minutes) {
    for (let ms = midnight(start); ms < midnight(end); ms += spec.minutes * 60_000) bars.push({ key: ms, ...timeSlot(ms, spec.minutes) });
  } else if (spec.tick) {
    const weekday = format({ weekday: 'short' });
    for (let d = start; d < end; d = addDays(d, 1)) bars.push({ key: d, label: `${weekday(noon(d))}, ${date(noon(d))}`, tick: format(spec.tick)(noon(d)) });
  } else {
    for (let m = start; m < end; m = addMonths(m, 1)) bars.push({ key: m.slice(0, 7), label: monthYear(noon(m)), tick: format({ month: 'short' })(noon(m)) });
  }
  return bars;
}

function periodName(view, start, end) {
  if (view === 'week') return `${date(noon(start))} – ${date(noon(addDays(end, -1)))}`;
  if (view === 'month') return monthYear(noon(start));
  if (view === 'year') return start.slice(0, 4);
  return dateLong(noon(start));
}

function slotsOf(usage, prices) {
  const slots = new Map();
  const at = (iso) => slots.get(iso) || slots.set(iso, { at: iso }).get(iso);
  for (const u of usage.data) Object.assign(at(u.start), { kwh: u.usage, preliminary: u.type === 'preliminary' });
  for (const p of prices?.items || []) if (p.amount !== null) at(p.timestamp).price = p.amount;
  return [...slots.values()];
}

const sum = (list, f) => list.reduce((total, s) => total + f(s), 0);

/** The cheapest hours: the quarter of the measured slots with the lowest prices. */
function cheapest(slots) {
  const priced = slots.filter((s) => s.kwh !== undefined && s.price !== undefined);
  if (priced.length < 4) return null;
  const cheap = [...priced].sort((a, b) => a.price - b.price).slice(0, Math.round(priced.length / 4));
  const total = sum(priced, (s) => s.kwh);
  const used = sum(cheap, (s) => s.kwh);
  return { used, share: total && used / total, count: cheap.length, of: priced.length, slots: cheap };
}

/** Chart points: usage summed per bar, the mean price. */
function points(spec, bars, slots, cheap) {
  const inBar = new Map();
  for (const s of slots) {
    const key = spec.bar(s.at);
    inBar.set(key, [...(inBar.get(key) || []), s]);
  }
  return bars.map(({ key, label, tick }) => {
    const own = inBar.get(key) || [];
    const used = own.filter((s) => s.kwh !== undefined);
    const priced = own.filter((s) => s.price !== undefined);
    return {
      label,
      tick,
      kwh: used.length ? sum(used, (s) => s.kwh) : null,
      price: priced.length ? sum(priced, (s) => s.price) / priced.length : null,
      preliminary: used.some((s) => s.preliminary),
      cheap: own.some((s) => cheap?.slots.includes(s)),
    };
  });
}

function usageSection(subscription, range, analog, signal) {
  const params = new URLSearchParams(location.search);
  const views = analog ? ['year'] : ['day', 'quarter', 'week', 'month'];
  let view = views.includes(params.get('view')) ? params.get('view') : (analog ? 'year' : 'week');
  let day = params.get('date');
  if (!(day >= range.first && day <= range.last)) day = range.last;
  let loads = 0;

  const heading = h('h3', { class: 'consumption__period' });
  const body = h('div', { class: 'consumption__body' });
  const button = (text, click) => h('button', { class: 'btn btn--secondary', type: 'button', on: { click } }, text);
  const prev = button('', () => go(-1));
  const next = button('', () => go(1));
  const switcher = !analog && h('div', { class: 'consumption__views', role: 'group', 'aria-label': t('consumption.view') },
    views.map((v) => button(t(`consumption.views.${v}`), () => show(v))));

  async function loadPeriod(moved) {
    const mine = ++loads;
    const spec = VIEWS[view];
    const start = spec.first(day);
    const end = spec.step(start, 1);
    const label = periodName(view, start, end);
    heading.textContent = label;
    history.replaceState(history.state, '', `?view=${view}&date=${day}${location.hash}`);
    prev.textContent = t(`consumption.prev.${view}`);
    next.textContent = t(`consumption.next.${view}`);
    prev.disabled = start <= range.first;
    next.disabled = end > range.last;
    if (switcher) views.forEach((v, i) => switcher.children[i].setAttribute('aria-pressed', String(v === view)));
    busy(body);
    try {
      const id = encodeURIComponent(subscription.id);
      const [usage, prices] = await Promise.all([
        api(`/subscriptions/${id}/usage`, { query: { resolution: spec.usage, start, end }, signal }),
        spec.prices && api(`/subscriptions/${id}/prices`, { query: { resolution: spec.prices, start, end: addDays(end, -1) }, signal }),
      ]);
      if (mine !== loads) return;
      render(spec, usage, prices, start, end, label);
      if (moved) announce(label);
    } catch (err) {
      if (mine === loads) failed(body, err, () => loadPeriod(moved));
    }
  }

  function render(spec, usage, prices, start, end, label) {
    if (!usage.data.length) return void body.replaceChildren(h('p', null, t('consumption.empty')));
    const slots = slotsOf(usage, prices);
    const cheap = cheapest(slots);
    const intraday = Boolean(spec.minutes);
    const unit = t(`consumption.cheap.units.${view}`);
    const bars = barsOf(spec, start, end);
    const list = points(spec, bars, slots, intraday ? cheap : null);
    body.replaceChildren(h('div', null,
      h('p', { class: 'consumption__total' }, t('consumption.total', { kwh: kwh(sum(usage.data, (u) => u.usage)) })),
      chart(list, {
        title: t('consumption.chart', { period: label }),
        column: t(`consumption.column.${view}`),
        cheapLabel: t('consumption.cheap.legend', { unit }),
        kwhDigits: intraday ? 2 : 1,
      }),
      cheap && h('div', { class: 'consumption__cheap' },
        h('p', { class: 'consumption__cheap-figure' }, t('consumption.cheap.figure', { kwh: kwh(cheap.used), unit })),
        h('p', null, t('consumption.cheap.share', { percent: percent(cheap.share) })),
        h('p', { class: 'consumption__hint' }, t('consumption.cheap.explain', { unit, count: cheap.count, of: cheap.of })))));
  }

  function show(v) {
    view = v;
    loadPeriod(true);
  }
  function go(n) {
    day = VIEWS[view].step(VIEWS[view].first(day), n);
    loadPeriod(true);
  }

  const section = card('consumption-usage', t('consumption.title'),
    analog ? h('p', { class: 'consumption__hint' }, t('consumption.analog')) : switcher,
    h('div', { class: 'consumption__nav' }, heading, prev, next),
    body);
  return { section, ready: loadPeriod(), reload: () => loadPeriod() };
}

// ---------- Meter readings (analog meters) ----------

/** "60.123,4" (de) or "60,123.4" (en); either decimal mark works. */
function parseNumber(raw) {
  const s = raw.replace(/[\s\u00a0']/g, '');
  const grouping = locale() === 'de' ? /\.(?=\d{3}(\D|$))/g : /,(?=\d{3}(\D|$))/g;
  return /^\d[\d.,]*$/.test(s) ? Number(s.replace(grouping, '').replace(',', '.')) : NaN;
}

function field(id, label, input, hint) {
  const message = h('p', { class: 'form__error', id: `${id}-message`, hidden: true });
  Object.assign(input, { id, className: 'field__input', required: true });
  input.setAttribute('aria-describedby', `${hint ? `${hint.id} ` : ''}${id}-message`);
  return { input, message, el: h('div', { class: 'field' }, h('label', { class: 'field__label', for: id }, label), hint, input, message) };
}

function readingsSection({ id }, range, ended, signal, onSaved) {
  const list = h('div');
  const hint = h('p', { class: 'field__hint', id: 'reading-value-hint' }, t('consumption.form.value_hint'));
  const value = field('reading-value', t('consumption.form.value'), h('input', { type: 'text', inputMode: 'decimal', autocomplete: 'off' }), hint);
  const day = field('reading-date', t('consumption.form.date'), h('input', { type: 'date', value: range.last, min: range.first, max: range.last }));
  const status = h('div', { role: 'status' });
  const submit = h('button', { class: 'btn btn--primary', type: 'submit' }, t('consumption.form.submit'));
  const form = h('form', { class: 'form consumption__form', noValidate: true, on: { submit: send } }, value.el, day.el, status, h('div', null, submit));

  const loadList = () => load(list, async () => {
    const { items } = await api('/meter-readings', { query: { 'filter[subscription][eq]': id, limit: 100 }, signal });
    if (items[0]) hint.textContent = t('consumption.form.last', { value: kwh(items[0].value), date: date(items[0].timestamp) });
    list.replaceChildren(items.length ? h('table', { class: 'table consumption__readings', 'aria-labelledby': 'consumption-readings-title' },
      h('thead', null, h('tr', null, ['date', 'value', 'type'].map((c) => h('th', { scope: 'col' }, t(`consumption.readings.${c}`))))),
      h('tbody', null, items.map((r) => h('tr', null,
        h('th', { scope: 'row' }, date(r.timestamp)),
        h('td', null, kwh(r.value)),
        h('td', null, t(`consumption.readings.types.${r.type}`)))))) : h('p', null, t('consumption.readings.none')));
  });

  /** A message under a field; `soft`: a caution (an unusual number), not an error. */
  function say(f, text, soft = false) {
    f.message.replaceChildren(...[text].flat());
    f.message.hidden = !text;
    f.message.classList.toggle('consumption__field-message--soft', soft);
    f.input.setAttribute('aria-invalid', String(Boolean(text) && !soft));
    if (text) f.input.focus();
  }

  async function send(e) {
    e.preventDefault();
    say(value, '');
    say(day, '');
    status.replaceChildren();
    const typed = parseNumber(value.input.value);
    const when = day.input.value;
    if (!(typed > 0)) return say(value, t('consumption.form.invalid_value'));
    if (!(when >= range.first && when <= range.last)) return say(day, t('consumption.form.invalid_timestamp'));
    submit.disabled = true;
    try {
      // The edge keeps the day; today's reading must not lie ahead of its clock.
      const timestamp = new Date(Math.min(Date.now(), noon(when) - HOUR)).toISOString();
      const reading = await api('/meter-readings', { method: 'POST', body: { subscription: id, value: typed, timestamp }, signal });
      const done = t('consumption.form.saved', { value: kwh(reading.value), date: date(reading.timestamp) });
      value.input.value = '';
      status.replaceChildren(h('p', { class: 'consumption__saved' }, done));
      announce(done);
      await loadList();
      onSaved();
    } catch (err) {
      // The edge words its 422s in the customer's stored language; the UI says them in its own.
      if (err.code === 'implausible_meter_reading' && err.field === 'timestamp') say(day, t('consumption.form.unusual_date'), true);
      else if (err.code === 'implausible_meter_reading') say(value, [h('strong', null, t('consumption.form.unusual')), ' ', t('consumption.form.if_right')], true);
      else if (err.code === 'duplicate_meter_reading') say(day, t('consumption.form.duplicate'));
      else if (err.code === 'out_of_period_meter_reading') say(day, t('consumption.form.out_of_period', { date: date(noon(range.first)) }));
      else failed(status, err);
    } finally {
      submit.disabled = false;
    }
  }

  // #reading: the dashboard links here.
  const section = [
    !ended && card('reading', t('consumption.form.title'), form),
    card('consumption-readings', t('consumption.readings.title'),
      ended && h('p', { class: 'notice notice--info' }, t('consumption.form.ended')),
      list),
  ];
  return { section, ready: loadList() };
}

export async function mount(el, { subscription, signal }) {
  const today = berlinDay(new Date());
  const first = subscription?.start_at && berlinDay(subscription.start_at);
  if (!first || first > today) {
    el.replaceChildren(h('p', { class: 'notice notice--info' }, first ? t('consumption.pending', { date: date(noon(first)) }) : t('consumption.no_subscription')));
    return;
  }
  const ended = Date.parse(subscription.end_at) <= Date.now();
  const range = { first, last: ended ? berlinDay(Date.parse(subscription.end_at) - 1) : today };
  const analog = subscription.meter?.type === 'analog';
  const usage = usageSection(subscription, range, analog, signal);
  const readings = analog && readingsSection(subscription, range, ended, signal, usage.reload);
  // Shown once every section has its first content (or its error): the skeleton stays until
  // then, so sections filling in one after the other never push each other down.
  await Promise.all([usage.ready, readings?.ready]);
  el.replaceChildren(h('div', { class: 'consumption' }, usage.section, readings?.section));
  if (location.hash === '#reading') document.getElementById('reading')?.scrollIntoView();
}
