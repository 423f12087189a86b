// view-sandbox.js -- the sandbox clock; what people do on their own
// phones (accept a private invitation, join by an invite link, leave); and
// the world as a whole: reset it (POST /admin/reset), load one (POST
// /admin/seed), download it (GET /admin/export).
import { call, session } from './api.js';
import { announce, clear, copyButton, field, h, pad, problem } from './dom.js';

export async function render(main, ctx) {
  main.append(h('h1', null, 'Sandbox'));
  await ctx.clock.refresh();
  const now = h('p', { id: 'sandbox-now', role: 'status' });
  const showNow = () => {
    const d = new Date(ctx.clock.now());
    now.textContent = `Server time: ${d.toISOString().slice(0, 19).replace('T', ' ')} UTC; offset ${ctx.clock.offsetSeconds ?? 0} s`;
  };
  showNow();
  const timer = setInterval(showNow, 1000);
  const advance = async (seconds) => {
    const r = await call('POST', '/admin/clock/advance', { body: { seconds } });
    if (!r.ok) return announce(problem(r), 'error');
    await ctx.clock.refresh();
    showNow();
    announce(`The clock moved forward; it is now ${r.body.data.now}`);
  };
  const target = h('input', { id: 'clock-to', type: 'datetime-local', step: 1 });
  const toDate = async (ev) => {
    ev.preventDefault();
    if (!target.value) return announce('Choose a date and time first', 'error');
    const want = Date.parse(`${target.value.length === 16 ? `${target.value}:00` : target.value}Z`);
    const seconds = Math.ceil((want - ctx.clock.now()) / 1000);
    if (!(seconds >= 0)) return announce('The clock only moves forward: choose a later time', 'error');
    await advance(seconds);
  };
  const d = new Date(ctx.clock.now() + 86400000);
  target.value = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;

  main.append(
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'clock-title' },
      h('h2', { id: 'clock-title' }, 'Clock'),
      now,
      ctx.clock.sandbox
        ? [
            h('p', { class: 'hint' }, 'Moves the time every rule reads: the rate window, the UTC day, invitation expiry. It only moves forward.'),
            h(
              'div',
              { class: 'row' },
              h('button', { type: 'button', id: 'adv-minute', onclick: () => advance(60) }, '+1 minute'),
              h('button', { type: 'button', id: 'adv-hour', onclick: () => advance(3600) }, '+1 hour'),
              h('button', { type: 'button', id: 'adv-day', onclick: () => advance(86400) }, '+1 day'),
            ),
            h('form', { class: 'row', onsubmit: toDate }, field('Advance to (UTC)', target), h('button', { type: 'submit' }, 'Advance')),
          ]
        : h('p', null, 'This server was started without --sandbox: its clock cannot be moved.'),
    ),
    personPanel(),
    ctx.clock.sandbox ? resetPanel(ctx, showNow) : null,
    worldPanel(),
  );
  return () => clearInterval(timer);
}

function personPanel() {
  const out = h('div', { id: 'person-out', 'aria-live': 'polite' });
  const phone = h('input', { id: 'person-phone', inputmode: 'tel', autocomplete: 'off' });
  const group = h('input', { id: 'person-group', inputmode: 'numeric', size: 6 });
  const code = h('input', { id: 'person-code', autocomplete: 'off', spellcheck: 'false' });
  const act = (what) => async () => {
    const body = what === 'join' ? { invite_code: code.value.trim() } : { group_id: group.value.trim() };
    const r = await call('POST', `/admin/directory/${encodeURIComponent(phone.value.trim())}/${what}`, { body });
    clear(out, h('p', { class: r.ok ? 'ok' : 'error', role: r.ok ? 'status' : 'alert' }, r.ok ? `${r.body.message}: ${phone.value.trim()} ${r.body.data.status}, group ${r.body.data.group_id}` : problem(r)));
  };
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'person-title' },
    h('h2', { id: 'person-title' }, 'What a person does'),
    h('p', { class: 'hint' }, 'Stands in for what people do on their own phones.'),
    h('div', { class: 'row' }, field('Their number', phone), field('Group ID', group), field('Invite link or code (to join)', code)),
    h(
      'div',
      { class: 'row' },
      h('button', { type: 'button', onclick: act('accept') }, 'Accepts the invitation'),
      h('button', { type: 'button', onclick: act('join') }, 'Joins by the link'),
      h('button', { type: 'button', class: 'danger', onclick: act('leave') }, 'Leaves the group'),
    ),
    out,
  );
}

// "loaded": {"users": 15, ...} in words.
function loadedText(l) {
  return `${l.users} people, ${l.devices} new devices, ${l.tokens} tokens, ${l.groups} groups, ${l.participants} participants`;
}

// The validation failures of a refused seed or reset, one per line.
function problems(r) {
  const errors = r.body?.errors;
  if (!errors) return h('p', { class: 'error', role: 'alert' }, problem(r));
  return h(
    'div',
    { role: 'alert' },
    h('p', { class: 'error' }, 'Nothing was changed:'),
    h('ul', null, Object.entries(errors).map(([k, v]) => h('li', null, h('code', null, k), `: ${[].concat(v).join('; ')}`))),
  );
}

// A secret shown once, with a copy button.
function secret(label, value, id) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('div', { class: 'secret' }, h('input', { id, readonly: true, value }), copyButton(value)));
}

function resetPanel(ctx, showNow) {
  const world = h(
    'select',
    { id: 'reset-world' },
    h('option', { value: 'initial' }, 'the world the server started with'),
    h('option', { value: 'demo' }, 'the demo world'),
    h('option', { value: 'empty' }, 'an empty world'),
  );
  const keep = h('input', { id: 'reset-keep', type: 'checkbox', checked: true });
  const out = h('div', { id: 'reset-out', 'aria-live': 'polite' });
  const run = async (ev) => {
    ev.preventDefault();
    const what = world.options[world.selectedIndex].textContent;
    if (!window.confirm(`Replace everything in the sandbox with ${what}?${keep.checked ? '' : ' Every device token will stop working.'}`)) return;
    const r = await call('POST', '/admin/reset', { body: { world: world.value, keep_credentials: keep.checked } });
    if (!r.ok) return clear(out, problems(r));
    const d = r.body.data;
    if (!d.keep_credentials) session.forgetTokens();
    if (d.credentials.admin_key) session.key = d.credentials.admin_key;
    await Promise.all([ctx.clock.refresh(), ctx.loadDevices()]);
    showNow();
    const fresh = [
      d.credentials.admin_key ? secret('The new operator key (this tab uses it already)', d.credentials.admin_key, 'reset-key') : null,
      d.credentials.tokens.map((t, i) => secret(`A new token of device ${t.phone}`, t.token, `reset-token-${i}`)),
    ];
    clear(
      out,
      h('p', { class: 'ok', role: 'status' }, `The sandbox was reset to ${what}: ${loadedText(d.loaded)}.`),
      d.credentials.admin_key || d.credentials.tokens.length ? h('p', null, 'Copy these now: they are not shown again.') : null,
      fresh,
    );
    announce('The sandbox was reset');
  };
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'reset-title' },
    h('h2', { id: 'reset-title' }, 'Reset the sandbox'),
    h('p', { class: 'hint' }, 'Removes every group, person, invitation and message, and sets the clock back to now; then loads the world chosen. A request running meanwhile sees the world before or after, never half of it.'),
    h(
      'form',
      { onsubmit: run },
      field('Back to', world),
      h('div', { class: 'check' }, keep, h('label', { for: 'reset-keep' }, 'Keep credentials: devices, their tokens and the operator key')),
      h('button', { type: 'submit', class: 'danger' }, 'Reset the sandbox'),
    ),
    out,
  );
}

function worldPanel() {
  const file = h('input', { id: 'seed-file', type: 'file', accept: '.json,application/json' });
  const text = h('textarea', { id: 'seed-text', rows: 6, spellcheck: 'false', placeholder: '{"users": [...], "devices": [...], "groups": [...]}' });
  const out = h('div', { id: 'seed-out', 'aria-live': 'polite' });
  file.addEventListener('change', async () => {
    if (file.files[0]) text.value = await file.files[0].text();
  });
  const load = async (ev) => {
    ev.preventDefault();
    let world;
    try {
      world = JSON.parse(text.value);
    } catch (e) {
      return clear(out, h('p', { class: 'error', role: 'alert' }, `That is not JSON: ${e.message}`));
    }
    const r = await call('POST', '/admin/seed', { body: world });
    if (!r.ok) return clear(out, problems(r));
    clear(out, h('p', { class: 'ok', role: 'status' }, `Loaded: ${loadedText(r.body.data.loaded)}.`));
    announce('The world was loaded');
  };
  const download = async () => {
    const r = await call('GET', '/admin/export');
    if (!r.ok) return announce(problem(r), 'error');
    const url = URL.createObjectURL(new Blob([r.text], { type: 'application/json' }));
    const a = h('a', { href: url, download: 'groupie-world.json' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    announce('The world was downloaded as groupie-world.json');
  };
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'world-title' },
    h('h2', { id: 'world-title' }, 'The world as a file'),
    h('p', { class: 'hint' }, 'People with their privacy, contacts and blocks; devices with their tokens (as SHA-256); groups with participants and roles. The format is in docs/API.md ("Seeds"); groupied --seed reads it too.'),
    h('div', { class: 'row' }, h('button', { type: 'button', id: 'world-export', onclick: download }, 'Download the world')),
    h('form', { onsubmit: load }, field('A world file', file), field('… or its JSON', text), h('button', { type: 'submit' }, 'Load it on top of this world')),
    out,
  );
}
