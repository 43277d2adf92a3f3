// config.json (URL from <link data-config>), fetched once and shared.
let p;
export function getConfig() {
  const link = document.querySelector('link[data-config]');
  p ||= fetch(link ? link.href : '/config.json').then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.status))));
  p.catch(() => { p = null; });
  return p;
}
