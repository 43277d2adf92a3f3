// SPA entry. Pages work without it; with it: sign-in, in-page navigation, the language switch,
// help search, the header's subscription switcher and sign-out, and each route's data view
// (js/views/<route>.js, imported only on that route, exporting mount(el, ctx)).
import { getConfig } from './config.js';
import { initI18n, apply, t, locale } from './i18n.js';
import { initRouter } from './router.js';
import { initHelpSearch } from './help-search.js';
import { signInUrl } from './api.js';
import { session, subscriptions, currentSubscription, selectSubscription, signOut } from './session.js';
import { h, failed } from './dom.js';

const DATA_VIEWS = ['dashboard', 'invoices', 'consumption', 'tariff', 'account', 'orders'];
const PUBLIC_PAGES = ['login', 'help', 'help-article', 'not-found'];
const html = document.documentElement;
html.classList.replace('no-js', 'js');
let running = new AbortController();

function centreCurrentTab() {
  // On phones the nav is a scrolling row of tabs: centre the current one (scrollLeft only, as
  // scrollIntoView would also move the keyboard's focus starting point past the skip link).
  const tab = document.querySelector('.site-nav [aria-current="page"]');
  const row = tab?.closest('ul');
  if (row) row.scrollLeft += tab.getBoundingClientRect().left - row.getBoundingClientRect().left - (row.clientWidth - tab.offsetWidth) / 2;
}

// The account area belongs to the routes that need a sign-in (their header reserves its space).
async function renderAccount(who) {
  const slot = document.querySelector('[data-account]');
  if (!slot) return;
  if (!who || PUBLIC_PAGES.includes(document.getElementById('main')?.dataset.page)) return void (slot.hidden = true);
  const all = await subscriptions().catch(() => []);
  const chosen = await currentSubscription().catch(() => null);
  const label = (s) => [t('common.subscription_option', { number: s.number }),
    s.address && `${s.address.street} ${s.address.house_number}, ${s.address.city}`].filter(Boolean).join(' · ');
  const switcher = all.length > 1 && h('div', { class: 'subscription-switch' },
    h('label', { class: 'subscription-switch__label', for: 'subscription-switch' }, t('common.subscription')),
    h('select', { id: 'subscription-switch', class: 'subscription-switch__select', on: { change: (e) => selectSubscription(e.target.value) } },
      all.map((s) => h('option', { value: s.id, selected: s.id === chosen?.id }, label(s)))));
  slot.replaceChildren(switcher || '', h('button', { class: 'btn btn--link site-header__sign-out', type: 'button', 'data-sign-out': true, on: { click: signOut } }, t('common.sign_out')));
  slot.hidden = false;
  slot.removeAttribute('data-pending');
}

async function mountViews(scope, config, who) {
  running.abort();
  running = new AbortController();
  const { signal } = running;
  for (const el of scope.querySelectorAll('.view[data-view]')) {
    const id = el.dataset.view;
    if (id !== 'login' && !DATA_VIEWS.includes(id)) continue;
    el.setAttribute('aria-busy', 'true');
    try {
      const view = await import(`./views/${id}.js`);
      const subscription = id === 'login' ? null : await currentSubscription();
      if (signal.aborted) return;
      await view.mount(el, { config, t, locale, subscription, customer: who?.customer, path: location.pathname, signal });
    } catch (err) {
      if (!signal.aborted) failed(el, err, () => mountViews(scope, config, who));
    }
    if (!signal.aborted) el.setAttribute('aria-busy', 'false');
  }
}

async function initPage(scope, config) {
  centreCurrentTab();
  initHelpSearch(scope);
  const page = document.getElementById('main')?.dataset.page;
  const who = await session().catch(() => null);
  if (!who && !PUBLIC_PAGES.includes(page)) return location.replace(signInUrl());
  await renderAccount(who);
  await mountViews(scope, config, who);
}

getConfig().then(async (config) => {
  await initI18n(config);
  initRouter(config, (main) => {
    apply();
    initPage(main, config);
  });
  // A new language or subscription rebuilds the data views (the login form keeps its state).
  const refresh = async () => {
    const who = await session().catch(() => null);
    await renderAccount(who);
    const main = document.getElementById('main');
    if (main?.querySelector('.view[data-view]:not([data-view="login"])')) mountViews(main, config, who);
  };
  addEventListener('portal:locale', refresh);
  addEventListener('portal:subscription', refresh);
  initPage(document, config);
}, () => html.classList.replace('js', 'no-js'));
