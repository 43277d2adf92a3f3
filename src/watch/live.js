// portalgen watch: live reload, in-place stylesheet swaps and the build-error overlay.
// Served only by the dev server; never part of a built bundle.

const STREAM = '/__portalgen/events';
let overlay = null;

function swapStylesheet(href) {
  const links = [...document.querySelectorAll('link[rel="stylesheet"]')]
    .filter((link) => new URL(link.href).pathname.startsWith('/assets/'));
  if (links.length === 0) {
    location.reload();
    return;
  }
  for (const old of links) {
    const next = old.cloneNode();
    next.href = href;
    // The old sheet stays until the new one has loaded, so the page never flashes unstyled.
    next.addEventListener('load', () => old.remove(), { once: true });
    old.after(next);
  }
}

function where(d) {
  if (!d.file) return '';
  return d.line ? `${d.file}:${d.line}:${d.column || 1}` : d.file;
}

function showErrors(diagnostics) {
  hideErrors();
  const host = document.createElement('portalgen-overlay');
  const root = host.attachShadow({ mode: 'open' });
  const styles = document.createElement('link');
  styles.rel = 'stylesheet';
  styles.href = '/__portalgen/live.css';
  const panel = document.createElement('section');
  panel.setAttribute('role', 'alertdialog');
  panel.setAttribute('aria-label', 'Build error');
  const heading = document.createElement('h2');
  heading.textContent = diagnostics.length === 1 ? 'Build error' : `${diagnostics.length} build errors`;
  const close = document.createElement('button');
  close.type = 'button';
  close.textContent = 'Dismiss';
  close.addEventListener('click', hideErrors);
  const note = document.createElement('p');
  note.textContent = 'The page shows the last good build. Fix the file and this goes away.';
  panel.append(heading, note);
  for (const d of diagnostics) {
    const item = document.createElement('article');
    const place = document.createElement('strong');
    place.textContent = where(d);
    const message = document.createElement('p');
    message.textContent = d.message;
    const detail = document.createElement('pre');
    detail.textContent = d.rendered || '';
    item.append(place, message, detail);
    panel.append(item);
    console.error(`portalgen: ${where(d)} ${d.message}\n${d.rendered || ''}`);
  }
  panel.append(close);
  root.append(styles, panel);
  document.documentElement.append(host);
  overlay = host;
}

function hideErrors() {
  if (overlay) overlay.remove();
  overlay = null;
}

const events = new EventSource(STREAM);
events.addEventListener('hello', () => {
  document.documentElement.dataset.portalgenLive = 'connected';
});
events.addEventListener('css', (event) => {
  const data = JSON.parse(event.data);
  if (data.stylesheet) swapStylesheet(data.stylesheet);
  else location.reload();
});
events.addEventListener('reload', () => location.reload());
events.addEventListener('error', (event) => {
  // The stream's own connection errors carry no data; build errors do.
  if (event.data) showErrors(JSON.parse(event.data).diagnostics);
});
events.addEventListener('ok', hideErrors);
