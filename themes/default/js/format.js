// Locale-correct numbers, money, energy and dates on Intl; every time in Europe/Berlin.
import { locale } from './i18n.js';

export const TZ = 'Europe/Berlin';
const cache = new Map();
// Plain "en" would be US English (Nov 21, 2026, 2:15 PM); the portals serve customers in
// Europe, so English uses British conventions (21 Nov 2026, 14:15).
const tag = () => (locale() === 'en' ? 'en-GB' : locale());
function fmt(kind, options) {
  const key = `${kind}|${tag()}|${JSON.stringify(options)}`;
  if (!cache.has(key)) cache.set(key, new Intl[kind](tag(), options));
  return cache.get(key);
}
const when = (iso) => (iso instanceof Date ? iso : new Date(iso));

export const number = (v, digits = 0) => fmt('NumberFormat', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
export const money = (eur, currency = 'EUR') => fmt('NumberFormat', { style: 'currency', currency }).format(eur);
// Intl has no kWh unit: the number is formatted, the unit appended with a no-break space.
export const kwh = (v, digits = 1) => `${number(v, digits)}\u00a0kWh`;
export const ct = (v, digits = 2) => `${number(v, digits)}\u00a0ct/kWh`;
export const percent = (v) => fmt('NumberFormat', { style: 'percent', maximumFractionDigits: 0 }).format(v);
/** A Berlin-time date formatter with any Intl options, for what the helpers below do not cover. */
export const dateFormat = (options) => fmt('DateTimeFormat', { timeZone: TZ, ...options });
export const date = (iso) => fmt('DateTimeFormat', { timeZone: TZ, dateStyle: 'medium' }).format(when(iso));
export const dateLong = (iso) => fmt('DateTimeFormat', { timeZone: TZ, dateStyle: 'full' }).format(when(iso));
export const time = (iso) => fmt('DateTimeFormat', { timeZone: TZ, hour: '2-digit', minute: '2-digit' }).format(when(iso));
export const dateTime = (iso) => fmt('DateTimeFormat', { timeZone: TZ, dateStyle: 'medium', timeStyle: 'short' }).format(when(iso));
export const monthYear = (iso) => fmt('DateTimeFormat', { timeZone: TZ, month: 'long', year: 'numeric' }).format(when(iso));
/** The calendar day in Berlin, "2026-11-21". */
export const berlinDay = (iso) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(when(iso));
