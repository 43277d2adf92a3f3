// In-page navigation between prerendered pages: fetch <path>/index.html, swap <main>, title and
// language switch, update the nav's aria-current, focus the new h1. Any failure: normal load.
const slash = (p) => (p.endsWith('/') ? p : `${p}/`);
const adopt = (to, from) => to.replaceChildren(...[...from.childNodes].map((n) => document.importNode(n, true)));

export function initRouter(cfg, onSwap) {
  const routes = new Set(cfg.routes.map((r) => slash(r.path)));
  const help = Object.values(cfg.help || {}).map(slash);
  // Route paths, pages below a route (/invoices/<id>, served by the route's page) and help pages.
  const below = [...routes].filter((r) => r !== '/');
  const isPage = (p) => !/\.\w+$/.test(p) && (routes.has(slash(p)) || [...below, ...help].some((r) => p.startsWith(r)));
  const html = document.documentElement;
  let shown = location.pathname;
  let seq = 0;
  history.scrollRestoration = 'manual';

  async function go(url, push) {
    const id = ++seq;
    html.classList.add('is-loading');
    try {
      const res = await fetch(`${slash(url.pathname)}index.html`);
      if (!res.ok) throw new Error(res.status);
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const next = doc.getElementById('main');
      const main = document.getElementById('main');
      if (!next || !main) throw new Error('no main');
      if (id !== seq) return;
      if (push) {
        history.replaceState({ y: scrollY }, '');
        history.pushState(null, '', url.href);
      }
      shown = url.pathname;
      document.title = doc.title;
      adopt(main, next);
      for (const a of ['lang', 'data-page', 'data-lang-fixed']) {
        if (next.hasAttribute(a)) main.setAttribute(a, next.getAttribute(a));
        else main.removeAttribute(a);
      }
      const sw = doc.querySelector('[data-lang-switch]');
      if (sw) adopt(document.querySelector('[data-lang-switch]') || sw, sw);
      const cur = doc.querySelector('a[data-nav-id][aria-current]')?.dataset.navId;
      for (const a of document.querySelectorAll('a[data-nav-id]')) {
        if (a.dataset.navId === cur) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
      }
      onSwap(main);
      const target = url.hash && document.getElementById(decodeURIComponent(url.hash.slice(1)));
      if (target) target.scrollIntoView();
      else scrollTo(0, (!push && history.state?.y) || 0);
      const h1 = main.querySelector('h1') || main;
      h1.tabIndex = -1;
      h1.focus({ preventScroll: true });
    } catch {
      if (id === seq) (push ? location.assign(url.href) : location.reload());
    } finally {
      if (id === seq) html.classList.remove('is-loading');
    }
  }

  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[href]');
    if (!a || e.defaultPrevented || e.button || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if ((a.target && a.target !== '_self') || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !isPage(url.pathname)) return;
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
    e.preventDefault();
    go(url, true);
  });
  addEventListener('popstate', () => location.pathname !== shown && go(new URL(location.href), false));
}
