// Building views from data without HTML strings: h() and svg() create elements whose text is
// always a text node, plus the shared cards, facts, loading, error and announcement states.
import { t } from './i18n.js';

const ATTRS = new Set(['role', 'for', 'href', 'viewBox']);

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** Replaces `el`'s children; as in h(), arrays are flattened and null, undefined and false skipped. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** An HTML element: `props` keys with a dash, `role`, `for`, `href` become attributes. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'on') for (const [type, fn] of Object.entries(v)) el.addEventListener(type, fn);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.includes('-') || ATTRS.has(k)) el.setAttribute(k, v === true ? '' : v);
    else el[k] = v;
  }
  return append(el, children);
}

/** An SVG element; every prop is an attribute. */
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : v);
  }
  return append(el, children);
}

/** The loading line (same look as the prerendered one). */
export function busy(el) {
  el.replaceChildren(h('p', { class: 'view__status', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('common.loading')));
}

function errorKey(error) {
  const status = error?.status;
  if (status === 0) return 'offline';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server';
  return 'other';
}

/** A friendly error notice in `el`, with "Try again" when `retry` is given. */
export function failed(el, error, retry) {
  if (error?.name === 'AbortError') return;
  if (!(error?.status >= 0)) console.error(error);
  const minutes = Math.max(1, Math.ceil((error?.retryAfter || 60) / 60));
  el.replaceChildren(h('div', { class: 'notice notice--error', role: 'alert' },
    h('p', null, t(`common.error.${errorKey(error)}`, { minutes })),
    retry && h('button', { class: 'btn btn--secondary', type: 'button', on: { click: again } }, t('common.retry'))));
  // The button goes away with the notice: keep the keyboard focus in this section meanwhile.
  function again() {
    if (!el.hasAttribute('tabindex')) el.tabIndex = -1;
    el.focus();
    retry();
  }
}

/**
 * The card #<name> (unique on the page; styled as .card--<name>), labelled by its h2
 * #<name>-title. Children as for h().
 */
export function card(name, title, ...children) {
  return h('section', { class: `card card--${name}`, id: name, 'aria-labelledby': `${name}-title` },
    h('h2', { id: `${name}-title` }, title), ...children);
}

/** Runs `render` after a loading line in `body`; a failure shows there with "Try again". */
export async function load(body, render) {
  busy(body);
  try {
    await render();
  } catch (err) {
    failed(body, err, () => load(body, render));
  }
}

/**
 * A definition list of [term, value] rows (.facts, with `variant`: .facts--lines or
 * .facts--tiles); falsy rows and rows without a value are left out.
 */
export function facts(rows, variant) {
  return h('dl', { class: variant ? `facts facts--${variant}` : 'facts' },
    rows.filter((row) => row && ![null, undefined, '', false].includes(row[1])).map(([term, value]) => h('div', null, h('dt', null, term), h('dd', null, value))));
}

let region;
/** Tells screen readers something happened (saved, sent …) without moving focus. */
export function announce(text) {
  if (!region) {
    region = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
    document.body.append(region);
  }
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 50);
}
