// Portal benchmark: what a customer's browser downloads on the first load of each route, and
// Lighthouse mobile scores, for every demo portal of `portalgen serve --demo`.
//
//   npm ci --prefix benches/portal && node benches/portal/bench.mjs [options]
//
//   --binary <path>     portalgen binary (default target/release/portalgen, built when missing)
//   --slugs a,b         portals to measure (default: every slug the demo serves)
//   --lighthouse a,b    routes Lighthouse scores (default /,/invoices/; "none" skips it)
//   --runs <n>          Lighthouse runs per route, the median is reported (default 3)
//
// First load = a fresh browser context (empty cache) signed in with a real session cookie, the
// route opened and left until its data view has rendered. JS + CSS is counted as gzip -9 of each
// script and stylesheet body, i.e. what a CDN serving the bundle compressed transfers; the
// runtime files (config.json, the UI strings) and the API's JSON are listed separately; logo and
// fonts are not counted. Results: a table on stdout and benches/results/portal-latest.json.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import lighthouse from 'lighthouse';
import { launch as launchChrome } from 'chrome-launcher';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ROUTES = ['/', '/invoices/', '/consumption/', '/tariff/', '/account/', '/orders/', '/help/'];
const CHROME_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

function options() {
  const args = process.argv.slice(2);
  const value = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : fallback;
  };
  return {
    binary: resolve(value('--binary', join(repo, 'target/release/portalgen'))),
    slugs: value('--slugs', '') ? value('--slugs').split(',') : null,
    lighthouse: value('--lighthouse', '/,/invoices/') === 'none' ? [] : value('--lighthouse', '/,/invoices/').split(','),
    runs: Number(value('--runs', '3')),
  };
}

/** `portalgen serve --demo` on a free port in a temporary copy of the workspace. */
async function startServe(binary) {
  const root = mkdtempSync(join(tmpdir(), 'portalgen-portal-bench-'));
  for (const dir of ['tenants', 'themes', 'help']) cpSync(join(repo, dir), join(root, dir), { recursive: true });
  const child = spawn(binary, ['serve', '--demo', '--listen', '127.0.0.1:0', '--outbox', join(root, 'outbox'),
    '--db', join(root, 'portalgen.db'), '--secret-file', join(root, 'secret.key'), '--dist', join(root, 'dist')],
  { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => { output += c; });
  child.stderr.on('data', (c) => { output += c; });
  const port = await new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not start:\n${output}`)), 60000);
    const poll = setInterval(() => {
      const found = /listening on port (\d+)/.exec(output);
      if (!found || !/Ctrl-C/.test(output)) return;
      clearInterval(poll);
      clearTimeout(timer);
      done(Number(found[1]));
    }, 50);
    child.on('exit', (code) => fail(new Error(`serve exited with ${code}:\n${output}`)));
  });
  const customers = {};
  for (const m of output.matchAll(/^ {2}(\S+) {2}http:\/\/\S+\n {6}sign in as (\S+)/gm)) customers[m[1]] = m[2];
  return {
    port, root, customers,
    stop() { child.kill('SIGTERM'); rmSync(root, { recursive: true, force: true }); },
  };
}

function call(port, slug, method, path, body, cookie) {
  const host = `${slug}.localhost:${port}`;
  const data = body ? JSON.stringify(body) : undefined;
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: {
      Host: host, Origin: `http://${host}`, 'Content-Type': 'application/json', ...(cookie ? { Cookie: cookie } : {}),
    } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => done({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', fail);
    req.end(data);
  });
}

/** A real sign-in: code request, the code from the outbox mail, verify → the session cookie. */
async function signIn(server, slug) {
  const email = server.customers[slug];
  const outbox = join(server.root, 'outbox');
  const before = new Set(existsSync(outbox) ? readdirSync(outbox) : []);
  const asked = await call(server.port, slug, 'POST', '/api/auth/code', { email });
  if (asked.status !== 202 && asked.status !== 200) throw new Error(`code request for ${email}: ${asked.status} ${asked.text}`);
  let mail;
  for (let i = 0; i < 100 && !mail; i++) {
    await new Promise((r) => setTimeout(r, 50));
    mail = (existsSync(outbox) ? readdirSync(outbox) : []).find((f) => !before.has(f));
  }
  if (!mail) throw new Error(`no sign-in mail for ${email}`);
  await new Promise((r) => setTimeout(r, 100));
  const code = /\b(\d{6})\b/.exec(readFileSync(join(outbox, mail), 'utf8').replace(/=\r?\n/g, ''))[1];
  const verified = await call(server.port, slug, 'POST', '/api/auth/verify', { email, code });
  const cookie = String(verified.headers['set-cookie'] || '').split(';')[0];
  if (verified.status !== 200 || !cookie) throw new Error(`verify for ${email}: ${verified.status} ${verified.text}`);
  return cookie;
}

/** Bytes of one first load of `route`, grouped: JS+CSS (gzip), runtime JSON, API JSON, images. */
async function firstLoad(browser, port, slug, route, cookie) {
  const [name, value] = cookie.split('=');
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await context.addCookies([{ name, value, domain: `${slug}.localhost`, path: '/' }]);
  const page = await context.newPage();
  const bodies = [];
  page.on('response', (res) => bodies.push(res.body().then((b) => ({ url: res.url(), type: res.request().resourceType(), bytes: b }), () => null)));
  await page.goto(`http://${slug}.localhost:${port}${route}`);
  await page.waitForFunction(() => ![...document.querySelectorAll('.view')].some((v) => v.getAttribute('aria-busy') === 'true'), null, { timeout: 20000 });
  await page.waitForLoadState('networkidle');
  const sizes = { code: 0, codeRaw: 0, files: 0, runtime: 0, api: 0 };
  for (const item of (await Promise.all(bodies)).filter(Boolean)) {
    const path = new URL(item.url).pathname;
    if (item.type === 'script' || item.type === 'stylesheet') {
      sizes.code += gzipSync(item.bytes, { level: 9 }).length;
      sizes.codeRaw += item.bytes.length;
      sizes.files += 1;
    } else if (path.startsWith('/api/')) sizes.api += gzipSync(item.bytes, { level: 9 }).length;
    else if (path.endsWith('.json')) sizes.runtime += gzipSync(item.bytes, { level: 9 }).length;
  }
  await context.close();
  return sizes;
}

async function lighthouseScores(port, slug, route, cookie, runs) {
  const chrome = await launchChrome({ chromePath: CHROMIUM, chromeFlags: CHROME_FLAGS });
  const results = [];
  try {
    for (let i = 0; i < runs; i++) {
      const { lhr } = await lighthouse(`http://${slug}.localhost:${port}${route}`, {
        port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility'],
        extraHeaders: { Cookie: cookie },
      });
      results.push({
        performance: Math.round(lhr.categories.performance.score * 100),
        accessibility: Math.round(lhr.categories.accessibility.score * 100),
        fcp: lhr.audits['first-contentful-paint'].numericValue,
        lcp: lhr.audits['largest-contentful-paint'].numericValue,
        tbt: lhr.audits['total-blocking-time'].numericValue,
        cls: lhr.audits['cumulative-layout-shift'].numericValue,
        // Each metric's own score (0–1): which one keeps the category below 100.
        metricScores: Object.fromEntries(['first-contentful-paint', 'largest-contentful-paint', 'speed-index', 'total-blocking-time', 'cumulative-layout-shift']
          .map((id) => [id, lhr.audits[id].score])),
        finalUrl: lhr.finalDisplayedUrl,
        shifts: (lhr.audits['layout-shifts']?.details?.items || []).map((i) => ({ score: i.score, node: i.node?.snippet, label: i.node?.nodeLabel })),
      });
    }
  } finally {
    await chrome.kill();
  }
  const median = (key) => results.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
  return { runs: results, performance: median('performance'), accessibility: median('accessibility'),
    fcp: median('fcp'), lcp: median('lcp'), tbt: median('tbt'), cls: median('cls') };
}

const kb = (n) => (n / 1024).toFixed(1);

async function main() {
  const opts = options();
  if (!existsSync(opts.binary)) {
    const built = spawnSync('cargo', ['build', '--release'], { cwd: repo, stdio: 'inherit' });
    if (built.status !== 0) process.exit(1);
  }
  const server = await startServe(opts.binary);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const report = {
    date: new Date().toISOString(), machine: { cpus: cpus().length, cpu: cpus()[0]?.model, ramGB: Math.round(totalmem() / 2 ** 30) },
    git: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).stdout.trim(),
    portals: {},
  };
  try {
    for (const slug of opts.slugs || Object.keys(server.customers)) {
      const cookie = await signIn(server, slug);
      const routes = {};
      for (const route of ROUTES) routes[route] = await firstLoad(browser, server.port, slug, route, cookie);
      const scores = {};
      for (const route of opts.lighthouse) scores[route] = await lighthouseScores(server.port, slug, route, cookie, opts.runs);
      report.portals[slug] = { routes, lighthouse: scores };
      const worst = Math.max(...Object.values(routes).map((r) => r.code));
      console.log(`\n${slug}: largest first load ${kb(worst)} KB JS+CSS gzip (target ≤ 35 KB)`);
      console.log('route            JS+CSS gzip   raw      files  config+strings  API JSON');
      for (const [route, s] of Object.entries(routes)) {
        console.log(`${route.padEnd(16)} ${kb(s.code).padStart(8)} KB ${kb(s.codeRaw).padStart(7)} KB ${String(s.files).padStart(5)} ${kb(s.runtime).padStart(10)} KB ${kb(s.api).padStart(9)} KB`);
      }
      for (const [route, s] of Object.entries(scores)) {
        console.log(`  metric scores (first run): ${JSON.stringify(s.runs[0].metricScores)}`);
        for (const shift of s.runs.flatMap((r) => r.shifts)) console.log(`  layout shift ${(shift.score ?? 0).toFixed(3)} ${shift.node ?? shift.label ?? ""}`);
        console.log(`lighthouse ${route}: performance ${s.performance}, accessibility ${s.accessibility} (median of ${s.runs.length}; FCP ${Math.round(s.fcp)} ms, LCP ${Math.round(s.lcp)} ms, TBT ${Math.round(s.tbt)} ms, CLS ${s.cls.toFixed(3)})`);
      }
    }
  } finally {
    await browser.close();
    server.stop();
  }
  mkdirSync(join(repo, 'benches/results'), { recursive: true });
  writeFileSync(join(repo, 'benches/results/portal-latest.json'), `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
