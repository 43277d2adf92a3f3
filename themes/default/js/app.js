// SPA entry. Pages work without it; with it: in-page navigation, language switch, help search,
// and the data views (views[id] lazily imports a module exporting mount(el, ctx); later stage).
import { getConfig } from './config.js';
import { initI18n, apply, t, locale } from './i18n.js';
import { initRouter } from './router.js';
import { initHelpSearch } from './help-search.js';

const views = {};
const html = document.documentElement;
html.classList.replace('no-js', 'js');

// Until the login flow is wired its forms must not post to the static host.
document.addEventListener('submit', (e) => e.target.closest('[data-view="login"]') && e.preventDefault());

async function initPage(scope, config) {
  // On phones the nav is a scrolling row of tabs: centre the current one (scrollLeft only, as
  // scrollIntoView would also move the keyboard's focus starting point past the skip link).
  const tab = document.querySelector('.site-nav [aria-current="page"]');
  const row = tab?.closest('ul');
  if (row) row.scrollLeft += tab.getBoundingClientRect().left - row.getBoundingClientRect().left - (row.clientWidth - tab.offsetWidth) / 2;
  initHelpSearch(scope);
  for (const el of scope.querySelectorAll('.view[data-view]')) {
    const status = el.querySelector('[data-view-status]');
    try {
      await (await views[el.dataset.view]()).mount(el, { config, t, locale });
    } catch (err) {
      if (views[el.dataset.view]) console.error(err);
      const k = 'common.unavailable';
      if (status && t(k) !== k) status.textContent = t((status.dataset.i18n = k));
    }
    el.setAttribute('aria-busy', 'false');
  }
}

getConfig().then(async (config) => {
  await initI18n(config);
  initRouter(config, (main) => {
    apply();
    initPage(main, config);
  });
  initPage(document, config);
}, () => html.classList.replace('js', 'no-js'));
