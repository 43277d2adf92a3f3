// `portalgen serve --demo` for the browser tests (the JS twin of tests/common/serve.rs): the real
// binary on an ephemeral port in a temporary copy of the example workspace, mail delivered to a
// real SMTP server on loopback, its output collected, stopped (and the copy removed) by `stop()`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspace } from './portalgen.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const binary = () => process.env.PORTALGEN_BIN || join(repo, 'target/debug/portalgen');

/**
 * Starts `portalgen serve --demo --listen 127.0.0.1:0` in a temporary copy of tenants/, themes/
 * and help/; resolves once it listens.
 *
 * Options: `smtp` (from `startSmtp()`: mail goes there, else to `<dataDir>/outbox`); `clock`
 * (true: the server's "now" is a file holding the current unix time, moved on with
 * `advance(seconds)`, e.g. past the sign-in rate limits); `args` (more `serve` options).
 */
export async function startServe({ smtp, clock = false, args = [] } = {}) {
  const ws = workspace();
  const dataDir = ws.path('data');
  mkdirSync(dataDir, { recursive: true });
  const db = join(dataDir, 'db.sqlite');
  const secretFile = join(dataDir, 'secret.key');
  const clockFile = join(dataDir, 'clock');
  let now = Math.floor(Date.now() / 1000);
  const setTime = (unix) => {
    writeFileSync(`${clockFile}.tmp`, String(unix));
    renameSync(`${clockFile}.tmp`, clockFile);
    now = unix;
  };
  if (clock) setTime(now);

  const env = { ...process.env, NO_COLOR: '1' };
  for (const name of Object.keys(env)) {
    if (name.startsWith('PORTALGEN_') && name !== 'PORTALGEN_BIN') delete env[name];
  }
  if (clock) env.PORTALGEN_CLOCK_FILE = clockFile;

  const child = spawn(binary(), [
    'serve', '--demo', '--listen', '127.0.0.1:0',
    '--db', db, '--secret-file', secretFile, '--outbox', join(dataDir, 'outbox'),
    ...(smtp ? ['--smtp', `smtp://127.0.0.1:${smtp.port}`] : []),
    ...args,
  ], { cwd: ws.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Never outlive the test process, whatever way it ends.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk; });
  const output = () => `--- stdout\n${stdout}--- stderr\n${stderr}`;

  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`portalgen serve did not listen within 60 s:\n${output()}`)); }, 60000);
    const onExit = (code, signal) => { clearTimeout(timer); reject(new Error(`portalgen serve exited (${code ?? signal}) before listening:\n${output()}`)); };
    child.once('exit', onExit);
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    // Ready once the `listening on port N` line and the banner after it (indented lines, ended by
    // a line that is not) are complete, so `demoCustomers()` sees every sign-in.
    child.stdout.on('data', function listening() {
      const found = /listening on port (\d+)\n(?: .*\n)*[^ \n].*\n/.exec(stdout);
      if (!found) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout.off('data', listening);
      resolvePort(Number(found[1]));
    });
  }).catch((error) => { ws.remove(); throw error; });

  const keys = new Map();
  const server = {
    port,
    root: ws.root,
    dataDir,
    /** `http://<slug>.localhost:<port><path>` (Chromium resolves *.localhost to loopback). */
    url: (slug, path = '/') => `http://${slug}.localhost:${port}${path}`,
    host: (slug) => `${slug}.localhost:${port}`,
    output,
    /** The demo sign-ins of the banner: `{ slug: [{email, note}] }`. */
    demoCustomers: () => demoCustomers(stdout),
    /** The server's unix time (with `clock`: the time in the clock file). */
    now: () => (clock ? now : Math.floor(Date.now() / 1000)),
    /** Moves the server's clock on by `seconds` (needs `clock: true`). */
    advance(seconds) {
      if (!clock) throw new Error('startServe({ clock: true }) to move the clock');
      setTime(now + seconds);
    },
    /** `portalgen keys create --org <org>` on the server's store; the key it prints once. */
    createKey(org) {
      const run = spawnSync(binary(), ['keys', 'create', '--org', org, '--db', db, '--secret-file', secretFile], {
        cwd: ws.root, env, encoding: 'utf8',
      });
      const key = run.stdout.trim();
      if (run.status !== 0 || !/^pgk_[0-9a-f]{64}$/.test(key)) {
        throw new Error(`keys create --org ${org} failed (${run.status}):\n${run.stdout}${run.stderr}`);
      }
      return key;
    },
    /**
     * A magic sign-in link for `customerId` of `org`, as the retailer's backend gets it from
     * `POST /admin/magic_link` (`next` omitted when undefined).
     */
    async magicLink(org, customerId, next) {
      if (!keys.has(org)) keys.set(org, server.createKey(org));
      const body = { customerId, ...(next === undefined ? {} : { next }) };
      const answer = await http(port, {
        method: 'POST', host: `localhost:${port}`, path: '/admin/magic_link', body,
        headers: { Authorization: `Bearer ${keys.get(org)}` },
      });
      if (answer.status !== 200 || typeof answer.json?.link !== 'string') {
        throw new Error(`POST /admin/magic_link: ${answer.status} ${answer.text}`);
      }
      return answer.json.link;
    },
    /**
     * A request to the portal `slug` as its own pages send it (same-origin JSON);
     * `{status, headers, text, json}`.
     */
    request: (slug, method, path, { body, cookie, headers = {} } = {}) => http(port, {
      method, host: `${slug}.localhost:${port}`, path, body,
      headers: { 'Sec-Fetch-Site': 'same-origin', ...(cookie ? { Cookie: cookie } : {}), ...headers },
    }),
    /**
     * Signs `email` in on `slug` through the API with the code mailed to `smtp`; the session's
     * `{cookie, customer, get(path)}` (get: JSON of a GET, throws unless 200).
     */
    async apiSignIn(smtpServer, slug, email) {
      const before = smtpServer.count(email);
      const asked = await server.request(slug, 'POST', '/api/auth/code', { body: { email } });
      if (asked.status !== 202) throw new Error(`code request for ${email}: ${asked.status} ${asked.text}`);
      const code = await smtpServer.codeFor(email, { after: before });
      const verified = await server.request(slug, 'POST', '/api/auth/verify', { body: { email, code } });
      if (verified.status !== 200) throw new Error(`verify ${email}: ${verified.status} ${verified.text}`);
      const setCookie = verified.headers['set-cookie'];
      const cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie).split(';')[0];
      return {
        cookie,
        customer: verified.json.customer,
        async get(path) {
          const answer = await server.request(slug, 'GET', path, { cookie });
          if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${answer.text}`);
          return answer.json;
        },
      };
    },
    /** Stops the server and removes its workspace; resolves with the exit code. */
    stop: () => new Promise((done) => {
      const finish = (code) => { ws.remove(); done(code); };
      if (child.exitCode !== null || child.signalCode !== null) return finish(child.exitCode);
      child.once('exit', (code) => finish(code));
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }),
  };
  return server;
}

/**
 * The demo sign-ins listed in the start banner of `serve --demo`:
 * `{ slug: [{ email, note }] }` from lines `  <slug>  http://…` and `      sign in as <email>  (<note>)`.
 */
export function demoCustomers(output) {
  const customers = {};
  let current = null;
  for (const line of output.split('\n')) {
    const site = /^ {2}(\S+) {2}https?:\/\//.exec(line);
    if (site) {
      current = site[1];
      customers[current] = [];
      continue;
    }
    const account = /^ {6}sign in as (\S+)(?: {2}\((.*)\))?\s*$/.exec(line);
    if (account && current) customers[current].push({ email: account[1], note: account[2] ?? '' });
    else current = null;
  }
  return customers;
}

/** One HTTP/1.1 request to 127.0.0.1:`port` with Host `host`; `{status, headers, text, json}`. */
function http(port, { method = 'GET', host, path, body, headers = {} }) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const req = request({
      host: '127.0.0.1', port, method, path,
      headers: {
        Host: host,
        ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
        ...headers,
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error(`${method} ${host}${path}: no answer within 30 s`)));
    req.end(payload ?? undefined);
  });
}
