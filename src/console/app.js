// app.js -- the console's frame: logging in with the operator key, the
// header (the server's clock, the device the console acts as), and the
// sections, one per #/hash so the browser's back button and links work.
import { call, logout, session } from './api.js';
import { announce, clear, h, problem } from './dom.js';
import * as add from './view-add.js';
import * as devices from './view-devices.js';
import * as directory from './view-directory.js';
import * as faults from './view-faults.js';
import * as groups from './view-groups.js';
import * as invitations from './view-invitations.js';
import * as log from './view-log.js';
import * as messages from './view-messages.js';
import * as sandbox from './view-sandbox.js';
import * as webhooks from './view-webhooks.js';

// One view per section of the nav (index.html); each exports
// render(main, ctx, parts, query) and may return a cleanup function.
const views = { groups, add, invitations, messages, directory, devices, webhooks, sandbox, faults, log };
const $ = (id) => document.getElementById(id);

// The server's clock, learnt from GET /admin/clock and ticked locally so
// countdowns need no polling. ms since the epoch.
const clock = {
  offset: 0, // server now - local now
  sandbox: false,
  now() {
    return Date.now() + this.offset;
  },
  learn(iso) {
    this.offset = Date.parse(iso) - Date.now();
  },
  async refresh() {
    const r = await call('GET', '/admin/clock');
    if (r.ok) {
      this.learn(r.body.data.now);
      this.sandbox = r.body.data.sandbox;
      this.offsetSeconds = r.body.data.offset_seconds;
    }
    return r;
  },
};

const ctx = {
  clock,
  devices: [],
  get acting() {
    return session.acting;
  },
  async loadDevices() {
    const r = await call('GET', '/admin/devices');
    if (r.ok) {
      this.devices = r.body.data;
      fillActing();
    }
    return r;
  },
  setActing(phone) {
    session.acting = phone;
    fillActing();
    announce(`The console now acts as device ${phone}`);
    route();
  },
};

function fillActing() {
  const sel = $('acting');
  if (!session.acting || !ctx.devices.some((d) => d.phone === session.acting)) {
    session.acting = ctx.devices[0]?.phone ?? null;
  }
  clear(
    sel,
    ctx.devices.length === 0 ? h('option', { value: '' }, 'no device yet') : null,
    ctx.devices.map((d) => h('option', { value: d.phone, selected: d.phone === session.acting }, d.phone)),
  );
}

function tickClock() {
  const iso = new Date(clock.now()).toISOString().slice(0, 19).replace('T', ' ');
  const off = clock.sandbox && clock.offsetSeconds ? ` (sandbox +${clock.offsetSeconds} s)` : '';
  $('clock').textContent = `Server time ${iso} UTC${off}`;
}

let cleanup = null;

// Renders the section the hash names: #/groups, #/groups/2, #/add?group=2 ...
async function route() {
  if (!session.key) return;
  const hash = location.hash.replace(/^#\/?/, '') || 'groups';
  const [pathPart, query = ''] = hash.split('?');
  const parts = pathPart.split('/').filter(Boolean);
  const name = views[parts[0]] ? parts[0] : 'groups';
  document.querySelectorAll('.nav a').forEach((a) => {
    if (a.dataset.section === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  if (cleanup) cleanup();
  cleanup = null;
  const main = clear($('main'));
  try {
    cleanup = (await views[name].render(main, ctx, parts.slice(1), new URLSearchParams(query))) ?? null;
  } catch (e) {
    main.append(h('p', { class: 'error', role: 'alert' }, String(e.message ?? e)));
  }
  const heading = main.querySelector('h1');
  if (heading && document.activeElement?.closest?.('main') == null && !route.first) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
  route.first = false;
}
route.first = true;

async function enter() {
  $('login').hidden = true;
  $('shell').hidden = false;
  $('status').hidden = false;
  await Promise.all([clock.refresh(), ctx.loadDevices()]);
  tickClock();
  route();
}

function showLogin(message) {
  $('shell').hidden = true;
  $('status').hidden = true;
  $('login').hidden = false;
  const err = $('login-error');
  err.hidden = !message;
  err.textContent = message ?? '';
  $('key').focus();
}

async function login(ev) {
  ev.preventDefault();
  const key = $('key').value.trim();
  if (!key) return showLogin('Type the operator key first.');
  session.key = key;
  const r = await call('GET', '/admin/clock');
  if (r.status === 401) {
    session.key = null;
    return showLogin('That is not this server\'s operator key.');
  }
  if (!r.ok) {
    session.key = null;
    return showLogin(problem(r));
  }
  $('key').value = '';
  await enter();
  announce('Logged in');
}

window.addEventListener('DOMContentLoaded', async () => {
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', async () => {
    await logout();
    if (cleanup) cleanup();
    cleanup = null;
    clear($('main'));
    showLogin();
    announce('Logged out; the tokens this tab made were revoked');
  });
  $('acting').addEventListener('change', (e) => ctx.setActing(e.target.value));
  window.addEventListener('hashchange', route);
  setInterval(tickClock, 1000);
  if (!session.key) return showLogin();
  const r = await call('GET', '/admin/clock');
  if (r.ok) await enter();
  else {
    session.key = null;
    showLogin(r.status === 401 ? 'The kept key no longer works; log in again.' : problem(r));
  }
});

export { clock, ctx };
