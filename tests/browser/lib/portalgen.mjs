// Running portalgen for browser tests: a temporary copy of the example workspace and the
// binary started in it, stopped again when the test ends.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const binary = process.env.PORTALGEN_BIN || join(repo, 'target/debug/portalgen');

/** A temporary copy of tenants/, themes/ and help/. */
export function workspace() {
  const root = mkdtempSync(join(tmpdir(), 'portalgen-browser-'));
  for (const dir of ['tenants', 'themes', 'help']) {
    cpSync(join(repo, dir), join(root, dir), { recursive: true });
  }
  return {
    root,
    path: (rel) => join(root, rel),
    read: (rel) => readFileSync(join(root, rel), 'utf8'),
    /** Saves like an editor that writes a temporary file and renames it over the old one. */
    save(rel, text) {
      const file = join(root, rel);
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Starts `portalgen watch --port 0` in `ws`; resolves once it serves, with its port. */
export function startWatch(ws, args = []) {
  const child = spawn(binary, ['watch', '--port', '0', ...args], {
    cwd: ws.root,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk) => { output += chunk; });
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`watch did not start:\n${output}`)), 30000);
    child.on('exit', (code) => reject(new Error(`watch exited with ${code}:\n${output}`)));
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const found = /serving http:\/\/localhost:(\d+)\//.exec(output);
      if (found) {
        clearTimeout(timer);
        resolvePort({
          port: Number(found[1]),
          url: (slug, path = '/') => `http://${slug}.localhost:${found[1]}${path}`,
          output: () => output,
          stop: () => new Promise((done) => {
            if (child.exitCode !== null) return done(child.exitCode);
            child.once('exit', (code) => done(code));
            child.kill('SIGTERM');
          }),
        });
      }
    });
  });
}
