// view-devices.js -- devices and their tokens. A token is shown once, when
// it is made (the server keeps only its SHA-256); the list shows how many
// live tokens each device has, never a token.
import { call, session } from './api.js';
import { announce, clear, copyButton, field, h, problem, table, when } from './dom.js';
import { CLEAN_SENTENCE, phoneClean } from './phone.js';

function shownOnce(out, title, token) {
  const input = h('input', { id: 'new-token', readonly: true, value: token, 'aria-label': 'The new token' });
  clear(
    out,
    h(
      'div',
      { class: 'panel', role: 'status' },
      h('h3', null, title),
      h('p', null, 'Copy it now: it is not shown again.'),
      h('div', { class: 'secret' }, input, copyButton(token), h('button', { type: 'button', class: 'small secondary', onclick: () => clear(out) }, 'Hide')),
    ),
  );
  input.focus();
  input.select();
}

export async function render(main, ctx) {
  main.append(h('h1', null, 'Devices'));
  const out = h('div', { id: 'device-secret' });
  const r = await ctx.loadDevices();
  if (!r.ok) {
    main.append(h('p', { class: 'error', role: 'alert' }, problem(r)));
    return;
  }
  const mine = session.tokens();
  const newToken = (phone) => async () => {
    const t = await call('POST', `/admin/devices/${phone}/tokens`);
    if (t.status === 201) shownOnce(out, `A new token for ${phone}`, t.body.data.token);
    else announce(problem(t), 'error');
  };
  main.append(
    out,
    table(
      'Devices',
      ['ID', 'Number', 'Created', 'Live tokens', 'Actions'],
      ctx.devices.map((d) => [
        d.id,
        h('span', { class: 'mono' }, d.phone),
        when(d.created_at),
        `${d.token_count}${mine[d.phone] ? ' (one is this tab\'s)' : ''}`,
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'button', class: 'small', onclick: newToken(d.phone), 'aria-label': `New token for ${d.phone}` }, 'New token'),
          d.phone === ctx.acting
            ? h('span', { class: 'badge added' }, 'acting')
            : h('button', { type: 'button', class: 'small secondary', onclick: () => ctx.setActing(d.phone), 'aria-label': `Act as ${d.phone}` }, 'Act as'),
        ),
      ]),
    ),
  );

  const phone = h('input', { id: 'dev-phone', inputmode: 'tel', autocomplete: 'off' });
  const create = async (ev) => {
    ev.preventDefault();
    const c = phoneClean(phone.value, '');
    if (c.status !== 'OK') return announce(`${phone.value}: ${CLEAN_SENTENCE[c.status]}`, 'error');
    const res = await call('POST', '/admin/devices', { body: { phone: c.number } });
    if (res.status !== 201) return announce(problem(res), 'error');
    await ctx.loadDevices();
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    setTimeout(() => shownOnce(document.getElementById('device-secret'), `Device ${c.number} created; its token`, res.body.data.token), 50);
  };
  const revokeInput = h('input', { id: 'dev-revoke', type: 'password', autocomplete: 'off', spellcheck: 'false' });
  const revoke = async (ev) => {
    ev.preventDefault();
    const token = revokeInput.value.trim();
    const res = await call('POST', '/admin/tokens/revoke', { body: { token } });
    announce(res.ok ? 'Token revoked: it stops working at once' : problem(res), res.ok ? 'info' : 'error');
    if (res.ok) {
      revokeInput.value = '';
      for (const [p, t] of Object.entries(session.tokens())) if (t === token) session.setToken(p, null);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    }
  };
  main.append(
    h(
      'div',
      { class: 'grid' },
      h('section', { class: 'panel', 'aria-labelledby': 'dev-new' }, h('h2', { id: 'dev-new' }, 'Create a device'), h('form', { onsubmit: create }, field('Its WhatsApp number', phone, 'It is registered in the directory too'), h('button', { type: 'submit' }, 'Create'))),
      h('section', { class: 'panel', 'aria-labelledby': 'dev-rev' }, h('h2', { id: 'dev-rev' }, 'Revoke a token'), h('form', { onsubmit: revoke }, field('Token', revokeInput), h('button', { type: 'submit', class: 'danger' }, 'Revoke'))),
    ),
    h('p', { class: 'hint' }, 'The console acts as a device with a token of its own, made when it is first needed and revoked when you log out.'),
  );
}
