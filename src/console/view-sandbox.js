// view-sandbox.js -- the sandbox clock, and what people do on their own
// phones: accept a private invitation, join by an invite link, leave.
import { call } from './api.js';
import { announce, clear, field, h, pad, problem } from './dom.js';

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
