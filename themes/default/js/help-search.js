// Help search: filters the locale's search.json as you type (title, summary, category,
// keywords); results are built with DOM APIs. Without JS the full article list stays.
import { load, format } from './i18n.js';

const fold = (s) => String(s ?? '').toLowerCase().replace(/ß/g, 'ss').normalize('NFD').replace(/\p{M}/gu, '');
const el = (tag, cls, text) => Object.assign(document.createElement(tag), { className: cls, textContent: text });

function hit({ url, title, category, summary }) {
  const a = el('a', 'help-link', '');
  a.href = url;
  if (category) a.append(el('span', 'search-hit__category', category));
  a.append(el('span', 'help-link__title', title));
  if (summary) a.append(el('span', 'help-link__summary', summary));
  const li = el('li', '', '');
  li.append(a);
  return li;
}

export function initHelpSearch(root) {
  const form = root.querySelector('form[data-search-url]');
  if (!form || form.dataset.ready) return;
  form.dataset.ready = '1';
  const input = form.querySelector('input');
  const [status, list, browse] = ['status', 'list', 'browse'].map((n) => root.querySelector(`[data-search-${n}]`));
  let index = [];
  let msg = {};
  const ready = Promise.all([
    fetch(form.dataset.searchUrl).then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.status)))),
    load(form.closest('[lang]').lang).catch(() => ({})),
  ]).then(([items, strings]) => {
    msg = strings;
    index = items.map((a) => ({ a, title: fold(a.title), all: fold([a.title, a.summary, a.category, ...(a.keywords || [])].join(' ')) }));
  });

  const run = () => {
    const terms = fold(input.value).split(/\s+/).filter(Boolean);
    const score = (e) => terms.filter((w) => e.title.includes(w)).length;
    const hits = index.filter((e) => terms.every((w) => e.all.includes(w))).sort((x, y) => score(y) - score(x));
    list.replaceChildren(...hits.map((e) => hit(e.a)));
    list.hidden = !hits.length;
    browse.hidden = terms.length > 0;
    status.textContent = terms.length ? format(msg[hits.length ? 'help.search.count' : 'help.search.none'], { count: hits.length }) : '';
  };
  const update = () => ready.then(run, () => {});
  input.addEventListener('input', update);
  form.addEventListener('submit', (e) => { e.preventDefault(); update(); });
  input.value ||= new URLSearchParams(location.search).get('q') || '';
  if (input.value) update();
}
