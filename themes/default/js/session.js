// The signed-in customer, their subscriptions and the one the header switcher has selected.
import { api } from './api.js';
import { getConfig } from './config.js';

let current;
let subs;
let chosen;
const key = async () => `portal.subscription.${(await getConfig()).slug}`;

/** The `/api/session` object, or null when signed out (no redirect). */
export function session() {
  current ||= api('/session').catch((err) => {
    current = null;
    if (err.status === 401) return null;
    throw err;
  });
  return current;
}

/** Every subscription of the customer, expanded (address, meter, payment method), newest first. */
export function subscriptions() {
  subs ||= api('/subscriptions', { query: { limit: 100 } })
    .then((list) => Promise.all(list.items.map((s) => api(`/subscriptions/${s.id}`))))
    .catch((err) => {
      subs = null;
      throw err;
    });
  return subs;
}

/** Forgets the cached subscriptions after a change (a cancellation, a new address). */
export function forgetSubscriptions() {
  subs = null;
}

async function remembered() {
  try { return chosen || localStorage.getItem(await key()); } catch { return null; }
}

/** The selected subscription: the remembered one, else the first active one, else the first. */
export async function currentSubscription() {
  const all = await subscriptions();
  const id = await remembered();
  return all.find((s) => s.id === id) || all.find((s) => s.status === 'active') || all[0] || null;
}

export async function selectSubscription(id) {
  chosen = id;
  try { localStorage.setItem(await key(), id); } catch { /* storage blocked: the choice lasts this page */ }
  dispatchEvent(new CustomEvent('portal:subscription', { detail: id }));
}

export async function signOut() {
  await api('/auth/logout', { method: 'POST', body: {} }).catch(() => {});
  current = subs = null;
  location.assign('/login/');
}
