// Sign-in: e-mail → six-digit code, or the confirm step of a magic link (?magic=…). The forms
// are prerendered in routes/login.html; this module wires them and lands on `next`.
import { api } from '../api.js';
import { session } from '../session.js';
import { t } from '../i18n.js';

/** `next` if it is a path of this portal, else the dashboard (no open redirects). */
export function safeNext(raw) {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return '/';
  const url = new URL(raw, location.origin);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/login')) return '/';
  return url.pathname + url.search + url.hash;
}

const minutes = (s) => Math.max(1, Math.ceil(s / 60));

function message(err, step) {
  if (err.status === 429) return t('login.error.rate_limited', { minutes: minutes(err.retryAfter || 60) });
  if (err.status === 0) return t('common.error.offline');
  if (err.status === 400 && step === 'email') return t('login.error.email');
  if (err.status === 401 && step === 'code') return t('login.error.code');
  if (err.status === 401 && step === 'magic') return t('login.error.magic');
  if (err.status === 400 && step === 'code') return t('login.error.code_format');
  return t('common.error.other');
}

export async function mount(el) {
  const params = new URLSearchParams(location.search);
  const next = safeNext(params.get('next'));
  const token = params.get('magic');
  if (!token && (await session().catch(() => null))) return location.replace(next);

  const form = (step) => el.querySelector(`form[data-login-step="${step}"]`);
  const steps = { email: form('email'), code: form('code'), magic: form('magic') };
  const emailInput = steps.email.elements.email;
  const codeInput = steps.code.elements.code;
  const resend = el.querySelector('[data-login-resend]');
  let cooldown;

  const error = (step, text) => {
    const p = steps[step].querySelector('[data-login-error]');
    p.textContent = text || '';
    p.hidden = !text;
    steps[step].querySelector('input')?.setAttribute('aria-invalid', text ? 'true' : 'false');
  };
  const show = (step, focus = true) => {
    for (const [name, f] of Object.entries(steps)) f.hidden = name !== step;
    if (focus) (steps[step].querySelector('input') || steps[step].querySelector('button')).focus();
  };
  const busy = (f, on) => {
    f.setAttribute('aria-busy', String(on));
    for (const b of f.querySelectorAll('button[type="submit"]')) b.disabled = on;
  };
  const startCooldown = (seconds) => {
    clearInterval(cooldown);
    const until = Date.now() + seconds * 1000;
    const label = resend.querySelector('span');
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      resend.disabled = left > 0;
      label.textContent = left > 0 ? t('login.resend_in', { seconds: left }) : t('login.resend');
      if (left <= 0) clearInterval(cooldown);
    };
    tick();
    cooldown = setInterval(tick, 1000);
  };
  const requestCode = async () => {
    try {
      const answer = await api('/auth/code', { method: 'POST', body: { email: emailInput.value.trim() } });
      startCooldown(answer?.resend_after ?? 60);
      return true;
    } catch (err) {
      // A code was requested for this address less than a minute ago: it is still valid.
      if (err.status === 429 && err.retryAfter && err.retryAfter <= 60) {
        startCooldown(err.retryAfter);
        return true;
      }
      throw err;
    }
  };

  steps.email.addEventListener('submit', async (e) => {
    e.preventDefault();
    error('email');
    if (!emailInput.checkValidity()) return error('email', t('login.error.email'));
    busy(steps.email, true);
    try {
      await requestCode();
      el.querySelector('[data-login-sent]').textContent = t('login.code_sent_to', { email: emailInput.value.trim() });
      codeInput.value = '';
      error('code');
      show('code');
    } catch (err) {
      error('email', message(err, 'email'));
    } finally {
      busy(steps.email, false);
    }
  });

  codeInput.addEventListener('input', () => {
    const digits = codeInput.value.replace(/\D/g, '').slice(0, 6);
    if (digits !== codeInput.value) codeInput.value = digits;
  });
  codeInput.addEventListener('paste', (e) => {
    const digits = (e.clipboardData?.getData('text') || '').replace(/\D/g, '');
    if (!digits) return;
    e.preventDefault();
    codeInput.value = digits.slice(0, 6);
    if (codeInput.value.length === 6) steps.code.requestSubmit();
  });

  steps.code.addEventListener('submit', async (e) => {
    e.preventDefault();
    error('code');
    if (!/^\d{6}$/.test(codeInput.value)) return error('code', t('login.error.code_format'));
    busy(steps.code, true);
    try {
      await api('/auth/verify', { method: 'POST', body: { email: emailInput.value.trim(), code: codeInput.value } });
      location.assign(next);
    } catch (err) {
      error('code', message(err, 'code'));
      codeInput.select();
      busy(steps.code, false);
    }
  });

  resend.addEventListener('click', async () => {
    error('code');
    try {
      await requestCode();
      el.querySelector('[data-login-sent]').textContent = t('login.code_resent', { email: emailInput.value.trim() });
      codeInput.focus();
    } catch (err) {
      error('code', message(err, 'email'));
    }
  });
  for (const back of el.querySelectorAll('[data-login-back]')) {
    back.addEventListener('click', () => {
      history.replaceState(null, '', `/login/${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`);
      show('email');
    });
  }

  steps.magic.addEventListener('submit', async (e) => {
    e.preventDefault();
    error('magic');
    busy(steps.magic, true);
    try {
      const signedIn = await api('/auth/magic', { method: 'POST', body: { token } });
      location.assign(safeNext(signedIn?.next || next));
    } catch (err) {
      error('magic', message(err, 'magic'));
      busy(steps.magic, false);
    }
  });

  if (token) show('magic', false);
}
