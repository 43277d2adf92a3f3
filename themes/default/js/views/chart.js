// Our SVG chart: bars (kWh) and/or a price step line (ct/kWh), each with its own scale, a "now"
// marker, cheap slots on a band, hatched preliminary bars; a live readout of the point under the
// keyboard or pointer cursor, and the same data as a table. Points are labelled by the caller
// from the data's real times, so a DST day simply has 92 or 100 of them.
import { h, svg } from '../dom.js';
import { t } from '../i18n.js';
import { ct, kwh, number, time, TZ } from '../format.js';

const HEIGHT = 220; // also .chart__plot's height in chart.css
const TOP = 30; // room for the units and "now"
const BOTTOM = HEIGHT - 24; // room for the x labels
const AXIS = 42; // a y-axis with its labels
let count = 0;
const clock = new Intl.DateTimeFormat('en-GB', { timeZone: TZ, hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });

/** A time slot's label ("14:15–14:30") and x label (its time at every third full hour in Berlin). */
export function timeSlot(ms, minutes) {
  const [hour, minute] = clock.format(ms).split(':').map(Number);
  return { label: `${time(ms)}–${time(ms + minutes * 60_000)}`, tick: minute === 0 && hour % 3 === 0 ? time(ms) : '' };
}

/** A y-scale from 0 (or below a negative minimum) to a round maximum in about four steps. */
function scale(values) {
  const min = Math.min(0, ...values);
  const range = Math.max(...values, 0) - min || 1;
  const p = 10 ** Math.floor(Math.log10(range / 4));
  const step = [1, 2, 5, 10].find((m) => m * p >= range / 4) * p;
  const ticks = [Math.floor(min / step) * step];
  while (ticks.at(-1) < min + range - 1e-9) ticks.push(+(ticks.at(-1) + step).toPrecision(12));
  return { lo: ticks[0], hi: ticks.at(-1), ticks, digits: Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) };
}

/**
 * points: [{ label ("14:15–14:30"), tick (x label, thinned out when crowded), price, kwh,
 * preliminary, cheap }]; title: name and table caption; column: heading of the labels;
 * cheapLabel: what cheap slots are; now: index of the current slot.
 */
export function chart(points, { title, column, cheapLabel, now = -1, kwhDigits = 1 }) {
  const id = `chart-${++count}`;
  const has = (key) => points.some((p) => p[key] != null && p[key] !== false);
  const [bars, line, cheap, pre] = ['kwh', 'price', 'cheap', 'preliminary'].map(has);
  const kwhScale = bars && scale(points.map((p) => p.kwh ?? 0));
  const priceScale = line && scale(points.filter((p) => p.price != null).map((p) => p.price));
  const plot = h('div', { class: 'chart__plot', tabIndex: 0, role: 'application', 'aria-label': title, 'aria-describedby': id });
  const readout = h('p', { class: 'chart__readout', 'aria-live': 'polite' });
  let cursor = now; // drawn once moved
  let moved = false;
  let width = 0;
  let slot = 1;

  const notes = pre || cheap;
  const cells = (p) => [
    line && (p.price == null ? '–' : ct(p.price)),
    bars && (p.kwh == null ? '–' : kwh(p.kwh, kwhDigits)),
    notes && [p.preliminary && t('chart.preliminary'), p.cheap && cheapLabel].filter(Boolean).join(', '),
  ].filter((cell) => cell !== false);
  const describe = (p) => `${p.label}: ${cells(p).filter(Boolean).join(', ')}`;

  function render() {
    const right = bars && line ? AXIS : 12;
    slot = (width - AXIS - right) / points.length;
    const x = (i) => AXIS + i * slot;
    const y = (s, v) => BOTTOM - ((v - s.lo) / (s.hi - s.lo)) * (BOTTOM - TOP);
    const text = (attrs, s) => svg('text', { class: 'chart__label', ...attrs }, s);
    const axis = (s, atLeft, unit) => [
      text({ x: atLeft ? 4 : width - 4, y: 12, 'text-anchor': atLeft ? 'start' : 'end' }, unit),
      s.ticks.map((v) => text({ x: atLeft ? AXIS - 6 : width - right + 6, y: y(s, v) + 4, 'text-anchor': atLeft ? 'end' : 'start' }, number(v, s.digits))),
    ];
    const main = kwhScale || priceScale || scale([]);
    let path = '';
    let area = '';
    let open = false;
    const base = line && y(priceScale, 0);
    points.forEach((p, i) => {
      if (p.price == null) {
        if (open) area += `V${base}Z`;
        open = false;
        return;
      }
      const v = y(priceScale, p.price);
      path += `${open ? '' : `M${x(i)},${v}`}V${v}H${x(i + 1)}`;
      area += `${open ? '' : `M${x(i)},${base}`}V${v}H${x(i + 1)}`;
      open = true;
    });
    if (open) area += `V${base}Z`;
    const gap = slot > 6 ? slot * 0.15 : 0.5;
    // Every n-th x label, so that the widest (6.5 px a character) fits.
    const ticks = points.flatMap((p, i) => (p.tick ? [i] : []));
    const widest = Math.max(0, ...ticks.map((i) => points[i].tick.length)) * 6.5 + 8;
    const every = Math.ceil(widest / (((ticks[1] - ticks[0]) || 1) * slot));
    plot.replaceChildren(svg('svg', { class: 'chart__svg', width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, 'aria-hidden': 'true' },
      svg('defs', null, svg('pattern', { id: `${id}-hatch`, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
        svg('rect', { class: 'chart__hatch', width: 3, height: 6 }))),
      points.map((p, i) => p.cheap && svg('rect', { class: 'chart__cheap', x: x(i), y: TOP, width: slot + 0.5, height: BOTTOM - TOP })),
      main.ticks.map((v) => svg('line', { class: 'chart__grid', x1: AXIS, x2: width - right, y1: y(main, v), y2: y(main, v) })),
      bars && axis(kwhScale, true, 'kWh'),
      line && axis(priceScale, !bars, 'ct/kWh'),
      moved && svg('rect', { class: 'chart__cursor', x: x(cursor), y: TOP, width: slot, height: BOTTOM - TOP }),
      bars && points.map((p, i) => p.kwh > 0 && svg('rect', {
        class: `chart__bar${p.preliminary ? ' chart__bar--pre' : ''}`,
        fill: p.preliminary ? `url(#${id}-hatch)` : null,
        x: x(i) + gap,
        y: y(kwhScale, p.kwh),
        width: Math.max(slot - 2 * gap, 1),
        height: BOTTOM - y(kwhScale, p.kwh),
      })),
      line && [
        !bars && svg('path', { class: 'chart__area', d: area }),
        svg('path', { class: 'chart__halo', d: path }),
        svg('path', { class: 'chart__line', d: path }),
      ],
      now >= 0 && [
        svg('line', { class: 'chart__now', x1: x(now + 0.5), x2: x(now + 0.5), y1: TOP - 6, y2: BOTTOM }),
        text({ x: x(now + 0.5), y: TOP - 9, 'text-anchor': 'middle' }, t('chart.now')),
      ],
      ticks.filter((_, k) => k % every === 0).map((i) => text({ x: x(i + 0.5), y: HEIGHT - 6, 'text-anchor': 'middle' }, points[i].tick))));
  }

  function move(i) {
    cursor = Math.max(0, Math.min(points.length - 1, i));
    moved = true;
    readout.textContent = describe(points[cursor]);
    if (width) render();
  }

  plot.addEventListener('keydown', (e) => {
    const to = { ArrowRight: cursor + 1, ArrowLeft: Math.max(cursor, 1) - 1, Home: 0, End: points.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    move(to);
  });
  const pointer = (e) => move(Math.floor((e.clientX - plot.getBoundingClientRect().left - AXIS) / slot));
  plot.addEventListener('pointerdown', pointer);
  plot.addEventListener('pointermove', (e) => (e.pointerType === 'mouse' || e.buttons) && pointer(e));
  new ResizeObserver(() => {
    const w = Math.round(plot.clientWidth);
    if (w && w !== width) {
      width = w;
      render();
    }
  }).observe(plot);
  readout.textContent = now >= 0 ? describe(points[now]) : t('chart.pick');

  const legend = [
    bars && ['bar', t('chart.legend_kwh')],
    pre && ['pre', t('chart.legend_preliminary')],
    line && ['line', t('chart.legend_price')],
    cheap && ['cheap', cheapLabel],
    now >= 0 && ['now', t('chart.now')],
  ].filter(Boolean);
  return h('div', { class: 'chart' },
    h('p', { class: 'visually-hidden', id }, t('chart.keys')),
    plot,
    readout,
    h('ul', { class: 'chart__legend' }, legend.map(([kind, label]) => h('li', null, h('span', { class: `chart__key chart__key--${kind}`, 'aria-hidden': 'true' }), label))),
    h('details', { class: 'chart__details' },
      h('summary', null, t('chart.show_table')),
      h('table', { class: 'chart__table' },
        h('caption', null, title),
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, column),
          line && h('th', { scope: 'col' }, t('chart.price')),
          bars && h('th', { scope: 'col' }, t('chart.kwh')),
          notes && h('th', { scope: 'col' }, t('chart.note')))),
        h('tbody', null, points.map((p) => h('tr', null, h('th', { scope: 'row' }, p.label), cells(p).map((cell) => h('td', null, cell))))))));
}
