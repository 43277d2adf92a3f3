// UI strings and the language switch. [data-i18n] (text) and [data-i18n-label] (aria-label)
// are relabelled, except inside [data-lang-fixed] (help text stays in its own language).
const KEY = 'portal.locale';
const cache = new Map();
let cfg, cur, want;
let strings = {};

export const locale = () => cur;
export const format = (s, args = {}) => String(s ?? '').replace(/\{(\w+)\}/g, (m, k) => (k in args ? args[k] : m));
export const t = (key, args) => (key in strings ? format(strings[key], { org: cfg.org.name, plan: cfg.plan.name, ...args }) : key);

export function load(code) {
  if (!cache.has(code)) {
    const p = fetch(cfg.strings[code]).then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.status))));
    p.catch(() => cache.delete(code));
    cache.set(code, p);
  }
  return cache.get(code);
}

export function apply(doc = document) {
  for (const el of doc.querySelectorAll('[data-i18n], [data-i18n-label]')) {
    if (el.closest('[data-lang-fixed]')) continue;
    const { i18n, i18nLabel } = el.dataset;
    if (i18n in strings) el.textContent = t(i18n);
    if (i18nLabel in strings) el.setAttribute('aria-label', t(i18nLabel));
  }
  doc.documentElement.lang = cur;
  for (const a of doc.querySelectorAll('a[data-help-link]')) a.href = cfg.help?.[cur] || a.href;
  const main = doc.getElementById('main');
  if (!main || main.hasAttribute('data-lang-fixed')) return;
  main.lang = cur;
  const title = `route.${main.dataset.page}.title`;
  if (title in strings) doc.title = `${t(title)} – ${cfg.plan.name}`;
  for (const a of doc.querySelectorAll('[data-lang-switch] a')) {
    if (a.dataset.locale === cur) a.setAttribute('aria-current', 'true');
    else a.removeAttribute('aria-current');
  }
}

export async function setLocale(code, remember) {
  want = code;
  const s = await load(code);
  if (want !== code) return;
  const changed = cur !== code || strings !== s;
  [strings, cur] = [s, code];
  if (remember) try { localStorage.setItem(KEY, code); } catch { /* storage blocked */ }
  apply();
  if (changed) dispatchEvent(new CustomEvent('portal:locale', { detail: code }));
}

export async function initI18n(config) {
  cfg = config;
  cur = document.documentElement.lang;
  let saved;
  try { saved = localStorage.getItem(KEY); } catch { /* storage blocked */ }
  await setLocale([saved, cur, cfg.defaultLocale].find((c) => cfg.locales.includes(c))).catch(() => {});
  // Portal pages relabel in place; help pages' links (data-follow) also navigate.
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[data-locale]');
    if (!a || e.button || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || !cfg.locales.includes(a.dataset.locale)) return;
    const follow = a.hasAttribute('data-follow');
    if (!follow) e.preventDefault();
    setLocale(a.dataset.locale, true).catch(() => follow || location.assign(a.href));
  });
}
