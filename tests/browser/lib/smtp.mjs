// A real SMTP server on 127.0.0.1 for the browser tests (the JS twin of tests/common/smtp.rs):
// it speaks enough of RFC 5321 for portalgen's mail client (EHLO/HELO, MAIL, RCPT, DATA, RSET,
// NOOP, QUIT), keeps every message, and decodes its parts (quoted-printable, base64, RFC 2047
// headers) so tests read what a customer would read.
import { createServer } from 'node:net';

/**
 * Starts the server on an ephemeral port.
 * @returns {Promise<{port: number, url: string, messages: object[], count: (to: string) => number,
 *   waitFor: (to: string, options?: {after?: number|Date, timeout?: number}) => Promise<object>,
 *   codeFor: (to: string, options?: {after?: number|Date, timeout?: number}) => Promise<string>,
 *   stop: () => Promise<void>}>}
 */
export async function startSmtp() {
  const messages = [];
  const waiters = new Set();
  const sockets = new Set();

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.setTimeout(30000, () => socket.destroy());
    session(socket, (message) => {
      messages.push(message);
      for (const waiter of waiters) waiter();
    });
  });
  await new Promise((ready, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ready);
  });
  const { port } = server.address();

  const addressedTo = (to) => messages.filter((m) => m.to.some((t) => t.toLowerCase() === to.toLowerCase()));

  /** Messages to `to` that count as new for `after` (a count of earlier ones, or a time). */
  const newer = (to, after) => {
    const all = addressedTo(to);
    if (after instanceof Date) return all.filter((m) => m.receivedAt > after);
    return all.slice(after ?? 0);
  };

  function waitFor(to, { after, timeout = 15000 } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = newer(to, after);
        if (found.length === 0) return false;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found[found.length - 1]);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        const seen = messages.map((m) => `${m.to.join(',')}: ${m.subject}`).join('\n  ') || '(none)';
        reject(new Error(`no mail to ${to} within ${timeout} ms (after ${after ?? 0}); received:\n  ${seen}`));
      }, timeout);
      waiters.add(check);
      check();
    });
  }

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    /** How many messages `to` has received so far (pass it as `after` before triggering a mail). */
    count: (to) => addressedTo(to).length,
    waitFor,
    /** The six-digit code of the newest mail to `to` (waiting for one newer than `after`). */
    async codeFor(to, options = {}) {
      const mail = await waitFor(to, options);
      if (!mail.code) throw new Error(`no six-digit code in the mail to ${to}:\n${mail.text}`);
      return mail.code;
    },
    stop: () => new Promise((done) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => done());
    }),
  };
}

/** One SMTP conversation on `socket`; every message accepted is passed to `deliver`. */
function session(socket, deliver) {
  const reply = (line) => { if (!socket.destroyed) socket.write(`${line}\r\n`); };
  let pending = Buffer.alloc(0);
  let from = '';
  let to = [];
  let data = null; // Buffer[] while inside DATA

  reply('220 test-smtp ESMTP ready');
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    let end;
    while ((end = pending.indexOf('\r\n')) !== -1) {
      const line = pending.subarray(0, end);
      pending = pending.subarray(end + 2);
      if (data) {
        if (line.length === 1 && line[0] === 0x2e) {
          const raw = Buffer.concat(data).toString('utf8');
          data = null;
          deliver(parseMessage(from, to, raw));
          reply('250 OK: queued');
        } else {
          // Dot-stuffing: a leading dot was doubled by the client.
          data.push(line[0] === 0x2e ? line.subarray(1) : line, Buffer.from('\r\n'));
        }
        continue;
      }
      command(line.toString('utf8'));
    }
  });

  function command(text) {
    const upper = text.toUpperCase();
    if (upper.startsWith('EHLO')) {
      socket.write('250-test-smtp\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n');
    } else if (upper.startsWith('HELO') || upper.startsWith('NOOP')) {
      reply('250 OK');
    } else if (upper.startsWith('MAIL FROM:')) {
      from = addressIn(text);
      to = [];
      reply('250 OK');
    } else if (upper.startsWith('RCPT TO:')) {
      to.push(addressIn(text));
      reply('250 OK');
    } else if (upper === 'DATA') {
      if (to.length === 0) return reply('503 RCPT first');
      data = [];
      reply('354 End data with <CR><LF>.<CR><LF>');
    } else if (upper.startsWith('RSET')) {
      from = '';
      to = [];
      reply('250 OK');
    } else if (upper.startsWith('QUIT')) {
      reply('221 Bye');
      socket.end();
    } else {
      reply('502 Command not implemented');
    }
  }
}

function addressIn(command) {
  const found = /<([^>]*)>/.exec(command);
  return found ? found[1] : command.slice(command.indexOf(':') + 1).trim().split(/\s/)[0];
}

// --- MIME

/** `{from, to, subject, text, html, code, raw, headers, receivedAt}` of a transmitted message. */
export function parseMessage(from, to, raw) {
  const entity = parseEntity(raw);
  const parts = [];
  collectParts(entity, parts);
  const text = parts.find((p) => p.type === 'text/plain')?.body ?? '';
  const html = parts.find((p) => p.type === 'text/html')?.body ?? '';
  return {
    from,
    to: [...to],
    subject: decodeWords(entity.headers.subject ?? ''),
    headers: entity.headers,
    text,
    html,
    code: sixDigits(text),
    raw,
    receivedAt: new Date(),
  };
}

/** Headers (lower-cased names, unfolded; the first of each name) and body of a MIME entity. */
function parseEntity(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!(name in headers)) headers[name] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function headerParam(value, name) {
  const found = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value ?? '');
  return found ? (found[1] ?? found[2]) : null;
}

function collectParts(entity, out) {
  const contentType = entity.headers['content-type'] ?? 'text/plain';
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = headerParam(contentType, 'boundary');
    if (!boundary) return;
    const pieces = entity.body.split(new RegExp(`\\r?\\n?--${escapeRegExp(boundary)}(?:--)?[ \\t]*\\r?\\n?`));
    // The first piece is the preamble, the last the epilogue.
    for (const piece of pieces.slice(1, -1)) {
      if (piece.trim()) collectParts(parseEntity(piece), out);
    }
    return;
  }
  if (type.startsWith('text/')) {
    const encoding = (entity.headers['content-transfer-encoding'] ?? '').toLowerCase();
    const charset = headerParam(contentType, 'charset') ?? 'utf-8';
    out.push({ type, body: decodeBody(entity.body, encoding, charset) });
  }
}

function decodeBody(body, encoding, charset) {
  const enc = /^(utf-?8|us-ascii)$/i.test(charset) ? 'utf8' : 'latin1';
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString(enc);
  if (encoding === 'quoted-printable') return quotedPrintable(body).toString(enc);
  return body;
}

function quotedPrintable(text) {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i], 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

/** A header with RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) decoded. */
export function decodeWords(value) {
  return value
    .replace(/(=\?[^?]+\?[bBqQ]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, charset, kind, text) => {
      const enc = /^utf-?8$/i.test(charset) ? 'utf8' : 'latin1';
      if (kind.toLowerCase() === 'b') return Buffer.from(text, 'base64').toString(enc);
      return quotedPrintable(text.replace(/_/g, ' ')).toString(enc);
    });
}

/** The first run of exactly six digits: the sign-in code. */
function sixDigits(text) {
  return /(?<!\d)(\d{6})(?!\d)/.exec(text)?.[1] ?? null;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
